import * as vscode from 'vscode';
import { isRabbitError, RabbitError } from '../../core/errors';
import { ManagementClient } from '../../core/management';
import type { Overview } from '../../core/model';
import {
  credentialTarget,
  credentialTargetChanges,
  describeCredentialTarget,
  resolveProfile,
  sameCredentialTarget,
  type CredentialTarget,
  type Credentials,
  type ResolvedProfile,
} from '../../core/profile';
import type { AmqpSession } from '../../core/session';
import { summarizeSessions, type AmqpSummary } from '../../core/sessionStatus';
import { logger } from '../../platform/log';
import { ConnectionStore, type StoredProfile } from './connectionStore';

const log = logger('connections');

export type ConnectionState = 'disconnected' | 'connecting' | 'connected' | 'error';

export interface ConnectionStatus {
  state: ConnectionState;
  overview?: Overview;
  error?: string;
}

/** Options of connect(). */
export interface ConnectOptions {
  /**
   * The user agreed to send the saved password to the connection's current target although it was saved for
   * another one (the host, port, scheme, user or TLS verification changed since).
   */
  confirmNewTarget?: boolean;
}

interface Live {
  resolved: ResolvedProfile;
  target: CredentialTarget;
  credentials: Credentials;
  management: ManagementClient;
  /** AMQP sessions by vhost (an AMQP connection is bound to one vhost). */
  sessions: Map<string, AmqpSession>;
}

export type SessionFactory = (resolved: ResolvedProfile, credentials: Credentials) => AmqpSession;

/**
 * Owns live connections: one management client per profile and one AMQP session per (profile, vhost), reused,
 * created on first use and closed on disconnect. Fires onDidChange when a profile's state changes.
 */
export class ConnectionManager implements vscode.Disposable {
  private readonly live = new Map<string, Live>();
  private readonly status = new Map<string, ConnectionStatus>();
  private readonly changed = new vscode.EventEmitter<string | undefined>();
  /** Fires with a profile id (or undefined for "all"). */
  readonly onDidChange = this.changed.event;
  private readonly sessionsChanged = new vscode.EventEmitter<string>();
  /** Fires with a profile id when the summary of its AMQP sessions changes (reconnecting, blocked, countdown). */
  readonly onDidChangeSessions = this.sessionsChanged.event;
  private readonly becameReadOnly = new vscode.EventEmitter<string>();
  /**
   * Fires with a profile id when its settings turned read-only while it was live, before its AMQP sessions are
   * closed: holders of broker state on it (consume panels) stop at once.
   */
  readonly onDidBecomeReadOnly = this.becameReadOnly.event;
  private activeId: string | undefined;
  private sessionFactory: SessionFactory | undefined;
  /** Ticks once a second while a session waits for its next reconnect attempt ("next in 8 s"). */
  private countdown: ReturnType<typeof setInterval> | undefined;
  private readonly storeListener: vscode.Disposable;

  constructor(readonly store: ConnectionStore) {
    this.storeListener = store.onDidChange(() => void this.settingsChanged());
  }

  setSessionFactory(factory: SessionFactory): void {
    this.sessionFactory = factory;
  }

  get activeProfileId(): string | undefined {
    return this.activeId;
  }

  statusOf(id: string): ConnectionStatus {
    return this.status.get(id) ?? { state: 'disconnected' };
  }

  profile(id: string): StoredProfile {
    const p = this.store.get(id);
    if (!p) throw new RabbitError('NOT_FOUND', `Connection ${id} is not defined.`, { hint: 'Add it in the RabbitMQ view.' });
    return p;
  }

  /** Connects (tries the management API) and marks the profile active. */
  async connect(id: string, opts: ConnectOptions = {}): Promise<Overview> {
    this.setStatus(id, { state: 'connecting' });
    try {
      const live = await this.ensureLive(id, opts);
      const overview = await live.management.overview();
      this.activeId = id;
      this.setStatus(id, { state: 'connected', overview });
      log.info(`connected to ${live.resolved.profile.name} (RabbitMQ ${overview.rabbitmqVersion})`);
      return overview;
    } catch (e) {
      // A client built with wrong credentials must not be reused after the password is fixed.
      if (isRabbitError(e, 'AUTH_FAILED')) await this.dropLive(id);
      this.setStatus(id, { state: 'error', error: e instanceof Error ? e.message : String(e) });
      throw e;
    }
  }

  async disconnect(id: string): Promise<void> {
    await this.dropLive(id);
    if (this.activeId === id) this.activeId = undefined;
    this.setStatus(id, { state: 'disconnected' });
  }

  /** Management client for a profile (connecting lazily). Marks the profile connected or in error. */
  async management(id: string): Promise<ManagementClient> {
    const live = await this.ensureLive(id);
    return live.management;
  }

  /** The AMQP session of (profile, vhost), created on first use and reused. */
  async session(id: string, vhost: string): Promise<AmqpSession> {
    const live = await this.ensureLive(id);
    let s = live.sessions.get(vhost);
    if (!s) {
      if (!this.sessionFactory) throw new RabbitError('CONNECTION_CLOSED', 'AMQP sessions are not available.');
      const resolved: ResolvedProfile = { ...live.resolved, amqp: { ...live.resolved.amqp, vhost } };
      const session = this.sessionFactory(resolved, live.credentials);
      live.sessions.set(vhost, session);
      const changed = () => {
        if (this.live.get(id) !== live || live.sessions.get(vhost) !== session) return;
        this.sessionsChanged.fire(id);
        this.updateCountdown();
      };
      session.on('state', changed);
      session.on('blocked', changed);
      session.on('unblocked', changed);
      s = session;
    }
    return s;
  }

  /** The state of a connection's AMQP sessions: reconnecting (attempt, next time), lost, blocked and why. */
  amqpSummary(id: string): AmqpSummary {
    const live = this.live.get(id);
    return summarizeSessions(live ? live.sessions.values() : []);
  }

  /** Starts the next reconnect attempt of every session of the connection that waits for one. */
  async retryNow(id: string): Promise<void> {
    const live = this.live.get(id);
    const waiting = [...(live?.sessions.values() ?? [])].filter((s) => s.reconnectStatus !== undefined);
    const results = await Promise.allSettled(waiting.map((s) => s.retryNow()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Where the saved password of a connection may go now, and where it was saved for (undefined: not bound yet). */
  async credentialTargets(id: string): Promise<{ now: CredentialTarget; saved: CredentialTarget | undefined; hasPassword: boolean }> {
    const now = credentialTarget(resolveProfile(this.profile(id)));
    const secret = await this.store.getSecret(id);
    return { now, saved: secret?.target, hasPassword: secret !== undefined };
  }

  /**
   * A session of its own on (profile, vhost), neither shared nor kept: for an operation the broker may answer
   * by closing the whole connection (a denied deprecated feature), so that the shared session's consumers and
   * channels are not taken down with it. The caller closes it.
   */
  async temporarySession(id: string, vhost: string): Promise<AmqpSession> {
    const live = await this.ensureLive(id);
    if (!this.sessionFactory) throw new RabbitError('CONNECTION_CLOSED', 'AMQP sessions are not available.');
    return this.sessionFactory({ ...live.resolved, amqp: { ...live.resolved.amqp, vhost } }, live.credentials);
  }

  resolved(id: string): ResolvedProfile {
    return resolveProfile(this.profile(id));
  }

  /** Refuses mutating actions on read-only connections. */
  assertWritable(id: string, action: string): void {
    if (this.profile(id).readOnly) {
      throw new RabbitError('READ_ONLY', vscode.l10n.t('"{0}" is read-only: {1} is not allowed.', this.profile(id).name, action), {
        hint: vscode.l10n.t('Edit the connection and clear "read-only" to change the broker.'),
      });
    }
  }

  private async ensureLive(id: string, opts: ConnectOptions = {}): Promise<Live> {
    const existing = this.live.get(id);
    if (existing) return existing;
    const profile = this.profile(id);
    const resolved = resolveProfile(profile);
    const target = credentialTarget(resolved);
    const secret = await this.store.getSecret(id);
    if (secret && !secret.target) {
      // A password saved before passwords were bound: bind it to the target it is first used with.
      await this.store.setPassword(id, secret.password, target);
    } else if (secret?.target && !sameCredentialTarget(secret.target, target)) {
      // The settings (perhaps a shared workspace file) now point elsewhere: nothing is sent without consent.
      if (!opts.confirmNewTarget) throw targetChangedError(profile.name, secret.target, target);
      await this.store.setPassword(id, secret.password, target);
      log.info(`the saved password of ${profile.name} is now bound to ${describeCredentialTarget(target)} (confirmed)`);
    }
    const again = this.live.get(id);
    if (again) return again;
    const credentials: Credentials = { username: resolved.amqp.username, password: secret?.password ?? '' };
    const live: Live = { resolved, target, credentials, management: new ManagementClient(resolved, credentials), sessions: new Map() };
    this.live.set(id, live);
    return live;
  }

  /**
   * Settings changed (settings.json edited, a workspace file pulled): a live connection whose target changed is
   * dropped (the next connect checks the password's binding); one that turned read-only loses its AMQP sessions
   * (and what runs on them) at once.
   */
  private async settingsChanged(): Promise<void> {
    for (const [id, live] of [...this.live]) {
      const profile = this.store.get(id);
      let resolved: ResolvedProfile | undefined;
      try {
        resolved = profile ? resolveProfile(profile) : undefined;
      } catch {
        resolved = undefined;
      }
      if (!resolved || !sameCredentialTarget(live.target, credentialTarget(resolved))) {
        log.info(`${live.resolved.profile.name}: its settings now name another target (or it is gone); disconnected`);
        await this.disconnect(id);
        continue;
      }
      const wasReadOnly = live.resolved.profile.readOnly === true;
      live.resolved = resolved;
      if (resolved.profile.readOnly && !wasReadOnly) {
        log.info(`${resolved.profile.name} became read-only: closing its AMQP sessions`);
        this.becameReadOnly.fire(id);
        const sessions = [...live.sessions.values()];
        live.sessions.clear();
        await Promise.allSettled(sessions.map((s) => s.close()));
        this.sessionsChanged.fire(id);
      }
    }
  }

  private updateCountdown(): void {
    const waiting = [...this.live.keys()].filter((id) => this.amqpSummary(id).nextAttemptAt !== undefined);
    if (waiting.length === 0) {
      if (this.countdown) clearInterval(this.countdown);
      this.countdown = undefined;
      return;
    }
    this.countdown ??= setInterval(() => {
      for (const id of this.live.keys()) if (this.amqpSummary(id).state !== 'ok') this.sessionsChanged.fire(id);
      this.updateCountdown();
    }, 1000);
  }

  private async dropLive(id: string): Promise<void> {
    const live = this.live.get(id);
    this.live.delete(id);
    if (live) {
      live.management.dispose();
      const sessions = [...live.sessions.values()];
      live.sessions.clear();
      await Promise.allSettled(sessions.map((s) => s.close()));
      this.sessionsChanged.fire(id);
      this.updateCountdown();
    }
  }

  private setStatus(id: string, status: ConnectionStatus): void {
    this.status.set(id, status);
    this.changed.fire(id);
  }

  dispose(): void {
    this.storeListener.dispose();
    if (this.countdown) clearInterval(this.countdown);
    this.countdown = undefined;
    for (const id of [...this.live.keys()]) void this.disconnect(id);
    this.changed.dispose();
    this.sessionsChanged.dispose();
    this.becameReadOnly.dispose();
  }
}

/** The refusal to send a password saved for one target to another; names both and what changed. */
function targetChangedError(name: string, saved: CredentialTarget, now: CredentialTarget): RabbitError {
  return new RabbitError(
    'TARGET_CHANGED',
    vscode.l10n.t(
      '"{0}" now points to {1}, but its saved password was saved for {2} (changed: {3}). Nothing was sent.',
      name,
      describeCredentialTarget(now),
      describeCredentialTarget(saved),
      credentialTargetChanges(saved, now).join(', '),
    ),
    { hint: vscode.l10n.t('Connect again and confirm sending the password to the new target (args: confirmNewTarget: true), or edit the connection and enter the password for it.') },
  );
}
