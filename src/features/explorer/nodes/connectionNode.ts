import * as vscode from 'vscode';
import type { StoredProfile } from '../../connections/connectionStore';
import { redactUrl } from '../../../core/profile';
import { Commands } from '../../../platform/commandIds';
import { sessionSummaryDetail, sessionSummaryText } from '../../connections/sessionText';
import { contextValue, ExplorerNode, idPart, InfoNode, type ExplorerContext } from './base';
import { VhostNode } from './vhostNode';

/** A saved connection. Children: its vhosts once connected. */
export class ConnectionNode extends ExplorerNode {
  readonly connectionId: string;
  private name: string;
  private amqpUrl: string;
  private readOnly: boolean;
  private scope: StoredProfile['scope'];
  private tlsUnverified: boolean;
  /** Reused across reloads so each vhost keeps its folders, pages and expansion. */
  private readonly vhostNodes = new Map<string, VhostNode>();

  constructor(ctx: ExplorerContext, profile: StoredProfile) {
    super(ctx, undefined);
    this.connectionId = profile.id;
    this.name = profile.name;
    this.amqpUrl = redactUrl(profile.amqpUrl);
    this.readOnly = profile.readOnly === true;
    this.scope = profile.scope;
    this.tlsUnverified = profile.tls?.insecureSkipVerify === true;
  }

  /** Takes new settings; returns true when something shown changed. */
  update(profile: StoredProfile): boolean {
    const url = redactUrl(profile.amqpUrl);
    const tlsUnverified = profile.tls?.insecureSkipVerify === true;
    const changed =
      this.name !== profile.name || this.amqpUrl !== url || this.readOnly !== (profile.readOnly === true) || this.scope !== profile.scope || this.tlsUnverified !== tlsUnverified;
    this.tlsUnverified = tlsUnverified;
    this.name = profile.name;
    this.amqpUrl = url;
    this.readOnly = profile.readOnly === true;
    this.scope = profile.scope;
    return changed;
  }

  get isReadOnly(): boolean {
    return this.readOnly;
  }

  get id(): string {
    return `c/${idPart(this.connectionId)}`;
  }

  getTreeItem(): vscode.TreeItem {
    const status = this.ctx.manager.statusOf(this.connectionId);
    const item = new vscode.TreeItem(this.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    const parts: string[] = [];
    if (status.state === 'connected' && status.overview) parts.push(`RabbitMQ ${status.overview.rabbitmqVersion}`);
    else if (status.state === 'connecting') parts.push(vscode.l10n.t('connecting…'));
    else if (status.state === 'error') parts.push(vscode.l10n.t('error'));
    const summary = this.ctx.manager.amqpSummary(this.connectionId);
    const sessionText = sessionSummaryText(summary);
    if (sessionText) parts.push(sessionText);
    if (this.readOnly) parts.push(vscode.l10n.t('read-only'));
    if (this.tlsUnverified) parts.push(vscode.l10n.t('TLS verification off'));
    item.description = parts.join(' · ');
    const icon = this.readOnly ? 'lock' : 'server';
    const color =
      status.state === 'connected' ? 'charts.green' : status.state === 'error' ? 'errorForeground' : status.state === 'connecting' ? 'charts.yellow' : 'disabledForeground';
    item.iconPath = new vscode.ThemeIcon(status.state === 'connecting' ? 'loading~spin' : icon, new vscode.ThemeColor(color));
    const tip = new vscode.MarkdownString();
    tip.appendMarkdown('**');
    tip.appendText(this.name);
    tip.appendMarkdown('**\n\n');
    tip.appendText(this.amqpUrl);
    tip.appendMarkdown('\n\n');
    tip.appendText(`${vscode.l10n.t('State')}: ${status.state}${this.readOnly ? ` · ${vscode.l10n.t('read-only')}` : ''} · ${this.scope === 'workspace' ? vscode.l10n.t('workspace settings') : vscode.l10n.t('user settings')}`);
    if (this.tlsUnverified) {
      tip.appendMarkdown('\n\n');
      tip.appendText(`⚠ ${vscode.l10n.t('TLS verification off: the broker\'s certificate is not checked, so anyone on the path could read the password and the messages.')}`);
    }
    const sessionDetail = sessionSummaryDetail(summary);
    if (sessionText && sessionDetail) {
      tip.appendMarkdown('\n\n');
      tip.appendText(`${sessionText}\n${sessionDetail}`);
    }
    if (status.error) {
      tip.appendMarkdown('\n\n');
      tip.appendText(status.error);
    }
    item.tooltip = tip;
    item.contextValue = contextValue('connection', status.state, this.readOnly ? 'readOnly' : 'writable', summary.state !== 'ok' && 'reconnecting', summary.blockedReason !== undefined && 'blocked');
    return item;
  }

  protected loadChildren(): Promise<ExplorerNode[]> {
    return this.load();
  }

  private async load(): Promise<ExplorerNode[]> {
    const status = this.ctx.manager.statusOf(this.connectionId);
    if (status.state !== 'connected') {
      // Never connect from here: expanding must not start network traffic nor loop on a failing broker.
      const label = status.state === 'error' ? vscode.l10n.t('Connection failed — click to retry') : vscode.l10n.t('Not connected — click to connect');
      return [new InfoNode(this.ctx, this, label, status.state === 'error' ? 'debug-disconnect' : 'plug', {
        command: Commands.connect,
        title: vscode.l10n.t('Connect'),
        arguments: [{ id: this.connectionId }],
      })];
    }
    const client = await this.ctx.manager.management(this.connectionId);
    const vhosts = await client.listVhosts();
    if (vhosts.length === 0) return [new InfoNode(this.ctx, this, vscode.l10n.t('No vhosts visible to this user'), 'info')];
    const names = vhosts.map((v) => v.name).sort((a, b) => (a === '/' ? -1 : b === '/' ? 1 : a < b ? -1 : a > b ? 1 : 0));
    for (const name of [...this.vhostNodes.keys()]) if (!names.includes(name)) this.vhostNodes.delete(name);
    return names.map((name) => {
      let node = this.vhostNodes.get(name);
      if (!node) this.vhostNodes.set(name, (node = new VhostNode(this.ctx, this, this.connectionId, name)));
      return node;
    });
  }

  /** A vhost node already shown (undefined when the vhost list was not loaded). */
  vhostNode(vhost: string): VhostNode | undefined {
    return this.vhostNodes.get(vhost);
  }

  /** Reloads the vhost list and everything shown below it (keeping loaded pages). */
  invalidate(): void {
    super.invalidate();
    for (const v of this.vhostNodes.values()) v.invalidate();
  }

  /** Forgets vhosts and their pages (after disconnecting). */
  reset(): void {
    this.vhostNodes.clear();
    this.invalidate();
  }
}
