// Request files (src/core/requestFile.ts, requestTemplates.ts): every block form parsed, bad blocks refused with
// their line, column and field before anything is sent, templates evaluated per message; then parsed blocks run
// against the real broker through the core operations (fresh vhost), checked with an independent amqplib client.
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as amqp from 'amqplib';
import { isRabbitError, RabbitError } from '../../src/core/errors';
import {
  blockAt,
  parseRequestFile,
  prepareBlock,
  runBlock,
  type PreparedRequest,
  type PublishRequest,
  type RequestFile,
} from '../../src/core/requestFile';
import { compileTemplate, parseDotenv, TemplateError, TemplateScope } from '../../src/core/requestTemplates';
import * as ops from '../../src/core/operations';
import type { AmqpSession } from '../../src/core/session';
import { startRawRpcServer } from '../support/rawRpcServer';
import { sessionFor } from '../support/amqpSession';
import { brokerDeniesTransientQueues, createTestVhost, type TestVhost } from '../support/broker';
import { EXAMPLE_REQUEST_FILE } from '../../src/features/requestFiles/example';

function parse(text: string): RequestFile {
  return parseRequestFile(text);
}

/** The file parses without any diagnostic. */
function clean(text: string): RequestFile {
  const f = parse(text);
  assert.deepEqual(f.diagnostics.map((d) => d.message), []);
  return f;
}

/** The one error of the file is on `line` (1-based), names `field` and matches `re`. */
function oneError(text: string, line: number, field: string, re?: RegExp): void {
  const f = parse(text);
  const errors = f.diagnostics.filter((d) => d.severity === 'error');
  assert.equal(errors.length, 1, `expected one error, got ${JSON.stringify(errors.map((d) => d.message))}`);
  assert.equal(errors[0].line + 1, line, errors[0].message);
  assert.equal(errors[0].field, field, errors[0].message);
  assert.ok(errors[0].message.startsWith(`line ${line}, column ${errors[0].column + 1}: ${field}: `), errors[0].message);
  if (re) assert.match(errors[0].message, re);
  // A block with an error has no request, so it can never be sent.
  for (const b of f.blocks) if (b.diagnostics.some((d) => d.severity === 'error')) assert.equal(b.request, undefined);
}

async function prepared(text: string, ctx = {}): Promise<PreparedRequest> {
  const f = clean(text);
  return prepareBlock(f, f.blocks[0], ctx);
}

async function refusedAtRun(text: string, line: number, field: string, re?: RegExp, ctx = {}): Promise<RabbitError> {
  const f = parse(text);
  let caught: unknown;
  try {
    await prepareBlock(f, f.blocks[0], ctx);
  } catch (e) {
    caught = e;
  }
  assert.ok(isRabbitError(caught, 'INVALID_INPUT'), `expected INVALID_INPUT, got ${String(caught)}`);
  assert.equal(caught.field, field, caught.message);
  assert.ok(caught.message.startsWith(`line ${line}, `), caught.message);
  if (re) assert.match(caught.message, re);
  return caught;
}

describe('core/requestFile: parsing (pure)', () => {
  it('reads directives, variables and blocks separated by ###', () => {
    const f = clean(['# @connection local', '# @vhost /', '@tenant = acme', '', '### Send', 'PUBLISH "" task_queue', '', 'hello', '', '### Look', 'PEEK task_queue 5'].join('\n'));
    assert.deepEqual(f.connection, { name: 'local', line: 0 });
    assert.deepEqual(f.vhost, { name: '/', line: 1 });
    assert.equal(f.variables.get('tenant')?.template.source, 'acme');
    assert.deepEqual(f.blocks.map((b) => [b.verb, b.title, b.startLine, b.requestLine, b.endLine]), [
      ['PUBLISH', 'Send', 4, 5, 8],
      ['PEEK', 'Look', 9, 10, 10],
    ]);
    assert.deepEqual(f.separators, [4, 9]);
    assert.equal(blockAt(f, 7)?.index, 0);
    assert.equal(blockAt(f, 10)?.index, 1);
    assert.equal(blockAt(f, 2), undefined);
  });

  it('a block before any ### and CRLF line ends', () => {
    const f = clean('PUBLISH amq.fanout ""\r\n\r\nbody\r\n');
    assert.equal(f.blocks.length, 1);
    const r = f.blocks[0].request as PublishRequest;
    assert.equal(r.exchange.template.source, 'amq.fanout');
    assert.equal(r.routingKey.template.source, '');
    assert.equal(r.body?.kind === 'inline' && r.body.text.template.source, 'body');
  });

  it('PUBLISH: properties, headers, flags, JSON body and x N', () => {
    const f = clean(
      [
        '### p',
        'publish "" "task queue" x 100',
        'content-type: application/json',
        'header x-tenant: a b',
        'header X-Trace: {{$uuid}}',
        'persistent',
        'priority: 5',
        'expiration: 60000',
        '# a comment between property lines',
        'messageId: m-1',
        'mandatory',
        '',
        '{',
        '  "n": {{$counter}}',
        '}',
        '',
        '# a note after the body is not part of it',
      ].join('\n'),
    );
    const r = f.blocks[0].request as PublishRequest;
    assert.equal(r.verb, 'PUBLISH');
    assert.equal(r.routingKey.template.source, 'task queue');
    assert.equal(r.repeat, 100);
    assert.equal(r.mandatory, true);
    assert.deepEqual(r.properties.map((p) => [p.name, p.value.template.source]), [
      ['contentType', 'application/json'],
      ['persistent', 'true'],
      ['priority', '5'],
      ['expiration', '60000'],
      ['messageId', 'm-1'],
    ]);
    assert.deepEqual(r.headers.map((h) => [h.name, h.value.template.source]), [['x-tenant', 'a b'], ['X-Trace', '{{$uuid}}']]);
    assert.equal(r.body?.kind, 'inline');
    if (r.body?.kind === 'inline') {
      assert.equal(r.body.text.template.source, '{\n  "n": {{$counter}}\n}');
      assert.deepEqual([r.body.startLine, r.body.endLine], [12, 14]);
    }
    assert.equal(parse('PUBLISH "" q x5\n').blocks[0].request?.verb, 'PUBLISH');
    assert.equal((parse('PUBLISH "" q x5\n').blocks[0].request as PublishRequest).repeat, 5);
  });

  it('PUBLISH: a body from a file', () => {
    const r = clean('PUBLISH "" q\ncontent-type: application/json\n\n< ./order.json\n').blocks[0].request as PublishRequest;
    assert.deepEqual(r.body && { kind: r.body.kind, path: (r.body as { path: string }).path, templated: (r.body as { templated: boolean }).templated }, { kind: 'file', path: './order.json', templated: false });
    const t = clean('PUBLISH "" q\n\n<@ data/x.txt\n').blocks[0].request as PublishRequest;
    assert.equal(t.body?.kind === 'file' && t.body.templated, true);
  });

  it('PEEK, CONSUME, RPC, PURGE, DECLARE and BIND forms', () => {
    const f = clean(
      [
        '###',
        'PEEK orders',
        '###',
        'PEEK orders 25',
        '###',
        'CONSUME orders 3 reject',
        '###',
        'CONSUME orders',
        '###',
        'RPC "" rpc_queue 5s',
        'content-type: text/plain',
        '',
        '30',
        '###',
        'PURGE orders',
        '###',
        'DECLARE exchange logs fanout durable',
        'DECLARE queue orders quorum',
        '  x-delivery-limit: 5',
        '  x-dead-letter-exchange: dlx',
        'DECLARE queue "" exclusive auto-delete transient',
        'BIND queue orders to logs',
        'BIND exchange audit to logs "#"',
        '  x-match: all',
      ].join('\n'),
    );
    const reqs = f.blocks.map((b) => b.request);
    assert.deepEqual(reqs[0], { verb: 'PEEK', queue: reqs[0] && (reqs[0] as { queue: unknown }).queue, count: undefined });
    assert.equal((reqs[1] as { count: number }).count, 25);
    assert.deepEqual([(reqs[2] as { count: number }).count, (reqs[2] as { mode: string }).mode], [3, 'reject']);
    assert.equal((reqs[3] as { mode?: string }).mode, undefined);
    assert.equal((reqs[4] as { timeoutMs: number }).timeoutMs, 5000);
    assert.equal(reqs[5]?.verb, 'PURGE');
    const setup = reqs[6] as { steps: { kind: string; target: string; type?: string; durable?: boolean; exclusive?: boolean; autoDelete?: boolean; arguments: { name: string }[] }[] };
    assert.deepEqual(
      setup.steps.map((s) => [s.kind, s.target, s.type, s.durable, s.exclusive, s.autoDelete, s.arguments.map((a) => a.name).join(',')]),
      [
        ['declare', 'exchange', 'fanout', true, undefined, undefined, ''],
        ['declare', 'queue', 'quorum', undefined, undefined, undefined, 'x-delivery-limit,x-dead-letter-exchange'],
        ['declare', 'queue', undefined, false, true, true, ''],
        ['bind', 'queue', undefined, undefined, undefined, undefined, ''],
        ['bind', 'exchange', undefined, undefined, undefined, undefined, 'x-match'],
      ],
    );
  });

  it('bad request lines name their line, column and field', () => {
    oneError('### a\nPUBLSH "" q\n', 2, 'request line', /"PUBLSH" is not a request.*PUBLISH, PEEK/);
    oneError('PUBLISH ""\n', 1, 'routingKey', /is missing.*PUBLISH <exchange> <routing-key>/);
    oneError('PUBLISH "" q x 0\n', 1, 'repeat', /from 1 to 100000 \(got "0"\)/);
    oneError('PUBLISH "" q y\n', 1, 'request line', /has "y" after the routing key/);
    oneError('PUBLISH "" "unclosed\n', 1, 'request line', /closing quote/);
    oneError(`PUBLISH "" ${'k'.repeat(256)}\n`, 1, 'routingKey', /256 bytes long; AMQP allows at most 255/);
    oneError('PEEK\n', 1, 'queue', /is missing/);
    oneError('PEEK q 1001\n', 1, 'count', /from 1 to 1000/);
    oneError('PEEK q\nbody\n', 2, 'line', /PEEK takes no property lines or body/);
    oneError('CONSUME q 2 drop\n', 1, 'request line', /"drop" is not expected/);
    oneError('CONSUME q 70000\n', 1, 'count', /at most 65535 without ack\|nack\|reject/);
    assert.equal(clean('CONSUME q 70000 ack\n').blocks[0].request?.verb, 'CONSUME');
    oneError('RPC "" q 11m\n', 1, 'timeout', /1 ms to 10 minutes/);
    oneError('PURGE q now\n', 1, 'request line', /after the queue/);
    oneError('DECLARE topic x\n', 1, 'kind', /must be "queue" or "exchange"/);
    oneError('DECLARE exchange x\n', 1, 'type', /direct, fanout, topic or headers/);
    oneError('DECLARE queue q lazy\n', 1, 'queue option', /"lazy" is not expected/);
    oneError('BIND queue q logs\n', 1, 'request line', /BIND queue <queue> to <exchange>/);
    oneError('DECLARE queue q\nPEEK q\n', 2, 'line', /PEEK cannot share a block/);
  });

  it('a transient queue that is not exclusive is a warning (RabbitMQ 4 may refuse it); the block still runs', () => {
    const f = parse('DECLARE queue tq transient\n###\nDECLARE queue "" transient exclusive\n###\nDECLARE queue dq\n');
    assert.deepEqual(f.diagnostics.map((d) => [d.line + 1, d.column + 1, d.field, d.severity]), [[1, 18, 'queue option', 'warning']]);
    assert.match(f.diagnostics[0].message, /Queue "tq" is transient and not exclusive: .*transient_nonexcl_queues.*Declare it durable, or exclusive/);
    assert.equal(f.blocks[0].request?.verb, 'DECLARE');
  });

  it('bad property and header lines: the shared schema decides, the message names the line', () => {
    oneError('PUBLISH "" q\npriority: high\n\nx', 2, 'priority', /must be a whole number from 0 to 255 \(got "high"\)/);
    oneError('PUBLISH "" q\nexpiration: soon\n\nx', 2, 'expiration', /whole number of milliseconds/);
    oneError('PUBLISH "" q\ncolour: red\n\nx', 2, 'colour', /is not an AMQP message property.*Known properties: content-type.*header colour: red/);
    oneError('PUBLISH "" q\ndelivery-mode: 3\n\nx', 2, 'delivery-mode', /1 \(transient\) or 2 \(persistent\)/);
    oneError('PUBLISH "" q\ntimestamp: yesterday\n\nx', 2, 'timestamp', /ISO date/);
    oneError('PUBLISH "" q\npriority: 1\npriority: 2\n\nx', 3, 'priority', /set twice \(also on line 2\)/);
    oneError('PUBLISH "" q\nheader a: 1\nheader a: 2\n\nx', 3, 'header a', /set twice/);
    oneError('PUBLISH "" q\ncontent-type: text/plain\n{"a":1}\n', 3, 'body', /blank line between/);
    oneError('PUBLISH "" q\njust words\n', 2, 'property line', /is not a property line/);
    oneError('RPC "" q\nreply-to: mine\n\nx', 2, 'reply-to', /cannot be set here.*sets reply-to itself/);
    oneError('RPC "" q\ncorrelation-id: {{$uuid}}\n\nx', 2, 'correlation-id', /sets correlation-id itself/);
    oneError('PUBLISH "" q\n\n< ./a.json\nmore\n', 4, 'body', /either a file reference or inline text/);
    // The same line in several blocks (checked once by the schema) is reported in each, at its own place;
    // reply-to is refused in RPC blocks only.
    const twice = parse('PUBLISH "" q\npriority: high\n\nx\n###\nPUBLISH "" q\n  priority: high\n\nx\n###\nRPC "" q\nreply-to: mine\n\nx\n###\nPUBLISH "" q\nreply-to: mine\n\nx\n');
    assert.deepEqual(twice.diagnostics.map((d) => [d.line + 1, d.column + 1, d.field]), [[2, 11, 'priority'], [7, 13, 'priority'], [12, 11, 'reply-to']]);
  });

  it('invalid JSON when content-type says JSON: line and column of the fault', () => {
    const text = 'PUBLISH "" q\ncontent-type: application/json\n\n{\n  "a": 1,\n  "b": \n}\n';
    oneError(text, 7, 'body', /is not valid JSON .* but content-type is application\/json/);
    // Placeholders count as values: this is valid JSON once rendered.
    clean('PUBLISH "" q\ncontent-type: application/vnd.x+json\n\n{"n": {{$counter}}, "id": "{{$uuid}}"}\n');
    // text/plain bodies are not checked.
    clean('PUBLISH "" q\ncontent-type: text/plain\n\n{not json\n');
  });

  it('template syntax errors at parse time', () => {
    oneError('PUBLISH "" q\n\nhi {{$uuidd}}\n', 3, 'body', /unknown built-in "\$uuidd".*\$uuid, \$timestamp/);
    oneError('PUBLISH "" q\n\nhi {{name\n', 3, 'body', /without a closing "}}"/);
    oneError('PUBLISH "" q\n\n{{$randomInt 5 1}}\n', 3, 'body', /max greater than min/);
    oneError('PUBLISH "" q\n\n{{$dotenv}}\n', 3, 'body', /needs one variable name/);
    oneError('@a = {{}}\nPUBLISH "" q\n', 1, '@a', /empty placeholder/);
    oneError('# @vhost a\n# @vhost b\nPEEK q\n', 2, '@vhost', /set twice/);
    const f = parse('PUBLISH "" q\n\n  x {{$faker}}\n');
    assert.equal(f.diagnostics[0].line, 2);
    assert.equal(f.diagnostics[0].column, 4, 'column of the placeholder');
  });

  it('parses 10,000 lines in one pass (every line kind)', () => {
    const block = ['### b', 'PUBLISH "" q x 2', 'content-type: application/json', 'header h: {{v}}', 'persistent', '', '{"a": {{$counter}}}', ''];
    const lines: string[] = ['@v = 1'];
    while (lines.length < 10_000) lines.push(...block);
    const f = clean(lines.join('\n'));
    assert.equal(f.blocks.length, Math.floor((lines.length - 1) / block.length));
  });

  it('the example files and "New Request File" declare only durable or exclusive queues (RabbitMQ 4 refuses transient shared ones)', () => {
    const dir = join(process.cwd(), 'examples');
    const texts = readdirSync(dir).filter((n) => n.endsWith('.rabbitmq')).map((n) => [n, readFileSync(join(dir, n), 'utf8')] as const);
    texts.push(['New Request File', EXAMPLE_REQUEST_FILE]);
    let queues = 0;
    for (const [name, text] of texts) {
      for (const b of clean(text).blocks) {
        const r = b.request;
        if (r?.verb !== 'DECLARE' && r?.verb !== 'BIND') continue;
        for (const st of r.steps) {
          if (st.kind !== 'declare' || st.target !== 'queue') continue;
          queues++;
          // Unset means durable (the core's default).
          assert.ok(st.durable !== false || st.exclusive === true, `${name}, line ${st.line + 1}: queue "${st.name.template.source}" is transient and not exclusive`);
        }
      }
    }
    assert.ok(queues >= 10, `only ${queues} queue declarations checked`);
  });
});

describe('core/requestFile: templates and evaluation (pure)', () => {
  it('RabbitError is recognized across copies of the module (the request-file bundle has its own)', () => {
    // What a second copy of errors.ts makes: a different class with the same brand.
    class OtherCopy extends Error {
      readonly code = 'CANCELLED';
      constructor() {
        super('from the other bundle');
        Object.defineProperty(this, Symbol.for('rabbitmq-workbench.RabbitError'), { value: true });
      }
    }
    assert.ok(new OtherCopy() instanceof RabbitError);
    assert.ok(isRabbitError(new OtherCopy(), 'CANCELLED'));
    assert.ok(!(new Error('plain') instanceof RabbitError));
    assert.ok(!((null as unknown as object) instanceof RabbitError));
    const te = new TemplateError({ line: 0, column: 0 }, 1, 'bad');
    assert.ok(te instanceof TemplateError && te instanceof RabbitError);
    assert.ok(!(new RabbitError('INVALID_INPUT', 'x') instanceof TemplateError), 'subclasses keep the prototype check');
  });

  it('built-ins: $uuid, $timestamp, $isoTimestamp, $randomInt, $counter, $dotenv, $processEnv', () => {
    const now = Date.UTC(2024, 4, 1, 10, 0, 0);
    const scope = new TemplateScope({ now: () => now, dotenv: { TOKEN: 't0k' }, processEnv: { HOME_X: '/h' } });
    const r = (s: string): string => scope.render(compileTemplate(s));
    assert.match(r('{{$uuid}}'), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(r('{{$uuid}}'), r('{{$uuid}}'));
    assert.equal(r('{{$timestamp}}'), String(now / 1000));
    assert.equal(r('{{$timestamp -1 d}}'), String(now / 1000 - 86400));
    assert.equal(r('{{$isoTimestamp}}'), '2024-05-01T10:00:00.000Z');
    assert.equal(r('{{ $isoTimestamp 2 h }}'), '2024-05-01T12:00:00.000Z');
    for (let k = 0; k < 200; k++) {
      const n = Number(r('{{$randomInt 3 6}}'));
      assert.ok(n >= 3 && n < 6 && Number.isInteger(n), String(n));
    }
    assert.equal(r('{{$dotenv TOKEN}}'), 't0k');
    assert.equal(r('{{$processEnv HOME_X}}'), '/h');
    assert.equal(r('#{{$counter}}'), '#1');
    scope.next();
    assert.equal(r('#{{$counter}}'), '#2');
    assert.throws(() => r('{{$dotenv NOPE}}'), /line 1, column 1: \$dotenv NOPE is not set.*Add NOPE=/);
  });

  it('.env files: comments, export, quotes', () => {
    assert.deepEqual(parseDotenv('# c\nA=1\nexport B = two words # note\nC="x\\ny"\nD=\'#not a comment\'\n bad line\n'), { A: '1', B: 'two words', C: 'x\ny', D: '#not a comment' });
  });

  it('variables: file over environment over $shared; nested; per-message; undefined and cycles', () => {
    const f = clean('@host = {{prefix}}-h\n@id = {{$uuid}}\n@a = {{b}}\n@b = {{a}}\nPEEK q\n');
    const scope = new TemplateScope({ fileVariables: f.variables, environment: { prefix: 'dev', host: 'env-host', only: '{{sharedOnly}}!' }, environmentName: 'dev', shared: { sharedOnly: 's', prefix: 'shared' } });
    const r = (s: string): string => scope.render(compileTemplate(s));
    assert.equal(r('{{host}}'), 'dev-h');
    assert.equal(r('{{only}}'), 's!');
    const id = r('{{id}}');
    assert.equal(r('{{id}}'), id, 'one message sees one value');
    scope.next();
    assert.notEqual(r('{{id}}'), id, 'the next message gets a fresh value');
    assert.throws(() => r('x {{missing}}'), /line 1, column 3: variable "missing" is not defined.*@missing = value.*environment "dev"/);
    assert.throws(() => r('{{a}}'), /refers to itself \(a → b → a\)/);
  });

  it('$faker through a loaded faker, with arguments; unknown methods named', async () => {
    const { faker } = await import('@faker-js/faker');
    faker.seed(7);
    const scope = new TemplateScope({ faker });
    const r = (s: string): string => scope.render(compileTemplate(s));
    assert.match(r('{{$faker person.fullName}}'), /\S+ \S+/);
    const n = Number(r('{{$faker number.int 9}}'));
    assert.ok(Number.isInteger(n) && n >= 0 && n <= 9);
    assert.throws(() => r('{{$faker person.fullNam}}'), /person.fullNam is not a faker method.*fullName/);
    assert.throws(() => new TemplateScope({}).render(compileTemplate('{{$faker person.fullName}}')), /\$faker is not available/);
  });

  it('PUBLISH x N: templates re-evaluated for each message, properties converted by the schema', async () => {
    const p = await prepared(
      ['@tenant = acme', 'PUBLISH "" jobs-{{tenant}} x 3', 'content-type: application/json', 'message-id: {{$uuid}}', 'header x-n: {{$counter}}', 'persistent', 'priority: {{$counter}}', 'timestamp: now', '', '{"n": {{$counter}}}'].join('\n'),
    );
    assert.equal(p.verb, 'PUBLISH');
    if (p.verb !== 'PUBLISH') return;
    assert.equal(p.messages.length, 3);
    assert.deepEqual(p.messages.map((m) => [m.routingKey, m.body, m.priority, m.deliveryMode, m.headers?.['x-n']]), [
      ['jobs-acme', '{"n": 1}', 1, 2, '1'],
      ['jobs-acme', '{"n": 2}', 2, 2, '2'],
      ['jobs-acme', '{"n": 3}', 3, 2, '3'],
    ]);
    assert.equal(new Set(p.messages.map((m) => m.messageId)).size, 3);
    assert.ok(typeof p.messages[0].timestamp === 'number' && Math.abs((p.messages[0].timestamp as number) - Date.now() / 1000) < 5);
  });

  it('run-time checks after templates name the line: property values, JSON bodies, undefined variables', async () => {
    await refusedAtRun('@p = high\nPUBLISH "" q\npriority: {{p}}\n\nx', 3, 'priority', /priority: must be a whole number from 0 to 255 \(got "high"\)/);
    await refusedAtRun('@v = oops\nPUBLISH "" q\ncontent-type: application/json\n\n{"a": {{v}}}\n', 5, 'body', /not valid JSON after its templates/);
    await refusedAtRun('PUBLISH "" {{queue}}\n', 1, 'routingKey', /variable "queue" is not defined/);
    await refusedAtRun('@k = {{$randomInt 0 9}}\nPUBLISH "" q{{long}}\n', 2, 'routingKey', /variable "long" is not defined/);
    const long = 'k'.repeat(300);
    await refusedAtRun(`@long = ${long}\nPUBLISH "" {{long}}\n`, 2, 'routingKey', /300 bytes long after its templates/);
  });

  it('bodies from files: raw bytes, or with templates (<@); missing files named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reqfile-'));
    try {
      writeFileSync(join(dir, 'raw.bin'), Buffer.from([0, 1, 2, 255]));
      writeFileSync(join(dir, 'order.json'), '{"n": {{$counter}}}');
      const raw = await prepared('PUBLISH "" q\n\n< ./raw.bin\n', { baseDir: dir });
      assert.ok(raw.verb === 'PUBLISH' && Buffer.isBuffer(raw.messages[0].body) && raw.messages[0].body.equals(Buffer.from([0, 1, 2, 255])));
      const t = await prepared('PUBLISH "" q x 2\ncontent-type: application/json\n\n<@ order.json\n', { baseDir: dir });
      assert.deepEqual(t.verb === 'PUBLISH' && t.messages.map((m) => m.body), ['{"n": 1}', '{"n": 2}']);
      await refusedAtRun('PUBLISH "" q\n\n< ./nope.json\n', 3, 'body', /cannot read "\.\/nope\.json" \(no such file\)/, { baseDir: dir });
      await refusedAtRun('PUBLISH "" q\ncontent-type: application/json\n\n< ./raw.bin\n', 4, 'body', /is not valid JSON/, { baseDir: dir });
      await refusedAtRun('PUBLISH "" q\n\n< ./order.json\n', 3, 'body', /not saved/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('DECLARE arguments: numbers and booleans typed, strings kept', async () => {
    const p = await prepared('DECLARE queue q quorum\n  x-delivery-limit: 5\n  x-dead-letter-exchange: dlx\n  x-single-active-consumer: true\n  x-note: "42"\n');
    assert.ok(p.verb === 'DECLARE');
    if (p.verb !== 'DECLARE') return;
    const s = p.steps[0];
    assert.equal(s.kind, 'declare-queue');
    if (s.kind === 'declare-queue') assert.deepEqual(s.options.arguments, { 'x-delivery-limit': 5, 'x-dead-letter-exchange': 'dlx', 'x-single-active-consumer': true, 'x-note': '42' });
  });
});

describe('core/requestFile: running blocks on the real broker', () => {
  let vh: TestVhost;
  let s: AmqpSession;
  let raw: amqp.ChannelModel;
  let ch: amqp.Channel;

  before(async () => {
    vh = await createTestVhost('reqfile');
    s = sessionFor(vh);
    raw = await amqp.connect(vh.amqpUrl);
    raw.on('error', () => undefined);
    ch = await raw.createChannel();
  });
  after(async () => {
    await raw.close().catch(() => undefined);
    await s.close();
    await vh.delete();
  });

  async function run(text: string, index = 0, opts = {}): Promise<Awaited<ReturnType<typeof runBlock>>> {
    const f = clean(text);
    return runBlock(s, f, f.blocks[index], {}, { confirmPurge: async () => true, ...opts });
  }

  /** Takes every message of a queue with plain amqplib (acks them). */
  async function drain(queue: string): Promise<amqp.GetMessage[]> {
    const out: amqp.GetMessage[] = [];
    for (;;) {
      const m = await ch.get(queue, { noAck: true });
      if (!m) return out;
      out.push(m);
    }
  }

  it('DECLARE and BIND set up a pattern; PUBLISH x N arrives with its properties and headers', async () => {
    const setup = await run(
      ['### setup', 'DECLARE exchange rf.logs fanout', 'DECLARE queue rf.a', '  x-max-priority: 10', 'DECLARE queue rf.b', 'BIND queue rf.a to rf.logs', 'BIND queue rf.b to rf.logs'].join('\n'),
    );
    assert.equal(setup.verb, 'DECLARE');
    const r = await run(['@tenant = acme', 'PUBLISH rf.logs "" x 20', 'content-type: application/json', 'header x-tenant: {{tenant}}', 'header x-n: {{$counter}}', 'persistent', 'priority: 3', 'expiration: 60000', 'app-id: wb', 'mandatory', '', '{"n": {{$counter}}}'].join('\n'));
    assert.deepEqual(r.verb === 'PUBLISH' && [r.published, r.confirmed, r.returned, r.nacked], [20, 20, 0, 0]);
    for (const q of ['rf.a', 'rf.b']) {
      const got = await drain(q);
      assert.equal(got.length, 20);
      assert.deepEqual(got.map((m) => JSON.parse(m.content.toString()).n), Array.from({ length: 20 }, (_, k) => k + 1));
      const p = got[0].properties;
      assert.deepEqual([p.contentType, p.deliveryMode, p.priority, p.expiration, p.appId, p.headers?.['x-tenant'], p.headers?.['x-n']], ['application/json', 2, 3, '60000', 'wb', 'acme', '1']);
    }
  });

  it('PUBLISH to the default exchange; mandatory reports unroutable; not mandatory does not', async () => {
    await ops.declareQueue(s, { name: 'rf.task' });
    const one = await run('PUBLISH "" rf.task\nmandatory\n\nhello');
    assert.deepEqual(one.verb === 'PUBLISH' && [one.published, one.returned], [1, 0]);
    const lost = await run('PUBLISH "" rf.nowhere\nmandatory\n\nhello');
    assert.deepEqual(lost.verb === 'PUBLISH' && [lost.published, lost.returned], [1, 1]);
    const many = await run('PUBLISH "" rf.nowhere x 3\nmandatory\n\nhello');
    assert.deepEqual(many.verb === 'PUBLISH' && [many.published, many.returned], [3, 3]);
    const blind = await run('PUBLISH "" rf.nowhere\n\nhello');
    assert.deepEqual(blind.verb === 'PUBLISH' && [blind.published, blind.returned, blind.mandatory], [1, 0, false]);
    assert.deepEqual((await drain('rf.task')).map((m) => m.content.toString()), ['hello']);
  });

  it('PEEK is non-destructive: the messages stay, in order', async () => {
    await ops.declareQueue(s, { name: 'rf.peek' });
    await run('PUBLISH "" rf.peek x 5\n\nm{{$counter}}');
    const r = await run('PEEK rf.peek 3');
    assert.ok(r.verb === 'PEEK');
    if (r.verb !== 'PEEK') return;
    assert.deepEqual(r.peek.messages.map((m) => m.body.text), ['m1', 'm2', 'm3']);
    assert.equal((await ops.checkQueue(s, 'rf.peek')).messageCount, 5);
    assert.deepEqual((await drain('rf.peek')).map((m) => m.content.toString()), ['m1', 'm2', 'm3', 'm4', 'm5']);
  });

  it('CONSUME with ack removes, nack gives back, reject dead-letters', async () => {
    await run(['DECLARE exchange rf.dlx fanout', 'DECLARE queue rf.dead', 'BIND queue rf.dead to rf.dlx', 'DECLARE queue rf.work', '  x-dead-letter-exchange: rf.dlx'].join('\n'));
    await run('PUBLISH "" rf.work x 6\n\nw{{$counter}}');
    const nack = await run('CONSUME rf.work 2 nack', 0, { consumeIdleMs: 300 });
    assert.deepEqual(nack.verb === 'CONSUME' && nack.messages?.map((m) => m.body.text), ['w1', 'w2']);
    assert.equal((await ops.checkQueue(s, 'rf.work')).messageCount, 6);
    const ack = await run('CONSUME rf.work 2 ack', 0, { consumeIdleMs: 300 });
    assert.deepEqual(ack.verb === 'CONSUME' && ack.messages?.map((m) => m.body.text), ['w1', 'w2']);
    const rej = await run('CONSUME rf.work 1 reject', 0, { consumeIdleMs: 300 });
    assert.deepEqual(rej.verb === 'CONSUME' && rej.messages?.map((m) => m.body.text), ['w3']);
    assert.deepEqual((await drain('rf.work')).map((m) => m.content.toString()), ['w4', 'w5', 'w6']);
    assert.deepEqual((await drain('rf.dead')).map((m) => m.content.toString()), ['w3']);
    // Without a mode CONSUME only says what to open (the consume panel), taking nothing.
    const panel = await run('CONSUME rf.work 5');
    assert.deepEqual(panel, { verb: 'CONSUME', queue: 'rf.work', count: 5 });
  });

  it('RPC: the reply comes back with its round trip', async () => {
    const server = await startRawRpcServer(raw, 'rf.rpc', { respond: (m, send) => send(Buffer.from(String(Number(m.content.toString()) * 2)), { contentType: 'text/plain' }) });
    try {
      const r = await run('RPC "" rf.rpc 5s\ncontent-type: text/plain\n\n21');
      assert.ok(r.verb === 'RPC');
      if (r.verb !== 'RPC') return;
      assert.equal(r.reply.reply.body.text, '42');
      assert.ok(r.reply.roundTripMs > 0);
    } finally {
      await server.close();
    }
    let caught: unknown;
    try {
      await run('RPC "" rf.no-server 2s\n\nx');
    } catch (e) {
      caught = e;
    }
    assert.ok(isRabbitError(caught, 'UNROUTABLE'), String(caught));
  });

  it('PURGE asks first: no confirmation, nothing deleted', async () => {
    await ops.declareQueue(s, { name: 'rf.purge' });
    await run('PUBLISH "" rf.purge x 4\n\np');
    await assert.rejects(run('PURGE rf.purge', 0, { confirmPurge: async () => false }), (e: unknown) => isRabbitError(e, 'CANCELLED'));
    const f = clean('PURGE rf.purge');
    await assert.rejects(runBlock(s, f, f.blocks[0]), (e: unknown) => isRabbitError(e, 'CANCELLED'));
    assert.equal((await ops.checkQueue(s, 'rf.purge')).messageCount, 4);
    const r = await run('PURGE rf.purge');
    assert.deepEqual(r, { verb: 'PURGE', queue: 'rf.purge', purged: 4 });
  });

  it('DECLARE of a transient shared queue: the broker\'s warning or refusal comes back with the line', async () => {
    const text = '### set up\nDECLARE queue rf.transient transient';
    const f = parse(text);
    if (await brokerDeniesTransientQueues(vh)) {
      await assert.rejects(runBlock(s, f, f.blocks[0]), (e: unknown) => isRabbitError(e, 'DEPRECATED_FEATURE') && /^line 2: /.test(e.message));
      // The broker closed that connection (541): the later tests get a fresh session.
      await s.close();
      s = sessionFor(vh);
    } else {
      const r = await runBlock(s, f, f.blocks[0]);
      assert.ok(r.verb === 'DECLARE');
      assert.match(r.verb === 'DECLARE' ? (r.warnings ?? []).join('\n') : '', /^line 2: Queue "rf.transient" is transient and not exclusive/);
      await ops.deleteQueue(s, 'rf.transient');
    }
  });

  it('read-only connections: everything but PEEK refused before anything is sent', async () => {
    await ops.declareQueue(s, { name: 'rf.ro' });
    for (const text of ['PUBLISH "" rf.ro\n\nx', 'DECLARE queue rf.ro2', 'BIND queue rf.ro to amq.fanout', 'PURGE rf.ro', 'CONSUME rf.ro 1 ack', 'RPC "" rf.ro\n\nx']) {
      await assert.rejects(run(text, 0, { readOnly: true, connectionName: 'prod' }), (e: unknown) => isRabbitError(e, 'READ_ONLY') && /line 1: \w+ changes the broker, and the connection "prod" is read-only/.test(e.message));
    }
    assert.equal((await ops.checkQueue(s, 'rf.ro')).messageCount, 0);
    await assert.rejects(ops.checkQueue(s, 'rf.ro2'), (e: unknown) => isRabbitError(e, 'NOT_FOUND'));
    const peek = await run('PEEK rf.ro', 0, { readOnly: true });
    assert.equal(peek.verb, 'PEEK');
  });

  it('bad input is refused before anything is sent, and the session keeps working', async () => {
    await ops.declareQueue(s, { name: 'rf.bad' });
    // The 3rd message's priority is bad: none of the 3 may be sent.
    const f = parse('PUBLISH "" rf.bad x 3\npriority: {{$counter}}00\n\nx');
    await assert.rejects(runBlock(s, f, f.blocks[0]), (e: unknown) => isRabbitError(e, 'INVALID_INPUT') && /^line 2, column 11: priority: must be a whole number from 0 to 255 \(got "300"\)/.test(e.message));
    assert.equal((await ops.checkQueue(s, 'rf.bad')).messageCount, 0);
    // A block with a parse error never runs.
    const g = parse('PUBLISH "" rf.bad\npriority: x\n\nbody');
    await assert.rejects(runBlock(s, g, g.blocks[0]), (e: unknown) => isRabbitError(e, 'INVALID_INPUT') && e.field === 'priority');
    // A broker refusal names the line of the step.
    await assert.rejects(run('DECLARE queue rf.bad\nDECLARE queue rf.bad quorum'), (e: unknown) => isRabbitError(e, 'PRECONDITION_FAILED') && /^line 2: /.test(e.message));
    const ok = await run('PUBLISH "" rf.bad\n\nfine');
    assert.equal(ok.verb === 'PUBLISH' && ok.published, 1);
    assert.equal((await ops.checkQueue(s, 'rf.bad')).messageCount, 1);
  });

  it('every example file runs as it is, block by block, and does what its titles say', async () => {
    const dir = join(process.cwd(), 'examples');
    const files = readdirSync(dir).filter((n) => n.endsWith('.rabbitmq')).sort();
    assert.deepEqual(files, ['direct.rabbitmq', 'fanout.rabbitmq', 'hello-world.rabbitmq', 'rpc.rabbitmq', 'topic.rabbitmq', 'work-queue.rabbitmq']);
    const results = new Map<string, Awaited<ReturnType<typeof runBlock>>[]>();
    // The RPC example needs a server on rpc_queue: a plain amqplib fib server.
    const fib = (n: number): number => (n < 2 ? n : fib(n - 1) + fib(n - 2));
    let server: amqp.Channel | undefined;
    // The example's DECLARE block made the queue (durable); the server only consumes from it.
    const fibServer = async (queue: string): Promise<amqp.Channel> => {
      const c = await raw.createChannel();
      c.on('error', () => undefined);
      await c.consume(queue, (m) => {
        if (!m) return;
        c.sendToQueue(String(m.properties.replyTo), Buffer.from(String(fib(Number(m.content.toString())))), { correlationId: m.properties.correlationId, contentType: 'text/plain' });
        c.ack(m);
      });
      return c;
    };
    try {
      for (const name of files) {
        const f = clean(readFileSync(join(dir, name), 'utf8'));
        const out: Awaited<ReturnType<typeof runBlock>>[] = [];
        for (const b of f.blocks) {
          if (name === 'rpc.rabbitmq' && b.verb === 'RPC' && !server) server = await fibServer('rpc_queue');
          out.push(await runBlock(s, f, b, { baseDir: dir }, { confirmPurge: async () => true, consumeIdleMs: 300 }));
        }
        results.set(name, out);
      }
    } finally {
      await server?.close();
    }
    const peeked = (r: Awaited<ReturnType<typeof runBlock>> | undefined): string[] => (r?.verb === 'PEEK' ? r.peek.messages.map((m) => m.body.text ?? '') : ['not a peek']);
    const returned = (r: Awaited<ReturnType<typeof runBlock>> | undefined): number[] => (r?.verb === 'PUBLISH' ? [r.published, r.returned] : [-1, -1]);
    const hello = results.get('hello-world.rabbitmq')!;
    assert.deepEqual(peeked(hello[2]), ['Hello World!']);
    assert.deepEqual(hello[3].verb === 'CONSUME' && hello[3].messages?.map((m) => m.body.text), ['Hello World!']);
    const work = results.get('work-queue.rabbitmq')!;
    const tasks = peeked(work[2]).map((t) => JSON.parse(t) as { task: number; seconds: number });
    assert.deepEqual(tasks.map((t) => t.task), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.ok(tasks.every((t) => t.seconds >= 1 && t.seconds < 5));
    assert.equal((await ops.checkQueue(s, 'task_queue')).messageCount, 8, 'the worker took two');
    const fan = results.get('fanout.rabbitmq')!;
    assert.equal(peeked(fan[2]).length, 3);
    assert.deepEqual(peeked(fan[2]), peeked(fan[3]));
    const direct = results.get('direct.rabbitmq')!;
    assert.deepEqual(peeked(direct[3]).length, 1);
    assert.deepEqual(peeked(direct[4])[1], 'user signed in');
    const topic = results.get('topic.rabbitmq')!;
    assert.deepEqual(returned(topic[1]), [1, 0]);
    assert.deepEqual(returned(topic[2]), [1, 1], 'anonymous.info is unroutable');
    assert.equal(JSON.parse(peeked(topic[3])[0]).facility, 'kern');
    assert.equal(JSON.parse(peeked(topic[4])[0]).severity, 'critical');
    const rpc = results.get('rpc.rabbitmq')!;
    assert.equal(rpc[1].verb === 'RPC' && rpc[1].reply.reply.body.text, '832040');
  });
});
