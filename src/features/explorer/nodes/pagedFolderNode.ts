import * as vscode from 'vscode';
import type { ManagementClient } from '../../../core/management';
import { formatFilter, type NameFilter, type PageRequest, type RowPage } from '../../../core/treeData';
import { contextValue, ExplorerNode, FolderItemNode, InfoNode, LoadMoreNode, type ExplorerContext, type FolderKind, type VhostScoped } from './base';
import type { VhostNode } from './vhostNode';

/**
 * "Queues" / "Exchanges" under a vhost: loads one page at a time (broker-side filter, sorted by name), and a
 * "Load more…" node fetches the next. A refresh reloads the pages already shown.
 */
export abstract class PagedFolderNode<Row> extends ExplorerNode implements VhostScoped {
  readonly connectionId: string;
  readonly vhost: string;
  private items: ExplorerNode[] = [];
  private pagesLoaded = 0;
  private pageSize = 0;
  private pageCount = 0;
  private filteredCount: number | undefined;
  private totalCount: number | undefined;
  private loadingMore: Promise<void> | undefined;
  /** The description VS Code last drew (undefined: not drawn yet). */
  private drawn: string | undefined;

  constructor(ctx: ExplorerContext, readonly vhostNode: VhostNode, readonly kind: FolderKind) {
    super(ctx, vhostNode);
    this.connectionId = vhostNode.connectionId;
    this.vhost = vhostNode.vhost;
  }

  get readOnly(): boolean {
    return this.vhostNode.readOnly;
  }

  get id(): string {
    return `${this.vhostNode.id}/${this.kind}`;
  }

  get filter(): NameFilter | undefined {
    return this.ctx.filterOf(this.connectionId, this.vhost, this.kind);
  }

  /** Items loaded so far / matching the filter (undefined before the first load). */
  get counts(): { loaded: number; filtered?: number; total?: number; pagesLoaded: number } {
    return { loaded: this.items.length, filtered: this.filteredCount, total: this.totalCount, pagesLoaded: this.pagesLoaded };
  }

  protected abstract label(): string;
  protected abstract icon(): string;
  protected abstract fetch(client: ManagementClient, req: PageRequest): Promise<RowPage<Row>>;
  protected abstract toNodes(rows: Row[]): ExplorerNode[];
  /** Orders all loaded nodes for display (e.g. built-in exchanges last). */
  protected arrange(nodes: ExplorerNode[]): ExplorerNode[] {
    return nodes;
  }
  protected abstract emptyLabel(filtered: boolean): string;

  /** VS Code is about to draw this folder again (its vhost is loading): no redraw needed after the load. */
  willRedraw(): void {
    this.drawn = undefined;
  }

  private description(): string {
    const parts: string[] = [];
    if (this.filteredCount !== undefined) parts.push(this.filteredCount > this.items.length ? `${this.items.length}/${this.filteredCount}` : String(this.filteredCount));
    const f = this.filter;
    if (f) parts.push(`${vscode.l10n.t('filter')}: ${formatFilter(f)}`);
    return parts.join(' · ');
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.label(), vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    const f = this.filter;
    this.drawn = this.description();
    item.description = this.drawn || undefined;
    item.iconPath = new vscode.ThemeIcon(f ? 'filter' : this.icon());
    item.contextValue = contextValue('folder', this.kind, f ? 'filtered' : 'unfiltered', this.readOnly ? 'readOnly' : 'writable');
    return item;
  }

  /** Reloads what is shown: the pages already loaded (at least the first). */
  protected async loadChildren(): Promise<ExplorerNode[]> {
    const { pageSize, stats } = this.ctx.listSettings();
    if (pageSize !== this.pageSize) this.pagesLoaded = 0;
    const pages = Math.max(1, this.pagesLoaded);
    const client = await this.ctx.manager.management(this.connectionId);
    const results = await Promise.all(
      Array.from({ length: pages }, (_, i) => this.fetch(client, { page: i + 1, pageSize, filter: this.filter, stats })),
    );
    // A list that shrank answers only the pages that still exist.
    const usable = results.filter((r) => r.pageCount === 0 || r.page <= r.pageCount);
    const last = results[results.length - 1];
    this.items = this.keepIdentity(usable.flatMap((r) => this.toNodes(r.rows)));
    this.pagesLoaded = usable.length;
    this.pageSize = pageSize;
    this.pageCount = last.pageCount;
    this.filteredCount = last.filteredCount;
    this.totalCount = last.totalCount;
    // Normally loaded before the row is drawn (see VhostNode); otherwise redraw the counts.
    if (this.drawn !== undefined && this.drawn !== this.description()) this.ctx.changed(this);
    return this.render();
  }

  /** Reuses the node already shown for an item that is still listed (updated with its new row). */
  private keepIdentity(fresh: ExplorerNode[]): ExplorerNode[] {
    if (this.items.length === 0) return fresh;
    const shown = new Map(this.items.map((n) => [n.id, n]));
    return fresh.map((n) => {
      const old = shown.get(n.id);
      // Ids hold the folder's kind, so an item with the same id is of the same class.
      if (old instanceof FolderItemNode && n instanceof FolderItemNode) {
        old.update(n.row);
        return old;
      }
      return n;
    });
  }

  /** Loads the next page and appends it. */
  loadMore(): Promise<void> {
    this.loadingMore ??= this.doLoadMore().finally(() => (this.loadingMore = undefined));
    return this.loadingMore;
  }

  private async doLoadMore(): Promise<void> {
    if (!this.hasLoadedChildren) {
      await this.getChildren();
      return;
    }
    await this.getChildren();
    if (this.pagesLoaded >= this.pageCount) return;
    const client = await this.ctx.manager.management(this.connectionId);
    const { stats } = this.ctx.listSettings();
    const r = await this.fetch(client, { page: this.pagesLoaded + 1, pageSize: this.pageSize, filter: this.filter, stats });
    this.items = this.items.concat(this.toNodes(r.rows));
    this.pagesLoaded += 1;
    this.pageCount = r.pageCount;
    this.filteredCount = r.filteredCount;
    this.totalCount = r.totalCount;
    this.setChildren(this.render());
    this.ctx.changed(this);
  }

  /** Forgets loaded pages (the filter changed): the next load starts at page 1. */
  resetPages(): void {
    this.pagesLoaded = 0;
    this.items = [];
    this.filteredCount = undefined;
    this.totalCount = undefined;
    this.invalidate();
  }

  private render(): ExplorerNode[] {
    if (this.items.length === 0) {
      return [new InfoNode(this.ctx, this, this.emptyLabel(this.filter !== undefined), this.filter ? 'filter' : 'info')];
    }
    const nodes = [...this.arrange(this.items)];
    if (this.pagesLoaded < this.pageCount) nodes.push(new LoadMoreNode(this.ctx, this, this.items.length, this.filteredCount ?? this.items.length));
    return nodes;
  }
}
