import * as assert from 'node:assert/strict';
import * as amqp from 'amqplib';
import { createTestVhost, type TestVhost } from '../support/broker';
import { sessionFor, startProxy } from '../support/amqpSession';
import type { AmqpSession } from '../../src/core/session';
import { isRabbitError } from '../../src/core/errors';
import * as ops from '../../src/core/operations';
import { RpcClient } from '../../src/core/rpc';
import { startRawRpcServer } from '../support/rawRpcServer';

/** A plain amqplib RPC server (prefetch 1): replies with the upper-cased body. "slow:N" waits N ms; "foreign" first sends a reply with a foreign correlation id. */
async function startServer(url: string, queue: string): Promise<{ close: () => Promise<void> }> {
  const conn = await amqp.connect(url, { noDelay: true });
  conn.on('error', () => undefined);
  // A server that cannot start closes its connection: nothing is left running for the suites after this one.
  await startRawRpcServer(conn, queue, {
    respond: (m, send, ch) => {
      const body = m.content.toString();
      const reply = (): void => send(Buffer.from(body.toUpperCase()), { contentType: 'text/plain' });
      if (body === 'foreign') ch.sendToQueue(m.properties.replyTo, Buffer.from('not yours'), { correlationId: 'someone-else' });
      const slow = /^slow:(\d+)$/.exec(body);
      if (slow) setTimeout(reply, Number(slow[1]));
      else reply();
    },
  }).catch(async (e: unknown) => {
    await conn.close().catch(() => undefined);
    throw e;
  });
  return { close: () => conn.close().catch(() => undefined) };
}

describe('core/rpc (real broker)', () => {
  let vh: TestVhost;
  let s: AmqpSession;
  let server: { close: () => Promise<void> } | undefined;

  before(async () => {
    vh = await createTestVhost('rpc');
    s = sessionFor(vh);
    server = await startServer(vh.amqpUrl, 'rpc');
  });
  after(async () => {
    // Also after a failed before hook: close what was opened, then drop the vhost.
    await server?.close();
    await s?.close();
    await vh?.delete();
  });

  it('calls over direct reply-to and decodes the reply', async () => {
    const c = new RpcClient(s);
    assert.equal(await c.replyTo(), 'amq.rabbitmq.reply-to');
    const r = await c.call({ routingKey: 'rpc', body: 'hello', properties: { contentType: 'text/plain' }, headers: { k: 1 } });
    assert.equal(r.reply.body.text, 'HELLO');
    assert.equal(r.reply.properties.correlationId, r.correlationId);
    assert.match(r.correlationId, /^[0-9a-f-]{36}$/);
    assert.ok(r.roundTripMs > 0);
    assert.equal(r.raw.content.toString(), 'HELLO');
    await c.close();
  });

  it('matches 100 concurrent calls on one channel', async () => {
    const c = new RpcClient(s);
    const bodies = Array.from({ length: 100 }, (_, i) => `req-${i}`);
    const replies = await Promise.all(bodies.map((body) => c.call({ routingKey: 'rpc', body, timeoutMs: 20_000 })));
    assert.deepEqual(replies.map((r) => r.reply.body.text), bodies.map((b) => b.toUpperCase()));
    assert.equal(new Set(replies.map((r) => r.correlationId)).size, 100);
    assert.deepEqual(c.stats, { calls: 100, replies: 100, timeouts: 0, unroutable: 0, failed: 0, ignoredReplies: 0 });
    await c.close();
  });

  it('times out with TIMEOUT and ignores the late reply; ignores foreign correlation ids', async () => {
    const c = new RpcClient(s);
    await assert.rejects(c.call({ routingKey: 'rpc', body: 'slow:400', timeoutMs: 100 }), (e: unknown) => isRabbitError(e, 'TIMEOUT') && /within 100 ms/.test(e.message));
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(c.stats.ignoredReplies, 1, 'late reply counted, not delivered');
    const r = await c.call({ routingKey: 'rpc', body: 'foreign' });
    assert.equal(r.reply.body.text, 'FOREIGN');
    assert.equal(c.stats.ignoredReplies, 2);
    assert.equal(c.stats.timeouts, 1);
    await c.close();
  });

  it('fails fast with UNROUTABLE, NOT_FOUND for a missing exchange, and keeps working', async () => {
    const c = new RpcClient(s);
    await assert.rejects(c.call({ routingKey: 'no-server-here', body: 'x', timeoutMs: 20_000 }), (e: unknown) => isRabbitError(e, 'UNROUTABLE') && /not routed/.test(e.message));
    await assert.rejects(c.call({ exchange: 'no-such-exchange', routingKey: 'rpc', body: 'x', timeoutMs: 5000 }), (e: unknown) => isRabbitError(e, 'NOT_FOUND') && /no-such-exchange/.test(e.message));
    const r = await c.call({ routingKey: 'rpc', body: 'after' });
    assert.equal(r.reply.body.text, 'AFTER');
    await assert.rejects(c.call({ routingKey: 'rpc', body: 'x', properties: { replyTo: 'q' } as never }), (e: unknown) => isRabbitError(e, 'INVALID_INPUT') && e.field === 'properties.replyTo');
    await assert.rejects(c.call({ routingKey: 'r'.repeat(256), body: 'x' }), (e: unknown) => isRabbitError(e, 'INVALID_INPUT') && e.field === 'routingKey');
    await assert.rejects(c.call({ routingKey: 'rpc', body: 'x', timeoutMs: 0 }), (e: unknown) => isRabbitError(e, 'INVALID_INPUT') && e.field === 'timeoutMs');
    assert.equal(c.stats.unroutable, 1);
    await c.close();
    await assert.rejects(c.call({ routingKey: 'rpc', body: 'x' }), (e: unknown) => isRabbitError(e, 'CANCELLED'));
  });

  it('supports a server-named exclusive reply queue', async () => {
    const c = new RpcClient(s, { replyQueue: 'exclusive' });
    assert.match(await c.replyTo(), /^amq\.gen-/);
    const rs = await Promise.all(['a', 'b', 'c'].map((body) => c.call({ routingKey: 'rpc', body })));
    assert.deepEqual(rs.map((r) => r.reply.body.text), ['A', 'B', 'C']);
    await c.close();
  });

  it('rejects pending calls with CONNECTION_CLOSED when the connection drops mid-call', async () => {
    const proxy = await startProxy();
    const viaProxy = sessionFor(vh, { reconnect: { initialDelayMs: 50 } }, proxy.port);
    try {
      const c = new RpcClient(viaProxy);
      await c.call({ routingKey: 'rpc', body: 'warm-up' });
      const pending = Promise.allSettled([c.call({ routingKey: 'rpc', body: 'slow:300' }), c.call({ routingKey: 'rpc', body: 'slow:300' })]);
      await new Promise((r) => setTimeout(r, 50));
      proxy.cut();
      const results = await pending;
      for (const r of results) assert.ok(r.status === 'rejected' && isRabbitError(r.reason, 'CONNECTION_CLOSED'), String(r.status === 'rejected' ? r.reason : 'fulfilled'));
      assert.equal(c.stats.failed, 2);
      const after = await c.call({ routingKey: 'rpc', body: 'again' });
      assert.equal(after.reply.body.text, 'AGAIN');
      await c.close();
    } finally {
      await viaProxy.close();
      await proxy.close();
    }
    // the server's slow replies went to a dead reply channel: nothing is stuck in its queue
    assert.equal((await ops.checkQueue(s, 'rpc')).messageCount, 0);
  });
});
