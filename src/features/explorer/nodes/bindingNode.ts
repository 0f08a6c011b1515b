import * as vscode from 'vscode';
import type { BindingRow } from '../../../core/treeData';
import { appendArguments, contextValue, ExplorerNode, idPart, type ExplorerContext, type VhostScoped } from './base';
import type { ExchangeNode } from './exchangeNode';
import type { QueueNode } from './queueNode';

/** A binding, seen from its queue ('in': label is the source) or from its source exchange ('out': label is the destination). */
export class BindingNode extends ExplorerNode implements VhostScoped {
  constructor(ctx: ExplorerContext, readonly owner: QueueNode | ExchangeNode, readonly row: BindingRow, readonly direction: 'in' | 'out') {
    super(ctx, owner);
  }

  get connectionId(): string {
    return this.owner.connectionId;
  }

  get vhost(): string {
    return this.owner.vhost;
  }

  /** The default exchange's binding of every queue cannot be removed. */
  get implicit(): boolean {
    return this.row.source === '';
  }

  get id(): string {
    const r = this.row;
    return `${this.owner.id}/b/${idPart(r.source)}/${r.destinationType}/${idPart(r.destination)}/${idPart(r.propertiesKey || r.routingKey)}`;
  }

  getTreeItem(): vscode.TreeItem {
    const r = this.row;
    const label = this.direction === 'in'
      ? (r.source === '' ? vscode.l10n.t('(AMQP default)') : r.source)
      : r.destination;
    const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    const key = r.routingKey === '' ? vscode.l10n.t('(empty key)') : r.routingKey;
    item.description = r.args ? `${key} · ${vscode.l10n.t('{0} arguments', Object.keys(r.args).length)}` : key;
    const icon = this.direction === 'in' ? 'arrow-small-left' : r.destinationType === 'queue' ? 'mail' : 'arrow-swap';
    item.iconPath = new vscode.ThemeIcon(icon, this.implicit ? new vscode.ThemeColor('disabledForeground') : undefined);
    const tip = new vscode.MarkdownString();
    tip.appendText(`${r.source === '' ? vscode.l10n.t('(AMQP default)') : r.source} → ${r.destinationType} ${r.destination}`);
    tip.appendMarkdown('  \n');
    tip.appendText(`${vscode.l10n.t('Routing key')}: ${r.routingKey}`);
    tip.appendMarkdown('  \n');
    appendArguments(tip, r.args);
    item.tooltip = tip;
    const readOnly = (this.owner.folder as { readOnly: boolean }).readOnly;
    item.contextValue = contextValue('binding', r.destinationType, this.implicit ? 'implicit' : 'explicit', readOnly ? 'readOnly' : 'writable');
    return item;
  }
}
