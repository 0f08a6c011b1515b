// The sidebar explorer in a real VS Code against the real broker: connections, tree, paging, filters,
// refresh and error nodes, topology commands. Every suite works in its own fresh vhost(s).
import * as assert from 'node:assert/strict';
import * as amqp from 'amqplib';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../src/extension';
import type { DeclareQueueResult } from '../../src/features/brokerObjects/commands';
import type { ConsumeCommandResult } from '../../src/features/messaging/consumeCommand';
import type { ExplorerNode } from '../../src/features/explorer/nodes/base';
import { AMQP_HOST, AMQP_PORT, createTestVhost, mgmt, MGMT_URL, PASSWORD, USER, type TestVhost } from '../support/broker';
import { createQueues, queueNames } from '../support/bulkQueues';

const EXTENSION_ID = 'rabbitmq-workbench.rabbitmq-workbench';

let api: ExtensionApi;

async function activate(): Promise<ExtensionApi> {
  const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
  assert.ok(ext, 'extension not installed');
  return ext.activate();
}

function run<T>(command: string, ...args: unknown[]): Promise<T> {
  return Promise.resolve(vscode.commands.executeCommand<T>(command, ...args));
}

function item(node: ExplorerNode): vscode.TreeItem {
  return api.explorer.getTreeItem(node) as vscode.TreeItem;
}

function label(node: ExplorerNode): string {
  const l = item(node).label;
  return typeof l === 'string' ? l : (l?.label ?? '');
}

function ctxValue(node: ExplorerNode): string {
  return item(node).contextValue ?? '';
}

/** The ThemeColor id of a node's icon (ThemeColor keeps it in `id` at runtime). */
function colorId(node: ExplorerNode): string | undefined {
  return ((item(node).iconPath as vscode.ThemeIcon).color as unknown as { id?: string } | undefined)?.id;
}

async function children(node?: ExplorerNode): Promise<ExplorerNode[]> {
  return Promise.resolve(api.explorer.getChildren(node)) as Promise<ExplorerNode[]>;
}

async function rejectsWith(p: Promise<unknown>, code: string, field?: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    const err = e as { code?: string; field?: string; message?: string };
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
    if (field) assert.equal(err.field, field);
    return true;
  });
}

interface Added {
  id: string;
  name: string;
}

/** Adds a connection through the command (tried first, then saved) for a test vhost, on the configured broker. */
async function addConnection(v: TestVhost, name: string, extra: Record<string, unknown> = {}): Promise<Added> {
  return run<Added>('rabbitmq.addConnection', { name, amqpUrl: v.profileUrl, managementUrl: MGMT_URL, password: PASSWORD, ...extra });
}

/** Connection → vhost → [Exchanges, Queues] for a connection's own vhost. */
async function folders(connectionId: string, vhost: string): Promise<{ exchanges: ExplorerNode; queues: ExplorerNode; vhostNode: ExplorerNode }> {
  const conn = api.explorer.connectionNode(connectionId);
  assert.ok(conn, 'connection node missing');
  const vhosts = await children(conn);
  const vhostNode = vhosts.find((n) => label(n) === vhost);
  assert.ok(vhostNode, `vhost ${vhost} not shown; got ${vhosts.map(label).join(', ')}`);
  const [exchanges, queues] = await children(vhostNode);
  return { exchanges, queues, vhostNode };
}

async function refreshed(node: ExplorerNode): Promise<ExplorerNode[]> {
  await run('rabbitmq.refresh', node);
  return children(node);
}

/** Opens the RabbitMQ view and waits for the workbench to report the tree visible. */
async function showExplorer(): Promise<void> {
  await vscode.commands.executeCommand('workbench.view.extension.rabbitmq');
  await vscode.commands.executeCommand('rabbitmq.explorer.focus');
  for (let i = 0; i < 50 && !api.explorerView.view.visible; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(api.explorerView.view.visible, true, 'the explorer view should be visible');
}

/**
 * Asks the broker itself, on a connection of the test's own: does it deny transient non-exclusive queues
 * (RabbitMQ 4 with `deprecated_features.permit.transient_nonexcl_queues = false` closes the connection, 541)?
 */
async function brokerDeniesTransientQueues(v: TestVhost): Promise<boolean> {
  const c = await amqp.connect(v.amqpUrl);
  let closedWith = '';
  c.on('error', (e: Error) => (closedWith = e.message));
  try {
    const ch = await c.createChannel();
    ch.on('error', () => undefined);
    await ch.assertQueue('probe-transient', { durable: false });
    await ch.deleteQueue('probe-transient');
    return false;
  } catch (e) {
    if (/\b541\b|transient_nonexcl_queues/.test(`${String(e)} ${closedWith}`)) return true;
    throw e;
  } finally {
    await c.close().catch(() => undefined);
  }
}

/**
 * Deletes many queues over AMQP (several channels in parallel). Deleting a vhost that still holds 10,000 queues
 * can outlast the management API's request timeout (RabbitMQ 4.0 closes the request): empty it first.
 */
async function deleteQueues(amqpUrl: string, names: string[], channels = 8, batch = 250): Promise<void> {
  const c = await amqp.connect(amqpUrl, { noDelay: true });
  c.on('error', () => undefined);
  try {
    const chans = await Promise.all(Array.from({ length: channels }, () => c.createChannel()));
    let next = 0;
    await Promise.all(chans.map(async (ch) => {
      while (next < names.length) {
        const slice = names.slice(next, (next += batch));
        await Promise.all(slice.map((n) => ch.deleteQueue(n)));
      }
    }));
  } finally {
    await c.close().catch(() => undefined);
  }
}

async function config(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('rabbitmq.explorer').update(key, value, vscode.ConfigurationTarget.Global);
}

describe('explorer', function () {
  this.timeout(120_000);
  let v: TestVhost;
  let conn: Added;
  const created: string[] = [];

  before(async () => {
    api = await activate();
    v = await createTestVhost('explorer');
    conn = await addConnection(v, 'explorer-test');
    created.push(conn.id);
  });

  after(async () => {
    for (const id of created) await run('rabbitmq.removeConnection', { id, confirm: true }).catch(() => undefined);
    await config('pageSize', undefined);
    await config('showStatistics', undefined);
    await v?.delete();
  });

  describe('connections', () => {
    it('saves a tried connection in settings without its password and connects it', async () => {
      const saved = vscode.workspace.getConfiguration('rabbitmq').inspect<{ id: string; amqpUrl: string }[]>('connections')?.globalValue ?? [];
      const mine = saved.find((p) => p.id === conn.id);
      assert.ok(mine, 'not in user settings');
      assert.ok(!JSON.stringify(saved).includes(`:${PASSWORD}@`), 'password leaked into settings');
      assert.equal(await api.connections.store.getPassword(conn.id), PASSWORD);
      assert.equal(api.connections.statusOf(conn.id).state, 'connected');
      const node = api.explorer.connectionNode(conn.id);
      assert.ok(node);
      assert.equal(ctxValue(node), 'connection:connected:writable');
      assert.match(String(item(node).description), /RabbitMQ \d/);
    });

    it('tries before saving: a wrong password saves nothing', async () => {
      const before = api.connections.store.list().length;
      await rejectsWith(run('rabbitmq.addConnection', { name: 'bad', amqpUrl: v.profileUrl, managementUrl: MGMT_URL, password: 'wrong-password' }), 'AUTH_FAILED');
      assert.equal(api.connections.store.list().length, before);
    });

    it('rejects a bad URL naming the field, and a password inside the URL', async () => {
      await rejectsWith(run('rabbitmq.addConnection', { name: 'bad', amqpUrl: 'http://x', password: 'p' }), 'INVALID_INPUT', 'amqpUrl');
      await rejectsWith(run('rabbitmq.addConnection', { name: 'bad', amqpUrl: `amqp://guest:secret@${AMQP_HOST}:${AMQP_PORT}/`, password: 'p' }), 'INVALID_INPUT', 'amqpUrl');
    });

    it('shows the active connection in the status bar', () => {
      const text = api.explorerView.statusBar.item.text;
      assert.ok(text.includes('explorer-test') || text.includes('localhost'), `status bar says ${text}`);
    });

    it('disconnects (tree offers to connect) and connects again', async () => {
      await run('rabbitmq.disconnect', { id: conn.id });
      const node = api.explorer.connectionNode(conn.id)!;
      assert.equal(ctxValue(node), 'connection:disconnected:writable');
      const kids = await children(node);
      assert.equal(kids.length, 1);
      assert.equal(item(kids[0]).command?.command, 'rabbitmq.connect');
      await run('rabbitmq.connect', { id: conn.id });
      assert.equal(ctxValue(node), 'connection:connected:writable');
      const vhosts = await children(node);
      assert.ok(vhosts.some((n) => label(n) === v.name));
    });

    it('edits a connection (tried first) and the tree shows the new name', async () => {
      await run('rabbitmq.editConnection', { id: conn.id, name: 'explorer-renamed' });
      assert.equal(api.connections.profile(conn.id).name, 'explorer-renamed');
      assert.equal(label(api.explorer.connectionNode(conn.id)!), 'explorer-renamed');
      await rejectsWith(run('rabbitmq.editConnection', { id: conn.id, password: 'wrong-password' }), 'AUTH_FAILED');
      assert.equal(await api.connections.store.getPassword(conn.id), PASSWORD, 'a failed edit must not change the password');
      await run('rabbitmq.editConnection', { id: conn.id, name: 'explorer-test' });
    });

    it('connects to localhost with guest/guest, also for a definition seeded in settings without a secret', async () => {
      // The configured broker's ports (RabbitMQ's defaults when nothing is configured).
      assert.match(AMQP_HOST, /^(127\.0\.0\.1|localhost)$/, 'this test needs the configured broker on this machine');
      const local = { port: AMQP_PORT, managementUrl: MGMT_URL };
      const first = await run<Added>('rabbitmq.connectLocalhost', local);
      assert.equal(api.connections.statusOf(first.id).state, 'connected');
      assert.equal(api.connections.resolved(first.id).amqp.vhost, '/');
      assert.equal(api.connections.resolved(first.id).amqp.port, AMQP_PORT);
      await run('rabbitmq.removeConnection', { id: first.id, confirm: true });
      assert.equal(api.connections.store.get(first.id), undefined);
      assert.equal(await api.connections.store.getPassword(first.id), undefined);
      // A team-shared definition in settings: no password anywhere yet.
      const config = vscode.workspace.getConfiguration('rabbitmq');
      const current = config.inspect<unknown[]>('connections')?.globalValue ?? [];
      await config.update('connections', [...current, { id: 'seeded-localhost', name: 'seeded', amqpUrl: `amqp://guest@127.0.0.1:${AMQP_PORT}/%2F`, managementUrl: MGMT_URL }], vscode.ConfigurationTarget.Global);
      created.push('seeded-localhost');
      const seeded = await run<Added>('rabbitmq.connectLocalhost', local);
      assert.equal(seeded.id, 'seeded-localhost', 'reuses the existing localhost definition');
      assert.equal(api.connections.statusOf(seeded.id).state, 'connected');
      assert.equal(await api.connections.store.getPassword(seeded.id), 'guest');
      await run('rabbitmq.removeConnection', { id: seeded.id, confirm: true });
    });
  });

  describe('tree', () => {
    const weird = 'q *bold* _x_ [link](command:x) <b>';

    before(async () => {
      await run('rabbitmq.declareExchange', { connectionId: conn.id, vhost: v.name, name: 'orders', type: 'topic' });
      await run('rabbitmq.declareExchange', { connectionId: conn.id, vhost: v.name, name: 'fan', type: 'fanout', internal: true });
      await run('rabbitmq.declareQueue', { connectionId: conn.id, vhost: v.name, name: 'dead', type: 'classic' });
      await run('rabbitmq.declareQueue', {
        connectionId: conn.id, vhost: v.name, name: 'work', type: 'quorum', deadLetterExchange: '', deadLetterRoutingKey: 'dead', messageTtl: 60000, maxLength: 1000,
      });
      await run('rabbitmq.declareQueue', { connectionId: conn.id, vhost: v.name, name: weird, type: 'classic', durable: true, autoDelete: true });
      await run('rabbitmq.declareQueue', { connectionId: conn.id, vhost: v.name, name: 'events', type: 'stream' });
      await run('rabbitmq.bind', { connectionId: conn.id, vhost: v.name, source: 'orders', destination: 'work', destinationType: 'queue', routingKey: 'order.*' });
      await run('rabbitmq.bind', { connectionId: conn.id, vhost: v.name, source: 'orders', destination: 'fan', destinationType: 'exchange', routingKey: '#', arguments: { 'x-note': 'e2e' } });
    });

    it('shows connection → vhost → Exchanges and Queues', async () => {
      const { exchanges, queues, vhostNode } = await folders(conn.id, v.name);
      assert.equal(ctxValue(vhostNode), 'vhost:unfiltered:writable');
      assert.equal(ctxValue(exchanges), 'folder:exchanges:unfiltered:writable');
      assert.equal(ctxValue(queues), 'folder:queues:unfiltered:writable');
    });

    it('lists exchanges with type and flags, built-ins after the others and dimmed', async () => {
      const { exchanges } = await folders(conn.id, v.name);
      const list = await refreshed(exchanges);
      const names = list.map(label);
      assert.deepEqual(names.slice(0, 2), ['fan', 'orders']);
      assert.equal(names[2], '(AMQP default)');
      assert.ok(names.slice(3).every((n) => n.startsWith('amq.')), names.join(', '));
      const orders = list[1];
      assert.equal(ctxValue(orders), 'exchange:topic:user:writable');
      assert.match(String(item(orders).description), /topic · durable/);
      assert.match(String(item(list[0]).description), /internal/);
      assert.equal(ctxValue(list[2]), 'exchange:direct:default:writable');
      assert.equal(item(list[2]).collapsibleState, vscode.TreeItemCollapsibleState.None);
      const amqDirect = list.find((n) => label(n) === 'amq.direct')!;
      assert.equal(ctxValue(amqDirect), 'exchange:direct:builtin:writable');
      assert.equal(colorId(amqDirect), 'disabledForeground');
    });

    it('shows an exchange\'s outgoing bindings to queues and exchanges with key and arguments', async () => {
      const { exchanges } = await folders(conn.id, v.name);
      const orders = (await children(exchanges)).find((n) => label(n) === 'orders')!;
      const bindings = await children(orders);
      assert.deepEqual(bindings.map((b) => [label(b), ctxValue(b)]), [
        ['fan', 'binding:exchange:explicit:writable'],
        ['work', 'binding:queue:explicit:writable'],
      ]);
      assert.match(String(item(bindings[0]).description), /^# · 1 arguments$/);
      assert.equal(item(bindings[1]).description, 'order.*');
      assert.match((item(bindings[0]).tooltip as vscode.MarkdownString).value, /x-note/);
    });

    it('lists queues with type, counts and consumers; tooltip escapes untrusted names', async () => {
      const { queues } = await folders(conn.id, v.name);
      const list = await refreshed(queues);
      assert.deepEqual(list.map(label), ['dead', 'events', weird, 'work'].sort());
      const work = list.find((n) => label(n) === 'work')!;
      // A queue this new may have no statistics yet: consumers are then unknown, never guessed.
      assert.match(ctxValue(work), /^queue:quorum:(noConsumers|consumersUnknown):writable:empty$/);
      assert.match(String(item(work).description), /^quorum( · 0 ready · 0 unacked( · 0 consumers)?)?$/);
      assert.equal((item(work).iconPath as vscode.ThemeIcon).id, 'database');
      const tip = item(work).tooltip as vscode.MarkdownString;
      const text = tip.value.replace(/&nbsp;/g, ' ');
      assert.match(text, /x-message-ttl = 60000/);
      assert.match(text, /x-max-length = 1000/);
      assert.match(text, /x-dead-letter-routing-key = "dead"/);
      assert.ok(!tip.isTrusted, 'tooltip must not be trusted');
      const w = list.find((n) => label(n) === weird)!;
      const wtip = (item(w).tooltip as vscode.MarkdownString).value;
      assert.ok(!wtip.includes('*bold*') && !wtip.includes('[link](command:x)'), `name not escaped: ${wtip}`);
      assert.equal((item(list.find((n) => label(n) === 'events')!).iconPath as vscode.ThemeIcon).id, 'pulse');
    });

    it('reveals a binding in the real tree view (getParent chain and items accepted by VS Code)', async () => {
      await showExplorer();
      const { exchanges } = await folders(conn.id, v.name);
      const orders = (await children(exchanges)).find((n) => label(n) === 'orders')!;
      const binding = (await children(orders))[0];
      assert.equal(await api.explorerView.reveal(binding, { select: true, expand: true }), true);
      // Identity, not deep equality (a failed deep diff of two node graphs would take all memory).
      const selected = api.explorerView.view.selection[0];
      assert.ok(selected === binding, `selected ${selected?.id ?? 'nothing'}, expected ${binding.id}`);
    });

    it('shows a queue\'s incoming bindings, including the default exchange\'s', async () => {
      const { queues } = await folders(conn.id, v.name);
      const work = (await children(queues)).find((n) => label(n) === 'work')!;
      const b = await children(work);
      assert.deepEqual(b.map((n) => [label(n), ctxValue(n)]), [
        ['(AMQP default)', 'binding:queue:implicit:writable'],
        ['orders', 'binding:queue:explicit:writable'],
      ]);
    });

    it('marks queues with consumers and messages (contextValue tokens, colours)', async () => {
      const c = await amqp.connect(v.amqpUrl, { noDelay: true });
      try {
        const ch = await c.createChannel();
        await ch.consume('dead', () => undefined, { noAck: false });
        ch.sendToQueue('work', Buffer.from('x'));
        const { queues } = await folders(conn.id, v.name);
        // The broker publishes statistics every few seconds: refresh until they show.
        let dead: ExplorerNode | undefined;
        let work: ExplorerNode | undefined;
        for (let i = 0; i < 40; i++) {
          const list = await refreshed(queues);
          dead = list.find((n) => label(n) === 'dead');
          work = list.find((n) => label(n) === 'work');
          if (ctxValue(dead!).includes('hasConsumers') && ctxValue(work!).includes('hasMessages')) break;
          await new Promise((r) => setTimeout(r, 500));
        }
        assert.equal(ctxValue(dead!), 'queue:classic:hasConsumers:writable:empty');
        assert.equal(colorId(dead!), 'charts.green');
        assert.match(String(item(dead!).description), /1 consumer/);
        assert.match(ctxValue(work!), /^queue:quorum:(noConsumers|consumersUnknown):writable:hasMessages$/);
        assert.match(String(item(work!).description), /1 ready/);
      } finally {
        await c.close();
      }
    });

    it('purges a queue after confirmation and reports the count', async () => {
      const r = await run<{ purged?: number }>('rabbitmq.purgeQueue', { connectionId: conn.id, vhost: v.name, name: 'work', confirm: true });
      assert.equal(r.purged, 1);
      // Ask the broker itself (management statistics lag by seconds).
      const c = await amqp.connect(v.amqpUrl, { noDelay: true });
      try {
        const ch = await c.createChannel();
        assert.equal((await ch.checkQueue('work')).messageCount, 0);
      } finally {
        await c.close();
      }
    });

    it('unbinds and the exchange no longer shows the binding', async () => {
      await run('rabbitmq.unbind', { connectionId: conn.id, vhost: v.name, source: 'orders', destination: 'fan', destinationType: 'exchange', routingKey: '#', arguments: { 'x-note': 'e2e' } });
      const { exchanges } = await folders(conn.id, v.name);
      const orders = (await refreshed(exchanges)).find((n) => label(n) === 'orders')!;
      assert.deepEqual((await children(orders)).map(label), ['work']);
      // From the tree node: the queue's binding from "orders".
      const { queues } = await folders(conn.id, v.name);
      const work = (await refreshed(queues)).find((n) => label(n) === 'work')!;
      const fromOrders = (await children(work)).find((n) => label(n) === 'orders')!;
      await run('rabbitmq.unbind', fromOrders);
      assert.deepEqual((await children(work)).map(label), ['(AMQP default)']);
      const implicit = (await children(work))[0];
      // From the tree the failure is shown to the user (not re-thrown); the default binding stays.
      assert.equal(await run('rabbitmq.unbind', implicit), undefined);
      assert.deepEqual((await children(work)).map(label), ['(AMQP default)']);
      await rejectsWith(run('rabbitmq.unbind', { connectionId: conn.id, vhost: v.name, source: '', destination: 'work', destinationType: 'queue' }), 'INVALID_INPUT', 'source');
    });

    it('deletes only after the name is confirmed; built-in exchanges cannot be deleted', async () => {
      await rejectsWith(run('rabbitmq.deleteQueue', { connectionId: conn.id, vhost: v.name, name: 'dead', confirmName: 'dea' }), 'INVALID_INPUT', 'confirmName');
      await run('rabbitmq.deleteQueue', { connectionId: conn.id, vhost: v.name, name: 'dead', confirmName: 'dead' });
      await run('rabbitmq.deleteExchange', { connectionId: conn.id, vhost: v.name, name: 'fan', confirmName: 'fan' });
      await rejectsWith(run('rabbitmq.deleteExchange', { connectionId: conn.id, vhost: v.name, name: 'amq.direct', confirmName: 'amq.direct' }), 'INVALID_INPUT', 'name');
      const { queues, exchanges } = await folders(conn.id, v.name);
      assert.ok(!(await children(queues)).some((n) => label(n) === 'dead'));
      assert.ok(!(await children(exchanges)).some((n) => label(n) === 'fan'));
    });

    it('rejects bad declarations before sending, naming the field', async () => {
      await rejectsWith(run('rabbitmq.declareQueue', { connectionId: conn.id, vhost: v.name, name: 'x', type: 'quorum', durable: false }), 'INVALID_INPUT', 'durable');
      await rejectsWith(run('rabbitmq.declareQueue', { connectionId: conn.id, vhost: v.name, name: 'x', messageTtl: -1 }), 'INVALID_INPUT', 'messageTtl');
      await rejectsWith(run('rabbitmq.declareExchange', { connectionId: conn.id, vhost: v.name, name: 'amq.mine', type: 'direct' }), 'INVALID_INPUT', 'name');
      // A redeclaration with other arguments is the broker's refusal, shown as an error (not a crash).
      await assert.rejects(run('rabbitmq.declareQueue', { connectionId: conn.id, vhost: v.name, name: 'work', type: 'classic' }));
    });

    it('copies names and opens the management UI with the vhost encoded', async () => {
      const { queues } = await folders(conn.id, v.name);
      const work = (await children(queues)).find((n) => label(n) === 'work')!;
      assert.equal(await run('rabbitmq.copyName', work), 'work');
      assert.equal(await vscode.env.clipboard.readText(), 'work');
      const url = await run<string>('rabbitmq.openInManagementUI', { connectionId: conn.id, vhost: '/', kind: 'queue', name: 'a/b' });
      // The connection's management URL is the configured broker's (a trailing "/" is not doubled).
      const ui = MGMT_URL.replace(/\/+$/, '');
      assert.equal(url, `${ui}/#/queues/%2F/a%2Fb`);
      const ex = await run<string>('rabbitmq.openInManagementUI', { connectionId: conn.id, vhost: v.name, kind: 'exchange', name: '' });
      assert.equal(ex, `${ui}/#/exchanges/${encodeURIComponent(v.name)}/amq.default`);
    });

    it('without statistics still shows message counts, but consumers are unknown', async () => {
      await config('showStatistics', false);
      try {
        const { queues } = await folders(conn.id, v.name);
        const work = (await refreshed(queues)).find((n) => label(n) === 'work')!;
        assert.match(ctxValue(work), /^queue:quorum:consumersUnknown:writable/);
        assert.match(String(item(work).description), /^quorum · \d+ ready · \d+ unacked$/);
      } finally {
        await config('showStatistics', undefined);
      }
    });
  });

  describe('read-only connections', () => {
    let ro: Added;
    before(async () => {
      ro = await addConnection(v, 'explorer-ro', { readOnly: true });
      created.push(ro.id);
    });

    it('shows read-only in the tree and refuses every mutating command', async () => {
      const node = api.explorer.connectionNode(ro.id)!;
      assert.equal(ctxValue(node), 'connection:connected:readOnly');
      assert.match(String(item(node).description), /read-only/);
      assert.equal((item(node).iconPath as vscode.ThemeIcon).id, 'lock');
      const base = { connectionId: ro.id, vhost: v.name };
      await rejectsWith(run('rabbitmq.declareQueue', { ...base, name: 'nope' }), 'READ_ONLY');
      await rejectsWith(run('rabbitmq.declareExchange', { ...base, name: 'nope', type: 'direct' }), 'READ_ONLY');
      await rejectsWith(run('rabbitmq.deleteQueue', { ...base, name: 'work', confirmName: 'work' }), 'READ_ONLY');
      await rejectsWith(run('rabbitmq.deleteExchange', { ...base, name: 'orders', confirmName: 'orders' }), 'READ_ONLY');
      await rejectsWith(run('rabbitmq.purgeQueue', { ...base, name: 'work', confirm: true }), 'READ_ONLY');
      await rejectsWith(run('rabbitmq.bind', { ...base, source: 'orders', destination: 'work', destinationType: 'queue' }), 'READ_ONLY');
      await rejectsWith(run('rabbitmq.unbind', { ...base, source: 'orders', destination: 'work', destinationType: 'queue' }), 'READ_ONLY');
      const { queues } = await folders(ro.id, v.name);
      const work = (await children(queues)).find((n) => label(n) === 'work')!;
      assert.match(ctxValue(work), /^queue:quorum:\w+:readOnly/);
      const r = await (await api.connections.management(ro.id)).getQueue(v.name, 'work');
      assert.equal(r.name, 'work', 'the queue is still there');
    });
  });

  describe('transient queues', () => {
    const queueUrl = (name: string) => `/queues/${encodeURIComponent(v.name)}/${encodeURIComponent(name)}`;

    it('declares a transient non-exclusive queue only with a warning, or refuses it in the broker\'s words where the broker denies them', async () => {
      const denied = await brokerDeniesTransientQueues(v);
      const base = { connectionId: conn.id, vhost: v.name, type: 'classic' };
      // A consumer on the connection's shared session: whatever the broker does to a transient declare must not stop it.
      await run('rabbitmq.declareQueue', { ...base, name: 'kept', durable: true });
      const { panel, consumer } = await run<ConsumeCommandResult>('rabbitmq.consume', { connectionId: conn.id, vhost: v.name, queue: 'kept' });
      try {
        const args = { ...base, name: 'scratch-transient', durable: false };
        if (denied) {
          const refused = (e: unknown) => {
            const err = e as { code?: string; field?: string; message?: string; brokerText?: string; hint?: string };
            assert.equal(err.code, 'DEPRECATED_FEATURE', err.message);
            assert.equal(err.field, 'durable');
            // The broker's own words, and what to do instead.
            assert.match(err.brokerText ?? '', /Feature `transient_nonexcl_queues` is deprecated/);
            assert.match(err.message ?? '', /Feature `transient_nonexcl_queues` is deprecated/);
            assert.match(err.hint ?? '', /durable .*exclusive/);
            assert.ok(err.message?.endsWith(err.hint ?? '\u0000'), 'the alternative is part of the message');
            return true;
          };
          await assert.rejects(run('rabbitmq.declareQueue', args), refused);
          // Known from now on: refused again before anything is sent, in the same words.
          await assert.rejects(run('rabbitmq.declareQueue', args), refused);
          await assert.rejects(mgmt('GET', queueUrl('scratch-transient')), /404/);
        } else {
          const r = await run<DeclareQueueResult>('rabbitmq.declareQueue', args);
          assert.match(r.warning ?? '', /^Queue "scratch-transient" is transient and not exclusive: .*Declare it durable, or exclusive/);
          const q = (await (await mgmt('GET', queueUrl('scratch-transient'))).json()) as { durable: boolean; exclusive: boolean };
          assert.deepEqual([q.durable, q.exclusive], [false, false]);
        }
        assert.equal(consumer.active, true, 'the shared session\'s consumer is still there');
        // The alternative works on both, without a warning.
        const durable = await run<DeclareQueueResult>('rabbitmq.declareQueue', { ...base, name: 'scratch-durable', durable: true });
        assert.equal(durable.warning, undefined);
        assert.equal(((await (await mgmt('GET', queueUrl('scratch-durable'))).json()) as { durable: boolean }).durable, true);
      } finally {
        panel.dispose();
      }
    });
  });

  describe('errors and recovery', () => {
    let extra: TestVhost;
    before(async () => {
      extra = await createTestVhost('explorer-err');
    });
    after(async () => {
      await extra.delete();
    });

    it('turns a failed load into an error node (no pop-up) and recovers on the next auto-refresh', async () => {
      await mgmt('PUT', `/queues/${encodeURIComponent(extra.name)}/survivor`, { durable: true });
      await api.explorer.refresh(api.explorer.connectionNode(conn.id));
      const { queues } = await folders(conn.id, extra.name);
      assert.deepEqual((await children(queues)).map(label), ['survivor']);
      await mgmt('DELETE', `/vhosts/${encodeURIComponent(extra.name)}`);
      const failed = await refreshed(queues);
      assert.equal(failed.length, 1);
      assert.equal(ctxValue(failed[0]), 'error:NOT_FOUND');
      // The headline comes from the error code, in the UI language (English here); the detail is the English message.
      assert.equal(label(failed[0]), 'Not found');
      assert.ok(String(item(failed[0]).description).length > 0, 'the detail is shown beside the headline');
      assert.equal(item(failed[0]).command?.command, 'rabbitmq.refresh');
      assert.ok(api.explorer.failedCount > 0);
      // The broker side comes back.
      await mgmt('PUT', `/vhosts/${encodeURIComponent(extra.name)}`, {});
      await mgmt('PUT', `/permissions/${encodeURIComponent(extra.name)}/${encodeURIComponent(USER)}`, { configure: '.*', write: '.*', read: '.*' });
      await mgmt('PUT', `/queues/${encodeURIComponent(extra.name)}/back`, { durable: true });
      await showExplorer();
      await api.explorerView.autoRefresh.tick();
      const again = await children(queues);
      assert.deepEqual(again.map(label), ['back']);
      assert.equal(api.explorer.failedCount, 0);
    });

    it('auto-refresh runs only while the view is visible and stops at interval 0', async () => {
      await vscode.workspace.getConfiguration('rabbitmq.explorer').update('refreshInterval', 5, vscode.ConfigurationTarget.Global);
      try {
        await showExplorer();
        assert.equal(api.explorerView.autoRefresh.running, true);
        await vscode.workspace.getConfiguration('rabbitmq.explorer').update('refreshInterval', 0, vscode.ConfigurationTarget.Global);
        assert.equal(api.explorerView.autoRefresh.running, false);
      } finally {
        await vscode.workspace.getConfiguration('rabbitmq.explorer').update('refreshInterval', undefined, vscode.ConfigurationTarget.Global);
      }
    });
  });

  describe('10,000 queues', function () {
    this.timeout(600_000);
    let big: TestVhost;
    const names = queueNames(10_000);
    const requests: string[] = [];
    /** Where each request came from (shown when a count is wrong). */
    const origins: string[] = [];
    // The real fetch, taken before any hook runs: restored whatever fails, so no later suite loses it.
    const realFetch = globalThis.fetch;
    const recordingFetch = ((input: string | URL | Request, init?: RequestInit) => {
      requests.push(String(input instanceof Request ? input.url : input));
      origins.push(new Error('request').stack ?? '');
      return realFetch(input, init);
    }) as typeof fetch;

    before(async () => {
      big = await createTestVhost('explorer-10k');
      await createQueues(big.amqpUrl, names);
      await config('pageSize', 100);
      // The suite counts the requests of its own loads: no auto-refresh tick may reload the tree meanwhile.
      await config('refreshInterval', 0);
    });

    // Record the management requests the tree makes (the real fetch still does the work), test by test.
    beforeEach(() => {
      globalThis.fetch = recordingFetch;
    });

    afterEach(() => {
      globalThis.fetch = realFetch;
    });

    after(async () => {
      try {
        await config('pageSize', undefined);
        await config('refreshInterval', undefined);
      } finally {
        globalThis.fetch = realFetch;
        if (big) {
          await deleteQueues(big.amqpUrl, names);
          await big.delete();
        }
      }
    });

    it('draws the first screen from one page of 100 (no whole-list request)', async () => {
      await api.explorer.refresh(api.explorer.connectionNode(conn.id));
      requests.length = 0;
      origins.length = 0;
      const { queues } = await folders(conn.id, big.name);
      const list = await children(queues);
      assert.equal(list.length, 101, `shown: ${list.slice(0, 3).map((n) => `${label(n)} ${String(item(n).description ?? '')}`).join(' | ')}`);
      assert.deepEqual(list.slice(0, 100).map(label), names.slice(0, 100));
      const more = list[100];
      assert.equal(ctxValue(more), 'loadMore');
      assert.equal(item(more).command?.command, 'rabbitmq.loadMore');
      assert.match(String(item(more).description), /100\D+10000/);
      // Other vhosts shown in the tree may reload their own first page meanwhile: count this vhost's requests.
      const mine = requests.map((u, i) => [u, origins[i]]).filter(([u]) => u.includes(`/api/queues/${encodeURIComponent(big.name)}`));
      const queueRequests = mine.map(([u]) => u);
      assert.equal(queueRequests.length, 1, mine.map(([u, o]) => `${u}\n${o}`).join('\n\n'));
      const u = new URL(queueRequests[0]);
      assert.equal(u.searchParams.get('page'), '1');
      assert.equal(u.searchParams.get('page_size'), '100');
      for (const r of requests) {
        const path = new URL(r).pathname;
        assert.ok(!/^\/api\/bindings(\/[^/]+)?$/.test(path), `a whole binding list was requested: ${r}`);
        if (/^\/api\/(queues|exchanges)(\/[^/]+)?$/.test(path)) assert.ok(new URL(r).searchParams.has('page_size'), `an unpaged list was requested: ${r}`);
      }
      assert.match(String(item(queues).description), /^100\/10000$/);
    });

    it('loads the next page with "Load more…"', async () => {
      const { queues } = await folders(conn.id, big.name);
      const list = await children(queues);
      await run('rabbitmq.loadMore', list[list.length - 1].getParent());
      const next = await children(queues);
      assert.equal(next.length, 201);
      assert.deepEqual(next.slice(100, 200).map(label), names.slice(100, 200));
      const r = await run<{ loaded: number }>('rabbitmq.loadMore', { connectionId: conn.id, vhost: big.name, kind: 'queues' });
      assert.equal(r.loaded, 300);
      // A refresh keeps the pages already shown.
      const again = await refreshed(queues);
      assert.equal(again.length, 301);
    });

    it('filters by regular expression on the broker and shows the filter', async () => {
      const { queues, vhostNode } = await folders(conn.id, big.name);
      requests.length = 0;
      const f = await run<{ name: string; regex?: boolean }>('rabbitmq.filter', { connectionId: conn.id, vhost: big.name, kind: 'queues', filter: '/^q-0999[0-9]$/' });
      assert.deepEqual(f, { name: '^q-0999[0-9]$', regex: true });
      const list = await children(queues);
      assert.deepEqual(list.map(label), names.slice(9990));
      assert.match(String(item(queues).description), /filter: \/\^q-0999\[0-9\]\$\//);
      assert.equal(ctxValue(queues), 'folder:queues:filtered:writable');
      assert.match(String(item(vhostNode).description), /q-0999/);
      const filtered = requests.filter((u) => u.includes('/api/queues') && u.includes('use_regex=true'));
      assert.ok(filtered.length >= 1, 'the broker did the filtering');
      // Substring filter, then a bad regular expression is refused naming the field.
      await run('rabbitmq.filter', { connectionId: conn.id, vhost: big.name, kind: 'queues', filter: 'q-0012' });
      assert.deepEqual((await children(queues)).map(label), names.filter((n) => n.includes('q-0012')));
      await rejectsWith(run('rabbitmq.filter', { connectionId: conn.id, vhost: big.name, kind: 'queues', filter: '/([/' }), 'INVALID_INPUT', 'filter.name');
      await run('rabbitmq.clearFilter', queues);
      assert.equal(ctxValue(queues), 'folder:queues:unfiltered:writable');
      assert.equal((await children(queues)).length, 101);
    });
  });
});

