/**
 * rabbitmq.publish and rabbitmq.publishBulk: from the palette (prompts), from a tree node, or with an args object
 * (tests, other commands). Every check runs before anything is sent.
 */
import * as vscode from 'vscode';
import { readFile, stat } from 'node:fs/promises';
import type { ConnectionManager } from '../connections/connectionManager';
import { invalidInput, isRabbitError, RabbitError } from '../../core/errors';
import { parseJsonObject } from '../../core/json';
import { publish, publishMany, preparePublish, type PublishManyResult, type PublishOptions, type PublishResult } from '../../core/operations';
import type { AmqpSession } from '../../core/session';
import { cancelled, isObject, vhostScopeOf } from '../../platform/pickers';
import { ExchangeNode } from '../explorer/nodes/exchangeNode';
import { QueueNode } from '../explorer/nodes/queueNode';
import { logger } from '../../platform/log';
import { readBulkFile, withProgressIterator } from './bulk';
import type { ParseDefaults } from './jsonl';
import { bodyFromArgs, checkBodySize, toPublishOptions, type PublishArgs, type PublishPropertiesInput } from './publishInput';

const log = logger('publish');

/** Largest body the user allows (setting, bytes; 0 = the broker's limit). */
export function bodyLimit(session: AmqpSession): number {
  const configured = vscode.workspace.getConfiguration('rabbitmq').get<number>('publish.maxBodySize', 0);
  return configured > 0 ? Math.min(configured, session.maxMessageSize) : session.maxMessageSize;
}

export interface PublishCommandResult extends PublishResult {
  exchange: string;
  routingKey: string;
}

/** rabbitmq.publish */
export async function publishCommand(manager: ConnectionManager, arg?: unknown): Promise<PublishCommandResult> {
  const args: PublishArgs = isObject(arg) ? (arg as PublishArgs) : {};
  const quiet = args.quiet === true;
  const scopeArg = arg instanceof QueueNode || arg instanceof ExchangeNode ? arg : isObject(arg) && args.connectionId ? { connectionId: args.connectionId, vhost: args.vhost } : undefined;
  const { connectionId, vhost } = await vhostScopeOf(manager, scopeArg);
  manager.assertWritable(connectionId, vscode.l10n.t('publishing'));

  // Where to.
  let exchange: string;
  let routingKey: string | undefined = args.routingKey;
  if (arg instanceof QueueNode) {
    exchange = '';
    routingKey = arg.name;
  } else if (arg instanceof ExchangeNode) {
    exchange = arg.isDefault ? '' : arg.name;
  } else if (args.queue !== undefined) {
    if (typeof args.queue !== 'string' || args.queue === '') throw invalidInput('queue', 'must be a queue name');
    exchange = '';
    routingKey = args.queue;
  } else if (args.exchange !== undefined) {
    if (typeof args.exchange !== 'string') throw invalidInput('exchange', 'must be a string ("" is the default exchange)');
    exchange = args.exchange;
  } else {
    if (quiet) throw invalidInput('exchange', 'is missing', 'Pass exchange ("" for the default exchange) or queue.');
    exchange = await pickExchange(manager, connectionId, vhost);
  }
  if (routingKey === undefined) {
    if (quiet) throw invalidInput('routingKey', 'is missing');
    routingKey = exchange === '' ? await pickQueue(manager, connectionId, vhost) : await pickRoutingKey(manager, connectionId, vhost, exchange);
  }

  const session = await manager.session(connectionId, vhost);
  await session.connection(); // the body limit depends on the broker version
  const limit = bodyLimit(session);

  // What.
  let body = bodyFromArgs(args);
  let guessedType: string | undefined;
  if (body === undefined && args.bodyFile !== undefined) body = await readBodyFile(args.bodyFile, limit);
  if (body === undefined) {
    if (quiet) throw invalidInput('body', 'is missing', 'Pass body, bodyBase64 or bodyFile.');
    const picked = await pickBody(limit);
    body = picked.body;
    guessedType = picked.contentType;
  }
  checkBodySize(body.length, limit);

  // Properties and headers.
  let props: PublishPropertiesInput | undefined = args.properties;
  let headers = args.headers;
  if (!quiet && props === undefined && headers === undefined) {
    const extra = await askProperties(guessedType ?? guessContentType(body));
    props = extra.properties;
    headers = extra.headers;
  }
  if (props !== undefined && !isObject(props)) throw invalidInput('properties', 'must be an object');
  const opts = toPublishOptions(exchange, routingKey, body, props ?? {}, headers);
  // The core checks everything else (property sizes, userId, the broker's size limit) before sending.
  preparePublish(opts, { maxMessageSize: limit, username: session.username });

  const result = await publish(session, opts);
  const where = exchange === '' ? vscode.l10n.t('queue "{0}" (default exchange)', routingKey) : vscode.l10n.t('exchange "{0}" with routing key "{1}"', exchange, routingKey);
  if (result.routed) {
    log.info(`published ${result.size} bytes to ${exchange === '' ? `queue ${routingKey}` : `exchange ${exchange} / ${routingKey}`}: routed`);
    if (!quiet) void vscode.window.showInformationMessage(vscode.l10n.t('Published to {0}: routed (confirmed by the broker).', where));
  } else {
    log.warn(`published to ${exchange || '(default)'} / ${routingKey}: unroutable (returned by the broker)`);
    if (!quiet) void vscode.window.showWarningMessage(vscode.l10n.t('Published to {0}, but it is unroutable: no queue is bound for this routing key, so the broker returned the message.', where));
  }
  return { ...result, exchange, routingKey };
}

async function readBodyFile(path: string, limit: number): Promise<Buffer> {
  if (typeof path !== 'string' || path === '') throw invalidInput('bodyFile', 'must be a file path');
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (e) {
    throw invalidInput('bodyFile', `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`, 'Choose an existing file.');
  }
  checkBodySize(size, limit);
  return readFile(path);
}

function guessContentType(body: Buffer): string | undefined {
  const t = body.subarray(0, 1).toString();
  if (t === '{' || t === '[') {
    try {
      JSON.parse(body.toString('utf8'));
      return 'application/json';
    } catch {
      return 'text/plain';
    }
  }
  return body.length > 0 ? 'text/plain' : undefined;
}

export async function pickExchange(manager: ConnectionManager, connectionId: string, vhost: string): Promise<string> {
  const client = await manager.management(connectionId);
  const page = await client.listExchanges(vhost, { pageSize: 500, stats: false, sort: 'name' });
  const items: (vscode.QuickPickItem & { name: string })[] = [
    { label: vscode.l10n.t('(default exchange)'), description: vscode.l10n.t('routes to the queue named by the routing key'), name: '' },
    ...page.items.filter((x) => !x.isDefault && !x.internal).map((x) => ({ label: x.name, description: x.type, name: x.name })),
  ];
  const picked = await vscode.window.showQuickPick(items, { placeHolder: vscode.l10n.t('Publish to which exchange?'), matchOnDescription: true });
  if (!picked) throw cancelled();
  return picked.name;
}

export async function pickQueue(manager: ConnectionManager, connectionId: string, vhost: string): Promise<string> {
  const client = await manager.management(connectionId);
  const page = await client.listQueues(vhost, { pageSize: 500, stats: false, sort: 'name' });
  return pickOrType(page.items.map((q) => ({ label: q.name, description: q.type })), vscode.l10n.t('Target queue (the routing key on the default exchange)'));
}

export async function pickRoutingKey(manager: ConnectionManager, connectionId: string, vhost: string, exchange: string): Promise<string> {
  const client = await manager.management(connectionId);
  let keys: vscode.QuickPickItem[] = [];
  try {
    const bindings = await client.exchangeBindings(vhost, exchange, 'source');
    const seen = new Set<string>();
    keys = bindings
      .filter((b) => !seen.has(b.routingKey) && seen.add(b.routingKey))
      .map((b) => ({ label: b.routingKey, description: vscode.l10n.t('bound to {0} {1}', b.destinationType, b.destination) }));
  } catch (e) {
    if (!isRabbitError(e)) throw e;
    log.warn(`cannot list bindings of ${exchange}: ${e.message}`);
  }
  return pickOrType(keys, vscode.l10n.t('Routing key (type one, or pick a binding key)'), true);
}

/** A quick pick whose typed text is also an answer. */
function pickOrType(items: vscode.QuickPickItem[], placeholder: string, allowEmpty = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const qp = vscode.window.createQuickPick();
    qp.placeholder = placeholder;
    qp.items = items;
    qp.ignoreFocusOut = true;
    let done = false;
    qp.onDidChangeValue((v) => {
      const typed = v && !items.some((i) => i.label === v) ? [{ label: v, description: vscode.l10n.t('typed') }] : [];
      qp.items = [...typed, ...items];
    });
    qp.onDidAccept(() => {
      const value = qp.selectedItems[0]?.label ?? qp.value;
      if (!allowEmpty && value === '') return;
      done = true;
      resolve(value);
      qp.hide();
    });
    qp.onDidHide(() => {
      qp.dispose();
      if (!done) reject(cancelled());
    });
    qp.show();
  });
}

async function pickBody(limit: number): Promise<{ body: Buffer; contentType?: string }> {
  const editor = vscode.window.activeTextEditor;
  type Item = vscode.QuickPickItem & { source: 'editor' | 'selection' | 'file' | 'typed' };
  const items: Item[] = [];
  if (editor && !editor.selection.isEmpty) items.push({ label: `$(selection) ${vscode.l10n.t('Selection in the editor')}`, source: 'selection' });
  if (editor) items.push({ label: `$(file-code) ${vscode.l10n.t('Active editor')}`, description: vscode.workspace.asRelativePath(editor.document.uri), source: 'editor' });
  items.push({ label: `$(folder-opened) ${vscode.l10n.t('A file…')}`, source: 'file' }, { label: `$(edit) ${vscode.l10n.t('Type the body…')}`, source: 'typed' });
  const picked = await vscode.window.showQuickPick(items, { placeHolder: vscode.l10n.t('Message body from') });
  if (!picked) throw cancelled();
  const langType = (id: string | undefined) => (id === 'json' || id === 'jsonc' ? 'application/json' : id === 'xml' ? 'application/xml' : 'text/plain');
  switch (picked.source) {
    case 'selection':
      return { body: Buffer.from(editor!.document.getText(editor!.selection), 'utf8'), contentType: langType(editor!.document.languageId) };
    case 'editor':
      return { body: Buffer.from(editor!.document.getText(), 'utf8'), contentType: langType(editor!.document.languageId) };
    case 'file': {
      const uris = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: vscode.l10n.t('Use as body') });
      if (!uris?.[0]) throw cancelled();
      return { body: await readBodyFile(uris[0].fsPath, limit) };
    }
    case 'typed': {
      const text = await vscode.window.showInputBox({ prompt: vscode.l10n.t('Message body'), ignoreFocusOut: true });
      if (text === undefined) throw cancelled();
      return { body: Buffer.from(text, 'utf8') };
    }
  }
}

const PROPERTY_NAMES = ['contentType', 'contentEncoding', 'persistent', 'priority', 'correlationId', 'replyTo', 'expiration', 'messageId', 'type', 'appId', 'userId', 'timestamp'];

/** One input box: properties and headers as a JSON object, checked as you type. */
async function askProperties(contentType: string | undefined): Promise<{ properties: PublishPropertiesInput; headers?: Record<string, unknown> }> {
  const initial: Record<string, unknown> = { ...(contentType ? { contentType } : {}), persistent: true, headers: {} };
  const validate = (text: string): string | undefined => {
    try {
      splitProperties(text);
      return undefined;
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  };
  const text = await vscode.window.showInputBox({
    title: vscode.l10n.t('Properties and headers'),
    prompt: vscode.l10n.t('JSON: contentType, persistent, priority, correlationId, replyTo, expiration, messageId, type, appId, timestamp (true = now) and headers {…}'),
    value: JSON.stringify(initial),
    ignoreFocusOut: true,
    validateInput: validate,
  });
  if (text === undefined) throw cancelled();
  return splitProperties(text);
}

/** Parses the properties box: known property names plus `headers`. */
export function splitProperties(text: string): { properties: PublishPropertiesInput; headers?: Record<string, unknown> } {
  const value = parseJsonObject('properties', text, '{"contentType": "application/json", "headers": {"x-tenant": "a"}}');
  if (value === undefined) return { properties: {} };
  const { headers, ...rest } = value;
  for (const k of Object.keys(rest)) if (!PROPERTY_NAMES.includes(k)) throw invalidInput(`properties.${k}`, 'is not a message property', 'Put custom values under "headers".');
  if (headers !== undefined && !isObject(headers)) throw invalidInput('headers', 'must be a JSON object of name → value');
  return { properties: rest as PublishPropertiesInput, headers: headers as Record<string, unknown> | undefined };
}

// ---------------------------------------------------------------------------------------------- bulk

export interface PublishBulkArgs {
  connectionId?: string;
  vhost?: string;
  /** Path of the JSON Lines file. */
  file?: string;
  /** Defaults for lines without exchange / routingKey. */
  exchange?: string;
  routingKey?: string;
  quiet?: boolean;
}

export interface PublishBulkResult extends PublishManyResult {
  cancelled: boolean;
}

/** rabbitmq.publishBulk */
export async function publishBulkCommand(manager: ConnectionManager, arg?: unknown): Promise<PublishBulkResult> {
  const args: PublishBulkArgs = isObject(arg) ? (arg as PublishBulkArgs) : {};
  const scopeArg = arg instanceof QueueNode || arg instanceof ExchangeNode ? arg : isObject(arg) && args.connectionId ? { connectionId: args.connectionId, vhost: args.vhost } : undefined;
  const { connectionId, vhost } = await vhostScopeOf(manager, scopeArg);
  manager.assertWritable(connectionId, vscode.l10n.t('publishing'));
  let file = args.file;
  if (file === undefined) {
    if (args.quiet) throw invalidInput('file', 'is missing');
    const uris = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { [vscode.l10n.t('JSON Lines')]: ['jsonl', 'ndjson', 'json', 'txt'] }, openLabel: vscode.l10n.t('Publish') });
    if (!uris?.[0]) throw cancelled();
    file = uris[0].fsPath;
  }
  const defaults: ParseDefaults = { exchange: args.exchange, routingKey: args.routingKey };
  if (arg instanceof QueueNode) defaults.routingKey = arg.name;
  if (arg instanceof ExchangeNode) defaults.exchange = arg.isDefault ? '' : arg.name;
  let messages: PublishOptions[];
  try {
    messages = await readBulkFile(file, defaults);
  } catch (e) {
    // Lines without a routing key: ask once for a default (interactive only).
    if (!(isRabbitError(e, 'INVALID_INPUT') && /\.routingKey$/.test(e.field ?? '') && defaults.routingKey === undefined && !args.quiet)) throw e;
    const rk = await vscode.window.showInputBox({ prompt: vscode.l10n.t('Some lines have no routingKey: routing key to use for them'), ignoreFocusOut: true });
    if (rk === undefined) throw cancelled();
    messages = await readBulkFile(file, { ...defaults, routingKey: rk });
  }
  const session = await manager.session(connectionId, vhost);
  await session.connection();
  const limit = bodyLimit(session);
  messages.forEach((m, i) => {
    const size = Buffer.isBuffer(m.body) ? m.body.length : Buffer.byteLength(m.body);
    if (size > limit) throw invalidInput(`message ${i + 1}.body`, `is ${size} bytes; the limit is ${limit} bytes`);
  });

  const total = messages.length;
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Publishing {0} messages', total), cancellable: true },
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
      return { ...r, cancelled: token.isCancellationRequested && r.published < total };
    },
  );
  const summary = vscode.l10n.t('{0} of {1} messages published to vhost "{2}": {3} confirmed, {4} nacked, {5} unroutable ({6} s).', result.published, total, vhost, result.confirmed, result.nacked, result.returned, (result.elapsedMs / 1000).toFixed(1));
  log.info(`bulk publish from ${file}: ${result.published}/${total} sent, ${result.confirmed} confirmed, ${result.nacked} nacked, ${result.returned} returned${result.cancelled ? ' (cancelled)' : ''}`);
  if (!args.quiet) {
    if (result.cancelled || result.nacked > 0 || result.returned > 0) void vscode.window.showWarningMessage(result.cancelled ? `${vscode.l10n.t('Cancelled.')} ${summary}` : summary);
    else void vscode.window.showInformationMessage(summary);
  }
  if (result.nacked > 0 && result.confirmed === 0) throw new RabbitError('NACKED', summary, { hint: vscode.l10n.t('The queue may be full or the broker short of resources.') });
  return result;
}
