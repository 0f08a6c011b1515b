import * as vscode from 'vscode';
import { loadQueueBindings, RowFlag, type QueueRow } from '../../../core/treeData';
import { appendArguments, contextValue, ExplorerNode, FolderItemNode, InfoNode } from './base';
import { BindingNode } from './bindingNode';
import type { QueuesFolderNode } from './queuesFolderNode';

const TYPE_ICON: Record<QueueRow['type'], string> = { classic: 'mail', quorum: 'database', stream: 'pulse' };
const HEALTHY = new Set(['running', 'idle']);

/** A queue. Children: the bindings that route into it. Keeps only its compact row. */
export class QueueNode extends FolderItemNode<QueueRow, QueuesFolderNode> {
  getTreeItem(): vscode.TreeItem {
    const r = this.row;
    const item = new vscode.TreeItem(r.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.description = describeQueue(r);
    const unhealthy = r.state !== undefined && !HEALTHY.has(r.state);
    const color = unhealthy
      ? r.state === 'flow' ? 'charts.yellow' : 'errorForeground'
      : (r.consumers ?? 0) > 0 ? 'charts.green' : (r.ready ?? 0) > 0 ? 'charts.yellow' : undefined;
    item.iconPath = new vscode.ThemeIcon(TYPE_ICON[r.type], color ? new vscode.ThemeColor(color) : undefined);
    item.tooltip = queueTooltip(r, this.vhost);
    const consumers = r.consumers === undefined ? 'consumersUnknown' : r.consumers > 0 ? 'hasConsumers' : 'noConsumers';
    const messages = (r.ready ?? 0) + (r.unacked ?? 0) > 0 ? 'hasMessages' : 'empty';
    item.contextValue = contextValue('queue', r.type, consumers, this.folder.readOnly ? 'readOnly' : 'writable', messages);
    return item;
  }

  protected async loadChildren(): Promise<ExplorerNode[]> {
    const client = await this.ctx.manager.management(this.connectionId);
    const rows = await loadQueueBindings(client, this.vhost, this.row.name);
    if (rows.length === 0) return [new InfoNode(this.ctx, this, vscode.l10n.t('No bindings'), 'info')];
    return rows.map((b) => new BindingNode(this.ctx, this, b, 'in'));
  }
}

export function describeQueue(r: QueueRow): string {
  const parts: string[] = [r.type];
  if (r.ready !== undefined) parts.push(vscode.l10n.t('{0} ready', r.ready));
  if (r.unacked !== undefined) parts.push(vscode.l10n.t('{0} unacked', r.unacked));
  if (r.consumers !== undefined) parts.push(r.consumers === 1 ? vscode.l10n.t('1 consumer') : vscode.l10n.t('{0} consumers', r.consumers));
  if (r.state !== undefined && !HEALTHY.has(r.state)) parts.push(r.state);
  return parts.join(' · ');
}

function queueTooltip(r: QueueRow, vhost: string): vscode.MarkdownString {
  const tip = new vscode.MarkdownString();
  tip.appendMarkdown('**');
  tip.appendText(r.name);
  tip.appendMarkdown('**\n\n');
  const flags = [
    r.flags & RowFlag.Durable ? vscode.l10n.t('durable') : vscode.l10n.t('transient'),
    r.flags & RowFlag.AutoDelete ? vscode.l10n.t('auto-delete') : undefined,
    r.flags & RowFlag.Exclusive ? vscode.l10n.t('exclusive') : undefined,
  ].filter(Boolean);
  const lines: [string, string | number | undefined][] = [
    [vscode.l10n.t('Vhost'), vhost],
    [vscode.l10n.t('Type'), `${r.type} (${flags.join(', ')})`],
    [vscode.l10n.t('State'), r.state],
    [vscode.l10n.t('Node'), r.node],
    [vscode.l10n.t('Policy'), r.policy],
    [vscode.l10n.t('Ready'), r.ready],
    [vscode.l10n.t('Unacked'), r.unacked],
    [vscode.l10n.t('Consumers'), r.consumers],
  ];
  for (const [k, v] of lines) {
    if (v === undefined) continue;
    tip.appendText(`${k}: ${v}`);
    tip.appendMarkdown('  \n');
  }
  appendArguments(tip, r.args);
  return tip;
}
