/**
 * The message model shown to users: body decoded as text / JSON / binary, properties and headers made
 * JSON-safe (timestamps as ISO + epoch, Buffers as base64, longs as strings), x-death normalized.
 * Pure functions; no broker access.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface TimestampValue {
  iso: string;
  /** Seconds since the epoch (AMQP timestamps have second precision). */
  epoch: number;
}

export interface DecodedBody {
  kind: 'text' | 'json' | 'binary';
  /** UTF-8 text (up to maxBodyBytes) when the body is valid UTF-8 without binary control characters. */
  text?: string;
  /** Parsed value when kind is 'json'. */
  json?: JsonValue;
  /** Base64 of the body (of the first maxBodyBytes when truncated). */
  base64: string;
  /** Lowercase hex of the first hexBytes bytes. */
  hex: string;
  /** Full body size in bytes. */
  size: number;
  /** True when text/base64 hold only the first maxBodyBytes. */
  truncated: boolean;
}

export interface XDeathEntry {
  count: number;
  reason: string;
  queue: string;
  exchange: string;
  routingKeys: string[];
  time?: TimestampValue;
  originalExpiration?: string;
}

export interface DecodedProperties {
  contentType?: string;
  contentEncoding?: string;
  deliveryMode?: number;
  persistent?: boolean;
  priority?: number;
  correlationId?: string;
  replyTo?: string;
  expiration?: string;
  messageId?: string;
  timestamp?: TimestampValue;
  type?: string;
  userId?: string;
  appId?: string;
  clusterId?: string;
}

export interface DecodedFields {
  exchange: string;
  routingKey: string;
  redelivered: boolean;
  deliveryTag?: number;
  consumerTag?: string;
  /** basic.get only: messages left in the queue. */
  messageCount?: number;
}

export interface DecodedMessage {
  /** Position in the batch it was read in (0-based). */
  index: number;
  body: DecodedBody;
  properties: DecodedProperties;
  /**
   * Headers, JSON-safe: nested tables and arrays kept; timestamps → { $timestamp: iso, epoch };
   * byte arrays → { $binary: base64 }; decimals → { $decimal: "1.23" }; bigint → string.
   */
  headers: Record<string, JsonValue>;
  /** x-death, normalized (newest first as the broker keeps it); absent when the header is absent. */
  xDeath?: XDeathEntry[];
  fields: DecodedFields;
}

/** What amqplib delivers (ConsumeMessage / GetMessage) or anything shaped like it. */
export interface RawMessageLike {
  content: Buffer;
  fields: { exchange?: string; routingKey?: string; redelivered?: boolean; deliveryTag?: number; consumerTag?: string; messageCount?: number };
  /** amqplib's MessageProperties or any object with the same keys. */
  properties: object;
}

export interface DecodeOptions {
  /** Bytes of body kept as text/base64; default 1 MiB. */
  maxBodyBytes?: number;
  /** Bytes shown as hex; default 256. */
  hexBytes?: number;
}

// ignoreBOM keeps a leading U+FEFF in the text: a decoder that dropped it would make save and republish lose
// the body's first three bytes.
const utf8Fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** True when the bytes are valid UTF-8. */
export function isValidUtf8(buf: Uint8Array): boolean {
  try {
    utf8Fatal.decode(buf);
    return true;
  } catch {
    return false;
  }
}

// C0 controls other than tab, LF, VT, FF, CR and ESC suggest binary data even in valid UTF-8.
const BINARY_CONTROLS = /[\u0000-\u0008\u000e-\u001a\u001c-\u001f]/;

function toTimestamp(seconds: number): TimestampValue | undefined {
  if (!Number.isFinite(seconds)) return undefined;
  const d = new Date(seconds * 1000);
  if (Number.isNaN(d.getTime())) return undefined;
  return { iso: d.toISOString(), epoch: seconds };
}

/** Decodes a body: binary unless valid UTF-8 text; JSON when it parses and looks like JSON (or says so). */
export function decodeBody(content: Buffer, contentType?: string, opts: DecodeOptions = {}): DecodedBody {
  const maxBodyBytes = opts.maxBodyBytes ?? 1024 * 1024;
  const hexBytes = opts.hexBytes ?? 256;
  const size = content.length;
  const truncated = size > maxBodyBytes;
  const shown = truncated ? content.subarray(0, maxBodyBytes) : content;
  const body: DecodedBody = {
    kind: 'binary',
    base64: shown.toString('base64'),
    hex: content.subarray(0, hexBytes).toString('hex'),
    size,
    truncated,
  };
  let text: string | undefined;
  // When truncated, the cut may fall inside a multi-byte character: drop up to 3 trailing bytes.
  for (let cut = 0; cut <= (truncated ? 3 : 0) && cut <= shown.length; cut++) {
    try {
      text = utf8Fatal.decode(shown.subarray(0, shown.length - cut));
      break;
    } catch {
      text = undefined;
    }
  }
  if (text === undefined || BINARY_CONTROLS.test(text)) return body;
  body.kind = 'text';
  body.text = text;
  if (!truncated) {
    const trimmed = text.trim();
    const saysJson = /json/i.test(contentType ?? '');
    if ((saysJson && trimmed !== '') || /^[[{]/.test(trimmed)) {
      try {
        body.json = JSON.parse(trimmed) as JsonValue;
        body.kind = 'json';
      } catch {
        // not JSON after all
      }
    }
  }
  return body;
}

/** Makes any AMQP field value JSON-safe (see DecodedMessage.headers). */
export function toJsonSafe(value: unknown, depth = 0): JsonValue {
  if (depth > 64) return '[too deep]';
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return value.toString();
    case 'object': {
      if (Buffer.isBuffer(value) || value instanceof Uint8Array) return { $binary: Buffer.from(value).toString('base64') };
      if (value instanceof Date) return { $timestamp: value.toISOString(), epoch: Math.floor(value.getTime() / 1000) };
      if (Array.isArray(value)) return value.map((v) => toJsonSafe(v, depth + 1));
      const o = value as Record<string, unknown>;
      if (Object.hasOwn(o, '!') && Object.hasOwn(o, 'value')) {
        const t = o['!'];
        if (t === 'timestamp' && typeof o.value === 'number') {
          const ts = toTimestamp(o.value);
          return ts ? { $timestamp: ts.iso, epoch: ts.epoch } : { $timestamp: null, epoch: o.value };
        }
        if (t === 'decimal' && o.value && typeof o.value === 'object') {
          const { places, digits } = o.value as { places: number; digits: number };
          return { $decimal: places > 0 ? (digits / 10 ** places).toFixed(places) : String(digits) };
        }
        return toJsonSafe(o.value, depth + 1);
      }
      const out: Record<string, JsonValue> = {};
      for (const [k, v] of Object.entries(o)) out[k] = toJsonSafe(v, depth + 1);
      return out;
    }
    default:
      return String(value);
  }
}

/**
 * The inverse of toJsonSafe for republishing: { $binary } → Buffer, { $timestamp, epoch } → Date,
 * { $decimal } → decimal typed value. Other values pass through.
 */
export function fromJsonSafe(value: JsonValue): unknown {
  if (Array.isArray(value)) return value.map(fromJsonSafe);
  if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 1 && typeof value.$binary === 'string') return Buffer.from(value.$binary, 'base64');
    if (keys.length === 2 && '$timestamp' in value && typeof value.epoch === 'number') return new Date(value.epoch * 1000);
    if (keys.length === 1 && typeof value.$decimal === 'string') {
      const [int, frac = ''] = value.$decimal.split('.');
      return { '!': 'decimal', value: { places: frac.length, digits: Number(int + frac) } };
    }
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      const v = value[k];
      out[k] = v === null || typeof v !== 'object' ? v : fromJsonSafe(v);
    }
    return out;
  }
  return value;
}

function asString(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return String(v);
}

function asNumber(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function timestampOf(v: unknown): TimestampValue | undefined {
  if (typeof v === 'number') return toTimestamp(v);
  if (typeof v === 'bigint') return toTimestamp(Number(v));
  if (v instanceof Date) return toTimestamp(Math.floor(v.getTime() / 1000));
  if (v && typeof v === 'object' && (v as { '!'?: unknown })['!'] === 'timestamp') return timestampOf((v as { value: unknown }).value);
  return undefined;
}

/** Normalizes the x-death header (array of tables) into typed entries. */
export function normalizeXDeath(value: unknown): XDeathEntry[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value
    .filter((e): e is Record<string, unknown> => !!e && typeof e === 'object' && !Array.isArray(e))
    .map((e) => {
      const rk = e['routing-keys'];
      const entry: XDeathEntry = {
        count: asNumber(e.count) ?? (typeof e.count === 'bigint' ? Number(e.count) : 0),
        reason: asString(e.reason) ?? '',
        queue: asString(e.queue) ?? '',
        exchange: asString(e.exchange) ?? '',
        routingKeys: Array.isArray(rk) ? rk.map((k) => asString(k) ?? '') : [],
      };
      const time = timestampOf(e.time);
      if (time) entry.time = time;
      const oe = asString(e['original-expiration']);
      if (oe !== undefined) entry.originalExpiration = oe;
      return entry;
    });
}

/** Properties made JSON-safe; absent properties are left out. */
export function decodeProperties(p: Record<string, unknown>): DecodedProperties {
  const out: DecodedProperties = {};
  const strKeys = ['contentType', 'contentEncoding', 'correlationId', 'replyTo', 'expiration', 'messageId', 'type', 'userId', 'appId', 'clusterId'] as const;
  for (const k of strKeys) {
    const v = asString(p[k]);
    if (v !== undefined) out[k] = v;
  }
  const dm = asNumber(p.deliveryMode);
  if (dm !== undefined) {
    out.deliveryMode = dm;
    out.persistent = dm === 2;
  }
  const pr = asNumber(p.priority);
  if (pr !== undefined) out.priority = pr;
  const ts = timestampOf(p.timestamp);
  if (ts) out.timestamp = ts;
  return out;
}

/** Decodes one delivered message for display. */
export function decodeMessage(msg: RawMessageLike, index: number, opts: DecodeOptions = {}): DecodedMessage {
  const props = (msg.properties ?? {}) as Record<string, unknown>;
  const rawHeaders = (props.headers && typeof props.headers === 'object' ? props.headers : {}) as Record<string, unknown>;
  const headers: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(rawHeaders)) headers[k] = toJsonSafe(v);
  const fields: DecodedFields = {
    exchange: msg.fields.exchange ?? '',
    routingKey: msg.fields.routingKey ?? '',
    redelivered: !!msg.fields.redelivered,
  };
  if (msg.fields.deliveryTag !== undefined) fields.deliveryTag = msg.fields.deliveryTag;
  if (msg.fields.consumerTag !== undefined) fields.consumerTag = msg.fields.consumerTag;
  if (msg.fields.messageCount !== undefined) fields.messageCount = msg.fields.messageCount;
  const decoded: DecodedMessage = {
    index,
    body: decodeBody(msg.content, asString(props.contentType), opts),
    properties: decodeProperties(props),
    headers,
    fields,
  };
  const xd = normalizeXDeath(rawHeaders['x-death']);
  if (xd) decoded.xDeath = xd;
  return decoded;
}
