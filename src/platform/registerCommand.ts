import * as vscode from 'vscode';
import { isRabbitError } from '../core/errors';
import { describeError, errorDetail } from './errors';
import { logger } from './log';
import { isObject } from './pickers';
import { Commands, type CommandId } from './commandIds';

const log = logger('commands');

/**
 * The one command wrapper: every command goes through it, so every failure is logged and shown the same
 * way, and a cancelled input is silent. Returns the handler's result so tests can use it.
 */
export function registerCommand<A extends unknown[], R>(
  id: CommandId,
  handler: (...args: A) => Promise<R> | R,
): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (...args: A) => {
    try {
      return await handler(...args);
    } catch (err) {
      if (isRabbitError(err, 'CANCELLED')) return undefined;
      log.error(`${id} failed: ${errorDetail(err)}`);
      // One pop-up: a headline in the UI language, then the English detail (what the log says).
      void vscode.window.showErrorMessage(describeError(err), vscode.l10n.t('Show Log')).then((choice) => {
        if (choice) getLogChannelAndShow();
      });
      // Programmatic callers (an args object through executeCommand: tests, other commands) see the failure
      // too. A user's invocation (palette: no args; tree menu: a node instance) does not, or VS Code would show
      // a second "command resulted in an error" pop-up for the same failure.
      if (isObject(args[0])) throw err;
      return undefined;
    }
  });
}

function getLogChannelAndShow(): void {
  void vscode.commands.executeCommand(Commands.showLog);
}
