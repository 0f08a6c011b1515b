/** The sidebar explorer: tree, refresh, paging, filters, copy name, open in the management UI. */
import type * as vscode from 'vscode';
import type { FeatureContext } from '../context';
import { registerViewCommands } from './commands';

export function register(ctx: FeatureContext): vscode.Disposable[] {
  return [ctx.explorer, ...registerViewCommands(ctx.explorer.provider)];
}
