import * as assert from 'node:assert/strict';
import { createTestVhost, type TestVhost } from '../support/broker';
import { sessionFor } from '../support/amqpSession';
import * as ops from '../../src/core/operations';
import { peekMessages } from '../../src/core/peek';
import { isRabbitError } from '../../src/core/errors';
import type { AmqpSession } from '../../src/core/session';

describe('core/peek memory budget (real broker)', () => {
  let vh: TestVhost;
  let s: AmqpSession;
  before(async () => {
    vh = await createTestVhost('peekbudget');
    s = sessionFor(vh);
    await ops.declareQueue(s, { name: 'big' });
    await ops.publishMany(s, Array.from({ length: 20 }, (_, i) => ({ exchange: '', routingKey: 'big', body: `${i}:`.padEnd(10_000, 'x') })));
  });
  after(async () => {
    await s.close();
    await vh.delete();
  });

  it('stops at the byte budget, says so, and leaves every message in the queue in order', async () => {
    const r = await peekMessages(s, 'big', { count: 20, maxBytes: 50_000 });
    assert.equal(r.budgetReached, true);
    assert.equal(r.messages.length, 5);
    assert.deepEqual(r.messages.map((m) => m.body.text?.split(':')[0]), ['0', '1', '2', '3', '4']);
    assert.equal((await ops.checkQueue(s, 'big')).messageCount, 20);
    const all = await peekMessages(s, 'big', { count: 20 });
    assert.equal(all.budgetReached, false);
    assert.deepEqual(all.messages.map((m) => m.body.text?.split(':')[0]), Array.from({ length: 20 }, (_, i) => String(i)));
  });

  it('refuses a bad budget naming the field, before anything is read', async () => {
    await assert.rejects(peekMessages(s, 'big', { maxBytes: 0 }), (e: unknown) => isRabbitError(e, 'INVALID_INPUT') && e.field === 'maxBytes');
  });
});
