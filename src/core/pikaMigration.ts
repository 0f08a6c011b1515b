/**
 * Finds pika 0.x calls in Python source (the API of most RabbitMQ tutorials on the web, removed in pika 1.0)
 * and computes their pika 1.x rewrite. Pure text in → findings out, so the editor side (src/features/codegen/pikaDiagnostics.ts) only maps
 * them to diagnostics and quick fixes. Calls may span several lines; strings and comments are skipped.
 *
 * Detected:
 * - basic_consume(callback, queue=…) / consumer_callback= / no_ack=   → basic_consume(queue=…, on_message_callback=…, auto_ack=…)
 * - basic_get(…, no_ack=…)                                            → auto_ack=
 * - exchange_declare(…, type=…)                                       → exchange_type=
 * - queue_declare(exclusive=True) without a queue                     → queue_declare(queue='', exclusive=True)
 * - basic_publish(…, immediate=…)                                     → argument removed (RabbitMQ never supported it)
 * - connection.add_timeout(…)                                         → call_later(…)
 * - basic_qos(…, all_channels=…)                                      → argument removed (per-consumer prefetch)
 *
 * And declares that RabbitMQ 4.x refuses (transient non-exclusive queues are a deprecated feature; a broker
 * that denies it closes the whole connection with 541):
 * - queue_declare(queue='q') / durable=False, not exclusive             → durable=True
 * - queue_declare(queue='') / no queue, neither durable nor exclusive   → exclusive=True (a private server-named queue)
 * - basic_qos(…, global_qos=True) (global QoS is deprecated too)       → argument removed (per-consumer prefetch)
 */

export type PikaCode =
  | 'pika-0x-basic-consume'
  | 'pika-0x-no-ack'
  | 'pika-0x-exchange-type'
  | 'pika-0x-queue-declare-queue'
  | 'pika-0x-immediate'
  | 'pika-0x-add-timeout'
  | 'pika-0x-all-channels'
  | 'pika-transient-queue'
  | 'pika-transient-server-named-queue'
  | 'pika-global-qos';

export interface TextPosition {
  /** 0-based line. */
  line: number;
  /** 0-based UTF-16 column (as in VS Code). */
  character: number;
}

export interface TextRange {
  start: TextPosition;
  end: TextPosition;
}

export interface PikaFinding {
  code: PikaCode;
  message: string;
  /** From the method name to the closing parenthesis. */
  range: TextRange;
  /** Offsets of `range` in the text. */
  startOffset: number;
  endOffset: number;
  /** The pika 1.x text that replaces `range`. */
  replacement: string;
  /** Short title for the quick fix. */
  fixTitle: string;
  /** The fix also adds exclusive=True (an anonymous queue that would be transient and shared). */
  madeExclusive?: boolean;
}

interface Arg {
  /** Keyword name, or undefined for a positional argument. */
  name?: string;
  /** The value text (for keywords: after "="), trimmed, comments removed. */
  value: string;
  starred: boolean;
}

type Method = 'basic_consume' | 'basic_get' | 'exchange_declare' | 'queue_declare' | 'basic_publish' | 'add_timeout' | 'basic_qos';

/** All pika 0.x calls in `text`, in text order. */
export function findPikaIssues(text: string): PikaFinding[] {
  const code = codeMask(text);
  const lines = lineStarts(text);
  const defs = definedFunctions(text);
  const out: PikaFinding[] = [];
  const re = /\.\s*(basic_consume|basic_get|exchange_declare|queue_declare|basic_publish|add_timeout|basic_qos)\s*\(/g;
  for (const m of text.matchAll(re)) {
    const dot = m.index ?? 0;
    if (code[dot] !== CODE) continue;
    const method = m[1] as Method;
    const nameStart = text.indexOf(method, dot);
    const open = dot + m[0].length - 1;
    const close = matchingParen(text, code, open);
    if (close < 0) continue;
    const parsed = parseArgs(text, code, open + 1, close);
    const fix = rewrite(method, parsed.args, defs);
    if (!fix) continue;
    const multiline = text.slice(open, close).includes('\n');
    const argsText = method === 'add_timeout' ? text.slice(open + 1, close) : formatArgs(fix.args, multiline ? continuationIndent(text, open, close) : undefined, text.slice(open + 1, close));
    const replacement = `${fix.name ?? method}(${argsText})`;
    out.push({
      code: fix.code,
      message: fix.message,
      fixTitle: fix.title,
      startOffset: nameStart,
      endOffset: close + 1,
      range: { start: position(lines, nameStart), end: position(lines, close + 1) },
      replacement,
      ...(fix.madeExclusive ? { madeExclusive: true } : {}),
    });
  }
  return out;
}

/** Applies the given findings (default: all) to the text; overlapping ones after the first are skipped. */
export function applyPikaFixes(text: string, findings: PikaFinding[] = findPikaIssues(text)): string {
  const sorted = [...findings].sort((a, b) => a.startOffset - b.startOffset);
  let out = '';
  let at = 0;
  for (const f of sorted) {
    if (f.startOffset < at) continue;
    out += text.slice(at, f.startOffset) + f.replacement;
    at = f.endOffset;
  }
  return out + text.slice(at);
}

/** Rewrites until no finding is left (a rewrite may reveal another in a nested call). */
export function migratePikaSource(text: string): string {
  let current = text;
  for (let i = 0; i < 5; i++) {
    const findings = findPikaIssues(current);
    if (findings.length === 0) break;
    current = applyPikaFixes(current, findings);
  }
  return current;
}

// ---------------------------------------------------------------------------------------------------------

interface Fix {
  code: PikaCode;
  message: string;
  title: string;
  args: Arg[];
  name?: string;
  madeExclusive?: boolean;
}

const CONSUME_POSITIONAL_0X = ['consumer_callback', 'queue', 'no_ack', 'exclusive', 'consumer_tag', 'arguments'];

function rewrite(method: Method, args: Arg[], defs: Set<string>): Fix | undefined {
  if (args.some((a) => a.starred)) return undefined;
  const kw = new Map(args.filter((a) => a.name).map((a) => [a.name as string, a.value]));
  const positional = args.filter((a) => !a.name).map((a) => a.value);
  switch (method) {
    case 'basic_consume': {
      let old = kw.has('consumer_callback');
      if (!old && positional.length > 0 && !kw.has('on_message_callback') && !isStringLiteral(positional[0])) {
        old = kw.has('queue') || kw.has('no_ack') || (positional.length >= 2 && isStringLiteral(positional[1])) || isKnownFunction(positional[0], defs);
      }
      if (old) {
        const named = new Map<string, string>();
        positional.forEach((v, i) => {
          if (i < CONSUME_POSITIONAL_0X.length) named.set(CONSUME_POSITIONAL_0X[i], v);
        });
        for (const a of args) if (a.name) named.set(a.name, a.value);
        const callback = named.get('consumer_callback') ?? named.get('on_message_callback');
        if (callback === undefined) return undefined;
        const out: Arg[] = [
          { name: 'queue', value: named.get('queue') ?? "''", starred: false },
          { name: 'on_message_callback', value: callback, starred: false },
        ];
        const autoAck = autoAckFrom(named.get('no_ack') ?? named.get('auto_ack'));
        if (autoAck !== undefined) out.push({ name: 'auto_ack', value: autoAck, starred: false });
        for (const [name, value] of named) {
          if (['consumer_callback', 'on_message_callback', 'queue', 'no_ack', 'auto_ack'].includes(name)) continue;
          out.push({ name, value, starred: false });
        }
        return {
          code: 'pika-0x-basic-consume',
          message:
            'pika 0.x call: basic_consume(callback, queue=…, no_ack=…) was removed in pika 1.0 and fails with a TypeError. ' +
            'Use basic_consume(queue=…, on_message_callback=callback, auto_ack=…).',
          title: 'Rewrite as pika 1.x basic_consume(queue=…, on_message_callback=…)',
          args: out,
        };
      }
      if (kw.has('no_ack')) return noAckFix('basic_consume', args);
      return undefined;
    }
    case 'basic_get':
      return kw.has('no_ack') ? noAckFix('basic_get', args) : undefined;
    case 'exchange_declare':
      if (!kw.has('type') || kw.has('exchange_type')) return undefined;
      return {
        code: 'pika-0x-exchange-type',
        message: 'pika 0.x argument: exchange_declare(type=…) was renamed exchange_type= in pika 1.0 (type= fails with a TypeError).',
        title: 'Rename type= to exchange_type=',
        args: args.map((a) => (a.name === 'type' ? { ...a, name: 'exchange_type' } : a)),
      };
    case 'queue_declare': {
      if (positional.length > 1) return undefined; // pika 0.x and 1.x disagree on what follows the first one
      const transient = transientNonExclusive(kw);
      if (positional.length === 0 && !kw.has('queue')) {
        // pika 0.x's anonymous queue: name it '' and, when it would be transient and shared, make it exclusive.
        return {
          code: 'pika-0x-queue-declare-queue',
          message:
            "pika 0.x call: queue_declare() without a queue name fails in pika 1.x (queue is required). " +
            "Pass queue='' to let the broker name the queue." +
            (transient ? ' ' + TRANSIENT_SERVER_NAMED : ''),
          title: transient ? "Add queue='' and exclusive=True (private server-named queue)" : "Add queue='' (server-named queue)",
          args: [{ name: 'queue', value: "''", starred: false }, ...(transient ? withFlag(args, 'exclusive') : args)],
          ...(transient ? { madeExclusive: true } : {}),
        };
      }
      if (!transient) return undefined;
      const name = positional[0] ?? kw.get('queue') ?? '';
      if (name === "''" || name === '""') {
        return { code: 'pika-transient-server-named-queue', message: TRANSIENT_SERVER_NAMED, title: 'Make the queue exclusive (exclusive=True)', args: withFlag(args, 'exclusive') };
      }
      return {
        code: 'pika-transient-queue',
        message:
          'queue_declare() without durable=True or exclusive=True declares a transient non-exclusive queue, a deprecated feature: ' +
          'RabbitMQ 4.x brokers that deny it close the connection (541). Declare it durable=True (or exclusive=True if only this connection uses it).',
        title: 'Declare the queue durable (durable=True)',
        args: withFlag(args, 'durable'),
      };
    }
    case 'basic_publish':
      if (!kw.has('immediate')) return undefined;
      return {
        code: 'pika-0x-immediate',
        message: 'pika 0.x argument: basic_publish(immediate=…) was removed in pika 1.0 (RabbitMQ never supported it).',
        title: 'Remove immediate=',
        args: args.filter((a) => a.name !== 'immediate'),
      };
    case 'basic_qos':
      if (kw.has('all_channels')) {
        return {
          code: 'pika-0x-all-channels',
          message:
            'pika 0.x argument: basic_qos(all_channels=…) was removed in pika 1.0 (it fails with a TypeError). Its pika 1.x name, global_qos=True, is a deprecated ' +
            'feature that RabbitMQ 4.x brokers denying it refuse by closing the connection (541): the prefetch applies to each consumer, which is the same for one consumer per channel.',
          title: 'Remove all_channels= (per-consumer prefetch)',
          args: args.filter((a) => a.name !== 'all_channels'),
        };
      }
      if (kw.get('global_qos') !== 'True') return undefined;
      return {
        code: 'pika-global-qos',
        message:
          'basic_qos(global_qos=True) asks for global QoS, a deprecated feature: RabbitMQ 4.x brokers that deny it close the connection (541). ' +
          'Leave global_qos out: the prefetch then applies to each consumer, which is the same for one consumer per channel.',
        title: 'Remove global_qos=True (per-consumer prefetch)',
        args: args.filter((a) => a.name !== 'global_qos'),
      };
    case 'add_timeout':
      return {
        code: 'pika-0x-add-timeout',
        message: 'pika 0.x call: connection.add_timeout(…) was renamed call_later(…) in pika 1.0.',
        title: 'Rename add_timeout to call_later',
        args,
        name: 'call_later',
      };
  }
}

const TRANSIENT_SERVER_NAMED =
  'A server-named queue that is neither durable nor exclusive is a transient non-exclusive queue, a deprecated feature: ' +
  'RabbitMQ 4.x brokers that deny it close the connection (541). Declare it exclusive=True (private to this connection, deleted with it).';

/**
 * True when a queue_declare's keywords make a transient (durable=False, the default) non-exclusive queue.
 * Passive declares create nothing; values that are not literals (variables) are not guessed at.
 */
function transientNonExclusive(kw: Map<string, string>): boolean {
  const flag = (name: string): boolean | undefined => {
    const v = kw.get(name);
    if (v === undefined || v === 'False' || v === '0') return false;
    if (v === 'True' || v === '1') return true;
    return undefined;
  };
  const passive = flag('passive');
  if (passive !== false) return false;
  return flag('durable') === false && flag('exclusive') === false;
}

/** The arguments with `name=True` (replacing its value if given). */
function withFlag(args: Arg[], name: string): Arg[] {
  if (args.some((a) => a.name === name)) return args.map((a) => (a.name === name ? { ...a, value: 'True' } : a));
  return [...args, { name, value: 'True', starred: false }];
}

function noAckFix(method: string, args: Arg[]): Fix {
  const out: Arg[] = [];
  for (const a of args) {
    if (a.name !== 'no_ack') out.push(a);
    else {
      const v = autoAckFrom(a.value);
      if (v !== undefined) out.push({ name: 'auto_ack', value: v, starred: false });
    }
  }
  return {
    code: 'pika-0x-no-ack',
    message: `pika 0.x argument: ${method}(no_ack=…) was renamed auto_ack= in pika 1.0 (no_ack= fails with a TypeError).`,
    title: 'Rename no_ack= to auto_ack=',
    args: out,
  };
}

/** no_ack=False is the default: drop it. */
function autoAckFrom(value: string | undefined): string | undefined {
  if (value === undefined || value === 'False') return undefined;
  return value;
}

function isStringLiteral(v: string): boolean {
  return /^[rRbBuUfF]{0,2}('|")/.test(v);
}

function isKnownFunction(v: string, defs: Set<string>): boolean {
  const m = /^(?:self\.)?([A-Za-z_]\w*)$/.exec(v);
  return !!m && defs.has(m[1]);
}

function definedFunctions(text: string): Set<string> {
  return new Set([...text.matchAll(/^[ \t]*(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)/gm)].map((m) => m[1]));
}

function formatArgs(args: Arg[], indent: string | undefined, original: string): string {
  const parts = args.map((a) => (a.name ? `${a.name}=${a.value}` : a.value));
  if (indent === undefined) return parts.join(', ');
  // Keep a multi-line call multi-line: one argument per line at the original continuation indent, the
  // first one where it was (after the parenthesis or on its own line), the parenthesis where it was.
  const opensOnOwnLine = /^[ \t]*(#[^\n]*)?\r?\n/.test(original);
  const closingOnOwnLine = /\n[ \t]*$/.exec(original);
  return `${opensOnOwnLine ? `\n${indent}` : ''}${parts.join(`,\n${indent}`)}${closingOnOwnLine ? `,${closingOnOwnLine[0]}` : ''}`;
}

function continuationIndent(text: string, open: number, close: number): string {
  const inner = text.slice(open + 1, close);
  const m = /\n([ \t]*)\S/.exec(inner);
  return m ? m[1] : '    ';
}

// ---------------------------------------------------------------------------------------------------------
// A small Python lexer: which characters are code, string literal or comment.

const CODE = 0;
const STRING = 1;
const COMMENT = 2;

function codeMask(text: string): Uint8Array {
  const kind = new Uint8Array(text.length); // CODE by default
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '#') {
      while (i < text.length && text[i] !== '\n') kind[i++] = COMMENT;
      continue;
    }
    if (ch === '"' || ch === "'") {
      // String prefix letters (r, b, f, u) stay code; the literal itself is not. A backslash always
      // protects the next character from ending the literal (raw strings included).
      const triple = text.startsWith(ch.repeat(3), i);
      const quoteLen = triple ? 3 : 1;
      let j = i + quoteLen;
      while (j < text.length) {
        if (text[j] === '\\') {
          j += 2;
          continue;
        }
        if (triple ? text.startsWith(ch.repeat(3), j) : text[j] === ch) {
          j += quoteLen;
          break;
        }
        if (!triple && text[j] === '\n') break; // unterminated single-line string
        j++;
      }
      j = Math.min(j, text.length);
      kind.fill(STRING, i, j);
      i = j;
      continue;
    }
    i++;
  }
  return kind;
}

function matchingParen(text: string, kind: Uint8Array, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (kind[i] !== CODE) continue;
    const c = text[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) return c === ')' ? i : -1;
    }
  }
  return -1;
}

/** Splits the text between the parentheses into arguments; comments are dropped. */
function parseArgs(text: string, kind: Uint8Array, from: number, to: number): { args: Arg[] } {
  const pieces: string[] = [];
  let depth = 0;
  let current = '';
  for (let i = from; i < to; i++) {
    const c = text[i];
    if (kind[i] === COMMENT) continue;
    if (kind[i] === CODE) {
      if (c === '(' || c === '[' || c === '{') depth++;
      else if (c === ')' || c === ']' || c === '}') depth--;
      else if (c === ',' && depth === 0) {
        pieces.push(current);
        current = '';
        continue;
      }
    }
    current += c;
  }
  pieces.push(current);
  const args: Arg[] = [];
  for (const raw of pieces) {
    const p = raw.trim().replace(/[ \t]*\\?\r?\n[ \t]*/g, ' ');
    if (!p) continue;
    const starred = p.startsWith('*');
    const m = /^([A-Za-z_]\w*)\s*=(?!=)\s*([\s\S]*)$/.exec(p);
    if (m) args.push({ name: m[1], value: m[2].trim(), starred });
    else args.push({ value: p, starred });
  }
  return { args };
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return starts;
}

function position(starts: number[], offset: number): TextPosition {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo, character: offset - starts[lo] };
}
