/**
 * Headers kept byte for byte when a message is republished (move, copy, redrive).
 *
 * amqplib decodes a header table into plain JavaScript values and forgets the AMQP field types: an int32
 * `5`, an int8 `5` and an unsigned short `5` all arrive as the number 5, and amqplib encodes that number
 * back as an int8; an int64 beyond 2^53 loses digits. Republishing such headers would silently change
 * them. So, on a connection used for moving, the raw bytes of each content header frame's header table are
 * kept next to the decoded headers (`captureRawHeaders`), and `typedHeaders` decodes those bytes into
 * values tagged with their type (`{ '!': 'int32', value: 5 }`), which amqplib encodes back to the same
 * bytes. Without captured bytes (another connection, a different amqplib), the decoded values are used and
 * `exact` is false.
 */
import type { ChannelModel } from 'amqplib';

const RAW = Symbol('rawHeaderTable');
const HOOKED = Symbol('rawHeaderHook');

/** A header value as amqplib encodes it without guessing. */
export type TypedFieldValue =
  | string
  | boolean
  | null
  | Buffer
  | TypedFieldValue[]
  | { '!': TypedTag; value: unknown }
  | TypedTable;
export interface TypedTable {
  [key: string]: TypedFieldValue;
}
export type TypedTag = 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'float' | 'double' | 'timestamp' | 'decimal';

/** The headers of a message, typed, and whether they are exactly what the broker sent. */
export interface TypedHeaders {
  headers: TypedTable;
  /** True when decoded from the raw bytes and every value encodes back to the same bytes. */
  exact: boolean;
  /** Why not exact, when not. */
  lossNote?: string;
}

interface RawConnection {
  rest?: Buffer;
  recvFrame?: () => unknown;
  [HOOKED]?: boolean;
}

/**
 * Keeps the raw header table of every content header frame received on this connection (attached,
 * invisible to enumeration, to the decoded `properties.headers` object). Idempotent; returns false when
 * amqplib's connection does not have the shape this relies on (then nothing is changed).
 */
export function captureRawHeaders(model: ChannelModel): boolean {
  const conn = (model as unknown as { connection?: RawConnection }).connection;
  if (!conn || typeof conn.recvFrame !== 'function' || !Buffer.isBuffer(conn.rest)) return false;
  if (conn[HOOKED]) return true;
  const original = conn.recvFrame;
  conn.recvFrame = function (this: RawConnection): unknown {
    // A frame: type (1), channel (2), size (4), payload, end marker 0xCE. Type 2 is a content header.
    const rest = this.rest;
    let table: Buffer | undefined;
    if (rest && rest.length >= 7 && rest[0] === 2) {
      const size = rest.readUInt32BE(3);
      if (rest.length >= 8 + size) table = headerTableOf(rest.subarray(7, 7 + size));
    }
    const frame = original.call(this) as { fields?: { headers?: object } } | false;
    if (table && frame && frame.fields?.headers && typeof frame.fields.headers === 'object') {
      Object.defineProperty(frame.fields.headers, RAW, { value: table, enumerable: false });
    }
    return frame;
  };
  conn[HOOKED] = true;
  return true;
}

/** The header table bytes inside a basic content header payload, copied; undefined when it has none. */
function headerTableOf(payload: Buffer): Buffer | undefined {
  // class (2), weight (2), body size (8), property flags (2), then the present properties in order.
  if (payload.length < 14) return undefined;
  const flags = payload.readUInt16BE(12);
  if (!(flags & 0x2000)) return undefined;
  let offset = 14;
  if (flags & 0x8000) offset += 1 + payload[offset];
  if (flags & 0x4000) offset += 1 + payload[offset];
  if (offset + 4 > payload.length) return undefined;
  const len = payload.readUInt32BE(offset);
  if (offset + 4 + len > payload.length) return undefined;
  return Buffer.from(payload.subarray(offset + 4, offset + 4 + len));
}

/** The raw table bytes captured for these decoded headers, if any. */
export function rawHeaderTable(headers: unknown): Buffer | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  const raw = (headers as { [RAW]?: Buffer })[RAW];
  return Buffer.isBuffer(raw) ? raw : undefined;
}

/** Decodes a raw AMQP field table into typed values. Throws on malformed input. */
export function decodeTypedTable(buf: Buffer): { table: TypedTable; exact: boolean; lossNote?: string } {
  const state = { exact: true, lossNote: undefined as string | undefined };
  const table = readTable(buf, 0, buf.length, state);
  return { table, exact: state.exact, lossNote: state.lossNote };
}

/**
 * The entries of a raw AMQP field table, each as its own bytes (name length, name, type tag, value), in table order.
 * Compares tables entry by entry where the order differs (RabbitMQ 4.x delivers every table with its keys sorted).
 */
export function tableEntries(buf: Buffer): { key: string; bytes: Buffer }[] {
  const out: { key: string; bytes: Buffer }[] = [];
  const state = { exact: true, lossNote: undefined as string | undefined };
  let offset = 0;
  while (offset < buf.length) {
    const start = offset;
    const klen = buf[offset];
    const key = buf.toString('utf8', offset + 1, offset + 1 + klen);
    offset = readValue(buf, offset + 1 + klen, state)[1];
    out.push({ key, bytes: buf.subarray(start, offset) });
  }
  return out;
}

function readTable(buf: Buffer, start: number, end: number, state: { exact: boolean; lossNote?: string }): TypedTable {
  const out: TypedTable = {};
  let offset = start;
  while (offset < end) {
    const klen = buf[offset];
    offset++;
    const key = buf.toString('utf8', offset, offset + klen);
    offset += klen;
    const [v, next] = readValue(buf, offset, state);
    offset = next;
    if (/^(0|[1-9]\d*)$/.test(key) && Number(key) < 2 ** 32 - 1) {
      // JavaScript objects list integer-like keys first: the order of keys may change on the way out.
      state.exact = false;
      state.lossNote ??= `header "${key}" has an integer-like name; its position among the headers may change`;
    }
    out[key] = v;
  }
  return out;
}

function readValue(buf: Buffer, offset: number, state: { exact: boolean; lossNote?: string }): [TypedFieldValue, number] {
  const tag = String.fromCharCode(buf[offset]);
  offset++;
  switch (tag) {
    case 't':
      return [buf[offset] !== 0, offset + 1];
    case 'b':
      return [{ '!': 'int8', value: buf.readInt8(offset) }, offset + 1];
    case 'B':
      return [{ '!': 'uint8', value: buf.readUInt8(offset) }, offset + 1];
    case 's':
      return [{ '!': 'int16', value: buf.readInt16BE(offset) }, offset + 2];
    case 'u':
      return [{ '!': 'uint16', value: buf.readUInt16BE(offset) }, offset + 2];
    case 'I':
      return [{ '!': 'int32', value: buf.readInt32BE(offset) }, offset + 4];
    case 'i':
      return [{ '!': 'uint32', value: buf.readUInt32BE(offset) }, offset + 4];
    case 'l':
      return [{ '!': 'int64', value: buf.readBigInt64BE(offset) }, offset + 8];
    case 'f':
      return [{ '!': 'float', value: buf.readFloatBE(offset) }, offset + 4];
    case 'd':
      return [{ '!': 'double', value: buf.readDoubleBE(offset) }, offset + 8];
    case 'D':
      return [{ '!': 'decimal', value: { places: buf[offset], digits: buf.readUInt32BE(offset + 1) } }, offset + 5];
    case 'T': {
      const v = buf.readBigUInt64BE(offset);
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
        state.exact = false;
        state.lossNote ??= 'a timestamp header is beyond 2^53 seconds';
      }
      return [{ '!': 'timestamp', value: Number(v) }, offset + 8];
    }
    case 'S': {
      const len = buf.readUInt32BE(offset);
      const bytes = buf.subarray(offset + 4, offset + 4 + len);
      const s = bytes.toString('utf8');
      if (!Buffer.from(s, 'utf8').equals(bytes)) {
        state.exact = false;
        state.lossNote ??= 'a string header is not valid UTF-8';
      }
      return [s, offset + 4 + len];
    }
    case 'x': {
      const len = buf.readUInt32BE(offset);
      return [Buffer.from(buf.subarray(offset + 4, offset + 4 + len)), offset + 4 + len];
    }
    case 'V':
      return [null, offset];
    case 'F': {
      const len = buf.readUInt32BE(offset);
      return [readTable(buf, offset + 4, offset + 4 + len, state), offset + 4 + len];
    }
    case 'A': {
      const len = buf.readUInt32BE(offset);
      const end = offset + 4 + len;
      const arr: TypedFieldValue[] = [];
      let o = offset + 4;
      while (o < end) {
        const [v, next] = readValue(buf, o, state);
        arr.push(v);
        o = next;
      }
      return [arr, end];
    }
    default:
      throw new Error(`Unknown AMQP field type "${tag}" in a header table`);
  }
}

/**
 * The headers of a delivered message, typed for republishing: from the captured raw bytes when there are
 * some, else from amqplib's decoded values (numbers then encode as amqplib guesses: `exact` is false when
 * any number is present). `drop` names headers to leave out (delivery annotations such as x-delivery-count).
 */
export function typedHeaders(headers: Record<string, unknown> | undefined, drop: readonly string[] = []): TypedHeaders {
  const raw = rawHeaderTable(headers);
  let table: TypedTable;
  let exact: boolean;
  let lossNote: string | undefined;
  if (raw) {
    try {
      const d = decodeTypedTable(raw);
      table = d.table;
      exact = d.exact;
      lossNote = d.lossNote;
    } catch (e) {
      ({ table, exact, lossNote } = fromDecoded(headers ?? {}));
      lossNote = `the raw header table could not be read (${(e as Error).message}); ${lossNote ?? 'decoded values used'}`;
      exact = false;
    }
  } else ({ table, exact, lossNote } = fromDecoded(headers ?? {}));
  for (const k of drop) delete table[k];
  return { headers: table, exact, lossNote };
}

function fromDecoded(headers: Record<string, unknown>): { table: TypedTable; exact: boolean; lossNote?: string } {
  let exact = true;
  const walk = (v: unknown): TypedFieldValue => {
    if (typeof v === 'number') {
      exact = false;
      return Number.isInteger(v) ? (v as unknown as TypedFieldValue) : { '!': 'double', value: v };
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object' && !Buffer.isBuffer(v) && !Object.hasOwn(v, '!')) {
      const o: TypedTable = {};
      for (const [k, x] of Object.entries(v)) o[k] = walk(x);
      return o;
    }
    return v as TypedFieldValue;
  };
  const table: TypedTable = {};
  for (const [k, v] of Object.entries(headers)) table[k] = walk(v);
  return { table, exact, lossNote: exact ? undefined : 'the header bytes were not captured; numbers are re-encoded by value' };
}
