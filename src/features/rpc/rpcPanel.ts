import * as vscode from 'vscode';
import { isRabbitError } from '../../core/errors';
import type { RpcHistory } from './rpcModel';
import type { CallOutcome, RpcRunner } from './rpcRunner';
import { logger } from '../../platform/log';
import { toDisposable } from '../../platform/lifecycle';
import { WebviewPanelHost } from '../../platform/webview/panelHost';
import type { CallView, FromRpcView, RpcForm, RpcStrings, ToRpcView } from './rpcProtocol';

const log = logger('rpc');

export interface RpcPanelScope {
  connectionId: string;
  connectionName: string;
  vhost: string;
  /** False on read-only connections. */
  canSend: boolean;
  /** Throws READ_ONLY when the connection became read-only since the panel opened. */
  assertWritable(): void;
}

/** The RPC request panel: the page sends forms, the runner calls, finished calls go to the workspace history. */
export class RpcPanel extends WebviewPanelHost<ToRpcView, FromRpcView> {
  static readonly viewType = 'rabbitmq.rpc';

  private readonly pending = new Map<string, CallView>();
  private form: RpcForm;

  constructor(
    extensionUri: vscode.Uri,
    readonly scope: RpcPanelScope,
    private readonly history: RpcHistory,
    readonly runner: RpcRunner,
    form: RpcForm,
  ) {
    const title = vscode.l10n.t('RPC: {0}', scope.vhost);
    super(RpcPanel.viewType, title, { script: 'rpc', title }, extensionUri);
    this.form = form;
    const offCall = runner.on('call', (c) => {
      if (c.state === 'pending') this.pending.set(c.id, c);
      else this.pending.delete(c.id);
      this.post({ type: 'call', call: c });
    });
    const offStats = runner.on('stats', (s) => this.post({ type: 'stats', ignored: s.ignored, inFlight: s.inFlight }));
    this.register(toDisposable(offCall));
    this.register(toDisposable(offStats));
    this.register(toDisposable(() => void runner.dispose()));
  }

  /** Puts a request into the form (e.g. opened again from another tree node). */
  load(form: RpcForm): void {
    this.form = form;
    this.post({ type: 'load', form });
    this.panel.reveal();
  }

  /** Sends the page everything on every `ready` (also after it was hidden and shown again). */
  protected override onReady(): void {
    const stats = this.runner.stats;
    this.post({
      type: 'init',
      strings: rpcStrings(),
      connectionName: this.scope.connectionName,
      vhost: this.scope.vhost,
      form: this.form,
      history: [...this.pending.values(), ...this.history.list()],
      saved: this.history.saved(),
      canSend: this.scope.canSend,
      readOnlyNotice: this.scope.canSend ? undefined : vscode.l10n.t('This connection is read-only: RPC calls publish a request, so sending is disabled.'),
    });
    this.post({ type: 'stats', ignored: stats.ignored, inFlight: stats.inFlight });
  }

  /** Handles a page message as if the page sent it (tests drive the panel this way; errors are thrown). */
  dispatch(m: FromRpcView): Promise<void> {
    return this.onMessage(m);
  }

  /** Sends a form as the Send button does; resolves with the finished call. Invalid input throws (nothing sent). */
  async send(form: RpcForm): Promise<CallOutcome> {
    this.scope.assertWritable();
    this.form = form;
    const out = await this.runner.run(form);
    await this.history.record(out.call);
    const c = out.call;
    log.info(`call ${c.id} → ${c.form.targetKind === 'queue' ? `queue ${c.form.queue}` : `${c.form.exchange || '(default)'} / ${c.form.routingKey}`}: ${c.state === 'ok' ? `reply in ${c.rttMs} ms` : c.errorCode}`);
    return out;
  }

  protected async onMessage(m: FromRpcView): Promise<void> {
    switch (m.type) {
      case 'send':
      case 'resend': {
        const form = m.type === 'send' ? m.form : (this.pending.get(m.id) ?? this.history.get(m.id))?.form;
        if (!form) {
          this.post({ type: 'info', requestId: m.requestId, text: vscode.l10n.t('That call is no longer in the history.') });
          return;
        }
        if (m.type === 'resend') this.post({ type: 'load', form });
        try {
          await this.send(form);
        } catch (e) {
          if (isRabbitError(e, 'INVALID_INPUT') || isRabbitError(e, 'READ_ONLY')) {
            this.post({ type: 'invalid', requestId: m.requestId, field: e.field, message: e.message });
            return;
          }
          throw e;
        }
        return;
      }
      case 'save': {
        const entry = await this.history.save(m.name, m.form);
        this.post({ type: 'saved', saved: this.history.saved() });
        this.post({ type: 'info', requestId: m.requestId, text: vscode.l10n.t('Saved the request as "{0}".', entry.name) });
        return;
      }
      case 'deleteSaved':
        await this.history.deleteSaved(m.name);
        this.post({ type: 'saved', saved: this.history.saved() });
        return;
      case 'clearHistory':
        await this.history.clear();
        this.post({ type: 'history', history: [...this.pending.values()] });
        return;
      case 'copy':
        await vscode.env.clipboard.writeText(m.text);
        this.post({ type: 'info', requestId: m.requestId, text: vscode.l10n.t('Copied to the clipboard.') });
        return;
    }
  }
}

export function rpcStrings(): RpcStrings {
  return {
    target: vscode.l10n.t('Target'),
    queue: vscode.l10n.t('Queue'),
    exchange: vscode.l10n.t('Exchange'),
    routingKey: vscode.l10n.t('Routing key'),
    viaDefaultExchange: vscode.l10n.t('Queue (default exchange)'),
    body: vscode.l10n.t('Body'),
    contentType: vscode.l10n.t('Content type'),
    properties: vscode.l10n.t('Properties (JSON)'),
    headers: vscode.l10n.t('Headers (JSON)'),
    replyProperties: vscode.l10n.t('Properties'),
    replyHeaders: vscode.l10n.t('Headers'),
    timeoutMs: vscode.l10n.t('Timeout (ms)'),
    replyMode: vscode.l10n.t('Reply to'),
    replyDirect: vscode.l10n.t('Direct reply-to'),
    replyExclusive: vscode.l10n.t('Exclusive reply queue'),
    send: vscode.l10n.t('Send'),
    saveAs: vscode.l10n.t('Save Request'),
    saveName: vscode.l10n.t('Name for the saved request'),
    save: vscode.l10n.t('Save'),
    reply: vscode.l10n.t('Reply'),
    noReply: vscode.l10n.t('No call yet. Fill in the target and body, then Send (Ctrl+Enter).'),
    history: vscode.l10n.t('History'),
    saved: vscode.l10n.t('Saved requests'),
    noHistory: vscode.l10n.t('No calls in this workspace yet.'),
    noSaved: vscode.l10n.t('No saved requests.'),
    clearHistory: vscode.l10n.t('Clear'),
    sendAgain: vscode.l10n.t('Send Again'),
    load: vscode.l10n.t('Load'),
    delete: vscode.l10n.t('Delete'),
    pending: vscode.l10n.t('waiting'),
    ok: vscode.l10n.t('replied'),
    failed: vscode.l10n.t('failed'),
    roundTrip: vscode.l10n.t('Round trip'),
    correlationId: vscode.l10n.t('Correlation id'),
    inFlight: vscode.l10n.t('In flight'),
    ignoredReplies: vscode.l10n.t('Ignored replies'),
    ignoredHint: vscode.l10n.t('Replies whose correlation id matched no waiting call: late replies after a timeout, duplicates, or replies meant for someone else.'),
    text: vscode.l10n.t('Text'),
    json: vscode.l10n.t('JSON'),
    hex: vscode.l10n.t('Hex'),
    copy: vscode.l10n.t('Copy'),
    bytes: vscode.l10n.t('bytes'),
    none: vscode.l10n.t('(none)'),
    invalidJson: vscode.l10n.t('Not valid JSON'),
  };
}
