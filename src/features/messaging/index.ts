/** Messaging: publish, bulk publish, peek and consume (the message inspector shows what peek and consume get). */
import type * as vscode from 'vscode';
import { Commands } from '../../platform/commandIds';
import { registerCommand } from '../../platform/registerCommand';
import type { FeatureContext } from '../context';
import { consumeCommand } from './consumeCommand';
import { peekCommand } from './peekCommand';
import { publishBulkCommand, publishCommand } from './publishCommands';

/** Registers publish, bulk publish, peek and consume (each accepts a tree node or an args object). */
export function register(ctx: FeatureContext): vscode.Disposable[] {
  const manager = ctx.connections;
  const context = ctx.extension;
  return [
    registerCommand(Commands.publish, (arg?: unknown) => publishCommand(manager, arg)),
    registerCommand(Commands.publishBulk, (arg?: unknown) => publishBulkCommand(manager, arg)),
    registerCommand(Commands.peek, (arg?: unknown) => peekCommand(manager, context.extensionUri, arg)),
    registerCommand(Commands.consume, (arg?: unknown) => consumeCommand(manager, context.extensionUri, arg)),
  ];
}
