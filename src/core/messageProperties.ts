/**
 * The one schema for a message's AMQP basic properties as users write them: the publish command (args object
 * and its properties box), bulk files (JSON Lines), the inspector's republish and the RPC panel all read
 * properties through `parseMessageProperties`. An unknown name or a bad value is refused before anything is
 * sent, with the field and the allowed values in the message; nothing is ever dropped silently.
 */
import { invalidInput } from './errors';
import type { MessageProperties } from './operations';

/** Every property name the schema accepts, in the order they are listed to users. */
export const PROPERTY_NAMES = [
  'contentType',
  'contentEncoding',
  'deliveryMode',
  'persistent',
  'priority',
  'correlationId',
  'replyTo',
  'expiration',
  'messageId',
  'timestamp',
  'type',
  'userId',
  'appId',
] as const;

export type PropertyName = (typeof PROPERTY_NAMES)[number];

/** The input form of the properties: what a user may write in JSON (or pass in an args object). */
export interface MessagePropertiesInput {
  contentType?: string;
  contentEncoding?: string;
  /** 1 = transient, 2 = persistent. */
  deliveryMode?: 1 | 2;
  /** true = deliveryMode 2, false = deliveryMode 1. */
  persistent?: boolean;
  /** A whole number 0–255 (a string of digits is accepted). */
  priority?: number | string;
  correlationId?: string;
  replyTo?: string;
  /** Per-message TTL: a whole number of milliseconds (number or string of digits). */
  expiration?: number | string;
  messageId?: string;
  /** true = now; seconds since the epoch; an ISO date; a Date; amqplib's { "!": "timestamp", value }. */
  timestamp?: boolean | number | string | Date | { '!': 'timestamp'; value: number };
  type?: string;
  /** Must be the connected user's name (RabbitMQ refuses another). */
  userId?: string;
  appId?: string;
}

export interface ParsePropertiesOptions {
  /**
   * Prefix of the field names in errors: "properties" gives "properties.priority"; "line 3.properties"
   * gives "line 3.properties.priority". Default "properties".
   */
  field?: string;
  /** Names refused with a reason (e.g. the RPC client sets replyTo and correlationId itself). */
  reserved?: Partial<Record<PropertyName, string>>;
  /** Forms: an empty string means "not set". Files keep "" as a value. Default false. */
  emptyIsUnset?: boolean;
  /** For `timestamp: true` (ms since the epoch). Default Date.now(). */
  now?: number;
}

const MAX_SHORTSTR = 255;
const MAX_EXPIRATION = 0xffffffff;

function allowedNames(): string {
  return PROPERTY_NAMES.join(', ');
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (v instanceof Date) return v.toISOString();
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/**
 * Validates a properties object and converts it to what the core publishes. `undefined`/`null` input gives
 * `{}`; a `null` value means "not set". Throws RabbitError INVALID_INPUT naming the field at fault.
 */
export function parseMessageProperties(input: unknown, options: ParsePropertiesOptions = {}): MessageProperties {
  const prefix = options.field ?? 'properties';
  const at = (name: string) => `${prefix}.${name}`;
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input) || Buffer.isBuffer(input) || input instanceof Date) {
    throw invalidInput(prefix, `must be an object of property name → value (got ${show(input)})`, `Known properties: ${allowedNames()}.`);
  }
  const p = input as Record<string, unknown>;
  const out: MessageProperties = {};
  for (const name of Object.keys(p)) {
    if (!(PROPERTY_NAMES as readonly string[]).includes(name)) {
      const hint =
        name === 'headers'
          ? 'Headers are not a property: pass them as "headers" next to "properties".'
          : name === 'clusterId'
            ? 'clusterId is deprecated in AMQP 0-9-1 and RabbitMQ refuses it; put it in a header.'
            : `Known properties: ${allowedNames()}. Put custom values in headers.`;
      throw invalidInput(at(name), 'is not an AMQP message property', hint);
    }
  }
  for (const name of PROPERTY_NAMES) {
    if (!Object.hasOwn(p, name)) continue;
    const v = p[name];
    if (v === undefined || v === null) continue;
    if (options.emptyIsUnset && v === '') continue;
    const reserved = options.reserved?.[name];
    if (reserved !== undefined) throw invalidInput(at(name), 'cannot be set here', reserved);
    switch (name) {
      case 'deliveryMode':
        if (v !== 1 && v !== 2) throw invalidInput(at(name), `must be 1 (transient) or 2 (persistent) (got ${show(v)})`);
        out.deliveryMode = v;
        break;
      case 'persistent':
        if (typeof v !== 'boolean') throw invalidInput(at(name), `must be true (deliveryMode 2) or false (deliveryMode 1) (got ${show(v)})`);
        break;
      case 'priority':
        out.priority = wholeNumber(at(name), v, 0, 255, 'a whole number from 0 to 255');
        break;
      case 'expiration':
        out.expiration = String(wholeNumber(at(name), v, 0, MAX_EXPIRATION, `a whole number of milliseconds from 0 to ${MAX_EXPIRATION}, e.g. "60000"`));
        break;
      case 'timestamp': {
        if (v === false) break;
        out.timestamp = v === true ? Math.floor((options.now ?? Date.now()) / 1000) : timestampSeconds(at(name), v);
        break;
      }
      default: {
        if (typeof v !== 'string') throw invalidInput(at(name), `must be a string (got ${show(v)})`, name === 'messageId' || name === 'correlationId' ? 'Quote it: ids are strings in AMQP, e.g. "42".' : undefined);
        const bytes = v.length * 3 > MAX_SHORTSTR ? Buffer.byteLength(v, 'utf8') : 0;
        if (bytes > MAX_SHORTSTR) throw invalidInput(at(name), `is ${bytes} bytes long; AMQP allows at most 255 bytes (UTF-8)`, 'Shorten it, or put long values in headers.');
        out[name] = v;
      }
    }
  }
  if (typeof p.persistent === 'boolean') {
    const mode = p.persistent ? 2 : 1;
    if (out.deliveryMode !== undefined && out.deliveryMode !== mode) {
      throw invalidInput(at('persistent'), `is ${String(p.persistent)} but deliveryMode is ${out.deliveryMode}`, 'Keep one of them.');
    }
    out.deliveryMode = mode;
  }
  return out;
}

/** A whole number in [min, max] from a number or a string of digits (what a form gives). */
function wholeNumber(field: string, v: unknown, min: number, max: number, allowed: string): number {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^\s*\d{1,16}\s*$/.test(v)) n = Number(v.trim());
  else throw invalidInput(field, `must be ${allowed} (got ${show(v)})`);
  if (!Number.isInteger(n) || n < min || n > max) throw invalidInput(field, `must be ${allowed} (got ${show(v)})`);
  return n;
}

/** Seconds since the epoch from seconds, an ISO date, a Date or amqplib's typed timestamp. */
export function timestampSeconds(field: string, v: unknown): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return Math.floor(v);
  if (typeof v === 'string' && v.trim() !== '') {
    const ms = Date.parse(v);
    if (!Number.isNaN(ms) && ms >= 0) return Math.floor(ms / 1000);
  }
  if (v instanceof Date && !Number.isNaN(v.getTime()) && v.getTime() >= 0) return Math.floor(v.getTime() / 1000);
  if (v && typeof v === 'object' && (v as { '!'?: unknown })['!'] === 'timestamp') return timestampSeconds(field, (v as { value: unknown }).value);
  throw invalidInput(field, `must be true (now), seconds since the epoch or an ISO date such as "2024-05-01T10:00:00Z" (got ${show(v)})`);
}
