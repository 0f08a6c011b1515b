// Live tap against the real broker: copies without taking messages from anyone, per exchange type, and a stop
// that leaves no queue or binding behind. Fresh vhost per suite.
import * as assert from 'node:assert/strict';
import * as amqp from 'amqplib';
import { isRabbitError } from '../../src/core/errors';
import type { DecodedMessage } from '../../src/core/message';
import type { AmqpSession } from '../../src/core/session';
import { startTap, tapBindings, type TapHandle } from '../../src/core/tap';
import { createTestVhost, mgmt, MGMT_URL, PASSWORD, USER, type TestVhost } from '../support/broker';
import { sessionFor } from '../support/amqpSession';

async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('core/tap', function () {
  this.timeout(60000);
  let vh: TestVhost;
  let s: AmqpSession;
  let conn: amqp.ChannelModel;
  let ch: amqp.ConfirmChannel;

  before(async () => {
    vh = await createTestVhost('tap');
    s = sessionFor(vh);
    conn = await amqp.connect(vh.amqpUrl, { noDelay: true });
    conn.on('error', () => undefined);
    ch = await conn.createConfirmChannel();
    ch.on('error', () => undefined);
  });
  after(async () => {
    await s?.close();
    await conn?.close().catch(() => undefined);
    await vh?.delete();
  });

  const v = () => encodeURIComponent(vh.name);
  async function queueExists(name: string): Promise<boolean> {
    const res = await fetch(`${MGMT_URL}/api/queues/${v()}/${encodeURIComponent(name)}`, {
      headers: { authorization: 'Basic ' + Buffer.from(`${USER}:${PASSWORD}`).toString('base64') },
    });
    return res.status === 200;
  }
  async function bindingsTo(queue: string): Promise<{ source: string; routing_key: string; arguments: Record<string, unknown> }[]> {
    const all = (await (await mgmt('GET', `/bindings/${v()}`)).json()) as { source: string; destination: string; routing_key: string; arguments: Record<string, unknown> }[];
    return all.filter((b) => b.destination === queue && b.source !== '');
  }

  describe('tapBindings', () => {
    it('binds # for topic, "" for fanout, chosen keys for direct, x-match any / all for headers', () => {
      assert.deepEqual(tapBindings({ exchange: 'x', exchangeType: 'topic' }), [{ routingKey: '#' }]);
      assert.deepEqual(tapBindings({ exchange: 'x', exchangeType: 'fanout', routingKeys: ['ignored'] }), [{ routingKey: '' }]);
      assert.deepEqual(tapBindings({ exchange: 'x', exchangeType: 'direct', routingKeys: ['a', 'b', 'a'] }), [{ routingKey: 'a' }, { routingKey: 'b' }]);
      assert.deepEqual(tapBindings({ exchange: 'x', exchangeType: 'headers' }), [{ routingKey: '', arguments: { 'x-match': 'all' } }]);
      assert.deepEqual(tapBindings({ exchange: 'x', exchangeType: 'headers', headers: { format: 'pdf', 'x-match': 'all' } }), [{ routingKey: '', arguments: { 'x-match': 'any', format: 'pdf' } }]);
    });

    it('rejects the default exchange, a direct tap without keys and bad keys, naming the field', () => {
      const field = (f: () => unknown, name: string) => assert.throws(f, (e: unknown) => isRabbitError(e, 'INVALID_INPUT') && e.field === name);
      field(() => tapBindings({ exchange: '', exchangeType: 'direct', routingKeys: ['a'] }), 'exchange');
      field(() => tapBindings({ exchange: 'x', exchangeType: 'direct' }), 'routingKeys');
      field(() => tapBindings({ exchange: 'x', exchangeType: 'x-delayed-message', routingKeys: [] }), 'routingKeys');
      field(() => tapBindings({ exchange: 'x', exchangeType: 'topic', routingKeys: ['k'.repeat(256)] }), 'routingKeys');
      field(() => tapBindings({ exchange: 'x', exchangeType: 'headers', headers: [] as unknown as Record<string, unknown> }), 'headers');
    });
  });

  it('topic: the tap gets a copy of every message while a normal consumer still gets every message; stop removes queue and binding', async () => {
    await ch.assertExchange('t.topic', 'topic', { durable: false });
    await ch.assertQueue('t.work', { durable: false });
    await ch.bindQueue('t.work', 't.topic', 'orders.#');
    const got: DecodedMessage[] = [];
    const ends: string[] = [];
    const tap = await startTap(s, { exchange: 't.topic', exchangeType: 'topic' }, { onMessage: (m) => got.push(m), onEnd: (r) => ends.push(r) });
    assert.match(tap.queue, /^amq\.gen-/);
    assert.equal(await queueExists(tap.queue), true);
    assert.deepEqual((await bindingsTo(tap.queue)).map((b) => [b.source, b.routing_key]), [['t.topic', '#']]);
    const info = (await (await mgmt('GET', `/queues/${v()}/${encodeURIComponent(tap.queue)}`)).json()) as { exclusive: boolean; auto_delete: boolean; durable: boolean };
    assert.deepEqual([info.exclusive, info.auto_delete, info.durable], [true, true, false]);

    // A normal consumer with acks on the work queue.
    const consumerCh = await conn.createChannel();
    const worked: string[] = [];
    await consumerCh.prefetch(10);
    await consumerCh.consume('t.work', (m) => {
      if (!m) return;
      worked.push(m.content.toString());
      consumerCh.ack(m);
    });
    const N = 50;
    for (let i = 0; i < N; i++) ch.publish('t.topic', i % 2 ? 'orders.new' : 'orders.eu.paid', Buffer.from(`m${i}`), { headers: { n: i } });
    ch.publish('t.topic', 'other.thing', Buffer.from('not-for-work'));
    await ch.waitForConfirms();
    await until(() => worked.length === N && got.length === N + 1, `${N} deliveries to the worker and ${N + 1} copies (worker ${worked.length}, tap ${got.length})`);
    assert.deepEqual(worked, Array.from({ length: N }, (_, i) => `m${i}`));
    assert.deepEqual(got.map((m) => m.body.text), [...worked, 'not-for-work']);
    assert.equal(got[3].headers.n, 3);
    assert.equal(got[0].fields.routingKey, 'orders.eu.paid');
    assert.equal(tap.count, N + 1);
    await consumerCh.close();

    await tap.stop();
    await tap.stop(); // twice is fine
    assert.deepEqual(ends, ['stopped']);
    assert.equal(tap.active, false);
    assert.equal(await queueExists(tap.queue), false, 'the tap queue is gone');
    assert.deepEqual(await bindingsTo(tap.queue), [], 'its binding is gone');
    const xb = (await (await mgmt('GET', `/exchanges/${v()}/t.topic/bindings/source`)).json()) as { destination: string }[];
    assert.deepEqual(xb.map((b) => b.destination), ['t.work']);
    // Nothing was taken from the work queue.
    assert.equal((await ch.checkQueue('t.work')).messageCount, 0);
  });

  it('headers: {} copies everything, chosen headers copy messages with any of them', async () => {
    await ch.assertExchange('t.headers', 'headers', { durable: false });
    const all: DecodedMessage[] = [];
    const some: DecodedMessage[] = [];
    const tapAll = await startTap(s, { exchange: 't.headers', exchangeType: 'headers', headers: {} }, { onMessage: (m) => all.push(m) });
    const tapSome = await startTap(s, { exchange: 't.headers', exchangeType: 'headers', headers: { format: 'pdf', lang: 'zh' } }, { onMessage: (m) => some.push(m) });
    ch.publish('t.headers', '', Buffer.from('a'), { headers: { format: 'pdf' } });
    ch.publish('t.headers', '', Buffer.from('b'), { headers: { lang: 'zh', format: 'doc' } });
    ch.publish('t.headers', '', Buffer.from('c'), { headers: { format: 'doc' } });
    ch.publish('t.headers', '', Buffer.from('d'));
    await ch.waitForConfirms();
    await until(() => all.length === 4 && some.length === 2, 'header copies');
    assert.deepEqual(some.map((m) => m.body.text), ['a', 'b']);
    await Promise.all([tapAll.stop(), tapSome.stop()]);
    assert.equal(await queueExists(tapAll.queue), false);
    assert.equal(await queueExists(tapSome.queue), false);
  });

  it('direct: copies only the chosen keys; fanout copies everything', async () => {
    await ch.assertExchange('t.direct', 'direct', { durable: false });
    await ch.assertExchange('t.fan', 'fanout', { durable: false });
    const d: string[] = [];
    const f: string[] = [];
    const tapD = await startTap(s, { exchange: 't.direct', exchangeType: 'direct', routingKeys: ['a', 'c'] }, { onMessage: (m) => d.push(m.body.text ?? '') });
    const tapF = await startTap(s, { exchange: 't.fan', exchangeType: 'fanout' }, { onMessage: (m) => f.push(m.body.text ?? '') });
    for (const k of ['a', 'b', 'c']) ch.publish('t.direct', k, Buffer.from(k));
    for (const k of ['x', 'y']) ch.publish('t.fan', k, Buffer.from(k));
    await ch.waitForConfirms();
    await until(() => d.length === 2 && f.length === 2, 'direct and fanout copies');
    assert.deepEqual(d, ['a', 'c']);
    assert.deepEqual(f, ['x', 'y']);
    await tapD.stop();
    await tapF.stop();
  });

  it('a missing exchange is NOT_FOUND, nothing is left behind and the session keeps working', async () => {
    const before = ((await (await mgmt('GET', `/queues/${v()}?columns=name`)).json()) as { name: string }[]).length;
    await assert.rejects(startTap(s, { exchange: 'ghost', exchangeType: 'topic' }, { onMessage: () => undefined }), (e: unknown) => isRabbitError(e, 'NOT_FOUND'));
    await until(async () => ((await (await mgmt('GET', `/queues/${v()}?columns=name`)).json()) as unknown[]).length === before, 'the half-made tap queue to go');
    const tap: TapHandle = await startTap(s, { exchange: 't.fan', exchangeType: 'fanout' }, { onMessage: () => undefined });
    assert.equal(tap.active, true);
    await tap.stop();
  });

  it('ends with "cancelled" when the broker deletes the tap queue under it', async () => {
    const ends: string[] = [];
    const tap = await startTap(s, { exchange: 't.fan', exchangeType: 'fanout' }, { onMessage: () => undefined, onEnd: (r) => ends.push(r) });
    // Only the owning connection may delete an exclusive queue: do it from another channel of the session.
    await s.withTempChannel('delete the tap queue', (c) => c.deleteQueue(tap.queue));
    await until(() => ends.length > 0, 'the tap to end');
    assert.deepEqual(ends, ['cancelled']);
    assert.equal(tap.active, false);
    await tap.stop();
  });
});
