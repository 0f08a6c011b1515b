import * as vscode from 'vscode';
import { isBuiltinExchange, loadExchangeBindings, RowFlag, type ExchangeRow } from '../../../core/treeData';
import { appendArguments, contextValue, ExplorerNode, FolderItemNode, InfoNode } from './base';
import { BindingNode } from './bindingNode';
import type { ExchangesFolderNode } from './exchangesFolderNode';

const TYPE_ICON: Record<string, string> = { direct: 'arrow-right', fanout: 'broadcast', topic: 'symbol-namespace', headers: 'list-flat' };

/** An exchange. Children: its outgoing bindings (to queues and exchanges). */
export class ExchangeNode extends FolderItemNode<ExchangeRow, ExchangesFolderNode> {
  get isDefault(): boolean {
    return this.row.name === '';
  }

  getTreeItem(): vscode.TreeItem {
    const r = this.row;
    const builtin = isBuiltinExchange(r.name);
    // The default exchange routes to every queue by name: listing that would list every queue.
    const item = new vscode.TreeItem(this.isDefault ? vscode.l10n.t('(AMQP default)') : r.name, this.isDefault ? vscode.TreeItemCollapsibleState.None : vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    const flags = [r.type, r.flags & RowFlag.Durable ? vscode.l10n.t('durable') : vscode.l10n.t('transient')];
    if (r.flags & RowFlag.Internal) flags.push(vscode.l10n.t('internal'));
    if (r.flags & RowFlag.AutoDelete) flags.push(vscode.l10n.t('auto-delete'));
    item.description = flags.join(' · ');
    item.iconPath = new vscode.ThemeIcon(TYPE_ICON[r.type] ?? 'symbol-event', builtin ? new vscode.ThemeColor('disabledForeground') : undefined);
    const tip = new vscode.MarkdownString();
    tip.appendMarkdown('**');
    tip.appendText(this.isDefault ? vscode.l10n.t('(AMQP default)') : r.name);
    tip.appendMarkdown('**\n\n');
    tip.appendText(`${vscode.l10n.t('Vhost')}: ${this.vhost}`);
    tip.appendMarkdown('  \n');
    tip.appendText(`${vscode.l10n.t('Type')}: ${flags.join(', ')}`);
    tip.appendMarkdown('  \n');
    if (this.isDefault) tip.appendText(vscode.l10n.t('Routes each message to the queue named by its routing key.'));
    else if (builtin) tip.appendText(vscode.l10n.t('Created by the broker.'));
    appendArguments(tip, r.args);
    item.tooltip = tip;
    item.contextValue = contextValue('exchange', r.type, this.isDefault ? 'default' : builtin ? 'builtin' : 'user', this.folder.readOnly ? 'readOnly' : 'writable');
    return item;
  }

  protected async loadChildren(): Promise<ExplorerNode[]> {
    if (this.isDefault) return [];
    const client = await this.ctx.manager.management(this.connectionId);
    const rows = await loadExchangeBindings(client, this.vhost, this.row.name, 'source');
    if (rows.length === 0) return [new InfoNode(this.ctx, this, vscode.l10n.t('No bindings'), 'info')];
    return rows.map((b) => new BindingNode(this.ctx, this, b, 'out'));
  }
}
