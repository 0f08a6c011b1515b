import * as vscode from 'vscode';
import { isRabbitError, RabbitError } from '../../core/errors';
import { ManagementClient } from '../../core/management';
import type { Overview } from '../../core/model';
import { resolveProfile, type Credentials, type ResolvedProfile } from '../../core/profile';
import type { AmqpSession } from '../../core/session';
import { logger } from '../../platform/log';
import { ConnectionStore, type StoredProfile } from './connectionStore';

const log = logger('connections');

export type ConnectionState = 'disconnected' | 'connecting' | 'connected' | 'error';

export interface ConnectionStatus {
  state: ConnectionState;
  overview?: Overview;
  error?: string;
}

interface Live {
  resolved: ResolvedProfile;
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
  private activeId: string | undefined;
  private sessionFactory: SessionFactory | undefined;

  constructor(readonly store: ConnectionStore) {}

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
  async connect(id: string): Promise<Overview> {
    this.setStatus(id, { state: 'connecting' });
    try {
      const live = await this.ensureLive(id);
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
      s = this.sessionFactory(resolved, live.credentials);
      live.sessions.set(vhost, s);
    }
    return s;
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

  private async ensureLive(id: string): Promise<Live> {
    const existing = this.live.get(id);
    if (existing) return existing;
    const profile = this.profile(id);
    const resolved = resolveProfile(profile);
    const password = (await this.store.getPassword(id)) ?? '';
    const credentials: Credentials = { username: resolved.amqp.username, password };
    const live: Live = { resolved, credentials, management: new ManagementClient(resolved, credentials), sessions: new Map() };
    this.live.set(id, live);
    return live;
  }

  private async dropLive(id: string): Promise<void> {
    const live = this.live.get(id);
    this.live.delete(id);
    if (live) {
      live.management.dispose();
      await Promise.allSettled([...live.sessions.values()].map((s) => s.close()));
    }
  }

  private setStatus(id: string, status: ConnectionStatus): void {
    this.status.set(id, status);
    this.changed.fire(id);
  }

  dispose(): void {
    for (const id of [...this.live.keys()]) void this.disconnect(id);
    this.changed.dispose();
  }
}
