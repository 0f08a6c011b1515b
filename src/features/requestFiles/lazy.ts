/**
 * The request-file runtime, bundled apart (dist/requestFiles.js) and loaded by index.ts when the first request
 * file opens or a request command runs: editing help (CodeLens, completion, hover, diagnostics, folding),
 * environments in the status bar, results, and the runner. Nothing here touches the network when loaded.
 */
import * as vscode from 'vscode';
import type { FeatureContext } from '../context';
import { registerEditing, LANGUAGE, ParsedDocuments } from './editing';
import { Environments } from './environments';
import { EXAMPLE_REQUEST_FILE } from './example';
import { Results } from './results';
import { RequestRunner } from './runner';
import { RequestScopes } from './scope';

/** What index.ts calls through. */
export interface RequestFilesApi {
  disposables: vscode.Disposable[];
  run(a0?: unknown, a1?: unknown): Promise<unknown>;
  copyAsCode(a0?: unknown, a1?: unknown): Promise<string>;
  selectEnvironment(arg?: unknown): Promise<string | undefined>;
  showResults(arg?: unknown): Promise<vscode.TextDocument | undefined>;
  newFile(): Promise<vscode.TextDocument>;
}

export function activateRequestFiles(ctx: FeatureContext): RequestFilesApi {
  const parsed = new ParsedDocuments();
  const scopes = new RequestScopes(ctx.connections, ctx.extension.workspaceState);
  const environments = new Environments(ctx.extension.workspaceState);
  const results = new Results();
  const runner = new RequestRunner(ctx.extension, ctx.connections, parsed, scopes, environments, results);
  return {
    disposables: [environments, results, scopes, ...registerEditing(parsed, scopes, ctx.connections.onDidChange)],
    run: (a0, a1) => runner.run(a0, a1),
    copyAsCode: (a0, a1) => runner.copyAsCode(a0, a1),
    selectEnvironment: (arg) => environments.command(arg),
    showResults: async (arg) => {
      const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
      return uri ? results.show(uri) : undefined;
    },
    newFile: async () => {
      const doc = await vscode.workspace.openTextDocument({ language: LANGUAGE, content: EXAMPLE_REQUEST_FILE });
      await vscode.window.showTextDocument(doc);
      return doc;
    },
  };
}
