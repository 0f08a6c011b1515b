import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as amqp from 'amqplib';
import { AMQP_HOST, AMQP_PORT, MGMT_URL, PASSWORD, USER, createTestVhost, mgmt, type TestVhost } from '../support/broker';
import { sessionFor } from '../support/amqpSession';
import { deadLetterConfig, findDeadLetterTargets, loadDeadLetterTargets, probeWrite, shovelMove } from '../../src/core/deadLetters';
import { ManagementClient } from '../../src/core/management';
import type { PolicyInfo, QueueInfo } from '../../src/core/model';
import * as ops from '../../src/core/operations';
import { resolveProfile } from '../../src/core/profile';
import { AmqpSession } from '../../src/core/session';

function q(name: string, args: Record<string, unknown> = {}, policy?: string): Pick<QueueInfo, 'name' | 'type' | 'arguments' | 'policy'> {
  return { name, type: 'classic', arguments: args, policy };
}

function policy(name: string, pattern: string, definition: Record<string, unknown>, priority = 0): PolicyInfo {
  return { vhost: '/', name, pattern, applyTo: 'queues', priority, definition, operator: false };
}

describe('core/deadLetters (pure)', () => {
  it('takes the queue argument over the policy, and the policy when there is no argument', () => {
    const pols = [policy('dlx', '^orders', { 'dead-letter-exchange': 'dlx', 'dead-letter-routing-key': 'p-key' })];
    assert.deepEqual(deadLetterConfig(q('orders', { 'x-dead-letter-exchange': '' }), pols), { exchange: '', routingKey: 'p-key', via: 'argument' });
    assert.deepEqual(deadLetterConfig(q('orders.eu'), pols), { exchange: 'dlx', routingKey: 'p-key', via: 'policy', policy: 'dlx' });
    assert.equal(deadLetterConfig(q('billing'), pols), undefined);
  });

  it('finds the targets: a queue named by the key on the default exchange, what an exchange routes the key to, every bound queue without a key', () => {
    const queues = [
      q('a', { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'a.dlq' }),
      q('a.dlq'),
      q('b', { 'x-dead-letter-exchange': 'dlx', 'x-dead-letter-routing-key': 'b' }),
      q('c', { 'x-dead-letter-exchange': 'dlx' }),
      q('b.dlq'),
      q('other.dlq'),
      q('gone', { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'missing' }),
    ];
    const bindings = [
      { vhost: '/', source: 'dlx', destination: 'b.dlq', destinationType: 'queue' as const, routingKey: 'b', arguments: {}, propertiesKey: 'b' },
      { vhost: '/', source: 'dlx', destination: 'other.dlq', destinationType: 'queue' as const, routingKey: 'z', arguments: {}, propertiesKey: 'z' },
    ];
    const snapshot = { exchanges: [{ name: 'dlx', type: 'direct', internal: false, arguments: {} }], queues: queues.map((x) => ({ name: x.name })), bindings };
    const t = findDeadLetterTargets(queues, [], bindings, snapshot);
    assert.deepEqual(
      t.map((x) => [x.queue, x.sources.map((s) => s.queue)]),
      [
        ['a.dlq', ['a']],
        ['b.dlq', ['b', 'c']],
        ['other.dlq', ['c']],
      ],
    );
  });
});

describe('core/deadLetters (real broker)', function () {
  this.timeout(60_000);
  let vh: TestVhost;
  let s: AmqpSession;
  let client: ManagementClient;

  before(async () => {
    vh = await createTestVhost('deadletters');
    s = sessionFor(vh);
    client = new ManagementClient(resolveProfile({ id: 't', name: 't', amqpUrl: vh.profileUrl, managementUrl: MGMT_URL }), { username: USER, password: PASSWORD });
  });
  after(async () => {
    await s.close();
    client.dispose();
    await vh.delete();
  });

  it('lists dead-letter targets set by argument and by policy', async () => {
    await ops.declareQueue(s, { name: 'dlq', durable: true });
    await ops.declareQueue(s, { name: 'by-arg', durable: true, deadLetterExchange: '', deadLetterRoutingKey: 'dlq' });
    await ops.declareQueue(s, { name: 'pol.one', durable: true });
    await ops.declareQueue(s, { name: 'pol.dlq', durable: true });
    await mgmt('PUT', `/policies/${encodeURIComponent(vh.name)}/dl`, { pattern: '^pol\\.one$', 'apply-to': 'queues', definition: { 'dead-letter-exchange': '', 'dead-letter-routing-key': 'pol.dlq' } });
    const t = await loadDeadLetterTargets(client, vh.name);
    assert.deepEqual(
      t.map((x) => [x.queue, x.sources.map((r) => [r.queue, r.via])]),
      [
        ['dlq', [['by-arg', 'argument']]],
        ['pol.dlq', [['pol.one', 'policy']]],
      ],
    );
  });

  it('probes write permission without changing anything', async () => {
    assert.equal(await probeWrite(s, ''), true);
    await ops.declareExchange(s, { name: 'px', type: 'fanout', durable: true });
    assert.equal(await probeWrite(s, 'px'), true);
    const user = `wb-dl-probe-${randomBytes(3).toString('hex')}`;
    await mgmt('PUT', `/users/${user}`, { password: 'pw', tags: '' });
    await mgmt('PUT', `/permissions/${encodeURIComponent(vh.name)}/${user}`, { configure: '', write: '^$', read: '.*' });
    const limited = new AmqpSession(resolveProfile({ id: 'l', name: 'l', amqpUrl: `amqp://${user}@${AMQP_HOST}:${AMQP_PORT}/${encodeURIComponent(vh.name)}` }), { username: user, password: 'pw' });
    try {
      assert.equal(await probeWrite(limited, ''), false);
      assert.equal(await probeWrite(limited, 'px'), false);
    } finally {
      await limited.close();
      await mgmt('DELETE', `/users/${user}`);
    }
  });

  it('moves every message with a dynamic shovel where the plugin is present (and says when it is not)', async () => {
    const has = await client.hasShovelPlugin();
    const raw = await fetch(`${MGMT_URL}/api/shovels`, { headers: { authorization: 'Basic ' + Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } });
    assert.equal(has, raw.status === 200, `plugin check says ${has}, GET /api/shovels says ${raw.status}`);
    if (!has) return;
    await ops.declareQueue(s, { name: 'sh-src', durable: true });
    await ops.declareQueue(s, { name: 'sh-dst', durable: true });
    const n = 2000;
    const r0 = await ops.publishMany(s, Array.from({ length: n }, (_, i) => ({ exchange: '', routingKey: 'sh-src', body: `s-${i}`, headers: { seq: i } })));
    assert.equal(r0.confirmed, n);
    const r = await shovelMove(client, { vhost: vh.name, source: 'sh-src', destination: { queue: 'sh-dst' }, readyCount: async () => (await ops.checkQueue(s, 'sh-src')).messageCount });
    assert.equal(r.readyBefore, n);
    assert.equal(r.readyAfter, 0);
    assert.equal(r.moved, n);
    assert.equal((await ops.checkQueue(s, 'sh-dst')).messageCount, n);
    assert.equal(await client.shovelExists(vh.name, r.name), false, 'the shovel is removed');
    const conn = await amqp.connect(vh.amqpUrl);
    try {
      const ch = await conn.createChannel();
      for (let i = 0; i < n; i++) {
        const m = await ch.get('sh-dst', { noAck: true });
        assert.ok(m);
        assert.equal(m.content.toString(), `s-${i}`);
      }
    } finally {
      await conn.close();
    }
  });
});
