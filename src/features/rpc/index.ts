/** RPC: the request panel, headless calls (args object) and the per-workspace history. */
import type * as vscode from 'vscode';
import { Commands } from '../../platform/commandIds';
import { registerCommand } from '../../platform/registerCommand';
import type { FeatureContext } from '../context';
import { RpcService } from './rpcService';

/** The RPC service (extension.ts hands it to tests through the extension's exports). */
export function createRpcService(ctx: FeatureContext): RpcService {
  return new RpcService(ctx.extension, ctx.connections);
}

export function register(_ctx: FeatureContext, rpc: RpcService): vscode.Disposable[] {
  return [rpc, registerCommand(Commands.rpcCall, (arg?: unknown) => rpc.command(arg))];
}
