/**
 * rabbitmq.exportQueue: a whole queue (up to a bound) to a JSON Lines file, non-destructively: the messages
 * are read without acknowledgement and handed back in order (a dry run of a move), each written as the
 * inspector saves it (body bytes, every property, typed headers).
 * rabbitmq.importMessages: a JSON Lines file published to the queue or exchange it is run on, with confirms and
 * `mandatory`, every line checked before anything is sent.
 */
import * as vscode from 'vscode';
import { open } from 'node:fs/promises';
import { invalidInput, RabbitError } from '../../core/errors';
import { decodeMessage } from '../../core/message';
import { DELIVERY_ANNOTATIONS } from '../../core/messageFilter';
import { moveMessages, type MoveResult } from '../../core/move';
import { publishMany, type PublishManyResult, type PublishOptions } from '../../core/operations';
import type { ConnectionManager } from '../connections/connectionManager';
import { ExchangeNode } from '../explorer/nodes/exchangeNode';
import { logger } from '../../platform/log';
import { cancelled, isObject, vhostScopeOf } from '../../platform/pickers';
import { readBulkFile, withProgressIterator } from '../messaging/bulk';
import { toSaved } from '../messaging/jsonl';
import { bodyLimit, pickExchange, pickQueue } from '../messaging/publishCommands';
import { runWithProgress } from './moveCommand';
import { describeSource, sourceQueueOf } from './scope';

const log = logger('export');

/** Most messages one export reads (they are all held unacknowledged until the end). */
export const MAX_EXPORT = 200_000;
const DEFAULT_EXPORT = 20_000;

export interface ExportArgs {
  connectionId?: string;
  vhost?: string;
  queue?: string;
  /** Path of the JSON Lines file to write (replaced). */
  file?: string;
  /** At most this many messages (default 20,000; at most 200,000). */
  limit?: number;
  quiet?: boolean;
}

export interface ExportResult {
  file: string;
  written: number;
  readyBefore: number;
  cancelled: boolean;
  read: MoveResult;
}

/** rabbitmq.exportQueue */
export async function exportQueueCommand(manager: ConnectionManager, arg?: unknown): Promise<ExportResult> {
  const args: ExportArgs = isObject(arg) ? (arg as ExportArgs) : {};
  const scope = await sourceQueueOf(manager, arg);
  const src = await describeSource(manager, scope);
  const ready = src.info.messagesReady ?? src.info.messages ?? 0;
  let limit = args.limit;
  if (limit === undefined && !isObject(arg)) {
    const v = await vscode.window.showInputBox({
      prompt: vscode.l10n.t('Export at most how many messages of "{0}" ({1} ready)?', scope.queue, ready),
      value: String(Math.min(Math.max(ready, 1), DEFAULT_EXPORT)),
      validateInput: (t) => (/^[1-9]\d*$/.test(t.trim()) && Number(t.trim()) <= MAX_EXPORT ? undefined : vscode.l10n.t('Enter a whole number from 1 to {0}.', MAX_EXPORT)),
    });
    if (v === undefined) throw cancelled();
    limit = Number(v.trim());
  }
  limit ??= DEFAULT_EXPORT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_EXPORT) throw invalidInput('limit', `must be a whole number from 1 to ${MAX_EXPORT} (got ${String(limit)})`);
  let file = args.file;
  if (file === undefined) {
    if (isObject(arg)) throw invalidInput('file', 'is missing', 'Pass the path of the JSON Lines file to write.');
    const uri = await vscode.window.showSaveDialog({
      title: vscode.l10n.t('Export "{0}" as JSON Lines', scope.queue),
      filters: { [vscode.l10n.t('JSON Lines')]: ['jsonl', 'ndjson'] },
      defaultUri: vscode.workspace.workspaceFolders?.[0] ? vscode.Uri.joinPath(vscode.workspace.workspaceFolders[0].uri, `${scope.queue.replace(/[^\w.-]+/g, '_').slice(0, 80) || 'messages'}.jsonl`) : undefined,
    });
    if (!uri) throw cancelled();
    file = uri.fsPath;
  }
  if (typeof file !== 'string' || file === '') throw invalidInput('file', 'must be a file path');

  const session = await manager.session(scope.connectionId, scope.vhost);
  let handle;
  try {
    handle = await open(file, 'w');
  } catch (e) {
    throw invalidInput('file', `cannot be written (${(e as NodeJS.ErrnoException).code ?? String(e)})`, 'Choose a writable place.');
  }
  let written = 0;
  let buffer: string[] = [];
  const flush = async (): Promise<void> => {
    if (buffer.length === 0) return;
    const chunk = buffer.join('');
    buffer = [];
    await handle.write(chunk);
  };
  const drop = new Set<string>(DELIVERY_ANNOTATIONS);
  let r: MoveResult;
  try {
    r = await runWithProgress(vscode.l10n.t('Exporting "{0}"', scope.queue), (signal, onProgress) =>
      moveMessages(session, {
        source: scope.queue,
        destination: { kind: 'sameQueueBack' },
        dryRun: true,
        selection: { kind: 'first', count: limit },
        sourceType: src.type,
        deliveryLimit: src.type === 'quorum' ? (src.deliveryLimit ?? null) : undefined,
        signal,
        onProgress,
        onMessage: async (m) => {
          const d = decodeMessage(m, written, { maxBodyBytes: Number.MAX_SAFE_INTEGER, hexBytes: 0 });
          for (const k of drop) delete d.headers[k];
          buffer.push(JSON.stringify(toSaved(d)) + '\n');
          written++;
          if (buffer.length >= 1000) await flush();
        },
      }),
    );
    await flush();
  } finally {
    await handle.close();
  }
  log.info(`exported ${written} message(s) of ${scope.queue} to ${file}${r.cancelled ? ' (cancelled)' : ''}`);
  const text = vscode.l10n.t('Exported {0} message(s) of "{1}" to {2}; the queue keeps them.', written, scope.queue, vscode.workspace.asRelativePath(file)) + (r.cancelled ? ` ${vscode.l10n.t('Cancelled.')}` : '') + (r.notes.length ? ` ${r.notes.join(' ')}` : '');
  if (args.quiet !== true) void vscode.window.showInformationMessage(text);
  return { file, written, readyBefore: r.readyBefore, cancelled: r.cancelled, read: r };
}

export interface ImportArgs {
  connectionId?: string;
  vhost?: string;
  file?: string;
  /** Every line to this queue (through the default exchange). */
  queue?: string;
  /** Every line to this exchange, with its own routing key (or `routingKey` for lines without one). */
  exchange?: string;
  routingKey?: string;
  quiet?: boolean;
}

export interface ImportResult extends PublishManyResult {
  total: number;
  cancelled: boolean;
}

/** rabbitmq.importMessages */
export async function importMessagesCommand(manager: ConnectionManager, arg?: unknown): Promise<ImportResult> {
  const args: ImportArgs = isObject(arg) ? (arg as ImportArgs) : {};
  const { connectionId, vhost } = await vhostScopeOf(manager, isObject(arg) ? arg : (arg ?? undefined));
  manager.assertWritable(connectionId, vscode.l10n.t('publishing'));
  // The target: the node it runs on, the args, or a prompt.
  let target: { queue: string } | { exchange: string };
  if (arg instanceof ExchangeNode) target = { exchange: arg.isDefault ? '' : arg.name };
  else if (!isObject(arg) && arg && typeof (arg as { name?: unknown }).name === 'string') target = { queue: (arg as { name: string }).name };
  else if (typeof args.queue === 'string' && args.queue !== '') target = { queue: args.queue };
  else if (typeof args.exchange === 'string') target = { exchange: args.exchange };
  else if (isObject(arg)) throw invalidInput('queue', 'is missing', 'Pass queue, or exchange ("" is the default exchange).');
  else {
    const x = await pickExchange(manager, connectionId, vhost);
    target = x === '' ? { queue: await pickQueue(manager, connectionId, vhost) } : { exchange: x };
  }
  let file = args.file;
  if (file === undefined) {
    if (isObject(arg)) throw invalidInput('file', 'is missing');
    const uris = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { [vscode.l10n.t('JSON Lines')]: ['jsonl', 'ndjson', 'json', 'txt'] }, openLabel: vscode.l10n.t('Publish') });
    if (!uris?.[0]) throw cancelled();
    file = uris[0].fsPath;
  }
  // Every line checked before anything is sent; the target replaces where each line was published.
  let messages: PublishOptions[];
  if ('queue' in target) {
    messages = (await readBulkFile(file, { routingKey: target.queue })).map((m) => ({ ...m, exchange: '', routingKey: target.queue }));
  } else {
    const x = target.exchange;
    messages = (await readBulkFile(file, { routingKey: args.routingKey ?? '' })).map((m) => ({ ...m, exchange: x }));
  }
  const session = await manager.session(connectionId, vhost);
  await session.connection();
  const limit = bodyLimit(session);
  messages.forEach((m, i) => {
    const size = Buffer.isBuffer(m.body) ? m.body.length : Buffer.byteLength(m.body);
    if (size > limit) throw invalidInput(`line ${i + 1}.body`, `is ${size} bytes; the limit is ${limit} bytes`);
  });
  const total = messages.length;
  const where = 'queue' in target ? vscode.l10n.t('queue "{0}"', target.queue) : vscode.l10n.t('exchange "{0}"', target.exchange || '(default)');
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Publishing {0} messages to {1}', total, where), cancellable: true },
    async (progress, token) => {
      let reported = 0;
      const step = Math.max(1, Math.floor(total / 100));
      const iterable = withProgressIterator(messages, (i) => {
        if (token.isCancellationRequested) return false;
        if (i - reported >= step) {
          progress.report({ increment: ((i - reported) / total) * 100, message: `${i} / ${total}` });
          reported = i;
        }
        return true;
      });
      const r = await publishMany(session, iterable, { mandatory: true });
      return { ...r, total, cancelled: token.isCancellationRequested && r.published < total };
    },
  );
  const text = vscode.l10n.t('{0} of {1} messages published to {2}: {3} confirmed, {4} nacked, {5} unroutable.', result.published, total, where, result.confirmed, result.nacked, result.returned);
  log.info(text);
  if (args.quiet !== true) {
    if (result.cancelled || result.nacked || result.returned) void vscode.window.showWarningMessage(result.cancelled ? `${vscode.l10n.t('Cancelled.')} ${text}` : text);
    else void vscode.window.showInformationMessage(text);
  }
  if (result.nacked > 0 && result.confirmed === 0) throw new RabbitError('NACKED', text);
  return result;
}
