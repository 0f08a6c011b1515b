/**
 * rabbitmq.peek: read N messages of a queue without removing them and show them in the inspector; streams are
 * read from an offset. Also the "publish again / to… / back to origin" actions the inspector offers.
 *
 * Quorum queues count every hand-back as a delivery attempt (see src/core/deliveryLimit.ts): before each peek
 * the effective limit is read and the core decides whether the peek may run. Interactive callers (tree, palette,
 * the inspector's "Peek again", UI commands passing `ask: true`) get a modal with the numbers; an args object must
 * carry `consent`; a read-only connection never runs a peek that spends an attempt.
 */
import * as vscode from 'vscode';
import type { ConnectionManager } from '../connections/connectionManager';
import { invalidInput, RabbitError } from '../../core/errors';
import type { DecodedMessage } from '../../core/message';
import { checkQueue, publishMany } from '../../core/operations';
import { MAX_PEEK, peekMessages, type PeekResult, type StreamOffset } from '../../core/peek';
import { assessPeekRisk, decidePeek, DeliveryCountMemory, readDeliveryLimit, type EffectiveDeliveryLimit, type PeekConsent, type PeekRisk } from '../../core/deliveryLimit';
import type { QueueType } from '../../core/model';
import type { AmqpSession } from '../../core/session';
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
  /**
   * Quorum queues with a delivery limit: 'spend' accepts that the peek spends one delivery attempt of each
   * message it shows (refused when a message seen before is at its limit); 'dead-letter' also accepts that such
   * messages are dead-lettered or dropped. Without it such a peek is refused (unless `ask`).
   */
  consent?: PeekConsent;
  /** UI callers acting for the user: ask in a modal instead of refusing when consent is needed. */
  ask?: boolean;
}

/** The stored delivery counts the last peeks left, per connection, vhost and queue, for this window session. */
const deliveryCounts = new DeliveryCountMemory();

function memoryKey(connectionId: string, vhost: string, queue: string): string {
  return `${connectionId}\u0000${vhost}\u0000${queue}`;
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

/** A localized description of the limit and where it comes from. */
export function deliveryLimitText(l: EffectiveDeliveryLimit): string {
  switch (l.source) {
    case 'argument':
      return l.limit === null ? vscode.l10n.t('no delivery limit (x-delivery-limit {0})', String(l.argument)) : vscode.l10n.t('delivery limit {0} (queue argument x-delivery-limit)', l.limit);
    case 'policy':
      return l.limit === null ? vscode.l10n.t('no delivery limit (policy "{0}")', l.policy?.name ?? '') : vscode.l10n.t('delivery limit {0} (delivery-limit of policy "{1}")', l.limit, l.policy?.name ?? '');
    case 'operator-policy':
      return l.limit === null ? vscode.l10n.t('no delivery limit (operator policy "{0}")', l.operatorPolicy?.name ?? '') : vscode.l10n.t('delivery limit {0} (delivery-limit of operator policy "{1}")', l.limit, l.operatorPolicy?.name ?? '');
    case 'default':
      return vscode.l10n.t('delivery limit {0} (the default of RabbitMQ {1} for quorum queues without x-delivery-limit)', l.limit ?? '', l.brokerVersion);
    default:
      return vscode.l10n.t('no delivery limit (RabbitMQ {0} sets none by default)', l.brokerVersion);
  }
}

function fateText(l: EffectiveDeliveryLimit | undefined): string {
  if (l?.deadLetterExchange === undefined) return vscode.l10n.t('dropped (the queue has no dead-letter exchange)');
  return vscode.l10n.t('dead-lettered to "{0}"', l.deadLetterExchange || vscode.l10n.t('(default exchange)'));
}

function parseConsent(v: unknown): PeekConsent | undefined {
  if (v === undefined || v === 'spend' || v === 'dead-letter') return v;
  throw invalidInput('consent', `must be "spend" or "dead-letter" (got ${JSON.stringify(v)})`, 'Pass consent: "spend" to accept spending one delivery attempt per message, "dead-letter" to also accept losing messages at their limit.');
}

interface PeekGate {
  connectionId: string;
  vhost: string;
  queue: string;
  type: QueueType;
  session: AmqpSession;
  limit?: EffectiveDeliveryLimit;
  readOnly: boolean;
  consent?: PeekConsent;
  interactive: boolean;
}

/** Asks the user about a peek that spends attempts (or would take messages past the limit); returns the count to peek. */
async function askConsent(g: PeekGate, risk: Extract<PeekRisk, { kind: 'spends' | 'drops' }>, key: string): Promise<number> {
  const lim = g.limit ? deliveryLimitText(g.limit) : vscode.l10n.t('delivery limit {0}', risk.limit);
  const fate = fateText(g.limit);
  if (risk.kind === 'spends') {
    const known = risk.fewestPeeksLeft !== undefined
      ? vscode.l10n.t('Among the messages seen before, the fewest peeks left is {0}.', risk.fewestPeeksLeft)
      : vscode.l10n.t('Their delivery counts are not known yet (they show after the first peek).');
    const detail = vscode.l10n.t('Quorum queue "{0}" has a {1}. A peek hands the messages back, and each hand-back spends one delivery attempt: this peek spends one of each of the {2} message(s) it shows; a message handed back more than {3} times is {4}. {5}', g.queue, lim, risk.messages, risk.limit, fate, known);
    const spend = vscode.l10n.t('Peek and spend 1 of {0} attempts per message', risk.limit);
    const answer = await vscode.window.showWarningMessage(vscode.l10n.t('Peek spends delivery attempts'), { modal: true, detail }, spend);
    if (answer !== spend) throw cancelled();
    deliveryCounts.consent(key);
    return risk.messages;
  }
  const first = risk.atLimit[0] + 1;
  const detail = vscode.l10n.t('Quorum queue "{0}" has a {1}. {2} of the {3} message(s) this peek would show have already been delivered {4} time(s) (the first: message #{5}); handing them back once more takes them past the limit and they are {6}.', g.queue, lim, risk.atLimit.length, risk.messages, risk.limit, first, fate);
  const safe = risk.safeCount > 0 ? vscode.l10n.t('Peek only the first {0}', risk.safeCount) : undefined;
  const lose = g.limit?.deadLetterExchange === undefined ? vscode.l10n.t('Peek all and drop {0}', risk.atLimit.length) : vscode.l10n.t('Peek all and dead-letter {0}', risk.atLimit.length);
  const answer = await vscode.window.showWarningMessage(vscode.l10n.t('Peek would remove messages'), { modal: true, detail }, ...(safe ? [safe] : []), lose);
  if (answer === safe && safe) return risk.safeCount;
  if (answer !== lose) throw cancelled();
  return risk.messages;
}

/** Applies the delivery-limit rules before a peek of `requested` messages; returns how many to peek. */
async function gatePeek(g: PeekGate, requested: number): Promise<number> {
  const key = memoryKey(g.connectionId, g.vhost, g.queue);
  const known = deliveryCounts.known(key);
  // The management figures lag and a quorum queue counts a handed-back message as ready a moment late: the exact
  // count from AMQP, and never fewer than the messages seen before, so a message at its limit is not missed.
  const ready = Math.max(g.type === 'quorum' ? (await checkQueue(g.session, g.queue)).messageCount : 0, known.length);
  const risk = assessPeekRisk(g.type, g.limit, requested, ready, known);
  const decision = decidePeek({ queue: g.queue, risk, limit: g.limit, requested, readOnly: g.readOnly, consent: g.consent, consentedBefore: g.interactive && deliveryCounts.hasConsent(key), interactive: g.interactive });
  if (decision.action === 'refuse') throw decision.error;
  if (decision.action === 'run') return decision.count;
  return askConsent(g, decision.risk, key);
}

/** Remembers the counts a peek left; positions beyond what it received keep what was known. */
function rememberCounts(g: PeekGate, result: PeekResult): void {
  const r = result.quorumDeliveryLimitRisk;
  if (!r) return;
  const key = memoryKey(g.connectionId, g.vhost, g.queue);
  const known = deliveryCounts.known(key);
  deliveryCounts.record(key, [...r.countsAfter, ...known.slice(r.countsAfter.length)], r.passedLimit);
}

/** rabbitmq.peek */
export async function peekCommand(manager: ConnectionManager, extensionUri: vscode.Uri, arg?: unknown): Promise<PeekCommandResult> {
  const args: PeekArgs = isObject(arg) ? (arg as PeekArgs) : {};
  const { connectionId, vhost, queue } = await queueScopeOf(manager, arg);
  const count = args.count ?? defaultPeekCount();
  if (!Number.isInteger(count) || count < 1 || count > MAX_PEEK) throw invalidInput('count', `must be a whole number from 1 to ${MAX_PEEK} (got ${String(count)})`);
  const consent = parseConsent(args.consent);
  if (args.ask !== undefined && typeof args.ask !== 'boolean') throw invalidInput('ask', `must be true or false (got ${JSON.stringify(args.ask)})`);

  const client = await manager.management(connectionId);
  const info = await client.getQueue(vhost, queue);
  let streamOffset: StreamOffset | undefined;
  if (info.type === 'stream') streamOffset = args.streamOffset !== undefined ? parseStreamOffset(args.streamOffset) : isObject(arg) ? 'first' : await pickStreamOffset();
  else if (args.streamOffset !== undefined) throw invalidInput('streamOffset', `only applies to streams; "${queue}" is a ${info.type} queue`);
  if (consent !== undefined && info.type !== 'quorum') throw invalidInput('consent', `only applies to quorum queues; "${queue}" is a ${info.type} queue`, 'Leave consent out.');
  const limit = info.type === 'quorum' ? await readDeliveryLimit(client, vhost, info) : undefined;

  const profile = manager.profile(connectionId);
  const session = await manager.session(connectionId, vhost);
  const gate: PeekGate = { connectionId, vhost, queue, type: info.type, session, limit, readOnly: profile.readOnly === true, consent, interactive: !isObject(arg) || args.ask === true };
  const n = await gatePeek(gate, count);

  const peek = async (k: number): Promise<PeekResult> => {
    const r = await peekMessages(session, queue, { count: k, queueType: info.type, streamOffset, deliveryLimit: limit, decode: INSPECTOR_DECODE });
    rememberCounts(gate, r);
    return r;
  };
  const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Peeking {0}…', queue) }, () => peek(n));
  log.info(`peeked ${result.messages.length} of ${result.messageCountBefore} message(s) in ${queue} (${result.queueType}) in ${result.durationMs.toFixed(0)} ms`);

  const controller: InspectorController = {
    mode: 'peek',
    source: { connectionName: profile.name, vhost, queue, queueType: result.queueType },
    notices: peekNotices(result, limit),
    canPublish: !profile.readOnly,
    refresh: async () => {
      // "Peek again" is the user's click: the same rules, asking when needed; the limit and counts are read afresh.
      const fresh = await client.getQueue(vhost, queue);
      const freshLimit = fresh.type === 'quorum' ? await readDeliveryLimit(client, vhost, fresh) : undefined;
      const g: PeekGate = { ...gate, type: fresh.type, limit: freshLimit, readOnly: manager.profile(connectionId).readOnly === true, consent: undefined, interactive: true };
      const again = await peekMessages(session, queue, { count: await gatePeek(g, count), queueType: info.type, streamOffset, deliveryLimit: freshLimit, decode: INSPECTOR_DECODE });
      rememberCounts(g, again);
      const summary = quorumSummary(again, freshLimit);
      if (summary) panel.status(again.quorumDeliveryLimitRisk?.passedLimit.length ? 'warning' : 'info', summary);
      return again.messages;
    },
    // "Send back to origin" moves the dead-lettered messages (see deadLetters/redriveCommand.ts); the rest publishes copies.
    republish: (msgs, target, confirmed) => (target === 'origin' ? sendBackToOrigin(manager, { connectionId, vhost, queue }, msgs, !confirmed) : republish(manager, connectionId, vhost, msgs, target, queue)),
    move: (msgs) => moveSelected(manager, { connectionId, vhost, queue }, msgs),
  };
  // Declared after the controller; "Peek again" runs only once the panel exists.
  const panel = new InspectorPanel(extensionUri, vscode.l10n.t('Peek: {0}', queue), controller);
  panel.setMessages(result.messages);
  if (result.messages.length === 0) panel.status('info', vscode.l10n.t('The queue has no ready messages.'));
  else if (result.quorumDeliveryLimitRisk?.passedLimit.length) panel.status('warning', quorumSummary(result, limit) ?? '');
  return { panel, result };
}

/** Per message: its delivery count now and the peeks left (at most this many are listed). */
const LISTED_COUNTS = 20;

/** The delivery counts and peeks left after a quorum peek, in one line; undefined for other queue types. */
export function quorumSummary(result: PeekResult, limit: EffectiveDeliveryLimit | undefined): string | undefined {
  const r = result.quorumDeliveryLimitRisk;
  if (!r) return undefined;
  const items = r.countsAfter.slice(0, LISTED_COUNTS).map((c, i) => {
    const left = r.peeksLeft[i];
    if (r.passedLimit.includes(i)) return vscode.l10n.t('#{0}: passed the limit, {1}', i + 1, fateText(limit));
    return left === null || left === undefined ? vscode.l10n.t('#{0}: delivered {1} time(s)', i + 1, c) : vscode.l10n.t('#{0}: delivered {1} time(s), {2} peek(s) left', i + 1, c, left);
  });
  const more = r.countsAfter.length > LISTED_COUNTS ? ` ${vscode.l10n.t('(and {0} more)', r.countsAfter.length - LISTED_COUNTS)}` : '';
  const lim = limit ? deliveryLimitText(limit) : vscode.l10n.t('delivery limit unknown');
  return items.length ? vscode.l10n.t('Quorum queue, {0}. Delivery counts after this peek (x-delivery-count): {1}', lim, items.join('; ') + more) : vscode.l10n.t('Quorum queue, {0}.', lim);
}

/** What this peek did, in the user's language. */
export function peekNotices(result: PeekResult, limit: EffectiveDeliveryLimit | undefined): string[] {
  if (result.queueType === 'stream') return [vscode.l10n.t('Read from the stream at the chosen offset. Streams keep every message: nothing was changed.')];
  const notes = [
    vscode.l10n.t('Peek receives messages without acknowledging them and gives them back by closing its channel: every message stays in the queue, in order, but is now marked redelivered. Consumers may see them as redeliveries.'),
  ];
  if (result.queueType === 'quorum') {
    notes.push(
      limit?.limit !== null && limit !== undefined
        ? vscode.l10n.t('Quorum queue: each peek spends one delivery attempt of every message it shows; a message handed back more than {0} times is {1}.', limit.limit, fateText(limit))
        : vscode.l10n.t('Quorum queue without a delivery limit: each peek raises the delivery count of every message it shows; nothing is dead-lettered or dropped for it.'),
    );
    const summary = quorumSummary(result, limit);
    if (summary) notes.push(summary);
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
