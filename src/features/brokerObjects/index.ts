/** Broker objects: declare, delete and purge queues and exchanges; bind and unbind. */
import type * as vscode from 'vscode';
import type { FeatureContext } from '../context';
import { registerBrokerObjectCommands } from './commands';

export function register(ctx: FeatureContext): vscode.Disposable[] {
  return registerBrokerObjectCommands(ctx.explorer.provider);
}
