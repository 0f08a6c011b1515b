/**
 * rabbitmq.rpcCall: from the palette (pick a connection and vhost, open the panel), from a queue/exchange node
 * (panel prefilled with that target), or with an args object naming a target (the call is made without UI and
 * its result returned — tests and other commands use this).
 */
import * as vscode from 'vscode';
import type { ConnectionManager } from '../connections/connectionManager';
import { RabbitError } from '../../core/errors';
import { isObject, vhostScopeOf } from '../../platform/pickers';
import { ExchangeNode } from '../explorer/nodes/exchangeNode';
import { QueueNode } from '../explorer/nodes/queueNode';
import { logger } from '../../platform/log';
import { RpcPanel } from './rpcPanel';
import type { CallView, RpcForm } from './rpcProtocol';
import { argsToForm, emptyForm, isHeadlessArgs, RpcHistory, type RpcCallArgs } from './rpcModel';
import { RpcRunner, type RunnerStats } from './rpcRunner';

const log = logger('rpc');

/** What the headless form of the command returns (a finished call). */
export type RpcCommandResult = CallView;

/** Owns the workspace's RPC history, the open panels and the runners of headless calls. */
export class RpcService implements vscode.Disposable {
  readonly history: RpcHistory;
  readonly panels = new Set<RpcPanel>();
  private readonly runners = new Map<string, RpcRunner>();

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly manager: ConnectionManager,
  ) {
    this.history = new RpcHistory(context.workspaceState);
  }

  /** The command handler. Returns the finished call (args form) or the panel. */
  async command(arg?: unknown): Promise<RpcCommandResult | RpcPanel> {
    const args: RpcCallArgs = isObject(arg) ? (arg as RpcCallArgs) : {};
    if (isObject(arg) && isHeadlessArgs(args)) return this.callHeadless(args);
    const scopeArg = arg instanceof QueueNode || arg instanceof ExchangeNode ? arg : isObject(arg) ? { connectionId: (args as { connectionId?: string }).connectionId, vhost: args.vhost } : undefined;
    const { connectionId, vhost } = await vhostScopeOf(this.manager, scopeArg);
    let form: RpcForm | undefined;
    if (arg instanceof QueueNode) form = emptyForm({ targetKind: 'queue', queue: arg.name });
    else if (arg instanceof ExchangeNode) form = emptyForm({ targetKind: 'exchange', exchange: arg.isDefault ? '' : arg.name });
    return this.openPanel(connectionId, vhost, form);
  }

  /** Opens (or reveals) the panel of a (connection, vhost). */
  openPanel(connectionId: string, vhost: string, form?: RpcForm): RpcPanel {
    const existing = [...this.panels].find((p) => p.scope.connectionId === connectionId && p.scope.vhost === vhost);
    if (existing) {
      if (form) existing.load(form);
      else existing.panel.reveal();
      return existing;
    }
    const profile = this.manager.profile(connectionId);
    const runner = new RpcRunner(() => this.manager.session(connectionId, vhost));
    const panel = new RpcPanel(
      this.context.extensionUri,
      {
        connectionId,
        connectionName: profile.name,
        vhost,
        canSend: !profile.readOnly,
        assertWritable: () => this.manager.assertWritable(connectionId, vscode.l10n.t('an RPC call')),
      },
      this.history,
      runner,
      form ?? this.lastForm(connectionId, vhost),
    );
    this.panels.add(panel);
    panel.onDidDispose(() => this.panels.delete(panel));
    return panel;
  }

  /** The last request sent in this workspace, as a starting point. */
  private lastForm(_connectionId: string, _vhost: string): RpcForm {
    const last = this.history.list()[0];
    return last ? { ...last.form } : emptyForm();
  }

  /** Counts of the headless runner of a (connection, vhost). */
  stats(connectionId: string, vhost: string): RunnerStats | undefined {
    return this.runners.get(key(connectionId, vhost))?.stats;
  }

  private async callHeadless(args: RpcCallArgs): Promise<RpcCommandResult> {
    const { connectionId, vhost } = await vhostScopeOf(this.manager, { connectionId: args.connectionId, vhost: args.vhost });
    this.manager.assertWritable(connectionId, vscode.l10n.t('an RPC call'));
    const form = argsToForm(args);
    const k = key(connectionId, vhost);
    let runner = this.runners.get(k);
    if (!runner) {
      runner = new RpcRunner(() => this.manager.session(connectionId, vhost));
      this.runners.set(k, runner);
    }
    const out = await runner.run(form);
    await this.history.record(out.call);
    for (const p of this.panels) if (p.scope.connectionId === connectionId && p.scope.vhost === vhost) p.post({ type: 'call', call: out.call });
    if (out.call.state === 'error') {
      log.warn(`call to ${form.targetKind === 'queue' ? form.queue : `${form.exchange || '(default)'}/${form.routingKey}`} failed: ${out.call.errorCode}`);
      throw out.error instanceof Error ? out.error : new RabbitError('CONNECTION_CLOSED', out.call.errorMessage ?? 'The RPC call failed.');
    }
    return out.call;
  }

  dispose(): void {
    for (const p of [...this.panels]) p.dispose();
    for (const r of this.runners.values()) void r.dispose();
    this.runners.clear();
  }
}

function key(connectionId: string, vhost: string): string {
  return `${connectionId}\u0000${vhost}`;
}
