/**
 * The "Dead letters" view: per connected connection and vhost, every queue that receives another queue's
 * dead letters (argument or policy), with its ready count and where its dead letters come from. Redrive,
 * Peek, Move / Copy and Export from there. The view's badge shows how many dead letters wait; while the view
 * is visible it refreshes itself and says when a queue grew.
 */
import * as vscode from 'vscode';
import { loadDeadLetterTargets, type DeadLetterSourceRef } from '../../core/deadLetters';
import type { ConnectionManager } from '../connections/connectionManager';
import { logger } from '../../platform/log';
import { isObject } from '../../platform/pickers';

const log = logger('deadLetters');
const REFRESH_MS = 15_000;
/** Vhosts scanned per connection (each costs a topology load). */
const MAX_VHOSTS = 25;

/** One dead-letter queue as the view and tests see it. */
export interface DeadLetterEntry {
  connectionId: string;
  vhost: string;
  queue: string;
  type: string;
  ready: number;
  sources: DeadLetterSourceRef[];
}

class VhostItem {
  constructor(
    readonly connectionId: string,
    readonly connectionName: string,
    readonly vhost: string,
    readonly entries: DeadLetterQueueItem[],
    readonly error?: string,
  ) {}
}

/** A dead-letter queue: carries connectionId, vhost and name, so queue commands accept it. */
export class DeadLetterQueueItem {
  constructor(readonly entry: DeadLetterEntry) {}
  get connectionId(): string {
    return this.entry.connectionId;
  }
  get vhost(): string {
    return this.entry.vhost;
  }
  get name(): string {
    return this.entry.queue;
  }
}

type Item = VhostItem | DeadLetterQueueItem;

export class DeadLettersView implements vscode.TreeDataProvider<Item>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Item | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private roots: VhostItem[] = [];
  private loading: Promise<DeadLetterEntry[]> | undefined;
  private readonly last = new Map<string, number>();
  private view: vscode.TreeView<Item> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly manager: ConnectionManager) {
    this.disposables.push(manager.onDidChange(() => void this.refresh().catch(() => undefined)));
  }

  attach(view: vscode.TreeView<Item>): void {
    this.view = view;
    this.disposables.push(
      view.onDidChangeVisibility((e) => {
        if (e.visible) void this.refresh().catch(() => undefined);
        this.schedule();
      }),
    );
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.view?.visible) this.timer = setInterval(() => void this.refresh().catch(() => undefined), REFRESH_MS);
  }

  /** Reloads every connected connection (and `include`, connecting it if needed). Returns every entry. */
  refresh(include?: Include): Promise<DeadLetterEntry[]> {
    if (include !== undefined) {
      // After any load under way, so this one includes the connection asked for.
      const after = (this.loading ?? Promise.resolve([])).catch(() => []);
      const p = after.then(() => this.load(include));
      this.loading = p.finally(() => {
        if (this.loading === p) this.loading = undefined;
      });
      return p;
    }
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async load(include?: Include): Promise<DeadLetterEntry[]> {
    // One vhost asked for: reload just that one and keep the rest of the view.
    const only = include?.vhost;
    const ids = only !== undefined
      ? [include!.connectionId]
      : this.manager.store
          .list()
          .map((p) => p.id)
          .filter((id) => id === include?.connectionId || this.manager.statusOf(id).state === 'connected');
    const roots: VhostItem[] = only !== undefined ? this.roots.filter((r) => !(r.connectionId === include!.connectionId && r.vhost === only)) : [];
    for (const id of ids) {
      const name = this.manager.profile(id).name;
      let vhosts: string[];
      try {
        const client = await this.manager.management(id);
        vhosts = only !== undefined ? [only] : (await client.listVhosts()).map((v) => v.name).slice(0, MAX_VHOSTS);
      } catch (e) {
        roots.push(new VhostItem(id, name, '', [], e instanceof Error ? e.message : String(e)));
        continue;
      }
      for (const vhost of vhosts) {
        try {
          const client = await this.manager.management(id);
          const targets = await loadDeadLetterTargets(client, vhost);
          const entries: DeadLetterQueueItem[] = [];
          for (const t of targets) {
            const q = await client.getQueue(vhost, t.queue).catch(() => undefined);
            entries.push(new DeadLetterQueueItem({ connectionId: id, vhost, queue: t.queue, type: q?.type ?? 'classic', ready: q?.messagesReady ?? q?.messages ?? 0, sources: t.sources }));
          }
          if (entries.length) roots.push(new VhostItem(id, name, vhost, entries));
        } catch (e) {
          roots.push(new VhostItem(id, name, vhost, [], e instanceof Error ? e.message : String(e)));
        }
      }
    }
    this.roots = roots;
    const all = roots.flatMap((r) => r.entries.map((e) => e.entry));
    this.updateBadge(all);
    this.changed.fire(undefined);
    return all;
  }

  private updateBadge(all: DeadLetterEntry[]): void {
    const total = all.reduce((a, e) => a + e.ready, 0);
    const grew: string[] = [];
    for (const e of all) {
      const key = `${e.connectionId}\u0000${e.vhost}\u0000${e.queue}`;
      const before = this.last.get(key);
      if (before !== undefined && e.ready > before) grew.push(e.queue);
      this.last.set(key, e.ready);
    }
    if (this.view) {
      this.view.badge = total > 0 ? { value: total, tooltip: vscode.l10n.t('{0} dead letter(s) waiting', total) } : undefined;
      this.view.message = grew.length ? vscode.l10n.t('More dead letters in: {0}', grew.join(', ')) : undefined;
    }
    if (grew.length) log.info(`dead-letter queues grew: ${grew.join(', ')}`);
  }

  getTreeItem(item: Item): vscode.TreeItem {
    if (item instanceof VhostItem) {
      const label = item.vhost ? `${item.connectionName} › ${item.vhost}` : item.connectionName;
      const t = new vscode.TreeItem(label, item.entries.length ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
      t.id = `dl/${item.connectionId}/${item.vhost}`;
      t.iconPath = new vscode.ThemeIcon(item.error ? 'error' : 'folder-library');
      t.description = item.error ?? vscode.l10n.t('{0} dead-letter queue(s)', item.entries.length);
      t.tooltip = item.error;
      t.contextValue = 'deadLetterVhost';
      return t;
    }
    const e = item.entry;
    const t = new vscode.TreeItem(e.queue, vscode.TreeItemCollapsibleState.None);
    t.id = `dl/${e.connectionId}/${e.vhost}/${e.queue}`;
    t.iconPath = new vscode.ThemeIcon('inbox', e.ready > 0 ? new vscode.ThemeColor('charts.yellow') : undefined);
    t.description = vscode.l10n.t('{0} ready · from {1}', e.ready, [...new Set(e.sources.map((s) => s.queue))].join(', '));
    const tip = new vscode.MarkdownString();
    for (const s of e.sources) {
      tip.appendText(
        vscode.l10n.t('{0} dead-letters to exchange "{1}"{2} ({3})', s.queue, s.exchange || '(default)', s.routingKey !== undefined ? vscode.l10n.t(' with key "{0}"', s.routingKey) : '', s.via === 'policy' ? vscode.l10n.t('policy {0}', s.policy ?? '') : vscode.l10n.t('queue argument')),
      );
      tip.appendMarkdown('  \n');
    }
    t.tooltip = tip;
    t.contextValue = `deadLetterQueue:${e.type}:${e.ready > 0 ? 'hasMessages' : 'empty'}`;
    return t;
  }

  getChildren(item?: Item): Item[] {
    if (!item) return this.roots;
    return item instanceof VhostItem ? item.entries : [];
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.changed.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

interface Include {
  connectionId: string;
  vhost?: string;
}

/** The refresh command's argument: `{ connectionId }` also loads (and connects) that connection; with `vhost`, only that vhost is reloaded. */
export function includeOf(arg: unknown): Include | undefined {
  if (!isObject(arg) || typeof arg.connectionId !== 'string') return undefined;
  return { connectionId: arg.connectionId, vhost: typeof arg.vhost === 'string' && arg.vhost !== '' ? arg.vhost : undefined };
}
