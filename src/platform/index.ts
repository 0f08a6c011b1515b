import type * as vscode from 'vscode';
import { Commands } from './commandIds';
import { getLogChannel } from './log';
import { registerCommand } from './registerCommand';

/** What the platform itself contributes: the log channel and "RabbitMQ: Show Log". */
export function register(): vscode.Disposable[] {
  return [getLogChannel(), registerCommand(Commands.showLog, () => getLogChannel().show(true))];
}
