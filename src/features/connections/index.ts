/**
 * Connections: saved profiles (settings, passwords in SecretStorage), their live clients, and the commands that
 * add, edit, remove, connect and disconnect them.
 */
import type * as vscode from 'vscode';
import { AmqpSession } from '../../core/session';
import type { FeatureContext } from '../context';
import { registerConnectionCommands } from './commands';
import { ConnectionManager } from './connectionManager';
import { ConnectionStore } from './connectionStore';

/** The connection manager. No network here: connecting happens on a command. */
export function createConnectionManager(secrets: vscode.SecretStorage): ConnectionManager {
  const manager = new ConnectionManager(new ConnectionStore(secrets));
  // One AMQP session per (connection, vhost), created on first use.
  manager.setSessionFactory((resolved, creds) => new AmqpSession(resolved, creds));
  return manager;
}

export function register(ctx: FeatureContext): vscode.Disposable[] {
  return [ctx.connections.store, ctx.connections, ...registerConnectionCommands(ctx.connections)];
}
