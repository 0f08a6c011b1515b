import type * as vscode from 'vscode';
import { Commands } from '../commands/ids';
import { registerCommand } from '../commands/registry';
import type { ConnectionManager } from '../connections/manager';
import { consumeCommand } from './consumeCommand';
import { peekCommand } from './peekCommand';
import { publishBulkCommand, publishCommand } from './publishCommands';

/** Registers publish, bulk publish, peek and consume (each accepts a tree node or an args object). */
export function registerMessagingCommands(context: vscode.ExtensionContext, manager: ConnectionManager): vscode.Disposable[] {
  return [
    registerCommand(Commands.publish, (arg?: unknown) => publishCommand(manager, arg)),
    registerCommand(Commands.publishBulk, (arg?: unknown) => publishBulkCommand(manager, arg)),
    registerCommand(Commands.peek, (arg?: unknown) => peekCommand(manager, context.extensionUri, arg)),
    registerCommand(Commands.consume, (arg?: unknown) => consumeCommand(manager, context.extensionUri, arg)),
  ];
}
