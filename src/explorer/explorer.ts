import * as vscode from 'vscode';
import type { ConnectionManager } from '../connections/manager';
import { AutoRefresh } from './autoRefresh';
import { registerConnectionCommands } from './commands/connectionCommands';
import { registerTopologyCommands } from './commands/topologyCommands';
import { registerViewCommands } from './commands/viewCommands';
import type { ExplorerNode } from './nodes/base';
import { ExplorerProvider } from './provider';
import { ConnectionStatusBar } from './statusBar';

export const EXPLORER_VIEW_ID = 'rabbitmq.explorer';

/** The sidebar explorer: tree, its commands, auto-refresh and the connection status bar item. */
export class Explorer implements vscode.Disposable {
  readonly provider: ExplorerProvider;
  readonly view: vscode.TreeView<ExplorerNode>;
  readonly autoRefresh: AutoRefresh;
  readonly statusBar: ConnectionStatusBar;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(readonly manager: ConnectionManager) {
    this.provider = new ExplorerProvider(manager);
    this.view = vscode.window.createTreeView(EXPLORER_VIEW_ID, { treeDataProvider: this.provider, showCollapseAll: true });
    this.autoRefresh = new AutoRefresh(this.view, this.provider);
    this.statusBar = new ConnectionStatusBar(manager);
    this.disposables.push(
      this.view,
      this.autoRefresh,
      this.statusBar,
      ...registerConnectionCommands(manager),
      ...registerViewCommands(this.provider),
      ...registerTopologyCommands(this.provider),
      this.provider,
    );
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}
