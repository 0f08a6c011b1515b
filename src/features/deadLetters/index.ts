/**
 * Dead letters and moving messages: move / copy messages between queues and exchanges, redrive dead letters to
 * their origins, export a queue to JSON Lines and publish a JSON Lines file, and the "Dead letters" view.
 */
import * as vscode from 'vscode';
import { Commands } from '../../platform/commandIds';
import { isObject } from '../../platform/pickers';
import { registerCommand } from '../../platform/registerCommand';
import type { FeatureContext } from '../context';
import { DeadLettersView, includeOf } from './deadLettersView';
import { exportQueueCommand, importMessagesCommand } from './exportImport';
import { moveCommand } from './moveCommand';
import { redriveCommand } from './redriveCommand';
import { sourceQueueOf } from './scope';

/** Registers the commands and the Dead letters view. */
export function register(ctx: FeatureContext): vscode.Disposable[] {
  const manager = ctx.connections;
  const provider = new DeadLettersView(manager);
  const view = vscode.window.createTreeView('rabbitmq.deadLetters', { treeDataProvider: provider, showCollapseAll: false });
  provider.attach(view);
  return [
    provider,
    view,
    registerCommand(Commands.moveMessages, (arg?: unknown) => moveCommand(manager, arg)),
    registerCommand(Commands.redriveDeadLetters, (arg?: unknown) => redriveCommand(manager, arg)),
    registerCommand(Commands.exportQueue, (arg?: unknown) => exportQueueCommand(manager, arg)),
    registerCommand(Commands.importMessages, (arg?: unknown) => importMessagesCommand(manager, arg)),
    registerCommand(Commands.refreshDeadLetters, (arg?: unknown) => provider.refresh(includeOf(arg))),
    registerCommand(Commands.peekDeadLetters, async (arg?: unknown) => {
      const s = await sourceQueueOf(manager, arg);
      return vscode.commands.executeCommand(Commands.peek, {
        connectionId: s.connectionId,
        vhost: s.vhost,
        queue: s.queue,
        // From the view the user is there to answer; an args object carries its own consent (quorum delivery limits).
        ...(isObject(arg) ? { consent: arg.consent } : { ask: true }),
      });
    }),
  ];
}
