import * as vscode from 'vscode';
import { Commands } from './commands/ids';
import { registerCommand } from './commands/registry';
import { getLogChannel, logger } from './util/log';
import { ConnectionManager } from './connections/manager';
import { ConnectionStore } from './connections/store';
import { Explorer } from './explorer/explorer';
import type { ExplorerProvider } from './explorer/provider';
import { AmqpSession } from './core/session';
import { registerMessagingCommands } from './messaging/register';
import { generateCodeCommand } from './commands/generateCode';
import { registerPikaMigration } from './pika/pikaDiagnostics';
import { RpcService } from './rpc/rpcCommand';
import { registerTopologyGraphCommands } from './topology/commands';

/** Activation only: build the pieces and register them. Keep it cheap (no network, no file scans). */
export function activate(context: vscode.ExtensionContext): ExtensionApi {
  const started = performance.now();
  const log = logger('activate');
  context.subscriptions.push(getLogChannel());
  context.subscriptions.push(registerCommand(Commands.showLog, () => getLogChannel().show(true)));

  // Connections and the explorer: no network here (connecting happens on a command).
  const store = new ConnectionStore(context.secrets);
  const connections = new ConnectionManager(store);
  const explorer = new Explorer(connections);
  context.subscriptions.push(store, connections, explorer);
  // One AMQP session per (connection, vhost), created on first use (no network at activation).
  connections.setSessionFactory((resolved, creds) => new AmqpSession(resolved, creds));
  // Messaging (#5): publish, bulk publish, peek, consume.
  context.subscriptions.push(...registerMessagingCommands(context, connections));
  // Patterns (#7): code generation for a queue/exchange; pika 0.x diagnostics and quick fixes for Python.
  context.subscriptions.push(
    registerCommand(Commands.generateCode, (arg?: unknown) =>
      generateCodeCommand({ profile: (id) => connections.profile(id), list: () => connections.store.list() }, arg)),
    ...registerPikaMigration(),
  );
  // RPC (#6): request panel, headless calls (args form), per-workspace history.
  const rpc = new RpcService(context, connections);
  context.subscriptions.push(rpc, registerCommand(Commands.rpcCall, (arg?: unknown) => rpc.command(arg)));
  // Where messages go (#8): route tester, topology graph, live tap (taps stop on deactivation).
  context.subscriptions.push(...registerTopologyGraphCommands(context, connections, explorer));

  const activationMs = performance.now() - started;
  log.info(`activated in ${activationMs.toFixed(1)} ms`);
  return { activationMs, connections, explorer: explorer.provider, explorerView: explorer, rpc };
}

export function deactivate(): void {
  // Disposables in context.subscriptions are released by VS Code.
}

/** What activate() returns: used by tests and the benchmark (through extension.exports). */
export interface ExtensionApi {
  activationMs: number;
  /** Saved connections and their live clients. */
  connections: ConnectionManager;
  /** RPC panels, history and headless runners (#6). */
  rpc: RpcService;
  /** The explorer's TreeDataProvider (tests call getChildren on it). */
  explorer: ExplorerProvider;
  /** The explorer with its tree view, auto-refresh and status bar item. */
  explorerView: Explorer;
}
