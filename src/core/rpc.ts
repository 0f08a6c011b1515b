/**
 * Request/reply over AMQP. By default direct reply-to: `amq.rabbitmq.reply-to` is consumed in no-ack mode
 * ON THE SAME CHANNEL that publishes (one such consumer per channel). Option replyQueue: 'exclusive' uses a
 * server-named exclusive queue instead. Requests are mandatory, so an unroutable request fails fast
 * (UNROUTABLE) instead of timing out. Many concurrent calls share one channel, matched by correlation id.
 */
import { randomUUID } from 'node:crypto';
import type { Channel, ConsumeMessage, Message } from 'amqplib';
import { RabbitError, invalidInput } from './errors';
import { toRabbitError } from './amqpErrors';
import { decodeMessage, type DecodeOptions, type DecodedMessage } from './message';
import { preparePublish, type AmqpTable, type MessageProperties } from './operations';
import { closeQuietly, type AmqpSession } from './session';

export const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';

export interface RpcCallOptions {
  /** Default '' (the default exchange: routingKey is the queue name). */
  exchange?: string;
  routingKey: string;
  body: Buffer | string;
  /** Any basic property except replyTo/correlationId, which the client sets. */
  properties?: Omit<MessageProperties, 'replyTo' | 'correlationId' | 'headers'>;
  headers?: AmqpTable;
  /** Default 30,000 ms; 1 ms – 10 min. */
  timeoutMs?: number;
}

export interface RpcReply {
  correlationId: string;
  roundTripMs: number;
  reply: DecodedMessage;
  raw: { content: Buffer; properties: ConsumeMessage['properties']; fields: ConsumeMessage['fields'] };
}

export interface RpcStats {
  calls: number;
  replies: number;
  timeouts: number;
  unroutable: number;
  failed: number;
  /** Replies whose correlation id matched no pending call (late after a timeout, or foreign). */
  ignoredReplies: number;
}

export interface RpcClientOptions {
  /** 'direct' (default): amq.rabbitmq.reply-to; 'exclusive': a server-named exclusive reply queue. */
  replyQueue?: 'direct' | 'exclusive';
  decode?: DecodeOptions;
}

interface Pending {
  resolve: (r: RpcReply) => void;
  reject: (e: RabbitError) => void;
  timer: NodeJS.Timeout;
  started: number;
  where: string;
}

interface Setup {
  ch: Channel;
  replyTo: string;
}

export class RpcClient {
  private setup: Promise<Setup> | undefined;
  private readonly pending = new Map<string, Pending>();
  private closed = false;
  private currentCh: Channel | undefined;
  private readonly _stats: RpcStats = { calls: 0, replies: 0, timeouts: 0, unroutable: 0, failed: 0, ignoredReplies: 0 };

  constructor(
    private readonly session: AmqpSession,
    private readonly options: RpcClientOptions = {},
  ) {
    if (options.replyQueue !== undefined && options.replyQueue !== 'direct' && options.replyQueue !== 'exclusive') {
      throw invalidInput('replyQueue', 'must be "direct" or "exclusive"');
    }
  }

  get stats(): RpcStats {
    return { ...this._stats };
  }

  /** Calls currently waiting for a reply. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** The reply address in use ('amq.rabbitmq.reply-to' or the exclusive queue), once set up. */
  async replyTo(): Promise<string> {
    return (await this.ensureSetup()).replyTo;
  }

  private ensureSetup(): Promise<Setup> {
    if (this.closed) return Promise.reject(new RabbitError('CANCELLED', 'The RPC client is closed.', { hint: 'Create a new one.' }));
    if (!this.setup) {
      const p = this.createSetup();
      this.setup = p;
      p.catch(() => {
        if (this.setup === p) this.setup = undefined;
      });
    }
    return this.setup;
  }

  private async createSetup(): Promise<Setup> {
    const ch = await this.session.openChannel('rpc');
    this.currentCh = ch;
    const what = 'set up the RPC reply consumer';
    ch.on('return', (m: Message) => this.onReturn(m));
    ch.on('close', () => {
      if (this.currentCh !== ch) return;
      this.currentCh = undefined;
      const err =
        this.session.channelError(ch, 'RPC call') ??
        new RabbitError('CONNECTION_CLOSED', 'The RPC call failed: the connection was lost before the reply arrived.', { hint: 'Check the server and retry the call.' });
      this.failAll(err);
    });
    try {
      let replyTo = DIRECT_REPLY_TO;
      if (this.options.replyQueue === 'exclusive') {
        const q = await ch.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
        replyTo = q.queue;
      }
      await ch.consume(replyTo, (m) => this.onReply(m), { noAck: true });
      const setup = { ch, replyTo };
      return setup;
    } catch (e) {
      const err = this.session.channelError(ch, what) ?? toRabbitError(e, this.session.errorContext(what));
      await closeQuietly(ch);
      throw err;
    }
  }

  private failAll(err: RabbitError): void {
    this.setup = undefined;
    for (const [id, p] of [...this.pending]) {
      this.pending.delete(id);
      clearTimeout(p.timer);
      this._stats.failed++;
      p.reject(err);
    }
  }

  private onReply(m: ConsumeMessage | null): void {
    if (m === null) {
      this.failAll(new RabbitError('CANCELLED', 'The broker cancelled the RPC reply consumer.', { hint: 'Retry the call.' }));
      return;
    }
    const id = m.properties.correlationId as string | undefined;
    const p = id !== undefined ? this.pending.get(String(id)) : undefined;
    if (!p || id === undefined) {
      this._stats.ignoredReplies++;
      return;
    }
    this.pending.delete(String(id));
    clearTimeout(p.timer);
    this._stats.replies++;
    const roundTripMs = performance.now() - p.started;
    p.resolve({
      correlationId: String(id),
      roundTripMs,
      reply: decodeMessage(m, 0, this.options.decode),
      raw: { content: m.content, properties: m.properties, fields: m.fields },
    });
  }

  private onReturn(m: Message): void {
    const id = m.properties.correlationId as string | undefined;
    const p = id !== undefined ? this.pending.get(String(id)) : undefined;
    if (!p || id === undefined) return;
    this.pending.delete(String(id));
    clearTimeout(p.timer);
    this._stats.unroutable++;
    p.reject(
      new RabbitError('UNROUTABLE', `The request to ${p.where} was not routed to any queue, so no server can answer it.`, {
        hint: 'Check the exchange and routing key, and that the RPC server is running and has declared its queue.',
      }),
    );
  }

  /** Sends a request and waits for the reply with the same correlation id. */
  async call(opts: RpcCallOptions): Promise<RpcReply> {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    if (!Number.isFinite(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000) throw invalidInput('timeoutMs', 'must be between 1 and 600000 ms');
    const props = (opts.properties ?? {}) as MessageProperties;
    if (props.replyTo !== undefined) throw invalidInput('properties.replyTo', 'is set by the RPC client');
    if (props.correlationId !== undefined) throw invalidInput('properties.correlationId', 'is set by the RPC client');
    await this.session.connection();
    const correlationId = randomUUID();
    const prepared = preparePublish(
      { ...props, headers: opts.headers, exchange: opts.exchange ?? '', routingKey: opts.routingKey, body: opts.body, mandatory: true, correlationId },
      { maxMessageSize: this.session.maxMessageSize, username: this.session.username },
    );
    const { ch, replyTo } = await this.ensureSetup();
    const where = `exchange "${prepared.exchange || '(default)'}" with routing key "${prepared.routingKey}"`;
    this._stats.calls++;
    return new Promise<RpcReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (!this.pending.delete(correlationId)) return;
        this._stats.timeouts++;
        reject(new RabbitError('TIMEOUT', `No reply from ${where} within ${timeoutMs} ms.`, { hint: 'Check that the RPC server is consuming and replies to the replyTo address with the same correlationId; or raise the timeout.' }));
      }, timeoutMs);
      this.pending.set(correlationId, { resolve, reject, timer, started: performance.now(), where });
      try {
        ch.publish(prepared.exchange, prepared.routingKey, prepared.content, { ...prepared.options, replyTo, correlationId });
      } catch (e) {
        this.pending.delete(correlationId);
        clearTimeout(timer);
        this._stats.failed++;
        reject(toRabbitError(e, this.session.errorContext(`call ${where}`)));
      }
    });
  }

  /** Fails pending calls with CANCELLED and closes the channel. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const setup = this.setup;
    this.failAll(new RabbitError('CANCELLED', 'The RPC client was closed before the reply arrived.'));
    if (setup) {
      const s = await setup.catch(() => undefined);
      await closeQuietly(s?.ch);
    }
  }
}
