// Every pattern's snippets, expanded with their defaults, run as real programs against the broker and
// deliver what the pattern promises: Python (pika 1.x), JavaScript and TypeScript (amqplib).
import * as assert from 'node:assert/strict';
import ts from 'typescript';
import { PATTERNS, renderProgram, type PatternLanguage } from '../../src/core/patterns';
import { createTestVhost, mgmt, type TestVhost } from '../support/broker';
import { Program, expandSnippet, programEnv, pythonWithPika, runOk, scratchDir } from '../support/programs';

type Side = 'hello-producer' | 'hello-consumer' | 'work-producer' | 'work-consumer' | 'fanout-producer' | 'fanout-consumer' | 'direct-producer' | 'direct-consumer' | 'topic-producer' | 'topic-consumer' | 'rpc-server' | 'rpc-client';

describe('patterns against the real broker', function () {
  this.timeout(90000);
  let vhost: TestVhost;
  const dir = scratchDir('patterns');
  let env: NodeJS.ProcessEnv;
  const running: Program[] = [];

  before(async () => {
    vhost = await createTestVhost('patterns');
    env = programEnv({ RABBITMQ_URL: vhost.amqpUrl });
  });
  after(async () => {
    await Promise.all(running.map((p) => p.stop()));
    dir.remove();
    await vhost?.delete();
  });

  /** Writes the snippet of `side` (expanded with its defaults) for `language`; returns the command. */
  function program(language: PatternLanguage, side: Side): { cmd: string; file: string } {
    const [id, role] = side.startsWith('rpc-') ? ['rpc', side.slice(4)] : side.split('-');
    const pattern = PATTERNS.find((p) => p.id === id);
    const spec = pattern?.sides.find((s) => s.spec.role === role || s.spec.role === `rpc-${role}`)?.spec;
    assert.ok(spec, `no ${side} pattern`);
    const source = expandSnippet(renderProgram(spec, language, 'snippet'));
    if (language === 'python') return { cmd: pythonWithPika(), file: dir.write(`${id}_${role}.py`, source) };
    const js = language === 'typescript' ? ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText : source;
    return { cmd: process.execPath, file: dir.write(`${id}_${role}_${language}.js`, js) };
  }

  async function start(language: PatternLanguage, side: Side, args: string[] = []): Promise<Program> {
    const { cmd, file } = program(language, side);
    const p = new Program(`${language} ${side}`, cmd, [file, ...args], env);
    running.push(p);
    await p.waitForLine(/Waiting for messages|Awaiting RPC requests/);
    return p;
  }

  function send(language: PatternLanguage, side: Side, args: string[]): Promise<Program> {
    const { cmd, file } = program(language, side);
    return runOk(`${language} ${side}`, cmd, [file, ...args], env);
  }

  /** Stops a long-running program the way a user does (SIGTERM/SIGINT) and expects a clean exit. */
  async function stopCleanly(p: Program): Promise<void> {
    const code = await p.stop();
    assert.equal(code, 0, `${p.label} did not shut down cleanly.\nstderr:\n${p.stderr}`);
  }

  const has = (p: Program, bodies: string[]) => () => p.waitFor(`messages ${bodies.join(', ')}`, () => bodies.every((b) => p.received().includes(b)));

  for (const language of ['python', 'javascript', 'typescript'] as const) {
    describe(language, () => {
      it('hello world: the consumer prints what the producer sent', async () => {
        const consumer = await start(language, 'hello-consumer');
        await send(language, 'hello-producer', [`hello from ${language}`]);
        await has(consumer, [`hello from ${language}`])();
        await stopCleanly(consumer);
      });

      it('work queue: two workers with prefetch 1 share the tasks, each task once', async () => {
        const a = await start(language, 'work-consumer');
        const b = await start(language, 'work-consumer');
        // The first task takes a second: its worker holds it unacknowledged, so with prefetch 1 the
        // broker must hand the next tasks to the other worker.
        const tasks = [`${language}-slow.`, ...[1, 2, 3, 4].map((i) => `${language}-fast-${i}`)];
        for (const t of tasks) await send(language, 'work-producer', [t]);
        const all = () => [...a.received(), ...b.received()];
        await a.waitFor('all tasks', () => tasks.every((t) => all().includes(t)));
        assert.deepEqual([...all()].sort(), [...tasks].sort(), 'each task is delivered exactly once');
        assert.ok(a.received().length >= 1 && b.received().length >= 1, `one worker got nothing: a=${a.received()} b=${b.received()}`);
        // Stop only once every task is acknowledged ("Done"), or an unacked task goes back to the shared
        // durable queue and reaches the next language's workers.
        const done = () => [...a.lines, ...b.lines].filter((l) => l.includes('[x] Done')).length;
        await a.waitFor('every task acknowledged', () => done() >= tasks.length);
        await queueDrained(vhost.name, 'task_queue');
        await stopCleanly(a);
        await stopCleanly(b);
      });

      it('fanout: both subscribers get every message', async () => {
        const a = await start(language, 'fanout-consumer');
        const b = await start(language, 'fanout-consumer');
        const messages = ['f1', 'f2', 'f3'].map((m) => `${language}-${m}`);
        for (const m of messages) await send(language, 'fanout-producer', [m]);
        await has(a, messages)();
        await has(b, messages)();
        assert.deepEqual(a.received(), messages);
        assert.deepEqual(b.received(), messages);
        await stopCleanly(a);
        await stopCleanly(b);
      });

      it('direct: each subscriber gets only the severities it bound', async () => {
        const errors = await start(language, 'direct-consumer'); // default keys: error, warning
        const info = await start(language, 'direct-consumer', ['info']);
        for (const [key, body] of [['info', 'i1'], ['error', 'e1'], ['debug', 'd1'], ['warning', 'w1'], ['info', 'i-end']]) {
          await send(language, 'direct-producer', [key, body]);
        }
        // Messages reach a queue in publish order: once the last one is in, nothing else will come.
        await has(errors, ['w1'])();
        await has(info, ['i-end'])();
        assert.deepEqual(errors.received(), ['e1', 'w1']);
        assert.deepEqual(info.received(), ['i1', 'i-end']);
        await stopCleanly(errors);
        await stopCleanly(info);
      });

      it("topic: 'a.#' gets a, a.b and a.b.c; 'a.*' gets only a.b", async () => {
        const hash = await start(language, 'topic-consumer', ['a.#']);
        const star = await start(language, 'topic-consumer', ['a.*']);
        for (const [key, body] of [['a.b', 'ab'], ['a.b.c', 'abc'], ['x.y', 'xy'], ['a', 'a0'], ['a.end', 'end']]) {
          await send(language, 'topic-producer', [key, body]);
        }
        await has(hash, ['end'])();
        await has(star, ['end'])();
        assert.deepEqual(hash.received(), ['ab', 'abc', 'a0', 'end']);
        assert.deepEqual(star.received(), ['ab', 'end']);
        await stopCleanly(hash);
        await stopCleanly(star);
      });

      it('RPC: the client gets fib(n) from the server', async () => {
        const server = await start(language, 'rpc-server');
        const c1 = await send(language, 'rpc-client', ['10']);
        assert.ok(c1.lines.includes(' [.] Got 55'), c1.lines.join('\n'));
        const c2 = await send(language, 'rpc-client', []); // default n = 30
        assert.ok(c2.lines.includes(' [.] Got 832040'), c2.lines.join('\n'));
        await stopCleanly(server);
      });
    });
  }

  it('cross-language: Python work producer and Node work consumer declare the queue identically (no 406)', async () => {
    const worker = await start('javascript', 'work-consumer');
    await send('python', 'work-producer', ['cross-1']);
    await has(worker, ['cross-1'])();
    await stopCleanly(worker);
  });
});

/** Waits until the broker holds no ready or unacknowledged message in the queue (acks are asynchronous). */
async function queueDrained(vhost: string, queue: string, ms = 20000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const q = (await (await mgmt('GET', `/queues/${encodeURIComponent(vhost)}/${encodeURIComponent(queue)}`)).json()) as { messages?: number; messages_unacknowledged?: number; messages_ready?: number };
    if ((q.messages_ready ?? 0) === 0 && (q.messages_unacknowledged ?? 0) === 0 && (q.messages ?? 0) === 0) return;
    if (Date.now() > deadline) throw new Error(`${queue} still holds messages: ${JSON.stringify(q)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
