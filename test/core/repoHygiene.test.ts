// Comments and docs speak of the code: no tracker numbers and no paths outside the repository (a clone has
// neither the tracker nor our machines). Pure file checks, no broker needed.
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

// This bundle lives in <root>/dist-test/test/core/.
const ROOT = resolve(__dirname, '..', '..', '..');
const DIRS = ['src', 'media/src', 'media/walkthrough', 'test', 'bench', 'scripts', 'docs', 'examples', '.ci'];
const FILES = ['README.md', 'CHANGELOG.md', 'package.json', 'package.nls.json', 'eslint.config.mjs', 'knip.json'];
const TEXT = /\.(ts|mts|cts|js|mjs|cjs|json|md|sh|py|rabbitmq|html|css)$|(^|\/)run$/;

const RULES: { what: string; re: RegExp }[] = [
  { what: 'tracker number', re: /\(#\d+\)|\b(issue|ticket|bug|pr)s? ?#?\d+\b|\b(see|fixes|closes|per) #\d+\b/i },
  { what: 'path outside the repository', re: /\/work\/|shared\/(notes|seeds)\b/ },
];

function files(dir: string): string[] {
  const abs = join(ROOT, dir);
  try {
    statSync(abs);
  } catch {
    return [];
  }
  return (readdirSync(abs, { recursive: true }) as string[]).map((f) => join(dir, f)).filter((f) => TEXT.test(f) && statSync(join(ROOT, f)).isFile());
}

describe('repository hygiene', () => {
  it('finds what it looks for (self-check)', () => {
    assert.ok(RULES[0].re.test('fixed in (' + '#12)') && RULES[0].re.test('see issue 13') && !RULES[0].re.test(`'#{{$counter}}' → '#1'`));
    assert.ok(RULES[1].re.test('/' + 'work/main') && RULES[1].re.test('../' + 'shared/seeds') && !RULES[1].re.test('media/src/common/api'));
  });

  it('has no tracker numbers and no paths outside the repository in code, tests, scripts and docs', () => {
    const self = join('test', 'core', 'repoHygiene.test.ts');
    const all = [...DIRS.flatMap(files), ...FILES].filter((f) => f !== self);
    assert.ok(all.length > 100, `found only ${all.length} files (is ROOT right?)`);
    const found: string[] = [];
    for (const f of all) {
      const lines = readFileSync(join(ROOT, f), 'utf8').split('\n');
      lines.forEach((line, i) => {
        for (const r of RULES) if (r.re.test(line)) found.push(`${relative(ROOT, join(ROOT, f))}:${i + 1} (${r.what}): ${line.trim().slice(0, 120)}`);
      });
    }
    assert.deepEqual(found, []);
  });
});
