// pika 0.x → 1.x: detection and rewrites on small cases, then our tutorial-shaped pika 0.x samples
// (test/fixtures/pika0x), which fail on pika 1.2 as written and run against the broker once fixed.
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyPikaFixes, findPikaIssues, migratePikaSource, type PikaCode } from '../../src/core/pikaMigration';
import { AMQP_HOST, AMQP_PORT, PASSWORD, USER, createTestVhost, type TestVhost } from '../support/broker';
import { Program, REPO_ROOT, programEnv, pythonWithPika, runOk, scratchDir } from '../support/programs';

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

  it("the tutorial's transient queue_declare(queue='test') gets durable=True; server-named ones get exclusive=True", () => {
    const text = [
      "channel.queue_declare(queue='test')",
      "channel.queue_declare('jobs', durable=False, arguments={'x-max-length': 5})",
      "r = channel.queue_declare(queue='')",
      'r = channel.queue_declare()',
      "channel.queue_declare(queue='kept', passive=True)",
      "channel.queue_declare(queue='mine', exclusive=True)",
      "channel.queue_declare(queue='q', durable=DURABLE)",
    ].join('\n');
    const findings = findPikaIssues(text);
    assert.deepEqual(findings.map((f) => f.code), ['pika-transient-queue', 'pika-transient-queue', 'pika-transient-server-named-queue', 'pika-0x-queue-declare-queue']);
    assert.equal(findings[0].fixTitle, 'Declare the queue durable (durable=True)');
    assert.match(findings[0].message, /transient non-exclusive queue.*deprecated.*541.*durable=True/);
    assert.match(findings[2].message, /exclusive=True/);
    assert.equal(
      applyPikaFixes(text),
      [
        "channel.queue_declare(queue='test', durable=True)",
        "channel.queue_declare('jobs', durable=True, arguments={'x-max-length': 5})",
        "r = channel.queue_declare(queue='', exclusive=True)",
        "r = channel.queue_declare(queue='', exclusive=True)",
        "channel.queue_declare(queue='kept', passive=True)",
        "channel.queue_declare(queue='mine', exclusive=True)",
        "channel.queue_declare(queue='q', durable=DURABLE)",
      ].join('\n'),
    );
  });

  it('basic_qos: pika 0.x all_channels= and global QoS (global_qos=True, deprecated) are removed, per-consumer prefetch stays', () => {
    const text = ['channel.basic_qos(prefetch_count=1, all_channels=True)', 'channel.basic_qos(prefetch_count=5, global_qos=True)', 'channel.basic_qos(prefetch_count=2, global_qos=False)'].join('\n');
    const findings = findPikaIssues(text);
    assert.deepEqual(findings.map((f) => f.code), ['pika-0x-all-channels', 'pika-global-qos']);
    assert.match(findings[1].message, /global QoS, a deprecated feature.*541/);
    assert.equal(applyPikaFixes(text), ['channel.basic_qos(prefetch_count=1)', 'channel.basic_qos(prefetch_count=5)', 'channel.basic_qos(prefetch_count=2, global_qos=False)'].join('\n'));
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

/** Our pika 0.x samples (test/fixtures/pika0x): tutorial-shaped programs that fail on pika 1.x as written. */
const SAMPLES_DIR = join(REPO_ROOT, 'test', 'fixtures', 'pika0x');
function samples(): Map<string, string> {
  const names = readdirSync(SAMPLES_DIR).filter((f) => f.endsWith('.py')).sort();
  assert.ok(names.length >= 10, `only ${names.length} samples in ${SAMPLES_DIR}`);
  return new Map(names.map((n) => [n, readFileSync(join(SAMPLES_DIR, n), 'utf8')]));
}

describe('the pika 0.x samples, migrated, against the real broker', function () {
  this.timeout(90000);
  let vhost: TestVhost;
  const dir = scratchDir('pika0x');
  let sources: Map<string, string>;
  const running: Program[] = [];

  before(async () => {
    vhost = await createTestVhost('pika-samples');
    sources = samples();
  });
  after(async () => {
    await Promise.all(running.map((p) => p.stop()));
    dir.remove();
    await vhost?.delete();
  });

  /** The sample's code for this broker: the connection goes to the test vhost (the samples use localhost '/'). */
  function forBroker(code: string): string {
    const url = `amqp://${encodeURIComponent(USER)}:${encodeURIComponent(PASSWORD)}@${AMQP_HOST}:${AMQP_PORT}/${encodeURIComponent(vhost.name)}`;
    const out = code.replace(/pika\.ConnectionParameters\([^)]*\)/g, `pika.URLParameters('${url}')`);
    assert.notEqual(out, code, 'sample without pika.ConnectionParameters(…)');
    return out;
  }

  function source(name: string): string {
    const text = sources.get(name);
    assert.ok(text !== undefined, `no sample ${name} in ${SAMPLES_DIR}`);
    return text;
  }

  let n = 0;
  function file(code: string): string {
    return dir.write(`sample_${n++}.py`, code);
  }

  async function consumer(name: string, args: string[] = []): Promise<Program> {
    const p = new Program(name, pythonWithPika(), [file(forBroker(migratePikaSource(source(name)))), ...args], programEnv({}));
    running.push(p);
    await p.waitForLine(/Waiting for messages|Awaiting RPC requests/);
    return p;
  }

  function produce(name: string): Promise<Program> {
    return runOk(name, pythonWithPika(), [file(forBroker(migratePikaSource(source(name))))], programEnv({}));
  }

  const got = (p: Program, items: string[]) => p.waitFor(items.join(', '), (lines) => items.every((i) => lines.includes(` [x] Received ${i}`)));

  it('finds every kind of pika 0.x call in the samples, and none remain after the fix', () => {
    const findings = [...sources.values()].flatMap((b) => findPikaIssues(b));
    assert.ok(findings.length >= 15, `only ${findings.length} findings`);
    const kinds: PikaCode[] = ['pika-0x-basic-consume', 'pika-0x-no-ack', 'pika-0x-exchange-type', 'pika-0x-queue-declare-queue', 'pika-0x-immediate', 'pika-0x-add-timeout', 'pika-0x-all-channels', 'pika-transient-queue'];
    assert.deepEqual([...new Set(findings.map((f) => f.code))].sort(), [...kinds].sort());
    for (const [name, b] of sources) {
      assert.ok(findPikaIssues(b).length > 0, `${name} has no pika 0.x call`);
      assert.deepEqual(findPikaIssues(migratePikaSource(b)), [], name);
    }
  });

  it('as written (only its queue made durable), the hello-world consumer fails on pika 1.2 with a TypeError', async () => {
    // Only the queue is made durable (a broker denying transient shared queues would close the connection at
    // queue_declare): what is left fails at the pika 0.x basic_consume call.
    const text = source('receive.py');
    const durableOnly = applyPikaFixes(text, findPikaIssues(text).filter((f) => f.code === 'pika-transient-queue'));
    assert.match(durableOnly, /queue_declare\(queue='hello', durable=True\)/);
    assert.match(durableOnly, /basic_consume\(callback, queue='hello', no_ack=True\)/);
    const p = new Program('receive.py (unfixed)', pythonWithPika(), [file(forBroker(durableOnly))], programEnv({}));
    running.push(p);
    const code = await p.done();
    assert.notEqual(code, 0);
    assert.match(p.stderr, /TypeError/);
  });

  it('every migrated sample compiles', async () => {
    const files = [...sources.values()].map((b) => file(forBroker(migratePikaSource(b))));
    await runOk('py_compile', pythonWithPika(), ['-m', 'py_compile', ...files], programEnv({}));
  });

  it('hello world: send → receive, then send → basic_get', async () => {
    const c = await consumer('receive.py');
    await produce('send.py');
    await got(c, ["b'Hello World!'"]);
    await c.stop();
    await produce('send.py');
    const g = await produce('get.py');
    assert.ok(g.lines.includes(" [x] Got b'Hello World!'"), g.lines.join('\n'));
  });

  it('work queue: 10 persistent tasks reach the acknowledging worker', async () => {
    const c = await consumer('worker.py');
    await produce('new_task.py');
    await got(c, [...Array(10).keys()].map((i) => `b'task ${i}'`));
  });

  it('fanout: the subscriber gets the 10 messages', async () => {
    const c = await consumer('receive_logs.py');
    await produce('emit_log.py');
    await got(c, [...Array(10).keys()].map((i) => `b'log ${i}'`));
  });

  it('direct: subscriber 1 (info, error) gets both, subscriber 2 (error) only the error', async () => {
    const s1 = await consumer('receive_logs_direct.py', ['info', 'error']);
    const s2 = await consumer('receive_logs_direct.py', ['error']);
    await produce('emit_log_direct.py');
    await got(s1, ["b'info msg'", "b'error msg'"]);
    await got(s2, ["b'error msg'"]);
    // The info message was published first: had it been routed to subscriber 2, it would be there already.
    assert.ok(!s2.lines.includes(" [x] Received b'info msg'"));
    assert.ok(!s1.lines.includes(" [x] Received b'warning msg'"));
  });

  it("topic: 'kern.#' and '*.critical' get kern.info, kern.disk.critical and cron.critical, not cron.info", async () => {
    const c = await consumer('receive_logs_topic.py', ['kern.#', '*.critical']);
    await produce('emit_log_topic.py');
    await got(c, ["b'kern.info msg'", "b'kern.disk.critical msg'", "b'cron.critical msg'"]);
    // cron.info was published first: had it been routed here, it would be here already.
    assert.ok(!c.lines.includes(" [x] Received b'cron.info msg'"));
  });

  it('RPC: the client gets fib(n) from the server', async () => {
    await consumer('rpc_server.py');
    const client = new Program('rpc_client.py', pythonWithPika(), [file(forBroker(migratePikaSource(source('rpc_client.py'))))], programEnv({}), '10\n30\n');
    running.push(client);
    await client.waitFor('both replies', (lines) => lines.includes(' [.] Got 55') && lines.includes(' [.] Got 832040'));
  });
});
