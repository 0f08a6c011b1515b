import * as vscode from 'vscode';
import type { ManagementClient } from '../../../core/management';
import { loadQueuePage, type PageRequest, type QueueRow, type RowPage } from '../../../core/treeData';
import type { ExplorerContext, ExplorerNode } from './base';
import { PagedFolderNode } from './pagedFolderNode';
import { QueueNode } from './queueNode';
import type { VhostNode } from './vhostNode';

/** "Queues" of a vhost, one page at a time. */
export class QueuesFolderNode extends PagedFolderNode<QueueRow> {
  constructor(ctx: ExplorerContext, vhostNode: VhostNode) {
    super(ctx, vhostNode, 'queues');
  }

  protected label(): string {
    return vscode.l10n.t('Queues');
  }

  protected icon(): string {
    return 'inbox';
  }

  protected fetch(client: ManagementClient, req: PageRequest): Promise<RowPage<QueueRow>> {
    return loadQueuePage(client, this.vhost, req);
  }

  protected toNodes(rows: QueueRow[]): ExplorerNode[] {
    return rows.map((r) => new QueueNode(this.ctx, this, r));
  }

  protected emptyLabel(filtered: boolean): string {
    return filtered ? vscode.l10n.t('No queue matches the filter') : vscode.l10n.t('No queues');
  }
}
