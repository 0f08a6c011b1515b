import * as assert from 'node:assert/strict';
import { createTestVhost, PASSWORD, USER, AMQP_HOST, AMQP_PORT, type TestVhost } from '../support/broker';
import { sessionFor, startProxy, waitFor } from '../support/amqpSession';
import { AmqpSession, type SessionState } from '../../src/core/session';
import { resolveProfile } from '../../src/core/profile';
import { RabbitError, isRabbitError } from '../../src/core/errors';
import { explainInequivalent, toRabbitError } from '../../src/core/amqpErrors';

async function rejectsWith(p: Promise<unknown>, code: string, re?: RegExp): Promise<RabbitError> {
  try {
    await p;
  } catch (e) {
    assert.ok(isRabbitError(e), `expected RabbitError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (re) assert.match(e.message, re);
    assert.ok(!e.message.includes(PASSWORD) || PASSWORD === USER, 'message must not contain the password');
    return e;
  }
  assert.fail(`expected rejection with ${code}`);
}

describe('core/session (real broker)', () => {
  let vh: TestVhost;
  before(async () => {
    vh = await createTestVhost('session');
  });
  after(async () => {
    await vh.delete();
  });

  it('connects lazily, once, with broker version and negotiated frameMax', async () => {
    const s = sessionFor(vh);
    const states: SessionState[] = [];
    s.on('state', (st) => states.push(st));
    assert.equal(s.state, 'idle');
    const [a, b] = await Promise.all([s.connection(), s.connection()]);
    assert.equal(a, b);
    assert.equal(s.state, 'connected');
    assert.match(s.serverInfo?.version ?? '', /^\d+\.\d+/);
    assert.equal(s.serverInfo?.product, 'RabbitMQ');
    assert.equal(s.frameMax, 131072);
    assert.equal(s.maxMessageSize, Number(s.serverInfo!.version!.split('.')[0]) >= 4 ? 16 * 1024 * 1024 : 128 * 1024 * 1024);
    await s.close();
    assert.deepEqual(states, ['connecting', 'connected', 'closed']);
    await rejectsWith(s.connection(), 'CONNECTION_CLOSED');
  });

  it('rejects bad options and malformed URLs before connecting', () => {
    assert.throws(() => sessionFor(vh, { frameMax: 4096 }), (e: unknown) => isRabbitError(e, 'INVALID_INPUT') && e.field === 'frameMax');
    assert.throws(() => resolveProfile({ id: 'x', name: 'x', amqpUrl: 'amqp//nohost' }), (e: unknown) => isRabbitError(e, 'INVALID_INPUT') && e.field === 'amqpUrl');
    assert.throws(() => resolveProfile({ id: 'x', name: 'x', amqpUrl: 'http://localhost:5672/' }), (e: unknown) => isRabbitError(e, 'INVALID_INPUT'));
  });

  it('wrong port → UNREACHABLE with a hint', async () => {
    const s = sessionFor(vh, { reconnect: false }, 1);
    await rejectsWith(s.connection(), 'UNREACHABLE', /refused.*127\.0\.0\.1:1.*Check that RabbitMQ is running/);
    assert.equal(s.state, 'disconnected');
    await s.close();
  });

  it('unknown host → UNREACHABLE naming the host', async () => {
    const resolved = resolveProfile({ id: 'x', name: 'x', amqpUrl: 'amqp://guest@no-such-host.invalid:5672/' });
    const s = new AmqpSession(resolved, { username: USER, password: PASSWORD });
    await rejectsWith(s.connection(), 'UNREACHABLE', /no-such-host\.invalid/);
    await s.close();
  });

  it('wrong credentials → AUTH_FAILED without the password', async () => {
    const resolved = resolveProfile({ id: 'x', name: 'x', amqpUrl: `amqp://${USER}@${AMQP_HOST}:${AMQP_PORT}/${encodeURIComponent(vh.name)}` });
    const secret = 'Sup3r-s3cret-pässword';
    const s = new AmqpSession(resolved, { username: USER, password: secret });
    const e = await rejectsWith(s.connection(), 'AUTH_FAILED', /refused the login for user "guest".*password/);
    assert.ok(!e.message.includes(secret));
    assert.ok(!JSON.stringify(e.brokerText ?? '').includes(secret));
    await s.close();
  });

  it('missing vhost → ACCESS_REFUSED naming the vhost', async () => {
    const s = sessionFor('wb-test-does-not-exist');
    await rejectsWith(s.connection(), 'ACCESS_REFUSED', /vhost "wb-test-does-not-exist"/);
    await s.close();
  });

  it('a purpose channel closed by the broker (404) is replaced transparently', async () => {
    const s = sessionFor(vh);
    const errors: string[] = [];
    s.on('channelError', (purpose, err) => errors.push(`${purpose}:${err.code}`));
    const ops = await s.channel('ops');
    await assert.rejects(ops.checkQueue('missing-q'));
    const again = await s.channel('ops');
    assert.notEqual(again, ops);
    const q = await again.assertQueue('', { exclusive: true });
    assert.match(q.queue, /^amq\.gen-/);
    assert.deepEqual(errors, ['ops:NOT_FOUND']);
    await s.close();
  });

  it('withTempChannel maps the broker reason and leaves the session working', async () => {
    const s = sessionFor(vh);
    await rejectsWith(s.withTempChannel('check queue', (ch) => ch.checkQueue('nope')), 'NOT_FOUND', /Could not check queue: queue "nope" does not exist in vhost/);
    const ok = await s.withTempChannel('declare', (ch) => ch.assertQueue('', { exclusive: true }));
    assert.ok(ok.queue);
    await s.close();
  });

  it('reconnects with backoff after the connection is cut, emitting states', async () => {
    const proxy = await startProxy();
    const s = sessionFor(vh, { reconnect: { initialDelayMs: 50, maxDelayMs: 200 } }, proxy.port);
    try {
      const states: SessionState[] = [];
      s.on('state', (st) => states.push(st));
      await s.connection();
      const gen = s.generation;
      const reconnected = waitFor<void>((r) => s.on('state', (st) => st === 'connected' && r()), 10_000, 'reconnect');
      proxy.cut();
      await reconnected;
      assert.equal(s.generation, gen + 1);
      assert.deepEqual(states.slice(0, 4), ['connecting', 'connected', 'disconnected', 'reconnecting']);
      assert.equal(states[states.length - 1], 'connected');
      const q = await s.withTempChannel('declare', (ch) => ch.assertQueue('', { exclusive: true }));
      assert.ok(q.queue);
    } finally {
      await s.close();
      await proxy.close();
    }
  });

  it('maps close texts to helpful messages', () => {
    assert.equal(
      explainInequivalent("inequivalent arg 'x-queue-type' for queue 'q' in vhost 'v': received 'classic' but current is 'quorum'"),
      'queue q already exists with x-queue-type=quorum; you asked for classic. Use the existing settings or delete the queue first.',
    );
    const e = toRabbitError(Object.assign(new Error('Channel closed by server: 405 (RESOURCE-LOCKED) with message "RESOURCE_LOCKED - cannot obtain exclusive access to locked queue \'ex\' in vhost \'/\'."'), { code: 405 }));
    assert.equal(e.code, 'RESOURCE_LOCKED');
    assert.match(e.message, /queue "ex" is exclusive to another connection/);
    const t = toRabbitError(Object.assign(new Error('Channel closed by server: 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - delivery acknowledgement on channel 1 timed out. Timeout value used: 1800000 ms."'), { code: 406 }));
    assert.match(t.message, /consumer ack timeout/);
    assert.equal(toRabbitError(Object.assign(new Error('connect ETIMEDOUT'), {})).code, 'TIMEOUT');
    assert.equal(toRabbitError(new Error('Frame size 99999999 exceeds maxFrameSize 67108864')).code, 'FRAME_ERROR');
    assert.equal(toRabbitError(Object.assign(new Error('Connection closed: 505 (UNEXPECTED-FRAME) with message "UNEXPECTED_FRAME - x"'), { code: 505 })).code, 'FRAME_ERROR');
  });
});
