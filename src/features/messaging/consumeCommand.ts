/**
 * rabbitmq.consume: a panel that shows a queue's messages as they arrive, with Ack, Nack+requeue and Reject
 * (dead-letter) per message or for a selection. Closing the panel, disconnecting or reloading requeues every
 * unacked message (the consumer's channel is closed). Consumer timeouts and cancels are shown, not swallowed.
 */
import * as vscode from 'vscode';
import type { ConnectionManager } from '../connections/connectionManager';
import { invalidInput, RabbitError } from '../../core/errors';
import type { DecodedMessage } from '../../core/message';
import { isObject } from '../../platform/pickers';
import { InspectorPanel, type InspectorController } from './inspectorPanel';
import type { Settlement, SettleAction } from './inspectorProtocol';
import { logger } from '../../platform/log';
import { openConsumer, type ConsumerHandle } from './consumerAdapter';
import { republish, queueScopeOf } from './peekCommand';

const log = logger('consume');

export interface ConsumeArgs {
  connectionId?: string;
  vhost?: string;
  queue?: string;
  prefetch?: number;
}

export interface ConsumeCommandResult {
  panel: InspectorPanel;
  consumer: ConsumerHandle;
}

export function defaultPrefetch(): number {
  const n = vscode.workspace.getConfiguration('rabbitmq').get<number>('consume.prefetch', 10);
  return Number.isInteger(n) ? Math.min(1000, Math.max(1, n)) : 10;
}

/** rabbitmq.consume */
export async function consumeCommand(manager: ConnectionManager, extensionUri: vscode.Uri, arg?: unknown): Promise<ConsumeCommandResult> {
  const args: ConsumeArgs = isObject(arg) ? (arg as ConsumeArgs) : {};
  const { connectionId, vhost, queue } = await queueScopeOf(manager, arg);
  manager.assertWritable(connectionId, vscode.l10n.t('consuming with acknowledgements'));
  const prefetch = args.prefetch ?? defaultPrefetch();
  if (!Number.isInteger(prefetch) || prefetch < 1 || prefetch > 65535) throw invalidInput('prefetch', `must be a whole number from 1 to 65535 (got ${String(prefetch)})`);
  const session = await manager.session(connectionId, vhost);
  const profile = manager.profile(connectionId);

  const ui: { panel?: InspectorPanel } = {};
  const pending: DecodedMessage[] = [];
  const consumer = await openConsumer(session, queue, prefetch, {
    onMessage: (m) => {
      if (ui.panel) ui.panel.append(m);
      else pending.push(m);
    },
    onEnd: (reason, error) => {
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
    notices: [vscode.l10n.t('Messages stay unacknowledged (at most {0} at a time) until you Ack, Nack (requeue) or Reject (dead-letter) them. Closing this panel requeues every unacked message.', prefetch)],
    canPublish: !profile.readOnly,
    settle: (msgs, action) => settle(consumer, msgs, action),
    republish: (msgs, target) => republish(manager, connectionId, vhost, msgs, target, queue),
    stop: () => consumer.stop(),
    dispose: () => consumer.stop(),
  };
  const panel = new InspectorPanel(extensionUri, vscode.l10n.t('Consume: {0}', queue), controller);
  ui.panel = panel;
  panel.status('info', vscode.l10n.t('Consuming "{0}" (prefetch {1}).', queue, prefetch), true);
  for (const m of pending.splice(0)) panel.append(m);
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
  log.info(`consuming ${queue} in ${vhost} with prefetch ${prefetch}`);
  return { panel, consumer };
}

async function settle(consumer: ConsumerHandle, msgs: DecodedMessage[], action: SettleAction): Promise<Settlement> {
  if (!consumer.active) {
    throw new RabbitError('CHANNEL_CLOSED', vscode.l10n.t('The consumer has stopped: these messages were already given back to the queue.'), { hint: vscode.l10n.t('Consume again to get them.') });
  }
  await consumer.settle(msgs, action);
  return action === 'ack' ? 'acked' : action === 'nack' ? 'nacked' : 'rejected';
}
