import * as vscode from 'vscode';
import { RabbitError } from '../../core/errors';
import type { DecodedMessage } from '../../core/message';
import { toJsonLines } from './jsonl';
import { toViewMessage, toViewMessages, type ViewOptions } from './inspectorModel';
import { logger } from '../../platform/log';
import { WebviewPanelHost } from '../../platform/webview/panelHost';
import type {
  FromInspector,
  InspectorMode,
  InspectorStrings,
  RepublishTarget,
  SettleAction,
  Settlement,
  ToInspector,
  ViewMessage,
  ViewSource,
} from './inspectorProtocol';

const log = logger('inspector');


export interface InspectorEntry {
  view: ViewMessage;
  raw: DecodedMessage;
}

/** What the command side provides: broker actions the panel cannot do alone. */
export interface InspectorController {
  mode: InspectorMode;
  source: ViewSource;
  notices: string[];
  canPublish: boolean;
  /** Peek again (peek mode). */
  refresh?(): Promise<DecodedMessage[]>;
  /** Publish these messages again; returns a summary line. */
  republish?(raws: DecodedMessage[], target: RepublishTarget, confirmed?: boolean): Promise<string>;
  /** Move or copy these messages out of the queue (peek mode); returns a summary line. */
  move?(raws: DecodedMessage[]): Promise<string>;
  /** Consume mode. */
  settle?(raws: DecodedMessage[], action: SettleAction): Promise<Settlement>;
  stop?(): Promise<void>;
  /** Called when the panel closes (consume: stop and requeue). */
  dispose?(): Promise<void> | void;
}

/** The inspector panel: one page for peek, consume (with ack controls) and saved messages. */
export class InspectorPanel extends WebviewPanelHost<ToInspector, FromInspector> {
  static readonly viewType = 'rabbitmq.inspector';
  /** Open panels (tests reach them through the extension API). */
  static readonly open = new Set<InspectorPanel>();

  private readonly entries: InspectorEntry[] = [];
  private readonly byId = new Map<string, InspectorEntry>();
  private generation = 0;
  private statusLine: { level: 'info' | 'warning' | 'error'; text: string; active?: boolean } | undefined;
  private isFirstReady = true;

  constructor(extensionUri: vscode.Uri, title: string, readonly controller: InspectorController) {
    super(InspectorPanel.viewType, title, { script: 'inspector', title }, extensionUri);
    InspectorPanel.open.add(this);
    this.onDidDispose(() => {
      InspectorPanel.open.delete(this);
      void Promise.resolve(controller.dispose?.()).catch((e: unknown) => log.error(`closing the inspector: ${e instanceof Error ? e.message : String(e)}`));
    });
    this.post(this.initMessage());
  }

  /** Messages shown, in order. */
  get messages(): readonly InspectorEntry[] {
    return this.entries;
  }

  private initMessage(): ToInspector {
    const c = this.controller;
    return { type: 'init', mode: c.mode, source: c.source, notices: c.notices, canPublish: c.canPublish, canMove: c.move !== undefined && c.canPublish, strings: inspectorStrings() };
  }

  /** Replaces the list (a new peek). */
  setMessages(list: DecodedMessage[], opts: ViewOptions = {}): void {
    this.generation++;
    this.entries.length = 0;
    this.byId.clear();
    const views = toViewMessages(list, `g${this.generation}-`, 1, opts);
    views.forEach((view, i) => this.addEntry({ view, raw: list[i] }));
    this.post({ type: 'messages', messages: views, replace: true });
  }

  /** Appends one message (consume mode). */
  append(raw: DecodedMessage): ViewMessage {
    const index = this.entries.length + 1;
    const view = toViewMessage(raw, `g${this.generation}-${index}`, index);
    this.addEntry({ raw, view });
    this.post({ type: 'messages', messages: [view], replace: false });
    return view;
  }

  markSettled(ids: string[], outcome: Settlement): void {
    for (const id of ids) {
      const e = this.byId.get(id);
      if (e) e.view.settled = outcome;
    }
    this.post({ type: 'settled', ids, outcome });
  }

  /** Marks every message not yet settled (e.g. "requeued" when a consumer stops). */
  markAllOpen(outcome: Settlement): void {
    const ids = this.entries.filter((e) => !e.view.settled).map((e) => e.view.id);
    if (ids.length) this.markSettled(ids, outcome);
  }

  /** The last status line shown (consumer cancelled, channel closed …). */
  get lastStatus(): { level: 'info' | 'warning' | 'error'; text: string; active?: boolean } | undefined {
    return this.statusLine;
  }

  status(level: 'info' | 'warning' | 'error', text: string, active?: boolean): void {
    this.statusLine = { level, text, active };
    this.post({ type: 'status', level, text, active });
  }

  private addEntry(e: InspectorEntry): void {
    this.entries.push(e);
    this.byId.set(e.view.id, e);
  }

  /** A page that was hidden comes back empty: send everything again. */
  protected override onReady(): void {
    if (!this.isFirstReady) {
      void this.panel.webview.postMessage(this.initMessage());
      void this.panel.webview.postMessage({ type: 'messages', messages: this.entries.map((e) => e.view), replace: true } satisfies ToInspector);
      if (this.statusLine) void this.panel.webview.postMessage({ type: 'status', ...this.statusLine } satisfies ToInspector);
    }
    this.isFirstReady = false;
  }

  private pick(ids: string[]): InspectorEntry[] {
    const out = ids.map((id) => this.byId.get(id)).filter((e): e is InspectorEntry => e !== undefined);
    if (out.length === 0) throw new RabbitError('INVALID_INPUT', vscode.l10n.t('Select one or more messages first.'), { field: 'selection' });
    return out;
  }

  /** Handles a page message as if the page sent it (tests drive the panel this way; errors are thrown, not posted). */
  dispatch(m: FromInspector): Promise<void> {
    return this.onMessage(m);
  }

  protected async onMessage(m: FromInspector): Promise<void> {
    switch (m.type) {
      case 'copy':
        await vscode.env.clipboard.writeText(m.text);
        this.post({ type: 'reply', requestId: m.requestId, ok: true, text: vscode.l10n.t('Copied to the clipboard.') });
        return;
      case 'save': {
        const n = await this.save(this.pick(m.ids).map((e) => e.raw));
        if (n !== undefined) this.post({ type: 'reply', requestId: m.requestId, ok: true, text: vscode.l10n.t('Saved {0} message(s).', n) });
        return;
      }
      case 'openBody':
        await this.openBody(this.pick([m.id])[0]);
        return;
      case 'republish': {
        if (!this.controller.republish) return;
        const text = await this.controller.republish(this.pick(m.ids).map((e) => e.raw), m.target, m.confirmed === true);
        this.post({ type: 'reply', requestId: m.requestId, ok: true, text });
        return;
      }
      case 'move': {
        if (!this.controller.move) return;
        const text = await this.controller.move(this.pick(m.ids).map((e) => e.raw));
        this.post({ type: 'reply', requestId: m.requestId, ok: true, text });
        return;
      }
      case 'settle': {
        if (!this.controller.settle) return;
        const entries = this.pick(m.ids).filter((e) => !e.view.settled);
        if (entries.length === 0) return;
        const outcome = await this.controller.settle(entries.map((e) => e.raw), m.action);
        this.markSettled(entries.map((e) => e.view.id), outcome);
        return;
      }
      case 'refresh':
        if (this.controller.refresh) this.setMessages(await this.controller.refresh());
        return;
      case 'stop':
        await this.controller.stop?.();
        return;
    }
  }

  /** Saves messages as JSON Lines (asks where unless `target` is given). Returns the count, or undefined if cancelled. */
  async save(raws: DecodedMessage[], target?: vscode.Uri): Promise<number | undefined> {
    const uri =
      target ??
      (await vscode.window.showSaveDialog({
        title: vscode.l10n.t('Save messages as JSON Lines'),
        filters: { [vscode.l10n.t('JSON Lines')]: ['jsonl', 'ndjson'] },
        defaultUri: vscode.workspace.workspaceFolders?.[0] ? vscode.Uri.joinPath(vscode.workspace.workspaceFolders[0].uri, `${safeFileName(this.controller.source.queue ?? 'messages')}.jsonl`) : undefined,
      }));
    if (!uri) return undefined;
    await vscode.workspace.fs.writeFile(uri, Buffer.from(toJsonLines(raws), 'utf8'));
    log.info(`saved ${raws.length} message(s) to ${uri.fsPath}`);
    return raws.length;
  }

  /** Opens the whole body in an untitled editor (JSON pretty-printed when it parses). */
  async openBody(entry: InspectorEntry): Promise<vscode.TextEditor> {
    const body = entry.raw.body;
    let content: string;
    let language = 'plaintext';
    if (body.kind === 'json' && body.json !== undefined) {
      content = JSON.stringify(body.json, null, 2);
      language = 'json';
    } else content = body.text ?? body.base64;
    const doc = await vscode.workspace.openTextDocument({ content, language });
    return vscode.window.showTextDocument(doc, { preview: false });
  }
}

function safeFileName(s: string): string {
  return s.replace(/[^\w.-]+/g, '_').slice(0, 80) || 'messages';
}

/** Every text of the page, translated. */
export function inspectorStrings(): InspectorStrings {
  return {
    search: vscode.l10n.t('Search bodies, headers and properties'),
    noMessages: vscode.l10n.t('No messages.'),
    noSelection: vscode.l10n.t('Select a message to see it.'),
    properties: vscode.l10n.t('Properties'),
    headers: vscode.l10n.t('Headers'),
    deathHistory: vscode.l10n.t('Dead-letter history (x-death)'),
    body: vscode.l10n.t('Body'),
    text: vscode.l10n.t('Text'),
    json: vscode.l10n.t('JSON'),
    hex: vscode.l10n.t('Hex'),
    base64: vscode.l10n.t('Base64'),
    copy: vscode.l10n.t('Copy'),
    copied: vscode.l10n.t('Copied to the clipboard.'),
    save: vscode.l10n.t('Save…'),
    publishAgain: vscode.l10n.t('Publish again'),
    publishElsewhere: vscode.l10n.t('Publish to…'),
    sendToOrigin: vscode.l10n.t('Send back to origin'),
    moveSelected: vscode.l10n.t('Move / copy…'),
    openFullBody: vscode.l10n.t('Open full body in an editor'),
    truncatedNotice: vscode.l10n.t('The body is large: only its beginning is shown.'),
    binaryNotice: vscode.l10n.t('Binary body: see Hex or Base64.'),
    selectAll: vscode.l10n.t('Select all shown'),
    selected: vscode.l10n.t('selected'),
    ack: vscode.l10n.t('Ack'),
    nack: vscode.l10n.t('Nack + requeue'),
    reject: vscode.l10n.t('Reject (dead-letter)'),
    ackSelected: vscode.l10n.t('Ack selected'),
    nackSelected: vscode.l10n.t('Nack + requeue selected'),
    rejectSelected: vscode.l10n.t('Reject selected'),
    stop: vscode.l10n.t('Stop (requeue unacked)'),
    refresh: vscode.l10n.t('Peek again'),
    redelivered: vscode.l10n.t('redelivered'),
    exchange: vscode.l10n.t('Exchange'),
    routingKey: vscode.l10n.t('Routing key'),
    queue: vscode.l10n.t('Queue'),
    reason: vscode.l10n.t('Reason'),
    count: vscode.l10n.t('Count'),
    time: vscode.l10n.t('Time'),
    routingKeys: vscode.l10n.t('Routing keys'),
    defaultExchange: vscode.l10n.t('(default exchange)'),
    unacked: vscode.l10n.t('unacked'),
    acked: vscode.l10n.t('acked'),
    nacked: vscode.l10n.t('requeued'),
    rejected: vscode.l10n.t('rejected'),
    requeued: vscode.l10n.t('requeued'),
    consuming: vscode.l10n.t('Consuming'),
    stopped: vscode.l10n.t('Stopped'),
    bytes: vscode.l10n.t('bytes'),
    expandAll: vscode.l10n.t('Expand all'),
    collapseAll: vscode.l10n.t('Collapse all'),
    none: vscode.l10n.t('(none)'),
  };
}
