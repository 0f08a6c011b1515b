/** Where messages go: the route tester, the topology graph and the live tap (taps stop on deactivation). */
import type * as vscode from 'vscode';
import type { FeatureContext } from '../context';
import { registerRoutingCommands } from './commands';

export function register(ctx: FeatureContext): vscode.Disposable[] {
  return registerRoutingCommands(ctx.extension, ctx.connections, ctx.explorer);
}
