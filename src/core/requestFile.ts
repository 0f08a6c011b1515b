/**
 * Request files (`*.rabbitmq`): blocks separated by `###` lines, each one operation on the broker.
 *
 *     # @connection local            file directives: which saved connection and vhost
 *     # @vhost /
 *     @tenant = acme                 a file variable, used as {{tenant}}
 *
 *     ### Send a task
 *     PUBLISH "" task_queue x 10     exchange ("" = default), routing key, optional repeat count
 *     content-type: application/json
 *     header x-tenant: {{tenant}}
 *     persistent
 *     mandatory
 *                                    a blank line, then the body (or `< ./file.json`)
 *     {"id": "{{$uuid}}", "n": {{$counter}}}
 *
 * Other blocks: `PEEK <queue> [count]`, `CONSUME <queue> [count] [ack|nack|reject]`,
 * `RPC <exchange> <routing-key> [timeout]` (properties and a body like PUBLISH), `DECLARE queue|exchange …`
 * and `BIND queue|exchange <name> to <exchange> [routing-key]` (several per block, each with `name: value`
 * argument lines), `PURGE <queue>`.
 *
 * parseRequestFile() never throws: every problem is a diagnostic with its line, columns and field, and a
 * message that says what to do. prepareBlock() evaluates one block's templates into the exact operation
 * (checked with the same property schema and table rules as the rest of the extension) before anything is
 * sent; runBlock() runs it with the core operations. Pure code: no vscode import.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { RabbitError, isRabbitError } from './errors';
import { parseMessageProperties, PROPERTY_NAMES, type MessagePropertiesInput, type PropertyName } from './messageProperties';
import {
  bindExchange,
  bindQueue,
  declareExchange,
  declareQueue,
  publish,
  publishMany,
  purgeQueue,
  toAmqpTable,
  transientQueueWarning,
  type AmqpTable,
  type DeclareExchangeOptions,
  type DeclareQueueOptions,
  type MessageProperties,
  type PublishManyResult,
  type PublishOptions,
} from './operations';
import { ConsumeSession } from './consume';
import type { DecodedMessage } from './message';
import { MAX_PEEK, peekMessages, type PeekResult } from './peek';
import { RpcClient, type RpcReply } from './rpc';
import type { AmqpSession } from './session';
import { compileTemplate, TemplateError, TemplateScope, type Template, type TemplateScopeOptions, type VariableDefinition } from './requestTemplates';

export type RequestVerb = 'PUBLISH' | 'PEEK' | 'CONSUME' | 'RPC' | 'DECLARE' | 'BIND' | 'PURGE';
export const REQUEST_VERBS: readonly RequestVerb[] = ['PUBLISH', 'PEEK', 'CONSUME', 'RPC', 'DECLARE', 'BIND', 'PURGE'];

/** Verbs that change the broker (refused on read-only connections). Only PEEK reads without changing anything. */
export const WRITING_VERBS: readonly RequestVerb[] = ['PUBLISH', 'CONSUME', 'RPC', 'DECLARE', 'BIND', 'PURGE'];

/** A problem in the file. Lines and columns are 0-based; `message` says where in 1-based terms. */
export interface RequestDiagnostic {
  line: number;
  column: number;
  endColumn: number;
  /** What is at fault: "routingKey", "priority", "header x-tenant", "body", "count" … */
  field: string;
  /** The problem and what to do, without the position. */
  problem: string;
  /** "line 4, column 10: priority: must be …" */
  message: string;
  severity: 'error' | 'warning';
}

/** Text of the file at a position, kept as a template. */
export interface TemplateAt {
  template: Template;
  line: number;
  column: number;
  endColumn: number;
}

export interface PropertyLine {
  /** The schema name (contentType, priority …). */
  name: PropertyName;
  /** As written (content-type). */
  written: string;
  value: TemplateAt;
  line: number;
}

export interface HeaderLine {
  name: string;
  value: TemplateAt;
  line: number;
}

export type BodySource =
  | { kind: 'inline'; text: TemplateAt; startLine: number; endLine: number }
  | { kind: 'file'; path: string; templated: boolean; line: number; column: number; endColumn: number };

export interface MessageSection {
  properties: PropertyLine[];
  headers: HeaderLine[];
  /** `mandatory` line: report unroutable messages. */
  mandatory: boolean;
  body?: BodySource;
}

export interface PublishRequest extends MessageSection {
  verb: 'PUBLISH';
  exchange: TemplateAt;
  routingKey: TemplateAt;
  /** `x N`; 1 when absent. */
  repeat: number;
}

export interface RpcRequest extends MessageSection {
  verb: 'RPC';
  exchange: TemplateAt;
  routingKey: TemplateAt;
  /** Milliseconds; undefined = the RPC client's default (30 s). */
  timeoutMs?: number;
}

export interface PeekRequest {
  verb: 'PEEK';
  queue: TemplateAt;
  count?: number;
}

export type ConsumeMode = 'ack' | 'nack' | 'reject';

export interface ConsumeRequest {
  verb: 'CONSUME';
  queue: TemplateAt;
  count?: number;
  /** What to do with each message; undefined = leave it to the user in the consume panel. */
  mode?: ConsumeMode;
}

export interface ArgumentLine {
  name: string;
  value: TemplateAt;
  line: number;
}

export interface DeclareStep {
  kind: 'declare';
  target: 'queue' | 'exchange';
  name: TemplateAt;
  /** Exchange type (direct, fanout, topic, headers, or a plugin's) or queue type (classic, quorum, stream). */
  type?: string;
  durable?: boolean;
  exclusive?: boolean;
  autoDelete?: boolean;
  internal?: boolean;
  arguments: ArgumentLine[];
  line: number;
}

export interface BindStep {
  kind: 'bind';
  target: 'queue' | 'exchange';
  destination: TemplateAt;
  source: TemplateAt;
  routingKey?: TemplateAt;
  arguments: ArgumentLine[];
  line: number;
}

export interface SetupRequest {
  verb: 'DECLARE' | 'BIND';
  /** Every DECLARE / BIND line of the block, run in order. */
  steps: (DeclareStep | BindStep)[];
}

export interface PurgeRequest {
  verb: 'PURGE';
  queue: TemplateAt;
}

export type Request = PublishRequest | RpcRequest | PeekRequest | ConsumeRequest | SetupRequest | PurgeRequest;

export interface RequestBlock {
  /** 0-based position among the file's blocks. */
  index: number;
  /** Text after `###`, or the request line. */
  title: string;
  /** First line of the block (the `###` line, or 0 for a block before any separator). */
  startLine: number;
  /** Last line of the block (inclusive). */
  endLine: number;
  /** The line of the verb (where the CodeLens goes). */
  requestLine: number;
  verb: RequestVerb;
  /** Undefined when the block has errors. */
  request?: Request;
  diagnostics: RequestDiagnostic[];
}

export interface RequestFile {
  /** `# @connection <name>`. */
  connection?: { name: string; line: number };
  /** `# @vhost <name>`. */
  vhost?: { name: string; line: number };
  variables: Map<string, VariableDefinition & { line: number }>;
  blocks: RequestBlock[];
  /** Every diagnostic of the file (file level and blocks). */
  diagnostics: RequestDiagnostic[];
  /** Lines of `###` separators (for folding and decorations). */
  separators: number[];
}

// ------------------------------------------------------------------------------------------------ parsing

function diag(line: number, column: number, endColumn: number, field: string, problem: string, hint?: string, severity: 'error' | 'warning' = 'error'): RequestDiagnostic {
  const p = hint ? `${problem}. ${hint}` : `${problem}.`;
  return { line, column, endColumn: Math.max(endColumn, column + 1), field, problem: p, message: `line ${line + 1}, column ${column + 1}: ${field}: ${p}`, severity };
}

/** A diagnostic from a RabbitError of the shared validators (their message starts with "field: "). */
function diagFromError(e: unknown, line: number, column: number, endColumn: number, field: string): RequestDiagnostic {
  if (e instanceof TemplateError) return diag(e.pos.line, e.pos.column, e.endColumn, field, e.problem.replace(/\.$/, ''), e.hint?.replace(/\.$/, ''));
  const text = e instanceof Error ? e.message : String(e);
  const own = isRabbitError(e) && e.field ? text.replace(new RegExp(`^${escapeRegExp(e.field)}: `), '') : text;
  return diag(line, column, endColumn, field, own.replace(/\.$/, ''));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

interface Token {
  text: string;
  /** The raw token including quotes. */
  raw: string;
  quoted: boolean;
  column: number;
  endColumn: number;
}

/** Splits a request line into words; `"…"` is one word (JSON string rules); `{{ … }}` never splits. */
function tokenize(line: string, lineNo: number, out: RequestDiagnostic[]): Token[] | undefined {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    const start = i;
    if (c === '"') {
      let j = i + 1;
      while (j < line.length && line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
      if (j >= line.length) {
        out.push(diag(lineNo, start, line.length, 'request line', 'has a quote without its closing quote', 'Close the quoted name with "'));
        return undefined;
      }
      const raw = line.slice(i, j + 1);
      let text: string;
      try {
        text = JSON.parse(raw) as string;
      } catch {
        out.push(diag(lineNo, start, j + 1, 'request line', `has an invalid quoted name ${raw}`, 'Use JSON string escapes, e.g. "a\\"b"'));
        return undefined;
      }
      tokens.push({ text, raw, quoted: true, column: start, endColumn: j + 1 });
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < line.length && line[j] !== ' ' && line[j] !== '\t') {
      if (line.startsWith('{{', j)) {
        const close = line.indexOf('}}', j + 2);
        j = close < 0 ? line.length : close + 2;
      } else j++;
    }
    const raw = line.slice(i, j);
    tokens.push({ text: raw, raw, quoted: false, column: start, endColumn: j });
    i = j;
  }
  return tokens;
}

function templateAt(text: string, line: number, column: number, endColumn: number, field: string, out: RequestDiagnostic[]): TemplateAt | undefined {
  try {
    return { template: text.includes('{{') ? compileTemplate(text, { line, column }) : compileTemplate(text), line, column, endColumn };
  } catch (e) {
    out.push(diagFromError(e, line, column, endColumn, field));
    return undefined;
  }
}

function tokenTemplate(t: Token, line: number, field: string, out: RequestDiagnostic[]): TemplateAt | undefined {
  // Template positions inside a quoted token are off by the quote; close enough to find the placeholder.
  return templateAt(t.text, line, t.quoted ? t.column + 1 : t.column, t.endColumn, field, out);
}

const KEBAB_TO_PROPERTY = new Map<string, PropertyName>();
for (const name of PROPERTY_NAMES) {
  KEBAB_TO_PROPERTY.set(name.toLowerCase(), name);
  KEBAB_TO_PROPERTY.set(name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase()), name);
}

/** content-type → contentType (undefined when the schema does not know the name). */
export function propertyName(written: string): PropertyName | undefined {
  return KEBAB_TO_PROPERTY.get(written.toLowerCase()) ?? KEBAB_TO_PROPERTY.get(written.toLowerCase().replace(/[-_]/g, ''));
}

/** contentType → content-type: how request files write property names. */
export function writtenPropertyName(name: PropertyName): string {
  return name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

/** Property names as request files write them, in the schema's order. */
export const WRITTEN_PROPERTY_NAMES: readonly string[] = PROPERTY_NAMES.map(writtenPropertyName);

/** Converts a property line's text to what the schema takes (booleans, numbers, `now`). */
function propertyInput(name: PropertyName, text: string): unknown {
  const t = text.trim();
  switch (name) {
    case 'persistent':
      return t === 'true' ? true : t === 'false' ? false : t;
    case 'deliveryMode':
      return /^\d+$/.test(t) ? Number(t) : t;
    case 'timestamp':
      return t === 'now' ? true : /^\d+$/.test(t) ? Number(t) : t;
    default:
      return t;
  }
}

const VARIABLE_LINE = /^@([A-Za-z_][\w.-]*)\s*=\s?(.*)$/;
const DIRECTIVE_LINE = /^(?:#|\/\/)\s*@(connection|vhost)\b\s*(.*)$/;
const COMMENT_LINE = /^\s*(#|\/\/)/;
const SEPARATOR_LINE = /^###/;
const PROPERTY_LINE = /^([A-Za-z][\w-]*)\s*:\s?(.*)$/;
const HEADER_LINE = /^header\s+([^:\s][^:]*?)\s*:\s?(.*)$/i;

const MAX_REPEAT = 100_000;
/** CONSUME without a mode opens the consume panel with the count as its prefetch (an AMQP short). */
const MAX_PANEL_PREFETCH = 65_535;

function parseCount(t: Token, line: number, field: string, max: number, out: RequestDiagnostic[]): number | undefined {
  if (!/^\d+$/.test(t.text) || Number(t.text) < 1 || Number(t.text) > max) {
    out.push(diag(line, t.column, t.endColumn, field, `must be a whole number from 1 to ${max} (got "${t.text}")`));
    return undefined;
  }
  return Number(t.text);
}

function parseTimeout(t: Token, line: number, out: RequestDiagnostic[]): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(t.text);
  const ms = m ? Number(m[1]) * (m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : 1) : NaN;
  if (!m || !Number.isInteger(ms) || ms < 1 || ms > 600_000) {
    out.push(diag(line, t.column, t.endColumn, 'timeout', `must be a time from 1 ms to 10 minutes, e.g. 5000, 5000ms, 5s or 1m (got "${t.text}")`));
    return undefined;
  }
  return ms;
}

interface BlockText {
  lines: string[];
  /** File line of lines[0]. */
  first: number;
}

/** Parses a whole file. Never throws. */
export function parseRequestFile(text: string): RequestFile {
  const lines = text.split(/\r?\n/);
  const file: RequestFile = { variables: new Map(), blocks: [], diagnostics: [], separators: [] };
  // Split into segments at ### lines.
  const segments: { start: number; end: number; title: string }[] = [];
  let start = 0;
  let title = '';
  for (let i = 0; i < lines.length; i++) {
    if (SEPARATOR_LINE.test(lines[i])) {
      if (i > start || segments.length || start > 0) segments.push({ start, end: i - 1, title });
      file.separators.push(i);
      start = i;
      title = lines[i].replace(/^#+/, '').trim();
    }
  }
  segments.push({ start, end: lines.length - 1, title });
  for (const seg of segments) parseSegment(file, lines, seg.start, seg.end, seg.title);
  for (const b of file.blocks) file.diagnostics.push(...b.diagnostics);
  file.diagnostics.sort((a, b) => a.line - b.line || a.column - b.column);
  return file;
}

function parseSegment(file: RequestFile, lines: string[], start: number, end: number, title: string): void {
  const out: RequestDiagnostic[] = [];
  let i = SEPARATOR_LINE.test(lines[start] ?? '') ? start + 1 : start;
  // Before the request line: blank lines, comments, directives, variables.
  for (; i <= end; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    const d = DIRECTIVE_LINE.exec(line.trim());
    if (d) {
      directive(file, d[1] as 'connection' | 'vhost', d[2].trim(), i, line, file.diagnostics);
      continue;
    }
    if (COMMENT_LINE.test(line)) continue;
    if (variableLine(file, line, i, file.diagnostics)) continue;
    break;
  }
  if (i > end) return; // no request in this segment (comments and variables only)
  const requestLine = i;
  const tokens = tokenize(lines[i], i, out);
  const verbText = tokens?.[0]?.text ?? '';
  const verb = verbText.toUpperCase() as RequestVerb;
  const block: RequestBlock = { index: file.blocks.length, title: title || lines[i].trim(), startLine: start, endLine: end, requestLine, verb, diagnostics: out };
  file.blocks.push(block);
  if (!tokens) return;
  if (!REQUEST_VERBS.includes(verb)) {
    const lead = lines[i].indexOf(verbText);
    out.push(diag(i, lead, lead + verbText.length, 'request line', `"${verbText}" is not a request`, `Start the block with ${REQUEST_VERBS.join(', ')}; comment lines start with #`));
    return;
  }
  const rest: BlockText = { lines: lines.slice(i + 1, end + 1), first: i + 1 };
  const before = out.length;
  let request: Request | undefined;
  switch (verb) {
    case 'PUBLISH':
    case 'RPC':
      request = parseMessageRequest(file, verb, tokens, i, rest, out);
      break;
    case 'PEEK':
    case 'CONSUME':
    case 'PURGE':
      request = parseQueueRequest(file, verb, tokens, i, rest, out);
      break;
    case 'DECLARE':
    case 'BIND':
      request = parseSetup(file, verb, tokens, i, rest, lines, out);
      break;
  }
  if (request && out.length === before) block.request = request;
  else if (request && out.every((d) => d.severity === 'warning')) block.request = request;
}

function directive(file: RequestFile, kind: 'connection' | 'vhost', value: string, line: number, text: string, out: RequestDiagnostic[]): void {
  const col = text.indexOf('@');
  if (!value) {
    out.push(diag(line, col, text.length, `@${kind}`, 'has no name', kind === 'connection' ? 'Write "# @connection <saved connection name>"' : 'Write "# @vhost <name>", e.g. "# @vhost /"'));
    return;
  }
  const name = value.replace(/^"(.*)"$/, '$1');
  const current = file[kind];
  if (current && current.name !== name) {
    out.push(diag(line, col, text.length, `@${kind}`, `is set twice (line ${current.line + 1} says "${current.name}")`, 'Keep one: it applies to the whole file'));
    return;
  }
  file[kind] = { name, line };
}

function variableLine(file: RequestFile, line: string, lineNo: number, out: RequestDiagnostic[]): boolean {
  const m = VARIABLE_LINE.exec(line);
  if (!m) return false;
  const name = m[1];
  const valueCol = line.length - m[2].length;
  const value = m[2].trimEnd();
  const t = templateAt(value, lineNo, valueCol, line.length, `@${name}`, out);
  const prev = file.variables.get(name);
  if (prev) out.push(diag(lineNo, 0, name.length + 1, `@${name}`, `is defined twice (also on line ${prev.line + 1}); this line wins`, 'Remove one of them', 'warning'));
  if (t) file.variables.set(name, { template: t.template, where: `line ${lineNo + 1}`, line: lineNo });
  return true;
}

function parseMessageRequest(file: RequestFile, verb: 'PUBLISH' | 'RPC', tokens: Token[], lineNo: number, rest: BlockText, out: RequestDiagnostic[]): PublishRequest | RpcRequest | undefined {
  const usage = verb === 'PUBLISH' ? 'PUBLISH <exchange> <routing-key> [x <count>], e.g. PUBLISH "" task_queue' : 'RPC <exchange> <routing-key> [timeout], e.g. RPC "" rpc_queue 5s';
  if (tokens.length < 3) {
    const last = tokens[tokens.length - 1];
    out.push(diag(lineNo, tokens[0].column, last.endColumn, tokens.length < 2 ? 'exchange' : 'routingKey', `is missing`, `Write ${usage}; "" is the default exchange and an empty routing key`));
    return undefined;
  }
  const exchange = tokenTemplate(tokens[1], lineNo, 'exchange', out);
  const routingKey = tokenTemplate(tokens[2], lineNo, 'routingKey', out);
  if (exchange?.template.isStatic) checkShortString(exchange.template.source, lineNo, tokens[1], 'exchange', out);
  if (routingKey?.template.isStatic) checkShortString(routingKey.template.source, lineNo, tokens[2], 'routingKey', out);
  let repeat = 1;
  let timeoutMs: number | undefined;
  const extra = tokens.slice(3);
  if (verb === 'PUBLISH' && extra.length) {
    const m = /^[x×](\d*)$/i.exec(extra[0].text);
    if (m && (m[1] !== '' ? extra.length === 1 : extra.length === 2)) {
      const countTok = m[1] !== '' ? { ...extra[0], text: m[1] } : extra[1];
      repeat = parseCount(countTok, lineNo, 'repeat', MAX_REPEAT, out) ?? 1;
    } else {
      out.push(diag(lineNo, extra[0].column, extra[extra.length - 1].endColumn, 'request line', `has "${extra.map((t) => t.raw).join(' ')}" after the routing key`, `Write ${usage}; quote names with spaces`));
    }
  } else if (verb === 'RPC' && extra.length) {
    if (extra.length > 1) out.push(diag(lineNo, extra[1].column, extra[extra.length - 1].endColumn, 'request line', `has "${extra.slice(1).map((t) => t.raw).join(' ')}" after the timeout`, `Write ${usage}`));
    timeoutMs = parseTimeout(extra[0], lineNo, out);
  }
  const section = parseMessageSection(file, verb, rest, out);
  if (!exchange || !routingKey) return undefined;
  return verb === 'PUBLISH' ? { verb, exchange, routingKey, repeat, ...section } : { verb, exchange, routingKey, timeoutMs, ...section };
}

function checkShortString(value: string, line: number, t: Pick<Token, 'column' | 'endColumn'>, field: string, out: RequestDiagnostic[]): void {
  if (value.length * 3 > 255 && Buffer.byteLength(value, 'utf8') > 255) {
    out.push(diag(line, t.column, t.endColumn, field, `is ${Buffer.byteLength(value, 'utf8')} bytes long; AMQP allows at most 255 bytes (UTF-8)`, 'Shorten it; put long data in headers or the body'));
  }
}

const RPC_RESERVED = {
  replyTo: 'The RPC client sets reply-to itself (direct reply-to); remove the line.',
  correlationId: 'The RPC client sets correlation-id itself to match the reply; remove the line.',
};

function parseMessageSection(file: RequestFile, verb: 'PUBLISH' | 'RPC', rest: BlockText, out: RequestDiagnostic[]): MessageSection {
  const section: MessageSection = { properties: [], headers: [], mandatory: false };
  let i = 0;
  const seen = new Map<string, number>();
  const once = (key: string, line: number, col: number, end: number, field: string): boolean => {
    const prev = seen.get(key);
    if (prev !== undefined) {
      out.push(diag(line, col, end, field, `is set twice (also on line ${prev + 1})`, 'Keep one of them'));
      return false;
    }
    seen.set(key, line);
    return true;
  };
  for (; i < rest.lines.length; i++) {
    const lineNo = rest.first + i;
    const raw = rest.lines[i];
    const line = raw.trim();
    const lead = raw.length - raw.trimStart().length;
    if (line === '') {
      i++;
      break;
    }
    if (COMMENT_LINE.test(raw)) {
      const d = DIRECTIVE_LINE.exec(line);
      if (d) directive(file, d[1] as 'connection' | 'vhost', d[2].trim(), lineNo, raw, out);
      continue;
    }
    if (variableLine(file, raw, lineNo, out)) continue;
    const flag = line.toLowerCase();
    if (flag === 'persistent' || flag === 'transient') {
      if (once('persistent', lineNo, lead, raw.length, 'persistent')) section.properties.push({ name: 'persistent', written: flag, value: { template: compileTemplate(flag === 'persistent' ? 'true' : 'false'), line: lineNo, column: lead, endColumn: raw.length }, line: lineNo });
      continue;
    }
    if (flag === 'mandatory') {
      if (verb === 'RPC') out.push(diag(lineNo, lead, raw.length, 'mandatory', 'is always on for RPC requests (an unroutable request fails at once)', 'Remove the line', 'warning'));
      else section.mandatory = true;
      continue;
    }
    const h = HEADER_LINE.exec(line);
    if (h) {
      const name = h[1];
      const valueCol = raw.length - h[2].length - (raw.length - raw.trimEnd().length);
      if (!once(`header:${name}`, lineNo, lead, raw.length, `header ${name}`)) continue;
      if (name.length * 3 > 128 && Buffer.byteLength(name, 'utf8') > 128) {
        out.push(diag(lineNo, lead, raw.length, `header ${name}`, 'has a name longer than 128 bytes', 'Shorten the header name'));
        continue;
      }
      const value = templateAt(h[2].trim(), lineNo, valueCol, raw.trimEnd().length, `header ${name}`, out);
      if (value) section.headers.push({ name, value, line: lineNo });
      continue;
    }
    const p = PROPERTY_LINE.exec(line);
    if (p) {
      const written = p[1];
      const valueText = p[2].trim();
      const valueCol = lead + line.length - p[2].length + (p[2].length - p[2].trimStart().length);
      const name = propertyName(written);
      if (!name) {
        // The shared schema decides which names exist; its message names the property.
        let problem = `"${written}" is not an AMQP message property`;
        try {
          parseMessageProperties({ [written]: valueText }, { field: written });
        } catch (e) {
          if (isRabbitError(e)) problem = e.message.replace(/^[^:]*: /, '').replace(/\.\s.*$/, '').replace(/\.$/, '');
        }
        out.push(diag(lineNo, lead, lead + written.length, written, problem, `Known properties: ${WRITTEN_PROPERTY_NAMES.join(', ')}. For a custom value write "header ${written}: ${valueText}"`));
        continue;
      }
      if (!once(name === 'deliveryMode' ? 'persistent' : name, lineNo, lead, raw.length, written)) continue;
      const value = templateAt(valueText, lineNo, valueCol, raw.trimEnd().length, written, out);
      if (!value) continue;
      if (value.template.isStatic) {
        const e = staticPropertyError(verb, name, written, valueText);
        if (e) {
          out.push(diagFromError(e, lineNo, valueCol, raw.trimEnd().length, written));
          continue;
        }
      } else if (verb === 'RPC' && (name === 'replyTo' || name === 'correlationId')) {
        out.push(diag(lineNo, lead, raw.length, written, 'cannot be set here', RPC_RESERVED[name].replace(/\.$/, '')));
        continue;
      }
      section.properties.push({ name, written, value, line: lineNo });
      continue;
    }
    if (/^[[{"]/.test(line) || /^</.test(line)) {
      out.push(diag(lineNo, lead, raw.length, 'body', 'starts without a blank line before it', 'Leave one blank line between the property lines and the body'));
    } else {
      out.push(diag(lineNo, lead, raw.length, 'property line', `"${line}" is not a property line`, 'Write "name: value" (e.g. content-type: application/json), "header name: value", "persistent" or "mandatory"; leave a blank line before the body'));
    }
  }
  // The body: everything after the blank line up to the block's end, without trailing blank lines
  // and without comment lines at the end (those usually describe the next block).
  const last = trailingEnd(rest.lines, i);
  let firstBody = i;
  while (firstBody <= last && rest.lines[firstBody].trim() === '') firstBody++;
  if (firstBody > last) return finishSection(section, verb, out);
  const firstLine = rest.lines[firstBody];
  const fileRef = /^<(@)?\s+(.+?)\s*$/.exec(firstLine);
  if (fileRef) {
    const lineNo = rest.first + firstBody;
    for (let k = firstBody + 1; k <= last; k++) {
      if (rest.lines[k].trim() !== '' && !COMMENT_LINE.test(rest.lines[k])) {
        out.push(diag(rest.first + k, 0, rest.lines[k].length, 'body', `has text after "< ${fileRef[2]}"`, 'A body is either a file reference or inline text: remove the extra lines or the "<" line'));
        break;
      }
    }
    const col = firstLine.indexOf(fileRef[2]);
    section.body = { kind: 'file', path: fileRef[2], templated: fileRef[1] === '@', line: lineNo, column: col, endColumn: firstLine.length };
    return finishSection(section, verb, out);
  }
  const text = rest.lines.slice(firstBody, last + 1).join('\n');
  const startLine = rest.first + firstBody;
  const t = templateAt(text, startLine, 0, firstLine.length, 'body', out);
  if (t) section.body = { kind: 'inline', text: t, startLine, endLine: rest.first + last };
  return finishSection(section, verb, out);
}

/**
 * The last body line: trailing blank lines are dropped, and so is a last run of comment lines that a blank
 * line separates from the body (a note about the block, not part of the message).
 */
function trailingEnd(lines: string[], from: number): number {
  let last = lines.length - 1;
  for (;;) {
    while (last >= from && lines[last].trim() === '') last--;
    let k = last;
    while (k >= from && COMMENT_LINE.test(lines[k])) k--;
    if (k < last && k >= from && lines[k].trim() === '') last = k;
    else if (k < from && k < last) return from - 1;
    else return last;
  }
}

function isJsonContentType(ct: string | undefined): boolean {
  return !!ct && /^application\/(?:[\w.+-]*\+)?json\b|\/json\b|\+json\b/i.test(ct.trim());
}

/**
 * The shared schema's verdict on a property line without templates (undefined = valid). Files repeat the
 * same lines (content-type: application/json) in block after block: each distinct line is checked once.
 */
const propertyVerdicts = new Map<string, unknown>();
function staticPropertyError(verb: 'PUBLISH' | 'RPC', name: PropertyName, written: string, valueText: string): unknown {
  const key = `${verb}\u0000${written}\u0000${valueText}`;
  if (propertyVerdicts.has(key)) return propertyVerdicts.get(key);
  let verdict: unknown;
  try {
    parseMessageProperties({ [name]: propertyInput(name, valueText) }, { field: written, reserved: verb === 'RPC' ? RPC_RESERVED : undefined });
  } catch (e) {
    verdict = e;
  }
  if (propertyVerdicts.size >= 2000) propertyVerdicts.clear();
  propertyVerdicts.set(key, verdict);
  return verdict;
}

/** Static checks that need the whole section: persistent vs delivery-mode, JSON bodies. */
function finishSection(section: MessageSection, verb: 'PUBLISH' | 'RPC', out: RequestDiagnostic[]): MessageSection {
  const ct = section.properties.find((p) => p.name === 'contentType');
  if (ct?.value.template.isStatic && isJsonContentType(ct.value.template.source) && section.body?.kind === 'inline') {
    // Placeholders become 0, which keeps valid JSON valid whether they stand for a number or sit in a string.
    const b = section.body.text.template;
    const probe = b.parts.map((p) => (typeof p === 'string' ? p : '0')).join('');
    const problem = jsonProblem(probe);
    if (problem) {
      const { line, column } = offsetToPos(probe, problem.offset, section.body.startLine);
      out.push(diag(line, column, column + 1, 'body', `is not valid JSON (${problem.message}) but content-type is ${ct.value.template.source}`, 'Fix the JSON, or change content-type (e.g. text/plain)'));
    }
  }
  void verb;
  return section;
}

function offsetToPos(text: string, offset: number, firstLine: number): { line: number; column: number } {
  let line = firstLine;
  let col = 0;
  for (let k = 0; k < offset && k < text.length; k++) {
    if (text[k] === '\n') {
      line++;
      col = 0;
    } else col++;
  }
  return { line, column: col };
}

/** The JSON parse error with its offset, or undefined when the text is valid JSON. */
export function jsonProblem(text: string): { message: string; offset: number } | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const m = /position (\d+)/.exec(message);
    const offset = m ? Number(m[1]) : Math.max(0, text.length - 1);
    const short = message
      .replace(/^(Unexpected|Expected)/, (s) => s.toLowerCase())
      .replace(/, (?:\.\.\.)?".*$/s, '')
      .replace(/ in JSON at position \d+.*$/s, '')
      .replace(/\s*\(line \d+ column \d+\)$/, '');
    return { message: short, offset };
  }
}

function parseQueueRequest(file: RequestFile, verb: 'PEEK' | 'CONSUME' | 'PURGE', tokens: Token[], lineNo: number, rest: BlockText, out: RequestDiagnostic[]): Request | undefined {
  const usage = verb === 'PEEK' ? 'PEEK <queue> [count]' : verb === 'CONSUME' ? 'CONSUME <queue> [count] [ack|nack|reject]' : 'PURGE <queue>';
  trailingLines(file, verb, rest, out, usage);
  if (tokens.length < 2) {
    out.push(diag(lineNo, tokens[0].column, tokens[0].endColumn, 'queue', 'is missing', `Write ${usage}`));
    return undefined;
  }
  const queue = tokenTemplate(tokens[1], lineNo, 'queue', out);
  if (queue?.template.isStatic) {
    if (queue.template.source === '') out.push(diag(lineNo, tokens[1].column, tokens[1].endColumn, 'queue', 'is empty', 'Name the queue'));
    else checkShortString(queue.template.source, lineNo, tokens[1], 'queue', out);
  }
  const extra = tokens.slice(2);
  if (verb === 'PURGE') {
    if (extra.length) out.push(diag(lineNo, extra[0].column, extra[extra.length - 1].endColumn, 'request line', `has "${extra.map((t) => t.raw).join(' ')}" after the queue`, `Write ${usage}`));
    return queue && { verb, queue };
  }
  let count: number | undefined;
  let mode: ConsumeMode | undefined;
  for (const t of extra) {
    const word = t.text.toLowerCase();
    if (/^\d+$/.test(t.text) && count === undefined) count = parseCount(t, lineNo, 'count', verb === 'PEEK' ? MAX_PEEK : 100_000, out);
    else if (verb === 'CONSUME' && (word === 'ack' || word === 'nack' || word === 'reject') && mode === undefined) mode = word;
    else out.push(diag(lineNo, t.column, t.endColumn, verb === 'PEEK' ? 'count' : 'request line', `"${t.raw}" is not expected here`, `Write ${usage}`));
  }
  if (verb === 'CONSUME' && mode === undefined && count !== undefined && count > MAX_PANEL_PREFETCH) {
    const t = extra.find((x) => /^\d+$/.test(x.text))!;
    out.push(diag(lineNo, t.column, t.endColumn, 'count', `must be at most ${MAX_PANEL_PREFETCH} without ack|nack|reject: it is how many messages the consume panel holds unacknowledged (got ${count})`, 'Lower it, or add ack, nack or reject to take the messages here'));
  }
  if (!queue) return undefined;
  return verb === 'PEEK' ? { verb, queue, count } : { verb, queue, count, mode };
}

/** PEEK / CONSUME / PURGE take nothing after the request line but comments and variables. */
function trailingLines(file: RequestFile, verb: RequestVerb, rest: BlockText, out: RequestDiagnostic[], usage: string): void {
  for (let k = 0; k < rest.lines.length; k++) {
    const raw = rest.lines[k];
    if (raw.trim() === '') continue;
    if (COMMENT_LINE.test(raw)) {
      const d = DIRECTIVE_LINE.exec(raw.trim());
      if (d) directive(file, d[1] as 'connection' | 'vhost', d[2].trim(), rest.first + k, raw, out);
      continue;
    }
    if (variableLine(file, raw, rest.first + k, out)) continue;
    out.push(diag(rest.first + k, 0, raw.length, 'line', `${verb} takes no property lines or body ("${raw.trim()}")`, `Write ${usage}, and start the next request with a ### line`));
    return;
  }
}

const EXCHANGE_FLAGS = ['durable', 'transient', 'auto-delete', 'internal'];
const QUEUE_FLAGS = ['durable', 'transient', 'auto-delete', 'exclusive'];
const QUEUE_TYPES = ['classic', 'quorum', 'stream'];

function parseSetup(file: RequestFile, verb: 'DECLARE' | 'BIND', tokens: Token[], lineNo: number, rest: BlockText, _all: string[], out: RequestDiagnostic[]): SetupRequest | undefined {
  const steps: (DeclareStep | BindStep)[] = [];
  const first = parseStep(tokens, lineNo, out);
  if (first) steps.push(first);
  let current: DeclareStep | BindStep | undefined = first;
  let ok = !!first;
  for (let k = 0; k < rest.lines.length; k++) {
    const raw = rest.lines[k];
    const lineNo2 = rest.first + k;
    const line = raw.trim();
    if (line === '') continue;
    if (COMMENT_LINE.test(raw)) {
      const d = DIRECTIVE_LINE.exec(line);
      if (d) directive(file, d[1] as 'connection' | 'vhost', d[2].trim(), lineNo2, raw, out);
      continue;
    }
    if (variableLine(file, raw, lineNo2, out)) continue;
    const word = line.split(/\s/)[0].toUpperCase();
    if (word === 'DECLARE' || word === 'BIND') {
      const toks = tokenize(raw, lineNo2, out);
      const step = toks ? parseStep(toks, lineNo2, out) : undefined;
      if (step) steps.push(step);
      else ok = false;
      current = step;
      continue;
    }
    const p = /^([^:\s][^:]*?)\s*:\s?(.*)$/.exec(line);
    if (p && current) {
      const lead = raw.length - raw.trimStart().length;
      const valueCol = lead + line.length - p[2].length;
      if (current.arguments.some((a) => a.name === p[1])) {
        out.push(diag(lineNo2, lead, raw.length, p[1], 'is set twice', 'Keep one of them'));
        continue;
      }
      const value = templateAt(p[2].trim(), lineNo2, valueCol, raw.trimEnd().length, p[1], out);
      if (value) current.arguments.push({ name: p[1], value, line: lineNo2 });
      continue;
    }
    if (p) continue; // arguments of a step that already failed
    if (REQUEST_VERBS.includes(word as RequestVerb)) {
      out.push(diag(lineNo2, 0, raw.length, 'line', `${word} cannot share a block with ${verb}`, 'Start it in its own block with a ### line'));
    } else {
      out.push(diag(lineNo2, 0, raw.length, 'line', `"${line}" is not a DECLARE or BIND line or an argument`, 'Write arguments as "name: value" under their DECLARE or BIND line, e.g. x-message-ttl: 60000'));
    }
  }
  return ok && steps.length ? { verb, steps } : undefined;
}

function parseStep(tokens: Token[], lineNo: number, out: RequestDiagnostic[]): DeclareStep | BindStep | undefined {
  const verb = tokens[0].text.toUpperCase();
  const target = tokens[1]?.text.toLowerCase();
  if (verb === 'DECLARE') {
    const usage = 'DECLARE exchange <name> <direct|fanout|topic|headers> [durable|transient] [auto-delete] [internal], or DECLARE queue <name> [classic|quorum|stream] [durable|transient] [exclusive] [auto-delete]';
    if ((target !== 'queue' && target !== 'exchange') || tokens.length < 3) {
      const t = tokens[1] ?? tokens[0];
      out.push(diag(lineNo, t.column, tokens[tokens.length - 1].endColumn, target === 'queue' || target === 'exchange' ? 'name' : 'kind', target === 'queue' || target === 'exchange' ? 'is missing' : `must be "queue" or "exchange" (got "${tokens[1]?.raw ?? ''}")`, `Write ${usage}`));
      return undefined;
    }
    const name = tokenTemplate(tokens[2], lineNo, 'name', out);
    if (!name) return undefined;
    const step: DeclareStep = { kind: 'declare', target, name, arguments: [], line: lineNo };
    const flags = target === 'queue' ? QUEUE_FLAGS : EXCHANGE_FLAGS;
    let bad = false;
    for (const t of tokens.slice(3)) {
      const w = t.text.toLowerCase();
      if (flags.includes(w)) {
        if (w === 'durable' || w === 'transient') step.durable = w === 'durable';
        if (w === 'auto-delete') step.autoDelete = true;
        if (w === 'exclusive') step.exclusive = true;
        if (w === 'internal') step.internal = true;
      } else if (step.type === undefined && (target === 'exchange' || QUEUE_TYPES.includes(w))) {
        step.type = target === 'queue' ? w : t.text;
      } else {
        out.push(diag(lineNo, t.column, t.endColumn, target === 'queue' ? 'queue option' : 'exchange option', `"${t.raw}" is not expected here`, `Write ${usage}`));
        bad = true;
      }
    }
    if (target === 'queue' && step.durable === false && !step.exclusive) {
      // Still accepted by 3.x and by 4.x as shipped; a 4.x broker that denies the deprecated feature closes the connection.
      const t = tokens.slice(3).find((x) => x.text.toLowerCase() === 'transient')!;
      const warning = transientQueueWarning(name.template.isStatic ? name.template.source : '{{…}}', { durable: false, exclusive: false });
      if (warning) out.push(diag(lineNo, t.column, t.endColumn, 'queue option', warning.replace(/\.$/, ''), undefined, 'warning'));
    }
    if (target === 'exchange' && step.type === undefined) {
      out.push(diag(lineNo, tokens[2].column, tokens[2].endColumn, 'type', 'is missing', 'Give the exchange type after its name: direct, fanout, topic or headers'));
      bad = true;
    }
    return bad ? undefined : step;
  }
  const usage = 'BIND queue <queue> to <exchange> [routing-key], or BIND exchange <destination> to <source> [routing-key]';
  if ((target !== 'queue' && target !== 'exchange') || tokens.length < 5 || tokens[3].text.toLowerCase() !== 'to' || tokens.length > 6) {
    const t = tokens[1] ?? tokens[0];
    out.push(diag(lineNo, t.column, tokens[tokens.length - 1].endColumn, 'request line', `"${tokens.map((x) => x.raw).join(' ')}" is not a binding`, `Write ${usage}`));
    return undefined;
  }
  const destination = tokenTemplate(tokens[2], lineNo, 'destination', out);
  const source = tokenTemplate(tokens[4], lineNo, 'source', out);
  const routingKey = tokens[5] ? tokenTemplate(tokens[5], lineNo, 'routingKey', out) : undefined;
  if (!destination || !source || (tokens[5] && !routingKey)) return undefined;
  if (routingKey?.template.isStatic) checkShortString(routingKey.template.source, lineNo, tokens[5], 'routingKey', out);
  return { kind: 'bind', target, destination, source, routingKey, arguments: [], line: lineNo };
}

// ---------------------------------------------------------------------------------------------- evaluation

/** Which block the cursor is in: the block whose lines contain `line` (undefined between blocks' text). */
export function blockAt(file: RequestFile, line: number): RequestBlock | undefined {
  return file.blocks.find((b) => line >= b.startLine && line <= b.endLine);
}

export interface PrepareContext extends Omit<TemplateScopeOptions, 'fileVariables'> {
  /** Folder of the request file: `< ./file.json` is read relative to it. */
  baseDir?: string;
  /** Reads a body file; default node:fs readFile. */
  readFile?: (path: string) => Promise<Buffer>;
}

/** The exact operation a block runs, with every template evaluated and every value checked. */
export type PreparedRequest =
  | { verb: 'PUBLISH'; messages: PublishOptions[]; mandatory: boolean; lines: number[] }
  | { verb: 'RPC'; exchange: string; routingKey: string; body: Buffer | string; properties: MessageProperties; headers?: AmqpTable; timeoutMs?: number }
  | { verb: 'PEEK'; queue: string; count?: number }
  | { verb: 'CONSUME'; queue: string; count?: number; mode?: ConsumeMode }
  | { verb: 'PURGE'; queue: string }
  | { verb: 'DECLARE' | 'BIND'; steps: PreparedStep[] };

export type PreparedStep =
  | { kind: 'declare-exchange'; options: DeclareExchangeOptions; line: number }
  | { kind: 'declare-queue'; options: DeclareQueueOptions; line: number }
  | { kind: 'bind-queue' | 'bind-exchange'; destination: string; source: string; routingKey: string; arguments?: AmqpTable; line: number };

/** An INVALID_INPUT error naming the line, column and field. */
export function requestError(d: RequestDiagnostic): RabbitError {
  const err = new RabbitError('INVALID_INPUT', d.message, { field: d.field });
  Object.assign(err, { line: d.line, column: d.column, endColumn: d.endColumn });
  return err;
}

function fail(line: number, column: number, endColumn: number, field: string, e: unknown): never {
  throw requestError(diagFromError(e, line, column, endColumn, field));
}

function render(scope: TemplateScope, t: TemplateAt, field: string): string {
  try {
    return scope.render(t.template);
  } catch (e) {
    fail(t.line, t.column, t.endColumn, field, e);
  }
}

/**
 * Evaluates a block: templates rendered (`x N` renders N messages, `$counter` 1…N), body files read,
 * properties and headers checked with the shared schema, JSON bodies checked when content-type says JSON.
 * Throws RabbitError INVALID_INPUT naming the line and field; nothing has been sent then.
 */
export async function prepareBlock(file: RequestFile, block: RequestBlock, ctx: PrepareContext = {}): Promise<PreparedRequest> {
  const firstError = block.diagnostics.find((d) => d.severity === 'error');
  if (firstError) throw requestError(firstError);
  const fileLevel = file.diagnostics.find((d) => d.severity === 'error' && !block.diagnostics.includes(d));
  if (fileLevel && fileLevel.line < block.startLine) throw requestError(fileLevel);
  const req = block.request;
  if (!req) throw new RabbitError('INVALID_INPUT', `line ${block.requestLine + 1}: the request could not be read.`, { field: 'request line' });
  const scope = new TemplateScope({ ...ctx, fileVariables: file.variables });
  switch (req.verb) {
    case 'PUBLISH':
      return preparePublishBlock(req, scope, ctx);
    case 'RPC': {
      const m = prepareMessage(req, scope, true, await bodyOf(req, ctx), {});
      return { verb: 'RPC', exchange: m.exchange, routingKey: m.routingKey, body: m.body, properties: m.properties, headers: m.headers, timeoutMs: req.timeoutMs };
    }
    case 'PEEK':
      return { verb: 'PEEK', queue: queueName(scope, req.queue), count: req.count };
    case 'CONSUME':
      return { verb: 'CONSUME', queue: queueName(scope, req.queue), count: req.count, mode: req.mode };
    case 'PURGE':
      return { verb: 'PURGE', queue: queueName(scope, req.queue) };
    case 'DECLARE':
    case 'BIND':
      return { verb: req.verb, steps: req.steps.map((s) => prepareStep(s, scope)) };
  }
}

function queueName(scope: TemplateScope, t: TemplateAt): string {
  const name = render(scope, t, 'queue');
  if (name === '') fail(t.line, t.column, t.endColumn, 'queue', new Error('is empty. Name the queue'));
  if (Buffer.byteLength(name, 'utf8') > 255) fail(t.line, t.column, t.endColumn, 'queue', new Error(`is ${Buffer.byteLength(name, 'utf8')} bytes long; AMQP allows at most 255 bytes (UTF-8)`));
  return name;
}

interface BodyCache {
  file?: { raw: Buffer; template?: Template };
}

async function loadBody(b: Extract<BodySource, { kind: 'file' }>, ctx: PrepareContext, cache: BodyCache): Promise<NonNullable<BodyCache['file']>> {
  if (cache.file) return cache.file;
  if (!isAbsolute(b.path) && !ctx.baseDir) fail(b.line, b.column, b.endColumn, 'body', new Error(`refers to "${b.path}", but the request file has no folder (it is not saved). Save the file, or use an absolute path`));
  const path = isAbsolute(b.path) ? b.path : resolvePath(ctx.baseDir!, b.path);
  let raw: Buffer;
  try {
    raw = await (ctx.readFile ?? readFile)(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    fail(b.line, b.column, b.endColumn, 'body', new Error(`cannot read "${b.path}" (${code === 'ENOENT' ? 'no such file' : code ?? (e instanceof Error ? e.message : String(e))}). The path is relative to the request file's folder`));
  }
  let template: Template | undefined;
  if (b.templated) {
    try {
      template = compileTemplate(raw.toString('utf8'));
    } catch (e) {
      const te = e as TemplateError;
      fail(b.line, b.column, b.endColumn, 'body', new Error(`${b.path}, line ${te.pos.line + 1}, column ${te.pos.column + 1}: ${te.problem}`));
    }
  }
  cache.file = { raw, template };
  return cache.file;
}

interface RenderedMessage {
  exchange: string;
  routingKey: string;
  body: Buffer | string;
  properties: MessageProperties;
  headers?: AmqpTable;
}

interface LoadedBody {
  raw: Buffer;
  template?: Template;
}

/** Parts of a block that are the same for every message (no templates): computed and checked once. */
interface StaticParts {
  properties?: MessageProperties;
  headers?: AmqpTable | null;
  /** The body has no template and was checked once. */
  body?: Buffer | string;
}

/** Renders one message of a PUBLISH / RPC block and checks it; `counter` is already set in the scope. */
function prepareMessage(req: PublishRequest | RpcRequest, scope: TemplateScope, isRpc: boolean, loaded: LoadedBody | undefined, statics: StaticParts): RenderedMessage {
  const exchange = req.exchange.template.isStatic ? req.exchange.template.source : render(scope, req.exchange, 'exchange');
  const routingKey = req.routingKey.template.isStatic ? req.routingKey.template.source : render(scope, req.routingKey, 'routingKey');
  if (!req.exchange.template.isStatic) checkRendered(exchange, req.exchange, 'exchange');
  if (!req.routingKey.template.isStatic) checkRendered(routingKey, req.routingKey, 'routingKey');
  let properties = statics.properties;
  if (!properties) {
    const input: Record<string, unknown> = {};
    for (const p of req.properties) input[p.name] = propertyInput(p.name, p.value.template.isStatic ? p.value.template.source : render(scope, p.value, p.written));
    try {
      properties = parseMessageProperties(input as MessagePropertiesInput, { field: 'properties', reserved: isRpc ? RPC_RESERVED : undefined });
    } catch (e) {
      const name = isRabbitError(e) ? (e.field ?? '').replace(/^properties\./, '') : '';
      const p = req.properties.find((x) => x.name === name) ?? req.properties[0];
      if (!p) throw e;
      const err = isRabbitError(e) ? new RabbitError('INVALID_INPUT', e.message.replace(/^properties\.(\w+)/, (_, n: string) => writtenPropertyName(n as PropertyName)), { field: p.written }) : e;
      fail(p.line, p.value.column, p.value.endColumn, p.written, err);
    }
    if (req.properties.every((p) => p.value.template.isStatic)) statics.properties = properties;
  }
  let headers: AmqpTable | undefined;
  if (statics.headers !== undefined) headers = statics.headers ?? undefined;
  else if (req.headers.length) {
    const h: Record<string, string> = {};
    for (const x of req.headers) h[x.name] = render(scope, x.value, `header ${x.name}`);
    try {
      headers = toAmqpTable('headers', h) as AmqpTable;
    } catch (e) {
      const name = isRabbitError(e) ? (e.field ?? '').replace(/^headers\./, '') : '';
      const x = req.headers.find((y) => y.name === name) ?? req.headers[0];
      fail(x.line, x.value.column, x.value.endColumn, `header ${x.name}`, e);
    }
    if (req.headers.every((x) => x.value.template.isStatic)) statics.headers = headers;
  } else statics.headers = null;
  if (statics.body !== undefined) return { exchange, routingKey, body: statics.body, properties, headers };
  let body: Buffer | string = '';
  const b = req.body;
  if (b?.kind === 'inline') body = render(scope, b.text, 'body');
  else if (b?.kind === 'file' && loaded) {
    if (loaded.template) {
      try {
        body = scope.render(loaded.template);
      } catch (e) {
        const te = e as TemplateError;
        fail(b.line, b.column, b.endColumn, 'body', new Error(`${b.path}, line ${(te.pos?.line ?? 0) + 1}: ${te.problem ?? String(e)}`));
      }
    } else body = loaded.raw;
  }
  if (isJsonContentType(properties.contentType)) {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    const problem = jsonProblem(text);
    if (problem) {
      if (b?.kind === 'inline') {
        const pos = offsetToPos(text, problem.offset, b.startLine);
        fail(pos.line, pos.column, pos.column + 1, 'body', new Error(`is not valid JSON after its templates (${problem.message}) but content-type is ${properties.contentType}. Fix the JSON, or change content-type`));
      }
      const at = b?.kind === 'file' ? b : { line: req.exchange.line, column: 0, endColumn: 1 };
      fail(at.line, at.column, at.endColumn, 'body', new Error(`${b?.kind === 'file' ? `(${b.path}) ` : ''}is not valid JSON (${problem.message}) but content-type is ${properties.contentType}. Fix the JSON, or change content-type`));
    }
  }
  const bodyStatic = !b || (b.kind === 'inline' ? b.text.template.isStatic : !loaded?.template);
  const contentTypeStatic = !req.properties.some((p) => p.name === 'contentType' && !p.value.template.isStatic);
  if (bodyStatic && contentTypeStatic) statics.body = body;
  return { exchange, routingKey, body, properties, headers };
}

function checkRendered(v: string, t: TemplateAt, field: string): void {
  if (v.length * 3 > 255 && Buffer.byteLength(v, 'utf8') > 255) fail(t.line, t.column, t.endColumn, field, new Error(`is ${Buffer.byteLength(v, 'utf8')} bytes long after its templates; AMQP allows at most 255 bytes (UTF-8)`));
}

async function bodyOf(req: PublishRequest | RpcRequest, ctx: PrepareContext): Promise<LoadedBody | undefined> {
  return req.body?.kind === 'file' ? loadBody(req.body, ctx, {}) : undefined;
}

async function preparePublishBlock(req: PublishRequest, scope: TemplateScope, ctx: PrepareContext): Promise<PreparedRequest> {
  const loaded = await bodyOf(req, ctx);
  const statics: StaticParts = {};
  const messages: PublishOptions[] = new Array(req.repeat);
  for (let k = 0; k < req.repeat; k++) {
    if (k > 0) scope.next();
    const m = prepareMessage(req, scope, false, loaded, statics);
    const o: PublishOptions = Object.assign({}, m.properties) as PublishOptions;
    if (m.headers) o.headers = m.headers;
    o.exchange = m.exchange;
    o.routingKey = m.routingKey;
    o.body = m.body;
    o.mandatory = req.mandatory;
    messages[k] = o;
  }
  return { verb: 'PUBLISH', messages, mandatory: req.mandatory, lines: [req.exchange.line] };
}

/** Argument values: whole numbers and true/false become numbers and booleans; "quoted" stays a string. */
export function argumentValue(text: string): string | number | boolean {
  const t = text.trim();
  if (/^-?\d{1,15}$/.test(t)) return Number(t);
  if (t === 'true' || t === 'false') return t === 'true';
  if (/^"(?:[^"\\]|\\.)*"$/.test(t)) {
    try {
      return JSON.parse(t) as string;
    } catch {
      return t;
    }
  }
  return t;
}

function prepareStep(s: DeclareStep | BindStep, scope: TemplateScope): PreparedStep {
  const args: Record<string, unknown> = {};
  for (const a of s.arguments) args[a.name] = argumentValue(render(scope, a.value, a.name));
  const checkedArgs = (): AmqpTable | undefined => {
    if (!s.arguments.length) return undefined;
    try {
      return toAmqpTable('arguments', args) as AmqpTable;
    } catch (e) {
      const a = s.arguments[0];
      fail(a.line, a.value.column, a.value.endColumn, a.name, e);
    }
  };
  if (s.kind === 'declare') {
    const name = render(scope, s.name, 'name');
    if (s.target === 'exchange') {
      const options: DeclareExchangeOptions = { name, type: s.type ?? '', durable: s.durable, autoDelete: s.autoDelete, internal: s.internal, arguments: checkedArgs() };
      return { kind: 'declare-exchange', options, line: s.line };
    }
    const options: DeclareQueueOptions = { name, type: s.type as DeclareQueueOptions['type'], durable: s.durable, exclusive: s.exclusive, autoDelete: s.autoDelete, arguments: checkedArgs() };
    return { kind: 'declare-queue', options, line: s.line };
  }
  return {
    kind: s.target === 'queue' ? 'bind-queue' : 'bind-exchange',
    destination: render(scope, s.destination, 'destination'),
    source: render(scope, s.source, 'source'),
    routingKey: s.routingKey ? render(scope, s.routingKey, 'routingKey') : '',
    arguments: checkedArgs(),
    line: s.line,
  };
}

// ---------------------------------------------------------------------------------------------- running

export type BlockResult =
  | { verb: 'PUBLISH'; published: number; confirmed: number; nacked: number; returned: number; mandatory: boolean; elapsedMs: number }
  | { verb: 'RPC'; reply: RpcReply }
  | { verb: 'PEEK'; peek: PeekResult }
  | { verb: 'PURGE'; queue: string; purged: number }
  | { verb: 'DECLARE' | 'BIND'; done: string[]; /** Deprecated features the broker still accepted (transient shared queues). */ warnings?: string[] }
  | { verb: 'CONSUME'; queue: string; count?: number; mode?: ConsumeMode; messages?: DecodedMessage[] };

export interface RunOptions {
  /** CONSUME with ack/nack/reject: stop after this long without a message; default 1500 ms. */
  consumeIdleMs?: number;
  /** The connection is read-only: everything but PEEK is refused before anything is sent. */
  readOnly?: boolean;
  /** Name of the connection, for the read-only message. */
  connectionName?: string;
  /** Asked before PURGE; false cancels. Without it PURGE is refused. */
  confirmPurge?: (queue: string) => Promise<boolean>;
  /** A shared RPC client (the extension keeps one per session); default a fresh one, closed after the call. */
  rpcClient?: RpcClient;
}

/** Refuses a writing block on a read-only connection. */
export function assertAllowed(block: RequestBlock, opts: RunOptions): void {
  if (opts.readOnly && WRITING_VERBS.includes(block.verb)) {
    throw new RabbitError('READ_ONLY', `line ${block.requestLine + 1}: ${block.verb} changes the broker, and the connection${opts.connectionName ? ` "${opts.connectionName}"` : ''} is read-only.`, {
      hint: 'Run it on a read-write connection (# @connection), or use PEEK, which only reads.',
    });
  }
}

/**
 * Runs a prepared block with the core operations. CONSUME without a mode is not run here: it needs the
 * consume panel (the result only tells what to open); with a mode it takes and settles the messages here (the
 * editor opens the consume panel instead, which settles them through its own Ack / Nack / Reject). PURGE asks
 * `confirmPurge` first.
 */
export async function runPrepared(session: AmqpSession, block: RequestBlock, prepared: PreparedRequest, opts: RunOptions = {}): Promise<BlockResult> {
  assertAllowed(block, opts);
  switch (prepared.verb) {
    case 'PUBLISH': {
      const started = performance.now();
      if (prepared.messages.length === 1) {
        const r = await publish(session, prepared.messages[0]);
        return { verb: 'PUBLISH', published: 1, confirmed: 1, nacked: 0, returned: r.routed ? 0 : 1, mandatory: prepared.mandatory, elapsedMs: performance.now() - started };
      }
      let r: PublishManyResult;
      try {
        r = await publishMany(session, prepared.messages, { mandatory: prepared.mandatory });
      } catch (e) {
        if (isRabbitError(e, 'INVALID_INPUT')) {
          const m = /^messages\[(\d+)\]\.(.*)$/.exec(e.field ?? '');
          throw new RabbitError('INVALID_INPUT', `line ${block.requestLine + 1}: message ${m ? Number(m[1]) + 1 : '?'} of ${prepared.messages.length}: ${e.message.replace(/^messages\[\d+\]\./, '')}`, { field: m?.[2] ?? e.field });
        }
        throw e;
      }
      return { verb: 'PUBLISH', published: r.published, confirmed: r.confirmed, nacked: r.nacked, returned: r.returned, mandatory: prepared.mandatory, elapsedMs: r.elapsedMs };
    }
    case 'RPC': {
      const client = opts.rpcClient ?? new RpcClient(session);
      try {
        const reply = await client.call({ exchange: prepared.exchange, routingKey: prepared.routingKey, body: prepared.body, properties: prepared.properties, headers: prepared.headers, timeoutMs: prepared.timeoutMs });
        return { verb: 'RPC', reply };
      } finally {
        if (!opts.rpcClient) await client.close();
      }
    }
    case 'PEEK':
      return { verb: 'PEEK', peek: await peekMessages(session, prepared.queue, { count: prepared.count }) };
    case 'PURGE': {
      if (!opts.confirmPurge) throw new RabbitError('CANCELLED', `line ${block.requestLine + 1}: PURGE deletes every ready message of "${prepared.queue}" and needs a confirmation.`, { hint: 'Run it from the editor, which asks first.' });
      if (!(await opts.confirmPurge(prepared.queue))) throw new RabbitError('CANCELLED', `PURGE of "${prepared.queue}" cancelled; nothing was deleted.`);
      return { verb: 'PURGE', queue: prepared.queue, purged: await purgeQueue(session, prepared.queue) };
    }
    case 'DECLARE':
    case 'BIND': {
      const done: string[] = [];
      const warnings: string[] = [];
      for (const s of prepared.steps) {
        try {
          if (s.kind === 'declare-exchange') {
            await declareExchange(session, s.options);
            done.push(`exchange "${s.options.name}" (${s.options.type})`);
          } else if (s.kind === 'declare-queue') {
            const q = await declareQueue(session, s.options);
            done.push(`queue "${q.queue}"`);
            if (q.warning) warnings.push(`line ${s.line + 1}: ${q.warning}`);
          } else {
            const b = { destination: s.destination, source: s.source, routingKey: s.routingKey, arguments: s.arguments };
            await (s.kind === 'bind-queue' ? bindQueue(session, b) : bindExchange(session, b));
            done.push(`${s.kind === 'bind-queue' ? 'queue' : 'exchange'} "${s.destination}" ← "${s.source}"${s.routingKey ? ` (${s.routingKey})` : ''}`);
          }
        } catch (e) {
          if (isRabbitError(e)) {
            const prefix = `line ${s.line + 1}: `;
            throw new RabbitError(e.code, prefix + e.message, { field: e.field, replyCode: e.replyCode, httpStatus: e.httpStatus, brokerText: e.brokerText, cause: e });
          }
          throw e;
        }
      }
      return warnings.length ? { verb: prepared.verb, done, warnings } : { verb: prepared.verb, done };
    }
    case 'CONSUME': {
      if (!prepared.mode) return { verb: 'CONSUME', queue: prepared.queue, count: prepared.count };
      const messages = await consumeAndSettle(session, prepared.queue, prepared.count ?? 1, prepared.mode, opts.consumeIdleMs ?? 1500);
      return { verb: 'CONSUME', queue: prepared.queue, count: prepared.count, mode: prepared.mode, messages };
    }
  }
}

/**
 * Takes up to `count` messages from a queue and settles each as it arrives (ack, nack with requeue, or
 * reject without requeue = dead-letter); stops after `count` or when no message came for `idleMs`.
 */
export async function consumeAndSettle(session: AmqpSession, queue: string, count: number, mode: ConsumeMode, idleMs: number): Promise<DecodedMessage[]> {
  const consumer = new ConsumeSession(session);
  const got: DecodedMessage[] = [];
  // nack-with-requeue would put a message back at the head of the queue and get it again at once: nack
  // mode holds the messages and nacks them all together at the end (they return in their order).
  const prefetch = Math.min(count, 1000);
  try {
    await new Promise<void>((resolve, reject) => {
      let idle = setTimeout(resolve, idleMs);
      consumer.on('closed', (info) => reject(info.error ?? new RabbitError('CHANNEL_CLOSED', `The consumer of "${queue}" was closed.`)));
      consumer.on('cancelled', (info) => reject(new RabbitError('CANCELLED', `The broker cancelled the consumer of "${queue}": ${info.reason}`)));
      consumer.on('message', (m) => {
        if (got.length >= count) {
          if (mode !== 'nack') consumer.nack(m.tag, true);
          return;
        }
        got.push(m.decoded);
        if (mode === 'ack') consumer.ack(m.tag);
        else if (mode === 'reject') consumer.reject(m.tag, false);
        clearTimeout(idle);
        if (got.length >= count) resolve();
        else idle = setTimeout(resolve, idleMs);
      });
      consumer.start(queue, { prefetch }).catch(reject);
    });
    if (mode === 'nack') consumer.nackAll(true);
  } finally {
    await consumer.stop().catch(() => undefined);
  }
  return got;
}

/** prepareBlock + runPrepared: checks everything first, then sends. */
export async function runBlock(session: AmqpSession, file: RequestFile, block: RequestBlock, ctx: PrepareContext = {}, opts: RunOptions = {}): Promise<BlockResult> {
  assertAllowed(block, opts);
  const prepared = await prepareBlock(file, block, ctx);
  return runPrepared(session, block, prepared, opts);
}

/** True when any template of the file calls $faker (so the caller loads faker first). */
export function fileUsesFaker(text: string): boolean {
  return /\{\{\s*\$faker\b/.test(text);
}
