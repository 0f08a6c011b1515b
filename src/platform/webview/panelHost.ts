import * as vscode from 'vscode';
import { Disposable } from '../lifecycle';
import { buildHtml, webviewOptions, type WebviewPage } from './html';
import type { Message } from './protocol';
import { describeError, errorDetail } from '../errors';
import { logger } from '../log';

const log = logger('webview');

/**
 * Base for every webview panel: owns its disposables, builds HTML through the one builder, and gives a typed
 * message channel with a `ready` handshake (messages posted before the page is ready are queued).
 * No retainContextWhenHidden: pages keep their own state with getState/setState and re-request on `ready`.
 */
export abstract class WebviewPanelHost<ToView extends Message, FromView extends Message> extends Disposable {
  readonly panel: vscode.WebviewPanel;
  private ready = false;
  private queue: ToView[] = [];
  private closed = false;
  private readonly didDispose = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.didDispose.event;

  protected constructor(viewType: string, title: string, page: WebviewPage, extensionUri: vscode.Uri, column = vscode.ViewColumn.Active) {
    super();
    this.panel = vscode.window.createWebviewPanel(viewType, title, column, webviewOptions(extensionUri));
    this.panel.webview.html = buildHtml(this.panel.webview, extensionUri, page);
    this.register(this.panel.onDidDispose(() => this.dispose()));
    this.register(this.panel.webview.onDidReceiveMessage((m: FromView) => this.receive(m)));
  }

  /** Typed post; queued until the page said `ready`. */
  post(message: ToView): void {
    if (this.closed) return;
    if (!this.ready) {
      this.queue.push(message);
      return;
    }
    void this.panel.webview.postMessage(message);
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** Called for every message from the page except `ready`. Errors are logged and sent back as `error`. */
  protected abstract onMessage(message: FromView): Promise<void> | void;

  /** Called on every `ready` (also after the page was hidden and shown again). */
  protected onReady(): void {}

  private async receive(message: FromView): Promise<void> {
    if (message?.type === 'ready') {
      this.ready = true;
      this.onReady();
      const pending = this.queue;
      this.queue = [];
      for (const m of pending) void this.panel.webview.postMessage(m);
      return;
    }
    try {
      await this.onMessage(message);
    } catch (e) {
      log.error(`${this.panel.viewType}: ${errorDetail(e)}`);
      const requestId = (message as { requestId?: string }).requestId;
      void this.panel.webview.postMessage({ type: 'error', requestId, message: describeError(e) });
    }
  }

  override dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.didDispose.fire();
    this.didDispose.dispose();
    this.panel.dispose();
    super.dispose();
  }
}
