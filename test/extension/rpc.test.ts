// RPC in a real VS Code against REAL RPC servers on the broker: one in Node (amqplib, prefetch 1, the tutorial's
// fib server) and one in Python with Debian's pika 1.2.0 (as in the seed, pika 1.x API), each in a fresh vhost.
// Replies matched, 25 concurrent calls matched, timeout (+ the late reply counted as ignored), a foreign
// correlation id ignored, unroutable target, missing exchange, exclusive reply queue, the connection dropping
// mid-call, invalid input rejected before sending, history and saved requests through the panel.
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as amqp from 'amqplib';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../src/extension';
import { Commands } from '../../src/platform/commandIds';
import { HISTORY_LIMIT, RpcHistory, emptyForm } from '../../src/features/rpc/rpcModel';
import type { RpcCommandResult } from '../../src/features/rpc/rpcService';
import type { RpcPanel } from '../../src/features/rpc/rpcPanel';
import type { CallView } from '../../src/features/rpc/rpcProtocol';
import { createTestVhost, mgmt, MGMT_URL, PASSWORD, type TestVhost } from '../support/broker';

const EXTENSION_ID = 'rabbitmq-workbench.rabbitmq-workbench';

function run<T>(command: string, ...args: unknown[]): Promise<T> {
  return Promise.resolve(vscode.commands.executeCommand<T>(command, ...args));
}

async function rejectsWith(p: Promise<unknown>, code: string, field?: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    const err = e as { code?: string; field?: string; message?: string };
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
    if (field) assert.equal(err.field, field);
    return true;
  });
}

async function waitFor(what: string, pred: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function fib(n: number): number {
  let a = 0;
  let b = 1;
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
}

const PIKA_SERVER = `
import os, pika

connection = pika.BlockingConnection(pika.URLParameters(os.environ['AMQP_URL']))
channel = connection.channel()
channel.queue_declare(queue='py_rpc_queue', durable=True)

def fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a

def on_request(ch, method, props, body):
    n = int(body)
    ch.basic_publish(exchange='',
                     routing_key=props.reply_to,
                     properties=pika.BasicProperties(correlation_id=props.correlation_id,
                                                     content_type='text/plain',
                                                     headers={'server': 'pika'}),
                     body=str(fib(n)))
    ch.basic_ack(delivery_tag=method.delivery_tag)

channel.basic_qos(prefetch_count=1)
channel.basic_consume(queue='py_rpc_queue', on_message_callback=on_request)
print(" [x] Awaiting RPC requests", flush=True)
channel.start_consuming()
`;

describe('rpc', function () {
  this.timeout(120_000);
  let api: ExtensionApi;
  let v: TestVhost;
  let connectionId: string;
  let server: amqp.ChannelModel;
  let python: ChildProcess | undefined;
  let pythonOutput = '';
  /** What the Node server saw. */
  const seen = { requests: 0, replyTos: [] as string[] };

  const scope = () => ({ connectionId, vhost: v.name });
  const call = (args: Record<string, unknown>) => run<RpcCommandResult>(Commands.rpcCall, { ...scope(), ...args });

  before(async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    v = await createTestVhost('rpc');
    connectionId = (await run<{ id: string }>(Commands.addConnection, { name: 'rpc-test', amqpUrl: v.profileUrl, managementUrl: MGMT_URL, password: PASSWORD })).id;

    // Node RPC servers (amqplib, noDelay).
    server = await amqp.connect(v.amqpUrl, { noDelay: true });
    server.on('error', () => undefined);
    const fibCh = await server.createChannel();
    await fibCh.assertQueue('rpc_queue', { durable: true });
    await fibCh.prefetch(1);
    await fibCh.consume('rpc_queue', (m) => {
      if (!m) return;
      seen.requests++;
      seen.replyTos.push(String(m.properties.replyTo));
      const n = Number(JSON.parse(m.content.toString()).n);
      fibCh.sendToQueue(String(m.properties.replyTo), Buffer.from(JSON.stringify({ n, fib: fib(n) })), {
        correlationId: m.properties.correlationId,
        contentType: 'application/json',
        headers: { server: 'node', echo: m.properties.headers?.['x-tenant'] ?? null },
        appId: 'fib-server',
      });
      fibCh.ack(m);
    });
    // Replies after `delayMs` from the body (for timeouts and connection drops).
    const slowCh = await server.createChannel();
    await slowCh.assertQueue('slow_queue', { durable: true });
    await slowCh.consume('slow_queue', (m) => {
      if (!m) return;
      const delay = Number(JSON.parse(m.content.toString()).delayMs);
      setTimeout(() => {
        try {
          slowCh.sendToQueue(String(m.properties.replyTo), Buffer.from('"late"'), { correlationId: m.properties.correlationId, contentType: 'application/json' });
        } catch {
          // channel gone
        }
      }, delay);
    }, { noAck: true });
    // Sends a reply with a foreign correlation id first, then the real one.
    const foreignCh = await server.createChannel();
    await foreignCh.assertQueue('foreign_queue', { durable: true });
    await foreignCh.consume('foreign_queue', (m) => {
      if (!m) return;
      const to = String(m.properties.replyTo);
      foreignCh.sendToQueue(to, Buffer.from('not yours'), { correlationId: `someone-else-${Date.now()}` });
      foreignCh.sendToQueue(to, Buffer.from('yours'), { correlationId: m.properties.correlationId });
    }, { noAck: true });
    await fibCh.assertQueue('silent_queue', { durable: true });
    await fibCh.assertExchange('rpc-ex', 'direct', { durable: false });
    await fibCh.bindQueue('rpc_queue', 'rpc-ex', 'fib');

    // Python RPC server with Debian's pika 1.2.0.
    const dir = mkdtempSync(join(tmpdir(), 'rmqwb-rpc-'));
    const script = join(dir, 'rpc_server.py');
    writeFileSync(script, PIKA_SERVER);
    python = spawn('/usr/bin/python3', [script], { env: { ...process.env, AMQP_URL: v.amqpUrl }, stdio: ['ignore', 'pipe', 'pipe'] });
    python.stdout?.on('data', (d) => (pythonOutput += String(d)));
    python.stderr?.on('data', (d) => (pythonOutput += String(d)));
    await waitFor(`the pika server to start (output: ${pythonOutput})`, () => pythonOutput.includes('Awaiting RPC requests') || python?.exitCode !== null, 30_000);
    assert.ok(pythonOutput.includes('Awaiting RPC requests'), `pika server did not start: ${pythonOutput}`);
  });

  after(async () => {
    if (python && python.exitCode === null) {
      python.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 200));
      if (python.exitCode === null) python.kill('SIGKILL');
    }
    for (const p of [...(api?.rpc.panels ?? [])]) p.dispose();
    await server?.close().catch(() => undefined);
    if (connectionId) await run(Commands.removeConnection, { id: connectionId, confirm: true }).catch(() => undefined);
    await v?.delete();
  });

  it('calls the Node server (direct reply-to) and matches the reply, with properties, headers and round trip', async () => {
    const r = await call({ queue: 'rpc_queue', body: { n: 10 }, headers: { 'x-tenant': 'acme' }, properties: { appId: 'tests' } });
    assert.equal(r.state, 'ok');
    assert.ok(r.correlationId);
    assert.ok(typeof r.rttMs === 'number' && r.rttMs >= 0);
    assert.equal(r.reply?.body.kind, 'json');
    assert.deepEqual(JSON.parse(r.reply?.body.text ?? ''), { n: 10, fib: 55 });
    assert.equal(r.reply?.properties.correlationId, r.correlationId);
    assert.equal(r.reply?.properties.contentType, 'application/json');
    assert.equal(r.reply?.properties.appId, 'fib-server');
    assert.equal(r.reply?.headers.server, 'node');
    assert.equal(r.reply?.headers.echo, 'acme');
    assert.match(seen.replyTos.at(-1) ?? '', /^amq\.rabbitmq\.reply-to\./);
  });

  it('calls the pika 1.x server (seed-style) and matches the reply', async () => {
    const r = await call({ queue: 'py_rpc_queue', body: '30', properties: { contentType: 'text/plain' } });
    assert.equal(r.state, 'ok', r.errorMessage);
    assert.equal(r.reply?.body.text, String(fib(30)));
    assert.equal(r.reply?.headers.server, 'pika');
    assert.equal(r.reply?.properties.correlationId, r.correlationId);
  });

  it('matches 25 concurrent calls (both servers, through an exchange too) to their own replies', async () => {
    const ns = Array.from({ length: 25 }, (_, i) => i + 1);
    const results = await Promise.all(ns.map((n) => {
      if (n % 3 === 0) return call({ queue: 'py_rpc_queue', body: String(n), properties: { contentType: 'text/plain' } });
      if (n % 3 === 1) return call({ exchange: 'rpc-ex', routingKey: 'fib', body: { n } });
      return call({ queue: 'rpc_queue', body: { n } });
    }));
    results.forEach((r, i) => {
      const n = ns[i];
      assert.equal(r.state, 'ok');
      const got = n % 3 === 0 ? Number(r.reply?.body.text) : (JSON.parse(r.reply?.body.text ?? '{}') as { fib: number; n: number }).fib;
      assert.equal(got, fib(n), `call ${n} got another call's reply`);
    });
    assert.equal(new Set(results.map((r) => r.correlationId)).size, 25);
  });

  it('times out when no server answers, and counts a late reply as ignored', async () => {
    await rejectsWith(call({ queue: 'silent_queue', body: '{}', timeoutMs: 300 }), 'TIMEOUT');
    const before = api.rpc.stats(connectionId, v.name)?.ignored ?? 0;
    await rejectsWith(call({ queue: 'slow_queue', body: { delayMs: 700 }, timeoutMs: 200 }), 'TIMEOUT');
    await waitFor('the late reply to be counted as ignored', () => (api.rpc.stats(connectionId, v.name)?.ignored ?? 0) === before + 1);
    const h = api.rpc.history.list()[0];
    assert.equal(h.state, 'error');
    assert.equal(h.errorCode, 'TIMEOUT');
  });

  it('ignores a reply with an unknown correlation id and still matches the real one', async () => {
    const before = api.rpc.stats(connectionId, v.name)?.ignored ?? 0;
    const r = await call({ queue: 'foreign_queue', body: 'hi', properties: { contentType: 'text/plain' } });
    assert.equal(r.reply?.body.text, 'yours');
    await waitFor('the foreign reply to be counted', () => (api.rpc.stats(connectionId, v.name)?.ignored ?? 0) === before + 1);
  });

  it('fails fast with UNROUTABLE for a queue or binding that does not exist', async () => {
    await rejectsWith(call({ queue: 'no_such_queue', body: '{}' }), 'UNROUTABLE');
    await rejectsWith(call({ exchange: 'rpc-ex', routingKey: 'nobody', body: '{}' }), 'UNROUTABLE');
  });

  it('reports a missing exchange (NOT_FOUND) and keeps working afterwards', async () => {
    await rejectsWith(call({ exchange: 'no-such-exchange', routingKey: 'x', body: '{}' }), 'NOT_FOUND');
    const r = await call({ queue: 'rpc_queue', body: { n: 5 } });
    assert.equal(JSON.parse(r.reply?.body.text ?? '{}').fib, 5);
  });

  it('uses an exclusive reply queue when asked', async () => {
    const r = await call({ queue: 'rpc_queue', body: { n: 12 }, replyMode: 'exclusive' });
    assert.equal(JSON.parse(r.reply?.body.text ?? '{}').fib, 144);
    assert.match(seen.replyTos.at(-1) ?? '', /^amq\.gen-/);
    const py = await call({ queue: 'py_rpc_queue', body: '7', properties: { contentType: 'text/plain' }, replyMode: 'exclusive' });
    assert.equal(py.reply?.body.text, '13');
  });

  it('rejects bad input naming the field before anything is sent', async () => {
    const sent = seen.requests;
    await rejectsWith(call({ queue: 'rpc_queue', body: '{"n": ', properties: { contentType: 'application/json' } }), 'INVALID_INPUT', 'body');
    await rejectsWith(call({ queue: 'rpc_queue', body: { n: 1 }, headers: '[1]' }), 'INVALID_INPUT', 'headers');
    await rejectsWith(call({ queue: 'rpc_queue', body: { n: 1 }, timeoutMs: 0 }), 'INVALID_INPUT', 'timeoutMs');
    await rejectsWith(call({ queue: 'rpc_queue', body: { n: 1 }, properties: { correlationId: 'mine' } }), 'INVALID_INPUT', 'properties.correlationId');
    await rejectsWith(call({ queue: 'rpc_queue', body: { n: 1 }, replyMode: 'carrier-pigeon' }), 'INVALID_INPUT', 'replyMode');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(seen.requests, sent, 'nothing may have been sent');
  });

  it('fails a call in flight with CONNECTION_CLOSED when the connection drops, then works again', async () => {
    const pending = call({ queue: 'slow_queue', body: { delayMs: 4000 }, timeoutMs: 20_000 });
    const failed = assert.rejects(pending, (e: { code?: string }) => {
      assert.equal(e.code, 'CONNECTION_CLOSED');
      return true;
    });
    await waitFor('the call to be in flight', () => (api.rpc.stats(connectionId, v.name)?.inFlight ?? 0) === 1);
    let closed = 0;
    await waitFor('the workbench connection to be closed by the broker', async () => {
      const conns = (await (await mgmt('GET', `/vhosts/${encodeURIComponent(v.name)}/connections`)).json()) as { name: string; client_properties?: { connection_name?: string } }[];
      for (const c of conns.filter((x) => x.client_properties?.connection_name === 'RabbitMQ Workbench')) {
        await mgmt('DELETE', `/connections/${encodeURIComponent(c.name)}`);
        closed++;
      }
      return closed > 0;
    });
    await failed;
    const r = await call({ queue: 'rpc_queue', body: { n: 20 } });
    assert.equal(JSON.parse(r.reply?.body.text ?? '{}').fib, fib(20));
  });

  it('records history (bounded) in the workspace', async () => {
    const list = api.rpc.history.list();
    assert.ok(list.length >= 10);
    assert.ok(list.length <= HISTORY_LIMIT);
    const codes = new Set(list.map((c) => c.errorCode ?? c.state));
    for (const c of ['ok', 'TIMEOUT', 'UNROUTABLE', 'NOT_FOUND', 'CONNECTION_CLOSED']) assert.ok(codes.has(c), `history lacks ${c}`);
    // The same store logic with a small bound: oldest entries drop out.
    const map = new Map<string, unknown>();
    const small = new RpcHistory({ get: <T>(k: string) => map.get(k) as T | undefined, update: async (k, val) => void map.set(k, val) }, 3);
    for (let i = 0; i < 5; i++) await small.record({ id: `x${i}`, startedAt: new Date().toISOString(), form: emptyForm(), state: 'ok' } satisfies CallView);
    assert.deepEqual(small.list().map((c) => c.id), ['x4', 'x3', 'x2']);
  });

  it('opens the panel from the palette form, sends, saves, sends again and clears history', async () => {
    const panel = (await run<RpcPanel>(Commands.rpcCall, scope()))!;
    assert.ok(api.rpc.panels.has(panel));
    await waitFor('the RPC page to be ready', () => panel.isReady, 30_000);
    const form = emptyForm({ targetKind: 'queue', queue: 'rpc_queue', body: '{"n": 15}' });
    const out = await panel.send(form);
    assert.equal(out.call.state, 'ok');
    assert.equal(JSON.parse(out.call.reply?.body.text ?? '{}').fib, 610);
    assert.equal(api.rpc.history.list()[0].id, out.call.id);

    // Invalid JSON in the page: reported to the page, nothing sent, nothing recorded.
    const sent = seen.requests;
    await panel.dispatch({ type: 'send', requestId: 't-bad', form: { ...form, body: '{"n": ' } });
    assert.equal(seen.requests, sent);
    assert.equal(api.rpc.history.list()[0].id, out.call.id);

    await panel.dispatch({ type: 'save', requestId: 't-save', name: 'fib 15', form });
    assert.deepEqual(api.rpc.history.saved().map((s) => s.name), ['fib 15']);
    await panel.dispatch({ type: 'resend', requestId: 't-again', id: out.call.id });
    const again = api.rpc.history.list()[0];
    assert.notEqual(again.id, out.call.id);
    assert.equal(again.state, 'ok');
    assert.equal(JSON.parse(again.reply?.body.text ?? '{}').fib, 610);
    await panel.dispatch({ type: 'deleteSaved', requestId: 't-del', name: 'fib 15' });
    assert.deepEqual(api.rpc.history.saved(), []);
    await panel.dispatch({ type: 'clearHistory', requestId: 't-clear' });
    assert.deepEqual(api.rpc.history.list(), []);
    panel.dispose();
    assert.equal(api.rpc.panels.size, 0);
  });
});
