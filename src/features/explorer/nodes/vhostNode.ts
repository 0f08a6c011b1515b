import * as vscode from 'vscode';
import { formatFilter } from '../../../core/treeData';
import { contextValue, ExplorerNode, idPart, type ExplorerContext, type VhostScoped } from './base';
import type { ConnectionNode } from './connectionNode';
import { ExchangesFolderNode } from './exchangesFolderNode';
import { QueuesFolderNode } from './queuesFolderNode';

/** A vhost of a connection. Children: "Exchanges" and "Queues". */
export class VhostNode extends ExplorerNode implements VhostScoped {
  private folders: [ExchangesFolderNode, QueuesFolderNode] | undefined;

  constructor(ctx: ExplorerContext, readonly connection: ConnectionNode, readonly connectionId: string, readonly vhost: string) {
    super(ctx, connection);
  }

  get readOnly(): boolean {
    return this.connection.isReadOnly;
  }

  /** The folders, created once (they keep their loaded pages across refreshes). */
  get exchangesFolder(): ExchangesFolderNode {
    return this.ensureFolders()[0];
  }

  get queuesFolder(): QueuesFolderNode {
    return this.ensureFolders()[1];
  }

  private ensureFolders(): [ExchangesFolderNode, QueuesFolderNode] {
    this.folders ??= [new ExchangesFolderNode(this.ctx, this), new QueuesFolderNode(this.ctx, this)];
    return this.folders;
  }

  /** The folders stay; what they show is reloaded. */
  invalidate(): void {
    super.invalidate();
    this.folders?.forEach((f) => f.invalidate());
  }

  get id(): string {
    return `${this.connection.id}/v/${idPart(this.vhost)}`;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.vhost, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    const q = this.ctx.filterOf(this.connectionId, this.vhost, 'queues');
    const x = this.ctx.filterOf(this.connectionId, this.vhost, 'exchanges');
    const filters = [q && `${vscode.l10n.t('queues')}: ${formatFilter(q)}`, x && `${vscode.l10n.t('exchanges')}: ${formatFilter(x)}`].filter(Boolean);
    item.description = filters.length ? `${vscode.l10n.t('filter')} ${filters.join(', ')}` : undefined;
    item.iconPath = new vscode.ThemeIcon(filters.length ? 'filter' : 'folder-library');
    const tip = new vscode.MarkdownString();
    tip.appendText(`${vscode.l10n.t('Vhost')}: ${this.vhost}`);
    item.tooltip = tip;
    item.contextValue = contextValue('vhost', filters.length ? 'filtered' : 'unfiltered', this.readOnly ? 'readOnly' : 'writable');
    return item;
  }

  /**
   * The folders, each with its first page loaded: their rows show counts from the start, and expanding one
   * is instant (no folder has to be redrawn after it loaded, which would race with expanding its items).
   */
  protected async loadChildren(): Promise<ExplorerNode[]> {
    const folders = this.ensureFolders();
    folders.forEach((f) => f.willRedraw());
    await Promise.all(folders.map((f) => f.getChildren()));
    return [...folders];
  }
}
