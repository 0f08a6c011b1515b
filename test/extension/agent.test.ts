// The agent tools in a real VS Code against the real broker: every tool called through vscode.lm.invokeTool (as
// an agent would, without a model), bad input refused with the field named, mutating tools absent until the user
// allows changes and refused on read-only connections, changes exactly as confirmed, and the MCP server started
// by the editor from the provider with the connection's credentials.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as amqp from 'amqplib';
import * as vscode from 'vscode';
import { createTestVhost, MGMT_URL, PASSWORD, type TestVhost } from '../support/broker';

const EXTENSION_ID = 'rabbitmq-workbench.rabbitmq-workbench';

interface LmTool {
  name: string;
  tags: readonly string[];
  source?: { label?: string };
}
interface LmToolsApi {
  readonly tools: readonly LmTool[];
  invokeTool(name: string, options: { input: object; toolInvocationToken: undefined }): Thenable<{ content: unknown[] }>;
}
const lm = vscode.lm as unknown as LmToolsApi;

async function invoke(name: string, input: object): Promise<string> {
  const r = await lm.invokeTool(name, { input, toolInvocationToken: undefined });
  return r.content.map((p) => (p as { value?: unknown }).value).filter((v): v is string => typeof v === 'string').join('\n');
}

async function rejects(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.match(e instanceof Error ? e.message : String(e), pattern);
    return true;
  });
}

async function waitFor(what: string, pred: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Whether a tool has an implementation: called without its required field, a registered one names the field. */
async function implemented(tool: string): Promise<boolean> {
  try {
    await invoke(tool, { queue: 1 });
    return true;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/does not have an implementation registered|was not contributed/.test(msg)) return false;
    assert.match(msg, /Invalid input for/);
    return true;
  }
}

const MUTATING = ['rabbitmq_publish_message', 'rabbitmq_declare_queue', 'rabbitmq_declare_exchange', 'rabbitmq_bind', 'rabbitmq_unbind', 'rabbitmq_purge_queue'];

describe('agent tools', function () {
  this.timeout(120_000);
  let v: TestVhost;
  let conn: amqp.ChannelModel;
  let ch: amqp.Channel;
  const name = `agent-ext-${randomBytes(3).toString('hex')}`;
  const roName = `${name}-ro`;
  const config = () => vscode.workspace.getConfiguration('rabbitmq');
  const set = async (key: string, value: boolean | undefined) => config().update(key, value, vscode.ConfigurationTarget.Global);
  const depth = async (q: string) => (await ch.checkQueue(q)).messageCount;

  before(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    await ext.activate();
    v = await createTestVhost('agent-ext');
    await vscode.commands.executeCommand('rabbitmq.addConnection', { name, amqpUrl: v.profileUrl, managementUrl: MGMT_URL, password: PASSWORD });
    await vscode.commands.executeCommand('rabbitmq.addConnection', { name: roName, amqpUrl: v.profileUrl, managementUrl: MGMT_URL, password: PASSWORD, readOnly: true });
    conn = await amqp.connect(v.amqpUrl);
    ch = await conn.createChannel();
    await ch.assertExchange('shop', 'topic', { durable: true });
    await ch.assertQueue('orders', { durable: true });
    await ch.assertQueue('limited', { durable: true, arguments: { 'x-queue-type': 'quorum', 'x-delivery-limit': 5 } });
    await ch.bindQueue('orders', 'shop', 'order.*');
    for (const n of [1, 2]) ch.publish('shop', 'order.new', Buffer.from(JSON.stringify({ order: n, card: `4111-${n}` })), { contentType: 'application/json', headers: { region: 'eu' }, persistent: true });
    ch.sendToQueue('limited', Buffer.from('x'), { persistent: true });
    await waitFor('2 messages in orders', async () => (await depth('orders')) === 2 && (await depth('limited')) === 1);
  });
  after(async () => {
    await set('agent.allowChanges', undefined);
    await set('agent.shareMessageContents', undefined);
    await conn?.close().catch(() => undefined);
    await v?.delete();
  });

  it('registers the read-only tools; the mutating ones have no implementation while changes are not allowed', async () => {
    const names = new Set(lm.tools.filter((t) => t.tags.includes('rabbitmq')).map((t) => t.name));
    for (const t of ['rabbitmq_list_connections', 'rabbitmq_list_vhosts', 'rabbitmq_list_queues', 'rabbitmq_list_exchanges', 'rabbitmq_list_bindings', 'rabbitmq_queue_details', 'rabbitmq_peek_messages', 'rabbitmq_test_route', 'rabbitmq_explain_queue', 'rabbitmq_broker_overview']) {
      assert.ok(names.has(t), `${t} is listed`);
      if (t !== 'rabbitmq_list_connections') assert.ok(await implemented(t), `${t} is implemented`);
    }
    // Contributed with a when clause on the setting (so chat does not offer them), but not implemented.
    for (const t of MUTATING) assert.equal(await implemented(t), false, `${t} has no implementation`);
    await rejects(invoke('rabbitmq_purge_queue', { connection: name, queue: 'orders' }), /rabbitmq_purge_queue does not have an implementation registered/);
    assert.equal(await depth('orders'), 2);
  });

  it('answers every read-only tool from the broker, through the saved connection', async () => {
    assert.match(await invoke('rabbitmq_list_connections', {}), new RegExp(`\\| ${name} \\| .* \\| ${v.name} \\| no \\|`));
    assert.match(await invoke('rabbitmq_list_vhosts', { connection: name }), new RegExp(`\\| ${v.name} \\|`));
    await waitFor('the management API to count the messages', async () => /\| orders \| classic \| 2 \|/.test(await invoke('rabbitmq_list_queues', { connection: name, sortBy: 'depth' })));
    assert.match(await invoke('rabbitmq_list_exchanges', { connection: name, name: 'shop' }), /\| shop \| topic \| true \|/);
    assert.match(await invoke('rabbitmq_list_bindings', { connection: name, queue: 'orders' }), /\| shop \| orders \| queue \| order\.\* \|/);
    assert.match(await invoke('rabbitmq_queue_details', { connection: name, queue: 'limited' }), /type: quorum[\s\S]*delivery limit 5 \(queue argument x-delivery-limit\)/);
    const peeked = await invoke('rabbitmq_peek_messages', { connection: name, queue: 'orders' });
    assert.match(peeked, /Peeked 2 of 2 ready message\(s\) in classic queue "orders"/);
    assert.doesNotMatch(peeked, /4111|region/, 'no bodies or headers unless the user shares them');
    assert.equal(await depth('orders'), 2, 'the peek removed nothing');
    assert.match(await invoke('rabbitmq_test_route', { connection: name, exchange: 'shop', routingKey: 'order.paid' }), /It reaches 1 queue\(s\)[\s\S]*\| orders \| shop \(topic\)/);
    assert.match(await invoke('rabbitmq_explain_queue', { connection: name, queue: 'orders' }), /\| shop \| topic \| order\.\* \|/);
    assert.match(await invoke('rabbitmq_broker_overview', { connection: name }), /RabbitMQ: \d+\.\d+\.\d+/);
  });

  it('shares bodies and headers only when rabbitmq.agent.shareMessageContents is on', async () => {
    await set('agent.shareMessageContents', true);
    try {
      const out = await invoke('rabbitmq_peek_messages', { connection: name, queue: 'orders', count: 1 });
      assert.match(out, /\{"region":"eu"\}/);
      assert.match(out, /\{"order":1,"card":"4111-1"\}/);
    } finally {
      await set('agent.shareMessageContents', undefined);
    }
    assert.equal(await depth('orders'), 2);
  });

  it('refuses bad input naming the field, and a peek that would spend quorum delivery attempts without consent', async () => {
    await rejects(invoke('rabbitmq_list_queues', { connection: name, sortBy: 'size' }), /^Invalid input for rabbitmq_list_queues: sortBy: must be one of "name", "depth", "consumers", "growth" \(got "size"\)/);
    await rejects(invoke('rabbitmq_queue_details', { connection: name }), /queue: is required/);
    await rejects(invoke('rabbitmq_list_queues', { connection: 'no-such-connection' }), /connection: "no-such-connection" is not a saved connection\. The saved connections are: .*"agent-ext-/);
    await rejects(invoke('rabbitmq_peek_messages', { connection: name, queue: 'limited' }), /Peek refused without consent: quorum queue "limited" has a delivery limit 5/);
    await rejects(invoke('rabbitmq_peek_messages', { connection: roName, queue: 'limited', consent: 'spend' }), /a read-only connection never does that/);
    assert.equal(await depth('limited'), 1);
  });

  it('with rabbitmq.agent.allowChanges on: mutating tools appear, change exactly what they say, and read-only connections refuse them', async () => {
    await set('agent.allowChanges', true);
    try {
      await waitFor('the mutating tools to be registered', async () => (await Promise.all(MUTATING.map(implemented))).every(Boolean));
      assert.match(await invoke('rabbitmq_declare_queue', { connection: name, name: 'agent-made', type: 'quorum' }), /Queue "agent-made" \(quorum, durable\) is declared/);
      assert.equal(await depth('agent-made'), 0);
      await invoke('rabbitmq_bind', { connection: name, source: 'shop', destination: 'agent-made', routingKey: 'order.new' });
      assert.match(await invoke('rabbitmq_publish_message', { connection: name, exchange: 'shop', routingKey: 'order.new', body: '{"order":3}' }), /confirmed it and routed it/);
      await waitFor('the published message', async () => (await depth('agent-made')) === 1 && (await depth('orders')) === 3);
      assert.match(await invoke('rabbitmq_purge_queue', { connection: name, queue: 'orders' }), /Purged queue "orders" .*: 3 message\(s\) deleted/);
      assert.equal(await depth('orders'), 0);
      assert.equal(await depth('agent-made'), 1, 'only the named queue was purged');
      await rejects(invoke('rabbitmq_purge_queue', { connection: roName, queue: 'agent-made' }), new RegExp(`Connection "${roName}" is read-only: purge_queue is refused`));
      assert.equal(await depth('agent-made'), 1);
    } finally {
      await set('agent.allowChanges', undefined);
    }
    await waitFor('the mutating tools to go away', async () => !(await Promise.all(MUTATING.map(implemented))).some(Boolean));
    await rejects(invoke('rabbitmq_purge_queue', { connection: name, queue: 'agent-made' }), /purge_queue/);
    assert.equal(await depth('agent-made'), 1);
  });

  it('starts the MCP server of a saved connection with its credentials in the environment only', async () => {
    await vscode.commands.executeCommand('workbench.mcp.startServer', '*', { waitForLiveTools: true });
    const label = `RabbitMQ: ${name}`;
    await waitFor('the MCP tools of the connection', () => lm.tools.some((t) => t.source?.label === label && t.name.endsWith('list_queues')), 30_000);
    const tool = lm.tools.find((t) => t.source?.label === label && t.name.endsWith('list_queues'));
    assert.ok(tool);
    assert.ok(!lm.tools.some((t) => t.source?.label === label && t.name.endsWith('purge_queue')), 'no mutating MCP tools while changes are not allowed');
    // The server's default vhost is the connection's: the test vhost.
    assert.match(await invoke(tool.name, {}), /\| limited \| quorum \|[\s\S]*\| orders \| classic \|/, "names and types (counts may lag behind in the management API)");
    const args = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes('dist/mcp.js'));
    assert.ok(args.length > 0, 'the MCP server runs as a child process');
    for (const a of args) assert.doesNotMatch(a, /amqp:\/\/|RABBITMQ_/, 'no URL or credentials in the arguments');
  });
});
