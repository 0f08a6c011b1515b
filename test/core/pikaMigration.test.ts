// pika 0.x → 1.x: detection and rewrites on small cases, then the seed tutorial's own Python code, which
// fails on pika 1.2 as written and runs against the broker once fixed.
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { applyPikaFixes, findPikaIssues, migratePikaSource } from '../../src/core/pikaMigration';
import { AMQP_HOST, AMQP_PORT, PASSWORD, USER, createTestVhost, type TestVhost } from './support/broker';
import { Program, REPO_ROOT, programEnv, pythonWithPika, runOk, scratchDir } from './support/programs';

describe('pika 0.x detection and rewrite', () => {
  it('basic_consume(callback, queue=…, no_ack=True) becomes the pika 1.x call', () => {
    const text = "channel.basic_consume(callback,queue='test',no_ack=True)\n";
    const [f] = findPikaIssues(text);
    assert.equal(f.code, 'pika-0x-basic-consume');
    assert.deepEqual(f.range, { start: { line: 0, character: 8 }, end: { line: 0, character: 56 } });
    assert.equal(applyPikaFixes(text), "channel.basic_consume(queue='test', on_message_callback=callback, auto_ack=True)\n");
  });

  it('handles positional 0.x arguments, consumer_callback= and no_ack=False', () => {
    assert.equal(migratePikaSource("ch.basic_consume(cb, 'q', True)"), "ch.basic_consume(queue='q', on_message_callback=cb, auto_ack=True)");
    assert.equal(migratePikaSource("ch.basic_consume(consumer_callback=cb, queue='q', no_ack=False, exclusive=True)"), "ch.basic_consume(queue='q', on_message_callback=cb, exclusive=True)");
    assert.equal(migratePikaSource("def on_msg(c, m, p, b): pass\nch.basic_consume(on_msg)"), "def on_msg(c, m, p, b): pass\nch.basic_consume(queue='', on_message_callback=on_msg)");
  });

  it('keeps multi-line calls multi-line and drops comments inside them', () => {
    const text = [
      'self.channel.basic_consume(self.on_response, no_ack=True,  # replies',
      '                           queue=self.callback_queue)',
      '',
    ].join('\n');
    const [f] = findPikaIssues(text);
    assert.deepEqual(f.range.start, { line: 0, character: 13 });
    assert.deepEqual(f.range.end, { line: 1, character: 53 });
    assert.equal(
      applyPikaFixes(text),
      ['self.channel.basic_consume(queue=self.callback_queue,', '                           on_message_callback=self.on_response,', '                           auto_ack=True)', ''].join('\n'),
    );
  });

  it('renames type= and no_ack=, adds queue=\'\' to anonymous queue_declare, drops immediate=, renames add_timeout', () => {
    const text = [
      "channel.exchange_declare(exchange='logs', type='fanout')",
      'r = channel.queue_declare(exclusive=True)',
      "channel.basic_get('q', no_ack=True)",
      "channel.basic_publish('', 'q', b'x', immediate=False)",
      'connection.add_timeout(5, tick)',
    ].join('\n');
    assert.deepEqual(findPikaIssues(text).map((f) => f.code), ['pika-0x-exchange-type', 'pika-0x-queue-declare-queue', 'pika-0x-no-ack', 'pika-0x-immediate', 'pika-0x-add-timeout']);
    assert.equal(
      applyPikaFixes(text),
      [
        "channel.exchange_declare(exchange='logs', exchange_type='fanout')",
        "r = channel.queue_declare(queue='', exclusive=True)",
        "channel.basic_get('q', auto_ack=True)",
        "channel.basic_publish('', 'q', b'x')",
        'connection.call_later(5, tick)',
      ].join('\n'),
    );
  });

  it('leaves pika 1.x code, strings and comments alone', () => {
    const text = [
      "channel.basic_consume(queue='q', on_message_callback=cb, auto_ack=True)",
      "channel.basic_consume('q', cb)",
      "channel.exchange_declare(exchange='x', exchange_type='topic')",
      "channel.queue_declare(queue='', exclusive=True)",
      "channel.queue_declare('work', durable=True)",
      'channel.basic_qos(prefetch_count=1)',
      "pika.ConnectionParameters(host='localhost')",
      "# channel.basic_consume(callback, queue='x', no_ack=True)",
      "doc = \"channel.exchange_declare(exchange='x', type='fanout')\"",
      "doc2 = '''channel.queue_declare(exclusive=True)'''",
    ].join('\n');
    assert.deepEqual(findPikaIssues(text), []);
  });
});

/** The seed tutorial (../shared/seeds relative to the repository). */
function seedPythonBlocks(): string[] {
  const dir = resolve(REPO_ROOT, '../shared/seeds');
  const file = readdirSync(dir).filter((f) => f.endsWith('.txt')).map((f) => join(dir, f)).find((f) => readFileSync(f, 'utf8').includes('basic_consume'));
  assert.ok(file, `no seed tutorial with pika code in ${dir}`);
  return [...readFileSync(file, 'utf8').matchAll(/```python\r?\n([\s\S]*?)```/g)].map((m) => m[1]);
}

describe('the seed tutorial, migrated, against the real broker', function () {
  this.timeout(90000);
  let vhost: TestVhost;
  const dir = scratchDir('seed');
  let blocks: string[];
  const running: Program[] = [];

  before(async () => {
    vhost = await createTestVhost('pika-seed');
    blocks = seedPythonBlocks();
  });
  after(async () => {
    await Promise.all(running.map((p) => p.stop()));
    dir.remove();
    await vhost?.delete();
  });

  /**
   * The seed's code for this broker: prose lines inside a code block are cut, the connection goes to the
   * test vhost (the seed connects to 127.0.0.1:5672 '/'), sleeps that only slow the test are removed.
   */
  function forBroker(code: string): string {
    const lines = code.split('\n');
    const prose = lines.findIndex((l) => /^[^\x00-\x7f]/.test(l));
    const url = `amqp://${encodeURIComponent(USER)}:${encodeURIComponent(PASSWORD)}@${AMQP_HOST}:${AMQP_PORT}/${encodeURIComponent(vhost.name)}`;
    return (prose >= 0 ? lines.slice(0, prose) : lines)
      .join('\n')
      .replace(/pika\.ConnectionParameters\([^)]*\)/g, `pika.URLParameters('${url}')`)
      .replace(/time\.sleep\(\s*\d+(\.\d+)?\s*\)/g, 'time.sleep(0)')
      .replace(/\*\*\s*$/, '');
  }

  function block(...needles: string[]): string {
    const found = blocks.filter((b) => needles.every((n) => b.includes(n)));
    assert.equal(found.length, 1, `expected one seed block with ${needles.join(' + ')}, found ${found.length}`);
    return found[0];
  }

  let n = 0;
  function file(code: string): string {
    return dir.write(`seed_${n++}.py`, code);
  }

  async function consumer(code: string, label: string): Promise<Program> {
    const p = new Program(label, pythonWithPika(), [file(forBroker(migratePikaSource(code)))], programEnv({}));
    running.push(p);
    await p.waitForLine(/Waiting for messages|Awaiting RPC requests/);
    return p;
  }

  function produce(code: string, label: string): Promise<Program> {
    return runOk(label, pythonWithPika(), [file(forBroker(migratePikaSource(code)))], programEnv({}));
  }

  const got = (p: Program, items: string[]) => p.waitFor(items.join(', '), (lines) => items.every((i) => lines.includes(` [x] Received ${i}`)));

  it('finds pika 0.x calls in the seed, and none remain after the fix', () => {
    const findings = blocks.flatMap((b) => findPikaIssues(b));
    assert.ok(findings.length >= 15, `only ${findings.length} findings`);
    for (const b of blocks) assert.deepEqual(findPikaIssues(migratePikaSource(b)), []);
  });

  it('as written, the seed consumer fails on pika 1.2 with a TypeError', async () => {
    const p = new Program('seed consumer (unfixed)', pythonWithPika(), [file(forBroker(block("queue='test'", 'no_ack=True')))], programEnv({}));
    running.push(p);
    const code = await p.done();
    assert.notEqual(code, 0);
    assert.match(p.stderr, /TypeError/);
  });

  it('every migrated seed block compiles', async () => {
    const files = blocks.map((b) => file(forBroker(migratePikaSource(b))));
    await runOk('py_compile', pythonWithPika(), ['-m', 'py_compile', ...files], programEnv({}));
  });

  it('simple queue: Product → Consume, and the ack consumer', async () => {
    const c = await consumer(block("queue='test'", 'no_ack=True'), 'seed consume');
    await produce(block("body='Hello World!'"), 'seed product');
    await got(c, ["b'Hello World!'"]);
    await c.stop();
    const acking = await consumer(block("queue='test'", 'no_ack=False'), 'seed ack consumer');
    await produce(block("body='Hello World!'"), 'seed product');
    await got(acking, ["b'Hello World!'"]);
  });

  it('persistent queue: 10 persistent messages reach the consumer', async () => {
    const c = await consumer(block("'test_persistent',durable=True", 'basic_consume'), 'seed persistent consume');
    await produce(block("'test_persistent',durable=True", 'for i in range(10)'), 'seed persistent product');
    await got(c, [...Array(10).keys()].map((i) => `b'${i}'`));
  });

  it('fanout: the subscriber gets the 10 messages', async () => {
    const c = await consumer(block("'test123'", 'queue_bind'), 'seed fanout subscriber');
    await produce(block("'test123'", 'for i in range(10)'), 'seed fanout publisher');
    await got(c, [...Array(10).keys()].map((i) => `b'${i}'`));
  });

  it('direct: subscriber 1 (error, warning, info) gets both, subscriber 2 (error, warning) only the error', async () => {
    const s1 = await consumer(block("'test321'", "['error','warning','info']"), 'seed direct subscriber 1');
    const s2 = await consumer(block("'test321'", "['error','warning']"), 'seed direct subscriber 2');
    await produce(block("'test321'", 'info msg'), 'seed direct publisher');
    await got(s1, ["b'info msg'", "b'error msg'"]);
    await got(s2, ["b'error msg'"]);
    // The info message was published first: had it been routed to subscriber 2, it would be there already.
    assert.ok(!s2.lines.includes(" [x] Received b'info msg'"));
  });

  it("topic: 'test.#' gets test.123 and test.123.321", async () => {
    const c = await consumer(block("'test333'", 'test.#'), 'seed topic subscriber');
    await produce(block("'test333'", 'test.123.321'), 'seed topic publisher');
    await got(c, ["b'test.123 msg'", "b' test.123.321 msg'"]);
  });

  it('RPC: the client runs a command on the server and prints its output', async () => {
    await consumer(block("'rpc_queue'", 'on_request'), 'seed rpc service');
    const client = new Program('seed rpc client', pythonWithPika(), [file(forBroker(migratePikaSource(block('FibonacciRpcClient'))))], programEnv({}), 'echo seed-rpc-ok\n');
    running.push(client);
    // The client reads commands until end of input (then input() raises EOFError and it exits).
    await client.waitFor('the reply', (lines) => lines.some((l) => l.includes('[.] Get') && l.includes('seed-rpc-ok')));
  });
});
