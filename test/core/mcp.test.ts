/**
 * The stdio MCP server (dist/mcp.js, from `npm run build`) driven by the SDK's own client over stdio, as any MCP
 * client would, against the real broker.
 */
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { createTestVhost, MGMT_URL, PASSWORD, type TestVhost } from '../support/broker';
import { sessionFor } from '../support/amqpSession';
import * as ops from '../../src/core/operations';
import type { AmqpSession } from '../../src/core/session';

const SERVER = join(__dirname, '..', '..', '..', 'dist', 'mcp.js');
const READ_ONLY = ['list_vhosts', 'list_queues', 'list_exchanges', 'list_bindings', 'queue_details', 'peek_messages', 'test_route', 'explain_queue', 'broker_overview'];

interface Started {
  client: Client;
  stderr: () => string;
}

async function start(env: Record<string, string>): Promise<Started> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [SERVER], env, stderr: 'pipe' });
  let err = '';
  transport.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const client = new Client({ name: 'workbench-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, stderr: () => err };
}

function text(r: unknown): string {
  const content = (r as { content: { type: string; text?: string }[] }).content;
  return content.map((c) => c.text ?? '').join('\n');
}

describe('mcp server over stdio (real broker)', () => {
  let vh: TestVhost;
  let s: AmqpSession;
  const started: Client[] = [];
  const env = (): Record<string, string> => ({ RABBITMQ_URL: vh.amqpUrl, RABBITMQ_MANAGEMENT_URL: MGMT_URL });

  before(async () => {
    vh = await createTestVhost('mcp');
    s = sessionFor(vh);
    await ops.declareExchange(s, { name: 'billing', type: 'direct' });
    await ops.declareQueue(s, { name: 'invoices' });
    await ops.bindQueue(s, { source: 'billing', destination: 'invoices', routingKey: 'invoice' });
    await ops.publish(s, { exchange: 'billing', routingKey: 'invoice', body: '{"n":1}' });
  });
  after(async () => {
    await Promise.allSettled(started.map((c) => c.close()));
    await s.close();
    await vh.delete();
  });

  it('lists the read-only tools only, and answers each of them from the broker', async () => {
    const { client, stderr } = await start(env());
    started.push(client);
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name), READ_ONLY);
    for (const t of tools) {
      assert.equal(t.inputSchema.type, 'object', t.name);
      assert.equal(t.annotations?.readOnlyHint, true, t.name);
      assert.ok((t.description ?? '').length > 60, t.name);
    }
    const call = async (name: string, args: Record<string, unknown>): Promise<string> => {
      const r = await client.callTool({ name, arguments: args });
      assert.notEqual(r.isError, true, `${name}: ${text(r)}`);
      return text(r);
    };
    assert.match(await call('list_vhosts', {}), new RegExp(`\\| ${vh.name} \\|`));
    // The vhost comes from RABBITMQ_URL when the call names none.
    assert.match(await call('list_queues', {}), /\| invoices \| classic \|/);
    assert.match(await call('list_exchanges', { name: 'bill' }), /\| billing \| direct \|/);
    assert.match(await call('list_bindings', { exchange: 'billing' }), /\| billing \| invoices \| queue \| invoice \|/);
    assert.match(await call('queue_details', { queue: 'invoices', vhost: vh.name }), /queue: invoices\nvhost: wb-test-mcp-\w+\ntype: classic/);
    const peeked = await call('peek_messages', { queue: 'invoices' });
    assert.match(peeked, /Peeked 1 of 1 ready message/);
    assert.doesNotMatch(peeked, /"n":1/, 'no bodies without RABBITMQ_SHARE_MESSAGE_CONTENTS');
    assert.match(await call('test_route', { exchange: 'billing', routingKey: 'invoice' }), /It reaches 1 queue\(s\)/);
    assert.match(await call('explain_queue', { queue: 'invoices' }), /\| billing \| direct \| invoice \|/);
    assert.match(await call('broker_overview', {}), /RabbitMQ: \d+\.\d+/);
    assert.equal((await ops.checkQueue(s, 'invoices')).messageCount, 1, 'the peek removed nothing');
    assert.match(stderr(), /9 tools/);
    assert.doesNotMatch(stderr(), new RegExp(`:${PASSWORD}@`), 'the password is never logged');
  });

  it('bad arguments and refused changes come back as tool errors that say what to fix', async () => {
    const { client } = await start(env());
    started.push(client);
    const bad = await client.callTool({ name: 'list_queues', arguments: { sortBy: 'size' } });
    assert.equal(bad.isError, true);
    assert.match(text(bad), /^Invalid arguments for tool list_queues: sortBy: must be one of "name", "depth", "consumers", "growth" \(got "size"\)/);
    const missing = await client.callTool({ name: 'queue_details', arguments: {} });
    assert.match(text(missing), /^Invalid arguments for tool queue_details: queue: is required/);
    const refused = await client.callTool({ name: 'purge_queue', arguments: { queue: 'invoices' } });
    assert.equal(refused.isError, true);
    assert.match(text(refused), /Tool purge_queue not found \(it changes the broker: start the server with RABBITMQ_ALLOW_CHANGES=1/);
    const notFound = await client.callTool({ name: 'queue_details', arguments: { queue: 'nope' } });
    assert.match(text(notFound), /^queue_details failed: Queue "nope" does not exist/);
    assert.equal((await ops.checkQueue(s, 'invoices')).messageCount, 1);
  });

  it('with RABBITMQ_ALLOW_CHANGES=1 offers the mutating tools, which change the broker (refused on a read-only connection)', async () => {
    const { client } = await start({ ...env(), RABBITMQ_ALLOW_CHANGES: '1', RABBITMQ_SHARE_MESSAGE_CONTENTS: '1' });
    started.push(client);
    const names = (await client.listTools()).tools.map((t) => t.name);
    assert.deepEqual(names, [...READ_ONLY, 'publish_message', 'declare_queue', 'declare_exchange', 'bind', 'unbind', 'purge_queue']);
    const made = await client.callTool({ name: 'declare_queue', arguments: { name: 'from-mcp' } });
    assert.match(text(made), /Queue "from-mcp" \(classic, durable\) is declared/);
    assert.equal((await ops.checkQueue(s, 'from-mcp')).messageCount, 0);
    assert.match(text(await client.callTool({ name: 'peek_messages', arguments: { queue: 'invoices' } })), /\{"n":1\}/);

    const ro = await start({ ...env(), RABBITMQ_ALLOW_CHANGES: '1', RABBITMQ_READ_ONLY: '1' });
    started.push(ro.client);
    const r = await ro.client.callTool({ name: 'purge_queue', arguments: { queue: 'invoices' } });
    assert.equal(r.isError, true);
    assert.match(text(r), /is read-only: purge_queue is refused/);
    assert.equal((await ops.checkQueue(s, 'invoices')).messageCount, 1);
  });

  it('derives the management URL from the AMQP URL as the extension does', async () => {
    const { client, stderr } = await start({ RABBITMQ_URL: 'amqp://someone:pw@broker.invalid:5673/x' });
    started.push(client);
    assert.equal((await client.listTools()).tools.length, 9);
    assert.match(stderr(), /amqp:\/\/someone@broker\.invalid:5673\/x, management http:\/\/broker\.invalid:15672/);
    assert.doesNotMatch(stderr(), /pw/);
  });
});
