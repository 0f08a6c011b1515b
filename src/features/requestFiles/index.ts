/**
 * Request files: the `rabbitmq` language (*.rabbitmq), blocks run from CodeLenses or the cursor, environments
 * in the status bar, results inline and in a results document per file, editing help from the live broker,
 * and "New Request File". Activation only registers the commands: the runtime (lazy.ts, bundled apart as
 * dist/requestFiles.js) loads when the first request file opens or a command runs, and faker only when a file
 * uses {{$faker …}}.
 */
import { join } from 'node:path';
import * as vscode from 'vscode';
import { Commands } from '../../platform/commandIds';
import { registerCommand } from '../../platform/registerCommand';
import type { FeatureContext } from '../context';
import type { RequestFilesApi } from './lazy';

export function register(ctx: FeatureContext): vscode.Disposable[] {
  let api: RequestFilesApi | undefined;
  const load = (): RequestFilesApi => {
    if (!api) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a path known only at run time (the bundle ships beside the extension)
      const mod = require(join(ctx.extension.extensionPath, 'dist', 'requestFiles.js')) as typeof import('./lazy');
      api = mod.activateRequestFiles(ctx);
      ctx.extension.subscriptions.push(...api.disposables);
    }
    return api;
  };
  const isRequestFile = (d: vscode.TextDocument): boolean => d.languageId === 'rabbitmq';
  // A request file open at start-up (this activation may be for it): load right after activation, not inside it.
  if (vscode.workspace.textDocuments.some(isRequestFile)) setImmediate(() => load());
  return [
    vscode.workspace.onDidOpenTextDocument((d) => {
      if (isRequestFile(d)) load();
    }),
    registerCommand(Commands.runRequestBlock, (a0?: unknown, a1?: unknown) => load().run(a0, a1)),
    registerCommand(Commands.copyRequestAsCode, (a0?: unknown, a1?: unknown) => load().copyAsCode(a0, a1)),
    registerCommand(Commands.selectRequestEnvironment, (arg?: unknown) => load().selectEnvironment(arg)),
    registerCommand(Commands.showRequestResults, (arg?: unknown) => load().showResults(arg)),
    registerCommand(Commands.newRequestFile, () => load().newFile()),
  ];
}
