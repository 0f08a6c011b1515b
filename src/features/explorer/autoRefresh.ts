import * as vscode from 'vscode';
import { Disposable } from '../../platform/lifecycle';
import { EXPLORER_SECTION, type ExplorerProvider } from './provider';

/**
 * Polls only while the explorer is visible (`rabbitmq.explorer.refreshInterval` seconds, 0 = off). A tick
 * refreshes the tree; nodes that failed to load (broker down) are retried then, so the tree recovers by itself.
 * Becoming visible after missed ticks refreshes once. Everything stops on dispose.
 */
export class AutoRefresh extends Disposable {
  private timer: ReturnType<typeof setInterval> | undefined;
  /** When the tree was last refreshed by a tick (or first shown): data older than an interval is stale. */
  private lastTick = Date.now();
  private everShown = false;

  constructor(private readonly view: vscode.TreeView<unknown>, private readonly provider: ExplorerProvider) {
    super();
    this.register(view.onDidChangeVisibility(() => this.update()));
    this.register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${EXPLORER_SECTION}.refreshInterval`)) this.update();
      }),
    );
    this.update();
  }

  /** Seconds between refreshes (0 = off). */
  get intervalSeconds(): number {
    const v = vscode.workspace.getConfiguration(EXPLORER_SECTION).get<number>('refreshInterval', 30);
    return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.max(2, v) : 0;
  }

  /** Whether a timer is running now (visible view and interval > 0). */
  get running(): boolean {
    return this.timer !== undefined;
  }

  private update(): void {
    const seconds = this.intervalSeconds;
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
    if (seconds === 0 || !this.view.visible) return;
    if (!this.everShown) {
      // The first time the view is shown it loads everything anyway.
      this.everShown = true;
      this.lastTick = Date.now();
    }
    // Shown again after a tick was missed: refresh once now.
    if (Date.now() - this.lastTick >= seconds * 1000) void this.tick();
    this.timer = setInterval(() => void this.tick(), seconds * 1000);
  }

  /** One auto-refresh: everything shown (which includes retrying failed nodes). */
  tick(): Promise<void> {
    if (!this.view.visible) return Promise.resolve();
    this.lastTick = Date.now();
    return this.provider.refresh();
  }

  override dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    super.dispose();
  }
}
