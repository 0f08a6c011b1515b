import * as assert from 'node:assert/strict';
import * as amqp from 'amqplib';
import { brokerDeniesTransientQueues, createTestVhost, mgmt, type TestVhost } from '../support/broker';
import { sessionFor } from '../support/amqpSession';
import type { AmqpSession } from '../../src/core/session';
import { isRabbitError, type RabbitError } from '../../src/core/errors';
import * as ops from '../../src/core/operations';
import { withoutImplicitQueueType } from '../../src/core/model';

async function rejectsWith(p: Promise<unknown> | (() => unknown), code: string, re?: RegExp, field?: string): Promise<RabbitError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    assert.ok(isRabbitError(e), `expected RabbitError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (re) assert.match(e.message, re);
    if (field) assert.equal(e.field, field);
    return e;
  }
  assert.fail(`expected rejection with ${code}`);
}

describe('core/operations (real broker)', () => {
  let vh: TestVhost;
  let s: AmqpSession;
  let raw: amqp.ChannelModel;
  let rawCh: amqp.Channel;
  const v = (): string => encodeURIComponent(vh.name);

  before(async () => {
    vh = await createTestVhost('ops');
    s = sessionFor(vh);
    raw = await amqp.connect(vh.amqpUrl);
    raw.on('error', () => undefined);
    rawCh = await raw.createChannel();
    rawCh.on('error', () => undefined);
  });
  after(async () => {
    await raw.close().catch(() => undefined);
    await s.close();
    await vh.delete();
  });

  async function drain(queue: string): Promise<amqp.GetMessage[]> {
    const out: amqp.GetMessage[] = [];
    for (;;) {
      const m = await rawCh.get(queue, { noAck: true });
      if (!m) return out;
      out.push(m);
    }
  }

  it('declares exchanges with type, durability, internal, alternate exchange and arguments', async () => {
    await ops.declareExchange(s, { name: 'ae', type: 'fanout' });
    await ops.declareExchange(s, { name: 'x1', type: 'topic', durable: false, autoDelete: true, alternateExchange: 'ae', arguments: { 'x-custom': 'yes' } });
    await ops.declareExchange(s, { name: 'xi', type: 'direct', internal: true });
    const x1 = (await (await mgmt('GET', `/exchanges/${v()}/x1`)).json()) as { type: string; durable: boolean; auto_delete: boolean; arguments: Record<string, unknown> };
    assert.equal(x1.type, 'topic');
    assert.equal(x1.durable, false);
    assert.equal(x1.auto_delete, true);
    assert.deepEqual(x1.arguments, { 'alternate-exchange': 'ae', 'x-custom': 'yes' });
    const xi = (await (await mgmt('GET', `/exchanges/${v()}/xi`)).json()) as { internal: boolean };
    assert.equal(xi.internal, true);
    await ops.checkExchange(s, 'x1');
    await rejectsWith(ops.checkExchange(s, 'nope-x'), 'NOT_FOUND', /exchange "nope-x" does not exist/);
  });

  it('406 on exchange redeclare explains the difference, and the session keeps working', async () => {
    await rejectsWith(ops.declareExchange(s, { name: 'x1', type: 'direct', durable: false, autoDelete: true }), 'PRECONDITION_FAILED', /exchange x1 already exists with type=topic; you asked for direct/);
    await ops.declareExchange(s, { name: 'x1', type: 'topic', durable: false, autoDelete: true, alternateExchange: 'ae', arguments: { 'x-custom': 'yes' } });
    await rejectsWith(() => ops.declareExchange(s, { name: 'amq.mine', type: 'direct' }), 'INVALID_INPUT', /reserved/, 'name');
  });

  it('declares classic, quorum and stream queues with arguments', async () => {
    const dl = await ops.declareQueue(s, { name: 'c1', deadLetterExchange: 'ae', deadLetterRoutingKey: 'dead', messageTtl: 60000, maxLength: 100, overflow: 'reject-publish', maxPriority: 5 });
    assert.deepEqual(dl, { queue: 'c1', messageCount: 0, consumerCount: 0 });
    const q = (await (await mgmt('GET', `/queues/${v()}/c1`)).json()) as { arguments: Record<string, unknown>; durable: boolean; type: string };
    assert.equal(q.durable, true);
    assert.equal(q.type, 'classic');
    // 4.x reports x-queue-type=classic for every classic queue; 3.x only what the declare sent (none here).
    assert.deepEqual(withoutImplicitQueueType(q.arguments, s.serverInfo?.version), { 'x-dead-letter-exchange': 'ae', 'x-dead-letter-routing-key': 'dead', 'x-message-ttl': 60000, 'x-max-length': 100, 'x-overflow': 'reject-publish', 'x-max-priority': 5 });
    await ops.declareQueue(s, { name: 'qq', type: 'quorum', deliveryLimit: 3 });
    await ops.declareQueue(s, { name: 'st', type: 'stream', arguments: { 'x-max-age': '1D' } });
    const types = await Promise.all(['qq', 'st'].map(async (n) => ((await (await mgmt('GET', `/queues/${v()}/${n}`)).json()) as { type: string; arguments: Record<string, unknown> })));
    assert.equal(types[0].type, 'quorum');
    assert.equal(types[0].arguments['x-delivery-limit'], 3);
    assert.equal(types[1].type, 'stream');
    const named = await ops.declareQueue(s, { name: '', exclusive: true });
    assert.match(named.queue, /^amq\.gen-/);
  });

  it('rejects impossible quorum/stream settings before sending, naming the field', async () => {
    await rejectsWith(() => ops.declareQueue(s, { name: 'q-bad1', type: 'quorum', exclusive: true }), 'INVALID_INPUT', /cannot be exclusive/, 'exclusive');
    await rejectsWith(() => ops.declareQueue(s, { name: 'q-bad2', type: 'quorum', durable: false }), 'INVALID_INPUT', /always durable/, 'durable');
    await rejectsWith(() => ops.declareQueue(s, { name: 'q-bad3', type: 'stream', autoDelete: true }), 'INVALID_INPUT', /auto-delete/, 'autoDelete');
    await rejectsWith(() => ops.declareQueue(s, { name: '', type: 'quorum' }), 'INVALID_INPUT', /server-named/, 'name');
    await rejectsWith(() => ops.declareQueue(s, { name: 'q-bad4', deliveryLimit: 2 }), 'INVALID_INPUT', /quorum/, 'deliveryLimit');
    await rejectsWith(() => ops.declareQueue(s, { name: 'x'.repeat(256) }), 'INVALID_INPUT', /255 bytes/, 'name');
    const res = await mgmt('GET', `/queues/${v()}/q-bad1`).catch((e: Error) => e);
    assert.ok(res instanceof Error && /404/.test(res.message), 'nothing was declared');
  });

  it('406 on queue redeclare with another type explains it; the same session continues', async () => {
    await rejectsWith(
      ops.declareQueue(s, { name: 'qq', type: 'classic' }),
      'PRECONDITION_FAILED',
      /queue qq already exists with x-queue-type=quorum; you asked for classic\. Use the existing settings or delete the queue first/,
    );
    // No type given: the broker compared its default, not something the user asked for.
    const noType = await rejectsWith(ops.declareQueue(s, { name: 'qq', messageTtl: 5 }), 'PRECONDITION_FAILED', /queue qq already exists as a quorum queue \(x-queue-type=quorum\); the declare gave no type, so the broker compared it with its default, classic\. Declare it with type quorum/);
    assert.doesNotMatch(noType.message, /you asked for/);
    assert.equal(noType.field, 'type');
    await rejectsWith(ops.declareQueue(s, { name: 'c1' }), 'PRECONDITION_FAILED', /queue c1 already exists with x-dead-letter-exchange=ae; you asked for no x-dead-letter-exchange|already exists/);
    const again = await ops.declareQueue(s, { name: 'qq', type: 'quorum', deliveryLimit: 3 });
    assert.equal(again.queue, 'qq');
  });

  it('a transient non-exclusive queue: declared with a warning where the broker permits it, refused with the broker\'s 541 words and the alternative where it does not', async () => {
    const denies = await brokerDeniesTransientQueues(vh);
    await ops.checkQueue(s, 'c1');
    const major = Number((s.serverInfo?.version ?? '').split('.')[0]);
    if (major < 4) assert.equal(denies, false, 'a 3.x broker has no deprecated features to deny');
    if (!denies) {
      const r = await ops.declareQueue(s, { name: 'tq', durable: false });
      assert.equal(r.queue, 'tq');
      assert.match(r.warning ?? '', /Queue "tq" is transient and not exclusive: .*transient_nonexcl_queues.*541\. Declare it durable, or exclusive if only this connection uses it\./);
      const q = (await (await mgmt('GET', `/queues/${v()}/tq`)).json()) as { durable: boolean; exclusive: boolean };
      assert.deepEqual([q.durable, q.exclusive], [false, false]);
      await ops.deleteQueue(s, 'tq');
    } else {
      const before = s.generation;
      const err = await rejectsWith(ops.declareQueue(s, { name: 'tq', durable: false }), 'DEPRECATED_FEATURE', /Could not declare queue "tq": the broker refused a deprecated feature and closed the connection \(541\): Feature `transient_nonexcl_queues` is deprecated/);
      assert.equal(err.replyCode, 541);
      assert.match(err.brokerText ?? '', /transient_nonexcl_queues/);
      assert.match(err.hint ?? '', /durable .*or exclusive/);
      assert.doesNotMatch(err.message, /already closed|retry/i);
      // Known now: the next attempt is refused before anything is sent, with the same words, and the session lives on.
      await ops.checkQueue(s, 'c1');
      const connected = s.generation;
      assert.ok(connected > before, 'the broker closed the connection, the session opened a new one');
      const again = await rejectsWith(ops.declareQueue(s, { name: 'tq2', durable: false }), 'DEPRECATED_FEATURE', /Could not declare queue "tq2": the broker refuses transient queues that are not exclusive \(it closed the connection with 541: Feature `transient_nonexcl_queues` is deprecated/);
      assert.equal(again.field, 'durable');
      await ops.checkQueue(s, 'c1');
      assert.equal(s.generation, connected, 'refused without sending: the connection stayed up');
      for (const q of ['tq', 'tq2']) {
        const res = await mgmt('GET', `/queues/${v()}/${q}`).catch((e: Error) => e);
        assert.ok(res instanceof Error && /404/.test(res.message), `${q} was not declared`);
      }
    }
    // The alternatives work everywhere and warn about nothing.
    assert.equal((await ops.declareQueue(s, { name: 'tq-durable' })).warning, undefined);
    assert.equal((await ops.declareQueue(s, { name: '', durable: false, exclusive: true })).warning, undefined);
  });

  it('checkQueue: counts, NOT_FOUND, and RESOURCE_LOCKED for another connection\'s exclusive queue', async () => {
    const r = await ops.checkQueue(s, 'c1');
    assert.equal(r.messageCount, 0);
    await rejectsWith(ops.checkQueue(s, 'missing-q'), 'NOT_FOUND', /queue "missing-q" does not exist in vhost "wb-test-ops/);
    const ex = await rawCh.assertQueue('', { exclusive: true });
    await rejectsWith(ops.checkQueue(s, ex.queue), 'RESOURCE_LOCKED', /exclusive to another connection/);
    assert.equal((await ops.checkQueue(s, 'c1')).queue, 'c1');
  });

  it('bind/unbind queues and exchange-to-exchange with arguments', async () => {
    await ops.declareExchange(s, { name: 'hx', type: 'headers' });
    await ops.declareExchange(s, { name: 'src', type: 'direct' });
    await ops.declareQueue(s, { name: 'bq' });
    await ops.bindQueue(s, { destination: 'bq', source: 'hx', arguments: { 'x-match': 'all', kind: 'a' } });
    await ops.bindExchange(s, { destination: 'hx', source: 'src', routingKey: 'k' });
    assert.deepEqual(await ops.publish(s, { exchange: 'src', routingKey: 'k', body: 'via e2e', headers: { kind: 'a' } }), { routed: true, size: 7 });
    assert.deepEqual(await ops.publish(s, { exchange: 'src', routingKey: 'k', body: 'no match', headers: { kind: 'b' } }), { routed: false, size: 8 });
    const got = await drain('bq');
    assert.deepEqual(got.map((m) => m.content.toString()), ['via e2e']);
    await ops.unbindExchange(s, { destination: 'hx', source: 'src', routingKey: 'k' });
    assert.equal((await ops.publish(s, { exchange: 'src', routingKey: 'k', body: 'x', headers: { kind: 'a' } })).routed, false);
    await ops.unbindQueue(s, { destination: 'bq', source: 'hx', arguments: { 'x-match': 'all', kind: 'a' } });
    assert.equal((await ops.publish(s, { exchange: 'hx', routingKey: '', body: 'x', headers: { kind: 'a' } })).routed, false);
    await rejectsWith(ops.bindQueue(s, { destination: 'bq', source: 'no-such-x' }), 'NOT_FOUND', /exchange "no-such-x" does not exist/);
  });

  it('purge returns the count; delete ifEmpty/ifUnused refuse with a clear message', async () => {
    await ops.declareQueue(s, { name: 'pq' });
    for (let i = 0; i < 5; i++) await ops.publish(s, { exchange: '', routingKey: 'pq', body: `m${i}` });
    await rejectsWith(ops.deleteQueue(s, 'pq', { ifEmpty: true }), 'PRECONDITION_FAILED', /queue "pq" is not empty/);
    assert.equal(await ops.purgeQueue(s, 'pq'), 5);
    assert.equal(await ops.deleteQueue(s, 'pq', { ifEmpty: true }), 0);
    await ops.declareExchange(s, { name: 'used', type: 'fanout' });
    await ops.bindQueue(s, { destination: 'bq', source: 'used' });
    await rejectsWith(ops.deleteExchange(s, 'used', { ifUnused: true }), 'PRECONDITION_FAILED', /exchange "used" is in use/);
    await ops.deleteExchange(s, 'used');
    await rejectsWith(ops.checkExchange(s, 'used'), 'NOT_FOUND');
  });

  it('publish: every property and header type round-trips', async () => {
    await ops.declareQueue(s, { name: 'props', maxPriority: 10 });
    const when = new Date('2024-05-06T07:08:09Z');
    const r = await ops.publish(s, {
      exchange: '',
      routingKey: 'props',
      body: Buffer.from([0, 1, 2, 255]),
      contentType: 'application/octet-stream',
      contentEncoding: 'identity',
      headers: { s: 'str', n: 42, f: 1.5, neg: -70000, b: true, nil: null, big: 2n ** 40n, arr: [1, 'two', [3]], nested: { deep: { x: 'y' } }, at: when, bin: Buffer.from('hi') },
      persistent: true,
      priority: 7,
      correlationId: 'corr-1',
      replyTo: 'reply-q',
      expiration: '600000',
      messageId: 'mid-1',
      timestamp: when,
      type: 'order.created',
      userId: 'guest',
      appId: 'workbench-test',
    });
    assert.deepEqual(r, { routed: true, size: 4 });
    const [m] = await drain('props');
    assert.deepEqual([...m.content], [0, 1, 2, 255]);
    const p = m.properties;
    assert.equal(p.contentType, 'application/octet-stream');
    assert.equal(p.contentEncoding, 'identity');
    assert.equal(p.deliveryMode, 2);
    assert.equal(p.priority, 7);
    assert.equal(p.correlationId, 'corr-1');
    assert.equal(p.replyTo, 'reply-q');
    assert.equal(p.expiration, '600000');
    assert.equal(p.messageId, 'mid-1');
    assert.equal(p.timestamp, when.getTime() / 1000);
    assert.equal(p.type, 'order.created');
    assert.equal(p.userId, 'guest');
    assert.equal(p.appId, 'workbench-test');
    const h = p.headers!;
    assert.equal(h.s, 'str');
    assert.equal(h.n, 42);
    assert.equal(h.f, 1.5);
    assert.equal(h.neg, -70000);
    assert.equal(h.b, true);
    assert.equal(h.nil, null);
    assert.equal(h.big, 2 ** 40);
    assert.deepEqual(h.arr, [1, 'two', [3]]);
    assert.deepEqual(h.nested, { deep: { x: 'y' } });
    assert.deepEqual(h.at, { '!': 'timestamp', value: when.getTime() / 1000 });
    assert.equal(Buffer.from(h.bin).toString(), 'hi');
  });

  it('publish: bad input is refused before sending, naming the field; nothing is lost and the session keeps working', async () => {
    await ops.declareQueue(s, { name: 'safe' });
    const base = { exchange: '', routingKey: 'safe', body: 'ok' };
    await rejectsWith(ops.publish(s, { ...base, routingKey: 'k'.repeat(256) }), 'INVALID_INPUT', /256 bytes/, 'routingKey');
    await rejectsWith(ops.publish(s, { ...base, routingKey: 'é'.repeat(128) }), 'INVALID_INPUT', /256 bytes.*UTF-8/, 'routingKey');
    await rejectsWith(ops.publish(s, { ...base, headers: { fn: (() => 1) as never } }), 'INVALID_INPUT', /function/, 'headers.fn');
    await rejectsWith(ops.publish(s, { ...base, headers: { u: undefined as never } }), 'INVALID_INPUT', /undefined/, 'headers.u');
    await rejectsWith(ops.publish(s, { ...base, headers: { sym: Symbol('x') as never } }), 'INVALID_INPUT', /symbol/, 'headers.sym');
    await rejectsWith(ops.publish(s, { ...base, headers: { deep: { list: [1, NaN] } } }), 'INVALID_INPUT', /finite/, 'headers.deep.list[1]');
    await rejectsWith(ops.publish(s, { ...base, headers: { m: new Map() as never } }), 'INVALID_INPUT', /Map/, 'headers.m');
    await rejectsWith(ops.publish(s, { ...base, priority: 256 }), 'INVALID_INPUT', /0–255/, 'priority');
    await rejectsWith(ops.publish(s, { ...base, expiration: '1.5' }), 'INVALID_INPUT', /milliseconds/, 'expiration');
    await rejectsWith(ops.publish(s, { ...base, expiration: -1 }), 'INVALID_INPUT', /milliseconds/, 'expiration');
    await rejectsWith(ops.publish(s, { ...base, userId: 'someone-else' }), 'INVALID_INPUT', /connected as "guest"/, 'userId');
    await rejectsWith(ops.publish(s, { ...base, deliveryMode: 3 as never }), 'INVALID_INPUT', undefined, 'deliveryMode');
    await rejectsWith(ops.publish(s, { ...base, exchange: 'no-such-exchange' }), 'NOT_FOUND', /exchange "no-such-exchange" does not exist/);
    const small = sessionFor(vh, { maxMessageSize: 1024 });
    try {
      await rejectsWith(ops.publish(small, { ...base, body: Buffer.alloc(1025) }), 'INVALID_INPUT', /1025 bytes; the limit is 1024/, 'body');
      assert.equal((await ops.publish(small, { ...base, body: Buffer.alloc(1024) })).routed, true);
    } finally {
      await small.close();
    }
    assert.deepEqual(await ops.publish(s, base), { routed: true, size: 2 });
    const got = await drain('safe');
    assert.equal(got.length, 2, 'only the two valid messages arrived');
  });

  it('publish: a broker nack is NACKED (reject-publish on a full queue)', async () => {
    await ops.declareQueue(s, { name: 'full', maxLength: 1, overflow: 'reject-publish' });
    await ops.publish(s, { exchange: '', routingKey: 'full', body: '1' });
    await rejectsWith(ops.publish(s, { exchange: '', routingKey: 'full', body: '2' }), 'NACKED', /did not accept/);
    assert.equal((await ops.checkQueue(s, 'full')).messageCount, 1);
  });

  it('concurrent mandatory publishes are matched to their own returns', async () => {
    await ops.declareQueue(s, { name: 'mix' });
    const rs = await Promise.all(Array.from({ length: 50 }, (_, i) => ops.publish(s, { exchange: '', routingKey: i % 2 ? 'mix' : 'nowhere', body: `m${i}` })));
    assert.deepEqual(rs.map((r) => r.routed), Array.from({ length: 50 }, (_, i) => i % 2 === 1));
    assert.equal((await drain('mix')).length, 25);
  });

  it('publishMany: pipelined with confirms, counts returned, keeps order', async () => {
    await ops.declareQueue(s, { name: 'bulk' });
    const msgs = Array.from({ length: 5000 }, (_, i) => ({ exchange: '', routingKey: 'bulk', body: `n${i}`, headers: { i } }));
    const r = await ops.publishMany(s, msgs, { maxInFlight: 500 });
    assert.equal(r.published, 5000);
    assert.equal(r.confirmed, 5000);
    assert.equal(r.nacked, 0);
    const got = await drain('bulk');
    assert.deepEqual(got.map((m) => m.content.toString()), msgs.map((m) => m.body));
    async function* gen(): AsyncGenerator<ops.PublishOptions> {
      for (let i = 0; i < 100; i++) yield { exchange: '', routingKey: i < 10 ? 'nowhere' : 'bulk', body: 'g' };
    }
    const r2 = await ops.publishMany(s, gen(), { mandatory: true });
    assert.deepEqual([r2.published, r2.confirmed, r2.returned], [100, 100, 10]);
    await rejectsWith(ops.publishMany(s, [{ exchange: '', routingKey: 'bulk', body: 'a' }, { exchange: '', routingKey: 'x'.repeat(300), body: 'b' }]), 'INVALID_INPUT', /routingKey/, 'messages[1].routingKey');
    assert.equal((await ops.checkQueue(s, 'bulk')).messageCount, 90, 'invalid array rejected before anything was sent');
    await rejectsWith(ops.publishMany(s, [{ exchange: 'no-such-x', routingKey: 'k', body: 'a' }]), 'NOT_FOUND', /no-such-x/);
  });

  it('publishMany delivers every property and header exactly as a single publish (amqplib publish) does', async () => {
    await ops.declareQueue(s, { name: 'same-one' });
    await ops.declareQueue(s, { name: 'same-many' });
    const variants: Omit<ops.PublishOptions, 'exchange' | 'routingKey'>[] = [
      {
        body: Buffer.from([0, 1, 2, 255]),
        contentType: 'application/octet-stream',
        contentEncoding: 'gzip',
        persistent: true,
        priority: 7,
        correlationId: 'c-1',
        replyTo: 'r',
        expiration: 60000,
        messageId: 'm-1',
        timestamp: new Date(1_700_000_000_000),
        type: 't',
        appId: 'a',
        headers: { s: 'x', n: 3, f: 1.5, b: true, nil: null, bin: Buffer.from('hi'), at: new Date(1_600_000_000_000), big: 2n ** 40n, nested: { k: ['v', 1] }, typed: { '!': 'int8', value: 5 } },
      },
      { body: 'no headers at all' },
      { body: 'transient', deliveryMode: 1, headers: {} },
      { body: 'persistent by mode', deliveryMode: 2, expiration: '500000' },
    ];
    for (const m of variants) await ops.publish(s, { ...m, exchange: '', routingKey: 'same-one' });
    const r = await ops.publishMany(s, variants.map((m) => ({ ...m, exchange: '', routingKey: 'same-many' })), { mandatory: true });
    assert.deepEqual([r.confirmed, r.returned], [variants.length, 0]);
    const one = await drain('same-one');
    const many = await drain('same-many');
    assert.equal(one.length, variants.length);
    assert.equal(many.length, variants.length);
    for (let i = 0; i < variants.length; i++) {
      assert.deepEqual(many[i].content, one[i].content, `body of message ${i}`);
      assert.deepEqual(many[i].properties, one[i].properties, `properties of message ${i}`);
    }
    assert.equal(many[0].properties.deliveryMode, 2);
    assert.deepEqual(many[0].properties.headers?.bin, Buffer.from('hi'));
    assert.equal(many[3].properties.expiration, '500000');
  });
});

describe('core/operations preparePublish (pure)', () => {
  const limits = { maxMessageSize: 1024 };
  const field = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (e) {
      assert.ok(isRabbitError(e, 'INVALID_INPUT'), String(e));
      return (e as RabbitError).field;
    }
    return undefined;
  };

  it('counts UTF-8 bytes at the 255-byte limits (short strings skip the count, long ones do not)', () => {
    const msg = (rk: string, extra: Partial<ops.PublishOptions> = {}): ops.PublishOptions => ({ exchange: '', routingKey: rk, body: '', ...extra });
    assert.equal(ops.preparePublish(msg('中'.repeat(85)), limits).routingKey.length, 85); // 255 bytes
    assert.equal(field(() => ops.preparePublish(msg('中'.repeat(86)), limits)), 'routingKey'); // 258 bytes
    assert.equal(field(() => ops.preparePublish(msg(`${'é'.repeat(127)}ab`), limits)), 'routingKey'); // 256 bytes
    assert.equal(field(() => ops.preparePublish(msg('a', { exchange: 'x'.repeat(256) }), limits)), 'exchange');
    assert.equal(field(() => ops.preparePublish(msg('a', { messageId: 'ü'.repeat(128) }), limits)), 'messageId');
    assert.equal(field(() => ops.preparePublish(msg('a', { headers: { ['ß'.repeat(65)]: 1 } }), limits)), `headers.${'ß'.repeat(65)}`);
    assert.equal(field(() => ops.preparePublish(msg('a', { headers: { ok: { inner: Number.NaN } } }), limits)), 'headers.ok.inner');
    const p = ops.preparePublish(msg('a', { headers: { s: 'v', b: true, n: [1, { d: new Date(5000) }] } }), limits, true);
    assert.equal(p.options.mandatory, true);
    assert.deepEqual(p.options.headers, { s: 'v', b: true, n: [1, { d: { '!': 'timestamp', value: 5 } }] });
  });
});
