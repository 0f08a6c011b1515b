/** Code: generate a consumer/producer for a queue or exchange; pika 0.x diagnostics and quick fixes for Python. */
import type * as vscode from 'vscode';
import { Commands } from '../../platform/commandIds';
import { registerCommand } from '../../platform/registerCommand';
import type { FeatureContext } from '../context';
import { generateCodeCommand } from './generateCode';
import { registerPikaMigration } from './pikaDiagnostics';

export function register(ctx: FeatureContext): vscode.Disposable[] {
  const connections = ctx.connections;
  return [
    registerCommand(Commands.generateCode, (arg?: unknown) =>
      generateCodeCommand({ profile: (id) => connections.profile(id), list: () => connections.store.list() }, arg)),
    ...registerPikaMigration(),
  ];
}
