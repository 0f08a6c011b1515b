/**
 * An interactive consumer: messages arrive with their delivery tags and stay unacked until the user acks,
 * nacks (requeue) or rejects (dead-letter) them. stop() gives every unacked message back to the queue.
 * Broker cancels (queue deleted) and channel closes (ack timeout, connection loss) are events, never swallowed.
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import { RabbitError, invalidInput } from './errors';
import { toRabbitError } from './amqpErrors';
import { decodeMessage, type DecodeOptions, type DecodedMessage } from './message';
import { TypedEmitter, closeQuietly, type AmqpSession } from './session';

export interface ConsumedMessage {
  /** Delivery tag: pass it to ack/nack/reject. */
  tag: number;
  decoded: DecodedMessage;
  raw: ConsumeMessage;
}

export interface ConsumeEvents {
  message: (m: ConsumedMessage) => void;
  /** The broker cancelled the consumer (queue deleted, or a stream/quorum leader change). */
  cancelled: (info: { queue: string; reason: string }) => void;
  /**
   * The channel closed (ack timeout 406, connection loss …). Unacked messages went back to the queue.
   * `resuming`: the connection was lost and the consumer starts again by itself once the session reconnects.
   */
  closed: (info: { queue: string; error?: RabbitError; unackedReturned: number; resuming?: boolean }) => void;
  /** The consumer runs again after a reconnect (its earlier unacked messages come again, redelivered). */
  resumed: (info: { queue: string; consumerTag: string }) => void;
}

export interface ConsumeStartOptions {
  /** Unacked messages in flight; default 10 (1–65535). */
  prefetch?: number;
  /** Exclusive consumer. */
  exclusive?: boolean;
  /** Consumer arguments (e.g. x-stream-offset, x-priority). */
  arguments?: Record<string, unknown>;
  /** Shortcut for the 'message' event. */
  onMessage?: (m: ConsumedMessage) => void;
  /**
   * Start again by itself after a lost connection, once the session reconnected (default false). Not after a
   * broker cancel or a channel error (ack timeout, queue gone): those need the user.
   */
  resume?: boolean;
}

export class ConsumeSession extends TypedEmitter<ConsumeEvents> {
  private ch: Channel | undefined;
  private consumerTag: string | undefined;
  private queueName = '';
  private readonly unacked = new Map<number, ConsumeMessage>();
  private index = 0;
  private stopping = false;
  private stopResumeWait: (() => void) | undefined;

  constructor(
    private readonly session: AmqpSession,
    private readonly options: { decode?: DecodeOptions } = {},
  ) {
    super();
  }

  get active(): boolean {
    return this.ch !== undefined && this.consumerTag !== undefined;
  }

  get queue(): string {
    return this.queueName;
  }

  /** Delivery tags not yet acked/nacked/rejected, in delivery order. */
  get unackedTags(): number[] {
    return [...this.unacked.keys()];
  }

  async start(queue: string, opts: ConsumeStartOptions = {}): Promise<{ consumerTag: string }> {
    if (this.ch) throw new RabbitError('INVALID_INPUT', 'This consume session is already running.', { hint: 'Stop it first.' });
    if (typeof queue !== 'string' || !queue) throw invalidInput('queue', 'is empty');
    const prefetch = opts.prefetch ?? 10;
    if (!Number.isInteger(prefetch) || prefetch < 1 || prefetch > 65535) throw invalidInput('prefetch', `must be a whole number from 1 to 65535 (got ${String(prefetch)})`);
    if (opts.onMessage) this.on('message', opts.onMessage);
    this.index = 0;
    return this.begin(queue, { ...opts, onMessage: undefined });
  }

  private async begin(queue: string, opts: ConsumeStartOptions): Promise<{ consumerTag: string }> {
    const prefetch = opts.prefetch ?? 10;
    const what = `consume from queue "${queue}"`;
    const ch = await this.session.openChannel('consume');
    const generation = this.session.generation;
    this.ch = ch;
    this.queueName = queue;
    this.stopping = false;
    this.unacked.clear();
    ch.on('close', () => {
      if (this.ch !== ch) return;
      const returned = this.unacked.size;
      this.ch = undefined;
      this.consumerTag = undefined;
      this.unacked.clear();
      if (this.stopping) return;
      const channelError = this.session.channelError(ch, what);
      const resuming = opts.resume === true && channelError === undefined && !this.session.isClosed;
      const error =
        channelError ??
        new RabbitError('CONNECTION_CLOSED', `The consumer on queue "${queue}" stopped: the connection was lost. Unacked messages went back to the queue.`, {
          hint: resuming ? 'It starts again by itself when the session reconnects.' : 'Start consuming again.',
        });
      this.emit('closed', { queue, error, unackedReturned: returned, resuming });
      if (resuming) this.resumeAfterReconnect(queue, opts, generation);
    });
    try {
      await ch.prefetch(prefetch);
      const r = await ch.consume(queue, (m) => this.onDelivery(ch, m), { noAck: false, exclusive: opts.exclusive ?? false, arguments: opts.arguments });
      if (this.ch === ch) this.consumerTag = r.consumerTag;
      return { consumerTag: r.consumerTag };
    } catch (e) {
      const err = this.session.channelError(ch, what) ?? toRabbitError(e, this.session.errorContext(what));
      this.stopping = true;
      this.ch = undefined;
      await closeQuietly(ch);
      throw err;
    }
  }

  /** Waits for the session's next connection (a newer generation), then starts the consumer again. */
  private resumeAfterReconnect(queue: string, opts: ConsumeStartOptions, lostGeneration: number): void {
    this.stopResumeWait?.();
    const off = this.session.on('state', (st) => {
      if (st === 'closed') {
        off();
        this.stopResumeWait = undefined;
        return;
      }
      if (st !== 'connected' || this.session.generation === lostGeneration || this.stopping || this.ch) return;
      off();
      this.stopResumeWait = undefined;
      this.begin(queue, opts).then(
        (r) => this.emit('resumed', { queue, consumerTag: r.consumerTag }),
        (e: unknown) => this.emit('closed', { queue, error: toRabbitError(e, this.session.errorContext(`consume from queue "${queue}"`)), unackedReturned: 0, resuming: false }),
      );
    });
    this.stopResumeWait = off;
  }

  private onDelivery(ch: Channel, m: ConsumeMessage | null): void {
    if (this.ch !== ch) return;
    if (m === null) {
      // basic.cancel from the broker
      this.consumerTag = undefined;
      this.emit('cancelled', { queue: this.queueName, reason: `The broker cancelled the consumer on queue "${this.queueName}" (the queue was deleted or is unavailable).` });
      return;
    }
    this.unacked.set(m.fields.deliveryTag, m);
    const decoded = decodeMessage(m, this.index++, this.options.decode);
    this.emit('message', { tag: m.fields.deliveryTag, decoded, raw: m });
  }

  private channelOrThrow(action: string): Channel {
    if (!this.ch) {
      throw new RabbitError('CHANNEL_CLOSED', `Cannot ${action}: the consumer is not running (stopped, or its channel was closed).`, {
        hint: 'Unacked messages went back to the queue when the channel closed; start consuming again.',
      });
    }
    return this.ch;
  }

  private take(tag: number, action: string): ConsumeMessage {
    if (!Number.isInteger(tag) || tag < 1) throw invalidInput('tag', `must be a delivery tag (positive integer), got ${String(tag)}`);
    const m = this.unacked.get(tag);
    if (!m) {
      throw new RabbitError('PRECONDITION_FAILED', `Cannot ${action} delivery tag ${tag}: it is not an unacked message of this consumer (already settled, or from an earlier channel).`, {
        field: 'tag',
        hint: 'Nothing was sent; the consumer keeps running.',
      });
    }
    return m;
  }

  /** Acks one or more messages (removes them from the queue). Unknown tags throw before anything is sent. */
  ack(tags: number | number[]): void {
    const ch = this.channelOrThrow('ack');
    const list = Array.isArray(tags) ? tags : [tags];
    const msgs = list.map((t) => this.take(t, 'ack'));
    for (const m of msgs) {
      ch.ack(m);
      this.unacked.delete(m.fields.deliveryTag);
    }
  }

  /** Negative ack; requeue (default) puts it back in the queue, requeue=false dead-letters or drops it. */
  nack(tag: number, requeue = true): void {
    const ch = this.channelOrThrow('nack');
    const m = this.take(tag, 'nack');
    ch.nack(m, false, requeue);
    this.unacked.delete(tag);
  }

  /** Rejects: requeue=false (default) dead-letters the message (or drops it without a DLX). */
  reject(tag: number, requeue = false): void {
    const ch = this.channelOrThrow('reject');
    const m = this.take(tag, 'reject');
    ch.reject(m, requeue);
    this.unacked.delete(tag);
  }

  /** Acks every unacked message; returns how many. */
  ackAll(): number {
    const ch = this.channelOrThrow('ack all');
    const n = this.unacked.size;
    if (n > 0) ch.ackAll();
    this.unacked.clear();
    return n;
  }

  /** Nacks every unacked message (requeue by default); returns how many. */
  nackAll(requeue = true): number {
    const ch = this.channelOrThrow('nack all');
    const n = this.unacked.size;
    if (n > 0) ch.nackAll(requeue);
    this.unacked.clear();
    return n;
  }

  /** Cancels the consumer and gives every unacked message back to the queue. Safe to call twice. */
  async stop(): Promise<{ requeued: number }> {
    this.stopResumeWait?.();
    this.stopResumeWait = undefined;
    const ch = this.ch;
    if (!ch) return { requeued: 0 };
    this.stopping = true;
    let requeued = 0;
    try {
      if (this.consumerTag) await ch.cancel(this.consumerTag);
    } catch {
      // channel going away: closing requeues anyway
    }
    this.consumerTag = undefined;
    try {
      requeued = this.unacked.size;
      if (requeued > 0) ch.nackAll(true);
    } catch {
      // closing below requeues them
    }
    this.unacked.clear();
    this.ch = undefined;
    await closeQuietly(ch);
    return { requeued };
  }
}
