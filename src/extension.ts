import * as vscode from 'vscode';
import { Commands } from './commands/ids';
import { registerCommand } from './commands/registry';
import { getLogChannel, logger } from './util/log';

/** Activation only: build the pieces and register them. Keep it cheap (no network, no file scans). */
export function activate(context: vscode.ExtensionContext): ExtensionApi {
  const started = performance.now();
  const log = logger('activate');
  context.subscriptions.push(getLogChannel());
  context.subscriptions.push(registerCommand(Commands.showLog, () => getLogChannel().show(true)));

  const activationMs = performance.now() - started;
  log.info(`activated in ${activationMs.toFixed(1)} ms`);
  return { activationMs };
}

export function deactivate(): void {
  // Disposables in context.subscriptions are released by VS Code.
}

/** What activate() returns: used by tests and the benchmark (through extension.exports). */
export interface ExtensionApi {
  activationMs: number;
}
