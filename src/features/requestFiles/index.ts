/**
 * Request files: the `rabbitmq` language (*.rabbitmq), blocks run from CodeLenses or the cursor, environments
 * in the status bar, results inline and in a results document per file, editing help from the live broker,
 * and "New Request File". Nothing here touches the network at activation; faker loads on first use.
 */
import * as vscode from 'vscode';
import { Commands } from '../../platform/commandIds';
import { registerCommand } from '../../platform/registerCommand';
import type { FeatureContext } from '../context';
import { registerEditing, LANGUAGE, ParsedDocuments } from './editing';
import { Environments } from './environments';
import { EXAMPLE_REQUEST_FILE } from './example';
import { Results } from './results';
import { RequestRunner } from './runner';
import { RequestScopes } from './scope';

export function register(ctx: FeatureContext): vscode.Disposable[] {
  const parsed = new ParsedDocuments();
  const scopes = new RequestScopes(ctx.connections, ctx.extension.workspaceState);
  const environments = new Environments(ctx.extension.workspaceState);
  const results = new Results();
  const runner = new RequestRunner(ctx.extension, ctx.connections, parsed, scopes, environments, results);
  return [
    environments,
    results,
    ...registerEditing(parsed, scopes, ctx.connections.onDidChange),
    registerCommand(Commands.runRequestBlock, (a0?: unknown, a1?: unknown) => runner.run(a0, a1)),
    registerCommand(Commands.copyRequestAsCode, (a0?: unknown, a1?: unknown) => runner.copyAsCode(a0, a1)),
    registerCommand(Commands.selectRequestEnvironment, (arg?: unknown) => environments.command(arg)),
    registerCommand(Commands.showRequestResults, async (arg?: unknown) => {
      const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
      if (!uri) return undefined;
      return results.show(uri);
    }),
    registerCommand(Commands.newRequestFile, async () => {
      const doc = await vscode.workspace.openTextDocument({ language: LANGUAGE, content: EXAMPLE_REQUEST_FILE });
      await vscode.window.showTextDocument(doc);
      return doc;
    }),
  ];
}
