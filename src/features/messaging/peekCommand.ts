/**
 * rabbitmq.peek: read N messages of a queue without removing them and show them in the inspector; streams are
 * read from an offset. Also the "publish again / to… / back to origin" actions the inspector offers.
 */
import * as vscode from 'vscode';
import type { ConnectionManager } from '../connections/connectionManager';
import { invalidInput, RabbitError } from '../../core/errors';
import type { DecodedMessage } from '../../core/message';
import { publishMany } from '../../core/operations';
import { MAX_PEEK, peekMessages, type PeekResult, type StreamOffset } from '../../core/peek';
import { cancelled, isObject, vhostScopeOf } from '../../platform/pickers';
import { QueueNode } from '../explorer/nodes/queueNode';
import { InspectorPanel, type InspectorController } from './inspectorPanel';
import type { RepublishTarget } from './inspectorProtocol';
import { logger } from '../../platform/log';
import { INSPECTOR_DECODE, deadLetterOrigin } from './inspectorModel';
import { decodedToPublish } from './jsonl';
import { moveSelected, sendBackToOrigin } from '../deadLetters/redriveCommand';
import { pickExchange, pickQueue, pickRoutingKey } from './publishCommands';

const log = logger('peek');

export interface PeekArgs {
  connectionId?: string;
  vhost?: string;
  queue?: string;
  count?: number;
  /** Streams: 'first' | 'last' | 'next' | an offset number | an ISO time. */
  streamOffset?: 'first' | 'last' | 'next' | number | string;
}

export interface PeekCommandResult {
  panel: InspectorPanel;
  result: PeekResult;
}

/** The peek count setting, bounded to 1…1000. */
export function defaultPeekCount(): number {
  const n = vscode.workspace.getConfiguration('rabbitmq').get<number>('peek.defaultCount', 10);
  return Number.isInteger(n) ? Math.min(MAX_PEEK, Math.max(1, n)) : 10;
}

/** Queue scope from a queue node, an args object, or prompts. */
export async function queueScopeOf(manager: ConnectionManager, arg: unknown): Promise<{ connectionId: string; vhost: string; queue: string }> {
  if (arg instanceof QueueNode) return { connectionId: arg.connectionId, vhost: arg.vhost, queue: arg.name };
  if (isObject(arg) && !(typeof arg.connectionId === 'string' || typeof arg.id === 'string')) throw invalidInput('connectionId', 'is missing', 'Pass { connectionId, vhost, queue }.');
  const { connectionId, vhost } = await vhostScopeOf(manager, isObject(arg) ? arg : undefined);
  if (isObject(arg)) {
    if (typeof arg.queue !== 'string' || arg.queue === '') throw invalidInput('queue', 'is missing', 'Pass { connectionId, vhost, queue }.');
    return { connectionId, vhost, queue: arg.queue };
  }
  return { connectionId, vhost, queue: await pickQueue(manager, connectionId, vhost) };
}

function parseStreamOffset(v: unknown): StreamOffset {
  if (v === 'first' || v === 'last' || v === 'next') return v;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (/^\d+$/.test(v.trim())) return Number(v.trim());
    const ms = Date.parse(v);
    if (!Number.isNaN(ms)) return new Date(ms);
  }
  throw invalidInput('streamOffset', `must be first, last, next, an offset number or an ISO time (got ${JSON.stringify(v)})`);
}

async function pickStreamOffset(): Promise<StreamOffset> {
  type Item = vscode.QuickPickItem & { value: 'first' | 'last' | 'next' | 'offset' | 'time' };
  const items: Item[] = [
    { label: vscode.l10n.t('First'), description: vscode.l10n.t('the oldest message kept by the stream'), value: 'first' },
    { label: vscode.l10n.t('Last'), description: vscode.l10n.t('the last chunk written'), value: 'last' },
    { label: vscode.l10n.t('Next'), description: vscode.l10n.t('only messages published from now on'), value: 'next' },
    { label: vscode.l10n.t('Offset…'), description: vscode.l10n.t('a numeric offset'), value: 'offset' },
    { label: vscode.l10n.t('Timestamp…'), description: vscode.l10n.t('messages written since a time'), value: 'time' },
  ];
  const picked = await vscode.window.showQuickPick(items, { placeHolder: vscode.l10n.t('Read the stream from') });
  if (!picked) throw cancelled();
  if (picked.value === 'offset') {
    const v = await vscode.window.showInputBox({ prompt: vscode.l10n.t('Stream offset (a whole number)'), validateInput: (t) => (/^\d+$/.test(t.trim()) ? undefined : vscode.l10n.t('Enter a whole number.')) });
    if (v === undefined) throw cancelled();
    return Number(v.trim());
  }
  if (picked.value === 'time') {
    const v = await vscode.window.showInputBox({
      prompt: vscode.l10n.t('Read messages written since (ISO time, e.g. 2024-05-01T10:00:00Z)'),
      value: new Date(Date.now() - 3600_000).toISOString(),
      validateInput: (t) => (Number.isNaN(Date.parse(t)) ? vscode.l10n.t('Enter a date and time.') : undefined),
    });
    if (v === undefined) throw cancelled();
    return new Date(Date.parse(v));
  }
  return picked.value;
}

/** rabbitmq.peek */
export async function peekCommand(manager: ConnectionManager, extensionUri: vscode.Uri, arg?: unknown): Promise<PeekCommandResult> {
  const args: PeekArgs = isObject(arg) ? (arg as PeekArgs) : {};
  const { connectionId, vhost, queue } = await queueScopeOf(manager, arg);
  const count = args.count ?? defaultPeekCount();
  if (!Number.isInteger(count) || count < 1 || count > MAX_PEEK) throw invalidInput('count', `must be a whole number from 1 to ${MAX_PEEK} (got ${String(count)})`);

  const client = await manager.management(connectionId);
  const info = await client.getQueue(vhost, queue);
  let streamOffset: StreamOffset | undefined;
  if (info.type === 'stream') streamOffset = args.streamOffset !== undefined ? parseStreamOffset(args.streamOffset) : isObject(arg) ? 'first' : await pickStreamOffset();
  else if (args.streamOffset !== undefined) throw invalidInput('streamOffset', `only applies to streams; "${queue}" is a ${info.type} queue`);
  const dl = info.arguments['x-delivery-limit'];
  const deliveryLimit = typeof dl === 'number' ? dl : undefined;

  const session = await manager.session(connectionId, vhost);
  const run = () => peekMessages(session, queue, { count, queueType: info.type, streamOffset, deliveryLimit, decode: INSPECTOR_DECODE });
  const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Peeking {0}…', queue) }, run);
  log.info(`peeked ${result.messages.length} of ${result.messageCountBefore} message(s) in ${queue} (${result.queueType}) in ${result.durationMs.toFixed(0)} ms`);

  const profile = manager.profile(connectionId);
  const controller: InspectorController = {
    mode: 'peek',
    source: { connectionName: profile.name, vhost, queue, queueType: result.queueType },
    notices: peekNotices(result, deliveryLimit),
    canPublish: !profile.readOnly,
    refresh: async () => {
      const again = await peekMessages(session, queue, { count, queueType: info.type, streamOffset, deliveryLimit, decode: INSPECTOR_DECODE });
      return again.messages;
    },
    // "Send back to origin" moves the dead-lettered messages (see deadLetters/redriveCommand.ts); the rest publishes copies.
    republish: (msgs, target, confirmed) => (target === 'origin' ? sendBackToOrigin(manager, { connectionId, vhost, queue }, msgs, !confirmed) : republish(manager, connectionId, vhost, msgs, target, queue)),
    move: (msgs) => moveSelected(manager, { connectionId, vhost, queue }, msgs),
  };
  const panel = new InspectorPanel(extensionUri, vscode.l10n.t('Peek: {0}', queue), controller);
  panel.setMessages(result.messages);
  if (result.messages.length === 0) panel.status('info', vscode.l10n.t('The queue has no ready messages.'));
  return { panel, result };
}

/** What this peek did, in the user's language. */
export function peekNotices(result: PeekResult, deliveryLimit: number | undefined): string[] {
  if (result.queueType === 'stream') return [vscode.l10n.t('Read from the stream at the chosen offset. Streams keep every message: nothing was changed.')];
  const notes = [
    vscode.l10n.t('Peek receives messages without acknowledging them and gives them back by closing its channel: every message stays in the queue, in order, but is now marked redelivered. Consumers may see them as redeliveries.'),
  ];
  if (result.queueType === 'quorum') {
    notes.push(
      deliveryLimit !== undefined
        ? vscode.l10n.t('Quorum queue: each peek counts as a delivery. After {0} deliveries (x-delivery-limit) a message is dead-lettered or dropped.', deliveryLimit)
        : vscode.l10n.t('Quorum queue: each peek counts as a delivery toward the delivery limit; repeated peeks can dead-letter or drop a message.'),
    );
  }
  return notes;
}

/** Publishes inspector messages again: to where they were published, to another exchange, or back to their origin (x-death). */
export async function republish(manager: ConnectionManager, connectionId: string, vhost: string, msgs: DecodedMessage[], target: RepublishTarget, fromQueue?: string): Promise<string> {
  manager.assertWritable(connectionId, vscode.l10n.t('publishing'));
  if (msgs.length === 0) throw invalidInput('selection', 'is empty');
  let list;
  if (target === 'same') list = msgs.map((m) => decodedToPublish(m));
  else if (target === 'other') {
    const exchange = await pickExchange(manager, connectionId, vhost);
    const routingKey = exchange === '' ? await pickQueue(manager, connectionId, vhost) : await pickRoutingKey(manager, connectionId, vhost, exchange);
    list = msgs.map((m) => decodedToPublish(m, { exchange, routingKey }));
  } else {
    list = msgs.map((m) => {
      const origin = deadLetterOrigin(m);
      if (!origin) {
        throw new RabbitError('INVALID_INPUT', vscode.l10n.t('Message #{0} has no x-death header: it was not dead-lettered, so it has no origin to go back to.', m.index + 1), { field: 'x-death' });
      }
      // x-death is dropped: kept, RabbitMQ's cycle detection could drop the message when it dead-letters again.
      return decodedToPublish(m, { exchange: origin.exchange, routingKey: origin.routingKeys[0] }, true);
    });
  }
  const session = await manager.session(connectionId, vhost);
  const r = await publishMany(session, list, { mandatory: true });
  log.info(`republished ${r.published} message(s) (${target}): ${r.confirmed} confirmed, ${r.returned} unroutable, ${r.nacked} nacked`);
  const text = vscode.l10n.t('Published {0} message(s): {1} confirmed, {2} unroutable, {3} nacked.', r.published, r.confirmed, r.returned, r.nacked);
  const keep = fromQueue ? ` ${vscode.l10n.t('The originals are still in "{0}".', fromQueue)}` : '';
  if (r.returned > 0 || r.nacked > 0) void vscode.window.showWarningMessage(text + keep);
  else void vscode.window.showInformationMessage(text + keep);
  return text + keep;
}
