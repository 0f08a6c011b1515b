// Topology loading (paged management lists), the graph model, route highlight, and the route tester checked
// against where real probes land on the broker. Fresh vhost per suite.
import * as assert from 'node:assert/strict';
import * as amqp from 'amqplib';
import { ManagementClient } from '../../src/core/management';
import { resolveProfile } from '../../src/core/profile';
import { RoutingIndex } from '../../src/core/routing';
import { bindingEdgeId, exchangeNodeId, loadTopology, queueNodeId, routeHighlight, type LoadedTopology } from '../../src/core/topology';
import { isRabbitError } from '../../src/core/errors';
import { layoutGraph } from '../../media/src/routing/graphLayout';
import { AMQP_HOST, AMQP_PORT, createTestVhost, MGMT_URL, PASSWORD, USER, type TestVhost } from '../support/broker';

function client(): ManagementClient {
  const resolved = resolveProfile({ id: 't', name: 't', amqpUrl: `amqp://${encodeURIComponent(USER)}@${AMQP_HOST}:${AMQP_PORT}/`, managementUrl: MGMT_URL });
  return new ManagementClient(resolved, { username: USER, password: PASSWORD });
}

describe('core/topology', function () {
  this.timeout(60000);
  let vh: TestVhost;
  let conn: amqp.ChannelModel;
  let ch: amqp.ConfirmChannel;
  let topology: LoadedTopology;
  const queues = ['q.orders', 'q.all', 'q.eu', 'q.pdf', 'q.any', 'q.fan1', 'q.fan2', 'q.ae', 'q.void', 'q.lonely'];

  before(async () => {
    vh = await createTestVhost('topology');
    conn = await amqp.connect(vh.amqpUrl, { noDelay: true });
    conn.on('error', () => undefined);
    ch = await conn.createConfirmChannel();
    ch.on('error', () => undefined);
    for (const q of queues) await ch.assertQueue(q, { durable: true });
    await ch.assertExchange('x.ae', 'fanout', { durable: false });
    await ch.assertExchange('x.topic', 'topic', { durable: false, arguments: { 'alternate-exchange': 'x.ae' } });
    await ch.assertExchange('x.direct', 'direct', { durable: false });
    await ch.assertExchange('x.headers', 'headers', { durable: false });
    await ch.assertExchange('x.fan', 'fanout', { durable: false, internal: true });
    await ch.bindQueue('q.orders', 'x.topic', 'orders.*');
    await ch.bindQueue('q.all', 'x.topic', 'orders.#');
    await ch.bindQueue('q.eu', 'x.topic', '*.eu.#');
    await ch.bindQueue('q.ae', 'x.ae', '');
    await ch.bindQueue('q.orders', 'x.direct', 'new');
    await ch.bindQueue('q.pdf', 'x.headers', '', { 'x-match': 'all', format: 'pdf', type: 'report' });
    await ch.bindQueue('q.any', 'x.headers', '', { 'x-match': 'any', format: 'pdf', lang: 'zh' });
    await ch.bindQueue('q.void', 'x.headers', '', { 'x-match': 'all', flag: null });
    await ch.bindQueue('q.fan1', 'x.fan', '');
    await ch.bindQueue('q.fan2', 'x.fan', '');
    await ch.bindExchange('x.fan', 'x.direct', 'broadcast');
    await ch.bindExchange('x.fan', 'x.topic', 'fan.#');
    topology = await loadTopology(client(), vh.name, { pageSize: 3 });
  });

  after(async () => {
    await conn?.close().catch(() => undefined);
    await vh?.delete();
  });

  it('loads every page of exchanges and queues and every binding', () => {
    const names = topology.queues.map((q) => q.name).sort();
    assert.deepEqual(names, [...queues].sort());
    // 5 own + the default + 6 amq.* exchanges
    assert.equal(topology.exchanges.length, 12);
    // pages of 3: ceil(12/3)=4 + ceil(10/3)=4 + 1 bindings request
    assert.equal(topology.requests, 9);
    assert.ok(topology.snapshot.bindings.every((b) => b.source !== ''), 'default-exchange bindings are implicit');
    assert.equal(topology.snapshot.bindings.length, 12);
  });

  it('builds graph nodes for every exchange and queue, edges for bindings and alternate exchanges', () => {
    const g = topology.graph;
    assert.equal(g.nodes.length, 12 + queues.length);
    assert.ok(g.nodes.some((n) => n.id === exchangeNodeId('') && n.flags.includes('default')));
    assert.ok(g.nodes.find((n) => n.id === exchangeNodeId('x.fan'))?.flags.includes('internal'));
    assert.equal(g.edges.filter((e) => e.kind === 'binding').length, 12);
    const ae = g.edges.filter((e) => e.kind === 'alternate');
    assert.deepEqual(ae.map((e) => [e.from, e.to]), [[exchangeNodeId('x.topic'), exchangeNodeId('x.ae')]]);
    assert.equal(new Set(g.edges.map((e) => e.id)).size, g.edges.length, 'edge ids are unique');
  });

  it('maps a route onto graph nodes and edges (headers with a void argument included)', () => {
    const index = new RoutingIndex(topology.snapshot);
    const edgeIds = new Set(topology.graph.edges.map((e) => e.id));
    const r = index.route({ exchange: 'x.headers', routingKey: '', headers: { flag: 1, format: 'pdf', type: 'report' } });
    assert.deepEqual(r.queues.map((q) => q.queue), ['q.any', 'q.pdf', 'q.void']);
    const hl = routeHighlight(r, 'x.headers');
    assert.equal(hl.edgeIds.length, 3);
    for (const id of hl.edgeIds) assert.ok(edgeIds.has(id), `edge ${id} is in the graph`);
    assert.deepEqual(hl.targetIds.sort(), ['q:q.any', 'q:q.pdf', 'q:q.void']);

    const viaAe = index.route({ exchange: 'x.topic', routingKey: '' });
    const hl2 = routeHighlight(viaAe, 'x.topic');
    assert.ok(hl2.edgeIds.some((id) => id.startsWith('ae:')), 'the alternate-exchange hop is highlighted');
    assert.ok(hl2.nodeIds.includes(queueNodeId('q.ae')));

    const viaDefault = index.route({ exchange: '', routingKey: 'q.lonely' });
    const hl3 = routeHighlight(viaDefault, '');
    assert.deepEqual(hl3.extraEdges, [{ from: 'x:', to: 'q:q.lonely' }]);
    assert.equal(bindingEdgeId({ source: 'a', destination: 'b', destinationType: 'queue', routingKey: 'k', arguments: { y: 1, x: 2 } }), bindingEdgeId({ source: 'a', destination: 'b', destinationType: 'queue', routingKey: 'k', arguments: { x: 2, y: 1 } }));
  });

  it('predicts exactly where real probes land', async () => {
    const index = new RoutingIndex(topology.snapshot);
    const probes: { exchange: string; routingKey: string; headers?: Record<string, unknown> }[] = [
      { exchange: 'x.topic', routingKey: 'orders.new' },
      { exchange: 'x.topic', routingKey: 'orders.eu.new' },
      { exchange: 'x.topic', routingKey: 'fan.out' },
      { exchange: 'x.topic', routingKey: '' },
      { exchange: 'x.topic', routingKey: 'eu.eu' },
      { exchange: 'x.direct', routingKey: 'new' },
      { exchange: 'x.direct', routingKey: 'broadcast' },
      { exchange: 'x.direct', routingKey: 'nobody' },
      { exchange: 'x.headers', routingKey: '', headers: { format: 'pdf', type: 'report' } },
      { exchange: 'x.headers', routingKey: '', headers: { lang: 'zh' } },
      { exchange: 'x.headers', routingKey: '', headers: { flag: 'yes' } },
      { exchange: 'x.headers', routingKey: '', headers: {} },
      { exchange: '', routingKey: 'q.lonely' },
      { exchange: 'x.direct', routingKey: 'x', headers: { CC: ['new'] } },
    ];
    for (const p of probes) {
      const predicted = index.route(p).queues.map((q) => q.queue).sort();
      for (const q of queues) await ch.purgeQueue(q);
      ch.publish(p.exchange, p.routingKey, Buffer.from('probe'), { headers: p.headers });
      await ch.waitForConfirms();
      const landed: string[] = [];
      for (const q of queues) if ((await ch.checkQueue(q)).messageCount > 0) landed.push(q);
      assert.deepEqual(landed.sort(), predicted, `probe ${JSON.stringify(p)}`);
    }
  });

  it('lays the loaded graph out with every node placed and no two nodes overlapping', () => {
    const l = layoutGraph(topology.graph);
    assert.equal(l.nodes.length, topology.graph.nodes.length);
    for (const n of l.nodes) assert.ok(Number.isFinite(n.x) && Number.isFinite(n.y) && n.w > 0, `node ${n.id} placed`);
    for (let i = 0; i < l.nodes.length; i++) {
      for (let j = i + 1; j < l.nodes.length; j++) {
        const a = l.nodes[i];
        const b = l.nodes[j];
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        assert.equal(overlap, false, `${a.id} overlaps ${b.id}`);
      }
    }
    assert.equal(l.edges.length, topology.graph.edges.length);
    for (const e of l.edges) assert.ok(e.points.length >= 2 && e.points.every((p) => Number.isFinite(p.x) && Number.isFinite(p.y)), `edge ${e.id} routed`);
  });

  it('rejects a missing vhost name before sending, and names a vhost that does not exist', async () => {
    await assert.rejects(loadTopology(client(), ''), (e: unknown) => isRabbitError(e, 'INVALID_INPUT') && e.field === 'vhost');
    await assert.rejects(loadTopology(client(), `${vh.name}-missing`), (e: unknown) => isRabbitError(e, 'NOT_FOUND'));
  });
});
