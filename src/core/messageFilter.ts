/**
 * Which messages a move, copy or redrive takes: a filter (header value, routing key pattern, text or
 * JSON-path match on the body) and message fingerprints (the messages selected in the inspector).
 * Pure functions; no broker access. Bad input fails with INVALID_INPUT naming the field.
 */
import { createHash } from 'node:crypto';
import { invalidInput } from './errors';
import { decodeProperties, toJsonSafe, type DecodedMessage, type JsonValue } from './message';
import { topicMatches } from './routing';

export interface MessageFilterSpec {
  /** A header's value as text equals `value` (or, without `value`, the header is present). */
  header?: { name: string; value?: string };
  /** A topic-style pattern (`*` one word, `#` zero or more) matched against the message's routing key. */
  routingKey?: string;
  /** The body, read as UTF-8, contains this text. */
  bodyContains?: string;
  /** A JSON path into the body (`$.order.items[0].sku`, `$["a b"]`); with `equals`, the value there must equal it (JSON, else text). */
  jsonPath?: { path: string; equals?: string };
}

/** The parts of a delivered message a filter looks at. */
export interface FilterableMessage {
  content: Buffer;
  routingKey: string;
  headers: Record<string, unknown> | undefined;
}

type PathStep = string | number;

export interface CompiledFilter {
  spec: MessageFilterSpec;
  matches(m: FilterableMessage): boolean;
  /** One line for the UI, e.g. `header tenant = "acme" and routing key order.*`. */
  describe(): string;
}

/** Parses `$.a.b[0]["c d"]` into steps. Throws INVALID_INPUT naming `field` and the position. */
export function parseJsonPath(path: string, field = 'filter.jsonPath.path'): PathStep[] {
  if (typeof path !== 'string' || !path.trim()) throw invalidInput(field, 'is empty', 'Write a path such as $.order.id or $.items[0].sku.');
  const s = path.trim();
  if (s[0] !== '$') throw invalidInput(field, `must start with "$" (got "${s}")`, 'Write a path such as $.order.id.');
  const steps: PathStep[] = [];
  let i = 1;
  while (i < s.length) {
    const c = s[i];
    if (c === '.') {
      const m = /^[A-Za-z_$][\w$-]*/.exec(s.slice(i + 1));
      if (!m) throw invalidInput(field, `expects a name after "." at position ${i + 1}`, 'Use $["odd name"] for names with spaces or symbols.');
      steps.push(m[0]);
      i += 1 + m[0].length;
    } else if (c === '[') {
      const rest = s.slice(i + 1);
      const num = /^(\d+)\]/.exec(rest);
      const quoted = /^"((?:[^"\\]|\\.)*)"\]/.exec(rest) ?? /^'((?:[^'\\]|\\.)*)'\]/.exec(rest);
      if (num) {
        steps.push(Number(num[1]));
        i += 1 + num[0].length;
      } else if (quoted) {
        steps.push(quoted[1].replace(/\\(.)/g, '$1'));
        i += 1 + quoted[0].length;
      } else throw invalidInput(field, `has an unreadable "[…]" at position ${i + 1}`, 'Use [0] for an array index or ["name"] for a key.');
    } else throw invalidInput(field, `has an unexpected "${c}" at position ${i + 1}`, 'Separate names with "." and indexes with [n].');
  }
  return steps;
}

function valueAt(root: unknown, steps: readonly PathStep[]): { found: boolean; value?: unknown } {
  let cur = root;
  for (const st of steps) {
    if (typeof st === 'number') {
      if (!Array.isArray(cur) || st >= cur.length) return { found: false };
      cur = cur[st];
    } else {
      if (!cur || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, st)) return { found: false };
      cur = (cur as Record<string, unknown>)[st];
    }
  }
  return { found: true, value: cur };
}

/** A header value as text: strings as they are, numbers and booleans printed, Buffers as UTF-8. */
function headerText(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (typeof v === 'object' && Object.hasOwn(v, '!') && Object.hasOwn(v, 'value')) return headerText((v as { value: unknown }).value);
  return JSON.stringify(toJsonSafe(v));
}

/** Validates a filter and compiles it. At least one condition; every given condition must match. */
export function compileFilter(spec: MessageFilterSpec): CompiledFilter {
  if (!spec || typeof spec !== 'object') throw invalidInput('filter', 'is required');
  const parts: string[] = [];
  const tests: ((m: FilterableMessage) => boolean)[] = [];
  if (spec.header !== undefined) {
    const name = spec.header?.name;
    if (typeof name !== 'string' || !name) throw invalidInput('filter.header.name', 'is empty', 'Name the header to match, e.g. tenant.');
    const value = spec.header.value;
    if (value !== undefined && typeof value !== 'string') throw invalidInput('filter.header.value', 'must be text');
    tests.push((m) => {
      const t = headerText(m.headers?.[name]);
      return value === undefined ? t !== undefined : t === value;
    });
    parts.push(value === undefined ? `header ${name} present` : `header ${name} = ${JSON.stringify(value)}`);
  }
  if (spec.routingKey !== undefined) {
    const p = spec.routingKey;
    if (typeof p !== 'string' || !p) throw invalidInput('filter.routingKey', 'is empty', 'Use a pattern such as order.* or order.#.');
    if (Buffer.byteLength(p) > 255) throw invalidInput('filter.routingKey', 'is longer than 255 bytes');
    tests.push((m) => topicMatches(p, m.routingKey));
    parts.push(`routing key ${p}`);
  }
  if (spec.bodyContains !== undefined) {
    const t = spec.bodyContains;
    if (typeof t !== 'string' || !t) throw invalidInput('filter.bodyContains', 'is empty', 'Type the text the body must contain.');
    const needle = Buffer.from(t, 'utf8');
    tests.push((m) => m.content.includes(needle));
    parts.push(`body contains ${JSON.stringify(t)}`);
  }
  if (spec.jsonPath !== undefined) {
    const steps = parseJsonPath(spec.jsonPath?.path);
    const eq = spec.jsonPath.equals;
    if (eq !== undefined && typeof eq !== 'string') throw invalidInput('filter.jsonPath.equals', 'must be text (JSON or plain)');
    let expected: unknown = eq;
    if (eq !== undefined) {
      try {
        expected = JSON.parse(eq);
      } catch {
        expected = eq;
      }
    }
    const want = eq === undefined ? undefined : JSON.stringify(expected);
    tests.push((m) => {
      let body: unknown;
      try {
        body = JSON.parse(m.content.toString('utf8'));
      } catch {
        return false;
      }
      const at = valueAt(body, steps);
      if (!at.found) return false;
      if (want === undefined) return true;
      return JSON.stringify(at.value) === want || (typeof expected === 'string' && typeof at.value !== 'string' && String(at.value) === expected);
    });
    parts.push(eq === undefined ? `${spec.jsonPath.path} exists` : `${spec.jsonPath.path} = ${eq}`);
  }
  if (!tests.length) throw invalidInput('filter', 'has no condition', 'Give a header, a routing key pattern, a body text or a JSON path.');
  return {
    spec,
    matches: (m) => tests.every((t) => t(m)),
    describe: () => parts.join(' and '),
  };
}

/** Headers the broker adds on delivery, not part of the stored message. */
export const DELIVERY_ANNOTATIONS = ['x-delivery-count', 'x-stream-offset', 'x-stream-chunk-timestamp', 'x-stream-filter-value'] as const;

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

function fingerprintOf(body: Buffer, properties: object, headers: Record<string, JsonValue>): string {
  const h = { ...headers };
  for (const k of DELIVERY_ANNOTATIONS) delete h[k];
  return createHash('sha256').update(body).update('\u0000').update(canonical(properties)).update('\u0000').update(canonical(h)).digest('hex').slice(0, 32);
}

/**
 * Identifies a message by its body, properties and headers (delivery annotations and the redelivered flag
 * left out), so a message picked in the inspector is found again in the queue. Identical messages share a
 * fingerprint: a selection counts how many of each it wants.
 */
export function fingerprintDecoded(d: DecodedMessage): string {
  if (d.body.truncated) throw invalidInput('selection', `message #${d.index + 1} was read with a truncated body and cannot be found again exactly`, 'Peek it again with the whole body.');
  return fingerprintOf(Buffer.from(d.body.base64, 'base64'), d.properties, d.headers);
}

/** The same fingerprint for a delivered message. */
export function fingerprintRaw(content: Buffer, properties: Record<string, unknown>): string {
  const raw = (properties.headers && typeof properties.headers === 'object' ? properties.headers : {}) as Record<string, unknown>;
  const headers: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(raw)) headers[k] = toJsonSafe(v);
  return fingerprintOf(content, decodeProperties(properties), headers);
}
