// The snippets users type (snippets/*.json): generated from src/core/patterns.ts, contributed in the
// manifest, and every one compiles once expanded with its defaults (py_compile, tsc, node --check).
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PATTERN_LANGUAGES, snippetFileText, type SnippetEntry } from '../../src/core/patterns';
import { findPikaIssues } from '../../src/core/pikaMigration';
import { REPO_ROOT, expandSnippet, pythonWithPika, scratchDir, typeCheck } from '../support/programs';

function readSnippets(language: string): Record<string, SnippetEntry> {
  return JSON.parse(readFileSync(join(REPO_ROOT, 'snippets', `${language}.json`), 'utf8')) as Record<string, SnippetEntry>;
}

const REQUIRED_PREFIXES = [
  'rabbitmq-hello-producer',
  'rabbitmq-hello-consumer',
  'rabbitmq-work-producer',
  'rabbitmq-work-consumer',
  'rabbitmq-fanout-producer',
  'rabbitmq-fanout-consumer',
  'rabbitmq-direct-producer',
  'rabbitmq-direct-consumer',
  'rabbitmq-topic-producer',
  'rabbitmq-topic-consumer',
  'rabbitmq-rpc-server',
  'rabbitmq-rpc-client',
];

describe('snippet expander (test support)', () => {
  it('expands placeholders, mirrors, choices, variables and escapes', () => {
    assert.equal(expandSnippet(['a ${1:x${2:y}} $1 ${2}', '${3|p,q|} $TM_FILENAME ${TM_X:def} \\$1 \\}'], { TM_FILENAME: 'f.py' }), 'a xy xy y\np f.py def $1 }');
    // Unknown variables expand to their default, or to nothing.
    assert.equal(expandSnippet('[$TM_SELECTED_TEXT${TM_LINE_NUMBER:7}]'), '[7]');
  });

  it('rejects an unescaped "$"', () => {
    assert.throws(() => expandSnippet('price: $ 5'), /unexpected "\$"/);
  });
});

describe('snippets', () => {
  for (const language of PATTERN_LANGUAGES) {
    it(`snippets/${language}.json is generated from the pattern templates and up to date`, () => {
      const onDisk = readFileSync(join(REPO_ROOT, 'snippets', `${language}.json`), 'utf8');
      assert.equal(onDisk, snippetFileText(language), 'run `node scripts/gen-snippets.mjs` (the build does it)');
    });

    it(`${language}: has every pattern prefix, a description and tab stops`, () => {
      const snippets = readSnippets(language);
      const prefixes = Object.values(snippets).flatMap((s) => s.prefix);
      for (const p of REQUIRED_PREFIXES) assert.ok(prefixes.includes(p), `missing prefix ${p}`);
      for (const [name, s] of Object.entries(snippets)) {
        assert.ok(s.description.length > 10, `${name}: no description`);
        assert.match(s.body.join('\n'), /\$\{1:[^}]+\}/, `${name}: no \${1:…} tab stop`);
        const text = expandSnippet(s.body);
        assert.match(text, /RABBITMQ_URL/, `${name}: does not read RABBITMQ_URL`);
        assert.doesNotMatch(text, /guest:guest|password\s*=\s*['"]/i, `${name}: holds a password`);
      }
    });
  }

  it('package.json contributes the three snippet files', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { contributes: { snippets?: { language: string; path: string }[] } };
    const contributed = pkg.contributes.snippets ?? [];
    for (const language of PATTERN_LANGUAGES) {
      const entry = contributed.find((s) => s.language === language);
      assert.ok(entry, `no snippets contributed for ${language}`);
      assert.doesNotThrow(() => readFileSync(join(REPO_ROOT, entry.path)), `${entry.path} is missing`);
    }
  });

  it('Python snippets are pika 1.x (the migration checker finds nothing) and use what the patterns promise', () => {
    const snippets = readSnippets('python');
    for (const [name, s] of Object.entries(snippets)) {
      const text = expandSnippet(s.body);
      assert.deepEqual(findPikaIssues(text).map((f) => f.code), [], name);
    }
    const work = expandSnippet(snippets['RabbitMQ Work queue: consumer'].body);
    assert.match(work, /basic_qos\(prefetch_count=1\)/);
    assert.match(work, /basic_ack\(/);
    assert.match(work, /durable=True/);
    assert.match(expandSnippet(snippets['RabbitMQ Work queue: producer'].body), /delivery_mode=2/);
    assert.match(expandSnippet(snippets['RabbitMQ Publish/Subscribe (fanout): consumer'].body), /queue_declare\(queue='', exclusive=True\)/);
  });

  it('every queue a snippet declares is durable or exclusive (RabbitMQ 4.x may refuse transient shared queues)', () => {
    let declares = 0;
    for (const language of PATTERN_LANGUAGES) {
      for (const [name, s] of Object.entries(readSnippets(language))) {
        const text = expandSnippet(s.body);
        const calls = language === 'python' ? text.match(/queue_declare\([^)]*\)/g) ?? [] : text.match(/assertQueue\([^)]*\)/g) ?? [];
        for (const call of calls) {
          declares++;
          const ok = language === 'python' ? /\b(durable|exclusive)=True\b/.test(call) : /\b(durable|exclusive): true\b/.test(call);
          assert.ok(ok, `${language} ${name}: ${call}`);
        }
      }
    }
    assert.ok(declares >= 20, `only ${declares} queue declarations found`);
  });

  it('every Python snippet compiles (py_compile)', function () {
    this.timeout(60000);
    const dir = scratchDir('py-snippets');
    try {
      const files = Object.entries(readSnippets('python')).map(([, s], i) => dir.write(`snippet_${i}.py`, expandSnippet(s.body)));
      const r = spawnSync(pythonWithPika(), ['-m', 'py_compile', ...files], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    } finally {
      dir.remove();
    }
  });

  it('every JavaScript snippet passes node --check', function () {
    this.timeout(60000);
    const dir = scratchDir('js-snippets');
    try {
      for (const [name, s] of Object.entries(readSnippets('javascript'))) {
        const file = dir.write(`${name.replace(/\W+/g, '_')}.js`, expandSnippet(s.body));
        const r = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8' });
        assert.equal(r.status, 0, `${name}: ${r.stderr}`);
      }
    } finally {
      dir.remove();
    }
  });

  it('every TypeScript snippet type-checks (tsc --strict with amqplib types)', function () {
    this.timeout(120000);
    const dir = scratchDir('ts-snippets');
    try {
      for (const [name, s] of Object.entries(readSnippets('typescript'))) dir.write(`${name.replace(/\W+/g, '_')}.ts`, expandSnippet(s.body));
      const errors = typeCheck(dir.dir);
      assert.equal(errors, '', errors);
    } finally {
      dir.remove();
    }
  });
});
