// The TextMate grammar and language configuration of request files (syntaxes/): valid JSON, every regex
// compiles, and the rules meant for each kind of line match it (and not the others).
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Rule {
  match?: string;
  begin?: string;
  end?: string;
  patterns?: Rule[];
  captures?: Record<string, Rule>;
  beginCaptures?: Record<string, Rule>;
  include?: string;
  name?: string;
}

const root = process.cwd();
const grammar = JSON.parse(readFileSync(join(root, 'syntaxes/rabbitmq.tmLanguage.json'), 'utf8')) as { scopeName: string; patterns: Rule[]; repository: Record<string, Rule> };

function regexes(rule: Rule, out: string[] = []): string[] {
  for (const k of ['match', 'begin', 'end'] as const) if (rule[k] !== undefined) out.push(rule[k]!);
  for (const r of rule.patterns ?? []) regexes(r, out);
  for (const c of [rule.captures, rule.beginCaptures]) for (const r of Object.values(c ?? {})) regexes(r, out);
  return out;
}

function rx(key: string): RegExp {
  const r = grammar.repository[key];
  return new RegExp(r.match ?? r.begin!);
}

describe('core/request file grammar (pure)', () => {
  it('is valid JSON with the scope the manifest names, and every regex compiles', () => {
    assert.equal(grammar.scopeName, 'source.rabbitmq');
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { contributes: { grammars?: { scopeName: string; path: string; language: string }[] } };
    const g = pkg.contributes.grammars?.find((x) => x.language === 'rabbitmq');
    assert.deepEqual(g && [g.scopeName, g.path], ['source.rabbitmq', './syntaxes/rabbitmq.tmLanguage.json']);
    const all = [...grammar.patterns.flatMap((p) => regexes(p)), ...Object.values(grammar.repository).flatMap((r) => regexes(r))];
    assert.ok(all.length > 20);
    for (const s of all) assert.doesNotThrow(() => new RegExp(s), s);
    for (const p of grammar.patterns) if (p.include?.startsWith('#')) assert.ok(grammar.repository[p.include.slice(1)], p.include);
  });

  it('each kind of line matches its rule', () => {
    assert.match('### Send a task', rx('separator'));
    assert.match('# @connection local', rx('directive'));
    assert.doesNotMatch('# a comment', rx('directive'));
    assert.match('# a comment', rx('comment'));
    assert.match('// also a comment', rx('comment'));
    assert.match('@tenant = acme', rx('variable-definition'));
    for (const l of ['PUBLISH "" task_queue x 10', 'publish logs ""', 'RPC "" rpc_queue 5s']) assert.match(l, rx('message-request'));
    for (const l of ['PEEK q 5', 'CONSUME q 3 ack', 'PURGE q']) assert.match(l, rx('queue-request'));
    for (const l of ['DECLARE queue q quorum', 'BIND queue q to logs']) assert.match(l, rx('setup-request'));
    assert.doesNotMatch('PEEK q', rx('message-request'));
    const [builtin, variable] = grammar.repository.template.patterns!.map((p) => new RegExp(p.match!));
    assert.deepEqual(builtin.exec('{{$randomInt 1 5}}')?.slice(2, 4), ['$randomInt', ' 1 5']);
    assert.equal(variable.exec('x {{ tenant }}')?.[2], 'tenant');
  });

  it('JSON bodies are embedded JSON (templates first), file references are marked, and the manifest maps the embedding', () => {
    const inner = grammar.repository['message-request'].patterns!;
    const body = inner.find((r) => (r as { contentName?: string }).contentName === 'meta.embedded.block.json');
    assert.ok(body, 'a JSON body rule');
    assert.deepEqual(body.patterns!.map((p) => p.include), ['#template', 'source.json']);
    const start = new RegExp(body.begin!);
    for (const l of ['{"n": {{$counter}}}', '  [1, 2]']) assert.match(l, start);
    for (const l of ['Hello World!', '< ./order.json']) assert.doesNotMatch(l, start);
    const fileRef = inner.find((r) => r.match?.includes('<@?'));
    assert.deepEqual(new RegExp(fileRef!.match!).exec('<@ ./order.json')?.slice(1), ['<@', './order.json']);
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { contributes: { grammars: { language: string; embeddedLanguages?: Record<string, string> }[] } };
    assert.equal(manifest.contributes.grammars.find((g) => g.language === 'rabbitmq')?.embeddedLanguages?.['meta.embedded.block.json'], 'json');
  });

  it('language configuration: line comments and brackets', () => {
    const lc = JSON.parse(readFileSync(join(root, 'syntaxes/rabbitmq.language-configuration.json'), 'utf8')) as { comments: { lineComment: string }; brackets: string[][] };
    assert.equal(lc.comments.lineComment, '#');
    assert.deepEqual(lc.brackets, [['{', '}'], ['[', ']']]);
  });
});
