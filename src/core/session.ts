/**
 * One AMQP connection per profile, opened lazily, reused, with channels by purpose that are replaced
 * transparently when the broker closes them, and reconnection with exponential backoff.
 *
 * Every wait here is bounded: connecting (connectTimeoutMs), channel and broker round trips (operationTimeoutMs),
 * closing (closeTimeoutMs, then the socket is destroyed), publisher confirms (confirmTimeoutMs, used by the
 * publish operations). The broker's `connection.blocked` / `unblocked` are kept as state (`blockedReason`).
 * Reconnecting lives in one place (the "reconnect" section below): after a lost connection, attempts are
 * scheduled with capped exponential backoff and jitter until one succeeds, the attempt limit is reached or
 * the session is closed; `reconnectStatus` and the 'state' event show it, `retryNow()` skips the wait.
 */
import { readFileSync } from 'node:fs';
import * as amqp from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel } from 'amqplib';
import { RabbitError, invalidInput, isRabbitError } from './errors';
import { deprecatedFeatureOf, parseBrokerReply, toRabbitError, type AmqpErrorContext } from './amqpErrors';
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
  /** 'reconnecting': waiting for the next attempt, or the attempt is running. */
  phase?: 'waiting' | 'attempting';
  /** 'reconnecting' while waiting: when the next attempt starts (Date.now() clock). */
  nextAttemptAt?: number;
  /** 'disconnected': automatic reconnecting stopped (attempt limit reached). */
  gaveUp?: boolean;
}

/** Where automatic reconnecting stands; undefined while connected or before the first connection. */
export interface ReconnectStatus {
  /** 1-based number of the attempt that is running or comes next. */
  attempt: number;
  phase: 'waiting' | 'attempting';
  /** When the next attempt starts (Date.now() clock), while waiting. */
  nextAttemptAt?: number;
  delayMs?: number;
  /** Why the connection was lost, or why the last attempt failed. */
  lastError?: RabbitError;
  /** The attempt limit was reached: no more attempts are scheduled (retryNow() still works). */
  gaveUp: boolean;
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
  /** Random share taken off or added to each delay, 0–1; default 0.2 (so many clients do not retry in step). */
  jitter?: number;
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
  /** Longest wait for a publisher confirm before the publish fails; default 15,000 ms. */
  confirmTimeoutMs?: number;
  /** Longest wait for one broker round trip (open a channel, declare, bind …); default 15,000 ms. */
  operationTimeoutMs?: number;
  /** Grace for a clean close (channel.close / connection.close) before the socket is destroyed; default 2,000 ms. */
  closeTimeoutMs?: number;
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
  /** The connection the channel was opened on: when the broker closes that with a reason, the channel's operations report it. */
  conn?: ChannelModel;
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
  private everConnected = false;
  private _serverInfo: ServerInfo | undefined;
  private _frameMax: number | undefined;
  private readonly opts: Required<Omit<AmqpSessionOptions, 'reconnect' | 'maxMessageSize'>> & { reconnect: Required<ReconnectOptions> | false; maxMessageSize?: number };
  private _reconnect: ReconnectStatus | undefined;
  private _blockedReason: string | undefined;
  /** When the current connection last received bytes (Date.now() clock). */
  private lastReceivedAt = 0;
  /** Incremented on every new connection; lets holders of channels notice a reconnect. */
  private _generation = 0;
  /** Why the broker closed a connection of this session (close frame with 541 INTERNAL_ERROR), per connection. */
  private readonly connectionCloseErrors = new WeakMap<ChannelModel, Error>();
  /** Deprecated features the broker refused on this session (feature → the broker's words), learned from its 541 close. */
  private readonly deniedFeatures = new Map<string, string>();

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
    const rc = options.reconnect === false ? false : { initialDelayMs: 500, maxDelayMs: 30_000, factor: 2, maxAttempts: Infinity, jitter: 0.2, ...(options.reconnect === true ? {} : options.reconnect ?? {}) };
    if (rc) {
      if (!(rc.initialDelayMs >= 0)) throw invalidInput('reconnect.initialDelayMs', 'must be a non-negative number of ms');
      if (!(rc.maxDelayMs >= rc.initialDelayMs)) throw invalidInput('reconnect.maxDelayMs', 'must be at least initialDelayMs');
      if (!(rc.factor >= 1)) throw invalidInput('reconnect.factor', 'must be at least 1');
      if (!(rc.maxAttempts >= 1)) throw invalidInput('reconnect.maxAttempts', 'must be at least 1');
      if (!(rc.jitter >= 0 && rc.jitter <= 1)) throw invalidInput('reconnect.jitter', 'must be between 0 and 1');
    }
    const positive = (field: string, v: number | undefined, dflt: number): number => {
      if (v === undefined) return dflt;
      if (!(Number.isFinite(v) && v > 0)) throw invalidInput(field, `must be a positive number of ms (got ${String(v)})`);
      return v;
    };
    this.opts = {
      heartbeatSeconds: heartbeat,
      frameMax,
      connectTimeoutMs: timeout,
      reconnect: rc,
      maxMessageSize: options.maxMessageSize,
      connectionName: options.connectionName ?? 'RabbitMQ Workbench',
      confirmTimeoutMs: positive('confirmTimeoutMs', options.confirmTimeoutMs, 15_000),
      operationTimeoutMs: positive('operationTimeoutMs', options.operationTimeoutMs, 15_000),
      closeTimeoutMs: positive('closeTimeoutMs', options.closeTimeoutMs, 2_000),
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

  /** Longest wait for a publisher confirm (publish operations use it). */
  get confirmTimeoutMs(): number {
    return this.opts.confirmTimeoutMs;
  }

  /** Longest wait for one broker round trip. */
  get operationTimeoutMs(): number {
    return this.opts.operationTimeoutMs;
  }

  /** Grace for a clean close before the socket is destroyed. */
  get closeTimeoutMs(): number {
    return this.opts.closeTimeoutMs;
  }

  /** The broker's reason while it blocks this connection's publishers (`connection.blocked`), else undefined. */
  get blockedReason(): string | undefined {
    return this._blockedReason;
  }

  /** Automatic reconnecting: attempt, phase and next time; undefined when there is nothing to show. */
  get reconnectStatus(): ReconnectStatus | undefined {
    return this._reconnect ? { ...this._reconnect } : undefined;
  }

  /** Milliseconds since the current connection last received anything (Infinity when not connected). */
  get silentForMs(): number {
    return this.conn ? Date.now() - this.lastReceivedAt : Infinity;
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
    if (this._state === state && state !== 'reconnecting' && !detail.gaveUp) return;
    this._state = state;
    this.emit('state', state, detail);
  }

  /** Connects if needed and returns the one connection. */
  async connection(): Promise<ChannelModel> {
    if (this.closed) throw new RabbitError('CONNECTION_CLOSED', 'The session is closed.', { hint: 'Open a new session.' });
    if (this.conn) return this.conn;
    if (this.connecting) return this.connecting;
    // A request while waiting for a reconnect attempt: try now.
    this.clearReconnectTimer();
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
    if (this.everConnected) {
      const attempt = this._reconnect?.attempt ?? 1;
      this._reconnect = { attempt, phase: 'attempting', lastError: this._reconnect?.lastError, gaveUp: false };
      this.setState('reconnecting', { attempt, phase: 'attempting', error: this._reconnect.lastError });
    } else this.setState('connecting');
    let conn: ChannelModel;
    try {
      conn = await this.connectBounded(url, socketOptions);
    } catch (e) {
      const err = toRabbitError(e, this.errorContext('connect'));
      if (!this.closed) {
        this.setState('disconnected', { error: err });
        // After a lost connection every failed attempt schedules the next one.
        if (this.everConnected) this.scheduleReconnect(err);
      }
      throw err;
    }
    if (this.closed) {
      conn.on('error', () => undefined);
      await this.closeConnectionBounded(conn);
      throw new RabbitError('CONNECTION_CLOSED', 'The session was closed while connecting.');
    }
    this.conn = conn;
    this._generation++;
    this.everConnected = true;
    this._reconnect = undefined;
    this._blockedReason = undefined;
    const raw = conn.connection as unknown as { serverProperties: Record<string, unknown>; frameMax?: number; stream?: NodeJS.ReadableStream };
    const sp = raw.serverProperties ?? {};
    this._serverInfo = {
      product: str(sp.product),
      version: str(sp.version),
      platform: str(sp.platform),
      clusterName: str(sp.cluster_name),
      capabilities: (sp.capabilities ?? {}) as Record<string, boolean>,
    };
    this._frameMax = raw.frameMax;
    // A second 'readable' listener only notes the time: amqplib's own listener reads the data.
    this.lastReceivedAt = Date.now();
    raw.stream?.on('readable', () => {
      if (this.conn === conn) this.lastReceivedAt = Date.now();
    });
    let lastError: RabbitError | undefined;
    conn.on('error', (e: Error) => {
      lastError = toRabbitError(e, this.errorContext());
      // 541: the broker refused something on a channel by closing the whole connection (RabbitMQ 4.x does so for
      // a denied deprecated feature). The operation that caused it must report the broker's words, not "closed".
      const { replyCode, replyText } = parseBrokerReply(e);
      if (replyCode === 541) {
        this.connectionCloseErrors.set(conn, e);
        const feature = replyText === undefined ? undefined : deprecatedFeatureOf(replyText);
        if (feature && replyText) this.deniedFeatures.set(feature, replyText.replace(/^[A-Z_]+ - /, ''));
      }
    });
    conn.on('blocked', (reason: string) => {
      if (this.conn !== conn) return;
      this._blockedReason = typeof reason === 'string' && reason ? reason : 'no reason given';
      this.emit('blocked', this._blockedReason);
    });
    conn.on('unblocked', () => {
      if (this.conn !== conn || this._blockedReason === undefined) return;
      this._blockedReason = undefined;
      this.emit('unblocked');
    });
    conn.on('close', (e?: Error) => {
      if (this.conn !== conn) return;
      this.conn = undefined;
      this.purposeChannels.clear();
      this.openChannels.clear();
      if (this._blockedReason !== undefined) {
        this._blockedReason = undefined;
        this.emit('unblocked');
      }
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

  /** amqp.connect with our own deadline on top of the socket timeout (a handshake that trickles is cut too). */
  private connectBounded(url: string, socketOptions: amqp.SocketOptions): Promise<ChannelModel> {
    const limit = this.opts.connectTimeoutMs + 1_000;
    return new Promise<ChannelModel>((resolve, reject) => {
      let late = false;
      const timer = setTimeout(() => {
        late = true;
        reject(new RabbitError('TIMEOUT', `Connecting to ${this.resolved.amqp.hostname}:${this.resolved.amqp.port} took longer than ${limit} ms (the AMQP handshake did not finish).`, {
          hint: 'Check that the port speaks AMQP and that the broker is not overloaded; the session retries.',
        }));
      }, limit);
      amqp.connect(url, socketOptions).then(
        (c) => {
          clearTimeout(timer);
          if (!late) return resolve(c);
          c.on('error', () => undefined);
          void this.closeConnectionBounded(c);
        },
        (e: unknown) => {
          clearTimeout(timer);
          if (!late) reject(e);
        },
      );
    });
  }

  // ---------------------------------------------------------------------------------------- reconnect
  // The one place that decides when the next connection attempt runs. A lost connection schedules
  // attempt 1; every failed attempt (openConnection's catch) schedules the next; success clears it.

  private clearReconnectTimer(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
  }

  /** Delay before `attempt` (1-based): initial × factor^(attempt-1), capped, ± jitter. */
  reconnectDelayMs(attempt: number, random: () => number = Math.random): number {
    const rc = this.opts.reconnect;
    if (!rc) return 0;
    const base = Math.min(rc.maxDelayMs, rc.initialDelayMs * Math.pow(rc.factor, Math.max(0, attempt - 1)));
    const spread = base * rc.jitter;
    return Math.max(0, Math.round(base - spread + 2 * spread * random()));
  }

  private scheduleReconnect(error: RabbitError): void {
    const rc = this.opts.reconnect;
    if (!rc || this.closed || this.reconnectTimer) return;
    const attempt = this._reconnect?.phase === 'attempting' ? this._reconnect.attempt + 1 : (this._reconnect?.attempt ?? 0) + 1;
    if (attempt > rc.maxAttempts) {
      this._reconnect = { attempt: attempt - 1, phase: 'waiting', lastError: error, gaveUp: true };
      this.setState('disconnected', { error, gaveUp: true, attempt: attempt - 1 });
      return;
    }
    const delayMs = this.reconnectDelayMs(attempt);
    const nextAttemptAt = Date.now() + delayMs;
    this._reconnect = { attempt, phase: 'waiting', delayMs, nextAttemptAt, lastError: error, gaveUp: false };
    this.setState('reconnecting', { attempt, delayMs, error, phase: 'waiting', nextAttemptAt });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.closed || this.conn) return;
      this.connection().catch(() => undefined); // a failure schedules the next attempt
    }, delayMs);
    this.reconnectTimer.unref?.();
  }

  /** Skips the wait: starts a connection attempt now (also after the attempt limit was reached). */
  async retryNow(): Promise<void> {
    if (this.closed) throw new RabbitError('CONNECTION_CLOSED', 'The session is closed.', { hint: 'Open a new session.' });
    // An attempt that is just failing is not "now": let it finish, then start a fresh one.
    if (this.connecting) await this.connecting.catch(() => undefined);
    if (this.conn) return;
    if (this._reconnect?.gaveUp) this._reconnect = { ...this._reconnect, gaveUp: false, phase: 'waiting' };
    await this.connection();
  }

  /**
   * Gives up on the current connection at once (its socket is destroyed, nothing is awaited): for a
   * connection found stalled. Owners of channels see them close; reconnecting starts as after any loss.
   */
  abandonConnection(reason: RabbitError): void {
    const conn = this.conn;
    if (!conn) return;
    destroySocket(conn, reason);
  }

  // ---------------------------------------------------------------------------------------- bounded waits

  /**
   * Resolves at once unless the broker blocks this connection's publishers; then waits for `unblocked` at
   * most `ms` (default confirmTimeoutMs) and fails with BLOCKED naming the broker's reason.
   */
  async waitUntilUnblocked(what: string, ms: number = this.opts.confirmTimeoutMs): Promise<void> {
    if (this._blockedReason === undefined) return;
    const reason = this._blockedReason;
    let off: (() => void) | undefined;
    let offClose: (() => void) | undefined;
    try {
      await withTimeout(
        new Promise<void>((resolve) => {
          off = this.on('unblocked', resolve);
          offClose = this.on('state', (st) => st !== 'connected' && resolve());
        }),
        ms,
        () =>
          new RabbitError('BLOCKED', `Could not ${what}: the broker is blocking publishers: ${this._blockedReason ?? reason}. Nothing was sent.`, {
            hint: 'The broker blocks publishing connections while a memory or disk alarm is on; free memory or disk on the broker, then retry.',
            brokerText: this._blockedReason ?? reason,
          }),
      );
    } finally {
      off?.();
      offClose?.();
    }
  }

  /** Waits for `p` at most `ms` (default operationTimeoutMs); then fails with TIMEOUT naming `what`. */
  bounded<T>(p: Promise<T>, what: string, ms: number = this.opts.operationTimeoutMs): Promise<T> {
    return withTimeout(p, ms, () => this.timeoutError(what, ms));
  }

  /** The TIMEOUT error for a wait on the broker, naming the likely cause (blocked, stalled, slow). */
  timeoutError(what: string, ms: number): RabbitError {
    if (this._blockedReason !== undefined) {
      return new RabbitError('BLOCKED', `Could not ${what}: the broker is blocking publishers: ${this._blockedReason}.`, {
        hint: 'The broker blocks publishing connections while a memory or disk alarm is on; free memory or disk on the broker, then retry.',
        brokerText: this._blockedReason,
      });
    }
    const silent = this.silentForMs;
    if (silent >= ms) {
      return new RabbitError('TIMEOUT', `Could not ${what}: nothing came back from the broker for ${Math.round(silent / 100) / 10} s; the connection looks stalled.`, {
        hint: 'The connection is dropped and the session reconnects; check the network between you and the broker, then retry.',
      });
    }
    return new RabbitError('TIMEOUT', `Could not ${what}: the broker did not answer within ${ms} ms (the connection is alive).`, {
      hint: 'The broker may be overloaded; retry, or raise the timeout.',
    });
  }

  /**
   * The broker's words when it refused a deprecated feature (e.g. 'transient_nonexcl_queues', 'global_qos') on this
   * session, else undefined: a later use can be refused before anything is sent.
   */
  deprecatedFeatureDenied(feature: string): string | undefined {
    return this.deniedFeatures.get(feature);
  }

  /** Attaches 'error' and 'close' handlers and registers the channel for cleanup. */
  private track<T extends Channel>(ch: T, purpose: string, conn?: ChannelModel): T {
    const info: ChannelInfo = { purpose, conn };
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
    if (!info?.rawError) {
      // The channel ended with its connection: the connection's close reason, when the broker gave one that concerns it.
      const connErr = info?.conn && this.connectionCloseErrors.get(info.conn);
      return connErr ? toRabbitError(connErr, this.errorContext(operation)) : undefined;
    }
    return operation ? toRabbitError(info.rawError, this.errorContext(operation)) : info.lastError;
  }

  /**
   * A new channel owned by the caller (consumers, peeks, RPC), with error/close handlers attached.
   * The caller closes it (or `close()` of the session does).
   */
  async openChannel(purpose = 'dedicated'): Promise<Channel> {
    const conn = await this.connection();
    return this.track(await this.createBounded(() => conn.createChannel()), purpose, conn);
  }

  /** A new confirm channel owned by the caller. */
  async openConfirmChannel(purpose = 'dedicated-confirm'): Promise<ConfirmChannel> {
    const conn = await this.connection();
    return this.track(await this.createBounded(() => conn.createConfirmChannel()), purpose, conn);
  }

  /** Opens a channel within operationTimeoutMs; one that opens too late is closed again. */
  private async createBounded<T extends Channel>(create: () => Promise<T>): Promise<T> {
    const p = create();
    try {
      return await this.bounded(p, 'open a channel');
    } catch (e) {
      if (isRabbitError(e, 'TIMEOUT') || isRabbitError(e, 'BLOCKED')) {
        p.then((late) => {
          late.on('error', () => undefined);
          void closeQuietly(late, this.opts.closeTimeoutMs);
        }, () => undefined);
      }
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
      return await this.bounded(fn(ch), operation);
    } catch (e) {
      throw this.channelError(ch, operation) ?? toRabbitError(e, this.errorContext(operation));
    } finally {
      await closeQuietly(ch, this.opts.closeTimeoutMs);
    }
  }

  /**
   * Closes every channel and the connection, stops reconnecting. Safe to call twice. Bounded: after
   * closeTimeoutMs without the broker's close-ok (dead or stalled socket) the socket is destroyed.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.clearReconnectTimer();
    this._reconnect = undefined;
    // A connect still running is closed by openConnection when it finishes (it sees `closed`).
    const conn = this.conn;
    this.conn = undefined;
    this.purposeChannels.clear();
    const channels = [...this.openChannels];
    this.openChannels.clear();
    this._blockedReason = undefined;
    if (conn) {
      conn.on('error', () => undefined);
      const clean = (async () => {
        await Promise.all(channels.map((ch) => closeQuietly(ch, this.opts.closeTimeoutMs)));
        await conn.close().catch(() => undefined);
      })();
      const done = await settlesWithin(clean, this.opts.closeTimeoutMs);
      if (!done) destroySocket(conn, new RabbitError('CONNECTION_CLOSED', 'The session was closed.'));
    }
    this.setState('closed');
    this.removeAllListeners();
  }

  /** conn.close() within closeTimeoutMs, else the socket is destroyed. */
  private async closeConnectionBounded(conn: ChannelModel): Promise<void> {
    if (!(await settlesWithin(conn.close().catch(() => undefined), this.opts.closeTimeoutMs))) {
      destroySocket(conn, new RabbitError('CONNECTION_CLOSED', 'The connection was closed.'));
    }
  }
}

/** True when `p` settled within `ms`. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Rejects with `onTimeout()` when `p` has not settled within `ms`. */
export async function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Destroys the connection's socket with `reason`: amqplib sees a socket error, closes every channel and
 * emits 'error' and 'close' at once, without waiting for the broker.
 */
function destroySocket(conn: ChannelModel, reason: Error): void {
  const stream = (conn.connection as unknown as { stream?: { destroy?: (e?: Error) => void } }).stream;
  stream?.destroy?.(reason);
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return undefined;
}

/**
 * Closes a channel, ignoring "already closed". Waits at most `timeoutMs` for the broker's close-ok (a dead
 * or stalled connection never sends it); the channel then goes with its connection.
 */
export async function closeQuietly(ch: Channel | undefined, timeoutMs = 2_000): Promise<void> {
  if (!ch) return;
  await settlesWithin(
    Promise.resolve()
      .then(() => ch.close())
      .catch(() => undefined),
    timeoutMs,
  );
}
