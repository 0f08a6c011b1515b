/**
 * Decoded messages (src/core/message.ts) → what the inspector page shows (ViewMessage): properties in a fixed
 * order, headers without x-death (shown as a history table), the body cut at a view limit. No 'vscode' import:
 * benchmarked in plain Node.
 */
import type { DecodedMessage } from '../../core/message';
import type { JsonValue, ViewDeath, ViewMessage } from './inspectorProtocol';

/** Bodies larger than this (bytes) are cut in the page ("open full body in an editor" shows all of it). */
export const VIEW_BODY_LIMIT = 256 * 1024;

/** Decode options for messages meant for the inspector: keep the whole body (save/republish need every byte). */
export const INSPECTOR_DECODE = { maxBodyBytes: Number.MAX_SAFE_INTEGER, hexBytes: 0 } as const;

const PROPERTY_ORDER = ['contentType', 'contentEncoding', 'deliveryMode', 'priority', 'correlationId', 'replyTo', 'expiration', 'messageId', 'timestamp', 'type', 'userId', 'appId', 'clusterId'] as const;

export interface ViewOptions {
  /** Body view limit in bytes (default VIEW_BODY_LIMIT). */
  bodyLimit?: number;
  offset?: number;
}

/** One decoded message → the page's view of it. */
export function toViewMessage(d: DecodedMessage, id: string, index: number, opts: ViewOptions = {}): ViewMessage {
  const limit = opts.bodyLimit ?? VIEW_BODY_LIMIT;
  const properties: Record<string, JsonValue> = {};
  const p = d.properties;
  for (const k of PROPERTY_ORDER) {
    const v = p[k];
    if (v === undefined) continue;
    properties[k] = typeof v === 'object' ? v.iso : v;
  }
  let headers = d.headers;
  if ('x-death' in headers) {
    headers = { ...headers };
    delete headers['x-death'];
  }
  const deaths: ViewDeath[] = (d.xDeath ?? []).map((x) => ({ queue: x.queue, reason: x.reason, count: x.count, exchange: x.exchange, routingKeys: x.routingKeys, time: x.time?.iso }));
  const b = d.body;
  const cut = b.size > limit;
  // base64 of the first `limit` bytes: 4 characters per 3 bytes.
  const base64 = cut ? b.base64.slice(0, Math.ceil(limit / 3) * 4) : b.base64;
  let text = b.text;
  if (text !== undefined && cut && text.length > limit) text = text.slice(0, limit);
  const encoding = p.contentEncoding && !/^utf-?8$/i.test(p.contentEncoding) ? p.contentEncoding : undefined;
  return {
    id,
    index,
    exchange: d.fields.exchange,
    routingKey: d.fields.routingKey,
    redelivered: d.fields.redelivered,
    offset: opts.offset,
    properties,
    headers,
    deaths,
    body: { kind: b.kind, size: b.size, text, base64, truncated: cut || b.truncated, encoding },
  };
}

/** Many decoded messages → view messages, numbered from `startIndex`. */
export function toViewMessages(list: readonly DecodedMessage[], idPrefix: string, startIndex = 1, opts: ViewOptions = {}): ViewMessage[] {
  const out = new Array<ViewMessage>(list.length);
  for (let i = 0; i < list.length; i++) out[i] = toViewMessage(list[i], `${idPrefix}${startIndex + i}`, startIndex + i, opts);
  return out;
}

/** Where a dead-lettered message came from: x-death's first entry (exchange + routing keys), if any. */
export function deadLetterOrigin(d: DecodedMessage): { exchange: string; routingKeys: string[]; queue: string } | undefined {
  const first = d.xDeath?.[0];
  if (!first) return undefined;
  return { exchange: first.exchange, routingKeys: first.routingKeys.length ? first.routingKeys : [first.queue], queue: first.queue };
}
