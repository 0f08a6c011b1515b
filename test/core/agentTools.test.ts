import * as assert from 'node:assert/strict';
import * as amqp from 'amqplib';
import { createTestVhost, MGMT_URL, PASSWORD, USER, mgmt, type TestVhost } from '../support/broker';
import { sessionFor } from '../support/amqpSession';
import { AGENT_TOOLS, agentTool, describeAgentChange, MUTATING_TOOLS, READ_ONLY_TOOLS, runAgentTool, type AgentToolContext } from '../../src/core/agentTools/tools';
import { validateInput } from '../../src/core/agentTools/schema';
import { DeliveryCountMemory } from '../../src/core/deliveryLimit';
import { isRabbitError } from '../../src/core/errors';
import { ManagementClient } from '../../src/core/management';
import * as ops from '../../src/core/operations';
import { resolveProfile } from '../../src/core/profile';
import type { AmqpSession } from '../../src/core/session';

async function rejectsWith(p: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isRabbitError(e), `a RabbitError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

describe('core/agentTools: input validation (pure)', () => {
  const schema = agentTool('list_queues').inputSchema;

  it('refuses unknown fields, wrong types and values outside the schema, naming the field', () => {
    assert.throws(() => validateInput(schema, { sort: 'depth' }), /sort: is not a field of this tool\. The fields are: vhost, name, regex, sortBy, page, pageSize/);
    assert.throws(() => validateInput(schema, { sortBy: 'size' }), /sortBy: must be one of "name", "depth", "consumers", "growth" \(got "size"\)/);
    assert.throws(() => validateInput(schema, { page: 0 }), /page: must be at least 1 \(got 0\)/);
    assert.throws(() => validateInput(schema, { pageSize: 2.5 }), /pageSize: must be a whole number/);
    assert.throws(() => validateInput(schema, { regex: 'yes' }), /regex: must be true or false/);
    assert.throws(() => validateInput(schema, [1]), /input: must be an object/);
    assert.throws(() => validateInput(agentTool('queue_details').inputSchema, {}), /queue: is required/);
    assert.throws(() => validateInput(agentTool('queue_details').inputSchema, { queue: '' }), /queue: is empty/);
    assert.throws(() => validateInput(agentTool('test_route').inputSchema, { exchange: 'x', headers: 'a=b' }), /headers: must be a JSON object/);
  });

  it('accepts numbers and booleans sent as strings, and null as absent', () => {
    assert.deepEqual(validateInput(schema, { page: '2', regex: 'true', name: null }), { page: 2, regex: true });
    assert.deepEqual(validateInput(schema, undefined), {});
  });

  it('every tool has a description and an object schema; mutating tools say what they change', () => {
    assert.deepEqual(READ_ONLY_TOOLS.map((t) => t.name), ['list_vhosts', 'list_queues', 'list_exchanges', 'list_bindings', 'queue_details', 'peek_messages', 'test_route', 'explain_queue', 'broker_overview']);
    assert.deepEqual(MUTATING_TOOLS.map((t) => t.name), ['publish_message', 'declare_queue', 'declare_exchange', 'bind', 'unbind', 'purge_queue']);
    for (const t of AGENT_TOOLS) {
      assert.ok(t.description.length > 60, t.name);
      assert.equal(t.inputSchema.type, 'object');
      assert.equal(t.inputSchema.additionalProperties, false);
      for (const r of t.inputSchema.required ?? []) assert.ok(t.inputSchema.properties[r], `${t.name}.${r}`);
      assert.equal(typeof t.describeChange === 'function', t.mutating, t.name);
    }
  });
});

describe('core/agentTools (real broker)', () => {
  let vh: TestVhost;
  let client: ManagementClient;
  let raw: amqp.ChannelModel;
  const sessions = new Map<string, AmqpSession>();

  function context(over: Partial<AgentToolContext> = {}): AgentToolContext {
    return {
      connectionName: 'test broker',
      readOnly: false,
      allowChanges: false,
      shareMessageContents: false,
      defaultVhost: vh.name,
      management: async () => client,
      session: async (vhost) => {
        let s = sessions.get(vhost);
        if (!s) sessions.set(vhost, (s = sessionFor(vhost)));
        return s;
      },
      deliveryCounts: new DeliveryCountMemory(),
      ...over,
    };
  }
  const run = (name: string, input: unknown, over?: Partial<AgentToolContext>): Promise<string> => runAgentTool(agentTool(name), input, context(over));

  /** The management API's counts lag behind AMQP by a stats interval: wait until they show. */
  async function waitForCount(queue: string, messages: number): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const q = await client.getQueue(vh.name, queue);
      if (q.messages === messages) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.fail(`queue ${queue} never showed ${messages} message(s)`);
  }

  before(async () => {
    vh = await createTestVhost('agent');
    client = new ManagementClient(resolveProfile({ id: 't', name: 't', amqpUrl: vh.profileUrl, managementUrl: MGMT_URL }), { username: USER, password: PASSWORD });
    const s = await context().session(vh.name);
    await ops.declareExchange(s, { name: 'orders', type: 'topic' });
    await ops.declareExchange(s, { name: 'dlx', type: 'fanout' });
    await ops.declareQueue(s, { name: 'orders.created', deadLetterExchange: 'dlx' });
    await ops.declareQueue(s, { name: 'orders.dead' });
    await ops.declareQueue(s, { name: 'idle' });
    await ops.declareQueue(s, { name: 'qq', type: 'quorum', deliveryLimit: 3 });
    await ops.bindQueue(s, { source: 'orders', destination: 'orders.created', routingKey: 'order.created.*' });
    await ops.bindQueue(s, { source: 'dlx', destination: 'orders.dead' });
    const r = await ops.publishMany(s, [1, 2, 3].map((i) => ({ exchange: 'orders', routingKey: 'order.created.eu', body: JSON.stringify({ id: i, secret: `card-${i}` }), contentType: 'application/json', headers: { tenant: 'acme' } })));
    assert.equal(r.confirmed, 3);
    await ops.publishMany(s, ['q1', 'q2'].map((body) => ({ exchange: '', routingKey: 'qq', body })));
    raw = await amqp.connect(vh.amqpUrl);
    raw.on('error', () => undefined);
    const ch = await raw.createChannel();
    await ch.prefetch(7);
    await ch.consume('idle', () => undefined, { noAck: false, consumerTag: 'agent-test-consumer' });
    await waitForCount('orders.created', 3);
    await waitForCount('qq', 2);
  });
  after(async () => {
    await raw?.close().catch(() => undefined);
    await Promise.allSettled([...sessions.values()].map((s) => s.close()));
    client?.dispose();
    await vh?.delete();
  });

  it('list_vhosts shows the test vhost', async () => {
    assert.match(await run('list_vhosts', {}), new RegExp(`\\| ${vh.name} \\|`));
  });

  it('list_queues sorts by depth and consumers, filters by regex, pages, and names a bad expression', async () => {
    const byDepth = await run('list_queues', { sortBy: 'depth' });
    const rows = byDepth.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| queue') && !l.startsWith('| ---'));
    assert.match(rows[0], /^\| orders\.created \| classic \| 3 \| 0 \| 0 \|/);
    assert.match(byDepth, /\| qq \| quorum \| 2 \|/);
    assert.match(byDepth, /4 in all/);
    const byConsumers = await run('list_queues', { sortBy: 'consumers', name: '^(idle|qq)$', regex: true });
    assert.match(byConsumers, /2 matching of 4/);
    assert.ok(byConsumers.indexOf('| qq |') < byConsumers.indexOf('| idle |'), 'fewest consumers first');
    assert.match(byConsumers, /\| idle \| classic \| 0 \| 0 \| 1 \|/);
    const paged = await run('list_queues', { pageSize: 1 });
    assert.match(paged, /page 1 of 4 \(1 shown, 4 in all\)\. More: page=2\./);
    await rejectsWith(run('list_queues', { name: '(', regex: true }), 'INVALID_INPUT', /^name: "\(" is not a valid regular expression/);
    await rejectsWith(run('list_queues', { vhost: `${vh.name}-missing` }), 'NOT_FOUND', /Vhost ".*-missing" does not exist/);
  });

  it('list_exchanges and list_bindings show the topology', async () => {
    assert.match(await run('list_exchanges', { name: 'orders' }), /\| orders \| topic \| true \| false \|/);
    assert.match(await run('list_bindings', { queue: 'orders.created' }), /\| orders \| orders\.created \| queue \| order\.created\.\* \|/);
    assert.match(await run('list_bindings', { exchange: 'dlx' }), /\| dlx \| orders\.dead \| queue \|/);
    await rejectsWith(run('list_bindings', { queue: 'idle', exchange: 'dlx' }), 'INVALID_INPUT', /^exchange: cannot be combined with queue/);
  });

  it('queue_details shows arguments, dead-lettering, the quorum delivery limit and consumers with prefetch and ack mode', async () => {
    const idle = await run('queue_details', { queue: 'idle' });
    assert.match(idle, /\| agent-test-consumer \| .* \| guest \| 7 \| manual \| yes \|/);
    assert.match(idle, /consumers: 1/);
    const created = await run('queue_details', { queue: 'orders.created' });
    assert.match(created, /dead-letter exchange: dlx/);
    assert.match(created, /messages: 3/);
    assert.match(await run('queue_details', { queue: 'qq' }), /delivery limit: delivery limit 3 \(queue argument x-delivery-limit\)/);
    await rejectsWith(run('queue_details', { queue: 'nope' }), 'NOT_FOUND', /Queue "nope" does not exist/);
  });

  it('peek_messages removes nothing and shares bodies and headers only when allowed', async () => {
    const hidden = await run('peek_messages', { queue: 'orders.created', count: 2 });
    assert.match(hidden, /Peeked 2 of 3 ready message\(s\) in classic queue "orders.created"/);
    assert.match(hidden, /not allowed sharing message contents/);
    assert.match(hidden, /\| 1 \| orders \| order\.created\.eu \| (true|false) \| \{"contentType":"application\/json"/);
    assert.doesNotMatch(hidden, /card-1|acme/);
    const shared = await run('peek_messages', { queue: 'orders.created', count: 3, maxBodyChars: 20 }, { shareMessageContents: true });
    assert.match(shared, /\{"tenant":"acme"\}/);
    assert.match(shared, /\{"id":1,"secret":"ca… \(cut at 20 characters\) \|/);
    assert.match(shared, /card-3|"id":3/);
    const left = await ops.checkQueue(await context().session(vh.name), 'orders.created');
    assert.equal(left.messageCount, 3, 'every message is still in the queue');
  });

  it('peek_messages follows the quorum delivery-limit rules: consent to spend, never on a read-only connection', async () => {
    await rejectsWith(run('peek_messages', { queue: 'qq' }), 'UNSAFE', /Peek refused without consent: quorum queue "qq" has a delivery limit 3/);
    await rejectsWith(run('peek_messages', { queue: 'qq', consent: 'spend' }, { readOnly: true }), 'READ_ONLY', /a read-only connection never does that/);
    const ctx = context();
    const out = await runAgentTool(agentTool('peek_messages'), { queue: 'qq', consent: 'spend' }, ctx);
    assert.match(out, /Peeked 2 of 2 ready message\(s\) in quorum queue "qq"/);
    assert.match(out, /delivery count/);
    assert.match(out, /counts as a delivery attempt/);
    assert.deepEqual([...ctx.deliveryCounts.known(`${vh.name}\u0000qq`)], [1, 1], 'the counts this peek left are remembered');
    await rejectsWith(run('peek_messages', { queue: 'qq', consent: 'maybe' }), 'INVALID_INPUT', /^consent: must be one of "spend", "dead-letter"/);
    await rejectsWith(run('peek_messages', { queue: 'qq', streamOffset: 'first' }), 'INVALID_INPUT', /^streamOffset: only applies to streams/);
  });

  it('test_route says where a message goes and why, and when it is unroutable', async () => {
    const hit = await run('test_route', { exchange: 'orders', routingKey: 'order.created.eu' });
    assert.match(hit, /It reaches 1 queue\(s\)/);
    assert.match(hit, /\| orders\.created \| orders \(topic\) → queue orders\.created: .*order\.created\.\*/);
    assert.match(await run('test_route', { exchange: 'orders', routingKey: 'order.deleted' }), /UNROUTABLE/);
    assert.match(await run('test_route', { exchange: 'nope', routingKey: 'x' }), /REFUSE/);
  });

  it('explain_queue shows who routes and dead-letters into a queue and where its dead letters go', async () => {
    const dead = await run('explain_queue', { queue: 'orders.dead' });
    assert.match(dead, /\| dlx \| fanout \|/);
    assert.match(dead, /Queues that dead-letter into it.*: 1\n\| queue .*\n.*\n\| orders\.created \| dlx \|/);
    const created = await run('explain_queue', { queue: 'orders.created' });
    assert.match(created, /Its own dead letters go to exchange "dlx" with the message's original routing key/);
    assert.match(await run('explain_queue', { queue: 'idle' }), /\| agent-test-consumer \|/);
  });

  it('broker_overview reports version, nodes and alarms', async () => {
    const out = await run('broker_overview', {});
    assert.match(out, new RegExp(`RabbitMQ: ${(await client.version()).replace(/\./g, '\\.')}`));
    // The broker's own node name (rabbit@host on a default install; a test node may be named otherwise).
    const { node } = (await (await mgmt('GET', '/overview')).json()) as { node: string };
    assert.match(out, new RegExp(`\\| ${node.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\| yes \\| (none|memory|disk)`));
    assert.match(out, /Deprecated features in use: /);
  });

  it('mutating tools are refused unless changes are allowed, and on read-only connections', async () => {
    await rejectsWith(run('purge_queue', { queue: 'orders.created' }), 'READ_ONLY', /changes are not allowed/);
    await rejectsWith(run('purge_queue', { queue: 'orders.created' }, { allowChanges: true, readOnly: true }), 'READ_ONLY', /Connection "test broker" is read-only: purge_queue is refused/);
    await waitForCount('orders.created', 3);
  });

  it('mutating tools change exactly what they said', async () => {
    const ctx = context({ allowChanges: true });
    const say = (name: string, input: unknown): string | undefined => describeAgentChange(agentTool(name), input, ctx);
    const exec = (name: string, input: unknown): Promise<string> => runAgentTool(agentTool(name), input, ctx);
    assert.equal(say('declare_queue', { name: 'made', type: 'quorum' }), `Create durable quorum queue "made" in vhost "${vh.name}" on test broker (nothing changes if it exists with the same settings).`);
    assert.match(await exec('declare_queue', { name: 'made', type: 'quorum' }), /Queue "made" \(quorum, durable\) is declared/);
    assert.equal((await client.getQueue(vh.name, 'made')).type, 'quorum');
    assert.match(await exec('declare_exchange', { name: 'events', type: 'direct' }), /Exchange "events" \(direct, durable\) is declared/);
    assert.equal((await client.getExchange(vh.name, 'events')).type, 'direct');
    assert.equal(say('bind', { source: 'events', destination: 'made', routingKey: 'k' }), `Add the binding exchange "events" → queue "made" with binding key "k" in vhost "${vh.name}" on test broker.`);
    await exec('bind', { source: 'events', destination: 'made', routingKey: 'k' });
    assert.deepEqual((await client.queueBindings(vh.name, 'made')).filter((b) => b.source === 'events').map((b) => b.routingKey), ['k']);
    assert.match(await exec('publish_message', { exchange: 'events', routingKey: 'k', body: 'hello' }), /confirmed it and routed it/);
    assert.match(await exec('publish_message', { exchange: 'events', routingKey: 'other', body: 'lost' }), /UNROUTABLE/);
    await waitForCount('made', 1);
    assert.match(say('purge_queue', { queue: 'made' }) ?? '', /^Delete every ready message of queue "made"/);
    assert.match(await exec('purge_queue', { queue: 'made' }), /1 message\(s\) deleted/);
    await exec('unbind', { source: 'events', destination: 'made', routingKey: 'k' });
    assert.deepEqual((await client.queueBindings(vh.name, 'made')).filter((b) => b.source === 'events'), []);
    await rejectsWith(exec('declare_queue', { name: 'made', type: 'classic' }), 'PRECONDITION_FAILED', /made/);
    await rejectsWith(exec('publish_message', { exchange: 'events', body: 'x', headers: { bad: Number.NaN } }), 'INVALID_INPUT', /^headers\.bad: is NaN/);
    assert.equal((await ops.checkQueue(await ctx.session(vh.name), 'orders.created')).messageCount, 3, 'nothing else changed');
  });
});
