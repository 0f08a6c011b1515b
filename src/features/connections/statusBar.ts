import * as vscode from 'vscode';
import { Commands } from '../../platform/commandIds';
import { Disposable } from '../../platform/lifecycle';
import type { ConnectionManager } from './connectionManager';
import { sessionSummaryDetail, sessionSummaryText } from './sessionText';

/** Shows the active connection and its state; clicking opens the explorer. */
export class ConnectionStatusBar extends Disposable {
  readonly item: vscode.StatusBarItem;
  private lastId: string | undefined;

  constructor(private readonly manager: ConnectionManager) {
    super();
    this.item = this.register(vscode.window.createStatusBarItem('rabbitmq.connection', vscode.StatusBarAlignment.Left, 10));
    this.item.name = vscode.l10n.t('RabbitMQ Connection');
    this.item.command = 'rabbitmq.explorer.focus';
    this.register(manager.onDidChange((id) => this.update(id)));
    this.register(manager.onDidChangeSessions((id) => this.update(id)));
    this.register(manager.store.onDidChange(() => this.update(undefined)));
    this.update(undefined);
  }

  private update(changedId: string | undefined): void {
    // The connection shown: the active one, else the one that just changed (e.g. connecting or failing).
    const active = this.manager.activeProfileId;
    let id = active ?? (changedId && this.manager.statusOf(changedId).state !== 'disconnected' ? changedId : this.lastId);
    if (id && !this.manager.store.get(id)) id = undefined;
    this.lastId = id;
    if (!id) {
      this.item.hide();
      return;
    }
    const profile = this.manager.store.get(id);
    const status = this.manager.statusOf(id);
    const icon = { connected: '$(server)', connecting: '$(loading~spin)', error: '$(error)', disconnected: '$(debug-disconnect)' }[status.state];
    const state = {
      connected: vscode.l10n.t('connected'),
      connecting: vscode.l10n.t('connecting…'),
      error: vscode.l10n.t('error'),
      disconnected: vscode.l10n.t('disconnected'),
    }[status.state];
    const summary = this.manager.amqpSummary(id);
    const sessionText = sessionSummaryText(summary);
    const sessionDetail = sessionSummaryDetail(summary);
    const troubled = summary.state !== 'ok' || summary.blockedReason !== undefined;
    this.item.text = `${troubled ? (summary.state === 'ok' ? '$(warning)' : '$(sync~spin)') : icon} ${profile?.name ?? id}${sessionText ? ` — ${sessionText}` : ''}`;
    this.item.tooltip = `RabbitMQ: ${profile?.name ?? id} — ${state}${status.overview ? ` (RabbitMQ ${status.overview.rabbitmqVersion})` : ''}${sessionDetail ? `\n${sessionDetail}` : ''}${status.error ? `\n${status.error}` : ''}`;
    // While reconnecting a click starts the next attempt now; otherwise it opens the explorer.
    this.item.command =
      summary.state === 'ok' ? 'rabbitmq.explorer.focus' : { command: Commands.retryNow, title: vscode.l10n.t('Retry Now'), arguments: [{ id }] };
    this.item.backgroundColor =
      status.state === 'error' || summary.state === 'lost'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : troubled
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
    this.item.show();
  }
}
