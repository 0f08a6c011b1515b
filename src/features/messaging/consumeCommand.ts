/**
 * rabbitmq.consume: a panel that shows a queue's messages as they arrive, with Ack, Nack+requeue and Reject
 * (dead-letter) per message or for a selection. Closing the panel, disconnecting or reloading requeues every
 * unacked message (the consumer's channel is closed). Consumer timeouts and cancels are shown, not swallowed.
 * With `settle` (request files' `CONSUME <queue> [count] ack|nack|reject`) the panel takes up to `count`
 * messages and settles each through the panel's own Ack / Nack / Reject, then stops its consumer.
 */
import * as vscode from 'vscode';
import type { ConnectionManager } from '../connections/connectionManager';
import { invalidInput, RabbitError } from '../../core/errors';
import type { DecodedMessage } from '../../core/message';
import { isObject } from '../../platform/pickers';
import { InspectorPanel, type InspectorController } from './inspectorPanel';
import type { Settlement, SettleAction } from './inspectorProtocol';
import { logger } from '../../platform/log';
import { openConsumer, type ConsumerEnd, type ConsumerHandle } from './consumerAdapter';
import { republish, queueScopeOf } from './peekCommand';

const log = logger('consume');

export interface ConsumeArgs {
  connectionId?: string;
  vhost?: string;
  queue?: string;
  prefetch?: number;
  /** Settle every message this way, automatically (the panel shows them settled); stops after `count`. */
  settle?: SettleAction;
  /** With `settle`: how many messages to take (default 1). */
  count?: number;
  /** With `settle`: stop after this long without a message (default 1500 ms). */
  idleMs?: number;
}

export interface ConsumeCommandResult {
  panel: InspectorPanel;
  consumer: ConsumerHandle;
  /** With `settle`: the messages taken and settled (the command returns once the consumer has stopped). */
  taken?: DecodedMessage[];
}

const MAX_AUTO_COUNT = 100_000;
const SETTLE_ACTIONS: readonly SettleAction[] = ['ack', 'nack', 'reject'];

export function defaultPrefetch(): number {
  const n = vscode.workspace.getConfiguration('rabbitmq').get<number>('consume.prefetch', 10);
  return Number.isInteger(n) ? Math.min(1000, Math.max(1, n)) : 10;
}

/** rabbitmq.consume */
export async function consumeCommand(manager: ConnectionManager, extensionUri: vscode.Uri, arg?: unknown): Promise<ConsumeCommandResult> {
  const args: ConsumeArgs = isObject(arg) ? (arg as ConsumeArgs) : {};
  const { connectionId, vhost, queue } = await queueScopeOf(manager, arg);
  manager.assertWritable(connectionId, vscode.l10n.t('consuming with acknowledgements'));
  const auto = args.settle;
  if (auto !== undefined && !SETTLE_ACTIONS.includes(auto)) throw invalidInput('settle', `must be ack, nack or reject (got ${String(auto)})`);
  const count = args.count ?? 1;
  if (auto && (!Number.isInteger(count) || count < 1 || count > MAX_AUTO_COUNT)) throw invalidInput('count', `must be a whole number from 1 to ${MAX_AUTO_COUNT} (got ${String(count)})`);
  const idleMs = args.idleMs ?? 1500;
  if (auto && (!Number.isInteger(idleMs) || idleMs < 1 || idleMs > 600_000)) throw invalidInput('idleMs', `must be a whole number of milliseconds from 1 to 600000 (got ${String(idleMs)})`);
  // Taking `count` messages: never hold more than that (nor more than 1000) unacknowledged at once.
  const prefetch = auto ? Math.min(count, 1000) : (args.prefetch ?? defaultPrefetch());
  if (!Number.isInteger(prefetch) || prefetch < 1 || prefetch > 65535) throw invalidInput('prefetch', `must be a whole number from 1 to 65535 (got ${String(prefetch)})`);
  const session = await manager.session(connectionId, vhost);
  const profile = manager.profile(connectionId);

  const ui: { panel?: InspectorPanel } = {};
  const pending: DecodedMessage[] = [];
  const run = auto ? new AutoSettle(auto, count, idleMs) : undefined;
  const show = (panel: InspectorPanel, m: DecodedMessage): void => {
    if (run) run.take(panel, m);
    else panel.append(m);
  };
  const consumer = await openConsumer(session, queue, prefetch, {
    onMessage: (m) => {
      if (ui.panel) show(ui.panel, m);
      else pending.push(m);
    },
    onEnd: (reason, error) => {
      run?.ended(reason, error);
      const text =
        reason === 'cancelled'
          ? vscode.l10n.t('The broker cancelled the consumer (the queue was deleted or its leader moved). Unacked messages go back to the queue.')
          : reason === 'timeout'
            ? vscode.l10n.t('The broker closed the channel because a message was not acknowledged in time (consumer timeout). Its unacked messages went back to the queue; acks are no longer possible.')
            : reason === 'closed'
              ? vscode.l10n.t('The channel or connection closed: {0} Unacked messages went back to the queue.', error?.message ?? '')
              : vscode.l10n.t('Stopped. Unacked messages went back to the queue.');
      if (reason === 'stopped') log.info(`consumer on ${queue} stopped`);
      else log.warn(`consumer on ${queue} ended (${reason}): ${error?.message ?? ''}`);
      if (ui.panel) {
        ui.panel.markAllOpen('requeued');
        ui.panel.status(reason === 'stopped' ? 'info' : 'error', text, false);
      }
      if (reason !== 'stopped') void vscode.window.showWarningMessage(`${queue}: ${text}`);
    },
  });

  const controller: InspectorController = {
    mode: 'consume',
    source: { connectionName: profile.name, vhost, queue },
    notices: [
      auto
        ? vscode.l10n.t('Taking up to {0} message(s) and settling each automatically: {1}. Nack requeues, Reject dead-letters.', count, auto)
        : vscode.l10n.t('Messages stay unacknowledged (at most {0} at a time) until you Ack, Nack (requeue) or Reject (dead-letter) them. Closing this panel requeues every unacked message.', prefetch),
    ],
    canPublish: !profile.readOnly,
    settle: (msgs, action) => settle(consumer, msgs, action),
    republish: (msgs, target) => republish(manager, connectionId, vhost, msgs, target, queue),
    stop: () => consumer.stop(),
    dispose: () => consumer.stop(),
  };
  const panel = new InspectorPanel(extensionUri, vscode.l10n.t('Consume: {0}', queue), controller);
  ui.panel = panel;
  panel.status('info', vscode.l10n.t('Consuming "{0}" (prefetch {1}).', queue, prefetch), true);
  for (const m of pending.splice(0)) show(panel, m);
  // Settings turned the connection read-only: acknowledging is a change to the broker, so the panel closes at once
  // (its unacked messages go back to the queue) before the connection's sessions are closed.
  const offReadOnly = manager.onDidBecomeReadOnly((id) => {
    if (id !== connectionId) return;
    log.info(`closing the consume panel of ${queue}: ${profile.name} became read-only`);
    void vscode.window.showWarningMessage(vscode.l10n.t('"{0}" is now read-only: the consume panel of "{1}" was closed and its unacked messages went back to the queue.', profile.name, queue));
    panel.dispose();
  });
  panel.onDidDispose(() => offReadOnly.dispose());
  // Disconnecting the connection closes the session and with it the consumer (its close is reported above).
  log.info(`consuming ${queue} in ${vhost} with prefetch ${prefetch}${auto ? `, taking ${count} (${auto})` : ''}`);
  if (!run) return { panel, consumer };
  let taken: DecodedMessage[];
  try {
    taken = await run.finish(panel);
  } finally {
    await consumer.stop().catch(() => undefined);
  }
  const text =
    auto === 'ack'
      ? vscode.l10n.t('Took {0} message(s) from "{1}" and acked them. The consumer stopped.', taken.length, queue)
      : auto === 'nack'
        ? vscode.l10n.t('Took {0} message(s) from "{1}" and nacked them: they went back to the queue. The consumer stopped.', taken.length, queue)
        : vscode.l10n.t('Took {0} message(s) from "{1}" and rejected them: they were dead-lettered (or dropped without a dead-letter exchange). The consumer stopped.', taken.length, queue);
  panel.status('info', text, false);
  log.info(`took ${taken.length} message(s) from ${queue} (${auto})`);
  return { panel, consumer, taken };
}

/**
 * Settles messages as they reach the panel, through the panel's own settle (the same path as its buttons),
 * until `count` were taken or none came for `idleMs`. Nack requeues: a message nacked at once would come
 * straight back to this consumer, so nack holds the messages and settles them together at the end.
 */
class AutoSettle {
  private readonly got: { raw: DecodedMessage; id: string }[] = [];
  private readonly settling: Promise<void>[] = [];
  private idle: ReturnType<typeof setTimeout> | undefined;
  private finished = false;
  private failure: unknown;
  private resolveWait: (() => void) | undefined;
  private readonly wait: Promise<void>;

  constructor(
    private readonly action: SettleAction,
    private readonly count: number,
    private readonly idleMs: number,
  ) {
    this.wait = new Promise<void>((resolve) => (this.resolveWait = resolve));
  }

  take(panel: InspectorPanel, m: DecodedMessage): void {
    // Beyond the count (or after the end): not shown, left unacknowledged; stopping the consumer requeues it.
    if (this.finished || this.got.length >= this.count) return;
    const view = panel.append(m);
    this.got.push({ raw: m, id: view.id });
    if (this.action !== 'nack') this.settling.push(this.settle(panel, [view.id]));
    if (this.got.length >= this.count) this.done();
    else this.arm();
  }

  /** The consumer ended before the run did: a stop (panel closed) ends the run, anything else fails it. */
  ended(reason: ConsumerEnd, error?: RabbitError): void {
    if (reason !== 'stopped' && !this.finished) this.failure = error ?? new RabbitError(reason === 'cancelled' ? 'CANCELLED' : 'CHANNEL_CLOSED', reason);
    this.done();
  }

  async finish(panel: InspectorPanel): Promise<DecodedMessage[]> {
    this.arm();
    await this.wait;
    await Promise.all(this.settling);
    if (this.failure === undefined && this.action === 'nack' && this.got.length) await this.settle(panel, this.got.map((g) => g.id));
    if (this.failure !== undefined) throw this.failure;
    return this.got.map((g) => g.raw);
  }

  private async settle(panel: InspectorPanel, ids: string[]): Promise<void> {
    try {
      await panel.dispatch({ type: 'settle', requestId: `auto-${ids[0]}`, ids, action: this.action });
    } catch (e) {
      this.failure ??= e;
    }
  }

  private arm(): void {
    if (this.finished) return;
    if (this.idle) clearTimeout(this.idle);
    this.idle = setTimeout(() => this.done(), this.idleMs);
  }

  private done(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.idle) clearTimeout(this.idle);
    this.resolveWait?.();
  }
}

async function settle(consumer: ConsumerHandle, msgs: DecodedMessage[], action: SettleAction): Promise<Settlement> {
  if (!consumer.active) {
    throw new RabbitError('CHANNEL_CLOSED', vscode.l10n.t('The consumer has stopped: these messages were already given back to the queue.'), { hint: vscode.l10n.t('Consume again to get them.') });
  }
  await consumer.settle(msgs, action);
  return action === 'ack' ? 'acked' : action === 'nack' ? 'nacked' : 'rejected';
}
