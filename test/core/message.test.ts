import * as assert from 'node:assert/strict';
import { decodeBody, decodeMessage, fromJsonSafe, isValidUtf8, normalizeXDeath, toJsonSafe } from '../../src/core/message';

describe('core/message (pure)', () => {
  it('detects text, JSON and binary bodies', () => {
    const t = decodeBody(Buffer.from('héllo wörld ✓'));
    assert.equal(t.kind, 'text');
    assert.equal(t.text, 'héllo wörld ✓');
    assert.equal(t.size, Buffer.byteLength('héllo wörld ✓'));
    assert.equal(t.truncated, false);
    const j = decodeBody(Buffer.from(' {"a":[1,2,{"b":null}],"ü":"✓"} '));
    assert.equal(j.kind, 'json');
    assert.deepEqual(j.json, { a: [1, 2, { b: null }], ü: '✓' });
    assert.equal(decodeBody(Buffer.from('42'), 'application/json').kind, 'json');
    assert.equal(decodeBody(Buffer.from('42')).kind, 'text');
    assert.equal(decodeBody(Buffer.from('{not json')).kind, 'text');
    const b = decodeBody(Buffer.from([0xff, 0xfe, 0x00, 0x41]));
    assert.equal(b.kind, 'binary');
    assert.equal(b.text, undefined);
    assert.equal(b.base64, Buffer.from([0xff, 0xfe, 0x00, 0x41]).toString('base64'));
    assert.equal(b.hex, 'fffe0041');
    // valid UTF-8 but with NUL bytes: binary
    assert.equal(decodeBody(Buffer.from('ab\u0000\u0001cd')).kind, 'binary');
    const e = decodeBody(Buffer.alloc(0));
    assert.deepEqual([e.kind, e.text, e.size], ['text', '', 0]);
  });

  it('isValidUtf8 rejects overlong and truncated sequences', () => {
    assert.equal(isValidUtf8(Buffer.from('✓')), true);
    assert.equal(isValidUtf8(Buffer.from([0xc0, 0xaf])), false);
    assert.equal(isValidUtf8(Buffer.from([0xe2, 0x9c])), false);
  });

  it('truncates large bodies without splitting a character and limits hex', () => {
    const body = Buffer.from('✓'.repeat(1000)); // 3 bytes each
    const d = decodeBody(body, undefined, { maxBodyBytes: 100, hexBytes: 4 });
    assert.equal(d.truncated, true);
    assert.equal(d.size, 3000);
    assert.equal(d.kind, 'text');
    assert.equal(d.text, '✓'.repeat(33));
    assert.equal(Buffer.from(d.base64, 'base64').length, 100);
    assert.equal(d.hex, 'e29c93e2');
    const big = decodeBody(Buffer.from(JSON.stringify({ a: 'x'.repeat(500) })), 'application/json', { maxBodyBytes: 50 });
    assert.equal(big.kind, 'text', 'a truncated JSON body is not parsed');
  });

  it('makes headers JSON-safe and reversible', () => {
    const raw = {
      s: 'x',
      n: 1,
      inf: Infinity,
      big: 2n ** 70n,
      bin: Buffer.from([1, 2, 3]),
      ts: { '!': 'timestamp', value: 1700000000 },
      dec: { '!': 'decimal', value: { places: 2, digits: 12345 } },
      nested: { arr: [1, { deep: Buffer.from('hi') }] },
      nil: null,
    };
    const safe = toJsonSafe(raw);
    assert.deepEqual(safe, {
      s: 'x',
      n: 1,
      inf: 'Infinity',
      big: (2n ** 70n).toString(),
      bin: { $binary: 'AQID' },
      ts: { $timestamp: '2023-11-14T22:13:20.000Z', epoch: 1700000000 },
      dec: { $decimal: '123.45' },
      nested: { arr: [1, { deep: { $binary: 'aGk=' } }] },
      nil: null,
    });
    assert.doesNotThrow(() => JSON.stringify(safe));
    const back = fromJsonSafe(safe) as Record<string, unknown>;
    assert.deepEqual(back.bin, Buffer.from([1, 2, 3]));
    assert.deepEqual(back.ts, new Date(1700000000 * 1000));
    assert.deepEqual(back.dec, { '!': 'decimal', value: { places: 2, digits: 12345 } });
  });

  it('normalizes x-death entries', () => {
    const xd = normalizeXDeath([
      { count: 3, reason: 'rejected', queue: 'work', time: { '!': 'timestamp', value: 1700000000 }, exchange: 'ex', 'routing-keys': ['a', 'b'], 'original-expiration': '5000' },
      { count: 1, reason: 'expired', queue: 'delay', time: { '!': 'timestamp', value: 1700000100 }, exchange: '', 'routing-keys': ['delay'] },
    ]);
    assert.deepEqual(xd, [
      { count: 3, reason: 'rejected', queue: 'work', exchange: 'ex', routingKeys: ['a', 'b'], time: { iso: '2023-11-14T22:13:20.000Z', epoch: 1700000000 }, originalExpiration: '5000' },
      { count: 1, reason: 'expired', queue: 'delay', exchange: '', routingKeys: ['delay'], time: { iso: '2023-11-14T22:15:00.000Z', epoch: 1700000100 } },
    ]);
    assert.equal(normalizeXDeath(undefined), undefined);
  });

  it('decodes a whole message: properties, fields and headers', () => {
    const d = decodeMessage(
      {
        content: Buffer.from('{"ok":true}'),
        fields: { exchange: 'x', routingKey: 'rk', redelivered: true, deliveryTag: 7, consumerTag: 'c' },
        properties: {
          contentType: 'application/json',
          deliveryMode: 2,
          priority: 3,
          timestamp: 1700000000,
          headers: { 'x-death': [{ count: 1, reason: 'expired', queue: 'q', exchange: '', 'routing-keys': ['q'], time: { '!': 'timestamp', value: 1 } }] },
          correlationId: undefined,
        },
      },
      4,
    );
    assert.equal(d.index, 4);
    assert.equal(d.body.kind, 'json');
    assert.deepEqual(d.properties, { contentType: 'application/json', deliveryMode: 2, persistent: true, priority: 3, timestamp: { iso: '2023-11-14T22:13:20.000Z', epoch: 1700000000 } });
    assert.deepEqual(d.fields, { exchange: 'x', routingKey: 'rk', redelivered: true, deliveryTag: 7, consumerTag: 'c' });
    assert.equal(d.xDeath?.[0].reason, 'expired');
    assert.deepEqual((d.headers['x-death'] as Record<string, unknown>[])[0].time, { $timestamp: '1970-01-01T00:00:01.000Z', epoch: 1 });
    assert.doesNotThrow(() => JSON.stringify(d));
  });
});
