// The one property schema every publish path reads (src/core/messageProperties.ts): unknown names and bad values
// refused with the field and the allowed values; what it accepts reaches the broker unchanged. Also: a body that
// starts with a UTF-8 BOM survives peek → save (JSON Lines) → republish byte for byte.
import * as assert from 'node:assert/strict';
import * as amqp from 'amqplib';
import { isRabbitError, type RabbitError } from '../../src/core/errors';
import { decodeBody, decodeMessage } from '../../src/core/message';
import { parseMessageProperties, PROPERTY_NAMES } from '../../src/core/messageProperties';
import * as ops from '../../src/core/operations';
import { peekMessages } from '../../src/core/peek';
import type { AmqpSession } from '../../src/core/session';
import { parseJsonLines, toJsonLines, decodedToPublish } from '../../src/features/messaging/jsonl';
import { INSPECTOR_DECODE } from '../../src/features/messaging/inspectorModel';
import { sessionFor } from '../support/amqpSession';
import { createTestVhost, type TestVhost } from '../support/broker';

function refused(input: unknown, field: string, allowed?: RegExp): RabbitError {
  let caught: unknown;
  try {
    parseMessageProperties(input);
  } catch (e) {
    caught = e;
  }
  assert.ok(isRabbitError(caught, 'INVALID_INPUT'), `expected INVALID_INPUT for ${JSON.stringify(input)}, got ${String(caught)}`);
  assert.equal(caught.field, field);
  assert.ok(caught.message.startsWith(`${field}:`), `names the field: ${caught.message}`);
  if (allowed) assert.match(caught.message, allowed);
  return caught;
}

describe('core/messageProperties (pure)', () => {
  it('refuses every bad value, naming the field and the allowed values', () => {
    refused({ deliveryMode: 3 }, 'properties.deliveryMode', /1 \(transient\) or 2 \(persistent\)/);
    refused({ deliveryMode: '2' }, 'properties.deliveryMode', /1 \(transient\) or 2/);
    refused({ priority: 256 }, 'properties.priority', /0 to 255/);
    refused({ priority: -1 }, 'properties.priority', /0 to 255/);
    refused({ priority: 1.5 }, 'properties.priority', /whole number/);
    refused({ priority: 'high' }, 'properties.priority', /0 to 255/);
    refused({ expiration: -5 }, 'properties.expiration', /whole number of milliseconds/);
    refused({ expiration: 1.5 }, 'properties.expiration', /whole number of milliseconds/);
    refused({ expiration: '-5' }, 'properties.expiration', /whole number of milliseconds/);
    refused({ expiration: 2 ** 32 }, 'properties.expiration', /4294967295/);
    refused({ messageId: 42 }, 'properties.messageId', /must be a string/);
    refused({ correlationId: { a: 1 } }, 'properties.correlationId', /must be a string/);
    refused({ contentType: true }, 'properties.contentType', /must be a string/);
    refused({ appId: 'x'.repeat(256) }, 'properties.appId', /256 bytes/);
    refused({ persistent: 'yes' }, 'properties.persistent', /true .* or false/);
    refused({ persistent: true, deliveryMode: 1 }, 'properties.persistent', /deliveryMode is 1/);
    refused({ timestamp: 'yesterday' }, 'properties.timestamp', /ISO date/);
    refused({ timestamp: -1 }, 'properties.timestamp', /seconds since the epoch/);
    refused('deliveryMode=2', 'properties', /object/);
    refused([1], 'properties', /object/);
  });

  it('refuses unknown names and lists the known ones', () => {
    const e = refused({ deliverymode: 2 }, 'properties.deliverymode', /not an AMQP message property/);
    for (const n of PROPERTY_NAMES) assert.ok(e.message.includes(n), `lists ${n}: ${e.message}`);
    refused({ headers: {} }, 'properties.headers', /"headers" next to "properties"/);
    refused({ clusterId: 'c' }, 'properties.clusterId', /deprecated/);
  });

  it('names the field with the caller\'s prefix and refuses reserved names', () => {
    assert.throws(() => parseMessageProperties({ priority: 300 }, { field: 'line 4.properties' }), (e: unknown) => isRabbitError(e) && e.field === 'line 4.properties.priority');
    assert.throws(
      () => parseMessageProperties({ replyTo: 'q' }, { reserved: { replyTo: 'The RPC client sets it.' } }),
      (e: unknown) => isRabbitError(e) && e.field === 'properties.replyTo' && /RPC client/.test(e.message),
    );
  });

  it('converts what it accepts; null and (in forms) "" mean "not set"', () => {
    assert.deepEqual(parseMessageProperties({ deliveryMode: 2, priority: '7', expiration: 60000, messageId: '42', timestamp: '2024-01-02T03:04:05Z' }), {
      deliveryMode: 2,
      priority: 7,
      expiration: '60000',
      messageId: '42',
      timestamp: Date.UTC(2024, 0, 2, 3, 4, 5) / 1000,
    });
    assert.deepEqual(parseMessageProperties({ persistent: false }), { deliveryMode: 1 });
    assert.deepEqual(parseMessageProperties({ persistent: true, deliveryMode: 2 }), { deliveryMode: 2 });
    assert.deepEqual(parseMessageProperties({ timestamp: true }, { now: 1_700_000_000_500 }), { timestamp: 1_700_000_000 });
    assert.deepEqual(parseMessageProperties({ contentType: null, appId: '' }, { emptyIsUnset: true }), {});
    assert.deepEqual(parseMessageProperties({ appId: '' }), { appId: '' });
    assert.deepEqual(parseMessageProperties(undefined), {});
  });

  it('keeps a UTF-8 BOM in the decoded text (TextDecoder would drop it)', () => {
    const bytes = Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from('{"a":1}')]);
    const b = decodeBody(bytes, 'application/json');
    assert.equal(b.kind, 'json');
    assert.equal(b.text, '\ufeff{"a":1}');
    assert.deepEqual(Buffer.from(b.text!, 'utf8'), bytes);
  });
});

describe('core/messageProperties (real broker)', () => {
  let vh: TestVhost;
  let s: AmqpSession;
  let raw: amqp.ChannelModel;
  let ch: amqp.Channel;

  before(async () => {
    vh = await createTestVhost('props');
    s = sessionFor(vh);
    raw = await amqp.connect(vh.amqpUrl, { noDelay: true });
    raw.on('error', () => undefined);
    ch = await raw.createChannel();
  });
  after(async () => {
    await raw?.close().catch(() => undefined);
    await s?.close();
    await vh?.delete();
  });

  async function getOne(queue: string): Promise<amqp.GetMessage> {
    for (let i = 0; i < 100; i++) {
      const m = await ch.get(queue, { noAck: true });
      if (m) return m;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no message in ${queue}`);
  }

  it('what the schema accepts reaches the broker as given', async () => {
    await ch.assertQueue('props', { durable: true, arguments: { 'x-max-priority': 10 } });
    const props = parseMessageProperties({ persistent: true, priority: '9', expiration: '60000', messageId: '42', correlationId: 'c-1', appId: 'test', type: 't', contentType: 'text/plain', contentEncoding: 'identity', timestamp: 1_700_000_000 });
    const r = await ops.publish(s, { exchange: '', routingKey: 'props', body: 'x', ...props });
    assert.equal(r.routed, true);
    const m = await getOne('props');
    assert.equal(m.properties.deliveryMode, 2);
    assert.equal(m.properties.priority, 9);
    assert.equal(m.properties.expiration, '60000');
    assert.equal(m.properties.messageId, '42');
    assert.equal(m.properties.correlationId, 'c-1');
    assert.equal(m.properties.timestamp, 1_700_000_000);
  });

  it('a body with a UTF-8 BOM round-trips exactly: peek → save as JSON Lines → republish', async () => {
    await ch.assertQueue('bom-src', { durable: true });
    await ch.assertQueue('bom-dst', { durable: true });
    const bodies = [Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from('{"id":1}')]), Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from('hello')]), Buffer.from([0xef, 0xbb, 0xbf])];
    for (const b of bodies) ch.sendToQueue('bom-src', b, { contentType: 'application/json' });
    await ch.checkQueue('bom-src');
    const peeked = await peekMessages(s, 'bom-src', { count: 3, decode: INSPECTOR_DECODE });
    assert.equal(peeked.messages.length, 3);
    // Save: the inspector's JSON Lines text, written to disk as UTF-8 and read back.
    const file = Buffer.from(toJsonLines(peeked.messages), 'utf8').toString('utf8');
    const fromFile = parseJsonLines(file, {}).map((m) => ({ ...m, routingKey: 'bom-dst' }));
    // Republish straight from the inspector too.
    const direct = peeked.messages.map((d) => decodedToPublish(d, { exchange: '', routingKey: 'bom-dst' }));
    const r = await ops.publishMany(s, [...fromFile, ...direct]);
    assert.equal(r.confirmed, 6);
    const got: Buffer[] = [];
    for (let i = 0; i < 6; i++) got.push((await getOne('bom-dst')).content);
    assert.deepEqual(got.map((b) => b.toString('hex')), [...bodies, ...bodies].map((b) => b.toString('hex')));
    // Decoding what arrived keeps the BOM in the text shown.
    assert.equal(decodeMessage({ content: got[1], fields: {}, properties: {} }, 0).body.text, '\ufeffhello');
  });
});
