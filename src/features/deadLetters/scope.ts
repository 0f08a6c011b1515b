/**
 * What the dead-letter and move commands share: the source queue from a tree node (explorer or Dead letters
 * view), an args object or prompts; what the source is (type, delivery limit); localized result summaries.
 */
import * as vscode from 'vscode';
import { invalidInput } from '../../core/errors';
import { readDeliveryLimit } from '../../core/deliveryLimit';
import type { QueueInfo, QueueType } from '../../core/model';
import type { MoveResult, RedriveGroup } from '../../core/move';
import type { ConnectionManager } from '../connections/connectionManager';
import { isObject, isVhostScoped, vhostScopeOf } from '../../platform/pickers';
import { pickQueue } from '../messaging/publishCommands';

export interface QueueScope {
  connectionId: string;
  vhost: string;
  queue: string;
}

/** A queue from a node with `connectionId`, `vhost` and `name` (explorer queue, Dead letters entry), `{ connectionId, vhost, queue }`, or prompts. */
export async function sourceQueueOf(manager: ConnectionManager, arg: unknown): Promise<QueueScope> {
  if (isVhostScoped(arg) && typeof (arg as { name?: unknown }).name === 'string') {
    return { connectionId: arg.connectionId, vhost: arg.vhost, queue: (arg as unknown as { name: string }).name };
  }
  if (isObject(arg)) {
    if (typeof arg.connectionId !== 'string' && typeof arg.id !== 'string') throw invalidInput('connectionId', 'is missing', 'Pass { connectionId, vhost, queue }.');
    const { connectionId, vhost } = await vhostScopeOf(manager, arg);
    if (typeof arg.queue !== 'string' || arg.queue === '') throw invalidInput('queue', 'is missing', 'Pass { connectionId, vhost, queue }.');
    return { connectionId, vhost, queue: arg.queue };
  }
  const { connectionId, vhost } = await vhostScopeOf(manager, undefined);
  return { connectionId, vhost, queue: await pickQueue(manager, connectionId, vhost) };
}

export interface SourceInfo {
  info: QueueInfo;
  type: QueueType;
  /** Quorum queues: the limit the broker enforces (null: none). */
  deliveryLimit?: number | null;
}

/** The source queue as the management API sees it, with the delivery limit a quorum queue enforces. */
export async function describeSource(manager: ConnectionManager, s: QueueScope): Promise<SourceInfo> {
  const client = await manager.management(s.connectionId);
  const info = await client.getQueue(s.vhost, s.queue);
  const out: SourceInfo = { info, type: info.type };
  if (info.type === 'quorum') out.deliveryLimit = (await readDeliveryLimit(client, s.vhost, info)).limit;
  return out;
}

/** The user's write permission in the vhost, when the management API lets this user read it. */
export async function writePermissionOf(manager: ConnectionManager, connectionId: string, vhost: string, username: string): Promise<string | undefined> {
  const client = await manager.management(connectionId);
  const p = await client.userPermissions(vhost, username).catch(() => null);
  if (p === null) return undefined; // unknown: the broker refuses at the first publish (nothing is acked then)
  return p === undefined ? '' : p.write;
}

/** "Moved 312 · 2 unroutable · 0 nacked · 0 may be duplicated" in the user's language, plus the core's notes. */
export function summarize(r: MoveResult): string {
  const head = r.dryRun
    ? vscode.l10n.t('Looked at {0} message(s) of "{1}": {2} would be {3}.', r.scanned, r.source, r.selected, r.mode === 'copy' ? vscode.l10n.t('copied') : vscode.l10n.t('moved'))
    : r.mode === 'copy'
      ? vscode.l10n.t('Copied {0} of {1} selected message(s) from "{2}" (looked at {3}).', r.copied, r.selected, r.source, r.scanned)
      : vscode.l10n.t('Moved {0} of {1} selected message(s) from "{2}" (looked at {3}).', r.moved, r.selected, r.source, r.scanned);
  const counts = vscode.l10n.t('Unroutable: {0} · nacked: {1} · not sent: {2} · not confirmed: {3} · may be duplicated: {4}.', r.unroutable, r.nacked, r.refused, r.unconfirmed, r.maybeDuplicated);
  const extra: string[] = [];
  if (r.kept) extra.push(vscode.l10n.t('{0} not selected stay in the source.', r.kept));
  if (r.withoutXDeath) extra.push(vscode.l10n.t('{0} without x-death stay in the source.', r.withoutXDeath));
  if (r.keptAtBack) extra.push(vscode.l10n.t('{0} were put at the back of the source so its delivery limit does not drop them.', r.keptAtBack));
  if (r.cancelled) extra.push(vscode.l10n.t('Cancelled: nothing is left unacknowledged.'));
  if (r.sourceType === 'stream') extra.push(vscode.l10n.t('"{0}" is a stream: it keeps every message, so they were copied, not moved.', r.source));
  return [head, counts, ...extra, ...r.notes.filter((n) => !/is a stream: it keeps every message/.test(n))].join(' ');
}

/** One origin of a redrive plan: "312 → exchange orders / key order.created". */
export function describeGroup(g: RedriveGroup): string {
  return g.exchange === ''
    ? vscode.l10n.t('{0} → queue {1}', g.count, g.routingKeys[0] ?? g.queue)
    : vscode.l10n.t('{0} → exchange {1} / key {2}', g.count, g.exchange, g.routingKeys.join(', '));
}

/** The whole plan on one line. */
export function describePlan(r: MoveResult): string {
  const parts = (r.groups ?? []).map(describeGroup);
  if (r.withoutXDeath) parts.push(vscode.l10n.t('{0} without x-death stay', r.withoutXDeath));
  return parts.length ? parts.join(', ') : vscode.l10n.t('nothing to redrive');
}
