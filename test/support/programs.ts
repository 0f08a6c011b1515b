/**
 * Helpers for tests that run generated/snippet programs (Python with pika, Node with amqplib) as real
 * processes against the broker, and a small VS Code snippet-body expander.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository root (tests run from dist-test/test/core/*.test.js, three levels down). */
export const REPO_ROOT = resolve(__dirname, '..', '..', '..');

let python: string | undefined;
/** A python3 that can `import pika` (Debian's python3-pika): $PIKA_PYTHON, /usr/bin/python3, python3. */
export function pythonWithPika(): string {
  if (python) return python;
  for (const candidate of [process.env.PIKA_PYTHON, '/usr/bin/python3', 'python3']) {
    if (!candidate) continue;
    const r = spawnSync(candidate, ['-c', 'import pika'], { encoding: 'utf8' });
    if (r.status === 0) return (python = candidate);
  }
  throw new Error('No python3 with pika found: install python3-pika (apt-get install python3-pika) or set PIKA_PYTHON.');
}

/** A scratch directory inside the repo (so Node resolves amqplib and @types from node_modules). */
export function scratchDir(prefix: string): { dir: string; write(name: string, text: string): string; remove(): void } {
  const base = join(REPO_ROOT, 'dist-test', 'scratch');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, `${prefix}-`));
  return {
    dir,
    write(name, text) {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Environment for a program: ours plus `extra`, without RABBITMQ_URL/RABBITMQ_PASSWORD unless given. */
export function programEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' };
  delete env.RABBITMQ_URL;
  delete env.RABBITMQ_PASSWORD;
  return { ...env, ...extra };
}

export class Program {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  stderr = '';
  private exited: Promise<number | null>;
  private waiters: (() => void)[] = [];
  private partial = '';

  constructor(readonly label: string, cmd: string, args: string[], env: NodeJS.ProcessEnv, stdin?: string) {
    this.child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout?.setEncoding('utf8');
    this.child.stdout?.on('data', (d: string) => {
      this.partial += d;
      const parts = this.partial.split('\n');
      this.partial = parts.pop() ?? '';
      this.lines.push(...parts);
      this.notify();
    });
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (d: string) => {
      this.stderr += d;
    });
    if (stdin !== undefined) this.child.stdin?.end(stdin);
    this.exited = new Promise((res) => this.child.on('close', (code) => {
      if (this.partial) this.lines.push(this.partial);
      this.partial = '';
      this.notify();
      res(code);
    }));
  }

  private notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits until `pred(lines)` holds; fails with the output if the program exits first or after `ms`. */
  async waitFor(what: string, pred: (lines: string[]) => boolean, ms = 20000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred(this.lines)) {
      if (!this.running && this.child.stdout?.readableEnded !== false) {
        await this.exited;
        if (pred(this.lines)) return;
        throw new Error(`${this.label} exited (${this.child.exitCode}) before ${what}.\nstdout:\n${this.lines.join('\n')}\nstderr:\n${this.stderr}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.label}: no ${what} within ${ms} ms.\nstdout:\n${this.lines.join('\n')}\nstderr:\n${this.stderr}`);
      await new Promise<void>((res) => {
        const t = setTimeout(res, Math.min(left, 250));
        this.waiters.push(() => {
          clearTimeout(t);
          res();
        });
      });
    }
  }

  waitForLine(re: RegExp, ms?: number): Promise<void> {
    return this.waitFor(`a line matching ${re}`, (lines) => lines.some((l) => re.test(l)), ms);
  }

  /** Exit code of a program that ends by itself. */
  async done(ms = 30000): Promise<number | null> {
    const t = setTimeout(() => this.child.kill('SIGKILL'), ms);
    try {
      return await this.exited;
    } finally {
      clearTimeout(t);
    }
  }

  /** SIGTERM (what the programs handle as a clean shutdown), SIGKILL after 10 s. Returns the exit code. */
  async stop(): Promise<number | null> {
    if (this.running) this.child.kill('SIGTERM');
    return this.done(10000);
  }

  /** Bodies printed by our pattern consumers (" [x] Received <body>" or " [x] <key>: <body>"). */
  received(): string[] {
    const out: string[] = [];
    for (const l of this.lines) {
      const m = /^ \[x\] Received (.*)$/.exec(l) ?? /^ \[x\] [^:]*: (.*)$/.exec(l);
      if (m) out.push(m[1]);
    }
    return out;
  }
}

/** Runs a program to its end; throws with its output when the exit code is not 0. */
export async function runOk(label: string, cmd: string, args: string[], env: NodeJS.ProcessEnv, stdin?: string): Promise<Program> {
  const p = new Program(label, cmd, args, env, stdin);
  const code = await p.done();
  if (code !== 0) throw new Error(`${label} exited with ${code}.\nstdout:\n${p.lines.join('\n')}\nstderr:\n${p.stderr}`);
  return p;
}

// ---------------------------------------------------------------------------------------------------------
// VS Code snippet bodies: ${1:default} (nested), $1, ${1}, ${1|a,b|}, ${VAR}, ${VAR:default}, $VAR, escapes.

export function expandSnippet(body: string | string[], variables: Record<string, string> = {}): string {
  const text = Array.isArray(body) ? body.join('\n') : body;
  const defaults = new Map<string, string>();
  // Pass 1 collects the defaults of numbered placeholders (a mirrored `$1` takes the default of `${1:…}`).
  parse(text, 0, false, defaults, variables, true);
  return parse(text, 0, false, defaults, variables, false).out;
}

function parse(
  text: string,
  start: number,
  inPlaceholder: boolean,
  defaults: Map<string, string>,
  vars: Record<string, string>,
  collect: boolean,
): { out: string; end: number } {
  let out = '';
  let i = start;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length && '$}\\'.includes(text[i + 1])) {
      out += text[i + 1];
      i += 2;
      continue;
    }
    if (inPlaceholder && c === '}') return { out, end: i + 1 };
    if (c === '$') {
      const simple = /^\$(\d+|[A-Za-z_][A-Za-z0-9_]*)/.exec(text.slice(i));
      if (simple) {
        out += resolveRef(simple[1], undefined, defaults, vars);
        i += simple[0].length;
        continue;
      }
      const braced = /^\$\{(\d+|[A-Za-z_][A-Za-z0-9_]*)(:|\||\})/.exec(text.slice(i));
      if (braced) {
        const name = braced[1];
        i += braced[0].length;
        if (braced[2] === '}') {
          out += resolveRef(name, undefined, defaults, vars);
        } else if (braced[2] === '|') {
          const close = text.indexOf('|}', i);
          if (close < 0) throw new Error(`unterminated choice at ${i}`);
          const first = text.slice(i, close).split(',')[0].replace(/\\(.)/g, '$1');
          if (collect && /^\d+$/.test(name)) defaults.set(name, first);
          out += first;
          i = close + 2;
        } else {
          const inner = parse(text, i, true, defaults, vars, collect);
          if (collect && /^\d+$/.test(name) && !defaults.has(name)) defaults.set(name, inner.out);
          out += /^\d+$/.test(name) ? inner.out : vars[name] ?? inner.out;
          i = inner.end;
        }
        continue;
      }
      throw new Error(`unexpected "$" at offset ${i}: ${JSON.stringify(text.slice(i, i + 20))} (escape it as \\$)`);
    }
    out += c;
    i++;
  }
  if (inPlaceholder) throw new Error('unterminated placeholder');
  return { out, end: i };
}

function resolveRef(name: string, fallback: string | undefined, defaults: Map<string, string>, vars: Record<string, string>): string {
  if (/^\d+$/.test(name)) return defaults.get(name) ?? fallback ?? '';
  return vars[name] ?? fallback ?? '';
}

/** Runs the repo's tsc over *.ts in `dir` (strict, Node16 modules, Node types); returns its output on failure. */
export function typeCheck(dir: string): string {
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, target: 'ES2022', module: 'Node16', moduleResolution: 'Node16', types: ['node'], skipLibCheck: true },
      include: ['*.ts'],
    }),
  );
  const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8' });
  return r.status === 0 ? '' : `${r.stdout}${r.stderr}` || `tsc exited with ${r.status}`;
}
