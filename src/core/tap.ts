/**
 * Live tap on an exchange that never changes what the broker does with a message.
 *
 * A tap owns temporary exclusive, auto-delete queues (named rabbitmq-workbench.tap.<random>), consumed without acks. How they get their
 * copies depends on the exchange (see planTap):
 * - "bindings": the tap queue is bound to the exchange with copies of the bindings the exchange already has
 *   to queues. A message matches a copy only if it matches the original, so the set of messages the exchange
 *   routes is unchanged: every queue gets what it got before, an unroutable message stays unroutable (its
 *   alternate exchange still gets it, a mandatory publisher still gets it back). When the exchange has an
 *   alternate exchange, a second tap queue gets copies of the alternate exchange's own queue bindings and
 *   keeps only the messages first published to the tapped exchange: the unroutable ones, shown as such.
 *   The copies follow the real bindings (re-read every couple of seconds, see `resyncMs`).
 * - "tracer": the broker's firehose (`amq.rabbitmq.trace`) is switched on for the vhost through the management
 *   API; the tap queue is bound to the trace exchange for this exchange's publishes. Routing is untouched and
 *   every message is seen, routed or not, but while it is on the broker copies every publish and delivery of
 *   the vhost to the trace exchange. Only on request; switched back off when the last tap using it ends
 *   (never switched off when it was already on before).
 * - refused where no safe way exists: the default exchange, exchanges that spread messages over their bound
 *   queues (consistent hash, random …: an extra queue would take a share), exchange types whose routing is
 *   not known, and exchanges that route nothing to any queue without an alternate exchange.
 *
 * Stopping cancels, deletes the queues (with their bindings) and closes the channel; the exclusive queues also
 * die with the connection.
 */
import { randomBytes } from 'node:crypto';
import type { Channel, ConsumeMessage } from 'amqplib';
import { invalidInput, RabbitError } from './errors';
import type { ManagementClient } from './management';
import { decodeMessage, type DecodedMessage, type DecodeOptions } from './message';
import type { BindingInfo, ExchangeInfo } from './model';
import { closeQuietly, type AmqpSession } from './session';

export type TapMechanism = 'bindings' | 'tracer';

/** What planTap needs to know about the exchange (read through the management API). */
export interface TapTopology {
  exchange: ExchangeInfo;
  /** Bindings whose source is the exchange. */
  bindings: BindingInfo[];
  /** The alternate exchange (argument, else policy), when one is set. */
  alternate?: {
    name: string;
    /** undefined: the named exchange does not exist (unroutable messages are then dropped or returned). */
    exchange?: ExchangeInfo;
    bindings: BindingInfo[];
  };
}

export interface TapBinding {
  routingKey: string;
  arguments?: Record<string, unknown>;
}

export type TapRefusal = 'default-exchange' | 'distributing-type' | 'unknown-type' | 'nothing-routed';

export interface TapPlan {
  mechanism: TapMechanism;
  exchange: string;
  exchangeType: string;
  /** bindings: copies bound to the exchange itself (what it already routes to a queue). */
  bindings: TapBinding[];
  /** bindings: the alternate exchange and the copies of its queue bindings (the unroutable messages it routes to a queue). */
  alternate?: { exchange: string; bindings: TapBinding[] };
  /** bindings: unroutable messages are not seen (no alternate exchange, or it routes them nowhere). */
  unroutableHidden: boolean;
}

/** Exchange types that pick one (or some) of the bound queues per message: an extra binding takes a share. */
export const DISTRIBUTING_EXCHANGE_TYPES = ['x-consistent-hash', 'x-random', 'x-local-random', 'x-modulus-hash'];
/** Types whose routing is a per-binding match, so that a copy of a binding matches exactly what the original does. */
const MATCHING_TYPES = ['direct', 'topic', 'fanout', 'headers'];

/** Copies of the exchange's bindings to queues that route exactly the same messages (deduplicated). */
function copiesOf(type: string, bindings: BindingInfo[], exclude: ReadonlySet<string>): TapBinding[] {
  const toQueues = bindings.filter((b) => b.destinationType === 'queue' && !exclude.has(b.destination) && !isTapQueue(b.destination));
  if (type === 'fanout') return toQueues.length ? [{ routingKey: '' }] : [];
  const seen = new Map<string, TapBinding>();
  for (const b of toQueues) {
    const copy: TapBinding = type === 'headers' ? { routingKey: '', arguments: { ...b.arguments } } : { routingKey: b.routingKey };
    if (type !== 'headers' && Object.keys(b.arguments).length) copy.arguments = { ...b.arguments };
    seen.set(bindingKey(copy), copy);
  }
  return [...seen.values()];
}

function bindingKey(b: TapBinding): string {
  return JSON.stringify([b.routingKey, b.arguments ? Object.entries(b.arguments).sort(([a], [c]) => (a < c ? -1 : a > c ? 1 : 0)) : []]);
}

function refuse(reason: TapRefusal, exchange: string, type: string): RabbitError {
  const text: Record<TapRefusal, [string, string]> = {
    'default-exchange': [`Cannot tap the default exchange: queues cannot be bound to it.`, 'Peek the queue instead.'],
    'distributing-type': [
      `Cannot tap "${exchange}" with bindings: a ${type} exchange spreads messages over its bound queues, so a tap queue would take a share away from them.`,
      'Use the firehose tracer (it copies without binding to the exchange), or peek the queues.',
    ],
    'unknown-type': [
      `Cannot tap "${exchange}" with bindings: how a ${type} exchange routes is not known, so a tap binding could change what its queues get.`,
      'Use the firehose tracer (it copies without binding to the exchange), or peek the queues.',
    ],
    'nothing-routed': [
      `Cannot tap "${exchange}" with bindings: it has no bindings to queues and no alternate exchange that routes to one, so every message is unroutable, and any tap binding would make them routed (a mandatory publisher would no longer get them back).`,
      'Use the firehose tracer to see them, or bind a queue first.',
    ],
  };
  const [message, hint] = text[reason];
  return new RabbitError('UNSAFE', message, { hint, field: reason });
}

/** Chooses how to tap the exchange; throws UNSAFE (field = the refusal reason) when no safe way exists. */
export function planTap(topology: TapTopology, mechanism: 'auto' | TapMechanism = 'auto', exclude: ReadonlySet<string> = new Set()): TapPlan {
  const x = topology.exchange;
  if (mechanism !== 'auto' && mechanism !== 'bindings' && mechanism !== 'tracer') throw invalidInput('mechanism', `"${String(mechanism)}" is not auto, bindings or tracer`);
  if (x.name === '') throw refuse('default-exchange', x.name, x.type);
  if (mechanism === 'tracer') return { mechanism: 'tracer', exchange: x.name, exchangeType: x.type, bindings: [], unroutableHidden: false };
  if (DISTRIBUTING_EXCHANGE_TYPES.includes(x.type)) throw refuse('distributing-type', x.name, x.type);
  if (!MATCHING_TYPES.includes(x.type)) throw refuse('unknown-type', x.name, x.type);
  const bindings = copiesOf(x.type, topology.bindings, exclude);
  let alternate: TapPlan['alternate'];
  const ae = topology.alternate;
  if (ae?.exchange && MATCHING_TYPES.includes(ae.exchange.type)) {
    const aeCopies = copiesOf(ae.exchange.type, ae.bindings, exclude);
    if (aeCopies.length) alternate = { exchange: ae.name, bindings: aeCopies };
  }
  if (!bindings.length && !alternate) throw refuse('nothing-routed', x.name, x.type);
  return { mechanism: 'bindings', exchange: x.name, exchangeType: x.type, bindings, alternate, unroutableHidden: !alternate };
}

/** Reads what planTap needs: the exchange, its bindings, its alternate exchange (argument, else policy) and that one's bindings. */
export async function readTapTopology(client: ManagementClient, vhost: string, exchange: string): Promise<TapTopology> {
  if (typeof exchange !== 'string') throw invalidInput('exchange', 'must be a string');
  if (exchange === '') return { exchange: { vhost, name: '', type: 'direct', durable: true, autoDelete: false, internal: false, arguments: {}, isDefault: true, isBuiltin: false }, bindings: [] };
  const x = await client.getExchange(vhost, exchange);
  const bindings = await client.exchangeBindings(vhost, exchange, 'source');
  let aeName = typeof x.arguments['alternate-exchange'] === 'string' ? (x.arguments['alternate-exchange'] as string) : undefined;
  if (aeName === undefined && x.policy) {
    const policy = (await client.listPolicies(vhost)).find((p) => p.name === x.policy);
    const v = policy?.definition['alternate-exchange'];
    if (typeof v === 'string') aeName = v;
  }
  if (aeName === undefined || aeName === exchange) return { exchange: x, bindings };
  try {
    const ae = await client.getExchange(vhost, aeName);
    return { exchange: x, bindings, alternate: { name: aeName, exchange: ae, bindings: await client.exchangeBindings(vhost, aeName, 'source') } };
  } catch (e) {
    if (e instanceof RabbitError && e.code === 'NOT_FOUND') return { exchange: x, bindings, alternate: { name: aeName, bindings: [] } };
    throw e;
  }
}

export interface TapOptions {
  vhost: string;
  exchange: string;
  /** Reads the exchange's bindings (and switches the tracer when asked for). */
  management: ManagementClient;
  /** 'auto' (default): bindings where that is safe, else refused (the tracer is only used when asked for). */
  mechanism?: 'auto' | TapMechanism;
  /** Show only messages whose routing key is one of these (applied to the copies; the broker is not asked). */
  routingKeys?: string[];
  /** Show only messages having any of these headers with these values (applied to the copies). */
  headers?: Record<string, unknown>;
  /** Cap of each tap queue (messages beyond are dropped from its head); default 10,000. */
  maxLength?: number;
  /** How often the copies follow the exchange's real bindings, in ms; default 2000. */
  resyncMs?: number;
  decode?: DecodeOptions;
}

export type TapEndReason = 'stopped' | 'cancelled' | 'closed';

/** How a copy reached the tap. */
export interface TapMessageMeta {
  /** exchange: routed by the tapped exchange; alternate: unroutable, routed by its alternate exchange; tracer: the firehose. */
  via: 'exchange' | 'alternate' | 'tracer';
  /** tracer: the queues the broker routed the message to ([] = unroutable). */
  routedQueues?: string[];
}

export interface TapHandlers {
  onMessage(message: DecodedMessage, meta: TapMessageMeta): void;
  /**
   * Asked before a copy is decoded (index 0-based): false counts it without decoding it, so a tap past its
   * display cap costs no decoding and holds no copy.
   */
  accept?(index: number): boolean;
  /** Once, when the tap ends for any reason. */
  onEnd?(reason: TapEndReason, error?: RabbitError): void;
  /** The copies were changed to follow the exchange's bindings. */
  onResync?(plan: TapPlan): void;
}

export interface TapHandle {
  /** The main tap queue (rabbitmq-workbench.tap.…). */
  readonly queue: string;
  /** Every queue the tap declared. */
  readonly queues: string[];
  readonly exchange: string;
  readonly mechanism: TapMechanism;
  /** The plan in force (bindings follow the exchange's). */
  readonly plan: TapPlan;
  /** bindings: copies bound to the exchange. */
  readonly bindings: TapBinding[];
  /** tracer: it was already on before this tap (and is left on). */
  readonly tracerWasOn: boolean;
  /** Messages copied so far (shown ones; filtered-out ones are not counted). */
  readonly count: number;
  /** Copies left out by the routing-key / header filter. */
  readonly filtered: number;
  readonly active: boolean;
  /** Cancels, deletes the queues (and their bindings), closes the channel, switches the tracer back. Safe to call twice. */
  stop(): Promise<void>;
}

const TRACE_EXCHANGE = 'amq.rabbitmq.trace';

/**
 * Tap queues are named, not server-named, so that every tap (of any editor) can leave the others' queues out
 * when it copies bindings: two taps copying each other's copies would keep a binding alive after its original
 * was removed.
 */
export const TAP_QUEUE_PREFIX = 'rabbitmq-workbench.tap.';

export function isTapQueue(name: string): boolean {
  return name.startsWith(TAP_QUEUE_PREFIX);
}

/** Tracer switches per vhost in this process: switched off when the last tap that switched it on ends. */
const tracerUsers = new Map<string, { users: number; ours: boolean }>();

async function acquireTracer(client: ManagementClient, vhost: string): Promise<boolean> {
  const key = `${client.baseUrl}\u0000${vhost}`;
  const held = tracerUsers.get(key);
  if (held) {
    held.users++;
    return !held.ours;
  }
  const wasOn = (await client.getVhost(vhost)).tracing;
  if (!wasOn) {
    try {
      await client.setVhostTracing(vhost, true);
    } catch (e) {
      if (e instanceof RabbitError && (e.code === 'ACCESS_REFUSED' || e.code === 'AUTH_FAILED')) {
        throw new RabbitError('ACCESS_REFUSED', `Cannot switch the firehose tracer on for vhost "${vhost}": ${e.message}`, {
          hint: 'Switching tracing needs a user with the "administrator" tag; use such a connection or tap with bindings.',
          httpStatus: e.httpStatus,
          brokerText: e.brokerText,
        });
      }
      throw e;
    }
  }
  tracerUsers.set(key, { users: 1, ours: !wasOn });
  return wasOn;
}

async function releaseTracer(client: ManagementClient, vhost: string): Promise<void> {
  const key = `${client.baseUrl}\u0000${vhost}`;
  const held = tracerUsers.get(key);
  if (!held) return;
  held.users--;
  if (held.users > 0) return;
  tracerUsers.delete(key);
  if (held.ours) await client.setVhostTracing(vhost, false);
}

/** Whether this process holds the tracer on for the vhost (for tests and the panel). */
export function tracerHeld(client: ManagementClient, vhost: string): boolean {
  return tracerUsers.has(`${client.baseUrl}\u0000${vhost}`);
}

function checkOptions(opts: TapOptions): { maxLength: number; resyncMs: number; keys?: Set<string>; headers?: [string, unknown][] } {
  if (typeof opts.vhost !== 'string' || opts.vhost === '') throw invalidInput('vhost', 'is empty');
  if (typeof opts.exchange !== 'string') throw invalidInput('exchange', 'must be a string');
  if (opts.exchange === '') throw invalidInput('exchange', 'is the default exchange, which cannot be tapped', 'Tap a named exchange, or peek the queue instead.');
  const maxLength = opts.maxLength ?? 10_000;
  if (!Number.isInteger(maxLength) || maxLength < 1) throw invalidInput('maxLength', 'must be a whole number ≥ 1');
  const resyncMs = opts.resyncMs ?? 2000;
  if (!Number.isFinite(resyncMs) || resyncMs < 100) throw invalidInput('resyncMs', 'must be at least 100 ms');
  const keys = opts.routingKeys;
  if (keys !== undefined && (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string' || Buffer.byteLength(k) > 255))) {
    throw invalidInput('routingKeys', 'must be an array of strings of at most 255 bytes');
  }
  const h = opts.headers;
  if (h !== undefined && (h === null || typeof h !== 'object' || Array.isArray(h))) throw invalidInput('headers', 'must be an object of header names to values');
  const headerList = h ? Object.entries(h).filter(([k]) => k !== 'x-match') : [];
  return { maxLength, resyncMs, keys: keys?.length ? new Set(keys) : undefined, headers: headerList.length ? headerList : undefined };
}

/** A firehose message as the message that was published (its properties travel in the "properties" header). */
function fromTrace(m: ConsumeMessage): { raw: ConsumeMessage; exchange: string; routedQueues: string[] } {
  const h = (m.properties.headers ?? {}) as Record<string, unknown>;
  const p = (h.properties && typeof h.properties === 'object' ? h.properties : {}) as Record<string, unknown>;
  const keys = Array.isArray(h.routing_keys) ? h.routing_keys.map(String) : [];
  const properties = {
    contentType: p.content_type,
    contentEncoding: p.content_encoding,
    headers: p.headers && typeof p.headers === 'object' ? p.headers : {},
    deliveryMode: p.delivery_mode,
    priority: p.priority,
    correlationId: p.correlation_id,
    replyTo: p.reply_to,
    expiration: p.expiration,
    messageId: p.message_id,
    timestamp: p.timestamp,
    type: p.type,
    userId: p.user_id,
    appId: p.app_id,
    clusterId: p.cluster_id,
  };
  const exchange = typeof h.exchange_name === 'string' ? h.exchange_name : '';
  const raw = { content: m.content, fields: { ...m.fields, exchange, routingKey: keys[0] ?? '', redelivered: false }, properties } as unknown as ConsumeMessage;
  return { raw, exchange, routedQueues: Array.isArray(h.routed_queues) ? h.routed_queues.map(String) : [] };
}

function headerValueEquals(a: unknown, b: unknown): boolean {
  if (Buffer.isBuffer(a)) return a.toString() === String(b);
  return a === b || String(a) === String(b);
}

/** Starts a tap. The session's connection stays open; the tap has its own channel. */
export async function startTap(session: AmqpSession, opts: TapOptions, handlers: TapHandlers): Promise<TapHandle> {
  const { maxLength, resyncMs, keys, headers } = checkOptions(opts);
  const client = opts.management;
  const { vhost, exchange } = opts;
  let plan = planTap(await readTapTopology(client, vhost, exchange), opts.mechanism ?? 'auto');
  const ch: Channel = await session.openChannel('tap');
  const queues: string[] = [];
  let mainQueue = '';
  let aeQueue: string | undefined;
  let count = 0;
  let filtered = 0;
  let active = false;
  let ended = false;
  let stopping: Promise<void> | undefined;
  let tracerWasOn = false;
  let tracerAcquired = false;
  let resyncTimer: NodeJS.Timeout | undefined;
  // What is bound now, per exchange: binding key → binding.
  const bound = new Map<string, Map<string, TapBinding>>();

  const end = (reason: TapEndReason, error?: RabbitError) => {
    if (ended) return;
    ended = true;
    active = false;
    if (resyncTimer) clearTimeout(resyncTimer);
    handlers.onEnd?.(reason, error);
  };
  const releaseOnce = async () => {
    if (!tracerAcquired) return;
    tracerAcquired = false;
    await releaseTracer(client, vhost).catch(() => undefined);
  };
  /** Filters a copy on its raw routing key and headers, counts it, decodes and hands it over when accepted. */
  const deliver = (m: ConsumeMessage, meta: TapMessageMeta) => {
    const raw = (m.properties.headers ?? {}) as Record<string, unknown>;
    if (keys && !keys.has(m.fields.routingKey)) return void filtered++;
    if (headers && !headers.some(([k, v]) => k in raw && headerValueEquals(raw[k], v))) return void filtered++;
    count++;
    try {
      if (handlers.accept && !handlers.accept(count - 1)) return;
      handlers.onMessage(decodeMessage(m, count - 1, opts.decode), meta);
    } catch {
      // a failing display must not stop the tap
    }
  };
  const onCancel = () => {
    if (stopping || ended) return; // our own queue.delete cancels the consumer
    end('cancelled', new RabbitError('CANCELLED', `The broker cancelled the tap on "${exchange}".`, { hint: 'A tap queue was deleted; start the tap again.' }));
    void closeQuietly(ch);
    void releaseOnce();
  };
  const declare = async (): Promise<string> => {
    const q = await ch.assertQueue(`${TAP_QUEUE_PREFIX}${randomBytes(8).toString('hex')}`, { exclusive: true, autoDelete: true, durable: false, arguments: { 'x-max-length': maxLength, 'x-overflow': 'drop-head' } });
    queues.push(q.queue);
    return q.queue;
  };
  const sync = async (queue: string, source: string, want: TapBinding[]) => {
    const have = bound.get(source) ?? new Map<string, TapBinding>();
    bound.set(source, have);
    const wantKeys = new Map(want.map((b) => [bindingKey(b), b]));
    // Unbind stale copies first: a copy whose original is gone must not keep a message routed.
    for (const [k, b] of [...have]) {
      if (wantKeys.has(k)) continue;
      await ch.unbindQueue(queue, source, b.routingKey, b.arguments);
      have.delete(k);
    }
    for (const [k, b] of wantKeys) {
      if (have.has(k)) continue;
      await ch.bindQueue(queue, source, b.routingKey, b.arguments);
      have.set(k, b);
    }
  };

  try {
    mainQueue = await declare();
    if (plan.mechanism === 'tracer') {
      tracerWasOn = await acquireTracer(client, vhost);
      tracerAcquired = true;
      // The trace exchange is a topic exchange: an exchange name with a "*" or "#" word would widen the key,
      // so the copies are also checked by the exchange_name header.
      await ch.bindQueue(mainQueue, TRACE_EXCHANGE, `publish.${exchange}`);
      await ch.consume(
        mainQueue,
        (m) => {
          if (m === null) return onCancel();
          const t = fromTrace(m);
          if (t.exchange !== exchange) return;
          deliver(t.raw, { via: 'tracer', routedQueues: t.routedQueues });
        },
        { noAck: true, exclusive: true },
      );
    } else {
      await sync(mainQueue, exchange, plan.bindings);
      await ch.consume(
        mainQueue,
        (m) => {
          if (m === null) return onCancel();
          deliver(m, { via: 'exchange' });
        },
        { noAck: true, exclusive: true },
      );
      // The alternate exchange's copies go to their own queue: only messages first published to this exchange
      // are kept (the alternate exchange may serve other exchanges, or get publishes of its own).
      aeQueue = await declare();
      const aq = aeQueue;
      if (plan.alternate) await sync(aq, plan.alternate.exchange, plan.alternate.bindings);
      await ch.consume(
        aq,
        (m) => {
          if (m === null) return onCancel();
          if (m.fields.exchange !== exchange) return;
          deliver(m, { via: 'alternate' });
        },
        { noAck: true, exclusive: true },
      );
    }
    active = true;
  } catch (e) {
    const err = session.channelError(ch, `tap exchange "${exchange}"`) ?? (e instanceof RabbitError ? e : new RabbitError('CHANNEL_CLOSED', String(e)));
    await closeQuietly(ch);
    // An exclusive queue outlives its channel (it belongs to the connection): remove the half-made ones.
    for (const q of queues) await session.withTempChannel('remove the tap queue', (c) => c.deleteQueue(q)).catch(() => undefined);
    await releaseOnce();
    throw err;
  }

  ch.on('close', () => {
    if (stopping) return;
    end('closed', session.channelError(ch) ?? new RabbitError('CHANNEL_CLOSED', 'The tap channel closed.', { hint: 'Start the tap again.' }));
    void releaseOnce();
  });

  // Bindings mode: the copies follow the exchange's real bindings (and its alternate exchange).
  const resync = async () => {
    resyncTimer = undefined;
    if (!active || stopping) return;
    try {
      const topology = await readTapTopology(client, vhost, exchange);
      let next: TapPlan;
      try {
        next = planTap(topology, 'bindings', new Set(queues));
      } catch {
        // Nothing safe to copy any more (e.g. the last binding went): copy nothing.
        next = { ...plan, bindings: [], alternate: undefined, unroutableHidden: true };
      }
      const oldAe = plan.alternate?.exchange;
      if (oldAe && oldAe !== next.alternate?.exchange && aeQueue) await sync(aeQueue, oldAe, []);
      await sync(mainQueue, exchange, next.bindings);
      if (next.alternate && aeQueue) await sync(aeQueue, next.alternate.exchange, next.alternate.bindings);
      const changed = JSON.stringify([plan.bindings, plan.alternate]) !== JSON.stringify([next.bindings, next.alternate]);
      plan = next;
      if (changed) handlers.onResync?.(plan);
    } catch (e) {
      if (e instanceof RabbitError && e.code === 'NOT_FOUND' && !stopping) {
        end('closed', new RabbitError('NOT_FOUND', `The exchange "${exchange}" was deleted; the tap stopped.`, { cause: e }));
        void handle.stop();
        return;
      }
      // A failed read (network, broker busy) is retried at the next round.
    }
    if (active && !stopping) resyncTimer = setTimeout(() => void resync(), resyncMs);
  };
  if (plan.mechanism === 'bindings') resyncTimer = setTimeout(() => void resync(), resyncMs);

  const handle: TapHandle = {
    queue: mainQueue,
    queues: [...queues],
    exchange,
    mechanism: plan.mechanism,
    get plan() {
      return plan;
    },
    get bindings() {
      return plan.bindings;
    },
    tracerWasOn,
    get count() {
      return count;
    },
    get filtered() {
      return filtered;
    },
    get active() {
      return active;
    },
    stop: () => {
      stopping ??= (async () => {
        active = false;
        if (resyncTimer) clearTimeout(resyncTimer);
        for (const q of queues) {
          try {
            // Deleting a queue removes its bindings and cancels its consumer.
            await ch.deleteQueue(q);
          } catch {
            // channel already gone: the exclusive, auto-delete queue goes with its connection
          }
        }
        await closeQuietly(ch);
        await releaseOnce();
        end('stopped');
      })();
      return stopping;
    },
  };
  return handle;
}
