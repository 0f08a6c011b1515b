/**
 * Non-destructive peek: consume WITHOUT ack on a dedicated channel (prefetch = count), collect up to `count`
 * messages, then close the channel so the broker requeues them in their original order. Nothing is ever
 * acked on classic/quorum queues, so a crash or a cut connection mid-peek also puts everything back.
 * Streams are read by a consumer at an offset (x-stream-offset); reading a stream never removes anything.
 * basic.get is never used: on a stream it makes RabbitMQ close the whole connection (540).
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import { RabbitError, invalidInput } from './errors';
import { toRabbitError } from './amqpErrors';
import { decodeMessage, type DecodeOptions, type DecodedMessage } from './message';
import { checkQueue } from './operations';
import { closeQuietly, type AmqpSession } from './session';
import { describeDeliveryLimit, peeksLeft, type EffectiveDeliveryLimit } from './deliveryLimit';

export type StreamOffset = 'first' | 'last' | 'next' | number | Date;
export type PeekQueueType = 'classic' | 'quorum' | 'stream';

export interface PeekOptions {
  /** How many messages; default 10, at most 1000. */
  count?: number;
  /** Streams only: where to start; default 'first'. */
  streamOffset?: StreamOffset;
  /** The queue type if the caller knows it (skips detection). */
  queueType?: PeekQueueType;
  /** Quorum: the limit the queue enforces (see deliveryLimit.ts), or a bare number; reported back per message. */
  deliveryLimit?: number | EffectiveDeliveryLimit;
  /** Stop after this long without a new message; default 400 ms (streams) / 1000 ms (others). */
  idleTimeoutMs?: number;
  /** Hard limit for the whole peek; default 15 s. */
  timeoutMs?: number;
  decode?: DecodeOptions;
  /** Called after each message arrives (n = messages so far). */
  onProgress?: (n: number) => void;
  /**
   * Memory budget: stop once the bodies read reach this many bytes (default 64 MiB); the rest stay in the
   * queue untouched. `budgetReached` in the result says so.
   */
  maxBytes?: number;
}

export interface QuorumDeliveryLimitRisk {
  /** The limit the queue enforces when known; null: none. */
  deliveryLimit?: number | null;
  /** Highest x-delivery-count seen on the peeked messages (after this peek they are one higher). */
  highestDeliveryCount?: number;
  /** Per peeked message, in order: its x-delivery-count when this peek received it (0 when absent). */
  deliveryCounts: number[];
  /** Per peeked message: its stored delivery count now that this peek handed it back. */
  countsAfter: number[];
  /** Per peeked message: peeks that still leave it in the queue (null: no limit, undefined: limit unknown). */
  peeksLeft: (number | null | undefined)[];
  /** Positions of peeked messages that this peek took past the limit: dead-lettered or dropped. */
  passedLimit: number[];
  note: string;
}

export interface PeekResult {
  queue: string;
  queueType: PeekQueueType;
  messages: DecodedMessage[];
  /** Ready messages when the peek started (checkQueue). */
  messageCountBefore: number;
  requested: number;
  /** A peek marks the peeked messages redelivered=true (not for streams). */
  redeliveredSet: boolean;
  /** Quorum queues: every peek counts as a delivery toward x-delivery-limit. */
  quorumDeliveryLimitRisk?: QuorumDeliveryLimitRisk;
  /** What this peek did, in one sentence for the UI. */
  note: string;
  /** The peek stopped at its byte budget (maxBytes) before `requested` messages. */
  budgetReached: boolean;
  durationMs: number;
}

export const MAX_PEEK = 1000;
export const DEFAULT_PEEK_MAX_BYTES = 64 * 1024 * 1024;

function validate(queue: string, opts: PeekOptions): { count: number; offset: unknown } {
  if (typeof queue !== 'string' || !queue) throw invalidInput('queue', 'is empty');
  const count = opts.count ?? 10;
  if (!Number.isInteger(count) || count < 1 || count > MAX_PEEK) throw invalidInput('count', `must be a whole number from 1 to ${MAX_PEEK} (got ${String(count)})`, 'Peek in smaller batches.');
  if (opts.queueType !== undefined && !['classic', 'quorum', 'stream'].includes(opts.queueType)) throw invalidInput('queueType', 'must be classic, quorum or stream');
  for (const f of ['idleTimeoutMs', 'timeoutMs'] as const) {
    const v = opts[f];
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw invalidInput(f, 'must be a positive number of ms');
  }
  let offset: unknown = 'first';
  const o = opts.streamOffset;
  if (o !== undefined) {
    if (opts.queueType !== undefined && opts.queueType !== 'stream') throw invalidInput('streamOffset', 'only applies to streams');
    if (o === 'first' || o === 'last' || o === 'next') offset = o;
    else if (typeof o === 'number') {
      if (!Number.isSafeInteger(o) || o < 0) throw invalidInput('streamOffset', 'must be first, last, next, a non-negative offset or a Date');
      offset = o;
    } else if (o instanceof Date) {
      if (Number.isNaN(o.getTime())) throw invalidInput('streamOffset', 'is an invalid Date');
      offset = { '!': 'timestamp', value: Math.floor(o.getTime() / 1000) };
    } else throw invalidInput('streamOffset', 'must be first, last, next, a non-negative offset or a Date');
  }
  return { count, offset };
}

/** Reads up to `count` messages without removing any of them. */
export async function peekMessages(session: AmqpSession, queue: string, opts: PeekOptions = {}): Promise<PeekResult> {
  const { count, offset } = validate(queue, opts);
  const maxBytes = opts.maxBytes ?? DEFAULT_PEEK_MAX_BYTES;
  if (!(Number.isSafeInteger(maxBytes) && maxBytes >= 1)) throw invalidInput('maxBytes', `must be a positive whole number of bytes (got ${String(opts.maxBytes)})`);
  let bytes = 0;
  let budgetReached = false;
  const started = performance.now();
  const info = await checkQueue(session, queue);
  const what = `peek queue "${queue}"`;

  // Detect the type: a consumer with x-stream-offset works on a stream and is refused (406, no side effect)
  // by classic and quorum queues, whose reply names the type.
  let queueType = opts.queueType;
  let ch: Channel | undefined;
  /** Classic and quorum: the peek's consumer, cancelled before the close so that no delivery goes unseen. */
  let consumerTag: string | undefined;
  const collected: ConsumeMessage[] = [];
  let onDelivery: ((m: ConsumeMessage | null) => void) | undefined;
  // Deliveries can arrive in the same socket read as consume-ok, before the collector is set up: buffer them.
  const early: (ConsumeMessage | null)[] = [];
  const consumerCallback = (m: ConsumeMessage | null): void => {
    if (onDelivery) onDelivery(m);
    else early.push(m);
  };
  try {
    if (queueType === undefined || queueType === 'stream') {
      ch = await session.openChannel('peek');
      await ch.prefetch(count);
      try {
        await ch.consume(queue, consumerCallback, { noAck: false, arguments: { 'x-stream-offset': offset } });
        queueType = 'stream';
      } catch (e) {
        const brokerErr = session.channelError(ch, what);
        const text = brokerErr?.brokerText ?? '';
        const m = /of queue type rabbit_(classic|quorum)_queue/.exec(text);
        if (!m || queueType === 'stream') throw brokerErr ?? toRabbitError(e, session.errorContext(what));
        queueType = m[1] as PeekQueueType;
        await closeQuietly(ch);
        ch = undefined;
      }
    }
    const isStream = queueType === 'stream';
    // Streams: the count in declare-ok lags and offsets vary, so read until `count` or idle.
    // Others: expect the ready count, then wait a short grace for messages that were being requeued.
    const target = isStream ? count : Math.min(count, info.messageCount);
    const graceMs = 150;
    const idleMs = opts.idleTimeoutMs ?? (isStream ? 400 : 1000);
    const timeoutMs = opts.timeoutMs ?? 15_000;

    if (target > 0 || isStream) {
      const done = new Promise<void>((resolve, reject) => {
        let idle: NodeJS.Timeout | undefined;
        const hard = setTimeout(finish, timeoutMs);
        const armIdle = (ms = idleMs): void => {
          if (idle) clearTimeout(idle);
          idle = setTimeout(finish, ms);
        };
        function finish(err?: RabbitError): void {
          clearTimeout(hard);
          if (idle) clearTimeout(idle);
          onDelivery = undefined;
          if (err) reject(err);
          else resolve();
        }
        onDelivery = (m) => {
          if (m === null) {
            finish(new RabbitError('CANCELLED', `Could not ${what}: the broker cancelled the consumer (the queue was deleted).`));
            return;
          }
          if (collected.length >= count || budgetReached) return;
          collected.push(m);
          bytes += m.content.length;
          if (bytes >= maxBytes && collected.length < count) {
            budgetReached = true;
            opts.onProgress?.(collected.length);
            finish();
            return;
          }
          if (isStream && collected.length < count) {
            try {
              ch?.ack(m); // on streams an ack only moves consumer credit
            } catch {
              // channel gone; the close handler reports it
            }
          }
          opts.onProgress?.(collected.length);
          if (collected.length >= count) finish();
          else armIdle(collected.length >= target ? graceMs : idleMs);
        };
        armIdle();
        for (const m of early.splice(0)) onDelivery?.(m);
        const onClose = (): void => {
          if (!onDelivery) return;
          const err = (ch && session.channelError(ch, what)) ?? new RabbitError('CONNECTION_CLOSED', `Could not ${what}: the connection was lost mid-peek. Nothing was removed: unacknowledged messages go back to the queue.`, { hint: 'Retry the peek.' });
          finish(err);
        };
        const attach = (c: Channel): void => {
          c.on('close', onClose);
        };
        if (ch) attach(ch);
        else {
          void (async () => {
            try {
              ch = await session.openChannel('peek');
              attach(ch);
              await ch.prefetch(count);
              consumerTag = (await ch.consume(queue, consumerCallback, { noAck: false })).consumerTag;
            } catch (e) {
              finish((ch && session.channelError(ch, what)) ?? toRabbitError(e, session.errorContext(what)));
            }
          })();
        }
      });
      await done;
    }
  } finally {
    // A delivery can still arrive after the peek stopped waiting (a slow quorum queue): the close hands it back
    // too, and on a quorum queue that spends one of its delivery attempts. Cancel first (deliveries sent before
    // cancel-ok still reach the callback) and show the late ones, so that the counts reported are exact.
    if (ch && consumerTag !== undefined) {
      try {
        await ch.cancel(consumerTag);
      } catch {
        // channel gone: the close handler reported it
      }
    }
    // Closing the channel requeues every unacked delivery, in order, at the head of the queue.
    await closeQuietly(ch);
    // (Not past the byte budget: those stay out of memory, and the result says the budget was reached.)
    if (queueType !== 'stream' && !budgetReached) for (const m of early.splice(0)) if (m && collected.length < count) collected.push(m);
  }

  const messages = collected.map((m, i) => {
    const d = decodeMessage(m, i, opts.decode);
    delete d.fields.deliveryTag; // meaningless once the peek channel is closed
    delete d.fields.consumerTag;
    return d;
  });
  const isStream = queueType === 'stream';
  let risk: QuorumDeliveryLimitRisk | undefined;
  if (queueType === 'quorum') {
    const dl = opts.deliveryLimit;
    const limit = typeof dl === 'number' ? dl : dl?.limit;
    const deliveryCounts = collected.map((m) => {
      const n = Number(m.properties.headers?.['x-delivery-count'] ?? 0);
      return Number.isFinite(n) ? n : 0;
    });
    const countsAfter = deliveryCounts.map((c) => c + 1);
    const passedLimit = limit === undefined || limit === null ? [] : countsAfter.flatMap((c, i) => (c > limit ? [i] : []));
    const highest = deliveryCounts.length ? Math.max(...deliveryCounts) : undefined;
    const what = typeof dl === 'object' ? describeDeliveryLimit(dl) : limit !== undefined ? `delivery limit ${limit}` : undefined;
    risk = {
      deliveryLimit: limit,
      highestDeliveryCount: highest,
      deliveryCounts,
      countsAfter,
      peeksLeft: countsAfter.map((c) => (limit === undefined ? undefined : peeksLeft(limit, c))),
      passedLimit,
      note:
        `Each peek of a quorum queue counts as a delivery attempt: every peeked message's delivery count went up by one` +
        (limit === null
          ? ` (${what}: nothing is dead-lettered or dropped).`
          : limit !== undefined
            ? `; with ${what}, a message handed back more than ${limit} times is dead-lettered or dropped.`
            : '; the delivery limit was not given, so how many peeks are left is unknown.') +
        (passedLimit.length ? ` ${passedLimit.length} message(s) passed the limit with this peek and left the queue.` : ''),
    };
  }
  return {
    queue,
    queueType: queueType ?? 'classic',
    messages,
    messageCountBefore: info.messageCount,
    requested: count,
    redeliveredSet: !isStream && messages.length > 0,
    quorumDeliveryLimitRisk: risk,
    note: isStream
      ? 'Read from the stream at the chosen offset; streams keep every message, nothing was changed.'
      : 'Messages were received without acknowledgement and given back by closing the channel: all stay in the queue in their original order, now marked redelivered.',
    budgetReached,
    durationMs: performance.now() - started,
  };
}
