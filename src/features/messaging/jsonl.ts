/**
 * Saved messages as JSON Lines: one message per line, the format the inspector saves and `rabbitmq.publishBulk`
 * reads, so messages re-publish faithfully (body bytes and every property).
 *
 *   {"exchange":"orders","routingKey":"eu.new","body":"{\"id\":1}","properties":{"contentType":"application/json",
 *    "deliveryMode":2,"timestamp":1700000000},"headers":{"x-tenant":"a","sig":{"$binary":"AAEC"}}}
 *
 * - `body` (UTF-8 text) or `bodyBase64` (any bytes), not both.
 * - `properties`: the AMQP basic properties (timestamp in seconds since the epoch, or an ISO date).
 * - `headers`: the core's JSON-safe form (src/core/message.ts): `{"$binary": base64}` for byte arrays,
 *   `{"$timestamp": iso, "epoch": s}`, `{"$decimal": "1.23"}`; amqplib's `{"!": type, "value": …}` is accepted too.
 * No 'vscode' import: benchmarked in plain Node.
 */
import { invalidInput, RabbitError } from '../../core/errors';
import { fromJsonSafe, type DecodedMessage, type DecodedProperties, type JsonValue } from '../../core/message';
import type { AmqpTable, PublishOptions } from '../../core/operations';

export interface SavedProperties {
  contentType?: string;
  contentEncoding?: string;
  deliveryMode?: 1 | 2;
  priority?: number;
  correlationId?: string;
  replyTo?: string;
  expiration?: string;
  messageId?: string;
  /** Seconds since the epoch. */
  timestamp?: number;
  type?: string;
  userId?: string;
  appId?: string;
}

export interface SavedMessage {
  exchange?: string;
  routingKey?: string;
  body?: string;
  bodyBase64?: string;
  properties?: SavedProperties;
  headers?: Record<string, unknown>;
}

const STRING_PROPS = ['contentType', 'contentEncoding', 'correlationId', 'replyTo', 'messageId', 'type', 'userId', 'appId'] as const;
const STRING_PROP_SET = new Set<string>(STRING_PROPS);
const KNOWN_PROPS = new Set<string>([...STRING_PROPS, 'deliveryMode', 'priority', 'expiration', 'timestamp']);
const KNOWN_KEYS = new Set(['exchange', 'routingKey', 'body', 'bodyBase64', 'properties', 'headers']);

// ------------------------------------------------------------------------------------------------ writing

/** A decoded message (with its whole body: decode with an unlimited maxBodyBytes) as a saved one, every property kept. */
export function toSaved(d: DecodedMessage): SavedMessage {
  if (d.body.truncated) {
    throw new RabbitError('INVALID_INPUT', `message ${d.index + 1}: only the first part of its ${d.body.size}-byte body was read, so it cannot be saved faithfully.`, {
      field: 'body',
      hint: 'Peek it again without a body limit.',
    });
  }
  const saved: SavedMessage = { exchange: d.fields.exchange, routingKey: d.fields.routingKey };
  if (d.body.text !== undefined) saved.body = d.body.text;
  else saved.bodyBase64 = d.body.base64;
  const props = savedProperties(d.properties);
  if (Object.keys(props).length > 0) saved.properties = props;
  if (Object.keys(d.headers).length > 0) saved.headers = d.headers;
  return saved;
}

export function savedProperties(p: DecodedProperties): SavedProperties {
  const props: SavedProperties = {};
  for (const k of STRING_PROPS) if (typeof p[k] === 'string') props[k] = p[k];
  if (p.deliveryMode === 1 || p.deliveryMode === 2) props.deliveryMode = p.deliveryMode;
  if (typeof p.priority === 'number') props.priority = p.priority;
  if (p.expiration !== undefined) props.expiration = p.expiration;
  if (p.timestamp) props.timestamp = p.timestamp.epoch;
  return props;
}

/** JSON Lines text of decoded messages (trailing newline). */
export function toJsonLines(messages: Iterable<DecodedMessage>): string {
  let out = '';
  for (const m of messages) out += JSON.stringify(toSaved(m)) + '\n';
  return out;
}

/** A decoded message (whole body) → publish options, to `exchange`/`routingKey` (default: where it was published). */
export function decodedToPublish(d: DecodedMessage, target?: { exchange: string; routingKey: string }, dropDeathHeaders = false): PublishOptions {
  const saved = toSaved(d);
  if (dropDeathHeaders && saved.headers) {
    const h: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(saved.headers as Record<string, JsonValue>)) if (k !== 'x-death' && !/^x-(first|last)-death-/.test(k)) h[k] = v;
    saved.headers = h;
  }
  if (target) {
    saved.exchange = target.exchange;
    saved.routingKey = target.routingKey;
  }
  return fromSaved(saved, 'message');
}

// ------------------------------------------------------------------------------------------------ reading

export interface ParseDefaults {
  /** For lines without `exchange` (default: the default exchange ''). */
  exchange?: string;
  /** For lines without `routingKey`. */
  routingKey?: string;
}

/** Saved (JSON-safe) headers → what the core publishes ({"$binary"} → Buffer, {"$timestamp"} → Date, {"$decimal"} …). */
export function headersFromJson(value: Record<string, unknown>): AmqpTable {
  return fromJsonSafe(value as JsonValue) as AmqpTable;
}

/** One saved message (already JSON-parsed) → publish options. `where` prefixes field names ("line 3"). */
export function fromSaved(value: unknown, where: string, defaults: ParseDefaults = {}): PublishOptions {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidInput(where, 'must be a JSON object like {"routingKey":"q","body":"text"}');
  const s = value as Record<string, unknown>;
  for (const k in s) if (!KNOWN_KEYS.has(k)) throw invalidInput(`${where}.${k}`, 'is not a known field', 'Known fields: exchange, routingKey, body, bodyBase64, properties, headers.');
  const exchange = s.exchange ?? defaults.exchange ?? '';
  if (typeof exchange !== 'string') throw invalidInput(`${where}.exchange`, 'must be a string');
  const routingKey = s.routingKey ?? defaults.routingKey;
  if (routingKey === undefined) throw invalidInput(`${where}.routingKey`, 'is missing', 'Give every line a routingKey, or a default routing key.');
  if (typeof routingKey !== 'string') throw invalidInput(`${where}.routingKey`, 'must be a string');
  let body: Buffer;
  if (s.body !== undefined && s.bodyBase64 !== undefined) throw invalidInput(`${where}.body`, 'and bodyBase64 are both set', 'Keep one.');
  if (typeof s.body === 'string') body = Buffer.from(s.body, 'utf8');
  else if (s.body !== undefined) body = Buffer.from(JSON.stringify(s.body), 'utf8'); // a JSON value as the body
  else if (typeof s.bodyBase64 === 'string') {
    if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(s.bodyBase64)) throw invalidInput(`${where}.bodyBase64`, 'is not valid base64');
    body = Buffer.from(s.bodyBase64, 'base64');
  } else if (s.bodyBase64 !== undefined) throw invalidInput(`${where}.bodyBase64`, 'must be a base64 string');
  else body = Buffer.alloc(0);
  const out: PublishOptions = { exchange, routingKey, body };
  if (s.properties !== undefined) {
    const p = s.properties as Record<string, unknown>;
    if (p === null || typeof p !== 'object' || Array.isArray(p)) throw invalidInput(`${where}.properties`, 'must be an object');
    for (const k in p) {
      const v = p[k];
      if (!KNOWN_PROPS.has(k)) throw invalidInput(`${where}.properties.${k}`, 'is not an AMQP property', `Known: ${[...KNOWN_PROPS].join(', ')}. Put custom values in headers.`);
      if (v === undefined || v === null) continue;
      if (STRING_PROP_SET.has(k)) {
        if (typeof v !== 'string') throw invalidInput(`${where}.properties.${k}`, 'must be a string');
        (out as unknown as Record<string, unknown>)[k] = v;
      } else if (k === 'deliveryMode') {
        if (v !== 1 && v !== 2) throw invalidInput(`${where}.properties.deliveryMode`, 'must be 1 (transient) or 2 (persistent)');
        out.deliveryMode = v;
      } else if (k === 'priority') {
        if (typeof v !== 'number') throw invalidInput(`${where}.properties.priority`, 'must be a number 0–255');
        out.priority = v;
      } else if (k === 'expiration') {
        if (typeof v !== 'string' && typeof v !== 'number') throw invalidInput(`${where}.properties.expiration`, 'must be milliseconds, e.g. "60000"');
        out.expiration = v;
      } else if (k === 'timestamp') {
        out.timestamp = parseTimestamp(v, `${where}.properties.timestamp`);
      }
    }
  }
  if (s.headers !== undefined && s.headers !== null) {
    if (typeof s.headers !== 'object' || Array.isArray(s.headers)) throw invalidInput(`${where}.headers`, 'must be an object of name → value');
    out.headers = headersFromJson(s.headers as Record<string, unknown>);
  }
  return out;
}

/** Seconds since the epoch from a number (seconds) or an ISO date / typed value. */
export function parseTimestamp(v: unknown, field: string): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return Math.floor(v);
  if (typeof v === 'string') {
    const ms = Date.parse(v);
    if (!Number.isNaN(ms)) return Math.floor(ms / 1000);
  }
  if (v && typeof v === 'object' && (v as { '!'?: unknown })['!'] === 'timestamp') return parseTimestamp((v as { value: unknown }).value, field);
  throw invalidInput(field, `must be seconds since the epoch or an ISO date (got ${JSON.stringify(v)})`);
}

/**
 * Parses a whole JSON Lines text. Blank lines and lines starting with // are skipped. Every line is checked before
 * anything is returned: an error names the line ("line 7.routingKey: …").
 */
export function parseJsonLines(text: string, defaults: ParseDefaults = {}): PublishOptions[] {
  const out: PublishOptions[] = [];
  let lineNo = 0;
  let start = 0;
  const len = text.length;
  while (start <= len) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = len;
    lineNo++;
    // A line that starts with "{" and ends with "}" is parsed as it is (the common case: no copies to trim).
    const first = text.charCodeAt(start);
    const last = text.charCodeAt(end - 1);
    const trimmed = first === 0x7b && last === 0x7d ? text.slice(start, end) : text.slice(start, end).trim();
    start = end + 1;
    if (trimmed === '' || trimmed.startsWith('//')) {
      if (end === len) break;
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (e) {
      throw new RabbitError('INVALID_INPUT', `line ${lineNo}: is not valid JSON (${(e as Error).message}).`, {
        field: `line ${lineNo}`,
        hint: 'Each line must be one JSON object, e.g. {"routingKey":"q","body":"hello"}.',
      });
    }
    out.push(fromSaved(value, `line ${lineNo}`, defaults));
    if (end === len) break;
  }
  if (out.length === 0) throw invalidInput('file', 'contains no messages', 'Write one JSON object per line.');
  return out;
}
