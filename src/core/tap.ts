/**
 * Live tap on an exchange: a temporary exclusive, auto-delete, server-named queue of its own, bound so that
 * it gets a COPY of what passes through the exchange (the broker delivers to every matching queue, so nobody
 * else loses a message), consumed without acks. Stopping cancels the consumer, deletes the queue (and with
 * it the bindings) and closes the channel; the exclusive queue also dies with the connection.
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import { invalidInput, RabbitError } from './errors';
import { decodeMessage, type DecodedMessage, type DecodeOptions } from './message';
import { closeQuietly, type AmqpSession } from './session';

export interface TapBinding {
  routingKey: string;
  arguments?: Record<string, unknown>;
}

export interface TapOptions {
  exchange: string;
  /** The exchange's type (direct, fanout, topic, headers or a plugin type). */
  exchangeType: string;
  /** direct (and plugin types): the keys to copy; topic: default ['#']. */
  routingKeys?: string[];
  /** headers: copy messages having any of these headers with these values; {} or absent: every message. */
  headers?: Record<string, unknown>;
  /** Cap the tap queue (messages beyond are dropped from its head); default 10,000. */
  maxLength?: number;
  /** How bodies are decoded (default: decodeMessage's defaults). */
  decode?: DecodeOptions;
}

/** The bindings a tap of this exchange type needs. */
export function tapBindings(opts: Pick<TapOptions, 'exchange' | 'exchangeType' | 'routingKeys' | 'headers'>): TapBinding[] {
  if (typeof opts.exchange !== 'string') throw invalidInput('exchange', 'must be a string');
  if (opts.exchange === '') throw invalidInput('exchange', 'is the default exchange, which cannot be bound', 'Tap a named exchange, or peek the queue instead.');
  const keys = opts.routingKeys;
  if (keys !== undefined && (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string' || Buffer.byteLength(k) > 255))) {
    throw invalidInput('routingKeys', 'must be an array of strings of at most 255 bytes');
  }
  switch (opts.exchangeType) {
    case 'fanout':
      return [{ routingKey: '' }];
    case 'topic':
      return (keys?.length ? [...new Set(keys)] : ['#']).map((routingKey) => ({ routingKey }));
    case 'headers': {
      const h = opts.headers ?? {};
      if (h === null || typeof h !== 'object' || Array.isArray(h)) throw invalidInput('headers', 'must be an object of header names to values');
      const conditions = Object.fromEntries(Object.entries(h).filter(([k]) => k !== 'x-match'));
      // No condition with x-match=all matches every message.
      return [{ routingKey: '', arguments: Object.keys(conditions).length ? { 'x-match': 'any', ...conditions } : { 'x-match': 'all' } }];
    }
    default:
      if (!keys?.length) {
        throw invalidInput('routingKeys', `are needed to tap a ${opts.exchangeType} exchange`, 'Give the routing keys to copy (e.g. the keys its bindings use).');
      }
      return [...new Set(keys)].map((routingKey) => ({ routingKey }));
  }
}

export type TapEndReason = 'stopped' | 'cancelled' | 'closed';

export interface TapHandlers {
  onMessage(message: DecodedMessage): void;
  /**
   * Asked before a copy is decoded (index 0-based): false counts it without decoding it, so a tap past its
   * display cap costs no decoding and holds no copy.
   */
  accept?(index: number): boolean;
  /** Once, when the tap ends for any reason. */
  onEnd?(reason: TapEndReason, error?: RabbitError): void;
}

export interface TapHandle {
  /** Server-named tap queue (amq.gen-…). */
  readonly queue: string;
  readonly exchange: string;
  readonly bindings: TapBinding[];
  /** Messages copied so far. */
  readonly count: number;
  readonly active: boolean;
  /** Cancels, deletes the queue (and its bindings), closes the channel. Safe to call twice. */
  stop(): Promise<void>;
}

/** Starts a tap. The session's connection stays open; the tap has its own channel. */
export async function startTap(session: AmqpSession, opts: TapOptions, handlers: TapHandlers): Promise<TapHandle> {
  const bindings = tapBindings(opts);
  const maxLength = opts.maxLength ?? 10_000;
  if (!Number.isInteger(maxLength) || maxLength < 1) throw invalidInput('maxLength', 'must be a whole number ≥ 1');
  const ch: Channel = await session.openChannel('tap');
  let queue = '';
  let count = 0;
  let active = false;
  let ended = false;
  let stopping: Promise<void> | undefined;
  const end = (reason: TapEndReason, error?: RabbitError) => {
    if (ended) return;
    ended = true;
    active = false;
    handlers.onEnd?.(reason, error);
  };
  try {
    const q = await ch.assertQueue('', { exclusive: true, autoDelete: true, durable: false, arguments: { 'x-max-length': maxLength, 'x-overflow': 'drop-head' } });
    queue = q.queue;
    for (const b of bindings) await ch.bindQueue(queue, opts.exchange, b.routingKey, b.arguments);
    await ch.consume(
      queue,
      (m: ConsumeMessage | null) => {
        if (m === null) {
          if (stopping) return; // our own queue.delete cancels the consumer
          end('cancelled', new RabbitError('CANCELLED', `The broker cancelled the tap on "${opts.exchange}".`, { hint: 'The tap queue was deleted; start the tap again.' }));
          void closeQuietly(ch);
          return;
        }
        count++;
        try {
          if (handlers.accept && !handlers.accept(count - 1)) return;
          handlers.onMessage(decodeMessage(m, count - 1, opts.decode));
        } catch {
          // a failing display must not stop the tap
        }
      },
      { noAck: true, exclusive: true },
    );
    active = true;
  } catch (e) {
    const err = session.channelError(ch, `tap exchange "${opts.exchange}"`) ?? (e instanceof RabbitError ? e : new RabbitError('CHANNEL_CLOSED', String(e)));
    await closeQuietly(ch);
    // An exclusive queue outlives its channel (it belongs to the connection): remove the half-made one.
    if (queue) await session.withTempChannel('remove the tap queue', (c) => c.deleteQueue(queue)).catch(() => undefined);
    throw err;
  }
  ch.on('close', () => {
    if (!stopping) end('closed', session.channelError(ch) ?? new RabbitError('CHANNEL_CLOSED', 'The tap channel closed.', { hint: 'Start the tap again.' }));
  });
  return {
    queue,
    exchange: opts.exchange,
    bindings,
    get count() {
      return count;
    },
    get active() {
      return active;
    },
    stop: () => {
      stopping ??= (async () => {
        active = false;
        try {
          // Deleting the queue removes its bindings and cancels the consumer.
          await ch.deleteQueue(queue);
        } catch {
          // channel already gone: the exclusive, auto-delete queue goes with its consumer/connection
        }
        await closeQuietly(ch);
        end('stopped');
      })();
      return stopping;
    },
  };
}
