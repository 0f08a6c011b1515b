// Generated code for real queues and exchanges: declares them exactly as they are (no 406), holds no
// password, compiles, and runs against the broker with the password from RABBITMQ_PASSWORD.
import * as assert from 'node:assert/strict';
import amqp from 'amqplib';
import ts from 'typescript';
import { generateCode, type GenerateCodeOptions } from '../../src/core/codegen';
import { isRabbitError } from '../../src/core/errors';
import { PASSWORD, brokerDeniesTransientQueues, createTestVhost, type TestVhost } from '../support/broker';
import { Program, programEnv, pythonWithPika, runOk, scratchDir, typeCheck } from '../support/programs';

describe('codegen', function () {
  this.timeout(120000);
  let vhost: TestVhost;
  let connection: amqp.ChannelModel;
  const dir = scratchDir('codegen');
  const running: Program[] = [];
  let n = 0;

  before(async () => {
    vhost = await createTestVhost('codegen');
    connection = await amqp.connect(vhost.amqpUrl, { noDelay: true });
    // A broker that closes it (a refused declare) must fail this hook, not surface as an uncaught error later.
    connection.on('error', () => undefined);
    const ch = await connection.createChannel();
    // Queues as someone else declared them: the generated code must declare them the same way.
    await ch.assertQueue('orders.classic', { durable: true, arguments: { 'x-message-ttl': 60000, 'x-max-length': 1000 } });
    await ch.assertQueue('orders.quorum', { durable: true, arguments: { 'x-queue-type': 'quorum', 'x-delivery-limit': 5 } });
    await ch.assertQueue('events.stream', { durable: true, arguments: { 'x-queue-type': 'stream' } });
    await ch.assertQueue("rpc 'quoted' \\ queue", { durable: true, autoDelete: false });
    await ch.assertExchange('audit.topic', 'topic', { durable: false, autoDelete: false });
    await ch.assertExchange('docs.headers', 'headers', { durable: true });
    await ch.close();
  });
  after(async () => {
    await Promise.all(running.map((p) => p.stop()));
    await connection?.close();
    dir.remove();
    await vhost?.delete();
  });

  function options(o: Partial<GenerateCodeOptions> & Pick<GenerateCodeOptions, 'role' | 'target'>): GenerateCodeOptions {
    return { language: 'python', amqpUrl: vhost.profileUrl, ...o };
  }

  /** Generated programs get the password from RABBITMQ_PASSWORD only (no RABBITMQ_URL). */
  function cmd(o: GenerateCodeOptions): { cmd: string; args: string[] } {
    const source = generateCode(o);
    assert.ok(!source.includes(`:${PASSWORD}@`), 'the password is in the code');
    if (o.language === 'python') return { cmd: pythonWithPika(), args: [dir.write(`g${n++}.py`, source)] };
    const js = o.language === 'typescript' ? ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText : source;
    return { cmd: process.execPath, args: [dir.write(`g${n++}.js`, js)] };
  }
  const env = () => programEnv({ RABBITMQ_PASSWORD: PASSWORD });

  async function start(o: GenerateCodeOptions, args: string[] = []): Promise<Program> {
    const c = cmd(o);
    const p = new Program(`${o.language} ${o.role}`, c.cmd, [...c.args, ...args], env());
    running.push(p);
    await p.waitForLine(/Waiting for messages|Awaiting RPC requests/);
    return p;
  }
  function run(o: GenerateCodeOptions, args: string[] = []): Promise<Program> {
    const c = cmd(o);
    return runOk(`${o.language} ${o.role}`, c.cmd, [...c.args, ...args], env());
  }

  it('puts in the real names, queue arguments and exchange type, and no password', () => {
    const py = generateCode(options({ role: 'consumer', target: { kind: 'queue', name: 'orders.quorum', type: 'quorum', durable: true, arguments: { 'x-delivery-limit': 5 } } }));
    assert.match(py, /QUEUE = 'orders\.quorum'/);
    assert.match(py, /queue_declare\(queue=QUEUE, durable=True, arguments=\{'x-delivery-limit': 5, 'x-queue-type': 'quorum'\}\)/);
    assert.match(py, /RABBITMQ_PASSWORD/);
    assert.match(py, new RegExp(`BROKER_URL = 'amqp://guest@[^']*/${encodeURIComponent(vhost.name)}'`));
    const jsEx = generateCode(options({ language: 'javascript', role: 'consumer', target: { kind: 'exchange', name: 'audit.topic', type: 'topic', durable: false }, bindingKeys: ['audit.#'] }));
    assert.match(jsEx, /assertExchange\(EXCHANGE, 'topic', \{ durable: false \}\)/);
    assert.match(jsEx, /\['audit\.#'\]/);
  });

  it('rejects bad input naming the field, before anything is sent', () => {
    const bad: [Partial<GenerateCodeOptions>, string][] = [
      [{ amqpUrl: 'amqp://guest:secret@localhost/' }, 'amqpUrl'],
      [{ amqpUrl: 'http://localhost' }, 'amqpUrl'],
      [{ language: 'ruby' as never }, 'language'],
      [{ role: 'broker' as never }, 'role'],
      [{ role: 'rpc-server', target: { kind: 'exchange', name: 'x', type: 'direct' } }, 'target'],
      [{ target: { kind: 'queue', name: '' } }, 'target.name'],
      [{ target: { kind: 'queue', name: 'q', type: 'quorum', durable: false } }, 'target.durable'],
      [{ target: { kind: 'exchange', name: 'h', type: 'headers' }, bindingKeys: ['nopair'] }, 'bindingKeys'],
    ];
    for (const [o, field] of bad) {
      assert.throws(
        () => generateCode({ ...options({ role: 'producer', target: { kind: 'queue', name: 'q' } }), ...o }),
        (e: unknown) => isRabbitError(e, 'INVALID_INPUT') && e.field === field && !e.message.includes('secret'),
        JSON.stringify(o),
      );
    }
  });

  it('TypeScript output type-checks for every role and target', function () {
    this.timeout(120000);
    const tsDir = scratchDir('codegen-ts');
    try {
      const targets: GenerateCodeOptions['target'][] = [
        { kind: 'queue', name: 'orders.quorum', type: 'quorum' },
        { kind: 'queue', name: 'events.stream', type: 'stream' },
        { kind: 'exchange', name: 'audit.topic', type: 'topic' },
        { kind: 'exchange', name: 'docs.headers', type: 'headers' },
      ];
      for (const target of targets) {
        for (const role of ['producer', 'consumer', 'rpc-server', 'rpc-client'] as const) {
          if (role === 'rpc-server' && (target.kind === 'exchange' || target.type === 'stream')) continue;
          tsDir.write(`t${n++}.ts`, generateCode(options({ language: 'typescript', role, target, bindingKeys: target.type === 'headers' ? ['format=pdf'] : undefined })));
        }
      }
      const errors = typeCheck(tsDir.dir);
      assert.equal(errors, '', errors);
    } finally {
      tsDir.remove();
    }
  });

  for (const language of ['python', 'javascript', 'typescript'] as const) {
    it(`${language}: producer and consumer run against the queues they were generated for (classic, quorum, stream)`, async () => {
      const queues: GenerateCodeOptions['target'][] = [
        { kind: 'queue', name: 'orders.classic', type: 'classic', durable: true, arguments: { 'x-message-ttl': 60000, 'x-max-length': 1000 } },
        { kind: 'queue', name: 'orders.quorum', durable: true, arguments: { 'x-queue-type': 'quorum', 'x-delivery-limit': 5 } },
        { kind: 'queue', name: 'events.stream', type: 'stream', durable: true, arguments: { 'x-queue-type': 'stream' } },
      ];
      for (const target of queues) {
        const body = `${language}-${target.name}`;
        await run(options({ language, role: 'producer', target }), [body]);
        const consumer = await start(options({ language, role: 'consumer', target }));
        await consumer.waitFor(body, () => consumer.received().includes(body));
        assert.equal(await consumer.stop(), 0, consumer.stderr);
      }
    });

    it(`${language}: exchange producer/consumer (topic with binding keys, headers) and RPC on a queue with an awkward name`, async () => {
      const topic = { kind: 'exchange', name: 'audit.topic', type: 'topic', durable: false } as const;
      const sub = await start(options({ language, role: 'consumer', target: topic, bindingKeys: ['audit.*.login'] }));
      await run(options({ language, role: 'producer', target: topic, bindingKeys: ['audit.*.login'] }), ['audit.eu.login', `${language}-login`]);
      await sub.waitFor('the topic message', () => sub.received().includes(`${language}-login`));
      assert.equal(await sub.stop(), 0, sub.stderr);

      const headers = { kind: 'exchange', name: 'docs.headers', type: 'headers', durable: true } as const;
      const hsub = await start(options({ language, role: 'consumer', target: headers, bindingKeys: ['format=pdf'] }));
      await run(options({ language, role: 'producer', target: headers, bindingKeys: ['format=pdf'] }), [`${language}-pdf`]);
      await hsub.waitFor('the headers message', () => hsub.received().includes(`${language}-pdf`));
      assert.equal(await hsub.stop(), 0, hsub.stderr);

      const rpcQueue = { kind: 'queue', name: "rpc 'quoted' \\ queue", type: 'classic', durable: true } as const;
      const server = await start(options({ language, role: 'rpc-server', target: rpcQueue }));
      const client = await run(options({ language, role: 'rpc-client', target: rpcQueue }), ['20']);
      assert.ok(client.lines.includes(' [.] Got 6765'), client.lines.join('\n'));
      assert.equal(await server.stop(), 0, server.stderr);
    });
  }

  it('a transient shared queue is checked (passive), never declared: the code runs where the broker still has one', async () => {
    const target = { kind: 'queue', name: 'legacy.transient', type: 'classic', durable: false } as const;
    const py = generateCode(options({ role: 'consumer', target }));
    assert.match(py, /channel\.queue_declare\(queue=QUEUE, passive=True\)  # transient shared queue/);
    assert.doesNotMatch(py, /durable=False/);
    for (const language of ['javascript', 'typescript'] as const) {
      const js = generateCode(options({ language, role: 'producer', target }));
      assert.match(js, /await channel\.checkQueue\(QUEUE\); \/\/ transient shared queue/);
      assert.doesNotMatch(js, /assertQueue\(QUEUE/);
    }
    if (await brokerDeniesTransientQueues(vhost)) return; // such a queue cannot exist on this broker: the text is what counts
    const ch = await connection.createChannel();
    await ch.assertQueue(target.name, { durable: false });
    await ch.close();
    for (const language of ['python', 'javascript'] as const) {
      const consumer = await start(options({ language, role: 'consumer', target }));
      await run(options({ language, role: 'producer', target }), [`${language}-transient`]);
      await consumer.waitFor('the message', () => consumer.received().includes(`${language}-transient`));
      assert.equal(await consumer.stop(), 0, consumer.stderr);
    }
  });

  it('without RABBITMQ_PASSWORD the program says what to set', async () => {
    const c = cmd(options({ role: 'producer', target: { kind: 'queue', name: 'orders.classic', arguments: { 'x-message-ttl': 60000, 'x-max-length': 1000 } } }));
    const p = new Program('python producer without password', c.cmd, c.args, programEnv({}));
    assert.notEqual(await p.done(), 0);
    assert.match(p.stderr, /Set RABBITMQ_PASSWORD \(or RABBITMQ_URL\)/);
  });
});
