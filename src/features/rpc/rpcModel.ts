/**
 * The RPC panel's model, without 'vscode': the form (or the command's args object) validated into a request
 * before anything is sent, replies turned into what the page shows, and the bounded per-workspace history and
 * saved requests kept in any Memento-like store (VS Code's workspaceState in the extension, a Map in tests).
 */
import { invalidInput, isRabbitError } from '../../core/errors';
import { parseJsonObject } from '../../core/json';
import type { DecodedMessage } from '../../core/message';
import type { PublishOptions } from '../../core/operations';
import { toPublishOptions, type PublishPropertiesInput } from '../messaging/publishInput';
import { toViewMessage } from '../messaging/inspectorModel';
import type { CallView, ReplyMode, RpcForm, SavedRequest } from './rpcProtocol';

export const DEFAULT_TIMEOUT_MS = 10_000;
export const MAX_TIMEOUT_MS = 10 * 60_000;
/** History entries kept per workspace. */
export const HISTORY_LIMIT = 100;
export const SAVED_LIMIT = 200;
/** Reply bodies kept in the history are cut at this many bytes (the live view keeps up to VIEW_BODY_LIMIT). */
export const HISTORY_BODY_LIMIT = 64 * 1024;

export function emptyForm(over: Partial<RpcForm> = {}): RpcForm {
  return {
    targetKind: 'queue',
    queue: '',
    exchange: '',
    routingKey: '',
    body: '',
    contentType: 'application/json',
    properties: '',
    headers: '',
    timeoutMs: DEFAULT_TIMEOUT_MS,
    replyMode: 'direct',
    ...over,
  };
}

/** A request checked and ready to send. */
export interface RpcRequest {
  /** Publish options (exchange, routing key, body, properties, headers); replyTo/correlationId set by the client. */
  publish: PublishOptions;
  timeoutMs: number;
  replyMode: ReplyMode;
}

const isJsonType = (ct: string) => /(^|[/+])json\b/i.test(ct.trim());

/** Validates the form; throws RabbitError INVALID_INPUT naming the field. Nothing is sent on failure. */
export function validateForm(form: RpcForm): RpcRequest {
  if (!form || typeof form !== 'object') throw invalidInput('form', 'is required');
  let exchange: string;
  let routingKey: string;
  if (form.targetKind === 'queue') {
    if (typeof form.queue !== 'string' || form.queue.trim() === '') throw invalidInput('queue', 'is empty', 'Enter the queue the RPC server consumes (e.g. rpc_queue), or choose an exchange.');
    exchange = '';
    routingKey = form.queue;
  } else if (form.targetKind === 'exchange') {
    if (typeof form.exchange !== 'string') throw invalidInput('exchange', 'must be a string');
    if (typeof form.routingKey !== 'string') throw invalidInput('routingKey', 'must be a string');
    exchange = form.exchange;
    routingKey = form.routingKey;
  } else {
    throw invalidInput('targetKind', `must be "queue" or "exchange" (got ${JSON.stringify(form.targetKind)})`);
  }
  if (typeof form.body !== 'string') throw invalidInput('body', 'must be text');
  const contentType = typeof form.contentType === 'string' ? form.contentType.trim() : '';
  if (contentType && isJsonType(contentType)) {
    try {
      JSON.parse(form.body);
    } catch (e) {
      throw invalidInput('body', `is not valid JSON (${(e as Error).message}) but the content type is ${contentType}`, 'Fix the JSON, or change the content type (e.g. text/plain).');
    }
  }
  const props = parseObject('properties', form.properties) as PublishPropertiesInput;
  for (const k of ['replyTo', 'correlationId'] as const) {
    if (props[k] !== undefined) throw invalidInput(`properties.${k}`, 'is set by the RPC client', 'Remove it: every call gets its own correlation id and reply queue.');
  }
  if (contentType) props.contentType = contentType;
  const timeoutMs = parseTimeout(form.timeoutMs);
  const replyMode = form.replyMode ?? 'direct';
  if (replyMode !== 'direct' && replyMode !== 'exclusive') throw invalidInput('replyMode', `must be "direct" or "exclusive" (got ${JSON.stringify(replyMode)})`);
  const publish = toPublishOptions(exchange, routingKey, Buffer.from(form.body, 'utf8'), props, form.headers === '' ? undefined : form.headers);
  return { publish, timeoutMs, replyMode };
}

function parseObject(field: string, input: unknown): Record<string, unknown> {
  if (input === undefined || input === null) return {};
  const value = typeof input === 'string' ? (parseJsonObject(field, input, '{"appId": "cli", "expiration": "5000"}') ?? {}) : input;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidInput(field, 'must be a JSON object');
  return { ...(value as Record<string, unknown>) };
}

function parseTimeout(v: unknown): number {
  const n = typeof v === 'string' ? (v.trim() === '' ? DEFAULT_TIMEOUT_MS : Number(v.trim())) : v === undefined ? DEFAULT_TIMEOUT_MS : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_TIMEOUT_MS) {
    throw invalidInput('timeoutMs', `must be a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS} (got ${JSON.stringify(v)})`);
  }
  return n;
}

/** The args object of `rabbitmq.rpcCall` (headless form, for tests and other commands). */
export interface RpcCallArgs {
  connectionId?: string;
  vhost?: string;
  exchange?: string;
  routingKey?: string;
  /** Shortcut: default exchange, routing key = queue. */
  queue?: string;
  /** Text, or any JSON value (sent as JSON, content type application/json unless set). */
  body?: unknown;
  properties?: Record<string, unknown> | string;
  headers?: Record<string, unknown> | string;
  timeoutMs?: number;
  replyMode?: ReplyMode;
}

/** True when the args describe a call to make now (no panel). */
export function isHeadlessArgs(a: RpcCallArgs): boolean {
  return a.routingKey !== undefined || a.queue !== undefined;
}

/** Args object → form (then validated like the panel's form). */
export function argsToForm(a: RpcCallArgs): RpcForm {
  let body = '';
  let contentType = '';
  const props = parseObject('properties', a.properties);
  if (props.contentType !== undefined) {
    if (typeof props.contentType !== 'string') throw invalidInput('properties.contentType', 'must be a string');
    contentType = props.contentType;
    delete props.contentType;
  }
  if (typeof a.body === 'string') body = a.body;
  else if (Buffer.isBuffer(a.body)) body = a.body.toString('utf8');
  else if (a.body !== undefined) {
    body = JSON.stringify(a.body);
    if (body === undefined) throw invalidInput('body', 'cannot be sent as JSON');
    contentType ||= 'application/json';
  }
  if (a.queue !== undefined && (typeof a.queue !== 'string' || a.queue === '')) throw invalidInput('queue', 'must be a queue name');
  if (a.exchange !== undefined && typeof a.exchange !== 'string') throw invalidInput('exchange', 'must be a string ("" is the default exchange)');
  const headers = a.headers === undefined ? '' : typeof a.headers === 'string' ? a.headers : JSON.stringify(a.headers);
  return emptyForm({
    targetKind: a.queue !== undefined ? 'queue' : 'exchange',
    queue: a.queue ?? '',
    exchange: a.exchange ?? '',
    routingKey: a.routingKey ?? '',
    body,
    contentType,
    properties: Object.keys(props).length ? JSON.stringify(props) : '',
    headers,
    timeoutMs: a.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    replyMode: a.replyMode ?? 'direct',
  });
}

/** A reply (decoded) → the page's view of it. */
export function replyView(reply: DecodedMessage, id: string, bodyLimit?: number): CallView['reply'] {
  return toViewMessage(reply, id, 1, { bodyLimit });
}

/** An error → code and text for the page. */
export function errorFields(e: unknown): Pick<CallView, 'errorCode' | 'errorMessage'> {
  if (isRabbitError(e)) return { errorCode: e.code, errorMessage: e.message };
  return { errorCode: 'ERROR', errorMessage: e instanceof Error ? e.message : String(e) };
}

// ---------------------------------------------------------------------------------------------- history

/** The part of vscode.Memento the history needs. */
export interface KeyValueStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void> | Promise<void>;
}

const HISTORY_KEY = 'rabbitmq.rpc.history';
const SAVED_KEY = 'rabbitmq.rpc.saved';

/** Per-workspace history of calls (newest first, bounded) and named saved requests. */
export class RpcHistory {
  constructor(
    private readonly store: KeyValueStore,
    private readonly limit = HISTORY_LIMIT,
  ) {}

  list(): CallView[] {
    const v = this.store.get<CallView[]>(HISTORY_KEY);
    return Array.isArray(v) ? v : [];
  }

  get(id: string): CallView | undefined {
    return this.list().find((c) => c.id === id);
  }

  /** Adds or replaces a finished call (pending calls are not persisted). */
  async record(call: CallView): Promise<void> {
    const slim = slimForHistory(call);
    const list = this.list().filter((c) => c.id !== call.id);
    list.unshift(slim);
    await this.store.update(HISTORY_KEY, list.slice(0, this.limit));
  }

  async clear(): Promise<void> {
    await this.store.update(HISTORY_KEY, []);
  }

  saved(): SavedRequest[] {
    const v = this.store.get<SavedRequest[]>(SAVED_KEY);
    return Array.isArray(v) ? v : [];
  }

  /** Saves (or overwrites) a request under a name. */
  async save(name: string, form: RpcForm, now = new Date()): Promise<SavedRequest> {
    const n = typeof name === 'string' ? name.trim() : '';
    if (!n) throw invalidInput('name', 'is empty', 'Give the request a name.');
    if (n.length > 200) throw invalidInput('name', 'is longer than 200 characters');
    const entry: SavedRequest = { name: n, form: { ...form }, savedAt: now.toISOString() };
    const list = this.saved().filter((s) => s.name !== n);
    list.push(entry);
    list.sort((a, b) => a.name.localeCompare(b.name));
    if (list.length > SAVED_LIMIT) throw invalidInput('name', `would be saved request number ${list.length}; at most ${SAVED_LIMIT} are kept`, 'Delete saved requests you no longer need.');
    await this.store.update(SAVED_KEY, list);
    return entry;
  }

  async deleteSaved(name: string): Promise<boolean> {
    const list = this.saved();
    const rest = list.filter((s) => s.name !== name);
    if (rest.length === list.length) return false;
    await this.store.update(SAVED_KEY, rest);
    return true;
  }
}

/** Keeps history small: reply bodies cut at HISTORY_BODY_LIMIT. */
function slimForHistory(call: CallView): CallView {
  const r = call.reply;
  if (!r || r.body.size <= HISTORY_BODY_LIMIT) return call;
  const base64 = r.body.base64.slice(0, Math.ceil(HISTORY_BODY_LIMIT / 3) * 4);
  const text = r.body.text !== undefined ? r.body.text.slice(0, HISTORY_BODY_LIMIT) : undefined;
  return { ...call, reply: { ...r, body: { ...r.body, base64, text, truncated: true } } };
}
