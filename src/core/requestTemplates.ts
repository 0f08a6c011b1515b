/**
 * Templates of request files: `{{name}}` (a file variable or an environment variable) and the built-ins
 * `{{$uuid}}`, `{{$timestamp}}`, `{{$isoTimestamp}}`, `{{$randomInt min max}}`, `{{$counter}}`,
 * `{{$dotenv NAME}}`, `{{$processEnv NAME}}` and `{{$faker module.method [args]}}`.
 *
 * A template is compiled once (syntax errors name the line and column) and rendered many times: a
 * `PUBLISH … x 1000` block renders each template once per message, with `$counter` counting 1, 2, 3 …
 * Variable values are templates too; they are evaluated per message (so `@id = {{$uuid}}` gives each
 * message its own id) and cached within one message, so one message sees one value of each variable.
 * Pure code: no vscode, no broker; faker is handed in already loaded by whoever runs the file.
 */
import { randomUUID } from 'node:crypto';
import { RabbitError } from './errors';

/** Where in the file a piece of text starts (0-based line and column). */
export interface TextPos {
  line: number;
  column: number;
}

/** The built-in functions, as written after `$`. */
export const TEMPLATE_FUNCTIONS = ['uuid', 'timestamp', 'isoTimestamp', 'randomInt', 'counter', 'dotenv', 'processEnv', 'faker'] as const;
export type TemplateFunction = (typeof TEMPLATE_FUNCTIONS)[number];

export type TemplatePart =
  | string
  | { kind: 'var'; name: string; pos: TextPos; end: number }
  | { kind: 'fn'; fn: TemplateFunction; args: string[]; pos: TextPos; end: number };

export interface Template {
  /** The text as written. */
  source: string;
  /** Literal strings and placeholders in order. A template without placeholders has one string part (or none). */
  parts: TemplatePart[];
  /** True when there is no placeholder: render() returns `source` unchanged. */
  isStatic: boolean;
  /** Names of the variables it refers to. */
  variables: string[];
  usesFaker: boolean;
}

/** A template error: where it is and what to do. */
export class TemplateError extends RabbitError {
  constructor(
    readonly pos: TextPos,
    readonly endColumn: number,
    problem: string,
    hint?: string,
  ) {
    super('INVALID_INPUT', `line ${pos.line + 1}, column ${pos.column + 1}: ${problem}`, { field: 'template', hint });
    this.problem = problem;
  }
  readonly problem: string;
}

const VAR_NAME = /^[A-Za-z_][\w.-]*$/;
const ORIGIN: TextPos = Object.freeze({ line: 0, column: 0 });
// Shared by every static template (most of a file): nothing ever adds to them.
const NO_PARTS: TemplatePart[] = Object.freeze([]) as unknown as TemplatePart[];
const NO_VARIABLES: string[] = Object.freeze([]) as unknown as string[];

/** Splits the arguments of a built-in: words, or JSON strings in double quotes. */
function splitArgs(text: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === ' ' || text[i] === '\t') {
      i++;
      continue;
    }
    if (text[i] === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (j >= text.length) return undefined;
      try {
        out.push(JSON.parse(text.slice(i, j + 1)) as string);
      } catch {
        return undefined;
      }
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < text.length && text[j] !== ' ' && text[j] !== '\t') j++;
    out.push(text.slice(i, j));
    i = j;
  }
  return out;
}

function fnError(pos: TextPos, end: number, problem: string, hint?: string): TemplateError {
  return new TemplateError(pos, end, problem, hint);
}

/** Checks a built-in's arguments once, at compile time. */
function checkFunction(fn: TemplateFunction, args: string[], pos: TextPos, end: number): void {
  const usage: Record<TemplateFunction, string> = {
    uuid: '{{$uuid}}',
    timestamp: '{{$timestamp}} or {{$timestamp -1 d}} (offset and unit: s, m, h, d)',
    isoTimestamp: '{{$isoTimestamp}} or {{$isoTimestamp 2 h}} (offset and unit: s, m, h, d)',
    randomInt: '{{$randomInt 1 100}} (from min up to but not including max)',
    counter: '{{$counter}} (1, 2, 3 … in a PUBLISH … x N block)',
    dotenv: '{{$dotenv NAME}} (a value from the .env file next to the request file)',
    processEnv: '{{$processEnv NAME}}',
    faker: '{{$faker person.fullName}} (a faker module and method, then optional arguments)',
  };
  const bad = (problem: string): never => {
    throw fnError(pos, end, `$${fn} ${problem}`, `Write ${usage[fn]}.`);
  };
  switch (fn) {
    case 'uuid':
    case 'counter':
      if (args.length) bad('takes no arguments');
      break;
    case 'timestamp':
    case 'isoTimestamp':
      if (args.length === 0) break;
      if (args.length !== 2 || !/^[+-]?\d+$/.test(args[0]) || !/^(s|m|h|d)$/.test(args[1])) bad(`has arguments "${args.join(' ')}"; expected an offset and a unit`);
      break;
    case 'randomInt': {
      if (args.length !== 2 || !args.every((a) => /^-?\d{1,15}$/.test(a))) bad('needs two whole numbers, min and max');
      const [min, max] = args.map(Number);
      if (!(max > min)) bad(`needs max greater than min (got ${min} ${max})`);
      break;
    }
    case 'dotenv':
    case 'processEnv':
      if (args.length !== 1 || !/^[A-Za-z_]\w*$/.test(args[0])) bad('needs one variable name');
      break;
    case 'faker':
      if (args.length < 1 || !/^[A-Za-z]\w*(\.[A-Za-z]\w*)+$/.test(args[0])) bad('needs a module and a method');
      break;
  }
}

/**
 * Compiles a piece of text. `pos` is where the text starts in the file, for error positions.
 * Throws TemplateError for an unclosed `{{`, an empty placeholder, an unknown built-in or bad arguments.
 */
export function compileTemplate(source: string, pos: TextPos = ORIGIN): Template {
  if (!source.includes('{{')) return { source, parts: source ? [source] : NO_PARTS, isStatic: true, variables: NO_VARIABLES, usesFaker: false };
  const parts: TemplatePart[] = [];
  const variables: string[] = [];
  let usesFaker = false;
  let i = 0;
  while (i < source.length) {
    const open = source.indexOf('{{', i);
    if (open < 0) {
      parts.push(source.slice(i));
      break;
    }
    if (open > i) parts.push(source.slice(i, open));
    const close = source.indexOf('}}', open + 2);
    const at: TextPos = { line: pos.line, column: pos.column + open };
    if (close < 0) throw fnError(at, pos.column + source.length, 'has "{{" without a closing "}}"', 'Close the placeholder, e.g. {{name}}.');
    const end = pos.column + close + 2;
    const inner = source.slice(open + 2, close).trim();
    if (inner === '') throw fnError(at, end, 'has an empty placeholder "{{}}"', 'Write a variable name, e.g. {{host}}, or a built-in such as {{$uuid}}.');
    if (inner.startsWith('$')) {
      const sp = inner.search(/\s/);
      const name = sp < 0 ? inner.slice(1) : inner.slice(1, sp);
      const fn = (TEMPLATE_FUNCTIONS as readonly string[]).includes(name) ? (name as TemplateFunction) : undefined;
      if (!fn) throw fnError(at, end, `has an unknown built-in "$${name}"`, `Use one of ${TEMPLATE_FUNCTIONS.map((f) => '$' + f).join(', ')}.`);
      const args = sp < 0 ? [] : splitArgs(inner.slice(sp + 1));
      if (!args) throw fnError(at, end, `$${fn} has an unclosed quoted argument`, 'Close the quotes.');
      checkFunction(fn, args, at, end);
      if (fn === 'faker') usesFaker = true;
      parts.push({ kind: 'fn', fn, args, pos: at, end });
    } else {
      if (!VAR_NAME.test(inner)) throw fnError(at, end, `has "{{${inner}}}", which is not a variable name`, 'Variable names start with a letter or "_" and hold letters, digits, "_", "-" and "."; built-ins start with "$".');
      if (!variables.includes(inner)) variables.push(inner);
      parts.push({ kind: 'var', name: inner, pos: at, end });
    }
    i = close + 2;
  }
  return { source, parts, isStatic: false, variables, usesFaker };
}

/** The part of faker a request file may call: nested objects of functions. */
export type FakerLike = object;

/** A variable as defined in the file (`@name = value`) or in an environment. */
export interface VariableDefinition {
  template: Template;
  /** Where it is defined, for messages ("line 3" or "environment dev"). */
  where: string;
}

export interface TemplateScopeOptions {
  /** `@name = value` lines of the file. Win over the environments. */
  fileVariables?: Map<string, VariableDefinition>;
  /** The selected environment's values (strings, may hold templates). Win over `$shared`. */
  environment?: Record<string, string>;
  /** The environment's name, for messages. */
  environmentName?: string;
  /** The `$shared` environment's values. */
  shared?: Record<string, string>;
  /** Values of the .env file next to the request file. */
  dotenv?: Record<string, string>;
  /** process.env or a replacement. */
  processEnv?: Record<string, string | undefined>;
  /** Loaded faker (required when a template uses $faker). */
  faker?: FakerLike;
  /** Clock for $timestamp / $isoTimestamp; default Date.now. */
  now?: () => number;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Renders templates for one run of a block. `next()` starts the next message ($counter + 1, fresh values
 * of the variables).
 */
export class TemplateScope {
  private counter = 1;
  private readonly cache = new Map<string, string>();
  private readonly resolving = new Set<string>();
  private readonly envDefs = new Map<string, VariableDefinition>();

  constructor(private readonly options: TemplateScopeOptions = {}) {
    const add = (values: Record<string, string> | undefined, where: string): void => {
      for (const [name, value] of Object.entries(values ?? {})) {
        if (this.envDefs.has(name) || typeof value !== 'string') continue;
        try {
          this.envDefs.set(name, { template: compileTemplate(value), where });
        } catch (e) {
          const problem = e instanceof TemplateError ? e.problem : String(e);
          throw new RabbitError('INVALID_INPUT', `${where}: variable "${name}" ${problem}`, { field: name, hint: 'Fix it in the rabbitmq.environments setting.' });
        }
      }
    };
    add(options.environment, `environment "${options.environmentName ?? ''}"`);
    add(options.shared, 'environment "$shared"');
  }

  /** The message number $counter gives (1-based). */
  get count(): number {
    return this.counter;
  }

  /** Moves to the next message: $counter + 1, variables evaluated afresh. */
  next(): void {
    this.counter++;
    this.cache.clear();
  }

  /** True when `name` is defined in the file or an environment. */
  has(name: string): boolean {
    return !!this.options.fileVariables?.has(name) || this.envDefs.has(name);
  }

  render(t: Template): string {
    if (t.isStatic) return t.source;
    let out = '';
    for (const p of t.parts) {
      if (typeof p === 'string') out += p;
      else if (p.kind === 'var') out += this.variable(p.name, p.pos, p.end);
      else out += this.call(p.fn, p.args, p.pos, p.end);
    }
    return out;
  }

  private variable(name: string, pos: TextPos, end: number): string {
    const cached = this.cache.get(name);
    if (cached !== undefined) return cached;
    const def = this.options.fileVariables?.get(name) ?? this.envDefs.get(name);
    if (!def) {
      const env = this.options.environmentName;
      throw new TemplateError(pos, end, `variable "${name}" is not defined`, `Define it with a line "@${name} = value" in the file${env ? `, or in the environment "${env}"` : ', or choose an environment that defines it'} (setting rabbitmq.environments).`);
    }
    if (this.resolving.has(name)) throw new TemplateError(pos, end, `variable "${name}" refers to itself (${[...this.resolving, name].join(' → ')})`, 'Break the cycle.');
    this.resolving.add(name);
    try {
      const value = this.render(def.template);
      this.cache.set(name, value);
      return value;
    } finally {
      this.resolving.delete(name);
    }
  }

  private call(fn: TemplateFunction, args: string[], pos: TextPos, end: number): string {
    const now = this.options.now ?? Date.now;
    switch (fn) {
      case 'uuid':
        return randomUUID();
      case 'counter':
        return String(this.counter);
      case 'timestamp':
      case 'isoTimestamp': {
        const offsetMs = args.length === 2 ? Number(args[0]) * UNIT_SECONDS[args[1]] * 1000 : 0;
        const ms = now() + offsetMs;
        return fn === 'timestamp' ? String(Math.floor(ms / 1000)) : new Date(ms).toISOString();
      }
      case 'randomInt': {
        // Test data, not secrets: Math.random is enough and much cheaper per message than crypto.
        const min = Number(args[0]);
        return String(min + Math.floor(Math.random() * (Number(args[1]) - min)));
      }
      case 'dotenv': {
        const v = this.options.dotenv?.[args[0]];
        if (v === undefined) throw new TemplateError(pos, end, `$dotenv ${args[0]} is not set`, this.options.dotenv ? `Add ${args[0]}=… to the .env file next to the request file.` : 'There is no .env file next to the request file: create one with NAME=value lines.');
        return v;
      }
      case 'processEnv': {
        const v = (this.options.processEnv ?? process.env)[args[0]];
        if (v === undefined) throw new TemplateError(pos, end, `$processEnv ${args[0]} is not set`, `Set the environment variable ${args[0]} before starting VS Code, or use a file variable.`);
        return v;
      }
      case 'faker':
        return this.fake(args, pos, end);
    }
  }

  private fake(args: string[], pos: TextPos, end: number): string {
    const faker = this.options.faker;
    if (!faker) throw new TemplateError(pos, end, '$faker is not available here', 'Run the block from a request file in VS Code, which loads faker.');
    const path = args[0].split('.');
    let owner: unknown = faker;
    let target: unknown = faker;
    for (const key of path) {
      owner = target;
      target = target && typeof target === 'object' && Object.hasOwn(target, key) ? (target as Record<string, unknown>)[key] : undefined;
      if (target === undefined) break;
    }
    if (typeof target !== 'function') {
      const mod = (faker as Record<string, unknown>)[path[0]];
      const known = mod && typeof mod === 'object' ? Object.keys(mod).filter((k) => typeof (mod as Record<string, unknown>)[k] === 'function' && !k.startsWith('_')).slice(0, 12) : [];
      throw new TemplateError(pos, end, `$faker ${args[0]} is not a faker method`, known.length ? `${path[0]} has ${known.join(', ')}…` : 'Use a module and method from the faker documentation, e.g. person.fullName, internet.email, number.int.');
    }
    const callArgs = args.slice(1).map((a) => (/^-?\d+(\.\d+)?$/.test(a) ? Number(a) : a));
    try {
      const v = (target as (...a: unknown[]) => unknown).apply(owner, callArgs);
      return typeof v === 'string' ? v : v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v);
    } catch (e) {
      throw new TemplateError(pos, end, `$faker ${args.join(' ')} failed: ${e instanceof Error ? e.message : String(e)}`, 'Check the arguments against the faker documentation.');
    }
  }
}

/** `NAME=value` lines of a .env file (# comments, optional `export`, single or double quotes). */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][\w.]*)\s*=\s*(.*?)\s*$/.exec(raw);
    if (!m || raw.trimStart().startsWith('#')) continue;
    let v = m[2];
    const q = v[0];
    if ((q === '"' || q === "'") && v.endsWith(q) && v.length >= 2) {
      v = v.slice(1, -1);
      if (q === '"') v = v.replace(/\\n/g, '\n').replace(/\\"/g, '"');
    } else v = v.replace(/\s+#.*$/, '');
    out[m[1]] = v;
  }
  return out;
}
