/**
 * Fault tier, core: consume, peek, RPC and tap when our own connection is cut, stalled or closed by the
 * broker (management API), and when a consumer's queue is deleted. Nothing may be lost, nothing duplicated
 * without saying so, no wait past its bound, and the session back without the user.
 */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as amqp from 'amqplib';
import { AMQP_HOST, AMQP_PORT, MGMT_URL, PASSWORD, USER, createTestVhost, mgmt, type TestVhost } from '../../support/broker';
import { sessionFor, waitFor } from '../../support/amqpSession';
import { startRawRpcServer } from '../../support/rawRpcServer';
import { startFaultProxy, type FaultProxy } from '../../support/faultProxy';
import { printFaultTableAtEnd, recordFault } from '../../support/faultTable';
import type { AmqpSession, AmqpSessionOptions } from '../../../src/core/session';
import { isRabbitError } from '../../../src/core/errors';
import * as ops from '../../../src/core/operations';
import { ConsumeSession, type ConsumedMessage } from '../../../src/core/consume';
import { peekMessages } from '../../../src/core/peek';
import { RpcClient } from '../../../src/core/rpc';
import { startTap } from '../../../src/core/tap';
import { ManagementClient } from '../../../src/core/management';
import { resolveProfile } from '../../../src/core/profile';

printFaultTableAtEnd();

async function eventually(check: () => Promise<boolean>, boundMs: number, what: string): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < boundMs) {
    if (await check()) return performance.now() - started;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${what}: not within ${boundMs} ms`);
}

describe('fault tier: consume, peek, RPC and tap (real broker, faults on our own connections)', function () {
  this.timeout(60_000);
  let vh: TestVhost;
  let proxy: FaultProxy;
  let direct: AmqpSession;
  const sessions: AmqpSession[] = [];
  const open = (options: AmqpSessionOptions = {}): AmqpSession => {
    const s = sessionFor(vh, { reconnect: { initialDelayMs: 30, maxDelayMs: 300 }, confirmTimeoutMs: 1_000, operationTimeoutMs: 1_000, closeTimeoutMs: 500, ...options }, proxy.port);
    sessions.push(s);
    return s;
  };
  const depth = async (q: string): Promise<number> => (await ops.checkQueue(direct, q)).messageCount;
  const fill = async (q: string, n: number, pad = 0): Promise<void> => {
    await ops.declareQueue(direct, { name: q });
    await ops.publishMany(direct, Array.from({ length: n }, (_, i) => ({ exchange: '', routingKey: q, body: `m${i}${' '.repeat(pad)}` })));
  };

  before(async () => {
    vh = await createTestVhost('faults-msg');
    direct = sessionFor(vh);
  });
  after(async () => {
    await direct.close();
    await vh.delete();
  });
  beforeEach(async () => {
    proxy = await startFaultProxy({ host: AMQP_HOST, port: AMQP_PORT });
  });
  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((s) => s.close()));
    await proxy.close();
  });

  it('consume: a cut connection gives unacked messages back, the consumer resumes by itself, nothing is lost', async () => {
    await fill('c-cut', 5);
    const s = open();
    const cs = new ConsumeSession(s);
    const got: ConsumedMessage[] = [];
    cs.on('message', (m) => got.push(m));
    await cs.start('c-cut', { prefetch: 10, resume: true });
    await eventually(async () => got.length === 5, 5_000, 'first deliveries');
    const closed = waitFor<{ unackedReturned: number; resuming?: boolean }>((r) => cs.on('closed', r), 5_000, 'closed');
    const resumed = waitFor<unknown>((r) => cs.on('resumed', r), 10_000, 'resumed');
    const at = performance.now();
    proxy.cut();
    const info = await closed;
    assert.equal(info.unackedReturned, 5);
    assert.equal(info.resuming, true);
    await resumed;
    await eventually(async () => got.length === 10, 5_000, 'redeliveries');
    const recoverMs = performance.now() - at;
    assert.deepEqual(got.slice(5).map((m) => m.decoded.body.text), ['m0', 'm1', 'm2', 'm3', 'm4']);
    assert.ok(got.slice(5).every((m) => m.decoded.fields.redelivered));
    cs.ack(cs.unackedTags);
    await cs.stop();
    assert.equal(await depth('c-cut'), 0);
    recordFault({ fault: 'cut', operation: 'consume', outcome: '5 unacked back, resumed, redelivered', recoverMs });
  });

  it('consume: the broker closing our connection (management API) — unacked back, resumed', async () => {
    await fill('c-mgmt', 3);
    const name = `wb-fault-${randomBytes(4).toString('hex')}`;
    const s = open({ connectionName: name });
    const cs = new ConsumeSession(s);
    const got: ConsumedMessage[] = [];
    cs.on('message', (m) => got.push(m));
    await cs.start('c-mgmt', { resume: true });
    await eventually(async () => got.length === 3, 5_000, 'deliveries');
    let connName: string | undefined;
    await eventually(
      async () => {
        const list = (await (await mgmt('GET', `/vhosts/${encodeURIComponent(vh.name)}/connections`)).json()) as { name: string; client_properties?: { connection_name?: string } }[];
        connName = list.find((c) => c.client_properties?.connection_name === name)?.name;
        return connName !== undefined;
      },
      20_000,
      'our connection listed',
    );
    const resumed = waitFor<unknown>((r) => cs.on('resumed', r), 10_000, 'resumed');
    const at = performance.now();
    await mgmt('DELETE', `/connections/${encodeURIComponent(connName!)}`);
    await resumed;
    await eventually(async () => got.length === 6, 5_000, 'redeliveries');
    const recoverMs = performance.now() - at;
    cs.ack(cs.unackedTags);
    await cs.stop();
    assert.equal(await depth('c-mgmt'), 0);
    recordFault({ fault: 'broker closes our connection (320)', operation: 'consume', outcome: 'unacked back, resumed', recoverMs });
  });

  it('consume: deleting its queue cancels the consumer (event), no resume', async () => {
    await fill('c-del', 1);
    const s = open();
    const cs = new ConsumeSession(s);
    await cs.start('c-del', { resume: true });
    const cancelled = waitFor<{ reason: string }>((r) => cs.on('cancelled', r), 5_000, 'cancelled');
    await ops.deleteQueue(direct, 'c-del');
    const info = await cancelled;
    assert.match(info.reason, /cancelled the consumer on queue "c-del"/);
    await cs.stop();
    recordFault({ fault: 'queue deleted', operation: 'consume', outcome: 'cancelled event' });
  });

  it('peek: a cut mid-peek fails clearly and every message stays in the queue', async () => {
    // 10 KB bodies over a slow link: the deliveries come in many reads, the cut falls among them.
    await fill('p-cut', 300, 10_000);
    const s = open();
    proxy.slow(20);
    let cut = false;
    const r = await peekMessages(s, 'p-cut', {
      count: 300,
      onProgress: (n) => {
        if (n >= 1 && !cut) {
          cut = true;
          proxy.cut();
        }
      },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(isRabbitError(r, 'CONNECTION_CLOSED'), String(r));
    assert.match((r as Error).message, /Nothing was removed/);
    const recoverMs = await eventually(async () => (await depth('p-cut')) === 300, 10_000, 'all 300 back');
    recordFault({ fault: 'cut mid-peek', operation: 'peek', outcome: 'CONNECTION_CLOSED, 300/300 still queued', recoverMs });
  });

  it('peek: a stalled connection fails within the operation bound, nothing removed', async () => {
    await fill('p-stall', 10);
    const s = open();
    await s.connection();
    proxy.stall();
    const started = performance.now();
    const r = await peekMessages(s, 'p-stall', { count: 10 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    const ms = performance.now() - started;
    assert.ok(isRabbitError(r, 'TIMEOUT'), String(r));
    assert.match((r as Error).message, /stalled/);
    assert.ok(ms < 1_000 + 2_000, `ended after ${ms} ms`);
    proxy.resume();
    assert.equal(await depth('p-stall'), 10);
    recordFault({ fault: 'stall', operation: 'peek', outcome: 'TIMEOUT "stalled", nothing removed', recoverMs: ms });
  });

  it('RPC: calls in flight fail fast when the connection is cut; the next call works after the reconnect', async () => {
    const conn = await amqp.connect(vh.amqpUrl);
    conn.on('error', () => undefined);
    try {
      // A slow server keeps the calls in flight when the cut comes.
      await startRawRpcServer(conn, 'rpc-cut', { prefetch: 10, respond: (m, send) => setTimeout(() => send(m.content), 300) });
      const s = open();
      const client = new RpcClient(s);
      await client.replyTo();
      const calls = Array.from({ length: 5 }, (_, i) => client.call({ routingKey: 'rpc-cut', body: `r${i}`, timeoutMs: 10_000 }).then(() => 'ok', (e: unknown) => e));
      await new Promise((r) => setTimeout(r, 50));
      const at = performance.now();
      proxy.cut();
      const results = await Promise.all(calls);
      const failMs = performance.now() - at;
      for (const res of results) {
        assert.ok(isRabbitError(res, 'CONNECTION_CLOSED'), String(res));
        assert.match((res as Error).message, /connection was lost before the reply arrived/);
      }
      assert.ok(failMs < 2_000, `calls failed after ${failMs} ms, not at once`);
      let reply: Awaited<ReturnType<RpcClient['call']>> | undefined;
      await eventually(
        async () => {
          reply = await client.call({ routingKey: 'rpc-cut', body: 'again', timeoutMs: 5_000 }).catch(() => undefined);
          return reply !== undefined;
        },
        10_000,
        'a call after the reconnect',
      );
      assert.equal(reply!.reply.body.text, 'again');
      await client.close();
      recordFault({ fault: 'cut', operation: 'RPC (5 in flight)', outcome: 'all failed at once, next call answered', recoverMs: performance.now() - at });
    } finally {
      await conn.close();
    }
  });

  it('tap: a cut ends the tap (closed), and its temporary queue is gone with the connection', async () => {
    await ops.declareExchange(direct, { name: 'tap-x', type: 'fanout', durable: false });
    await ops.declareQueue(direct, { name: 'tap-real' });
    await ops.bindQueue(direct, { destination: 'tap-real', source: 'tap-x' });
    const s = open();
    let endReason: string | undefined;
    const management = new ManagementClient(resolveProfile({ id: 'test', name: 'test', amqpUrl: vh.profileUrl, managementUrl: MGMT_URL }), { username: USER, password: PASSWORD });
    const handle = startTap(s, { vhost: vh.name, exchange: 'tap-x', management }, { onMessage: () => undefined, onEnd: (reason) => (endReason = reason) });
    const h = await handle;
    management.dispose();
    await ops.publish(direct, { exchange: 'tap-x', routingKey: '', body: 'one' });
    await eventually(async () => h.count === 1, 5_000, 'tap copy');
    const at = performance.now();
    proxy.cut();
    await eventually(async () => endReason === 'closed', 5_000, 'tap ended');
    await eventually(
      async () => {
        try {
          await ops.checkQueue(direct, h.queue);
          return false;
        } catch (e) {
          return isRabbitError(e, 'NOT_FOUND');
        }
      },
      10_000,
      'tap queue removed',
    );
    // The real queue got its message; the tap took nothing from it.
    assert.equal(await depth('tap-real'), 1);
    recordFault({ fault: 'cut', operation: 'tap', outcome: 'ended (closed), temporary queue gone', recoverMs: performance.now() - at });
  });
});
