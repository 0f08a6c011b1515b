import type * as vscode from 'vscode';
import type { ConnectionManager } from './connections/connectionManager';
import type { Explorer } from './explorer/explorer';

/** What every feature's `register(ctx)` gets: the extension context and the services features share. */
export interface FeatureContext {
  readonly extension: vscode.ExtensionContext;
  /** Saved connections and their live clients (management API, one AMQP session per vhost). */
  readonly connections: ConnectionManager;
  /** The sidebar tree (features reveal nodes and refresh it after changes). */
  readonly explorer: Explorer;
}
