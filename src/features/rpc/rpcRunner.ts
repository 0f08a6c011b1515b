/**
 * The RPC panel's call logic, without 'vscode' (benchmarked in plain Node): a form is validated, sent through the
 * core RpcClient (one per reply mode, reused: direct reply-to on its publishing channel, or an exclusive reply
 * queue), and every call is reported as it starts (pending) and ends (reply or error), with the counts of calls
 * in flight and of ignored replies (correlation id matching no call: late after a timeout, foreign, duplicate).
 */
import { RpcClient, type RpcCallOptions, type RpcReply } from '../../core/rpc';
import type { MessageProperties } from '../../core/operations';
import { TypedEmitter, type AmqpSession } from '../../core/session';
import type { CallView, ReplyMode, RpcForm } from './rpcProtocol';
import { errorFields, replyView, validateForm, type RpcRequest } from './rpcModel';

export interface RunnerStats {
  /** Replies that matched no call, since the runner was created. */
  ignored: number;
  inFlight: number;
}

export interface RunnerEvents {
  /** A call started (state 'pending') or finished. */
  call: (call: CallView) => void;
  stats: (stats: RunnerStats) => void;
}

export interface CallOutcome {
  call: CallView;
  reply?: RpcReply;
  /** The failure (RabbitError) when call.state is 'error'. */
  error?: unknown;
}

interface ClientEntry {
  client: RpcClient;
  session: AmqpSession;
  generation: number;
}

let seq = 0;

/** The request's publish options → the core client's call options. */
export function toCallOptions(req: RpcRequest): RpcCallOptions {
  const { exchange, routingKey, body, headers, mandatory: _m, ...properties } = req.publish;
  void _m;
  return { exchange, routingKey, body, headers, properties: properties as Omit<MessageProperties, 'replyTo' | 'correlationId' | 'headers'>, timeoutMs: req.timeoutMs };
}

export class RpcRunner extends TypedEmitter<RunnerEvents> {
  private readonly clients = new Map<ReplyMode, ClientEntry>();
  /** Ignored replies counted by clients that were replaced. */
  private ignoredBefore = 0;
  private pendingCalls = 0;
  private disposed = false;

  /** `session` gives the AMQP session of the panel's (connection, vhost), connecting lazily. */
  constructor(private readonly session: () => Promise<AmqpSession>, private readonly options: { bodyLimit?: number } = {}) {
    super();
  }

  get stats(): RunnerStats {
    let ignored = this.ignoredBefore;
    for (const e of this.clients.values()) ignored += e.client.stats.ignoredReplies;
    return { ignored, inFlight: this.pendingCalls };
  }

  /**
   * Validates (throws RabbitError INVALID_INPUT naming the field, nothing sent), then calls. Broker-side failures
   * (TIMEOUT, UNROUTABLE, NOT_FOUND, CONNECTION_CLOSED …) do not throw: they come back as a call in state 'error'.
   */
  async execute(form: RpcForm): Promise<CallOutcome> {
    const request = validateForm(form);
    const id = `c${Date.now().toString(36)}-${++seq}`;
    const call: CallView = { id, startedAt: new Date().toISOString(), form: { ...form }, state: 'pending' };
    this.pendingCalls++;
    this.emit('call', { ...call });
    this.emitStats();
    try {
      const client = await this.client(request.replyMode);
      const reply = await client.call(toCallOptions(request));
      const done: CallView = { ...call, state: 'ok', correlationId: reply.correlationId, rttMs: round(reply.roundTripMs), reply: replyView(reply.reply, id, this.options.bodyLimit) };
      return { call: done, reply };
    } catch (error) {
      return { call: { ...call, state: 'error', ...errorFields(error) }, error };
    } finally {
      this.pendingCalls--;
    }
  }

  /** execute() plus the 'call' and 'stats' events for the finished call. */
  async run(form: RpcForm): Promise<CallOutcome> {
    const out = await this.execute(form);
    this.emit('call', out.call);
    this.emitStats();
    return out;
  }

  private emitStats(): void {
    this.emit('stats', this.stats);
  }

  /** One client per reply mode, replaced when the session object or its connection changes. */
  private async client(mode: ReplyMode): Promise<RpcClient> {
    if (this.disposed) throw new Error('The RPC panel is closed.');
    const session = await this.session();
    await session.connection();
    const existing = this.clients.get(mode);
    if (existing && existing.session === session && existing.generation === session.generation) return existing.client;
    if (existing) {
      this.ignoredBefore += existing.client.stats.ignoredReplies;
      void existing.client.close();
    }
    const entry: ClientEntry = { client: new RpcClient(session, { replyQueue: mode, decode: { maxBodyBytes: Number.MAX_SAFE_INTEGER, hexBytes: 0 } }), session, generation: session.generation };
    this.clients.set(mode, entry);
    return entry.client;
  }

  /** Closes the clients (pending calls fail with CANCELLED). */
  async dispose(): Promise<void> {
    this.disposed = true;
    const entries = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(entries.map((e) => e.client.close()));
    this.removeAllListeners();
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
