// Every user-facing string has a Chinese translation: manifest strings (package.nls*.json) and every
// vscode.l10n.t('…') literal in src/ (l10n/bundle.l10n.zh-cn.json). Pure file checks, no broker needed.
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

describe('l10n', () => {
  it('finds literal and non-literal l10n.t calls (scanner self-check)', () => {
    const r = l10nCalls(`vscode.l10n.t('It\\'s {0}', x); l10n.t("B"); vscode.l10n.t(\`C\`);\nvscode.l10n.t(name); l10n.t({ message: 'D', args: [], comment: [] })`);
    assert.deepEqual(r.literals, ["It's {0}", 'B', 'C', 'D']);
    assert.deepEqual(r.nonLiteral, [2]);
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
