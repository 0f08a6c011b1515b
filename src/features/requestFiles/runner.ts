/**
 * Runs one block of a request file: finds the block (CodeLens: file and block; palette: the cursor), the
 * file's connection and vhost, evaluates the templates with the chosen environment, .env and (only when the
 * file uses it) faker, checks everything, then sends: PUBLISH / DECLARE / BIND / PURGE (asked first) through
 * the core; PEEK in the inspector, CONSUME in the consume panel (with ack|nack|reject the panel takes up to
 * `count` messages and settles each itself), RPC in the RPC panel (its reply view), through their own commands.
 */
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { invalidInput, isRabbitError, RabbitError } from '../../core/errors';
import { requestToCode, type CodeTarget } from '../../core/requestCode';
import { assertAllowed, blockAt, fileUsesFaker, prepareBlock, requestError, runPrepared, type BlockResult, type PreparedRequest, type RequestBlock, type RequestFile } from '../../core/requestFile';
import type { FakerLike } from '../../core/requestTemplates';
import type { PeekResult } from '../../core/peek';
import type { DecodedMessage } from '../../core/message';
import { Commands } from '../../platform/commandIds';
import { logger } from '../../platform/log';
import { cancelled, isObject } from '../../platform/pickers';
import type { ConnectionManager } from '../connections/connectionManager';
import type { ConsumeCommandResult } from '../messaging/consumeCommand';
import type { InspectorPanel } from '../messaging/inspectorPanel';
import { dotenvFor, type Environments } from './environments';
import { LANGUAGE, type ParsedDocuments } from './editing';
import type { Results } from './results';
import type { FileScope, RequestScopes } from './scope';

const log = logger('requestFiles');

/** What a run returns to programmatic callers (tests): the block, where it ran, and what happened. */
export interface RunOutcome {
  block: number;
  verb: string;
  connectionId: string;
  vhost: string;
  /** PUBLISH / DECLARE / BIND / PURGE: the core result; CONSUME with a mode: the messages taken and settled. */
  result?: BlockResult;
  /** PEEK: the inspector's peek. */
  peek?: PeekResult;
  /** PEEK: the inspector panel showing the messages; CONSUME: the consume panel. */
  panel?: InspectorPanel;
  /** RPC: the finished call of the RPC panel. */
  call?: { state: string; rttMs?: number; reply?: { body?: { text?: string } } };
  /** CONSUME: the consume panel was opened. */
  consumePanel?: boolean;
  summary: string;
}

interface Target {
  doc: vscode.TextDocument;
  file: RequestFile;
  block: RequestBlock;
  /** `{ confirm: true }` from code: PURGE runs without asking (the user confirmed elsewhere). */
  confirmed: boolean;
}

export class RequestRunner {
  private faker: { locale: string; faker: FakerLike } | undefined;

  constructor(
    private readonly extension: vscode.ExtensionContext,
    private readonly manager: ConnectionManager,
    private readonly parsed: ParsedDocuments,
    private readonly scopes: RequestScopes,
    private readonly environments: Environments,
    private readonly results: Results,
  ) {}

  /** Arguments: (uri, blockIndex) from a CodeLens, `{ uri, block | line }` from code, nothing from the palette. */
  private async target(a0: unknown, a1: unknown): Promise<Target> {
    let uri: vscode.Uri | undefined;
    let index: number | undefined;
    let line: number | undefined;
    if (a0 instanceof vscode.Uri) {
      uri = a0;
      if (typeof a1 === 'number') index = a1;
    } else if (isObject(a0)) {
      const u = a0.uri;
      uri = u instanceof vscode.Uri ? u : typeof u === 'string' ? vscode.Uri.parse(u) : undefined;
      if (!uri) throw invalidInput('uri', 'is missing', 'Pass the request file as { uri, block } or { uri, line }.');
      if (a0.block !== undefined) {
        if (!Number.isInteger(a0.block)) throw invalidInput('block', 'must be a block number (0-based)');
        index = a0.block as number;
      }
      if (a0.line !== undefined) {
        if (!Number.isInteger(a0.line)) throw invalidInput('line', 'must be a line number (0-based)');
        line = a0.line as number;
      }
    }
    let doc: vscode.TextDocument;
    if (uri) doc = await vscode.workspace.openTextDocument(uri);
    else {
      const editor = vscode.window.activeTextEditor;
      if (!editor || editor.document.languageId !== LANGUAGE) throw new RabbitError('INVALID_INPUT', vscode.l10n.t('Open a .rabbitmq request file and put the cursor in a block.'), { field: 'editor' });
      doc = editor.document;
      line = editor.selection.active.line;
    }
    const file = this.parsed.get(doc);
    const block = index !== undefined ? file.blocks[index] : blockAt(file, line ?? 0);
    if (!block) {
      throw new RabbitError('INVALID_INPUT', index !== undefined ? vscode.l10n.t('The file has no block {0}.', index) : vscode.l10n.t('line {0}: no request here. Put the cursor in a block (PUBLISH, PEEK, CONSUME, RPC, DECLARE, BIND or PURGE).', (line ?? 0) + 1), { field: 'block' });
    }
    return { doc, file, block, confirmed: isObject(a0) && a0.confirm === true };
  }

  private async loadFaker(): Promise<FakerLike> {
    const locale = vscode.workspace.getConfiguration('rabbitmq').get<string>('requestFiles.fakerLocale', 'en');
    if (this.faker?.locale === locale) return this.faker.faker;
    // dist/faker.js is a bundle of its own: required here, at the first use, never at activation.
    const modulePath = join(this.extension.extensionPath, 'dist', 'faker.js');
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a path known only at run time (the bundle ships beside the extension)
    const mod = require(modulePath) as { fakerFor(locale: string): FakerLike };
    this.faker = { locale, faker: mod.fakerFor(locale) };
    return this.faker.faker;
  }

  private async prepare(t: Target, scope: FileScope): Promise<PreparedRequest> {
    assertAllowed(t.block, { readOnly: scope.readOnly, connectionName: scope.connectionName });
    const env = this.environments.values();
    const faker = fileUsesFaker(t.doc.getText()) ? await this.loadFaker() : undefined;
    return prepareBlock(t.file, t.block, {
      ...env,
      dotenv: await dotenvFor(t.doc.uri),
      faker,
      baseDir: t.doc.uri.scheme === 'file' ? dirname(t.doc.uri.fsPath) : undefined,
    });
  }

  /** rabbitmq.runRequestBlock */
  async run(a0?: unknown, a1?: unknown): Promise<RunOutcome> {
    const t = await this.target(a0, a1);
    // A block with errors fails before anything else (no connection quick pick for a block that cannot run).
    const firstError = t.block.diagnostics.find((d) => d.severity === 'error');
    if (firstError) throw requestError(firstError);
    const scope = await this.scopes.resolve(t.doc.uri, t.file);
    const started = new Date();
    try {
      const outcome = await this.execute(t, scope);
      this.record(t, scope, started, true, outcome.summary, details(outcome));
      return outcome;
    } catch (e) {
      if (!isRabbitError(e, 'CANCELLED')) this.record(t, scope, started, false, e instanceof Error ? e.message : String(e), []);
      throw e;
    }
  }

  private async execute(t: Target, scope: FileScope): Promise<RunOutcome> {
    const prepared = await this.prepare(t, scope);
    const base = { block: t.block.index, verb: t.block.verb, connectionId: scope.connectionId, vhost: scope.vhost };
    const where = { connectionId: scope.connectionId, vhost: scope.vhost };
    switch (prepared.verb) {
      case 'PEEK': {
        const r = await vscode.commands.executeCommand<{ result: PeekResult; panel: InspectorPanel }>(Commands.peek, { ...where, queue: prepared.queue, count: prepared.count, ask: true });
        this.rememberHeaders(scope, prepared.queue, r.result.messages);
        const n = r.result.messages.length;
        return { ...base, peek: r.result, panel: r.panel, summary: vscode.l10n.t('{0} message(s) peeked from "{1}" in {2} ms; they stay in the queue', n, prepared.queue, Math.round(r.result.durationMs)) };
      }
      case 'CONSUME': {
        this.manager.assertWritable(scope.connectionId, vscode.l10n.t('consuming with acknowledgements'));
        if (!prepared.mode) {
          const c = await vscode.commands.executeCommand<ConsumeCommandResult>(Commands.consume, { ...where, queue: prepared.queue, prefetch: prepared.count });
          return { ...base, consumePanel: true, panel: c.panel, summary: vscode.l10n.t('Consume panel opened for "{0}"', prepared.queue) };
        }
        // The consume panel takes up to `count` messages and settles each with its own Ack / Nack / Reject.
        const c = await vscode.commands.executeCommand<ConsumeCommandResult>(Commands.consume, { ...where, queue: prepared.queue, settle: prepared.mode, count: prepared.count ?? 1 });
        const messages = c.taken ?? [];
        this.rememberHeaders(scope, prepared.queue, messages);
        const result: BlockResult = { verb: 'CONSUME', queue: prepared.queue, count: prepared.count, mode: prepared.mode, messages };
        return { ...base, consumePanel: true, panel: c.panel, result, summary: summarize(result) };
      }
      case 'RPC': {
        // The RPC panel of this connection and vhost shows the reply; the call itself goes through its runner.
        await vscode.commands.executeCommand(Commands.rpcCall, where);
        const call = await vscode.commands.executeCommand<RunOutcome['call']>(Commands.rpcCall, {
          ...where,
          exchange: prepared.exchange,
          routingKey: prepared.routingKey,
          body: Buffer.isBuffer(prepared.body) ? prepared.body.toString('utf8') : prepared.body,
          properties: { ...prepared.properties },
          headers: prepared.headers,
          timeoutMs: prepared.timeoutMs,
        });
        return { ...base, call, summary: vscode.l10n.t('Reply in {0} ms', Math.round(call?.rttMs ?? 0)) };
      }
      default:
        break;
    }
    const session = await this.manager.session(scope.connectionId, scope.vhost);
    const result = await runPrepared(session, t.block, prepared, {
      readOnly: scope.readOnly,
      connectionName: scope.connectionName,
      confirmPurge: async (queue) => {
        if (t.confirmed) return true;
        const purge = vscode.l10n.t('Purge');
        const answer = await vscode.window.showWarningMessage(vscode.l10n.t('Delete every ready message of "{0}" ({1} · {2})? This cannot be undone.', queue, scope.connectionName, scope.vhost), { modal: true }, purge);
        if (answer !== purge) throw cancelled();
        return true;
      },
    });
    if (result.verb === 'DECLARE' || result.verb === 'BIND' || result.verb === 'PURGE') this.scopes.invalidate(scope);
    return { ...base, result, summary: summarize(result) };
  }

  private rememberHeaders(scope: FileScope, queue: string, messages: DecodedMessage[]): void {
    const key = `${scope.connectionId}\u0000${scope.vhost}\u0000${queue}`;
    let set = this.scopes.headersSeen.get(key);
    if (!set) this.scopes.headersSeen.set(key, (set = new Set()));
    for (const m of messages) for (const h of Object.keys(m.headers)) set.add(h);
  }

  private record(t: Target, scope: FileScope, at: Date, ok: boolean, summary: string, more: string[]): void {
    log.info(`${t.block.verb} (line ${t.block.requestLine + 1}) on ${scope.connectionName}/${scope.vhost}: ${ok ? '' : 'failed: '}${summary}`);
    this.results.add(t.doc.uri, { at, title: t.block.title, line: t.block.requestLine, ok, summary, details: more, connection: scope.connectionName, vhost: scope.vhost });
  }

  /** rabbitmq.copyRequestAsCode: (uri, block) from a CodeLens or `{ uri, block | line, target }`; returns the code. */
  async copyAsCode(a0?: unknown, a1?: unknown): Promise<string> {
    const t = await this.target(a0, a1);
    let target = isObject(a0) ? (a0.target as CodeTarget | undefined) : undefined;
    if (!target) {
      const picked = await vscode.window.showQuickPick(
        [
          { label: 'Python (pika)', target: 'python' as CodeTarget },
          { label: 'JavaScript (amqplib)', target: 'javascript' as CodeTarget },
          { label: 'TypeScript (amqplib)', target: 'typescript' as CodeTarget },
          { label: 'rabbitmqadmin', target: 'rabbitmqadmin' as CodeTarget },
        ],
        { placeHolder: vscode.l10n.t('Copy the block as') },
      );
      if (!picked) throw cancelled();
      target = picked.target;
    }
    let scope: FileScope | undefined;
    try {
      scope = this.scopes.known(t.doc.uri, t.file);
    } catch {
      scope = undefined;
    }
    const prepared = await prepareBlock(t.file, t.block, { ...this.environments.values(), dotenv: await dotenvFor(t.doc.uri), faker: fileUsesFaker(t.doc.getText()) ? await this.loadFaker() : undefined, baseDir: t.doc.uri.scheme === 'file' ? dirname(t.doc.uri.fsPath) : undefined });
    const url = scope ? urlWithoutPassword(this.manager, scope) : 'amqp://guest@localhost:5672/%2F';
    const code = requestToCode(prepared, { target, amqpUrl: url, vhost: scope?.vhost ?? t.file.vhost?.name ?? '/' });
    await vscode.env.clipboard.writeText(code);
    if (!isObject(a0)) void vscode.window.showInformationMessage(vscode.l10n.t('Copied the block as {0}.', target));
    return code;
  }
}

function urlWithoutPassword(manager: ConnectionManager, scope: FileScope): string {
  const r = manager.resolved(scope.connectionId).amqp;
  return `${r.protocol}://${encodeURIComponent(r.username)}@${r.hostname.includes(":") ? `[${r.hostname}]` : r.hostname}:${r.port}/${encodeURIComponent(scope.vhost)}`;
}

function summarize(r: BlockResult): string {
  switch (r.verb) {
    case 'PUBLISH': {
      const routing = r.mandatory ? vscode.l10n.t('{0} unroutable', r.returned) : vscode.l10n.t('routing not checked (add "mandatory")');
      return vscode.l10n.t('{0} published · {1} confirmed · {2} · {3} ms', r.published, r.confirmed, routing, Math.round(r.elapsedMs)) + (r.nacked ? ` · ${vscode.l10n.t('{0} nacked', r.nacked)}` : '');
    }
    case 'PURGE':
      return vscode.l10n.t('{0} message(s) purged from "{1}"', r.purged, r.queue);
    case 'DECLARE':
    case 'BIND':
      return vscode.l10n.t('Done: {0}', r.done.join(', ')) + (r.warnings?.length ? ` · ${vscode.l10n.t('{0} warning(s): see the results', r.warnings.length)}` : '');
    case 'CONSUME':
      return vscode.l10n.t('{0} message(s) consumed from "{1}" ({2})', r.messages?.length ?? 0, r.queue, r.mode ?? '');
    case 'PEEK':
      return vscode.l10n.t('{0} message(s) peeked', r.peek.messages.length);
    case 'RPC':
      return vscode.l10n.t('Reply in {0} ms', Math.round(r.reply.roundTripMs));
  }
}

function details(o: RunOutcome): string[] {
  const bodies = (ms: DecodedMessage[]): string[] => ms.slice(0, 20).map((m) => `#${m.index + 1} ${m.body.text !== undefined ? m.body.text.slice(0, 500) : `(${m.body.size} bytes, binary)`}`);
  if (o.peek) return bodies(o.peek.messages);
  if (o.result?.verb === 'CONSUME' && o.result.messages) return bodies(o.result.messages);
  if (o.call?.reply?.body?.text !== undefined) return [o.call.reply.body.text.slice(0, 2000)];
  if ((o.result?.verb === 'DECLARE' || o.result?.verb === 'BIND') && o.result.warnings) return o.result.warnings.map((w) => `⚠ ${w}`);
  return [];
}
