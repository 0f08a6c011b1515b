// "See where messages go" in a real VS Code against the real broker: the route tester agrees with where
// real probes land, the topology graph panel draws the vhost's nodes and the route, and the live tap streams
// copies into the inspector without taking messages from a normal consumer, leaving nothing behind on stop.
import * as assert from 'node:assert/strict';
import * as amqp from 'amqplib';
import * as vscode from 'vscode';
import type { RouteResult } from '../../src/core/routing';
import { TAP_QUEUE_PREFIX } from '../../src/core/tap';
import type { ExtensionApi } from '../../src/extension';
import type { TapSession } from '../../src/features/routing/tap';
import type { TopologyPanel } from '../../src/features/routing/topologyPanel';
import { createTestVhost, mgmt, MGMT_URL, PASSWORD, USER, type TestVhost } from '../support/broker';

const EXTENSION_ID = 'rabbitmq-workbench.rabbitmq-workbench';

function run<T>(command: string, ...args: unknown[]): Promise<T> {
  return Promise.resolve(vscode.commands.executeCommand<T>(command, ...args));
}

async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('extension: route tester, topology graph, live tap', function () {
  this.timeout(120_000);
  let api: ExtensionApi;
  let vh: TestVhost;
  let conn: amqp.ChannelModel;
  let ch: amqp.ConfirmChannel;
  let connectionId: string;
  const queues = ['orders.created', 'orders.all', 'audit', 'reports.pdf', 'unrouted'];

  before(async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext, 'extension not installed');
    api = await ext.activate();
    vh = await createTestVhost('ext-routing');
    conn = await amqp.connect(vh.amqpUrl, { noDelay: true });
    conn.on('error', () => undefined);
    ch = await conn.createConfirmChannel();
    ch.on('error', () => undefined);
    for (const q of queues) await ch.assertQueue(q, { durable: true });
    await ch.assertExchange('ae.catch', 'fanout', { durable: false });
    await ch.assertExchange('orders', 'topic', { durable: false, arguments: { 'alternate-exchange': 'ae.catch' } });
    await ch.assertExchange('fan.audit', 'fanout', { durable: false, internal: true });
    await ch.assertExchange('docs', 'headers', { durable: false });
    await ch.bindQueue('orders.created', 'orders', 'order.created');
    await ch.bindQueue('orders.all', 'orders', 'order.#');
    await ch.bindExchange('fan.audit', 'orders', 'order.*');
    await ch.bindQueue('audit', 'fan.audit', '');
    await ch.bindQueue('unrouted', 'ae.catch', '');
    await ch.bindQueue('reports.pdf', 'docs', '', { 'x-match': 'all', format: 'pdf' });
    const added = await run<{ id: string }>('rabbitmq.addConnection', { name: `routing ${vh.name}`, amqpUrl: vh.profileUrl, managementUrl: MGMT_URL, password: PASSWORD });
    connectionId = added.id;
  });

  after(async () => {
    await run('rabbitmq.stopTap', { all: true }).catch(() => undefined);
    await run('rabbitmq.removeConnection', { id: connectionId }).catch(() => undefined);
    await conn?.close().catch(() => undefined);
    await vh?.delete();
  });

  const probes = [
    { exchange: 'orders', routingKey: 'order.created' },
    { exchange: 'orders', routingKey: 'order.eu.paid' },
    { exchange: 'orders', routingKey: 'invoice.sent' },
    { exchange: 'docs', routingKey: '', headers: { format: 'pdf' } },
    { exchange: 'docs', routingKey: '', headers: { format: 'doc' } },
    { exchange: '', routingKey: 'audit' },
  ];

  it('rabbitmq.testRoute returns where each real probe lands', async () => {
    for (const p of probes) {
      const result = await run<RouteResult>('rabbitmq.testRoute', { connectionId, vhost: vh.name, ...p, showPanel: false });
      const predicted = result.queues.map((q) => q.queue).sort();
      for (const q of queues) await ch.purgeQueue(q);
      ch.publish(p.exchange, p.routingKey, Buffer.from('probe'), { headers: p.headers });
      await ch.waitForConfirms();
      const landed: string[] = [];
      for (const q of queues) if ((await ch.checkQueue(q)).messageCount > 0) landed.push(q);
      assert.deepEqual(landed.sort(), predicted, `probe ${JSON.stringify(p)}`);
    }
  });

  it('explains each hop and the problems', async () => {
    const r = await run<RouteResult>('rabbitmq.testRoute', { connectionId, vhost: vh.name, exchange: 'orders', routingKey: 'order.created', showPanel: false });
    const audit = r.queues.find((q) => q.queue === 'audit');
    assert.ok(audit, 'audit is reached through fan.audit');
    assert.deepEqual(audit.path.map((h) => [h.exchange, h.to.name, h.binding?.routingKey]), [['orders', 'fan.audit', 'order.*'], ['fan.audit', 'audit', '']]);
    assert.match(audit.path[0].reason, /order\.\*/);
    const ae = await run<RouteResult>('rabbitmq.testRoute', { connectionId, vhost: vh.name, exchange: 'orders', routingKey: 'nothing', showPanel: false });
    assert.deepEqual(ae.alternateExchangeHops, [{ from: 'orders', to: 'ae.catch', outcome: 'followed' }]);
    const internal = await run<RouteResult>('rabbitmq.testRoute', { connectionId, vhost: vh.name, exchange: 'fan.audit', routingKey: '', showPanel: false });
    assert.equal(internal.refused, true);
    assert.equal(internal.problems[0].code, 'INTERNAL_EXCHANGE');
    await assert.rejects(run('rabbitmq.testRoute', { connectionId, vhost: vh.name, routingKey: 'x' }), (e: unknown) => (e as { field?: string }).field === 'exchange');
    await assert.rejects(run('rabbitmq.testRoute', { connectionId, vhost: vh.name, exchange: 'orders', routingKey: 'x', headers: [] }), (e: unknown) => (e as { field?: string }).field === 'headers');
  });

  it('rabbitmq.showTopology draws every node of the vhost; the tester highlights its route in the panel', async () => {
    const panel = await run<TopologyPanel>('rabbitmq.showTopology', { connectionId, vhost: vh.name });
    const nodes = panel.loaded!.graph.nodes.length;
    // 4 own exchanges + default + 6 amq.* + 5 queues
    assert.equal(nodes, 16);
    const drawn = await panel.whenRendered((s) => s.nodes === nodes);
    assert.equal(drawn.edges, panel.loaded!.graph.edges.length);
    assert.ok(drawn.labels > 0, 'labels are drawn for nodes in view');

    const r = await run<RouteResult>('rabbitmq.testRoute', { connectionId, vhost: vh.name, exchange: 'orders', routingKey: 'order.created' });
    assert.deepEqual(r.queues.map((q) => q.queue), ['audit', 'orders.all', 'orders.created']);
    const same = await run<TopologyPanel>('rabbitmq.showTopology', { connectionId, vhost: vh.name });
    assert.equal(same, panel, 'one panel per vhost');
    const hl = await panel.whenRendered((s) => s.targets === 3);
    // orders, fan.audit + the three queues; the three bindings into queues + orders→fan.audit
    assert.equal(hl.highlightedNodes, 5);
    assert.equal(hl.highlightedEdges, 4);
    assert.match(panel.route!.summary, /3/);
    assert.ok(panel.route!.lines.some((l) => l.text.includes('order.*')));

    panel.setFilter('orders.');
    const filtered = await panel.whenRendered((s) => s.filter === 'orders.');
    assert.equal(filtered.matches, 2);

    // Clicking a node reveals it in the explorer.
    await panel.dispatch({ type: 'reveal', nodeId: 'q:reports.pdf' });
    assert.deepEqual(panel.lastReveal, { nodeId: 'q:reports.pdf', shown: true });
    await until(() => api.explorerView.view.visible, 'the explorer to be shown');
    const selected = api.explorerView.view.selection[0] as { id?: string; name?: string } | undefined;
    assert.equal(selected?.name, 'reports.pdf', `selected: ${selected?.id ?? 'nothing'}`);
    await panel.dispatch({ type: 'reveal', nodeId: 'x:not-there' });
    assert.deepEqual(panel.lastReveal, { nodeId: 'x:not-there', shown: false });
    panel.dispose();
  });

  it('rabbitmq.tap streams copies into the inspector while a normal consumer still gets every message; stop removes queue and binding', async () => {
    const consumer = await conn.createChannel();
    const worked: string[] = [];
    await consumer.consume('orders.all', (m) => {
      if (!m) return;
      worked.push(m.content.toString());
      consumer.ack(m);
    });
    const tap = await run<TapSession>('rabbitmq.tap', { connectionId, vhost: vh.name, exchange: 'orders' });
    assert.ok(tap.queue.startsWith(TAP_QUEUE_PREFIX), tap.queue);
    const v = encodeURIComponent(vh.name);
    // The tap's queues are bound with copies of what the broker already routes to queues: the exchange's queue
    // bindings (not the one to the exchange fan.audit) and, for the unroutable ones, its alternate exchange's.
    const tapQueues = [...tap.handle.queues];
    assert.equal(tapQueues.length, 2, tapQueues.join(', '));
    const bindings = async () => ((await (await mgmt('GET', `/bindings/${v}`)).json()) as { destination: string; source: string; routing_key: string }[])
      .filter((b) => tapQueues.includes(b.destination) && b.source !== '')
      .map((b) => [b.destination === tap.queue ? 'main' : 'alternate', b.source, b.routing_key])
      .sort((a, b) => (a.join('\u0000') < b.join('\u0000') ? -1 : 1));
    assert.deepEqual(await bindings(), [['alternate', 'ae.catch', ''], ['main', 'orders', 'order.#'], ['main', 'orders', 'order.created']]);

    const N = 20;
    for (let i = 0; i < N; i++) ch.publish('orders', 'order.created', Buffer.from(`m${i}`));
    ch.publish('orders', 'invoice.sent', Buffer.from('to-the-ae'));
    await ch.waitForConfirms();
    await until(() => worked.length === N && tap.panel.messages.length === N + 1, `copies (${tap.panel.messages.length}) and deliveries (${worked.length})`);
    assert.deepEqual(worked, Array.from({ length: N }, (_, i) => `m${i}`));
    // The routed copies come in publish order; the unroutable one arrives on the alternate exchange's tap queue,
    // a queue of its own, so it may come at any point among them.
    const copies = tap.panel.messages.map((m) => m.view.body.text);
    assert.deepEqual(copies.filter((t) => t !== 'to-the-ae'), worked);
    assert.equal(copies.filter((t) => t === 'to-the-ae').length, 1, copies.join(', '));
    await consumer.close();

    const stopped = await run<string[]>('rabbitmq.stopTap', { queue: tap.queue });
    assert.deepEqual(stopped, [tap.queue]);
    for (const q of tapQueues) {
      const res = await mgmt('GET', `/queues/${v}/${encodeURIComponent(q)}`).catch((e: Error) => e);
      assert.ok(res instanceof Error && /404/.test(res.message), `the tap queue ${q} is gone`);
    }
    assert.deepEqual(await bindings(), [], 'their bindings are gone');
    tap.panel.dispose();
  });

  it('closing the tap inspector stops the tap too', async () => {
    const tap = await run<TapSession>('rabbitmq.tap', { connectionId, vhost: vh.name, exchange: 'docs', headers: { format: 'pdf' } });
    const v = encodeURIComponent(vh.name);
    const exists = async () => (await fetch(`${mgmtBase()}/queues/${v}/${encodeURIComponent(tap.queue)}`, { headers: authHeader() })).status === 200;
    assert.equal(await exists(), true);
    tap.panel.dispose();
    await until(async () => !(await exists()), 'the tap queue to be deleted after the panel closed');
    await assert.rejects(run('rabbitmq.stopTap', { queue: tap.queue }), (e: unknown) => (e as { code?: string }).code === 'NOT_FOUND');
  });
});

function mgmtBase(): string {
  return `${MGMT_URL}/api`;
}

function authHeader(): Record<string, string> {
  return { authorization: 'Basic ' + Buffer.from(`${USER}:${PASSWORD}`).toString('base64') };
}
