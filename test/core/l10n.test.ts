// Every user-facing string has a Chinese translation: manifest strings (package.nls*.json) and every
// vscode.l10n.t('…') literal in src/ (l10n/bundle.l10n.zh-cn.json); and no message shown to the user outside
// src/core is a bare literal (it would never be translated). Pure file checks, no broker needed.
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

// This bundle lives in <root>/dist-test/test/core/.
const ROOT = resolve(__dirname, '..', '..', '..');

function readJson(rel: string): Record<string, string> {
  return JSON.parse(readFileSync(join(ROOT, rel), 'utf8')) as Record<string, string>;
}

function sourceFiles(dir: string): string[] {
  return (readdirSync(join(ROOT, dir), { recursive: true }) as string[])
    .filter((f) => /\.tsx?$/.test(f) && !f.endsWith('.d.ts'))
    .map((f) => join(ROOT, dir, f));
}

function unescape(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_m, c: string) =>
    c.length > 1 ? String.fromCharCode(parseInt(c.slice(1), 16)) : ({ n: '\n', t: '\t', r: '\r' } as Record<string, string>)[c] ?? c);
}

/** The l10n.t(...) calls of one source text: literal messages, and the places where the message is not a literal. */
export function l10nCalls(text: string): { literals: string[]; nonLiteral: number[] } {
  const literals: string[] = [];
  const nonLiteral: number[] = [];
  for (const m of text.matchAll(/\bl10n\.t\(\s*/g)) {
    const rest = text.slice(m.index + m[0].length);
    const lit = /^(['"`])((?:\\.|(?!\1)[^\\])*)\1/s.exec(rest);
    if (lit && !(lit[1] === '`' && lit[2].includes('${'))) literals.push(unescape(lit[2]));
    else if (/^\{\s*message:\s*(['"])((?:\\.|(?!\1)[^\\])*)\1/s.test(rest)) literals.push(unescape(/^\{\s*message:\s*(['"])((?:\\.|(?!\1)[^\\])*)\1/s.exec(rest)![2]));
    else nonLiteral.push(text.slice(0, m.index).split('\n').length);
  }
  return { literals, nonLiteral };
}

/** Index just past the string or template literal that starts at `i` (templates may nest `${…}`). */
function skipLiteral(text: string, i: number): number {
  const q = text[i];
  for (let j = i + 1; j < text.length; j++) {
    if (text[j] === '\\') j++;
    else if (text[j] === q) return j + 1;
    else if (q === '`' && text[j] === '$' && text[j + 1] === '{') j = skipBalanced(text, j + 1, '{', '}') - 1;
  }
  return text.length;
}

/** Index just past the bracket that closes the one at `i`, skipping literals and comments. */
function skipBalanced(text: string, i: number, open: string, close: string): number {
  let depth = 0;
  for (let j = i; j < text.length; j++) {
    const c = text[j];
    if (c === "'" || c === '"' || c === '`') j = skipLiteral(text, j) - 1;
    else if (c === '/' && text[j + 1] === '/') j = text.indexOf('\n', j) < 0 ? text.length : text.indexOf('\n', j);
    else if (c === '/' && text[j + 1] === '*') j = text.indexOf('*/', j) + 1;
    else if (c === open) depth++;
    else if (c === close && --depth === 0) return j + 1;
  }
  return text.length;
}

/** The top-level arguments of the call whose '(' is at `i`. */
function callArguments(text: string, i: number): string[] {
  const end = skipBalanced(text, i, '(', ')');
  const args: string[] = [];
  let start = i + 1;
  let depth = 0;
  for (let j = i + 1; j < end - 1; j++) {
    const c = text[j];
    if (c === "'" || c === '"' || c === '`') j = skipLiteral(text, j) - 1;
    else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (c === ',' && depth === 0) {
      args.push(text.slice(start, j).trim());
      start = j + 1;
    }
  }
  args.push(text.slice(start, end - 1).trim());
  return args.filter((a) => a !== '');
}

/** The text a literal shows, without `${…}` parts and codicons (`$(name)`); undefined if `arg` is not a literal. */
function literalText(arg: string): string | undefined {
  if (!/^['"`]/.test(arg) || skipLiteral(arg, 0) !== arg.length) return undefined;
  let out = '';
  for (let j = 1; j < arg.length - 1; j++) {
    if (arg[0] === '`' && arg[j] === '$' && arg[j + 1] === '{') j = skipBalanced(arg, j + 1, '{', '}') - 1;
    else out += arg[j];
  }
  return out.replace(/\$\([\w~-]+\)/g, '');
}

const words = (s: string) => /[A-Za-z]{2,}/.test(s);
// A placeholder may be a sample value (a URL, JSON, a name); a sentence in it is a message.
const sentence = (s: string) => /^[A-Z][a-z]+,? [a-z]+/.test(s);

/**
 * Literal user-facing messages in one source text (1-based lines): pop-up messages and their buttons, the title of a
 * progress notification, the title, prompt and placeholder of input boxes and quick picks.
 */
export function literalMessages(text: string): { line: number; text: string }[] {
  const found: { line: number; text: string }[] = [];
  const lineAt = (i: number) => text.slice(0, i).split('\n').length;
  for (const m of text.matchAll(/\b(showErrorMessage|showWarningMessage|showInformationMessage|setStatusBarMessage|showInputBox|showQuickPick|withProgress)\s*(?:<[^>()]*>)?\s*\(/g)) {
    const open = m.index + m[0].length - 1;
    const args = callArguments(text, open);
    const candidates: { text: string | undefined; prose: (s: string) => boolean }[] = [];
    if (/Message$/.test(m[1])) for (const a of args) candidates.push({ text: literalText(a), prose: words });
    for (const a of args) {
      for (const p of a.matchAll(/\b(title|prompt|placeHolder|placeholder)\s*:\s*(?=['"`])/g)) {
        const start = p.index + p[0].length;
        candidates.push({ text: literalText(a.slice(start, skipLiteral(a, start))), prose: p[1].startsWith('place') ? sentence : words });
      }
    }
    for (const c of candidates) if (c.text !== undefined && c.prose(c.text)) found.push({ line: lineAt(m.index), text: c.text });
  }
  for (const m of text.matchAll(/\.(title|prompt|placeholder|placeHolder)\s*=\s*(?=['"`])/g)) {
    const start = m.index + m[0].length;
    const t = literalText(text.slice(start, skipLiteral(text, start)));
    if (t !== undefined && (m[1].startsWith('place') ? sentence(t) : words(t))) found.push({ line: lineAt(m.index), text: t });
  }
  return found;
}

describe('l10n', () => {
  it('finds literal and non-literal l10n.t calls (scanner self-check)', () => {
    const r = l10nCalls(`vscode.l10n.t('It\\'s {0}', x); l10n.t("B"); vscode.l10n.t(\`C\`);\nvscode.l10n.t(name); l10n.t({ message: 'D', args: [], comment: [] })`);
    assert.deepEqual(r.literals, ["It's {0}", 'B', 'C', 'D']);
    assert.deepEqual(r.nonLiteral, [2]);
  });

  it('finds literal user-facing messages and lets translated ones pass (scanner self-check)', () => {
    const src = [
      "void vscode.window.showErrorMessage('Cannot connect');",
      "void vscode.window.showWarningMessage(vscode.l10n.t('Delete {0}?', q), { modal: true }, 'Delete');",
      'void vscode.window.showInformationMessage(`Published ${n} messages`);',
      "await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Loading…' }, run);",
      "await vscode.window.showInputBox({ prompt: vscode.l10n.t('Name'), placeHolder: 'Type a name here' });",
      "qp.placeholder = 'Pick a queue';",
      // Not messages: translated text, sample values, interpolations and codicons only.
      "void vscode.window.showWarningMessage(`${queue}: ${text}`, vscode.l10n.t('Show Log'));",
      "await vscode.window.showInputBox({ title: vscode.l10n.t('Tap {0}', x), placeHolder: '{\"format\": \"pdf\"}', prompt: vscode.l10n.t('p') });",
      "box.placeholder = 'amqp://localhost:5672';",
      'void vscode.window.showInformationMessage(`$(check) ${vscode.l10n.t("Done")}`);',
    ].join('\n');
    assert.deepEqual(literalMessages(src), [
      { line: 1, text: 'Cannot connect' },
      { line: 2, text: 'Delete' },
      { line: 3, text: 'Published  messages' },
      { line: 4, text: 'Loading…' },
      { line: 5, text: 'Type a name here' },
      { line: 6, text: 'Pick a queue' },
    ]);
  });

  it('shows no literal message outside src/core (pop-ups, buttons, progress titles, input box prompts)', () => {
    const found: string[] = [];
    const files = sourceFiles('src').filter((f) => !relative(ROOT, f).startsWith(join('src', 'core') + '/'));
    assert.ok(files.length > 20, `found only ${files.length} files outside src/core`);
    for (const file of files) {
      for (const m of literalMessages(readFileSync(file, 'utf8'))) found.push(`${relative(ROOT, file)}:${m.line}: ${JSON.stringify(m.text)}`);
    }
    assert.deepEqual(found, [], 'wrap these in vscode.l10n.t (and translate them in l10n/bundle.l10n.zh-cn.json)');
  });

  it('has a zh-cn entry for every key of package.nls.json, and no stale ones', () => {
    const en = readJson('package.nls.json');
    const zh = readJson('package.nls.zh-cn.json');
    assert.deepEqual(Object.keys(en).filter((k) => !(k in zh)), [], 'keys missing in package.nls.zh-cn.json');
    assert.deepEqual(Object.keys(zh).filter((k) => !(k in en)), [], 'keys in package.nls.zh-cn.json that package.nls.json lacks');
    const empty = Object.entries(zh).filter(([, v]) => typeof v !== 'string' || v.trim() === '').map(([k]) => k);
    assert.deepEqual(empty, [], 'empty translations');
  });

  it('declares every %key% that package.json uses in package.nls.json', () => {
    const en = readJson('package.nls.json');
    const used = [...readFileSync(join(ROOT, 'package.json'), 'utf8').matchAll(/"%([^%"]+)%"/g)].map((x) => x[1]);
    assert.ok(used.length > 0, 'package.json uses no %key% strings');
    assert.deepEqual(used.filter((k) => !(k in en)), []);
  });

  it('translates every vscode.l10n.t literal in src/ in l10n/bundle.l10n.zh-cn.json', () => {
    const zh = readJson('l10n/bundle.l10n.zh-cn.json');
    const missing: string[] = [];
    const dynamic: string[] = [];
    let count = 0;
    for (const file of sourceFiles('src')) {
      const { literals, nonLiteral } = l10nCalls(readFileSync(file, 'utf8'));
      count += literals.length;
      for (const s of literals) if (!(s in zh)) missing.push(`${relative(ROOT, file)}: ${JSON.stringify(s)}`);
      for (const line of nonLiteral) dynamic.push(`${relative(ROOT, file)}:${line}`);
    }
    assert.ok(count > 0, 'found no l10n.t literal in src/ (is the scanner broken?)');
    assert.deepEqual(missing, [], 'strings without a zh-cn translation');
    assert.deepEqual(dynamic, [], 'l10n.t must get a string literal (a variable cannot be translated)');
  });
});
