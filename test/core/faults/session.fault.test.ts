/**
 * Fault tier, core: faults injected on our own connections only (a proxy the test controls, or the
 * management API closing our connection); the shared broker is never stopped or reconfigured.
 * Bounds are checked as bounds (the operation must end before its documented limit plus a margin);
 * speed itself is measured by the benchmark.
 */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { AMQP_HOST, AMQP_PORT, createTestVhost, mgmt, type TestVhost } from '../../support/broker';
import { sessionFor, waitFor } from '../../support/amqpSession';
import { startFaultProxy, type FaultProxy } from '../../support/faultProxy';
import { printFaultTableAtEnd, recordFault } from '../../support/faultTable';
import { AmqpSession, type AmqpSessionOptions, type ReconnectStatus } from '../../../src/core/session';
import { isRabbitError, RabbitError } from '../../../src/core/errors';
import * as ops from '../../../src/core/operations';

printFaultTableAtEnd();

/** Settles `p` or fails the test when it has not settled `boundMs` after the start. */
async function within<T>(p: Promise<T>, boundMs: number, what: string): Promise<{ value?: T; error?: unknown; ms: number }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not end within its bound of ${boundMs} ms`)), boundMs);
  });
  try {
    const value = await Promise.race([p, limit]);
    return { value, ms: performance.now() - started };
  } catch (error) {
    if (error instanceof Error && error.message.includes('did not end within its bound')) throw error;
    return { error, ms: performance.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

/** Retries `fn` until it succeeds (bounded); returns the time it took. */
async function untilWorks(fn: () => Promise<unknown>, boundMs = 10_000): Promise<number> {
  const started = performance.now();
  let last: unknown;
  while (performance.now() - started < boundMs) {
    try {
      await fn();
      return performance.now() - started;
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  throw new Error(`did not recover within ${boundMs} ms: ${String(last)}`);
}

async function queueDepth(vhost: string, queue: string): Promise<number> {
  // The management API's count lags; a passive declare on a direct session is exact.
  const s = sessionFor(vhost);
  try {
    return (await ops.checkQueue(s, queue)).messageCount;
  } finally {
    await s.close();
  }
}

describe('fault tier: core session and publishing (real broker, faults on our own connections)', function () {
  this.timeout(60_000);
  let vh: TestVhost;
  let proxy: FaultProxy;
  const sessions: AmqpSession[] = [];
  const open = (options: AmqpSessionOptions = {}): AmqpSession => {
    const s = sessionFor(vh, { reconnect: { initialDelayMs: 50, maxDelayMs: 400 }, confirmTimeoutMs: 1_000, closeTimeoutMs: 500, ...options }, proxy.port);
    sessions.push(s);
    return s;
  };

  before(async () => {
    vh = await createTestVhost('faults');
  });
  after(async () => {
    await vh.delete();
  });
  beforeEach(async () => {
    proxy = await startFaultProxy({ host: AMQP_HOST, port: AMQP_PORT });
  });
  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((s) => s.close()));
    await proxy.close();
  });

  it('reconnect keeps trying after failed attempts, shows attempt and next time, and stops on close', async () => {
    const s = open({ reconnect: { initialDelayMs: 40, maxDelayMs: 160, jitter: 0 } });
    await s.connection();
    const seen: ReconnectStatus[] = [];
    s.on('state', (st) => {
      const r = s.reconnectStatus;
      if (st === 'reconnecting' && r) seen.push(r);
    });
    proxy.refuse(true);
    const cutAt = performance.now();
    proxy.cut();
    // Several attempts fail (the proxy refuses), each one schedules the next.
    await waitFor<void>((r) => s.on('state', () => (s.reconnectStatus?.attempt ?? 0) >= 4 && r()), 10_000, 'attempt 4');
    const waits = seen.filter((r) => r.phase === 'waiting');
    assert.deepEqual(waits.slice(0, 4).map((r) => r.attempt), [1, 2, 3, 4]);
    assert.deepEqual(waits.slice(0, 4).map((r) => r.delayMs), [40, 80, 160, 160], 'exponential backoff with a cap');
    assert.ok(waits.every((r) => typeof r.nextAttemptAt === 'number' && r.lastError instanceof RabbitError));
    proxy.refuse(false);
    await waitFor<void>((r) => s.on('state', (st) => st === 'connected' && r()), 10_000, 'reconnected');
    const recoverMs = performance.now() - cutAt;
    assert.equal(s.reconnectStatus, undefined);
    const q = await ops.declareQueue(s, { name: '', exclusive: true, durable: false });
    assert.match(q.queue, /^amq\.gen-/);
    recordFault({ fault: 'cut + broker down (4 refused attempts)', operation: 'reconnect', outcome: 'kept trying, recovered', recoverMs });

    // Disconnect stops reconnecting: no further connection attempt reaches the proxy.
    proxy.refuse(true);
    proxy.cut();
    await waitFor<void>((r) => s.on('state', (st) => st === 'reconnecting' && r()), 5_000, 'reconnecting');
    await s.close();
    const accepted = proxy.accepted();
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(proxy.accepted(), accepted, 'no attempt after close()');
    assert.equal(s.state, 'closed');
  });

  it('retryNow() starts an attempt at once, also after the attempt limit', async () => {
    const s = open({ reconnect: { initialDelayMs: 30, maxDelayMs: 30, maxAttempts: 2, jitter: 0 } });
    await s.connection();
    proxy.refuse(true);
    proxy.cut();
    await waitFor<void>((r) => s.on('state', (_st, d) => d.gaveUp === true && r()), 10_000, 'gave up');
    assert.equal(s.reconnectStatus?.gaveUp, true);
    proxy.refuse(false);
    await s.retryNow();
    assert.equal(s.state, 'connected');
  });

  it('close() is bounded when the socket stalled (no close-ok ever comes)', async () => {
    const s = open();
    await s.channel('ops');
    await s.openChannel('consume');
    proxy.stall();
    const r = await within(s.close(), 500 + 1_500, 'close() on a stalled socket');
    assert.equal(r.error, undefined);
    assert.equal(s.state, 'closed');
    recordFault({ fault: 'stall', operation: 'disconnect (close)', outcome: 'socket destroyed after the grace', recoverMs: r.ms });
  });

  it('close() is bounded when the socket died just before (half-closed, never answered)', async () => {
    const s = open();
    await s.channel('ops');
    proxy.halfClose();
    const r = await within(s.close(), 500 + 1_500, 'close() after a half-close');
    assert.equal(r.error, undefined);
    assert.equal(s.state, 'closed');
    recordFault({ fault: 'half-close', operation: 'disconnect (close)', outcome: 'closed', recoverMs: r.ms });
  });

  it('a stalled connection fails a publish by the confirm timeout (not the heartbeat), then recovers', async () => {
    const s = open({ heartbeatSeconds: 30 });
    await ops.declareQueue(s, { name: 'stall-q' });
    await ops.publish(s, { exchange: '', routingKey: 'stall-q', body: 'before' });
    proxy.stall();
    const stalledAt = performance.now();
    const r = await within(ops.publish(s, { exchange: '', routingKey: 'stall-q', body: 'during' }), 1_000 + 1_500, 'publish on a stalled socket');
    assert.ok(isRabbitError(r.error, 'TIMEOUT'), String(r.error));
    assert.match((r.error as Error).message, /stalled/);
    assert.match((r.error as Error).message, /may or may not have arrived/);
    proxy.resume();
    await untilWorks(() => ops.publish(s, { exchange: '', routingKey: 'stall-q', body: 'after' }));
    recordFault({ fault: 'stall', operation: 'publish', outcome: 'TIMEOUT "stalled", dropped, reconnected', recoverMs: performance.now() - stalledAt });
    // 'before' and 'after' are in the queue; 'during' may or may not be (the error says so).
    const depth = await queueDepth(vh.name, 'stall-q');
    assert.ok(depth === 2 || depth === 3, `depth ${depth}`);
  });

  it('a slow link is not mistaken for a stall', async () => {
    const s = open();
    await ops.declareQueue(s, { name: 'slow-q' });
    proxy.slow(150);
    const r = await ops.publish(s, { exchange: '', routingKey: 'slow-q', body: 'x' });
    assert.equal(r.routed, true);
    proxy.slow(0);
    recordFault({ fault: 'slow link (150 ms per chunk)', operation: 'publish', outcome: 'confirmed' });
  });

  it('connection.blocked is state with the reason; a publish waits bounded and says why; unblocked clears it', async () => {
    const s = open();
    await ops.declareQueue(s, { name: 'blocked-q' });
    const blockedEvent = waitFor<string>((r) => s.on('blocked', r), 5_000, 'blocked');
    proxy.block('low on memory');
    assert.equal(await blockedEvent, 'low on memory');
    assert.equal(s.blockedReason, 'low on memory');
    const r = await within(ops.publish(s, { exchange: '', routingKey: 'blocked-q', body: 'x' }), 1_000 + 1_500, 'publish while blocked');
    assert.ok(isRabbitError(r.error, 'BLOCKED'), String(r.error));
    assert.match((r.error as Error).message, /the broker is blocking publishers: low on memory\. Nothing was sent\./);
    const unblocked = waitFor<void>((res) => s.on('unblocked', res), 5_000, 'unblocked');
    proxy.unblock();
    await unblocked;
    assert.equal(s.blockedReason, undefined);
    await ops.publish(s, { exchange: '', routingKey: 'blocked-q', body: 'y' });
    assert.equal(await queueDepth(vh.name, 'blocked-q'), 1, 'only the message sent after unblocked');
    recordFault({ fault: 'connection.blocked', operation: 'publish', outcome: 'BLOCKED "low on memory", nothing sent' });
  });

  it('blocked in the middle of a bulk publish: BLOCKED with counts, no wait past the bound', async () => {
    const s = open();
    await ops.declareQueue(s, { name: 'blocked-bulk' });
    const n = 2_000;
    function* gen(): Generator<ops.PublishOptions> {
      for (let i = 0; i < n; i++) {
        if (i === 500) proxy.block('disk alarm');
        yield { exchange: '', routingKey: 'blocked-bulk', body: `m${i}` };
      }
    }
    const r = await within(ops.publishMany(s, gen(), { maxInFlight: 100 }), 1_000 + 2_000, 'bulk publish while blocked');
    assert.ok(r.error instanceof ops.PublishManyError, String(r.error));
    const e = r.error as ops.PublishManyError;
    assert.equal(e.code, 'BLOCKED');
    assert.match(e.message, /blocking publishers: disk alarm/);
    assert.ok(e.result.confirmed >= 400 && e.result.confirmed < n, `confirmed ${e.result.confirmed}`);
    assert.equal(e.result.confirmed + e.result.unconfirmed + e.result.nacked, e.result.published);
    assert.equal(e.result.resumeIndex, e.result.confirmed);
    proxy.unblock();
    await untilWorks(() => ops.publish(s, { exchange: '', routingKey: 'blocked-bulk', body: 'after' }));
    recordFault({ fault: 'connection.blocked mid-bulk', operation: 'bulk publish', outcome: `BLOCKED, ${e.result.confirmed} confirmed, resume at ${e.result.resumeIndex}` });
  });

  it('a connection cut during a 10,000-message bulk publish reports confirmed/unconfirmed and where to resume; the queue agrees', async () => {
    const s = open();
    await ops.declareQueue(s, { name: 'cut-bulk' });
    const n = 10_000;
    const bodies = Array.from({ length: n }, (_, i) => `m${i}`);
    let cutAt = 0;
    function* gen(): Generator<ops.PublishOptions> {
      for (let i = 0; i < n; i++) {
        if (i === 3_000) {
          cutAt = performance.now();
          proxy.cut();
        }
        yield { exchange: '', routingKey: 'cut-bulk', body: bodies[i] };
      }
    }
    const r = await within(ops.publishMany(s, gen(), { maxInFlight: 1_000 }), 5_000, 'bulk publish on a cut connection');
    assert.ok(r.error instanceof ops.PublishManyError, String(r.error));
    const e = r.error as ops.PublishManyError;
    assert.equal(e.code, 'CONNECTION_CLOSED');
    assert.match(e.message, /connection was lost/);
    assert.match(e.message, new RegExp(`Sent ${e.result.published}: ${e.result.confirmed} confirmed`));
    assert.match(e.message, new RegExp(`Resume from message ${e.result.resumeIndex + 1}\\.`));
    assert.ok(e.result.published >= 3_000 && e.result.published < n, `published ${e.result.published}`);
    assert.equal(e.result.confirmed + e.result.unconfirmed + e.result.nacked, e.result.published);
    assert.equal(e.result.resumeIndex, e.result.confirmed, 'confirms come in order');
    const depth = await queueDepth(vh.name, 'cut-bulk');
    assert.ok(depth >= e.result.confirmed && depth <= e.result.confirmed + e.result.unconfirmed, `depth ${depth}, counts ${JSON.stringify(e.result)}`);
    // Resuming from the reported index loses nothing; duplicates are at most the unconfirmed ones.
    await untilWorks(() => s.connection());
    const recoverMs = performance.now() - cutAt;
    const rest = await ops.publishMany(
      s,
      bodies.slice(e.result.resumeIndex).map((body) => ({ exchange: '', routingKey: 'cut-bulk', body })),
    );
    assert.equal(rest.confirmed, n - e.result.resumeIndex);
    const total = await queueDepth(vh.name, 'cut-bulk');
    assert.ok(total >= n && total <= n + e.result.unconfirmed, `total ${total}`);
    recordFault({ fault: 'cut at message 3,000', operation: 'bulk publish 10k', outcome: `${e.result.confirmed} confirmed, ${e.result.unconfirmed} unconfirmed, queue ${depth}`, recoverMs });
  });

  it('a stalled connection during a bulk publish fails by the confirm timeout with the counts', async () => {
    const s = open();
    await ops.declareQueue(s, { name: 'stall-bulk' });
    const n = 5_000;
    function* gen(): Generator<ops.PublishOptions> {
      for (let i = 0; i < n; i++) {
        if (i === 1_000) proxy.stall();
        yield { exchange: '', routingKey: 'stall-bulk', body: `m${i}` };
      }
    }
    const r = await within(ops.publishMany(s, gen(), { maxInFlight: 500 }), 1_000 + 1_500, 'bulk publish on a stalled socket');
    assert.ok(r.error instanceof ops.PublishManyError, String(r.error));
    const e = r.error as ops.PublishManyError;
    assert.equal(e.code, 'TIMEOUT');
    assert.match(e.message, /stalled/);
    assert.equal(e.result.confirmed + e.result.unconfirmed + e.result.nacked, e.result.published);
    proxy.resume();
    const depth = await queueDepth(vh.name, 'stall-bulk');
    assert.ok(depth >= e.result.confirmed && depth <= e.result.confirmed + e.result.unconfirmed, `depth ${depth}`);
    recordFault({ fault: 'stall at message 1,000', operation: 'bulk publish 5k', outcome: `TIMEOUT, ${e.result.confirmed} confirmed`, recoverMs: r.ms });
  });

  it('cancelling a bulk publish on a stalled connection returns within a second with the counts', async () => {
    const s = open({ confirmTimeoutMs: 10_000 });
    await ops.declareQueue(s, { name: 'cancel-bulk' });
    const ac = new AbortController();
    const n = 5_000;
    function* gen(): Generator<ops.PublishOptions> {
      for (let i = 0; i < n; i++) {
        if (i === 1_000) {
          proxy.stall();
          setTimeout(() => ac.abort(), 100);
        }
        yield { exchange: '', routingKey: 'cancel-bulk', body: `m${i}` };
      }
    }
    const started = performance.now();
    const r = await within(ops.publishMany(s, gen(), { maxInFlight: 200, signal: ac.signal }), 100 + 1_000 + 500, 'cancelled bulk publish');
    assert.equal(r.error, undefined, String(r.error));
    const res = r.value!;
    assert.equal(res.cancelled, true);
    assert.ok(res.published < n);
    assert.equal(res.confirmed + res.unconfirmed + res.nacked, res.published);
    recordFault({ fault: 'stall + cancel', operation: 'bulk publish', outcome: `cancelled, ${res.confirmed} confirmed, ${res.unconfirmed} unconfirmed`, recoverMs: performance.now() - started });
  });

  it('the broker closing our connection (management API) during publishing: reconnect and the next publish works', async () => {
    const name = `wb-fault-${randomBytes(4).toString('hex')}`;
    const s = sessionFor(vh, { reconnect: { initialDelayMs: 20, maxDelayMs: 200 }, connectionName: name });
    sessions.push(s);
    await ops.declareQueue(s, { name: 'mgmt-close' });
    await ops.publish(s, { exchange: '', routingKey: 'mgmt-close', body: 'a' });
    // The management API lists a new connection after its next statistics round.
    let ours: { name: string } | undefined;
    await untilWorks(async () => {
      const conns = (await (await mgmt('GET', `/vhosts/${encodeURIComponent(vh.name)}/connections`)).json()) as { name: string; client_properties?: { connection_name?: string } }[];
      ours = conns.find((c) => c.client_properties?.connection_name === name);
      if (!ours) throw new Error('our connection is not listed yet');
    }, 20_000);
    assert.ok(ours);
    const closed = waitFor<void>((r) => s.on('state', (st) => st === 'disconnected' && r()), 10_000, 'disconnected');
    const at = performance.now();
    await mgmt('DELETE', `/connections/${encodeURIComponent(ours.name)}`, undefined);
    await closed;
    await untilWorks(() => ops.publish(s, { exchange: '', routingKey: 'mgmt-close', body: 'b' }));
    const recoverMs = performance.now() - at;
    assert.equal(await queueDepth(vh.name, 'mgmt-close'), 2);
    recordFault({ fault: 'broker closes our connection (320)', operation: 'publish', outcome: 'reconnected, next publish confirmed', recoverMs });
  });

  it('a 406 that kills the shared publish channel: the next publish gets a fresh channel', async () => {
    const s = open();
    await ops.declareQueue(s, { name: 'q406' });
    const ch = await s.channel('publish');
    // Redeclaring with other arguments is a 406 that closes the channel it was sent on.
    await assert.rejects(ch.assertQueue('q406', { durable: true, arguments: { 'x-message-ttl': 1000 } }));
    const at = performance.now();
    const r = await ops.publish(s, { exchange: '', routingKey: 'q406', body: 'x' });
    assert.equal(r.routed, true);
    recordFault({ fault: 'channel killed by 406', operation: 'publish', outcome: 'fresh channel, confirmed', recoverMs: performance.now() - at });
  });
});
