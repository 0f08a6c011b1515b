/**
 * Raw AMQP messages → what the inspector page shows (ViewMessage): JSON-safe properties and headers, x-death as a
 * history, the body as text/JSON/binary cut at a view limit. No 'vscode' import: benchmarked in plain Node.
 */
import type { BodyKind, JsonValue, ViewDeath, ViewMessage } from '../webviews/protocol/inspector';
import { headerToJson, isUtf8Text, type RawMessageLike } from './jsonl';

/** Bodies larger than this are cut in the page ("open full body in an editor" shows all of it). */
export const VIEW_BODY_LIMIT = 256 * 1024;

const PROPERTY_ORDER = ['contentType', 'contentEncoding', 'deliveryMode', 'priority', 'correlationId', 'replyTo', 'expiration', 'messageId', 'timestamp', 'type', 'userId', 'appId', 'clusterId'];

export interface ViewOptions {
  /** Body view limit in bytes (default VIEW_BODY_LIMIT). */
  bodyLimit?: number;
  offset?: number;
}

/** One raw message → the page's view of it. */
export function toViewMessage(raw: RawMessageLike & { fields: { redelivered?: boolean } }, id: string, index: number, opts: ViewOptions = {}): ViewMessage {
  const limit = opts.bodyLimit ?? VIEW_BODY_LIMIT;
  const props = raw.properties ?? {};
  const properties: Record<string, JsonValue> = {};
  for (const k of PROPERTY_ORDER) {
    const v = props[k];
    if (v === undefined || v === null) continue;
    if (k === 'timestamp' && typeof v === 'number') properties[k] = new Date(v * 1000).toISOString();
    else properties[k] = headerToJson(v) as JsonValue;
  }
  const headers: Record<string, JsonValue> = {};
  let deaths: ViewDeath[] = [];
  for (const [k, v] of Object.entries(props.headers ?? {})) {
    if (k === 'x-death' && Array.isArray(v)) deaths = normalizeXDeath(v);
    else headers[k] = headerToJson(v) as JsonValue;
  }
  const content = raw.content;
  const size = content.length;
  const head = size > limit ? content.subarray(0, limit) : content;
  const truncated = size > limit;
  const contentType = typeof props.contentType === 'string' ? props.contentType : '';
  const encoding = typeof props.contentEncoding === 'string' && props.contentEncoding !== '' && props.contentEncoding !== 'utf-8' && props.contentEncoding !== 'utf8' ? props.contentEncoding : undefined;
  let kind: BodyKind = 'binary';
  let text: string | undefined;
  if (!encoding && looksText(head, truncated)) {
    text = head.toString('utf8');
    kind = looksJson(text, contentType, truncated) ? 'json' : 'text';
  }
  return {
    id,
    index,
    exchange: raw.fields.exchange,
    routingKey: raw.fields.routingKey,
    redelivered: raw.fields.redelivered === true,
    offset: opts.offset,
    properties,
    headers,
    deaths,
    body: { kind, size, text, base64: head.toString('base64'), truncated, encoding },
  };
}

/** Text when it decodes as UTF-8 (a cut body may end inside a character: allow up to 3 trailing bytes). */
function looksText(buf: Buffer, truncated: boolean): boolean {
  if (buf.length === 0) return true;
  if (isUtf8Text(buf)) return !hasControl(buf);
  if (!truncated) return false;
  for (let cut = 1; cut <= 3 && cut < buf.length; cut++) if (isUtf8Text(buf.subarray(0, buf.length - cut))) return !hasControl(buf);
  return false;
}

function hasControl(buf: Buffer): boolean {
  const n = Math.min(buf.length, 4096);
  for (let i = 0; i < n; i++) {
    const c = buf[i];
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c) return true;
  }
  return false;
}

function looksJson(text: string, contentType: string, truncated: boolean): boolean {
  if (/json/i.test(contentType)) return true;
  const t = text.trimStart();
  if (!(t.startsWith('{') || t.startsWith('['))) return false;
  if (truncated) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** x-death (an array of tables) → plain entries, newest first as the broker keeps them. */
export function normalizeXDeath(list: unknown[]): ViewDeath[] {
  const out: ViewDeath[] = [];
  for (const e of list) {
    if (!e || typeof e !== 'object') continue;
    const d = e as Record<string, unknown>;
    const rks = Array.isArray(d['routing-keys']) ? d['routing-keys'].map((x) => (Buffer.isBuffer(x) ? x.toString('utf8') : String(x))) : [];
    const t = d.time as { '!'?: string; value?: number } | number | undefined;
    const secs = typeof t === 'number' ? t : t && typeof t === 'object' && typeof t.value === 'number' ? t.value : undefined;
    out.push({
      queue: str(d.queue),
      reason: str(d.reason),
      count: typeof d.count === 'number' ? d.count : Number(d.count ?? 0),
      exchange: str(d.exchange),
      routingKeys: rks,
      time: secs !== undefined ? new Date(secs * 1000).toISOString() : undefined,
    });
  }
  return out;
}

function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return v === undefined || v === null ? '' : String(v);
}

/** Where a dead-lettered message came from: x-death's first entry (exchange + routing keys), if any. */
export function deadLetterOrigin(raw: RawMessageLike): { exchange: string; routingKeys: string[]; queue: string } | undefined {
  const xd = raw.properties.headers?.['x-death'];
  if (!Array.isArray(xd) || xd.length === 0) return undefined;
  const first = normalizeXDeath(xd)[0];
  if (!first) return undefined;
  return { exchange: first.exchange, routingKeys: first.routingKeys.length ? first.routingKeys : [first.queue], queue: first.queue };
}

/** Headers for a re-publish to the origin: x-death and the broker's x-first-death-* / x-last-death-* removed. */
export function headersForResend(headers: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!headers) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(headers)) if (k !== 'x-death' && !/^x-(first|last)-death-/.test(k)) out[k] = v;
  return out;
}

/** Many raw messages → view messages, numbered from `startIndex`. */
export function toViewMessages(raws: readonly (RawMessageLike & { fields: { redelivered?: boolean } })[], idPrefix: string, startIndex = 1, opts: ViewOptions = {}): ViewMessage[] {
  const out = new Array<ViewMessage>(raws.length);
  for (let i = 0; i < raws.length; i++) out[i] = toViewMessage(raws[i], `${idPrefix}${startIndex + i}`, startIndex + i, opts);
  return out;
}
