/**
 * One AMQP connection per profile, opened lazily, reused, with channels by purpose that are replaced
 * transparently when the broker closes them, and reconnection with exponential backoff.
 */
import { readFileSync } from 'node:fs';
import * as amqp from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel } from 'amqplib';
import { RabbitError, invalidInput } from './errors';
import { toRabbitError, type AmqpErrorContext } from './amqpErrors';
import { amqpConnectUrl, type Credentials, type ResolvedProfile } from './profile';

/** A small typed event emitter (no vscode, no node EventEmitter 'error' special case). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export class TypedEmitter<E extends { [K in keyof E]: (...args: any[]) => void }> {
  private readonly listeners = new Map<keyof E, Set<E[keyof E]>>();

  on<K extends keyof E>(event: K, listener: E[K]): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => this.off(event, listener);
  }

  once<K extends keyof E>(event: K, listener: E[K]): () => void {
    const wrapper = ((...args: Parameters<E[K]>) => {
      this.off(event, wrapper);
      listener(...args);
    }) as E[K];
    return this.on(event, wrapper);
  }

  off<K extends keyof E>(event: K, listener: E[K]): void {
    this.listeners.get(event)?.delete(listener);
  }

  protected emit<K extends keyof E>(event: K, ...args: Parameters<E[K]>): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const l of [...set]) {
      try {
        (l as (...a: Parameters<E[K]>) => void)(...args);
      } catch {
        // a listener's bug must not break the session
      }
    }
  }

  removeAllListeners(): void {
    this.listeners.clear();
  }
}

export type SessionState = 'idle' | 'connecting' | 'connected' | 'disconnected' | 'reconnecting' | 'closed';

export interface StateDetail {
  /** The error that caused a 'disconnected' / failed 'reconnecting' attempt. */
  error?: RabbitError;
  /** Reconnect attempt number (1-based) for 'reconnecting'. */
  attempt?: number;
  /** Delay before that attempt. */
  delayMs?: number;
}

export interface SessionEvents {
  state: (state: SessionState, detail: StateDetail) => void;
  /** A purpose channel was closed by the broker (it is replaced on next use). */
  channelError: (purpose: string, error: RabbitError) => void;
  blocked: (reason: string) => void;
  unblocked: () => void;
}

export interface ReconnectOptions {
  /** Default 500 ms. */
  initialDelayMs?: number;
  /** Default 30,000 ms. */
  maxDelayMs?: number;
  /** Default 2. */
  factor?: number;
  /** Default Infinity. */
  maxAttempts?: number;
}

export interface AmqpSessionOptions {
  /** Heartbeat in seconds; default 30; 0 disables. */
  heartbeatSeconds?: number;
  /** Requested frame_max; default 131072; at least 8192. */
  frameMax?: number;
  /** TCP+handshake timeout; default 10,000 ms. */
  connectTimeoutMs?: number;
  /** Reconnect after a lost connection; default on. `false` disables. */
  reconnect?: boolean | ReconnectOptions;
  /** Largest body publish() accepts; default 128 MiB on RabbitMQ 3.x, 16 MiB on 4.x. */
  maxMessageSize?: number;
  /** Shown as the connection name in the management UI. */
  connectionName?: string;
}

export interface ServerInfo {
  product?: string;
  version?: string;
  platform?: string;
  clusterName?: string;
  capabilities: Record<string, boolean>;
}

const MiB = 1024 * 1024;

interface ChannelInfo {
  purpose: string;
  lastError?: RabbitError;
  rawError?: Error;
}

/**
 * One connection, reused. Create with a resolved profile and credentials; nothing happens until first use.
 * Every connection and channel has 'error' and 'close' handlers.
 */
export class AmqpSession extends TypedEmitter<SessionEvents> {
  private conn: ChannelModel | undefined;
  private connecting: Promise<ChannelModel> | undefined;
  private readonly purposeChannels = new Map<string, Promise<Channel>>();
  private readonly channelInfo = new WeakMap<Channel, ChannelInfo>();
  private readonly openChannels = new Set<Channel>();
  private _state: SessionState = 'idle';
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectAttempt = 0;
  private everConnected = false;
  private _serverInfo: ServerInfo | undefined;
  private _frameMax: number | undefined;
  private readonly opts: Required<Omit<AmqpSessionOptions, 'reconnect' | 'maxMessageSize'>> & { reconnect: Required<ReconnectOptions> | false; maxMessageSize?: number };
  /** Incremented on every new connection; lets holders of channels notice a reconnect. */
  private _generation = 0;

  constructor(
    readonly resolved: ResolvedProfile,
    private readonly credentials: Credentials,
    options: AmqpSessionOptions = {},
  ) {
    super();
    const frameMax = options.frameMax ?? 131072;
    if (!Number.isInteger(frameMax) || frameMax < 8192) throw invalidInput('frameMax', `must be an integer >= 8192 (got ${frameMax})`);
    const heartbeat = options.heartbeatSeconds ?? 30;
    if (!Number.isInteger(heartbeat) || heartbeat < 0) throw invalidInput('heartbeatSeconds', 'must be a non-negative integer');
    const timeout = options.connectTimeoutMs ?? 10_000;
    if (!(timeout > 0)) throw invalidInput('connectTimeoutMs', 'must be positive');
    if (options.maxMessageSize !== undefined && !(Number.isInteger(options.maxMessageSize) && options.maxMessageSize > 0)) {
      throw invalidInput('maxMessageSize', 'must be a positive integer');
    }
    const rc = options.reconnect === false ? false : { initialDelayMs: 500, maxDelayMs: 30_000, factor: 2, maxAttempts: Infinity, ...(options.reconnect === true ? {} : options.reconnect ?? {}) };
    this.opts = {
      heartbeatSeconds: heartbeat,
      frameMax,
      connectTimeoutMs: timeout,
      reconnect: rc,
      maxMessageSize: options.maxMessageSize,
      connectionName: options.connectionName ?? 'RabbitMQ Workbench',
    };
  }

  get state(): SessionState {
    return this._state;
  }

  get vhost(): string {
    return this.resolved.amqp.vhost;
  }

  get username(): string {
    return this.credentials.username;
  }

  /** Broker product/version once connected. */
  get serverInfo(): ServerInfo | undefined {
    return this._serverInfo;
  }

  /** Negotiated frame_max once connected. */
  get frameMax(): number | undefined {
    return this._frameMax;
  }

  /** Increments with every (re)connection. */
  get generation(): number {
    return this._generation;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Largest body accepted by publish(): the configured value, else by broker major version. */
  get maxMessageSize(): number {
    if (this.opts.maxMessageSize !== undefined) return this.opts.maxMessageSize;
    const major = Number((this._serverInfo?.version ?? '3').split('.')[0]);
    return major >= 4 ? 16 * MiB : 128 * MiB;
  }

  /** Context for error messages (never the password). */
  errorContext(operation?: string): AmqpErrorContext {
    const a = this.resolved.amqp;
    return { operation, host: a.hostname, port: a.port, vhost: a.vhost, username: this.credentials.username };
  }

  private setState(state: SessionState, detail: StateDetail = {}): void {
    if (this._state === state && state !== 'reconnecting') return;
    this._state = state;
    this.emit('state', state, detail);
  }

  /** Connects if needed and returns the one connection. */
  async connection(): Promise<ChannelModel> {
    if (this.closed) throw new RabbitError('CONNECTION_CLOSED', 'The session is closed.', { hint: 'Open a new session.' });
    if (this.conn) return this.conn;
    if (this.connecting) return this.connecting;
    // A request while waiting for a reconnect attempt: try now.
    if (this.reconnectTimer) {
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = undefined;
    }
    this.connecting = this.openConnection().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /** Connects now (instead of on first use). */
  async connect(): Promise<void> {
    await this.connection();
  }

  private async openConnection(): Promise<ChannelModel> {
    const a = this.resolved.amqp;
    const tls = this.resolved.profile.tls;
    const base = amqpConnectUrl(this.resolved, this.credentials);
    const url = `${base}?frameMax=${this.opts.frameMax}&heartbeat=${this.opts.heartbeatSeconds}`;
    const socketOptions: amqp.SocketOptions = {
      noDelay: true,
      timeout: this.opts.connectTimeoutMs,
      keepAlive: true,
      // explicit credentials: amqplib's URL parsing mangles non-ASCII passwords
      credentials: amqp.credentials.plain(this.credentials.username, this.credentials.password),
      clientProperties: { connection_name: this.opts.connectionName },
    };
    if (a.protocol === 'amqps') {
      if (tls?.caFile) {
        try {
          socketOptions.ca = [readFileSync(tls.caFile)];
        } catch (e) {
          throw invalidInput('tls.caFile', `cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`, 'Choose a readable PEM file.');
        }
      }
      if (tls?.insecureSkipVerify) socketOptions.rejectUnauthorized = false;
    }
    this.setState(this.everConnected ? 'reconnecting' : 'connecting', this.everConnected ? { attempt: this.reconnectAttempt } : {});
    let conn: ChannelModel;
    try {
      conn = await amqp.connect(url, socketOptions);
    } catch (e) {
      const err = toRabbitError(e, this.errorContext('connect'));
      if (!this.closed) {
        this.setState('disconnected', { error: err });
        if (this.everConnected) this.scheduleReconnect(err);
      }
      throw err;
    }
    if (this.closed) {
      conn.on('error', () => undefined);
      await conn.close().catch(() => undefined);
      throw new RabbitError('CONNECTION_CLOSED', 'The session was closed while connecting.');
    }
    this.conn = conn;
    this._generation++;
    this.everConnected = true;
    this.reconnectAttempt = 0;
    const raw = conn.connection as unknown as { serverProperties: Record<string, unknown>; frameMax?: number };
    const sp = raw.serverProperties ?? {};
    this._serverInfo = {
      product: str(sp.product),
      version: str(sp.version),
      platform: str(sp.platform),
      clusterName: str(sp.cluster_name),
      capabilities: (sp.capabilities ?? {}) as Record<string, boolean>,
    };
    this._frameMax = raw.frameMax;
    let lastError: RabbitError | undefined;
    conn.on('error', (e: Error) => {
      lastError = toRabbitError(e, this.errorContext());
    });
    conn.on('blocked', (reason: string) => this.emit('blocked', reason));
    conn.on('unblocked', () => this.emit('unblocked'));
    conn.on('close', (e?: Error) => {
      if (this.conn !== conn) return;
      this.conn = undefined;
      this.purposeChannels.clear();
      this.openChannels.clear();
      if (this.closed) return;
      const err =
        lastError ??
        (e ? toRabbitError(e, this.errorContext()) : new RabbitError('CONNECTION_CLOSED', 'The connection was closed.', { hint: 'The session reconnects on next use.' }));
      this.setState('disconnected', { error: err });
      this.scheduleReconnect(err);
    });
    this.setState('connected');
    return conn;
  }

  private scheduleReconnect(error: RabbitError): void {
    const rc = this.opts.reconnect;
    if (!rc || this.closed || this.reconnectTimer || this.connecting) return;
    if (this.reconnectAttempt >= rc.maxAttempts) return;
    this.reconnectAttempt++;
    const delayMs = Math.min(rc.maxDelayMs, rc.initialDelayMs * Math.pow(rc.factor, this.reconnectAttempt - 1));
    this.setState('reconnecting', { attempt: this.reconnectAttempt, delayMs, error });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.closed || this.conn || this.connecting) return;
      this.connection().catch(() => undefined); // failure schedules the next attempt
    }, delayMs);
    this.reconnectTimer.unref?.();
  }

  /** Attaches 'error' and 'close' handlers and registers the channel for cleanup. */
  private track<T extends Channel>(ch: T, purpose: string): T {
    const info: ChannelInfo = { purpose };
    this.channelInfo.set(ch, info);
    this.openChannels.add(ch);
    ch.on('error', (e: Error) => {
      info.rawError = e;
      info.lastError = toRabbitError(e, this.errorContext());
    });
    ch.on('close', () => {
      this.openChannels.delete(ch);
    });
    return ch;
  }

  /** The error the broker closed this channel with, if it did. */
  channelError(ch: Channel, operation?: string): RabbitError | undefined {
    const info = this.channelInfo.get(ch);
    if (!info?.rawError) return undefined;
    return operation ? toRabbitError(info.rawError, this.errorContext(operation)) : info.lastError;
  }

  /**
   * A new channel owned by the caller (consumers, peeks, RPC), with error/close handlers attached.
   * The caller closes it (or `close()` of the session does).
   */
  async openChannel(purpose = 'dedicated'): Promise<Channel> {
    const conn = await this.connection();
    try {
      return this.track(await conn.createChannel(), purpose);
    } catch (e) {
      throw toRabbitError(e, this.errorContext('open a channel'));
    }
  }

  /** A new confirm channel owned by the caller. */
  async openConfirmChannel(purpose = 'dedicated-confirm'): Promise<ConfirmChannel> {
    const conn = await this.connection();
    try {
      return this.track(await conn.createConfirmChannel(), purpose);
    } catch (e) {
      throw toRabbitError(e, this.errorContext('open a channel'));
    }
  }

  /**
   * The shared channel for a purpose ('ops', 'publish' …), replaced transparently after the broker closes it.
   * Purposes ending in 'publish' or 'confirm' are confirm channels.
   */
  channel(purpose: 'publish'): Promise<ConfirmChannel>;
  channel(purpose: string): Promise<Channel>;
  async channel(purpose: string): Promise<Channel> {
    const existing = this.purposeChannels.get(purpose);
    if (existing) return existing;
    const confirm = /(publish|confirm)$/.test(purpose);
    const p = (confirm ? this.openConfirmChannel(purpose) : this.openChannel(purpose)).then((ch) => {
      ch.on('close', () => {
        if (this.purposeChannels.get(purpose) === p) this.purposeChannels.delete(purpose);
        const err = this.channelError(ch);
        if (err && !this.closed) this.emit('channelError', purpose, err);
      });
      return ch;
    });
    this.purposeChannels.set(purpose, p);
    p.catch(() => {
      if (this.purposeChannels.get(purpose) === p) this.purposeChannels.delete(purpose);
    });
    return p;
  }

  /**
   * Runs `fn` on a throw-away channel that is closed afterwards: for probes and anything that may make the
   * broker close the channel (404/403/406). Errors come back as RabbitError, with the broker's reason.
   */
  async withTempChannel<T>(operation: string, fn: (ch: Channel) => Promise<T>): Promise<T> {
    const ch = await this.openChannel('temp');
    try {
      return await fn(ch);
    } catch (e) {
      throw this.channelError(ch, operation) ?? toRabbitError(e, this.errorContext(operation));
    } finally {
      await closeQuietly(ch);
    }
  }

  /** Closes every channel and the connection, stops reconnecting. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const connecting = this.connecting;
    if (connecting) await connecting.catch(() => undefined);
    const conn = this.conn;
    this.conn = undefined;
    this.purposeChannels.clear();
    const channels = [...this.openChannels];
    this.openChannels.clear();
    await Promise.all(channels.map((ch) => closeQuietly(ch)));
    if (conn) await conn.close().catch(() => undefined);
    this.setState('closed');
    this.removeAllListeners();
  }
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return undefined;
}

/** Closes a channel, ignoring "already closed". */
export async function closeQuietly(ch: Channel | undefined): Promise<void> {
  if (!ch) return;
  try {
    await ch.close();
  } catch {
    // already closed
  }
}
