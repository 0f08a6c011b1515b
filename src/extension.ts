import type * as vscode from 'vscode';
import * as agent from './features/agent';
import * as brokerObjects from './features/brokerObjects';
import * as codegen from './features/codegen';
import * as connections from './features/connections';
import * as deadLetters from './features/deadLetters';
import type { ConnectionManager } from './features/connections/connectionManager';
import type { FeatureContext } from './features/context';
import * as explorer from './features/explorer';
import { Explorer } from './features/explorer/explorer';
import type { ExplorerProvider } from './features/explorer/provider';
import * as messaging from './features/messaging';
import * as requestFiles from './features/requestFiles';
import * as routing from './features/routing';
import * as rpc from './features/rpc';
import type { RpcService } from './features/rpc/rpcService';
import * as platform from './platform';
import { logger } from './platform/log';

/** Activation only: build the shared services, then let each feature register. Cheap: no network, no file scans. */
export function activate(context: vscode.ExtensionContext): ExtensionApi {
  const started = performance.now();
  const manager = connections.createConnectionManager(context.secrets);
  const ctx: FeatureContext = { extension: context, connections: manager, explorer: new Explorer(manager) };
  const rpcService = rpc.createRpcService(ctx);
  context.subscriptions.push(
    ...platform.register(),
    ...connections.register(ctx),
    ...explorer.register(ctx),
    ...brokerObjects.register(ctx),
    ...messaging.register(ctx),
    ...deadLetters.register(ctx),
    ...rpc.register(ctx, rpcService),
    ...routing.register(ctx),
    ...codegen.register(ctx),
    ...requestFiles.register(ctx),
    ...agent.register(ctx),
  );
  const activationMs = performance.now() - started;
  logger('activate').info(`activated in ${activationMs.toFixed(1)} ms`);
  return { activationMs, connections: manager, explorer: ctx.explorer.provider, explorerView: ctx.explorer, rpc: rpcService };
}

export function deactivate(): void {
  // Disposables in context.subscriptions are released by VS Code.
}

/** What activate() returns: used by tests and the benchmark (through extension.exports). */
export interface ExtensionApi {
  activationMs: number;
  /** Saved connections and their live clients. */
  connections: ConnectionManager;
  /** RPC panels, history and headless runners. */
  rpc: RpcService;
  /** The explorer's TreeDataProvider (tests call getChildren on it). */
  explorer: ExplorerProvider;
  /** The explorer with its tree view, auto-refresh and status bar item. */
  explorerView: Explorer;
}
