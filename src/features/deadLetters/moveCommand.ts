/**
 * rabbitmq.moveMessages: move or copy messages of a queue to a queue (default exchange), an exchange with a
 * routing key, or the back of the same queue; all, the first N, the ones selected in the inspector, or those
 * matching a filter. Every check on the destination runs before the first message moves (the core repeats
 * them). Server-side alternative: a dynamic shovel when the broker has the plugin.
 */
import * as vscode from 'vscode';
import { invalidInput, RabbitError } from '../../core/errors';
import { probeWrite, shovelMove, type ShovelMoveResult } from '../../core/deadLetters';
import type { MessageFilterSpec } from '../../core/messageFilter';
import { moveMessages, permits, type MoveDestination, type MoveMode, type MoveResult, type MoveSelection } from '../../core/move';
import { checkExchange, checkQueue } from '../../core/operations';
import { loadTopology } from '../../core/topology';
import type { ConnectionManager } from '../connections/connectionManager';
import { logger } from '../../platform/log';
import { cancelled, isObject } from '../../platform/pickers';
import { pickExchange, pickQueue, pickRoutingKey } from '../messaging/publishCommands';
import { describeSource, sourceQueueOf, summarize, writePermissionOf, type QueueScope } from './scope';

const log = logger('move');

/** Where to, in an args object. */
export type MoveTo = { queue: string } | { exchange: string; routingKey: string } | 'sameQueueBack';

export interface MoveArgs {
  connectionId?: string;
  vhost?: string;
  /** The source queue. */
  queue?: string;
  mode?: MoveMode;
  to?: MoveTo;
  /** Default: all. */
  selection?: MoveSelection;
  /** Use a dynamic shovel on the broker (all messages, move only; needs the shovel plugin). */
  serverSide?: boolean;
  /** No pop-ups (tests, other commands). */
  quiet?: boolean;
  /** Cancels like the notification's Cancel button (callers in the extension host). */
  signal?: AbortSignal;
}

export type MoveCommandResult = ({ serverSide: false } & MoveResult) | ({ serverSide: true } & ShovelMoveResult);

function toDestination(to: MoveTo): MoveDestination {
  if (to === 'sameQueueBack') return { kind: 'sameQueueBack' };
  if (!isObject(to)) throw invalidInput('to', 'must be { queue }, { exchange, routingKey } or "sameQueueBack"');
  if ('queue' in to) return { kind: 'queue', queue: to.queue };
  if ('exchange' in to) return { kind: 'exchange', exchange: to.exchange, routingKey: to.routingKey };
  throw invalidInput('to', 'must be { queue }, { exchange, routingKey } or "sameQueueBack"');
}

/** rabbitmq.moveMessages */
export async function moveCommand(manager: ConnectionManager, arg?: unknown, preset?: { selection?: MoveSelection; scope?: QueueScope }): Promise<MoveCommandResult> {
  const args: MoveArgs = isObject(arg) ? (arg as MoveArgs) : {};
  const interactive = !isObject(arg) || args.quiet !== true;
  const scope = preset?.scope ?? (await sourceQueueOf(manager, arg));
  const { connectionId, vhost, queue: source } = scope;
  // A read-only connection refuses before anything is read.
  manager.assertWritable(connectionId, vscode.l10n.t('moving or copying messages'));
  const src = await describeSource(manager, scope);
  const isStream = src.type === 'stream';

  // Move or copy (a stream is always copied).
  let mode: MoveMode;
  if (args.mode !== undefined) {
    if (args.mode !== 'move' && args.mode !== 'copy') throw invalidInput('mode', 'must be move or copy');
    mode = isStream ? 'copy' : args.mode;
  } else if (isObject(arg)) mode = isStream ? 'copy' : 'move';
  else mode = await pickMode(source, isStream);

  // Where to.
  let destination: MoveDestination;
  if (args.to !== undefined) destination = toDestination(args.to);
  else if (isObject(arg)) throw invalidInput('to', 'is missing', 'Pass { queue }, { exchange, routingKey } or "sameQueueBack".');
  else destination = await pickDestination(manager, connectionId, vhost, source);

  // Which messages.
  const selection: MoveSelection = preset?.selection ?? args.selection ?? (isObject(arg) ? { kind: 'all' } : await pickSelection(src.info.messagesReady ?? src.info.messages ?? 0));

  const session = await manager.session(connectionId, vhost);
  await session.connection();
  const writePermission = await writePermissionOf(manager, connectionId, vhost, session.username);
  if (writePermission === undefined && (destination.kind === 'queue' || destination.kind === 'exchange' || destination.kind === 'sameQueueBack')) {
    // Permissions unreadable for this user: ask the broker directly before anything moves.
    const x = destination.kind === 'exchange' ? destination.exchange : '';
    if (!(await probeWrite(session, x))) {
      throw new RabbitError('ACCESS_REFUSED', vscode.l10n.t('User "{0}" may not publish to exchange "{1}". Nothing was moved.', session.username, x || 'amq.default'), { field: 'destination' });
    }
  }
  const client = await manager.management(connectionId);
  const topology = destination.kind === 'exchange' ? (await loadTopology(client, vhost).catch(() => undefined))?.snapshot : undefined;

  // Server side: a dynamic shovel (all messages, move, a fixed destination).
  const shovelable = mode === 'move' && !isStream && selection.kind === 'all' && (destination.kind === 'queue' || destination.kind === 'exchange');
  let serverSide = args.serverSide === true;
  if (serverSide && !shovelable) throw invalidInput('serverSide', 'applies only to moving all messages of a classic or quorum queue to a queue or an exchange');
  const hasShovel = shovelable && (serverSide || !isObject(arg)) ? await client.hasShovelPlugin().catch(() => false) : false;
  if (serverSide && !hasShovel) throw invalidInput('serverSide', 'needs the shovel plugin (rabbitmq_shovel and rabbitmq_shovel_management) on the broker', 'Move through the editor instead.');
  if (!isObject(arg) && hasShovel) serverSide = await pickServerSide();

  if (serverSide) {
    const d = destination as Extract<MoveDestination, { kind: 'queue' | 'exchange' }>;
    // The same checks the core makes, before the shovel exists.
    if (d.kind === 'queue') {
      if (d.queue === source) throw invalidInput('destination.queue', `is the source queue "${source}"`, 'Choose another queue.');
      await checkQueue(session, d.queue).catch((e: unknown) => {
        throw new RabbitError('NOT_FOUND', vscode.l10n.t('The destination queue "{0}" does not exist. Nothing was moved.', d.queue), { field: 'destination.queue', cause: e });
      });
    } else if (d.exchange !== '') {
      await checkExchange(session, d.exchange).catch((e: unknown) => {
        throw new RabbitError('NOT_FOUND', vscode.l10n.t('The destination exchange "{0}" does not exist. Nothing was moved.', d.exchange), { field: 'destination.exchange', cause: e });
      });
    }
    const xName = d.kind === 'queue' ? 'amq.default' : d.exchange || 'amq.default';
    if (writePermission !== undefined && !permits(writePermission, xName)) {
      throw new RabbitError('ACCESS_REFUSED', vscode.l10n.t('User "{0}" may not publish to exchange "{1}". Nothing was moved.', session.username, xName), { field: 'destination' });
    }
    const r = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Moving messages from "{0}" on the broker (shovel)', source), cancellable: true },
      async (progress, token) => {
        const ac = new AbortController();
        token.onCancellationRequested(() => ac.abort());
        return shovelMove(client, {
          vhost,
          source,
          destination: d.kind === 'queue' ? { queue: d.queue } : { exchange: d.exchange, routingKey: d.routingKey },
          signal: ac.signal,
          readyCount: async () => (await checkQueue(session, source)).messageCount,
          onProgress: (left) => progress.report({ message: vscode.l10n.t('{0} left in "{1}"', left, source) }),
        });
      },
    );
    const text = vscode.l10n.t('Shovel "{0}" moved {1} message(s) from "{2}" ({3} left there) and was removed.', r.name, r.moved, source, r.readyAfter) + (r.cancelled ? ` ${vscode.l10n.t('Cancelled.')}` : '');
    log.info(text);
    if (interactive) void vscode.window.showInformationMessage(text);
    return { serverSide: true, ...r };
  }

  const r = await runWithProgress(
    mode === 'copy' ? vscode.l10n.t('Copying messages from "{0}"', source) : vscode.l10n.t('Moving messages from "{0}"', source),
    (signal, onProgress) =>
      moveMessages(session, {
        source,
        destination,
        mode,
        selection,
        sourceType: src.type,
        deliveryLimit: src.type === 'quorum' ? (src.deliveryLimit ?? null) : undefined,
        writePermission,
        topology,
        signal,
        onProgress,
      }),
    args.signal,
  );
  report(r, interactive);
  return { serverSide: false, ...r };
}

/** Runs a move with a cancellable progress notification ("1,200 / 10,000 · moved 1,180 · failed 0"). */
export function runWithProgress(
  title: string,
  run: (signal: AbortSignal, onProgress: (p: { scanned: number; target?: number; moved: number; copied: number; failed: number }) => void) => Promise<MoveResult>,
  external?: AbortSignal,
): Promise<MoveResult> {
  return Promise.resolve(
    vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
      const ac = new AbortController();
      token.onCancellationRequested(() => ac.abort());
      if (external?.aborted) ac.abort();
      external?.addEventListener('abort', () => ac.abort());
      let lastPct = 0;
      return run(ac.signal, (p) => {
        const pct = p.target ? Math.min(100, (p.scanned / p.target) * 100) : 0;
        const message = p.target
          ? vscode.l10n.t('{0} / {1} looked at · moved {2} · copied {3} · failed {4}', p.scanned, p.target, p.moved, p.copied, p.failed)
          : vscode.l10n.t('{0} looked at · moved {1} · copied {2} · failed {3}', p.scanned, p.moved, p.copied, p.failed);
        progress.report({ message, increment: pct > lastPct ? pct - lastPct : undefined });
        lastPct = Math.max(lastPct, pct);
      });
    }),
  );
}

/** The final report: a warning when anything stayed behind or may be in both places. */
export function report(r: MoveResult, interactive: boolean): string {
  const text = summarize(r);
  log.info(text);
  if (interactive) {
    const bad = r.unroutable + r.nacked + r.refused + r.unconfirmed + r.maybeDuplicated > 0 || r.cancelled;
    if (bad) void vscode.window.showWarningMessage(text);
    else void vscode.window.showInformationMessage(text);
  }
  return text;
}

async function pickMode(source: string, isStream: boolean): Promise<MoveMode> {
  if (isStream) {
    const ok = await vscode.window.showInformationMessage(
      vscode.l10n.t('"{0}" is a stream: it keeps every message, so messages can be copied but not moved out of it.', source),
      { modal: true },
      vscode.l10n.t('Copy'),
    );
    if (!ok) throw cancelled();
    return 'copy';
  }
  const items: (vscode.QuickPickItem & { mode: MoveMode })[] = [
    { label: vscode.l10n.t('Move'), description: vscode.l10n.t('each message is removed from the source after the destination confirmed it'), mode: 'move' },
    { label: vscode.l10n.t('Copy'), description: vscode.l10n.t('the source keeps every message, in its order'), mode: 'copy' },
  ];
  const picked = await vscode.window.showQuickPick(items, { placeHolder: vscode.l10n.t('Move or copy the messages of "{0}"?', source) });
  if (!picked) throw cancelled();
  return picked.mode;
}

async function pickDestination(manager: ConnectionManager, connectionId: string, vhost: string, source: string): Promise<MoveDestination> {
  type Item = vscode.QuickPickItem & { choice: 'queue' | 'exchange' | 'back' };
  const items: Item[] = [
    { label: vscode.l10n.t('To a queue'), description: vscode.l10n.t('through the default exchange'), choice: 'queue' },
    { label: vscode.l10n.t('To an exchange with a routing key'), choice: 'exchange' },
    { label: vscode.l10n.t('To the back of the same queue'), description: source, choice: 'back' },
  ];
  const picked = await vscode.window.showQuickPick(items, { placeHolder: vscode.l10n.t('Where to?') });
  if (!picked) throw cancelled();
  if (picked.choice === 'back') return { kind: 'sameQueueBack' };
  if (picked.choice === 'queue') return { kind: 'queue', queue: await pickQueue(manager, connectionId, vhost) };
  const exchange = await pickExchange(manager, connectionId, vhost);
  const routingKey = exchange === '' ? await pickQueue(manager, connectionId, vhost) : await pickRoutingKey(manager, connectionId, vhost, exchange);
  return { kind: 'exchange', exchange, routingKey };
}

async function pickServerSide(): Promise<boolean> {
  const items: (vscode.QuickPickItem & { server: boolean })[] = [
    { label: vscode.l10n.t('Through the editor'), description: vscode.l10n.t('counts every message; filters, tracking headers, cancel between messages'), server: false },
    { label: vscode.l10n.t('On the broker (dynamic shovel)'), description: vscode.l10n.t('fast, no data through the editor; counts only what left the source'), server: true },
  ];
  const picked = await vscode.window.showQuickPick(items, { placeHolder: vscode.l10n.t('The broker has the shovel plugin: move on the broker?') });
  if (!picked) throw cancelled();
  return picked.server;
}

async function pickSelection(ready: number): Promise<MoveSelection> {
  type Item = vscode.QuickPickItem & { choice: 'all' | 'first' | 'filter' };
  const items: Item[] = [
    { label: vscode.l10n.t('All messages'), description: vscode.l10n.t('{0} ready', ready), choice: 'all' },
    { label: vscode.l10n.t('The first N…'), choice: 'first' },
    { label: vscode.l10n.t('Those matching a filter…'), description: vscode.l10n.t('header value, routing key pattern, body text or JSON path'), choice: 'filter' },
  ];
  const picked = await vscode.window.showQuickPick(items, { placeHolder: vscode.l10n.t('Which messages?') });
  if (!picked) throw cancelled();
  if (picked.choice === 'all') return { kind: 'all' };
  if (picked.choice === 'first') {
    const n = await vscode.window.showInputBox({
      prompt: vscode.l10n.t('How many messages, from the head of the queue?'),
      value: String(Math.min(ready, 100) || 1),
      validateInput: (t) => (/^[1-9]\d*$/.test(t.trim()) ? undefined : vscode.l10n.t('Enter a whole number of at least 1.')),
    });
    if (n === undefined) throw cancelled();
    return { kind: 'first', count: Number(n.trim()) };
  }
  return { kind: 'filter', filter: await pickFilter() };
}

async function pickFilter(): Promise<MessageFilterSpec> {
  type Item = vscode.QuickPickItem & { choice: 'header' | 'routingKey' | 'body' | 'json' };
  const picked = await vscode.window.showQuickPick<Item>(
    [
      { label: vscode.l10n.t('A header value'), choice: 'header' },
      { label: vscode.l10n.t('A routing key pattern'), description: vscode.l10n.t('* one word, # zero or more'), choice: 'routingKey' },
      { label: vscode.l10n.t('Text in the body'), choice: 'body' },
      { label: vscode.l10n.t('A JSON path in the body'), description: '$.order.status = "failed"', choice: 'json' },
    ],
    { placeHolder: vscode.l10n.t('Select messages by') },
  );
  if (!picked) throw cancelled();
  const input = async (prompt: string, optional = false): Promise<string | undefined> => {
    const v = await vscode.window.showInputBox({ prompt, ignoreFocusOut: true, validateInput: (t) => (optional || t.trim() !== '' ? undefined : vscode.l10n.t('Enter a value.')) });
    if (v === undefined) throw cancelled();
    return optional && v === '' ? undefined : v;
  };
  switch (picked.choice) {
    case 'header':
      return { header: { name: (await input(vscode.l10n.t('Header name')))!, value: await input(vscode.l10n.t('Header value (empty: the header is present)'), true) } };
    case 'routingKey':
      return { routingKey: (await input(vscode.l10n.t('Routing key pattern, e.g. order.*.failed')))! };
    case 'body':
      return { bodyContains: (await input(vscode.l10n.t('Text the body contains')))! };
    case 'json':
      return { jsonPath: { path: (await input(vscode.l10n.t('JSON path, e.g. $.order.status')))!, equals: await input(vscode.l10n.t('Value there (JSON or text; empty: the path exists)'), true) } };
  }
}
