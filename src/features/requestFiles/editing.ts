/**
 * Editing help in request files: parse once per document version, diagnostics (the parser's and, when the
 * file's connection is connected, the broker's: unknown exchange/queue, read-only), CodeLenses per block,
 * completion of broker names and properties, hover on exchanges, folding per block.
 */
import * as vscode from 'vscode';
import { BUILTIN_TEMPLATES, CONTENT_TYPES, blockLenses, brokerDiagnostics, completionAt, propertyLineWords } from '../../core/requestAssist';
import { parseRequestFile, REQUEST_VERBS, type RequestDiagnostic, type RequestFile } from '../../core/requestFile';
import { Commands } from '../../platform/commandIds';
import { logger } from '../../platform/log';
import { FRESH_NAMES_MS, type RequestScopes } from './scope';

const log = logger('requestFiles');
export const LANGUAGE = 'rabbitmq';
const SELECTOR: vscode.DocumentSelector = [{ language: LANGUAGE }];

/** One parse per document version. */
export class ParsedDocuments {
  private readonly cache = new Map<string, { version: number; file: RequestFile }>();

  get(doc: vscode.TextDocument): RequestFile {
    const key = doc.uri.toString();
    const hit = this.cache.get(key);
    if (hit && hit.version === doc.version) return hit.file;
    const file = parseRequestFile(doc.getText());
    this.cache.set(key, { version: doc.version, file });
    return file;
  }

  forget(doc: vscode.TextDocument): void {
    this.cache.delete(doc.uri.toString());
  }
}

function toDiagnostic(d: RequestDiagnostic, source: string): vscode.Diagnostic {
  const diag = new vscode.Diagnostic(new vscode.Range(d.line, d.column, d.line, d.endColumn), `${d.field}: ${d.problem}`, d.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
  diag.source = source;
  diag.code = d.field;
  return diag;
}

export function registerEditing(parsed: ParsedDocuments, scopes: RequestScopes, onConnectionsChanged: vscode.Event<unknown>): vscode.Disposable[] {
  const collection = vscode.languages.createDiagnosticCollection('rabbitmq-requests');
  const timers = new Map<string, NodeJS.Timeout>();
  const lensChanged = new vscode.EventEmitter<void>();

  const refresh = async (doc: vscode.TextDocument): Promise<void> => {
    if (doc.languageId !== LANGUAGE) return;
    const file = parsed.get(doc);
    const version = doc.version;
    const diags = file.diagnostics.map((d) => toDiagnostic(d, 'rabbitmq'));
    collection.set(doc.uri, diags);
    let scope;
    try {
      scope = scopes.known(doc.uri, file);
    } catch (e) {
      if (file.connection) {
        const line = file.connection.line;
        collection.set(doc.uri, [...diags, new vscode.Diagnostic(new vscode.Range(line, 0, line, doc.lineAt(line).text.length), e instanceof Error ? e.message : String(e), vscode.DiagnosticSeverity.Error)]);
      }
      return;
    }
    if (!scope) return;
    let names;
    try {
      names = await scopes.brokerNames(scope);
    } catch (e) {
      log.warn(`broker names for diagnostics: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (doc.isClosed || doc.version !== version) return;
    const extra = brokerDiagnostics(file, names, { readOnly: scope.readOnly, connectionName: scope.connectionName });
    collection.set(doc.uri, [...diags, ...extra.map((d) => toDiagnostic(d, 'rabbitmq (broker)'))]);
  };
  const schedule = (doc: vscode.TextDocument, ms = 150): void => {
    if (doc.languageId !== LANGUAGE) return;
    const key = doc.uri.toString();
    clearTimeout(timers.get(key));
    timers.set(key, setTimeout(() => {
      timers.delete(key);
      void refresh(doc);
    }, ms));
  };
  for (const doc of vscode.workspace.textDocuments) schedule(doc, 0);

  const lenses: vscode.CodeLensProvider = {
    onDidChangeCodeLenses: lensChanged.event,
    provideCodeLenses(doc) {
      const file = parsed.get(doc);
      return blockLenses(file).map((l) => {
        const range = new vscode.Range(l.line, 0, l.line, 0);
        if (l.action === 'copyAsCode') return new vscode.CodeLens(range, { title: vscode.l10n.t('Copy as code'), command: Commands.copyRequestAsCode, arguments: [doc.uri, l.block] });
        const title = l.hasErrors ? vscode.l10n.t('$(error) Fix the errors to run') : runTitle(l.verb, l.repeat);
        return new vscode.CodeLens(range, { title, command: Commands.runRequestBlock, arguments: [doc.uri, l.block] });
      });
    },
  };

  const completion: vscode.CompletionItemProvider = {
    async provideCompletionItems(doc, position) {
      const file = parsed.get(doc);
      const lines = doc.getText().split(/\r?\n/);
      const ctx = completionAt(file, lines, position.line, position.character);
      if (!ctx) return undefined;
      const range = new vscode.Range(position.line, ctx.start, position.line, position.character);
      const item = (label: string, kind: vscode.CompletionItemKind, detail?: string, insert?: string): vscode.CompletionItem => {
        const it = new vscode.CompletionItem(label, kind);
        it.range = range;
        if (detail) it.detail = detail;
        if (insert !== undefined) it.insertText = insert;
        return it;
      };
      const quoted = (name: string): string => (name === '' || /[\s"{}]/.test(name) ? JSON.stringify(name) : name);
      let scope;
      try {
        scope = scopes.known(doc.uri, file);
      } catch {
        scope = undefined;
      }
      const names = scope ? await scopes.brokerNames(scope, FRESH_NAMES_MS)?.catch(() => undefined) : undefined;
      const c = ctx.completion;
      switch (c.kind) {
        case 'verb':
          return REQUEST_VERBS.map((v) => item(v, vscode.CompletionItemKind.Keyword));
        case 'exchange':
          return names ? [...names.exchanges].map(([n, type]) => item(n === '' ? '""' : n, vscode.CompletionItemKind.Module, n === '' ? vscode.l10n.t('default exchange') : type, quoted(n))) : [];
        case 'queue':
          return names ? [...names.queues].map((n) => item(n, vscode.CompletionItemKind.Folder, vscode.l10n.t('queue'), quoted(n))) : [];
        case 'routingKey': {
          if (!scope || !names) return [];
          const keys = await scopes.routingKeys(scope, c.exchange).catch(() => []);
          return keys.map((k) => item(k === '' ? '""' : k, vscode.CompletionItemKind.Value, c.exchange === '' ? vscode.l10n.t('queue') : vscode.l10n.t('binding key'), quoted(k)));
        }
        case 'declareTarget':
          return ['queue', 'exchange'].map((w) => item(w, vscode.CompletionItemKind.Keyword));
        case 'bindTarget':
          return [item('to', vscode.CompletionItemKind.Keyword)];
        case 'exchangeType':
          return ['direct', 'fanout', 'topic', 'headers'].map((w) => item(w, vscode.CompletionItemKind.EnumMember));
        case 'queueType':
          return ['classic', 'quorum', 'stream', 'durable', 'transient', 'exclusive', 'auto-delete'].map((w) => item(w, vscode.CompletionItemKind.EnumMember));
        case 'propertyName':
          return propertyLineWords(c.verb).map((w) => item(w.trim().replace(/:$/, ''), vscode.CompletionItemKind.Property, undefined, w));
        case 'headerName': {
          if (!scope) return [];
          // The queues the block publishes to: the routing key on the default exchange, else the exchange's
          // queue bindings; header names come from messages of those queues that PEEK / CONSUME blocks read.
          let queues: string[] | undefined;
          if (c.exchange === '') queues = [c.routingKey];
          else if (names) queues = (await scopes.exchangeBindings(scope, c.exchange).catch(() => [])).filter((b) => b.destinationType === 'queue').map((b) => b.destination);
          const seen = new Set<string>();
          for (const h of scopes.headersOf(scope, queues?.length ? queues : undefined)) seen.add(h);
          return [...seen].map((h) => item(h, vscode.CompletionItemKind.Field, vscode.l10n.t('header seen on peeked messages'), `${h}: `));
        }
        case 'contentType':
          return CONTENT_TYPES.map((t) => item(t, vscode.CompletionItemKind.Value));
        case 'template':
          return [...c.variables.map((v) => item(v, vscode.CompletionItemKind.Variable)), ...BUILTIN_TEMPLATES.map((b) => item(b, vscode.CompletionItemKind.Function))];
      }
    },
  };

  const hover: vscode.HoverProvider = {
    async provideHover(doc, position) {
      const file = parsed.get(doc);
      const block = file.blocks.find((b) => b.requestLine === position.line);
      const r = block?.request;
      if (!r || (r.verb !== 'PUBLISH' && r.verb !== 'RPC')) return undefined;
      const ex = r.exchange;
      if (position.character < ex.column || position.character > ex.endColumn || !ex.template.isStatic) return undefined;
      let scope;
      try {
        scope = scopes.known(doc.uri, file);
      } catch {
        return undefined;
      }
      if (!scope) return undefined;
      const names = await scopes.brokerNames(scope, FRESH_NAMES_MS)?.catch(() => undefined);
      const name = ex.template.source;
      const type = names?.exchanges.get(name);
      if (!names) return undefined;
      const md = new vscode.MarkdownString();
      md.isTrusted = false;
      md.supportHtml = false;
      if (type === undefined) {
        md.appendText(vscode.l10n.t('Exchange "{0}" does not exist in vhost {1}.', name, scope.vhost));
        return new vscode.Hover(md);
      }
      md.appendText(name === '' ? vscode.l10n.t('Default exchange (direct): the routing key is the queue name.') : vscode.l10n.t('Exchange "{0}" · {1}', name, type));
      if (name !== '') {
        const bindings = await scopes.exchangeBindings(scope, name).catch(() => []);
        md.appendText('\n\n');
        md.appendText(bindings.length ? bindings.map((b) => `→ ${b.destinationType} ${b.destination}${b.routingKey ? ` (${b.routingKey})` : ''}`).join('\n') : vscode.l10n.t('No bindings: messages published here are dropped (or returned when mandatory).'));
      }
      return new vscode.Hover(md, new vscode.Range(position.line, ex.column, position.line, ex.endColumn));
    },
  };

  const folding: vscode.FoldingRangeProvider = {
    provideFoldingRanges(doc) {
      const file = parsed.get(doc);
      const out: vscode.FoldingRange[] = [];
      const seps = file.separators;
      for (let i = 0; i < seps.length; i++) {
        let end = (i + 1 < seps.length ? seps[i + 1] : doc.lineCount) - 1;
        while (end > seps[i] && doc.lineAt(end).isEmptyOrWhitespace) end--;
        if (end > seps[i]) out.push(new vscode.FoldingRange(seps[i], end, vscode.FoldingRangeKind.Region));
      }
      return out;
    },
  };

  return [
    collection,
    lensChanged,
    vscode.languages.registerCodeLensProvider(SELECTOR, lenses),
    vscode.languages.registerCompletionItemProvider(SELECTOR, completion, ' ', '{', '$', '"'),
    vscode.languages.registerHoverProvider(SELECTOR, hover),
    vscode.languages.registerFoldingRangeProvider(SELECTOR, folding),
    vscode.workspace.onDidOpenTextDocument((d) => schedule(d, 0)),
    vscode.workspace.onDidChangeTextDocument((e) => schedule(e.document)),
    vscode.workspace.onDidCloseTextDocument((d) => {
      collection.delete(d.uri);
      parsed.forget(d);
    }),
    onConnectionsChanged(() => {
      for (const d of vscode.workspace.textDocuments) schedule(d, 0);
      lensChanged.fire();
    }),
    // A DECLARE / BIND / PURGE block changed the broker: the unknown-name diagnostics may be gone.
    scopes.onDidInvalidate(() => {
      for (const d of vscode.workspace.textDocuments) schedule(d, 0);
    }),
    { dispose: () => timers.forEach((t) => clearTimeout(t)) },
  ];
}

/** The title of a block's run CodeLens. */
export function runTitle(verb: string, repeat: number): string {
  switch (verb) {
    case 'PUBLISH':
      return repeat > 1 ? vscode.l10n.t('$(play) Publish ×{0}', repeat) : vscode.l10n.t('$(play) Publish');
    case 'PEEK':
      return vscode.l10n.t('$(eye) Peek');
    case 'CONSUME':
      return vscode.l10n.t('$(inbox) Consume');
    case 'RPC':
      return vscode.l10n.t('$(arrow-swap) Call');
    case 'DECLARE':
    case 'BIND':
      return vscode.l10n.t('$(play) Set up');
    case 'PURGE':
      return vscode.l10n.t('$(clear-all) Purge…');
    default:
      return vscode.l10n.t('$(play) Run');
  }
}
