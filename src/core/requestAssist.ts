/**
 * Editing help for request files, as pure functions the editor feeds with the live broker's names:
 * what kind of word the cursor is on (for completion), the CodeLenses of a file, and the diagnostics that
 * need the broker (unknown exchange or queue, writing on a read-only connection). No vscode import.
 */
import { WRITTEN_PROPERTY_NAMES, WRITING_VERBS, blockAt, type RequestBlock, type RequestDiagnostic, type RequestFile, type RequestVerb } from './requestFile';
import { TEMPLATE_FUNCTIONS } from './requestTemplates';

export type CompletionKind =
  | { kind: 'verb' }
  | { kind: 'exchange' }
  | { kind: 'queue' }
  /** Routing keys of `exchange` (its bindings); for the default exchange, queue names. */
  | { kind: 'routingKey'; exchange: string }
  | { kind: 'declareTarget' }
  | { kind: 'exchangeType' }
  | { kind: 'queueType' }
  | { kind: 'bindTarget' }
  /** Property names, `header`, `persistent`, `mandatory`. */
  | { kind: 'propertyName'; verb: 'PUBLISH' | 'RPC' }
  /** Header names seen on the messages of the queue(s) the block publishes to. */
  | { kind: 'headerName'; exchange: string; routingKey: string }
  | { kind: 'contentType' }
  /** Inside `{{`: variable names and built-ins. */
  | { kind: 'template'; variables: string[] };

export interface CompletionContext {
  completion: CompletionKind;
  /** Column where the word being completed starts (the text between it and the cursor is the prefix). */
  start: number;
}

export const BUILTIN_TEMPLATES: readonly string[] = TEMPLATE_FUNCTIONS.map((f) => '$' + f);
export const CONTENT_TYPES: readonly string[] = ['application/json', 'text/plain', 'application/xml', 'application/octet-stream', 'application/x-protobuf'];

interface Word {
  text: string;
  start: number;
  end: number;
}

function words(line: string, upTo: number): Word[] {
  const out: Word[] = [];
  const re = /"(?:[^"\\]|\\.)*"?|\{\{[^}]*\}?\}?|[^\s]+/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line)) && m.index < upTo) out.push({ text: m[0], start: m.index, end: m.index + m[0].length });
  return out;
}

function unquote(s: string): string {
  if (s.startsWith('"')) {
    try {
      return JSON.parse(s.endsWith('"') && s.length > 1 ? s : s + '"') as string;
    } catch {
      return s.slice(1);
    }
  }
  return s;
}

/** What may be completed at (line, column) of the file's text. Undefined when nothing applies (e.g. in a body). */
export function completionAt(file: RequestFile, lines: string[], line: number, column: number): CompletionContext | undefined {
  const text = lines[line] ?? '';
  const before = text.slice(0, column);
  const open = before.lastIndexOf('{{');
  if (open >= 0 && before.indexOf('}}', open) < 0) {
    return { completion: { kind: 'template', variables: [...file.variables.keys()] }, start: open + 2 + (before.slice(open + 2).length - before.slice(open + 2).trimStart().length) };
  }
  if (/^\s*(#|\/\/|@)/.test(text) || /^###/.test(text)) return undefined;
  const block = blockAt(file, line);
  const ws = words(text, column);
  const atWordEnd = ws.length > 0 && ws[ws.length - 1].end >= column && !/\s$/.test(before);
  const index = atWordEnd ? ws.length - 1 : ws.length;
  const start = atWordEnd ? ws[ws.length - 1].start : column;
  const isRequestLine = !block || block.requestLine === line || (block.verb === 'DECLARE' || block.verb === 'BIND') && /^\s*(DECLARE|BIND)\b/i.test(text);
  if (!block || line < block.requestLine) return index === 0 ? { completion: { kind: 'verb' }, start } : undefined;
  if (isRequestLine) {
    if (index === 0) return { completion: { kind: 'verb' }, start };
    const verb = ws[0].text.toUpperCase() as RequestVerb;
    const arg = (k: number): string => unquote(ws[k]?.text ?? '');
    switch (verb) {
      case 'PUBLISH':
      case 'RPC':
        if (index === 1) return { completion: { kind: 'exchange' }, start };
        if (index === 2) return { completion: { kind: 'routingKey', exchange: arg(1) }, start };
        return undefined;
      case 'PEEK':
      case 'CONSUME':
      case 'PURGE':
        return index === 1 ? { completion: { kind: 'queue' }, start } : undefined;
      case 'DECLARE':
        if (index === 1) return { completion: { kind: 'declareTarget' }, start };
        if (index === 3) return { completion: { kind: arg(1).toLowerCase() === 'queue' ? 'queueType' : 'exchangeType' }, start };
        return undefined;
      case 'BIND':
        if (index === 1) return { completion: { kind: 'declareTarget' }, start };
        if (index === 2) return { completion: { kind: arg(1).toLowerCase() === 'exchange' ? 'exchange' : 'queue' }, start };
        if (index === 3) return { completion: { kind: 'bindTarget' }, start };
        if (index === 4) return { completion: { kind: 'exchange' }, start };
        if (index === 5) return { completion: { kind: 'routingKey', exchange: arg(4) }, start };
        return undefined;
      default:
        return undefined;
    }
  }
  if (block.verb !== 'PUBLISH' && block.verb !== 'RPC') return undefined;
  // Property lines run from the request line to the first blank line.
  for (let k = block.requestLine + 1; k < line; k++) if ((lines[k] ?? '').trim() === '') return undefined;
  const req = words(lines[block.requestLine] ?? '', Infinity);
  const exchange = unquote(req[1]?.text ?? '');
  const routingKey = unquote(req[2]?.text ?? '');
  const header = /^(\s*header\s+)([^:]*)$/i.exec(before);
  if (header) return { completion: { kind: 'headerName', exchange, routingKey }, start: header[1].length };
  const ct = /^(\s*content-type\s*:\s*)(\S*)$/i.exec(before);
  if (ct) return { completion: { kind: 'contentType' }, start: ct[1].length };
  if (/^\s*[\w-]*$/.test(before)) return { completion: { kind: 'propertyName', verb: block.verb }, start: before.length - before.trimStart().length };
  return undefined;
}

/** Words offered for a property line: property names as files write them, then `header` and the flags. */
export function propertyLineWords(verb: 'PUBLISH' | 'RPC'): string[] {
  const props = WRITTEN_PROPERTY_NAMES.filter((n) => n !== 'persistent' && (verb === 'PUBLISH' || (n !== 'reply-to' && n !== 'correlation-id')));
  return [...props.map((n) => `${n}: `), 'header ', 'persistent', 'transient', ...(verb === 'PUBLISH' ? ['mandatory'] : [])];
}

/** A CodeLens of a block: run it, or copy it as code. */
export interface BlockLens {
  block: number;
  line: number;
  action: 'run' | 'copyAsCode';
  verb: RequestVerb;
  /** PUBLISH x N. */
  repeat: number;
  /** The block has errors: the run lens says so and running shows the first one. */
  hasErrors: boolean;
}

const COPYABLE: readonly RequestVerb[] = ['PUBLISH', 'RPC', 'PEEK', 'CONSUME', 'DECLARE', 'BIND', 'PURGE'];

/** The CodeLenses of a file, in block order. */
export function blockLenses(file: RequestFile): BlockLens[] {
  const out: BlockLens[] = [];
  for (const b of file.blocks) {
    const hasErrors = b.diagnostics.some((d) => d.severity === 'error');
    const repeat = b.request?.verb === 'PUBLISH' ? b.request.repeat : 1;
    out.push({ block: b.index, line: b.requestLine, action: 'run', verb: b.verb, repeat, hasErrors });
    if (!hasErrors && b.request && COPYABLE.includes(b.verb)) out.push({ block: b.index, line: b.requestLine, action: 'copyAsCode', verb: b.verb, repeat, hasErrors });
  }
  return out;
}

/** What the broker has, as far as the diagnostics need it. */
export interface BrokerNames {
  /** Exchange name → type. The default exchange is "". */
  exchanges: Map<string, string>;
  queues: Set<string>;
}

function brokerDiag(line: number, column: number, endColumn: number, field: string, problem: string, severity: 'error' | 'warning'): RequestDiagnostic {
  return { line, column, endColumn: Math.max(endColumn, column + 1), field, problem, message: `line ${line + 1}, column ${column + 1}: ${field}: ${problem}`, severity };
}

/** Queues and exchanges the block's own earlier DECLARE lines (anywhere in the file) create. */
function declaredInFile(file: RequestFile): { exchanges: Set<string>; queues: Set<string> } {
  const exchanges = new Set<string>();
  const queues = new Set<string>();
  for (const b of file.blocks) {
    const r = b.request;
    if (!r || (r.verb !== 'DECLARE' && r.verb !== 'BIND')) continue;
    for (const s of r.steps) if (s.kind === 'declare' && s.name.template.isStatic) (s.target === 'queue' ? queues : exchanges).add(s.name.template.source);
  }
  return { exchanges, queues };
}

/**
 * Diagnostics that need the broker: an exchange or queue the broker does not have (a warning when a
 * DECLARE in the file creates it, since running that block first fixes it), and writing blocks on a
 * read-only connection. Names with templates are not checked (their value is known only when run).
 */
export function brokerDiagnostics(file: RequestFile, names: BrokerNames | undefined, opts: { readOnly?: boolean; connectionName?: string } = {}): RequestDiagnostic[] {
  const out: RequestDiagnostic[] = [];
  const declared = declaredInFile(file);
  const check = (b: RequestBlock, kind: 'exchange' | 'queue', t: { template: { isStatic: boolean; source: string }; line: number; column: number; endColumn: number }, field: string): void => {
    if (!names || !t.template.isStatic) return;
    const name = t.template.source;
    const has = kind === 'exchange' ? names.exchanges.has(name) : names.queues.has(name);
    if (has) return;
    const inFile = kind === 'exchange' ? declared.exchanges.has(name) : declared.queues.has(name);
    void b;
    out.push(
      brokerDiag(t.line, t.column, t.endColumn, field, inFile ? `${kind} "${name}" does not exist on the broker yet. Run the DECLARE block of this file first.` : `${kind} "${name}" does not exist on the broker. Check the name, or declare it (DECLARE ${kind} ${name}${kind === 'exchange' ? ' direct' : ''}).`, inFile ? 'warning' : 'error'),
    );
  };
  for (const b of file.blocks) {
    const r = b.request;
    if (opts.readOnly && WRITING_VERBS.includes(b.verb)) {
      out.push(brokerDiag(b.requestLine, 0, (b.verb as string).length, 'connection', `${b.verb} changes the broker, and the connection${opts.connectionName ? ` "${opts.connectionName}"` : ''} is read-only. Use a read-write connection (# @connection), or PEEK.`, 'error'));
    }
    if (!r) continue;
    switch (r.verb) {
      case 'PUBLISH':
      case 'RPC':
        check(b, 'exchange', r.exchange, 'exchange');
        break;
      case 'PEEK':
      case 'CONSUME':
      case 'PURGE':
        check(b, 'queue', r.queue, 'queue');
        break;
      case 'BIND':
      case 'DECLARE':
        for (const s of r.steps) {
          if (s.kind !== 'bind') continue;
          check(b, s.target, s.destination, 'destination');
          check(b, 'exchange', s.source, 'source');
        }
        break;
    }
  }
  return out;
}
