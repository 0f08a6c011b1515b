// The RPC panel's model (src/features/rpc/rpcModel.ts): form and args validation (field named, before anything is sent)
// and the bounded per-workspace history / saved requests. Pure code, no broker.
import * as assert from 'node:assert/strict';
import { RabbitError } from '../../src/core/errors';
import { argsToForm, emptyForm, isHeadlessArgs, RpcHistory, validateForm, HISTORY_BODY_LIMIT } from '../../src/features/rpc/rpcModel';
import { toCallOptions } from '../../src/features/rpc/rpcRunner';
import type { CallView } from '../../src/features/rpc/rpcProtocol';

function field(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof RabbitError, String(e));
    assert.equal(e.code, 'INVALID_INPUT');
    return e.field;
  }
  assert.fail('expected INVALID_INPUT');
}

function memory() {
  const map = new Map<string, unknown>();
  return { get: <T>(k: string) => map.get(k) as T | undefined, update: async (k: string, v: unknown) => void map.set(k, v) };
}

describe('rpc model', () => {
  it('turns a queue form into a default-exchange request with properties, headers and timeout', () => {
    const req = validateForm(emptyForm({ queue: 'rpc_queue', body: '{"n":3}', properties: '{"appId":"t","expiration":"5000","priority":2}', headers: '{"x-a":1}', timeoutMs: '2500', replyMode: 'exclusive' }));
    assert.equal(req.publish.exchange, '');
    assert.equal(req.publish.routingKey, 'rpc_queue');
    assert.equal(req.publish.contentType, 'application/json');
    assert.equal(req.publish.appId, 't');
    assert.equal(req.publish.expiration, '5000');
    assert.equal(req.publish.priority, 2);
    assert.deepEqual(req.publish.headers, { 'x-a': 1 });
    assert.equal(req.timeoutMs, 2500);
    assert.equal(req.replyMode, 'exclusive');
    const opts = toCallOptions(req);
    assert.equal(opts.routingKey, 'rpc_queue');
    assert.equal(opts.timeoutMs, 2500);
    assert.equal((opts.properties as { appId?: string }).appId, 't');
    assert.equal((opts.properties as { mandatory?: boolean }).mandatory, undefined);
  });

  it('names the field at fault', () => {
    assert.equal(field(() => validateForm(emptyForm({ queue: '' }))), 'queue');
    assert.equal(field(() => validateForm(emptyForm({ queue: 'q', body: '{"n": ' }))), 'body');
    assert.equal(field(() => validateForm(emptyForm({ queue: 'q', body: 'plain', contentType: 'application/vnd.x+json' }))), 'body');
    assert.equal(field(() => validateForm(emptyForm({ queue: 'q', body: '{}', properties: '[1]' }))), 'properties');
    assert.equal(field(() => validateForm(emptyForm({ queue: 'q', body: '{}', properties: '{"replyTo":"x"}' }))), 'properties.replyTo');
    assert.equal(field(() => validateForm(emptyForm({ queue: 'q', body: '{}', headers: '{"a":' }))), 'headers');
    assert.equal(field(() => validateForm(emptyForm({ queue: 'q', body: '{}', timeoutMs: '1.5' }))), 'timeoutMs');
    assert.equal(field(() => validateForm(emptyForm({ queue: 'q', body: '{}', timeoutMs: 600_001 }))), 'timeoutMs');
    assert.equal(field(() => validateForm(emptyForm({ targetKind: 'exchange', exchange: 'x', routingKey: 'k'.repeat(256), body: '{}' }))), 'routingKey');
    assert.equal(field(() => validateForm(emptyForm({ queue: 'q', body: '{}', properties: '{"priority":300}' }))), 'priority');
    // Text bodies are fine when the content type is not JSON.
    assert.equal(validateForm(emptyForm({ queue: 'q', body: 'hello', contentType: 'text/plain' })).publish.contentType, 'text/plain');
  });

  it('maps the args object (JSON bodies, queue or exchange) onto the form', () => {
    assert.equal(isHeadlessArgs({ queue: 'q' }), true);
    assert.equal(isHeadlessArgs({ connectionId: 'c', vhost: '/' }), false);
    const f = argsToForm({ queue: 'q', body: { n: 1 }, headers: { a: 1 }, timeoutMs: 100 });
    assert.deepEqual([f.targetKind, f.queue, f.body, f.contentType, f.headers, f.timeoutMs], ['queue', 'q', '{"n":1}', 'application/json', '{"a":1}', 100]);
    const g = argsToForm({ exchange: 'ex', routingKey: 'k', body: 'text', properties: { contentType: 'text/plain', appId: 'a' } });
    assert.deepEqual([g.targetKind, g.exchange, g.routingKey, g.contentType, JSON.parse(g.properties)], ['exchange', 'ex', 'k', 'text/plain', { appId: 'a' }]);
    assert.equal(field(() => argsToForm({ queue: '' })), 'queue');
  });

  it('keeps the newest calls up to its bound, cuts big reply bodies, and saves named requests', async () => {
    const h = new RpcHistory(memory(), 5);
    const call = (i: number, size = 10): CallView => ({
      id: `c${i}`, startedAt: new Date(1700000000000 + i).toISOString(), form: emptyForm({ queue: 'q' }), state: 'ok',
      reply: { id: `c${i}`, index: 1, exchange: '', routingKey: 'r', redelivered: false, properties: {}, headers: {}, deaths: [], body: { kind: 'text', size, text: 'x'.repeat(size), base64: Buffer.alloc(size, 'x').toString('base64'), truncated: false } },
    });
    for (let i = 0; i < 8; i++) await h.record(call(i));
    assert.deepEqual(h.list().map((c) => c.id), ['c7', 'c6', 'c5', 'c4', 'c3']);
    await h.record({ ...call(5), state: 'error', errorCode: 'TIMEOUT' });
    assert.deepEqual(h.list().map((c) => c.id), ['c5', 'c7', 'c6', 'c4', 'c3']);
    await h.record(call(9, HISTORY_BODY_LIMIT + 100));
    const big = h.get('c9')!.reply!.body;
    assert.equal(big.truncated, true);
    assert.equal(big.text?.length, HISTORY_BODY_LIMIT);
    assert.equal(big.size, HISTORY_BODY_LIMIT + 100);

    await h.save('b', emptyForm({ queue: 'b' }));
    await h.save(' a ', emptyForm({ queue: 'a' }));
    await h.save('b', emptyForm({ queue: 'b2' }));
    assert.deepEqual(h.saved().map((s) => [s.name, s.form.queue]), [['a', 'a'], ['b', 'b2']]);
    await assert.rejects(h.save('  ', emptyForm()), (e: RabbitError) => e.field === 'name');
    assert.equal(await h.deleteSaved('a'), true);
    assert.equal(await h.deleteSaved('a'), false);
    await h.clear();
    assert.deepEqual(h.list(), []);
  });
});
