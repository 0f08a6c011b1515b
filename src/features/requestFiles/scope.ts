/**
 * Which connection and vhost a request file runs on: `# @connection <name>` / `# @vhost <name>`, else the
 * connection chosen for this file before, else the active one, else a quick pick (remembered per file).
 * Also the broker's names for diagnostics and completion, cached briefly per (connection, vhost).
 */
import * as vscode from 'vscode';
import { RabbitError } from '../../core/errors';
import type { BrokerNames } from '../../core/requestAssist';
import type { RequestFile } from '../../core/requestFile';
import type { ConnectionManager } from '../connections/connectionManager';
import { cancelled } from '../../platform/pickers';

const STATE_KEY = 'rabbitmq.requestFiles.connections';
/** How long diagnostics reuse the broker's names (they run on every edit). */
const NAMES_TTL_MS = 15_000;
/** Completion and hover, asked for less often, want fresher names (a queue made a moment ago). */
export const FRESH_NAMES_MS = 2_000;

export interface FileScope {
  connectionId: string;
  connectionName: string;
  vhost: string;
  readOnly: boolean;
}

export class RequestScopes implements vscode.Disposable {
  private readonly names = new Map<string, { at: number; names: Promise<BrokerNames> }>();
  /** Header names seen on messages this extension read from a queue (PEEK / CONSUME blocks): never a broker read of its own. */
  readonly headersSeen = new Map<string, Set<string>>();
  private readonly invalidated = new vscode.EventEmitter<void>();
  /** Fires when a block changed the broker's names (diagnostics are computed again). */
  readonly onDidInvalidate = this.invalidated.event;

  constructor(
    private readonly manager: ConnectionManager,
    private readonly state: vscode.Memento,
  ) {}

  /** The scope without asking (undefined when it would need a quick pick). Throws for a bad directive. */
  known(uri: vscode.Uri, file: RequestFile): FileScope | undefined {
    const id = this.connectionIdWithoutAsking(uri, file);
    return id ? this.scopeOf(id, file) : undefined;
  }

  /** The scope, asking for a connection the first time when the file names none and none is active. */
  async resolve(uri: vscode.Uri, file: RequestFile): Promise<FileScope> {
    let id = this.connectionIdWithoutAsking(uri, file);
    if (!id) {
      const list = this.manager.store.list();
      if (!list.length) throw new RabbitError('INVALID_INPUT', vscode.l10n.t('There is no saved connection to run the request on.'), { field: '@connection', hint: vscode.l10n.t('Add one in the RabbitMQ view.') });
      const picked = await vscode.window.showQuickPick(list.map((p) => ({ label: p.name, description: p.amqpUrl, id: p.id })), { placeHolder: vscode.l10n.t('Connection for this request file (remembered; "# @connection <name>" pins one)') });
      if (!picked) throw cancelled();
      id = picked.id;
      await this.remember(uri, id);
    }
    return this.scopeOf(id, file);
  }

  async remember(uri: vscode.Uri, connectionId: string): Promise<void> {
    const map = { ...this.state.get<Record<string, string>>(STATE_KEY, {}), [uri.toString()]: connectionId };
    await this.state.update(STATE_KEY, map);
  }

  private connectionIdWithoutAsking(uri: vscode.Uri, file: RequestFile): string | undefined {
    const list = this.manager.store.list();
    if (file.connection) {
      const name = file.connection.name;
      const p = list.find((x) => x.name === name) ?? list.find((x) => x.name.toLowerCase() === name.toLowerCase());
      if (!p) {
        throw new RabbitError('INVALID_INPUT', vscode.l10n.t('line {0}: @connection: "{1}" is not a saved connection.', file.connection.line + 1, name), {
          field: '@connection',
          hint: list.length ? vscode.l10n.t('Saved connections: {0}. Fix the name or add the connection in the RabbitMQ view.', list.map((x) => x.name).join(', ')) : vscode.l10n.t('Add the connection in the RabbitMQ view.'),
        });
      }
      return p.id;
    }
    const remembered = this.state.get<Record<string, string>>(STATE_KEY, {})[uri.toString()];
    if (remembered && list.some((p) => p.id === remembered)) return remembered;
    const active = this.manager.activeProfileId;
    return active && list.some((p) => p.id === active) ? active : undefined;
  }

  private scopeOf(id: string, file: RequestFile): FileScope {
    const profile = this.manager.profile(id);
    const vhost = file.vhost?.name ?? this.manager.resolved(id).amqp.vhost;
    return { connectionId: id, connectionName: profile.name, vhost, readOnly: profile.readOnly === true };
  }

  /** Exchanges (with types) and queues of the vhost, when the connection is connected (no connecting for it). */
  brokerNames(scope: FileScope, maxAgeMs = NAMES_TTL_MS): Promise<BrokerNames> | undefined {
    if (this.manager.statusOf(scope.connectionId).state !== 'connected') return undefined;
    const key = `${scope.connectionId}\u0000${scope.vhost}`;
    const hit = this.names.get(key);
    if (hit && Date.now() - hit.at < maxAgeMs) return hit.names;
    const names = (async (): Promise<BrokerNames> => {
      const client = await this.manager.management(scope.connectionId);
      const [ex, qs] = await Promise.all([client.listExchanges(scope.vhost, { pageSize: 500 }), client.listQueues(scope.vhost, { pageSize: 500 })]);
      return { exchanges: new Map(ex.items.map((e) => [e.name, e.type])), queues: new Set(qs.items.map((q) => q.name)) };
    })();
    names.catch(() => this.names.delete(key));
    this.names.set(key, { at: Date.now(), names });
    return names;
  }

  /** Header names seen on messages of these queues (every queue of the scope when undefined). */
  headersOf(scope: FileScope, queues?: string[]): Set<string> {
    const prefix = `${scope.connectionId}\u0000${scope.vhost}\u0000`;
    const out = new Set<string>();
    for (const [key, names] of this.headersSeen) {
      if (!key.startsWith(prefix) || (queues && !queues.includes(key.slice(prefix.length)))) continue;
      for (const h of names) out.add(h);
    }
    return out;
  }

  /** Forget cached names (after DECLARE / BIND / PURGE). */
  invalidate(scope: FileScope): void {
    this.names.delete(`${scope.connectionId}\u0000${scope.vhost}`);
    this.invalidated.fire();
  }

  dispose(): void {
    this.invalidated.dispose();
  }

  async routingKeys(scope: FileScope, exchange: string): Promise<string[]> {
    const client = await this.manager.management(scope.connectionId);
    if (exchange === '') {
      const names = await this.brokerNames(scope, FRESH_NAMES_MS);
      return names ? [...names.queues] : [];
    }
    const bindings = await client.exchangeBindings(scope.vhost, exchange, 'source');
    return [...new Set(bindings.map((b) => b.routingKey))];
  }

  async exchangeBindings(scope: FileScope, exchange: string): Promise<{ destination: string; destinationType: string; routingKey: string }[]> {
    const client = await this.manager.management(scope.connectionId);
    return client.exchangeBindings(scope.vhost, exchange, 'source');
  }
}
