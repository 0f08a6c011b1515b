// Copy as code (src/core/requestCode.ts): each block becomes a program that compiles, and the JavaScript for a
// PUBLISH block, run with node against the real broker (fresh vhost), publishes the same message.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as vm from 'node:vm';
import * as amqp from 'amqplib';
import { parseRequestFile, prepareBlock, type PreparedRequest } from '../../src/core/requestFile';
import { requestToCode, type CodeTarget } from '../../src/core/requestCode';
import * as ops from '../../src/core/operations';
import type { AmqpSession } from '../../src/core/session';
import { sessionFor } from '../support/amqpSession';
import { createTestVhost, type TestVhost } from '../support/broker';

async function prep(text: string): Promise<PreparedRequest> {
  const f = parseRequestFile(text);
  assert.deepEqual(f.diagnostics, []);
  return prepareBlock(f, f.blocks[0]);
}

const BLOCKS = [
  'PUBLISH "" orders x 3\ncontent-type: application/json\npersistent\npriority: 4\nheader x-tenant: it\'s\nmandatory\n\n{"n": {{$counter}}}',
  'PEEK orders 5',
  'CONSUME orders 2 ack',
  'RPC "" rpc_queue 5s\n\n30',
  'PURGE orders',
  'DECLARE exchange logs fanout\nDECLARE queue orders quorum\n  x-delivery-limit: 3\nBIND queue orders to logs "a.b"',
];

function pythonParses(code: string): boolean | undefined {
  try {
    execFileSync('python3', ['-c', 'import ast,sys; ast.parse(sys.stdin.read())'], { input: code, stdio: ['pipe', 'ignore', 'pipe'] });
    return true;
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return undefined;
    throw new Error(`Python does not parse:\n${code}\n${String((e as { stderr?: Buffer }).stderr ?? e)}`);
  }
}

describe('core/requestCode: copy as code', () => {
  let vh: TestVhost;
  let s: AmqpSession;

  before(async () => {
    vh = await createTestVhost('reqcode');
    s = sessionFor(vh);
  });
  after(async () => {
    await s.close();
    await vh.delete();
  });

  it('every block compiles as JavaScript, has a TypeScript form, parses as Python, and gives a rabbitmqadmin line', async () => {
    for (const text of BLOCKS) {
      const p = await prep(text);
      const opts = { amqpUrl: 'amqp://guest@localhost:5672/%2F', vhost: '/' };
      const js = requestToCode(p, { ...opts, target: 'javascript' });
      assert.doesNotThrow(() => new vm.Script(js), `${text}\n${js}`);
      assert.doesNotMatch(js, /amqps?:\/\/[^@\s'"/]*:[^@\s'"/]*@/, 'no password in a URL of the code');
      const ts = requestToCode(p, { ...opts, target: 'typescript' });
      assert.match(ts, /import \* as amqp from 'amqplib'|from 'amqplib'/);
      const py = requestToCode(p, { ...opts, target: 'python' });
      if (pythonParses(py) === undefined) assert.match(py, /import pika/);
      if (p.verb === 'RPC') assert.throws(() => requestToCode(p, { ...opts, target: 'rabbitmqadmin' }), /rabbitmqadmin cannot wait for an RPC reply/);
      else assert.match(requestToCode(p, { ...opts, target: 'rabbitmqadmin' }), /^(#.*\n)?(for i in .*\n  )?rabbitmqadmin --vhost='\/' /);
    }
    assert.throws(() => requestToCode({ verb: 'PEEK', queue: 'q' }, { amqpUrl: 'amqp://x', vhost: '/', target: 'cobol' as CodeTarget }), /"cobol" is not supported/);
  });

  it('the JavaScript of a PUBLISH block, run with node, publishes the same messages', async () => {
    await ops.declareQueue(s, { name: 'rc.orders' });
    const p = await prep('PUBLISH "" rc.orders x 2\ncontent-type: application/json\npersistent\npriority: 4\nheader x-tenant: it\'s\nmandatory\n\n{"n": {{$counter}}}');
    const code = requestToCode(p, { amqpUrl: 'amqp://unused', vhost: vh.name, target: 'javascript' });
    execFileSync(process.execPath, ['-e', code], { env: { ...process.env, RABBITMQ_URL: vh.amqpUrl }, cwd: process.cwd(), timeout: 30_000 });
    const conn = await amqp.connect(vh.amqpUrl);
    conn.on('error', () => undefined);
    try {
      const ch = await conn.createChannel();
      const got: amqp.GetMessage[] = [];
      for (let m = await ch.get('rc.orders', { noAck: true }); m; m = await ch.get('rc.orders', { noAck: true })) got.push(m);
      assert.deepEqual(got.map((m) => m.content.toString()), ['{"n": 1}', '{"n": 1}'], 'templates are evaluated once');
      assert.deepEqual([got[0].properties.contentType, got[0].properties.deliveryMode, got[0].properties.priority, got[0].properties.headers?.['x-tenant']], ['application/json', 2, 4, "it's"]);
    } finally {
      await conn.close();
    }
  });
});
