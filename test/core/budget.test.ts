import * as assert from 'node:assert/strict';
import { BoundedList, chunkBySize, decodedMessageBytes } from '../../src/core/budget';
import { decodeMessage } from '../../src/core/message';
import { isRabbitError, RabbitError } from '../../src/core/errors';
import { secondsUntil, summarizeSessions, type SessionStatusSource } from '../../src/core/sessionStatus';

describe('core/budget (pure)', () => {
  it('keeps at most maxMessages, dropping the oldest and counting them', () => {
    const l = new BoundedList<number>({ maxMessages: 3, maxBytes: 1 << 20 }, () => 10);
    for (let i = 0; i < 5; i++) l.push(i);
    assert.deepEqual(l.toArray(), [2, 3, 4]);
    assert.equal(l.dropped, 2);
    assert.equal(l.bytes, 30);
  });

  it('keeps within maxBytes; an item larger than the budget alone is still kept', () => {
    const l = new BoundedList<string>({ maxMessages: 100, maxBytes: 2048 }, (s) => s.length);
    l.push('a'.repeat(1000));
    l.push('b'.repeat(1000));
    const dropped = l.push('c'.repeat(1000));
    assert.deepEqual(dropped.map((s) => s[0]), ['a']);
    assert.equal(l.bytes, 2000);
    l.push('d'.repeat(5000));
    assert.deepEqual(l.toArray().map((s) => s[0]), ['d']);
    assert.equal(l.dropped, 3);
  });

  it('never drops items that may not be dropped yet (unacked), and trims once they may', () => {
    const unacked = new Set([0, 1]);
    const l = new BoundedList<number>({ maxMessages: 2, maxBytes: 1 << 20 }, () => 1, (n) => !unacked.has(n));
    l.push(0);
    l.push(1);
    l.push(2);
    assert.deepEqual(l.toArray(), [0, 1, 2], 'unacked 0 and 1 stay, the newest stays');
    unacked.clear();
    assert.deepEqual(l.trim(), [0]);
    assert.deepEqual(l.toArray(), [1, 2]);
  });

  it('refuses bad limits naming the field', () => {
    assert.throws(() => new BoundedList({ maxBytes: 10 }, () => 1), (e: unknown) => isRabbitError(e, 'INVALID_INPUT') && e.field === 'maxBytes');
    assert.throws(() => new BoundedList({ maxMessages: 0 }, () => 1), (e: unknown) => isRabbitError(e, 'INVALID_INPUT') && e.field === 'maxMessages');
  });

  it('estimates a decoded message at least at its body copies', () => {
    const body = Buffer.from(JSON.stringify({ a: 'x'.repeat(10_000) }));
    const d = decodeMessage({ content: body, fields: { exchange: '', routingKey: 'q' }, properties: { contentType: 'application/json', headers: { h: 'v' } } }, 0);
    const n = decodedMessageBytes(d);
    assert.ok(n >= body.length * 2 + d.body.base64.length, `estimate ${n}`);
  });

  it('chunks by items and bytes, keeping order', () => {
    const chunks = chunkBySize(Array.from({ length: 10 }, (_, i) => i), () => 100, 350, 4);
    assert.deepEqual(chunks, [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]);
    assert.deepEqual(chunkBySize([], () => 1), []);
  });
});


describe('core/sessionStatus (pure)', () => {
  const err = new RabbitError('CONNECTION_CLOSED', 'lost');
  const src = (over: Partial<SessionStatusSource>): SessionStatusSource => ({ state: 'connected', reconnectStatus: undefined, blockedReason: undefined, vhost: '/', ...over });

  it('is ok when every session is connected or idle', () => {
    assert.deepEqual(summarizeSessions([src({}), src({ state: 'idle', vhost: 'b' })]), { state: 'ok', vhosts: [] });
  });

  it('reports the session furthest into reconnecting, and blocked publishers', () => {
    const s = summarizeSessions([
      src({ state: 'reconnecting', vhost: 'a', reconnectStatus: { attempt: 2, phase: 'waiting', nextAttemptAt: 5_000, lastError: err, gaveUp: false } }),
      src({ state: 'reconnecting', vhost: 'b', reconnectStatus: { attempt: 4, phase: 'waiting', nextAttemptAt: 9_000, lastError: err, gaveUp: false } }),
      src({ vhost: 'c', blockedReason: 'low on memory' }),
    ]);
    assert.equal(s.state, 'reconnecting');
    assert.equal(s.attempt, 4);
    assert.equal(s.nextAttemptAt, 9_000);
    assert.equal(s.blockedReason, 'low on memory');
    assert.deepEqual(s.vhosts, ['a', 'b', 'c']);
  });

  it('is lost when a session gave up', () => {
    const s = summarizeSessions([src({ state: 'disconnected', reconnectStatus: { attempt: 5, phase: 'waiting', lastError: err, gaveUp: true } })]);
    assert.equal(s.state, 'lost');
  });

  it('counts whole seconds until the next attempt', () => {
    assert.equal(secondsUntil(10_500, 2_600), 8);
    assert.equal(secondsUntil(1_000, 2_000), 0);
    assert.equal(secondsUntil(undefined), undefined);
  });
});
