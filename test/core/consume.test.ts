import * as assert from 'node:assert/strict';
import { createTestVhost, type TestVhost } from '../support/broker';
import { sessionFor, startProxy, waitFor } from '../support/amqpSession';
import type { AmqpSession } from '../../src/core/session';
import { isRabbitError, type RabbitError } from '../../src/core/errors';
import * as ops from '../../src/core/operations';
import { ConsumeSession, type ConsumedMessage } from '../../src/core/consume';
import { peekMessages } from '../../src/core/peek';

describe('core/consume (real broker)', () => {
  let vh: TestVhost;
  let s: AmqpSession;

  before(async () => {
    vh = await createTestVhost('consume');
    s = sessionFor(vh);
    await ops.declareExchange(s, { name: 'dlx', type: 'fanout' });
    await ops.declareQueue(s, { name: 'dead' });
    await ops.bindQueue(s, { destination: 'dead', source: 'dlx' });
  });
  after(async () => {
    await s.close();
    await vh.delete();
  });

  function collector(c: ConsumeSession): { msgs: ConsumedMessage[]; until: (n: number) => Promise<void> } {
    const msgs: ConsumedMessage[] = [];
    const waiters: Array<[number, () => void]> = [];
    c.on('message', (m) => {
      msgs.push(m);
      for (const w of waiters.filter(([n]) => msgs.length >= n)) w[1]();
    });
    return {
      msgs,
      until: (n) => waitFor<void>((r) => (msgs.length >= n ? r() : waiters.push([n, r])), 10_000, `${n} messages`),
    };
  }

  it('ack / nack(requeue) / reject(dead-letter) / unknown tag / stop requeues', async () => {
    await ops.declareQueue(s, { name: 'work', deadLetterExchange: 'dlx' });
    for (let i = 0; i < 5; i++) await ops.publish(s, { exchange: '', routingKey: 'work', body: `w${i}` });
    const c = new ConsumeSession(s);
    const { msgs, until } = collector(c);
    await c.start('work', { prefetch: 10 });
    assert.equal(c.active, true);
    await until(5);
    assert.deepEqual(msgs.map((m) => m.decoded.body.text), ['w0', 'w1', 'w2', 'w3', 'w4']);
    const [t0, t1, t2, t3] = msgs.map((m) => m.tag);
    c.ack(t0);
    c.reject(t2); // → dead-letter
    c.nack(t1); // requeue → redelivered to us
    await until(6);
    assert.equal(msgs[5].decoded.body.text, 'w1');
    assert.equal(msgs[5].decoded.fields.redelivered, true);
    // unknown and already-settled tags: clear error, nothing sent, consumer keeps running
    let err: unknown;
    try {
      c.ack(9999);
    } catch (e) {
      err = e;
    }
    assert.ok(isRabbitError(err, 'PRECONDITION_FAILED') && /delivery tag 9999/.test(err.message) && /keeps running/.test(err.message));
    assert.throws(() => c.ack(t0), (e: unknown) => isRabbitError(e, 'PRECONDITION_FAILED'));
    assert.throws(() => c.ack([t3, 12345]), (e: unknown) => isRabbitError(e, 'PRECONDITION_FAILED'));
    assert.ok(c.unackedTags.includes(t3), 'a failed batch ack settles nothing');
    c.ack([t3]);
    assert.equal(c.active, true);
    assert.deepEqual(c.unackedTags, [msgs[4].tag, msgs[5].tag]);
    const { requeued } = await c.stop();
    assert.equal(requeued, 2);
    assert.equal(c.active, false);
    assert.throws(() => c.ack(msgs[4].tag), (e: unknown) => isRabbitError(e, 'CHANNEL_CLOSED'));
    const left = await peekMessages(s, 'work', { count: 10 });
    assert.deepEqual(left.messages.map((m) => m.body.text).sort(), ['w1', 'w4']);
    const dead = await peekMessages(s, 'dead', { count: 10 });
    assert.deepEqual(dead.messages.map((m) => m.body.text), ['w2']);
    assert.equal(dead.messages[0].xDeath?.[0].reason, 'rejected');
    assert.equal(dead.messages[0].xDeath?.[0].queue, 'work');
    assert.equal(dead.messages[0].xDeath?.[0].count, 1);
  });

  it('ackAll / nackAll, and restart after stop', async () => {
    await ops.declareQueue(s, { name: 'bulk' });
    await ops.publishMany(s, Array.from({ length: 20 }, (_, i) => ({ exchange: '', routingKey: 'bulk', body: `b${i}` })));
    const c = new ConsumeSession(s);
    const { until } = collector(c);
    await c.start('bulk', { prefetch: 5 });
    await until(5);
    assert.equal(c.ackAll(), 5);
    await until(10);
    assert.equal(c.nackAll(false), 5); // no DLX: dropped
    await until(15);
    await c.stop();
    assert.equal((await ops.checkQueue(s, 'bulk')).messageCount, 10);
    await c.start('bulk', { prefetch: 100 });
    await until(25);
    assert.equal(c.ackAll(), 10);
    await c.stop();
    assert.equal((await ops.checkQueue(s, 'bulk')).messageCount, 0);
  });

  it('reports a broker cancel (queue deleted) as an event', async () => {
    await ops.declareQueue(s, { name: 'doomed' });
    const c = new ConsumeSession(s);
    await c.start('doomed');
    const cancelled = waitFor<string>((r) => c.on('cancelled', (i) => r(i.reason)), 10_000, 'cancel');
    await ops.deleteQueue(s, 'doomed');
    assert.match(await cancelled, /queue "doomed".*deleted/);
    await c.stop();
  });

  it('reports channel loss as a closed event with the cause; messages stay in the queue', async () => {
    await ops.declareQueue(s, { name: 'lossy' });
    for (let i = 0; i < 3; i++) await ops.publish(s, { exchange: '', routingKey: 'lossy', body: `l${i}` });
    const proxy = await startProxy();
    const viaProxy = sessionFor(vh, { reconnect: false }, proxy.port);
    try {
      const c = new ConsumeSession(viaProxy);
      const { until } = collector(c);
      await c.start('lossy', { prefetch: 10 });
      await until(3);
      const closed = waitFor<{ error?: RabbitError; unackedReturned: number }>((r) => c.on('closed', r), 10_000, 'closed');
      proxy.cut();
      const info = await closed;
      assert.equal(info.unackedReturned, 3);
      assert.equal(info.error?.code, 'CONNECTION_CLOSED');
      assert.equal(c.active, false);
      assert.throws(() => c.ack(1), (e: unknown) => isRabbitError(e, 'CHANNEL_CLOSED'));
    } finally {
      await viaProxy.close();
      await proxy.close();
    }
    let n = 0;
    for (let i = 0; i < 50 && n !== 3; i++) {
      n = (await ops.checkQueue(s, 'lossy')).messageCount;
      if (n !== 3) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(n, 3);
  });

  it('rejects bad input and missing queues clearly', async () => {
    const c = new ConsumeSession(s);
    await assert.rejects(c.start('work', { prefetch: 0 }), (e: unknown) => isRabbitError(e, 'INVALID_INPUT') && e.field === 'prefetch');
    await assert.rejects(c.start('nope'), (e: unknown) => isRabbitError(e, 'NOT_FOUND') && /queue "nope"/.test(e.message));
    assert.equal(c.active, false);
    await c.start('work');
    assert.equal(c.active, true);
    await c.stop();
  });
});
