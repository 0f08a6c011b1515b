// Quorum delivery limits against the real broker: what counts as a delivery attempt, where the effective
// limit comes from (argument, policy, operator policy, version default), and that the peek's arithmetic
// (peeks left, "this peek would drop it") matches what the broker then does. Fresh vhost per suite.
import * as assert from 'node:assert/strict';
import * as amqp from 'amqplib';
import { isRabbitError } from '../../src/core/errors';
import {
  assessPeekRisk,
  brokerMajor,
  decidePeek,
  DEFAULT_DELIVERY_LIMIT_4X,
  DeliveryCountMemory,
  effectiveDeliveryLimit,
  readDeliveryLimit,
  type EffectiveDeliveryLimit,
} from '../../src/core/deliveryLimit';
import { ManagementClient } from '../../src/core/management';
import * as ops from '../../src/core/operations';
import { peekMessages } from '../../src/core/peek';
import { resolveProfile } from '../../src/core/profile';
import type { AmqpSession } from '../../src/core/session';
import { MGMT_URL, PASSWORD, USER, createTestVhost, mgmt, type TestVhost } from '../support/broker';
import { sessionFor } from '../support/amqpSession';

describe('core/deliveryLimit: rules (pure)', () => {
  const lim = (brokerVersion: string, args: Record<string, unknown>, policy?: number, operatorPolicy?: number): EffectiveDeliveryLimit =>
    effectiveDeliveryLimit({
      brokerVersion,
      arguments: args,
      policy: policy === undefined ? undefined : { name: 'p', value: policy },
      operatorPolicy: operatorPolicy === undefined ? undefined : { name: 'op', value: operatorPolicy },
    });

  it('argument, else policy / operator policy (lower wins), else 20 from 4.0 on, else none', () => {
    assert.deepEqual([lim('3.10.8', {}).limit, lim('3.10.8', {}).source], [null, 'none']);
    assert.deepEqual([lim('4.0.5', {}).limit, lim('4.0.5', {}).source], [DEFAULT_DELIVERY_LIMIT_4X, 'default']);
    assert.deepEqual([lim('4.0.5', { 'x-delivery-limit': 5 }).limit, lim('4.0.5', { 'x-delivery-limit': 5 }).source], [5, 'argument']);
    assert.deepEqual([lim('3.10.8', {}, 7).limit, lim('3.10.8', {}, 7).source], [7, 'policy']);
    assert.deepEqual([lim('4.0.5', {}, 7, 3).limit, lim('4.0.5', {}, 7, 3).source], [3, 'operator-policy']);
    assert.deepEqual([lim('3.10.8', { 'x-delivery-limit': 5 }, 2).limit, lim('3.10.8', { 'x-delivery-limit': 5 }, 2).source], [2, 'policy']);
    assert.deepEqual([lim('3.10.8', { 'x-delivery-limit': 1 }, 3).limit, lim('3.10.8', { 'x-delivery-limit': 1 }, 3).source], [1, 'argument']);
  });

  it('-1 is unlimited on 4.x (a positive value on the other side still applies), but drops at the first hand-back before 4.0', () => {
    assert.equal(lim('4.0.5', { 'x-delivery-limit': -1 }).limit, null);
    assert.deepEqual([lim('4.0.5', { 'x-delivery-limit': -1 }, 5).limit, lim('4.0.5', { 'x-delivery-limit': -1 }, 5).source], [5, 'policy']);
    assert.deepEqual([lim('4.0.5', { 'x-delivery-limit': 5 }, -1).limit, lim('4.0.5', { 'x-delivery-limit': 5 }, -1).source], [5, 'argument']);
    assert.equal(lim('3.10.8', { 'x-delivery-limit': -1 }).limit, 0);
    assert.equal(brokerMajor('4.1.0'), 4);
    assert.equal(brokerMajor(undefined), 3);
  });

  it('assessPeekRisk: none for classic/stream, counted without a limit, spends below it, drops at it', () => {
    const l20 = lim('4.0.5', {});
    assert.deepEqual(assessPeekRisk('classic', l20, 10, 5), { kind: 'none' });
    assert.deepEqual(assessPeekRisk('quorum', lim('3.10.8', {}), 10, 5), { kind: 'counted' });
    assert.deepEqual(assessPeekRisk('quorum', l20, 10, 3), { kind: 'spends', limit: 20, messages: 3, unknown: 3, fewestPeeksLeft: undefined });
    assert.deepEqual(assessPeekRisk('quorum', l20, 10, 3, [19, 4]), { kind: 'spends', limit: 20, messages: 3, unknown: 1, fewestPeeksLeft: 1 });
    assert.deepEqual(assessPeekRisk('quorum', l20, 10, 3, [3, 20, 20]), { kind: 'drops', limit: 20, messages: 3, atLimit: [1, 2], safeCount: 1 });
    assert.deepEqual(assessPeekRisk('quorum', lim('3.10.8', { 'x-delivery-limit': 0 }), 2, 2), { kind: 'drops', limit: 0, messages: 2, atLimit: [0, 1], safeCount: 0 });
  });

  it('decidePeek: read-only never spends; spending needs consent; at the limit needs consent to dead-letter', () => {
    const l = lim('4.0.5', {});
    const base = { queue: 'q', limit: l, requested: 5, readOnly: false, consentedBefore: false, interactive: false };
    assert.deepEqual(decidePeek({ ...base, risk: { kind: 'none' } }), { action: 'run', count: 5 });
    assert.deepEqual(decidePeek({ ...base, risk: { kind: 'counted' }, readOnly: true }), { action: 'run', count: 5 });
    const spends = assessPeekRisk('quorum', l, 5, 5);
    const ro = decidePeek({ ...base, risk: spends, readOnly: true, consent: 'dead-letter' });
    assert.ok(ro.action === 'refuse' && isRabbitError(ro.error, 'READ_ONLY') && /delivery limit 20 \(the default of RabbitMQ 4\.0\.5/.test(ro.error.message), JSON.stringify(ro));
    const noConsent = decidePeek({ ...base, risk: spends });
    assert.ok(noConsent.action === 'refuse' && isRabbitError(noConsent.error, 'UNSAFE') && noConsent.error.field === 'consent' && /5 message\(s\)/.test(noConsent.error.message));
    assert.equal(decidePeek({ ...base, risk: spends, interactive: true }).action, 'ask');
    assert.deepEqual(decidePeek({ ...base, risk: spends, consent: 'spend' }), { action: 'run', count: 5 });
    assert.deepEqual(decidePeek({ ...base, risk: spends, consentedBefore: true }), { action: 'run', count: 5 });
    const drops = assessPeekRisk('quorum', l, 5, 5, [3, 20]);
    const refused = decidePeek({ ...base, risk: drops, consent: 'spend' });
    assert.ok(refused.action === 'refuse' && /message #2 has already been delivered 20 time/.test(refused.error.message) && /at most 1 message/.test(refused.error.message), JSON.stringify(refused));
    assert.equal(decidePeek({ ...base, risk: drops, consentedBefore: true, interactive: true }).action, 'ask');
    assert.deepEqual(decidePeek({ ...base, risk: drops, consent: 'dead-letter' }), { action: 'run', count: 5 });
  });

  it('DeliveryCountMemory keeps the counts a peek left, without the messages it took past the limit', () => {
    const m = new DeliveryCountMemory();
    assert.deepEqual(m.known('k'), []);
    m.record('k', [3, 21, 5], [1]);
    assert.deepEqual(m.known('k'), [3, 5]);
    m.consent('k');
    assert.equal(m.hasConsent('k'), true);
    m.forget('k');
    assert.deepEqual([m.known('k'), m.hasConsent('k')], [[], false]);
  });
});

describe('core/deliveryLimit (real broker)', function () {
  this.timeout(120_000);
  let vh: TestVhost;
  let s: AmqpSession;
  let raw: amqp.ChannelModel;
  let admin: amqp.Channel;
  let client: ManagementClient;
  let version: string;
  let v4: boolean;

  before(async () => {
    vh = await createTestVhost('dlimit');
    s = sessionFor(vh);
    raw = await amqp.connect(vh.amqpUrl, { noDelay: true });
    raw.on('error', () => undefined);
    admin = await raw.createChannel();
    admin.on('error', () => undefined);
    const resolved = resolveProfile({ id: 'test', name: 'test', amqpUrl: vh.profileUrl, managementUrl: MGMT_URL });
    client = new ManagementClient(resolved, { username: USER, password: PASSWORD });
    version = await client.version();
    v4 = brokerMajor(version) >= 4;
  });
  after(async () => {
    await raw?.close().catch(() => undefined);
    await s?.close();
    client?.dispose();
    await vh?.delete();
  });

  const v = () => encodeURIComponent(vh.name);

  async function quorum(name: string, args: Record<string, unknown> = {}, dlx?: string): Promise<void> {
    await admin.assertQueue(name, { durable: true, arguments: { 'x-queue-type': 'quorum', ...args, ...(dlx ? { 'x-dead-letter-exchange': dlx } : {}) } });
    admin.sendToQueue(name, Buffer.from(`${name}-body`), { persistent: true });
    await until(async () => (await admin.checkQueue(name)).messageCount === 1, `the message in ${name}`);
  }

  async function until(cond: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
    const end = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** A quorum queue counts a handed-back message as ready again a moment after the channel closed. */
  async function ready(name: string): Promise<void> {
    await until(async () => (await admin.checkQueue(name)).messageCount === 1, `the message back in ${name}`);
  }

  /** Messages in the queue once pending hand-backs settled (ready + unacked). */
  async function depth(name: string): Promise<number> {
    await new Promise((r) => setTimeout(r, 150));
    return (await admin.checkQueue(name)).messageCount;
  }

  /** Receives the one message without ack, hands it back the given way, returns the x-delivery-count it carried. */
  async function handBack(queue: string, how: 'close' | 'nack' | 'reject' | 'recover' | 'connection'): Promise<number | undefined> {
    const conn = how === 'connection' ? await amqp.connect(vh.amqpUrl) : raw;
    if (conn !== raw) conn.on('error', () => undefined);
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    await ch.prefetch(1);
    let consumeOk: Promise<amqp.Replies.Consume> | undefined;
    const got = await new Promise<amqp.ConsumeMessage | undefined>((resolve) => {
      const t = setTimeout(() => resolve(undefined), 1500);
      consumeOk = ch.consume(queue, (m) => {
        if (!m) return;
        clearTimeout(t);
        resolve(m);
      });
    });
    const tag = (await consumeOk)?.consumerTag ?? '';
    if (!got) {
      await ch.close().catch(() => undefined);
      if (how === 'connection') await conn.close().catch(() => undefined);
      return undefined;
    }
    // Cancel first, so that a requeued message is not delivered again to this same consumer.
    if (how !== 'close' && how !== 'connection') await ch.cancel(tag);
    if (how === 'nack') ch.nack(got, false, true);
    if (how === 'reject') ch.reject(got, true);
    if (how === 'recover') await ch.recover();
    await new Promise((r) => setTimeout(r, 50));
    if (how === 'connection') await conn.close();
    else await ch.close().catch(() => undefined);
    const n = got.properties.headers?.['x-delivery-count'];
    return typeof n === 'number' ? n : 0;
  }

  for (const how of ['close', 'nack', 'reject', 'recover', 'connection'] as const) {
    it(`a hand-back by ${how === 'connection' ? 'connection close' : how === 'close' ? 'channel close' : `basic.${how} (requeue)`} counts as one delivery attempt toward x-delivery-limit`, async () => {
      const q = `count-${how}`;
      await quorum(q, { 'x-delivery-limit': 2 });
      const seen: (number | undefined)[] = [];
      for (let i = 0; i < 4; i++) seen.push(await handBack(q, how));
      // Limit 2: delivered with counts 0, 1, 2; the third hand-back passes the limit and the message is gone.
      assert.deepEqual(seen, [0, 1, 2, undefined], `${how}: counts ${JSON.stringify(seen)}`);
      assert.equal(await depth(q), 0);
    });
  }

  it('argument limit: readDeliveryLimit says so; after L peeks the risk turns to "drops", and the broker does drop it then', async () => {
    await ops.declareQueue(s, { name: 'dl-arg-dlq' });
    await admin.assertExchange('dl-dlx', 'fanout', { durable: false });
    await admin.bindQueue('dl-arg-dlq', 'dl-dlx', '');
    await quorum('dl-arg', { 'x-delivery-limit': 3 }, 'dl-dlx');
    const info = await client.getQueue(vh.name, 'dl-arg');
    const limit = await readDeliveryLimit(client, vh.name, info);
    assert.equal(limit.limit, 3);
    assert.equal(limit.source, 'argument');
    assert.equal(limit.deadLetterExchange, 'dl-dlx');
    let known: number[] = [];
    for (let i = 1; i <= 3; i++) {
      const risk = assessPeekRisk('quorum', limit, 1, 1, known);
      assert.equal(risk.kind, 'spends', `peek ${i}: ${JSON.stringify(risk)}`);
      await ready('dl-arg');
      const r = await peekMessages(s, 'dl-arg', { count: 1, queueType: 'quorum', deliveryLimit: limit });
      assert.equal(r.messages.length, 1, `peek ${i} saw the message`);
      assert.deepEqual(r.quorumDeliveryLimitRisk?.deliveryCounts, [i - 1]);
      assert.deepEqual(r.quorumDeliveryLimitRisk?.peeksLeft, [3 - i]);
      assert.deepEqual(r.quorumDeliveryLimitRisk?.passedLimit, []);
      known = r.quorumDeliveryLimitRisk?.countsAfter ?? [];
      assert.equal(await depth('dl-arg'), 1, `still there after peek ${i}`);
    }
    const risk = assessPeekRisk('quorum', limit, 1, 1, known);
    assert.deepEqual(risk, { kind: 'drops', limit: 3, messages: 1, atLimit: [0], safeCount: 0 });
    // What the refused peek would have done: it is dead-lettered with reason delivery_limit.
    await ready('dl-arg');
    const r = await peekMessages(s, 'dl-arg', { count: 1, queueType: 'quorum', deliveryLimit: limit });
    assert.deepEqual(r.quorumDeliveryLimitRisk?.passedLimit, [0]);
    assert.equal(await depth('dl-arg'), 0);
    await until(async () => (await admin.checkQueue('dl-arg-dlq')).messageCount === 1, 'the dead-lettered message');
    const dead = await admin.get('dl-arg-dlq', { noAck: true });
    assert.ok(dead);
    const death = (dead.properties.headers?.['x-death'] as { reason: string }[])[0];
    assert.equal(death.reason, 'delivery_limit');
  });

  it('policy limit (no argument): read from the policy; policy and argument together: the lower wins', async () => {
    await mgmt('PUT', `/policies/${v()}/dl-pol`, { pattern: '^dl-pol', definition: { 'delivery-limit': 2 }, 'apply-to': 'queues', priority: 1 });
    await quorum('dl-pol-a');
    await quorum('dl-pol-b', { 'x-delivery-limit': 5 });
    await quorum('dl-pol-c', { 'x-delivery-limit': 1 });
    const a = await readDeliveryLimit(client, vh.name, await client.getQueue(vh.name, 'dl-pol-a'));
    const b = await readDeliveryLimit(client, vh.name, await client.getQueue(vh.name, 'dl-pol-b'));
    const c = await readDeliveryLimit(client, vh.name, await client.getQueue(vh.name, 'dl-pol-c'));
    assert.deepEqual([a.limit, a.source, a.policy?.name], [2, 'policy', 'dl-pol']);
    assert.deepEqual([b.limit, b.source], [2, 'policy']);
    assert.deepEqual([c.limit, c.source], [1, 'argument']);
    // The broker agrees: dl-pol-a and dl-pol-b survive 2 hand-backs and go with the 3rd; dl-pol-c with the 2nd.
    for (const [q, survives] of [['dl-pol-a', 2], ['dl-pol-b', 2], ['dl-pol-c', 1]] as const) {
      for (let i = 0; i < survives; i++) assert.notEqual(await handBack(q, 'close'), undefined, `${q} after ${i} hand-backs`);
      assert.equal(await depth(q), 1, `${q} survived ${survives}`);
      await handBack(q, 'close');
      assert.equal(await depth(q), 0, `${q} went with hand-back ${survives + 1}`);
    }
    await mgmt('DELETE', `/policies/${v()}/dl-pol`);
  });

  it('operator policy limit applies too', async () => {
    await mgmt('PUT', `/operator-policies/${v()}/dl-op`, { pattern: '^dl-op$', definition: { 'delivery-limit': 1 }, 'apply-to': 'queues', priority: 1 });
    try {
      await quorum('dl-op');
      const l = await readDeliveryLimit(client, vh.name, await client.getQueue(vh.name, 'dl-op'));
      assert.deepEqual([l.limit, l.source, l.operatorPolicy?.name], [1, 'operator-policy', 'dl-op']);
      assert.notEqual(await handBack('dl-op', 'close'), undefined);
      assert.equal(await depth('dl-op'), 1);
      await handBack('dl-op', 'close');
      assert.equal(await depth('dl-op'), 0);
    } finally {
      await mgmt('DELETE', `/operator-policies/${v()}/dl-op`);
    }
  });

  it('no argument and no policy: 20 from 4.0 on (the 21st hand-back drops it), unlimited before', async () => {
    await quorum('dl-default');
    const l = await readDeliveryLimit(client, vh.name, await client.getQueue(vh.name, 'dl-default'));
    if (v4) assert.deepEqual([l.limit, l.source], [20, 'default']);
    else assert.deepEqual([l.limit, l.source], [null, 'none']);
    let known: number[] = [];
    for (let i = 1; i <= 25; i++) {
      const risk = assessPeekRisk('quorum', l, 1, 1, known);
      if (risk.kind === 'drops') {
        assert.equal(v4, true, 'only 4.x has a default limit');
        assert.equal(i, 21, 'the 21st peek is the one that would drop it');
        assert.deepEqual(known, [20]);
        break;
      }
      await ready('dl-default');
      const r = await peekMessages(s, 'dl-default', { count: 1, queueType: 'quorum', deliveryLimit: l });
      assert.equal(r.messages.length, 1, `peek ${i}`);
      known = r.quorumDeliveryLimitRisk?.countsAfter ?? [];
    }
    assert.equal(await depth('dl-default'), 1, 'the message is still there');
  });

  it('deliveryLimit -1: unlimited on 4.x; refused before 4.0, where the broker would drop at the first hand-back', async () => {
    await s.withTempChannel('connect', async () => undefined);
    if (v4) {
      await ops.declareQueue(s, { name: 'dl-neg', type: 'quorum', deliveryLimit: -1 });
      admin.sendToQueue('dl-neg', Buffer.from('x'), { persistent: true });
      await until(async () => (await admin.checkQueue('dl-neg')).messageCount === 1, 'the message');
      const l = await readDeliveryLimit(client, vh.name, await client.getQueue(vh.name, 'dl-neg'));
      assert.equal(l.limit, null);
      for (let i = 0; i < 25; i++) await handBack('dl-neg', 'close');
      assert.equal(await depth('dl-neg'), 1);
    } else {
      await assert.rejects(ops.declareQueue(s, { name: 'dl-neg', type: 'quorum', deliveryLimit: -1 }), (e: unknown) => isRabbitError(e, 'INVALID_INPUT') && e.field === 'deliveryLimit' && /4\.0/.test(e.message));
      // Declared raw, the broker takes it and treats it as 0: gone at the first hand-back.
      await quorum('dl-neg-raw', { 'x-delivery-limit': -1 });
      const l = await readDeliveryLimit(client, vh.name, await client.getQueue(vh.name, 'dl-neg-raw'));
      assert.equal(l.limit, 0);
      assert.equal(assessPeekRisk('quorum', l, 1, 1).kind, 'drops');
      assert.equal(await handBack('dl-neg-raw', 'close'), 0);
      assert.equal(await depth('dl-neg-raw'), 0);
    }
    await assert.rejects(ops.declareQueue(s, { name: 'dl-neg2', type: 'quorum', deliveryLimit: -2 }), (e: unknown) => isRabbitError(e, 'INVALID_INPUT') && e.field === 'deliveryLimit');
  });
});
