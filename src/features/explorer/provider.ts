import * as vscode from 'vscode';
import { Disposable } from '../../platform/lifecycle';
import type { ConnectionManager } from '../connections/connectionManager';
import { MAX_PAGE_SIZE } from '../../core/management';
import type { NameFilter } from '../../core/treeData';
import { ErrorNode, ExplorerNode, type ExplorerContext, type FolderKind } from './nodes/base';
import { ConnectionNode } from './nodes/connectionNode';
import { PagedFolderNode } from './nodes/pagedFolderNode';
import type { VhostNode } from './nodes/vhostNode';

export const EXPLORER_SECTION = 'rabbitmq.explorer';
const DEBOUNCE_MS = 150;

/**
 * The explorer's TreeDataProvider: connection → vhost → Exchanges / Queues. Refreshes are debounced and
 * targeted (one node and what it shows); load failures are error nodes remembered for the next retry.
 */
export class ExplorerProvider extends Disposable implements vscode.TreeDataProvider<ExplorerNode>, ExplorerContext {
  private readonly emitter = this.register(new vscode.EventEmitter<ExplorerNode | undefined>());
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly roots = new Map<string, ConnectionNode>();
  private readonly filters = new Map<string, NameFilter>();
  private readonly failedNodes = new Set<ExplorerNode>();
  private pending: Set<ExplorerNode | undefined> | undefined;
  private pendingDone: (() => void)[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly manager: ConnectionManager) {
    super();
    this.syncRoots();
    this.register(
      manager.store.onDidChange(() => {
        this.syncRoots();
        this.emitter.fire(undefined);
      }),
    );
    this.register(
      manager.onDidChange((id) => {
        const node = id ? this.roots.get(id) : undefined;
        if (id && !node) return;
        const nodes = node ? [node] : [...this.roots.values()];
        for (const n of nodes) {
          const state = this.manager.statusOf(n.connectionId).state;
          // Children depend on being connected: reload them when that changes (not while connecting).
          if (state === 'connected' || state === 'disconnected' || state === 'error') n.reset();
          this.emitter.fire(n);
        }
      }),
    );
    // Reconnecting / blocked changes only the row itself (its description, icon and menu), never its children.
    this.register(
      manager.onDidChangeSessions((id) => {
        const node = this.roots.get(id);
        if (node) this.emitter.fire(node);
      }),
    );
    this.register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${EXPLORER_SECTION}.pageSize`) || e.affectsConfiguration(`${EXPLORER_SECTION}.showStatistics`)) void this.refresh();
      }),
    );
  }

  // ---------------------------------------------------------------- TreeDataProvider

  getTreeItem(node: ExplorerNode): vscode.TreeItem {
    return node.getTreeItem();
  }

  getChildren(node?: ExplorerNode): Promise<ExplorerNode[]> | ExplorerNode[] {
    if (!node) return [...this.roots.values()];
    return node.getChildren();
  }

  getParent(node: ExplorerNode): ExplorerNode | undefined {
    return node.getParent();
  }

  // ---------------------------------------------------------------- ExplorerContext

  listSettings(): { pageSize: number; stats: boolean } {
    const c = vscode.workspace.getConfiguration(EXPLORER_SECTION);
    const raw = c.get<number>('pageSize', 100);
    const pageSize = Number.isInteger(raw) ? Math.min(MAX_PAGE_SIZE, Math.max(1, raw)) : 100;
    return { pageSize, stats: c.get<boolean>('showStatistics', true) };
  }

  filterOf(connectionId: string, vhost: string, kind: FolderKind): NameFilter | undefined {
    return this.filters.get(filterKey(connectionId, vhost, kind));
  }

  changed(node: ExplorerNode): void {
    this.emitter.fire(node);
  }

  failed(node: ExplorerNode): void {
    this.failedNodes.add(node);
  }

  // ---------------------------------------------------------------- API for commands and tests

  /** The connection nodes (the tree's first level). */
  connectionNodes(): ConnectionNode[] {
    return [...this.roots.values()];
  }

  connectionNode(id: string): ConnectionNode | undefined {
    return this.roots.get(id);
  }

  /**
   * Refreshes a node and what it shows (no node: everything), debounced; resolves once the tree was told.
   * Nodes load again when VS Code (or a caller of getChildren) asks for them.
   */
  refresh(node?: ExplorerNode): Promise<void> {
    this.pending ??= new Set();
    this.pending.add(node);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), DEBOUNCE_MS);
    return new Promise((resolve) => this.pendingDone.push(resolve));
  }

  /** Resolves once no refresh is waiting to be sent to VS Code. */
  settled(): Promise<void> {
    return this.pending ? new Promise((resolve) => this.pendingDone.push(resolve)) : Promise.resolve();
  }

  /** Nodes whose last load failed (retried by the auto-refresh). */
  get failedCount(): number {
    return this.failedNodes.size;
  }

  /** Refreshes the nodes whose last load failed. */
  retryFailed(): Promise<void> {
    const nodes = [...this.failedNodes];
    return Promise.all(nodes.map((n) => this.refresh(n))).then(() => undefined);
  }

  /**
   * Sets (or clears) the name filter of a vhost's queues, exchanges, or both (kind undefined); the broker
   * answers it. Folders already shown start again at page 1.
   */
  setFilter(connectionId: string, vhost: string, kind: FolderKind | undefined, filter: NameFilter | undefined): void {
    for (const k of kind ? [kind] : (['queues', 'exchanges'] as const)) {
      const key = filterKey(connectionId, vhost, k);
      if (filter) this.filters.set(key, filter);
      else this.filters.delete(key);
    }
    const vhostNode = this.vhostNode(connectionId, vhost);
    if (vhostNode) {
      for (const f of [vhostNode.queuesFolder, vhostNode.exchangesFolder]) {
        if (kind && f.kind !== kind) continue;
        f.resetPages();
        this.emitter.fire(f);
      }
      this.emitter.fire(vhostNode);
    }
  }

  /** The vhost node of a connection, if it is shown. */
  vhostNode(connectionId: string, vhost: string): VhostNode | undefined {
    return this.roots.get(connectionId)?.vhostNode(vhost);
  }

  /** The Queues/Exchanges folder of a vhost, if shown (for refresh after a change, and for tests). */
  folder(connectionId: string, vhost: string, kind: FolderKind): PagedFolderNode<unknown> | undefined {
    const v = this.vhostNode(connectionId, vhost);
    if (!v) return undefined;
    return (kind === 'queues' ? v.queuesFolder : v.exchangesFolder) as PagedFolderNode<unknown>;
  }

  /** Refreshes a vhost's folder after a change made from a command (no-op when not shown). */
  refreshFolder(connectionId: string, vhost: string, kind: FolderKind): Promise<void> {
    const f = this.folder(connectionId, vhost, kind);
    return f ? this.refresh(f) : Promise.resolve();
  }

  // ---------------------------------------------------------------- internals

  private flush(): void {
    this.timer = undefined;
    const nodes = this.pending ?? new Set();
    const done = this.pendingDone;
    this.pending = undefined;
    this.pendingDone = [];
    if (nodes.has(undefined)) {
      this.failedNodes.clear();
      for (const n of this.roots.values()) n.invalidate();
      this.emitter.fire(undefined);
    } else {
      for (const n of nodes) {
        if (!n) continue;
        const target = n instanceof ErrorNode && n.parent ? n.parent : n;
        this.failedNodes.delete(target);
        target.invalidate();
        this.emitter.fire(target);
      }
    }
    done.forEach((d) => d());
  }

  private syncRoots(): void {
    const profiles = this.manager.store.list();
    const ids = new Set(profiles.map((p) => p.id));
    for (const id of [...this.roots.keys()]) if (!ids.has(id)) this.roots.delete(id);
    const next = new Map<string, ConnectionNode>();
    for (const p of profiles) {
      const existing = this.roots.get(p.id);
      if (existing) {
        if (existing.update(p)) existing.reset();
        next.set(p.id, existing);
      } else {
        next.set(p.id, new ConnectionNode(this, p));
      }
    }
    this.roots.clear();
    for (const [k, v] of next) this.roots.set(k, v);
  }

  override dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.pendingDone.forEach((d) => d());
    super.dispose();
  }
}

function filterKey(connectionId: string, vhost: string, kind: FolderKind): string {
  return `${connectionId}\u0000${vhost}\u0000${kind}`;
}

/** True for the paged folders (used by commands that take "a folder or a vhost"). */
export function isPagedFolder(node: unknown): node is PagedFolderNode<unknown> {
  return node instanceof PagedFolderNode;
}
