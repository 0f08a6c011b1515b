/**
 * The publish command's input (args object or what the prompts collected) → core PublishOptions, checked
 * before anything is sent. No 'vscode' import.
 */
import { invalidInput } from '../../core/errors';
import { parseJsonObject } from '../../core/json';
import type { AmqpTable, PublishOptions } from '../../core/operations';
import { headersFromJson, parseTimestamp } from './jsonl';

/** Properties the publish command accepts (the user-facing names). */
export interface PublishPropertiesInput {
  contentType?: string;
  contentEncoding?: string;
  persistent?: boolean;
  priority?: number | string;
  correlationId?: string;
  replyTo?: string;
  expiration?: string | number;
  messageId?: string;
  type?: string;
  appId?: string;
  userId?: string;
  /** true = now; a number = seconds since the epoch; a string = ISO date. */
  timestamp?: boolean | number | string;
}

/** The args object of `rabbitmq.publish` (everything optional: prompts ask for what is missing). */
export interface PublishArgs {
  connectionId?: string;
  vhost?: string;
  /** '' = the default exchange (routing key = queue name). */
  exchange?: string;
  routingKey?: string;
  /** A queue: publish through the default exchange with routing key = queue. */
  queue?: string;
  body?: string;
  bodyBase64?: string;
  /** Path of a file whose bytes are the body. */
  bodyFile?: string;
  properties?: PublishPropertiesInput;
  /** An object, or JSON text of one. */
  headers?: Record<string, unknown> | string;
  /** Skip every prompt (tests): missing values are errors. */
  quiet?: boolean;
}

/** Header JSON typed by the user → an AMQP table; names the problem in the text. */
export function parseHeaders(input: Record<string, unknown> | string | undefined): AmqpTable | undefined {
  if (input === undefined) return undefined;
  const value: unknown = typeof input === 'string' ? parseJsonObject('headers', input, '{"x-tenant": "a", "attempt": 1}') : input;
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidInput('headers', 'must be a JSON object of name → value', 'Write an object, e.g. {"x-tenant": "a"}.');
  }
  return headersFromJson(value as Record<string, unknown>);
}

/** Builds the core's publish options; throws INVALID_INPUT naming the field. `body` must be resolved already. */
export function toPublishOptions(exchange: string, routingKey: string, body: Buffer, props: PublishPropertiesInput = {}, headers?: Record<string, unknown> | string, now = Date.now()): PublishOptions {
  if (typeof exchange !== 'string') throw invalidInput('exchange', 'must be a string');
  if (typeof routingKey !== 'string') throw invalidInput('routingKey', 'must be a string');
  const rkBytes = Buffer.byteLength(routingKey, 'utf8');
  if (rkBytes > 255) throw invalidInput('routingKey', `is ${rkBytes} bytes long; AMQP allows at most 255 bytes (UTF-8)`, 'Shorten it; put long data in headers or the body.');
  const out: PublishOptions = { exchange, routingKey, body, mandatory: true };
  for (const k of ['contentType', 'contentEncoding', 'correlationId', 'replyTo', 'messageId', 'type', 'appId', 'userId'] as const) {
    const v = props[k];
    if (v === undefined || v === '') continue;
    if (typeof v !== 'string') throw invalidInput(k, 'must be a string');
    out[k] = v;
  }
  if (props.persistent !== undefined) {
    if (typeof props.persistent !== 'boolean') throw invalidInput('persistent', 'must be true or false');
    out.deliveryMode = props.persistent ? 2 : 1;
  }
  if (props.priority !== undefined && props.priority !== '') {
    const n = typeof props.priority === 'string' ? Number(props.priority.trim()) : props.priority;
    if (!Number.isInteger(n) || n < 0 || n > 255) throw invalidInput('priority', `must be a whole number 0–255 (got ${JSON.stringify(props.priority)})`);
    out.priority = n;
  }
  if (props.expiration !== undefined && props.expiration !== '') {
    const s = String(props.expiration).trim();
    if (!/^\d{1,10}$/.test(s)) throw invalidInput('expiration', `must be a whole number of milliseconds, e.g. "60000" (got ${JSON.stringify(props.expiration)})`);
    out.expiration = s;
  }
  if (props.timestamp !== undefined && props.timestamp !== false && props.timestamp !== '') {
    out.timestamp = props.timestamp === true ? Math.floor(now / 1000) : parseTimestamp(props.timestamp, 'timestamp');
  }
  const h = parseHeaders(headers);
  if (h) out.headers = h;
  return out;
}

/** The body bytes from the args (text, base64 or nothing). Files are read by the caller. */
export function bodyFromArgs(args: Pick<PublishArgs, 'body' | 'bodyBase64'>): Buffer | undefined {
  if (args.body !== undefined && args.bodyBase64 !== undefined) throw invalidInput('body', 'and bodyBase64 are both set', 'Keep one.');
  if (args.body !== undefined) {
    if (typeof args.body !== 'string') throw invalidInput('body', 'must be a string');
    return Buffer.from(args.body, 'utf8');
  }
  if (args.bodyBase64 !== undefined) {
    if (typeof args.bodyBase64 !== 'string' || !/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(args.bodyBase64)) throw invalidInput('bodyBase64', 'is not valid base64');
    return Buffer.from(args.bodyBase64, 'base64');
  }
  return undefined;
}

/** Checks the size before the body is read or sent. */
export function checkBodySize(size: number, limit: number): void {
  if (size > limit) {
    throw invalidInput('body', `is ${size} bytes; the limit is ${limit} bytes`, 'Send a smaller message or raise max_message_size on the broker.');
  }
}
