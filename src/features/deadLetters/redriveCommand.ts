/**
 * rabbitmq.redriveDeadLetters: read a dead-letter queue (nothing removed), group its messages by origin (the
 * first x-death entry: exchange, routing keys, queue), show the plan, then move each group back with the
 * guarantees of a move. A dry run shows the plan only. Streams are copied back, never moved.
 * Also the inspector's "Send back to origin": the selected dead-lettered messages, moved.
 */
import * as vscode from 'vscode';
import { invalidInput, RabbitError } from '../../core/errors';
import type { DecodedMessage } from '../../core/message';
import { fingerprintDecoded } from '../../core/messageFilter';
import { moveMessages, type MoveResult, type MoveSelection } from '../../core/move';
import type { ConnectionManager } from '../connections/connectionManager';
import { logger } from '../../platform/log';
import { cancelled, isObject } from '../../platform/pickers';
import { moveCommand, report, runWithProgress } from './moveCommand';
import { describeGroup, describePlan, describeSource, sourceQueueOf, summarize, type QueueScope } from './scope';

const log = logger('redrive');

export interface RedriveArgs {
  connectionId?: string;
  vhost?: string;
  queue?: string;
  /** Show the plan only (nothing is published or removed). */
  dryRun?: boolean;
  /** Only these origins (keys from a plan's groups); default all. */
  groups?: string[];
  /** Skip the confirmation (tests, other commands). */
  confirm?: boolean;
  quiet?: boolean;
  selection?: MoveSelection;
}

export interface RedriveCommandResult {
  plan: MoveResult;
  /** Undefined for a dry run or when nothing was chosen. */
  result?: MoveResult;
  planText: string;
}

/** rabbitmq.redriveDeadLetters */
export async function redriveCommand(manager: ConnectionManager, arg?: unknown, preset?: { scope: QueueScope; selection: MoveSelection }): Promise<RedriveCommandResult> {
  const args: RedriveArgs = isObject(arg) ? (arg as RedriveArgs) : {};
  const interactive = !isObject(arg) || args.quiet !== true;
  const scope = preset?.scope ?? (await sourceQueueOf(manager, arg));
  const dryRun = args.dryRun === true;
  if (!dryRun) manager.assertWritable(scope.connectionId, vscode.l10n.t('redriving dead letters'));
  const src = await describeSource(manager, scope);
  const isStream = src.type === 'stream';
  const session = await manager.session(scope.connectionId, scope.vhost);
  const selection = preset?.selection ?? args.selection ?? { kind: 'all' };
  if (args.groups !== undefined && (!Array.isArray(args.groups) || args.groups.some((g) => typeof g !== 'string'))) throw invalidInput('groups', 'must be a list of origin keys from the plan');
  const base = {
    source: scope.queue,
    sourceType: src.type,
    deliveryLimit: src.type === 'quorum' ? (src.deliveryLimit ?? null) : undefined,
    selection,
  };

  // 1. The plan: read everything, move nothing.
  const plan = await runWithProgress(vscode.l10n.t('Reading the dead letters of "{0}"', scope.queue), (signal, onProgress) =>
    moveMessages(session, { ...base, destination: { kind: 'origin' }, mode: 'move', dryRun: true, signal, onProgress }),
  );
  const planText = describePlan(plan);
  log.info(`redrive plan for ${scope.queue}: ${planText}`);
  const streamNote = isStream ? ` ${vscode.l10n.t('"{0}" is a stream: the messages will be copied back (a stream keeps every message).', scope.queue)}` : '';
  if (dryRun || plan.cancelled) {
    if (interactive) void vscode.window.showInformationMessage(`${vscode.l10n.t('Redrive plan (dry run, nothing moved):')} ${planText}.${streamNote}`);
    return { plan, planText };
  }
  const groups = plan.groups ?? [];
  if (groups.length === 0) {
    if (interactive) void vscode.window.showInformationMessage(vscode.l10n.t('Nothing to redrive in "{0}": {1}.', scope.queue, planText));
    return { plan, planText };
  }

  // 2. Which origins, confirmed.
  let chosen = args.groups;
  if (chosen === undefined && !isObject(arg)) {
    const all = vscode.l10n.t('Redrive all');
    const some = vscode.l10n.t('Choose origins…');
    const answer = await vscode.window.showWarningMessage(
      vscode.l10n.t('Redrive "{0}": {1}.', scope.queue, planText) + streamNote,
      { modal: true, detail: vscode.l10n.t('Each message is published back to its origin with publisher confirms and removed from "{0}" only after the confirm. Unroutable ones stay.', scope.queue) },
      all,
      some,
    );
    if (!answer) throw cancelled();
    if (answer === some) {
      const picked = await vscode.window.showQuickPick(
        groups.map((g) => ({ label: describeGroup(g), description: vscode.l10n.t('from queue {0}', g.queue), picked: true, key: g.key })),
        { canPickMany: true, placeHolder: vscode.l10n.t('Origins to redrive') },
      );
      if (!picked || picked.length === 0) throw cancelled();
      chosen = picked.map((p) => p.key);
    }
  } else if (chosen === undefined && args.confirm !== true) {
    throw invalidInput('confirm', 'is required to redrive without prompts', 'Pass confirm: true, or dryRun: true for the plan only.');
  }

  // 3. Move (a stream: copy) each origin's messages back.
  const result = await runWithProgress(vscode.l10n.t('Redriving dead letters of "{0}"', scope.queue), (signal, onProgress) =>
    moveMessages(session, { ...base, destination: { kind: 'origin', groups: chosen }, mode: isStream ? 'copy' : 'move', signal, onProgress }),
  );
  report(result, interactive);
  return { plan, result, planText };
}

/**
 * The inspector's "Send back to origin": moves the selected messages (by fingerprint) back to where they were
 * dead-lettered from, after a confirmation. Only messages with x-death qualify.
 */
export async function sendBackToOrigin(manager: ConnectionManager, scope: QueueScope, msgs: DecodedMessage[], confirm = true): Promise<string> {
  if (msgs.length === 0) throw invalidInput('selection', 'is empty');
  const without = msgs.filter((m) => !m.xDeath?.length);
  if (without.length) {
    throw new RabbitError('INVALID_INPUT', vscode.l10n.t('Message #{0} has no x-death header: it was not dead-lettered, so it has no origin to go back to.', without[0].index + 1), { field: 'x-death' });
  }
  manager.assertWritable(scope.connectionId, vscode.l10n.t('redriving dead letters'));
  const src = await describeSource(manager, scope);
  if (confirm) {
    const verb = src.type === 'stream' ? vscode.l10n.t('Copy') : vscode.l10n.t('Move');
    const answer = await vscode.window.showWarningMessage(
      src.type === 'stream'
        ? vscode.l10n.t('Copy {0} message(s) back to their origin? "{1}" is a stream: it keeps them.', msgs.length, scope.queue)
        : vscode.l10n.t('Move {0} message(s) back to their origin? Each leaves "{1}" once its origin confirmed it.', msgs.length, scope.queue),
      { modal: true },
      verb,
    );
    if (!answer) throw cancelled();
  }
  const session = await manager.session(scope.connectionId, scope.vhost);
  const r = await moveMessages(session, {
    source: scope.queue,
    destination: { kind: 'origin' },
    mode: src.type === 'stream' ? 'copy' : 'move',
    selection: { kind: 'selected', fingerprints: msgs.map(fingerprintDecoded), scanLimit: Math.max(msgs.length, ...msgs.map((m) => m.index + 1)) + 1000 },
    sourceType: src.type,
    deliveryLimit: src.type === 'quorum' ? (src.deliveryLimit ?? null) : undefined,
  });
  const text = summarize(r);
  log.info(text);
  if (r.unroutable + r.nacked + r.refused + r.unconfirmed > 0 || r.moved + r.copied < msgs.length) void vscode.window.showWarningMessage(text);
  else void vscode.window.showInformationMessage(text);
  return text;
}

/** The inspector's "Move / copy…": the selected messages (by fingerprint), to a destination the user picks. */
export async function moveSelected(manager: ConnectionManager, scope: QueueScope, msgs: DecodedMessage[]): Promise<string> {
  if (msgs.length === 0) throw invalidInput('selection', 'is empty');
  const selection: MoveSelection = { kind: 'selected', fingerprints: msgs.map(fingerprintDecoded), scanLimit: Math.max(...msgs.map((m) => m.index + 1)) + 1000 };
  const r = await moveCommand(manager, undefined, { scope, selection });
  return r.serverSide ? vscode.l10n.t('Moved {0} message(s) on the broker.', r.moved) : summarize(r);
}
