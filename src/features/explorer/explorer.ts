import * as vscode from 'vscode';
import { Disposable } from '../../platform/lifecycle';
import type { ConnectionManager } from '../connections/connectionManager';
import { AutoRefresh } from './autoRefresh';
import type { ExplorerNode } from './nodes/base';
import { ExplorerProvider } from './provider';
import { ConnectionStatusBar } from '../connections/statusBar';

export const EXPLORER_VIEW_ID = 'rabbitmq.explorer';

/** The sidebar explorer: tree view, auto-refresh and the connection status bar item (commands: ./commands.ts). */
export class Explorer extends Disposable {
  readonly provider: ExplorerProvider;
  readonly view: vscode.TreeView<ExplorerNode>;
  readonly autoRefresh: AutoRefresh;
  readonly statusBar: ConnectionStatusBar;

  constructor(readonly manager: ConnectionManager) {
    super();
    this.provider = new ExplorerProvider(manager);
    this.view = vscode.window.createTreeView(EXPLORER_VIEW_ID, { treeDataProvider: this.provider, showCollapseAll: true });
    this.autoRefresh = new AutoRefresh(this.view, this.provider);
    this.statusBar = new ConnectionStatusBar(manager);
    for (const d of [this.view, this.autoRefresh, this.statusBar, this.provider]) this.register(d);
  }

  /**
   * Reveals (and selects) a node once the explorer's pending refresh has reached VS Code. A whole-tree refresh
   * that lands mid-reveal makes VS Code drop it silently, so a reveal that did not select is tried again.
   */
  async reveal(node: ExplorerNode, options: { select?: boolean; focus?: boolean; expand?: boolean | number } = {}): Promise<boolean> {
    const select = options.select ?? true;
    for (let attempt = 0; ; attempt++) {
      await this.provider.settled();
      await this.view.reveal(node, { ...options, select });
      if (!select || this.view.selection.includes(node)) return true;
      if (attempt >= 4) return false;
      await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
    }
  }
}
