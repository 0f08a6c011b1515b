import * as vscode from 'vscode';
import type { ManagementClient } from '../../../core/management';
import { isBuiltinExchange, loadExchangePage, type ExchangeRow, type PageRequest, type RowPage } from '../../../core/treeData';
import type { ExplorerContext, ExplorerNode } from './base';
import { ExchangeNode } from './exchangeNode';
import { PagedFolderNode } from './pagedFolderNode';
import type { VhostNode } from './vhostNode';

/** "Exchanges" of a vhost, one page at a time; the default exchange and amq.* come after the others. */
export class ExchangesFolderNode extends PagedFolderNode<ExchangeRow> {
  constructor(ctx: ExplorerContext, vhostNode: VhostNode) {
    super(ctx, vhostNode, 'exchanges');
  }

  protected label(): string {
    return vscode.l10n.t('Exchanges');
  }

  protected icon(): string {
    return 'arrow-swap';
  }

  protected fetch(client: ManagementClient, req: PageRequest): Promise<RowPage<ExchangeRow>> {
    return loadExchangePage(client, this.vhost, req);
  }

  protected toNodes(rows: ExchangeRow[]): ExplorerNode[] {
    return rows.map((r) => new ExchangeNode(this.ctx, this, r));
  }

  protected arrange(nodes: ExplorerNode[]): ExplorerNode[] {
    const builtin = (n: ExplorerNode) => n instanceof ExchangeNode && isBuiltinExchange(n.name);
    const defaultFirst = (a: ExplorerNode, b: ExplorerNode) => Number((b as ExchangeNode).name === '') - Number((a as ExchangeNode).name === '');
    return [...nodes.filter((n) => !builtin(n)), ...nodes.filter(builtin).sort(defaultFirst)];
  }

  protected emptyLabel(filtered: boolean): string {
    return filtered ? vscode.l10n.t('No exchange matches the filter') : vscode.l10n.t('No exchanges');
  }
}
