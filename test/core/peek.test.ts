import * as assert from 'node:assert/strict';
import * as amqp from 'amqplib';
import { createTestVhost, type TestVhost } from '../support/broker';
import { sessionFor, startProxy, waitFor } from '../support/amqpSession';
import type { AmqpSession } from '../../src/core/session';
import { isRabbitError } from '../../src/core/errors';
import * as ops from '../../src/core/operations';
import { peekMessages } from '../../src/core/peek';

describe('core/peek (real broker)', () => {
  let vh: TestVhost;
  let s: AmqpSession;
  let raw: amqp.ChannelModel;

  before(async () => {
    vh = await createTestVhost('peek');
    s = sessionFor(vh);
    raw = await amqp.connect(vh.amqpUrl, { noDelay: true });
    raw.on('error', () => undefined);
  });
  after(async () => {
    await raw.close().catch(() => undefined);
    await s.close();
    await vh.delete();
  });

  async function fill(queue: string, n: number, type: 'classic' | 'quorum' | 'stream' = 'classic'): Promise<string[]> {
    await ops.declareQueue(s, { name: queue, type });
    const bodies = Array.from({ length: n }, (_, i) => `${queue}-${i}`);
    const r = await ops.publishMany(s, bodies.map((body) => ({ exchange: '', routingKey: queue, body })));
    assert.equal(r.confirmed, n);
    return bodies;
  }

  /** Reads (and removes) everything with a real consumer, in delivery order. */
  async function consumeAll(queue: string, expected: number): Promise<string[]> {
    const ch = await raw.createChannel();
    ch.on('error', () => undefined);
    await ch.prefetch(500);
    const got: string[] = [];
    await waitFor<void>((done) => {
      void ch.consume(queue, (m) => {
        if (!m) return;
        got.push(m.content.toString());
        ch.ack(m);
        if (got.length === expected) done();
      });
    }, 20_000, `${expected} messages from ${queue}`);
    await new Promise((r) => setTimeout(r, 100)); // would any extra message arrive?
    await ch.close();
    return got;
  }

  it('peeks 1,000 messages without losing or reordering any', async () => {
    const bodies = await fill('thousand', 1000);
    const first = await peekMessages(s, 'thousand', { count: 1000 });
    assert.equal(first.queueType, 'classic');
    assert.equal(first.messageCountBefore, 1000);
    assert.deepEqual(first.messages.map((m) => m.body.text), bodies);
    assert.deepEqual(first.messages.map((m) => m.index), bodies.map((_, i) => i));
    assert.equal(first.messages[0].fields.deliveryTag, undefined);
    const second = await peekMessages(s, 'thousand', { count: 1000, queueType: 'classic' });
    assert.deepEqual(second.messages.map((m) => m.body.text), bodies, 'same order on the second peek');
    assert.ok(second.messages.every((m) => m.fields.redelivered), 'peeked messages come back redelivered');
    assert.equal(second.redeliveredSet, true);
    const partial = await peekMessages(s, 'thousand', { count: 10 });
    assert.deepEqual(partial.messages.map((m) => m.body.text), bodies.slice(0, 10));
    assert.equal((await ops.checkQueue(s, 'thousand')).messageCount, 1000);
    assert.deepEqual(await consumeAll('thousand', 1000), bodies);
  });

  it('is non-destructive even when the connection is cut mid-peek', async () => {
    const bodies = await fill('cut', 1000);
    // Trickled, so that the cut at the 100th delivery lands before the other 900 reach the client.
    const proxy = await startProxy({ trickleBytes: 4096 });
    const viaProxy = sessionFor(vh, { reconnect: { initialDelayMs: 50 } }, proxy.port);
    try {
      let cutAt = 0;
      const err = await peekMessages(viaProxy, 'cut', {
        count: 1000,
        onProgress: (n) => {
          if (n === 100) {
            cutAt = n;
            proxy.cut();
          }
        },
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.equal(cutAt, 100);
      assert.ok(isRabbitError(err, 'CONNECTION_CLOSED'), `got ${String(err)}`);
      assert.match(err.message, /Nothing was removed/);
      // the broker puts the unacked messages back when it sees the connection close
      let count = 0;
      for (let i = 0; i < 50 && count !== 1000; i++) {
        count = (await ops.checkQueue(s, 'cut')).messageCount;
        if (count !== 1000) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(count, 1000);
      // the same session reconnects and peeks again
      const again = await peekMessages(viaProxy, 'cut', { count: 5 });
      assert.deepEqual(again.messages.map((m) => m.body.text), bodies.slice(0, 5));
    } finally {
      await viaProxy.close();
      await proxy.close();
    }
    assert.deepEqual(await consumeAll('cut', 1000), bodies);
  });

  it('quorum: reports the delivery-limit risk and keeps order', async () => {
    await ops.declareQueue(s, { name: 'qq', type: 'quorum', deliveryLimit: 50 });
    const bodies = Array.from({ length: 30 }, (_, i) => `q${i}`);
    await ops.publishMany(s, bodies.map((body) => ({ exchange: '', routingKey: 'qq', body })));
    const p1 = await peekMessages(s, 'qq', { count: 20, deliveryLimit: 50 });
    assert.equal(p1.queueType, 'quorum');
    assert.deepEqual(p1.messages.map((m) => m.body.text), bodies.slice(0, 20));
    assert.equal(p1.quorumDeliveryLimitRisk?.deliveryLimit, 50);
    assert.match(p1.quorumDeliveryLimitRisk?.note ?? '', /counts as a delivery attempt.*delivery limit 50/);
    assert.deepEqual(p1.quorumDeliveryLimitRisk?.peeksLeft, bodies.slice(0, 20).map(() => 49));
    const p2 = await peekMessages(s, 'qq', { count: 30 });
    assert.deepEqual(p2.messages.map((m) => m.body.text), bodies);
    assert.ok((p2.quorumDeliveryLimitRisk?.highestDeliveryCount ?? 0) >= 1, 'delivery count went up');
    assert.deepEqual(await consumeAll('qq', 30), bodies);
  });

  it('streams: reads at first / number / Date / next offsets without changing anything', async () => {
    const bodies = await fill('st', 20, 'stream');
    const a = await peekMessages(s, 'st', { count: 5 });
    assert.equal(a.queueType, 'stream');
    assert.equal(a.redeliveredSet, false);
    assert.deepEqual(a.messages.map((m) => m.body.text), bodies.slice(0, 5));
    assert.equal(a.messages[0].headers['x-stream-offset'], 0);
    const b = await peekMessages(s, 'st', { count: 100, streamOffset: 12 });
    assert.deepEqual(b.messages.map((m) => m.body.text), bodies.slice(12));
    const c = await peekMessages(s, 'st', { count: 3, streamOffset: new Date(Date.now() - 3600_000) });
    assert.deepEqual(c.messages.map((m) => m.body.text), bodies.slice(0, 3));
    const d = await peekMessages(s, 'st', { count: 3, streamOffset: 'next', idleTimeoutMs: 200 });
    assert.equal(d.messages.length, 0);
    const again = await peekMessages(s, 'st', { count: 20, queueType: 'stream' });
    assert.deepEqual(again.messages.map((m) => m.body.text), bodies);
  });

  it('validates input and reports missing queues; the session keeps working', async () => {
    for (const count of [0, 1001, 1.5]) {
      await assert.rejects(peekMessages(s, 'thousand', { count }), (e: unknown) => isRabbitError(e, 'INVALID_INPUT') && e.field === 'count');
    }
    await assert.rejects(peekMessages(s, 'x', { streamOffset: 'middle' as never }), (e: unknown) => isRabbitError(e, 'INVALID_INPUT') && e.field === 'streamOffset');
    await assert.rejects(peekMessages(s, 'x', { queueType: 'classic', streamOffset: 5 }), (e: unknown) => isRabbitError(e, 'INVALID_INPUT') && e.field === 'streamOffset');
    await assert.rejects(peekMessages(s, 'no-such-queue'), (e: unknown) => isRabbitError(e, 'NOT_FOUND') && /no-such-queue/.test(e.message));
    await ops.declareQueue(s, { name: 'empty' });
    const e = await peekMessages(s, 'empty');
    assert.deepEqual(e.messages, []);
  });

  it('decodes non-UTF-8 bodies as binary and JSON as JSON', async () => {
    await ops.declareQueue(s, { name: 'mixed' });
    await ops.publish(s, { exchange: '', routingKey: 'mixed', body: Buffer.from([0xc3, 0x28, 0xff]) });
    await ops.publish(s, { exchange: '', routingKey: 'mixed', body: '{"a":1}', contentType: 'application/json' });
    const p = await peekMessages(s, 'mixed');
    assert.deepEqual(p.messages.map((m) => m.body.kind), ['binary', 'json']);
    assert.equal(p.messages[0].body.hex, 'c328ff');
    assert.deepEqual(p.messages[1].body.json, { a: 1 });
    assert.equal((await ops.checkQueue(s, 'mixed')).messageCount, 2);
  });
});
