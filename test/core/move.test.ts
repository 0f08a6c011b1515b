import * as assert from 'node:assert/strict';
import * as amqp from 'amqplib';
import { AMQP_HOST, AMQP_PORT, MGMT_URL, PASSWORD, USER, createTestVhost, mgmt, type TestVhost } from '../support/broker';
import { sessionFor, startProxy } from '../support/amqpSession';
import { AmqpSession } from '../../src/core/session';
import { isRabbitError } from '../../src/core/errors';
import * as ops from '../../src/core/operations';
import { resolveProfile } from '../../src/core/profile';
import { ManagementClient } from '../../src/core/management';
import { loadTopology } from '../../src/core/topology';
import { peekMessages } from '../../src/core/peek';
import { captureRawHeaders, decodeTypedTable, rawHeaderTable, tableEntries } from '../../src/core/rawHeaders';
import { brokerMajor } from '../../src/core/model';
import { fingerprintDecoded } from '../../src/core/messageFilter';
import { MoveError, TRACKING_HEADERS, describeRedrivePlan, moveMessages, planRedrive, redrive, type MoveProgress } from '../../src/core/move';

describe('core/move (real broker)', function () {
  this.timeout(120_000);
  let vh: TestVhost;
  let s: AmqpSession;
  let raw: amqp.ChannelModel;

  before(async () => {
    vh = await createTestVhost('move');
    s = sessionFor(vh);
    raw = await amqp.connect(vh.amqpUrl, { noDelay: true });
    raw.on('error', () => undefined);
    captureRawHeaders(raw);
  });
  after(async () => {
    await raw.close().catch(() => undefined);
    await s.close();
    await vh.delete();
  });

  async function fill(queue: string, n: number, type: 'classic' | 'quorum' | 'stream' = 'classic', extra: Partial<ops.DeclareQueueOptions> = {}): Promise<string[]> {
    await ops.declareQueue(s, { name: queue, type, ...extra });
    const bodies = Array.from({ length: n }, (_, i) => `${queue}-${i}`);
    if (n) {
      const r = await ops.publishMany(s, bodies.map((body, i) => ({ exchange: '', routingKey: queue, body, messageId: `m${i}`, headers: { seq: i, kind: i % 2 ? 'odd' : 'even' } })));
      assert.equal(r.confirmed, n);
    }
    return bodies;
  }

  /** Reads (and removes) every message of a queue, in order. */
  async function drain(queue: string): Promise<amqp.ConsumeMessage[]> {
    const expected = (await ops.checkQueue(s, queue)).messageCount;
    const ch = await raw.createChannel();
    ch.on('error', () => undefined);
    await ch.prefetch(1000);
    const got: amqp.ConsumeMessage[] = [];
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`drain ${queue}: ${got.length}/${expected}`)), 60_000);
      if (expected === 0) {
        clearTimeout(t);
        resolve();
        return;
      }
      void ch.consume(queue, (m) => {
        if (!m) return;
        got.push(m);
        ch.ack(m);
        if (got.length === expected) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    await ch.close();
    return got;
  }

  const count = async (q: string): Promise<number> => (await ops.checkQueue(s, q)).messageCount;
  /** Quorum queues count messages handed back a moment later: wait for the count (bounded). */
  async function waitCount(q: string, n: number): Promise<void> {
    const end = Date.now() + 10_000;
    while ((await count(q)) !== n && Date.now() < end) await new Promise((res) => setTimeout(res, 50));
    assert.equal(await count(q), n, `${q} holds ${n}`);
  }

  it('moves 10,000 messages in order with properties, headers and tracking headers, and removes them from the source', async () => {
    const bodies = await fill('m10k-src', 10_000);
    await ops.declareQueue(s, { name: 'm10k-dst' });
    const seen: MoveProgress[] = [];
    const r = await moveMessages(s, { source: 'm10k-src', destination: { kind: 'queue', queue: 'm10k-dst' }, onProgress: (p) => seen.push(p) });
    assert.equal(r.readyBefore, 10_000);
    assert.equal(r.scanned, 10_000);
    assert.equal(r.moved, 10_000);
    assert.equal(r.unroutable + r.nacked + r.refused + r.unconfirmed + r.maybeDuplicated, 0);
    assert.equal(r.headersExact, true);
    assert.ok(seen.length > 0 && seen[seen.length - 1].moved === 10_000, 'progress reports the end');
    assert.equal(await count('m10k-src'), 0);
    const got = await drain('m10k-dst');
    assert.deepEqual(got.map((m) => m.content.toString()), bodies);
    const m = got[1234];
    assert.equal(m.properties.messageId, 'm1234');
    assert.equal(m.properties.headers?.seq, 1234);
    assert.equal(m.properties.headers?.kind, 'even');
    assert.equal(m.properties.headers?.[TRACKING_HEADERS.from], 'm10k-src');
    assert.equal(m.properties.headers?.[TRACKING_HEADERS.count], 1);
    assert.equal(m.properties.headers?.[TRACKING_HEADERS.kind], 'move');
    assert.ok(Math.abs(Number((m.properties.headers?.[TRACKING_HEADERS.at] as { value: number }).value) - Date.now() / 1000) < 600);
  });

  it('keeps every header byte for byte (types amqplib would re-guess included) and appends only the tracking headers', async () => {
    // The same message goes to a control queue and to the source through a fanout exchange.
    const ch = await raw.createConfirmChannel();
    await ch.assertExchange('fan', 'fanout', { durable: false });
    for (const q of ['bb-control', 'bb-src', 'bb-dst']) await ch.assertQueue(q, { durable: true });
    await ch.bindQueue('bb-control', 'fan', '');
    await ch.bindQueue('bb-src', 'fan', '');
    const headers = {
      i8: { '!': 'int8', value: -5 },
      u8: { '!': 'uint8', value: 200 },
      i16: { '!': 'int16', value: 5 },
      u16: { '!': 'uint16', value: 5 },
      i32: { '!': 'int32', value: 7 },
      u32: { '!': 'uint32', value: 4_000_000_000 },
      i64: { '!': 'int64', value: 9_007_199_254_740_993n },
      f32: { '!': 'float', value: 1.5 },
      f64: { '!': 'double', value: 2 },
      ts: { '!': 'timestamp', value: 1_700_000_000 },
      dec: { '!': 'decimal', value: { places: 2, digits: 12345 } },
      bin: Buffer.from([0, 1, 2, 255]),
      yes: true,
      nothing: null,
      text: 'héllo ✓',
      nested: { a: { '!': 'int16', value: 3 }, list: [1, 'two', { '!': 'int32', value: 3 }] },
    };
    ch.publish('fan', 'rk.orig', Buffer.from([1, 2, 3, 0, 254]), {
      headers,
      contentType: 'application/octet-stream',
      contentEncoding: 'identity',
      deliveryMode: 2,
      priority: 3,
      correlationId: 'c-1',
      replyTo: 'replies',
      expiration: '600000',
      messageId: 'id-1',
      timestamp: 1_700_000_001,
      type: 'order.created',
      userId: USER,
      appId: 'tests',
    } as amqp.Options.Publish);
    await ch.waitForConfirms();
    await ch.close();
    const r = await moveMessages(s, { source: 'bb-src', destination: { kind: 'queue', queue: 'bb-dst' } });
    assert.equal(r.moved, 1);
    assert.equal(r.headersExact, true);
    const [control] = await drain('bb-control');
    const [moved] = await drain('bb-dst');
    const a = rawHeaderTable(control.properties.headers)!;
    const b = rawHeaderTable(moved.properties.headers)!;
    assert.ok(a && b, 'raw header tables captured');
    assert.ok(b.length > a.length);
    const tracking: string[] = Object.values(TRACKING_HEADERS);
    const original = tableEntries(b).filter((e) => !tracking.includes(e.key));
    const controlEntries = tableEntries(a);
    // Every original header byte for byte (name, type tag, value), in the order the broker delivers them.
    assert.deepEqual(original.map((e) => e.key), controlEntries.map((e) => e.key));
    original.forEach((e, i) => assert.ok(e.bytes.equals(controlEntries[i].bytes), `header ${e.key} unchanged`));
    assert.deepEqual(tableEntries(b).filter((e) => tracking.includes(e.key)).map((e) => e.key).sort(), [...tracking].sort());
    if ((brokerMajor(s.serverInfo?.version) ?? 0) < 4) {
      // 3.x delivers a table as it was published: the original bytes come first, the tracking headers after them.
      assert.ok(b.subarray(0, a.length).equals(a), 'the original header bytes come first, unchanged');
      const tail = decodeTypedTable(b.subarray(a.length)).table;
      assert.deepEqual(Object.keys(tail).sort(), [...tracking].sort());
    } else {
      // 4.x delivers every table with its keys sorted (the control message too): the tracking headers sit among them.
      assert.deepEqual(tableEntries(b).map((e) => e.key), tableEntries(b).map((e) => e.key).sort());
    }
    assert.ok(moved.content.equals(control.content));
    for (const k of ['contentType', 'contentEncoding', 'deliveryMode', 'priority', 'correlationId', 'replyTo', 'expiration', 'messageId', 'timestamp', 'type', 'userId', 'appId'] as const) {
      assert.deepEqual(moved.properties[k], control.properties[k], k);
    }
  });

  it('copies 10,000 messages and leaves the source as it was, in order', async () => {
    const bodies = await fill('c10k-src', 10_000);
    await ops.declareQueue(s, { name: 'c10k-dst' });
    const r = await moveMessages(s, { source: 'c10k-src', destination: { kind: 'exchange', exchange: '', routingKey: 'c10k-dst' }, mode: 'copy' });
    assert.equal(r.copied, 10_000);
    assert.equal(r.moved, 0);
    assert.deepEqual((await drain('c10k-src')).map((m) => m.content.toString()), bodies);
    const dst = await drain('c10k-dst');
    assert.deepEqual(dst.map((m) => m.content.toString()), bodies);
    assert.equal(dst[0].properties.headers?.[TRACKING_HEADERS.kind], 'copy');
  });

  it('moves the first N, the selected and the matching messages only; the rest stay in order', async () => {
    const bodies = await fill('sel-src', 40);
    await ops.declareQueue(s, { name: 'sel-dst' });
    const first = await moveMessages(s, { source: 'sel-src', destination: { kind: 'queue', queue: 'sel-dst' }, selection: { kind: 'first', count: 5 } });
    assert.equal(first.moved, 5);
    assert.equal(first.scanned, 5);
    const filtered = await moveMessages(s, { source: 'sel-src', destination: { kind: 'queue', queue: 'sel-dst' }, selection: { kind: 'filter', filter: { header: { name: 'kind', value: 'odd' } } } });
    assert.equal(filtered.scanned, 35);
    assert.equal(filtered.moved, 18); // odd seq among 5..39
    assert.equal(filtered.kept, 17);
    const peek = await peekMessages(s, 'sel-src', { count: 17 });
    const pick = [peek.messages[2], peek.messages[7]];
    const selected = await moveMessages(s, { source: 'sel-src', destination: { kind: 'queue', queue: 'sel-dst' }, selection: { kind: 'selected', fingerprints: pick.map(fingerprintDecoded) } });
    assert.equal(selected.moved, 2);
    const left = (await drain('sel-src')).map((m) => m.content.toString());
    const expectLeft = bodies.slice(5).filter((_, i) => (i + 5) % 2 === 0).filter((b) => b !== pick[0].body.text && b !== pick[1].body.text);
    assert.deepEqual(left, expectLeft);
    const dst = (await drain('sel-dst')).map((m) => m.content.toString());
    assert.deepEqual(dst.slice(0, 5), bodies.slice(0, 5));
    assert.equal(dst.length, 5 + 18 + 2);
    assert.deepEqual(dst.slice(-2), [pick[0].body.text, pick[1].body.text]);
  });

  it('filters by routing key pattern, body text and JSON path, and names the field of a bad filter before anything moves', async () => {
    await ops.declareQueue(s, { name: 'f-src' });
    await ops.declareQueue(s, { name: 'f-dst' });
    await ops.bindQueue(s, { destination: 'f-src', source: 'amq.topic', routingKey: '#' });
    const msgs = [
      { rk: 'order.created', body: '{"order":{"id":1,"tenant":"acme"}}' },
      { rk: 'order.paid', body: '{"order":{"id":2,"tenant":"other"}}' },
      { rk: 'user.created', body: 'plain text with needle' },
    ];
    for (const m of msgs) await ops.publish(s, { exchange: 'amq.topic', routingKey: m.rk, body: m.body });
    await assert.rejects(moveMessages(s, { source: 'f-src', destination: { kind: 'queue', queue: 'f-dst' }, selection: { kind: 'filter', filter: { jsonPath: { path: 'order.id' } } } }), (e: unknown) => isRabbitError(e, 'INVALID_INPUT') && e.field === 'filter.jsonPath.path');
    await assert.rejects(moveMessages(s, { source: 'f-src', destination: { kind: 'queue', queue: 'f-dst' }, selection: { kind: 'filter', filter: {} } }), (e: unknown) => isRabbitError(e, 'INVALID_INPUT') && e.field === 'filter');
    assert.equal(await count('f-src'), 3);
    const byJson = await moveMessages(s, { source: 'f-src', destination: { kind: 'queue', queue: 'f-dst' }, mode: 'copy', selection: { kind: 'filter', filter: { jsonPath: { path: '$.order.tenant', equals: 'acme' } } } });
    assert.equal(byJson.copied, 1);
    const byKey = await moveMessages(s, { source: 'f-src', destination: { kind: 'queue', queue: 'f-dst' }, mode: 'copy', selection: { kind: 'filter', filter: { routingKey: 'order.*' } } });
    assert.equal(byKey.copied, 2);
    const byText = await moveMessages(s, { source: 'f-src', destination: { kind: 'queue', queue: 'f-dst' }, selection: { kind: 'filter', filter: { bodyContains: 'needle' } } });
    assert.equal(byText.moved, 1);
    assert.deepEqual((await drain('f-src')).map((m) => m.fields.routingKey), ['order.created', 'order.paid']);
    assert.deepEqual((await drain('f-dst')).map((m) => m.fields.routingKey), ['f-dst', 'f-dst', 'f-dst', 'f-dst']);
  });

  it('refuses before any message moves: missing destination, the source itself, unroutable key, no write permission, read-only connection', async () => {
    await fill('ref-src', 10);
    await ops.declareExchange(s, { name: 'ref-x', type: 'direct' });
    await assert.rejects(moveMessages(s, { source: 'ref-src', destination: { kind: 'queue', queue: 'nope' } }), (e: unknown) => isRabbitError(e, 'NOT_FOUND') && e.field === 'destination.queue');
    await assert.rejects(moveMessages(s, { source: 'ref-src', destination: { kind: 'exchange', exchange: 'nope-x', routingKey: 'k' } }), (e: unknown) => isRabbitError(e, 'NOT_FOUND') && e.field === 'destination.exchange');
    await assert.rejects(moveMessages(s, { source: 'ref-src', destination: { kind: 'queue', queue: 'ref-src' } }), (e: unknown) => isRabbitError(e, 'INVALID_INPUT') && e.field === 'destination.queue');
    const client = new ManagementClient(resolveProfile({ id: 't', name: 't', amqpUrl: vh.profileUrl, managementUrl: MGMT_URL }), { username: USER, password: PASSWORD });
    try {
      const topo = await loadTopology(client, vh.name);
      await assert.rejects(moveMessages(s, { source: 'ref-src', destination: { kind: 'exchange', exchange: 'ref-x', routingKey: 'k' }, topology: topo.snapshot }), (e: unknown) => isRabbitError(e, 'UNROUTABLE') && e.field === 'destination.routingKey');
    } finally {
      client.dispose();
    }
    // A real user without write permission: the pre-check refuses, and without it the broker does and nothing is lost.
    const user = `wb-move-ro-${Date.now()}`;
    await mgmt('PUT', `/users/${encodeURIComponent(user)}`, { password: 'pw', tags: '' });
    try {
      await mgmt('PUT', `/permissions/${encodeURIComponent(vh.name)}/${encodeURIComponent(user)}`, { configure: '', write: '', read: '.*' });
      const perms = (await (await mgmt('GET', `/permissions/${encodeURIComponent(vh.name)}/${encodeURIComponent(user)}`)).json()) as { write: string };
      const resolved = resolveProfile({ id: 'ro', name: 'ro', amqpUrl: `amqp://${user}@${AMQP_HOST}:${AMQP_PORT}/${encodeURIComponent(vh.name)}` });
      const s2 = new AmqpSession(resolved, { username: user, password: 'pw' }, { reconnect: false });
      try {
        await ops.declareQueue(s, { name: 'ref-dst' });
        await assert.rejects(moveMessages(s2, { source: 'ref-src', destination: { kind: 'queue', queue: 'ref-dst' }, writePermission: perms.write }), (e: unknown) => isRabbitError(e, 'ACCESS_REFUSED'));
        await assert.rejects(moveMessages(s2, { source: 'ref-src', destination: { kind: 'queue', queue: 'ref-dst' } }), (e: unknown) => e instanceof MoveError && e.code === 'ACCESS_REFUSED' && e.result.moved === 0);
      } finally {
        await s2.close();
      }
    } finally {
      await mgmt('DELETE', `/users/${encodeURIComponent(user)}`);
    }
    const ro = new AmqpSession(resolveProfile({ id: 'ro2', name: 'ro2', amqpUrl: vh.profileUrl, readOnly: true }), { username: USER, password: PASSWORD });
    try {
      await assert.rejects(moveMessages(ro, { source: 'ref-src', destination: { kind: 'queue', queue: 'ref-dst' } }), (e: unknown) => isRabbitError(e, 'READ_ONLY'));
    } finally {
      await ro.close();
    }
    assert.equal(await count('ref-src'), 10);
    assert.equal(await count('ref-dst'), 0);
  });

  it('keeps unroutable and nacked messages in the source and counts them', async () => {
    const bodies = await fill('un-src', 20);
    await ops.declareExchange(s, { name: 'un-x', type: 'direct' });
    const un = await moveMessages(s, { source: 'un-src', destination: { kind: 'exchange', exchange: 'un-x', routingKey: 'none' } });
    assert.equal(un.unroutable, 20);
    assert.equal(un.moved, 0);
    assert.equal(await count('un-src'), 20);
    await ops.declareQueue(s, { name: 'un-full', maxLength: 5, overflow: 'reject-publish' });
    const nk = await moveMessages(s, { source: 'un-src', destination: { kind: 'queue', queue: 'un-full' } });
    assert.equal(nk.moved, 5);
    assert.equal(nk.nacked, 15);
    assert.deepEqual((await drain('un-src')).map((m) => m.content.toString()), bodies.slice(5));
    assert.deepEqual((await drain('un-full')).map((m) => m.content.toString()), bodies.slice(0, 5));
  });

  it('cancel stops between messages: nothing is stranded unacknowledged and every message is in one place', async () => {
    const bodies = await fill('cx-src', 10_000);
    await ops.declareQueue(s, { name: 'cx-dst' });
    const ac = new AbortController();
    const r = await moveMessages(s, {
      source: 'cx-src',
      destination: { kind: 'queue', queue: 'cx-dst' },
      prefetch: 50,
      onProgress: (p) => {
        if (p.moved >= 1000) ac.abort();
      },
      signal: ac.signal,
    });
    assert.equal(r.cancelled, true);
    assert.ok(r.moved >= 1000 && r.moved < 10_000, `moved ${r.moved}`);
    const src = (await drain('cx-src')).map((m) => m.content.toString());
    const dst = (await drain('cx-dst')).map((m) => m.content.toString());
    assert.equal(dst.length, r.moved);
    assert.deepEqual([...dst, ...src], bodies);
  });

  it('a connection cut mid-way leaves every message in the source or the destination, duplicates bounded by the report', async () => {
    const bodies = await fill('cut-src', 10_000);
    await ops.declareQueue(s, { name: 'cut-dst' });
    const proxy = await startProxy();
    const s2 = sessionFor(vh, { reconnect: false }, proxy.port);
    let cut = false;
    try {
      await assert.rejects(
        moveMessages(s2, {
          source: 'cut-src',
          destination: { kind: 'queue', queue: 'cut-dst' },
          prefetch: 100,
          onProgress: (p) => {
            if (!cut && p.moved >= 2000) {
              cut = true;
              proxy.cut();
            }
          },
        }),
        (e: unknown) => {
          assert.ok(e instanceof MoveError, String(e));
          const r = e.result;
          assert.equal(r.stopReason, 'error');
          (globalThis as { lastCut?: unknown }).lastCut = r;
          return true;
        },
      );
    } finally {
      await s2.close();
      await proxy.close();
    }
    const r = (globalThis as { lastCut?: { maybeDuplicated: number; moved: number } }).lastCut!;
    await new Promise((res) => setTimeout(res, 300));
    const src = (await drain('cut-src')).map((m) => m.content.toString());
    const dst = (await drain('cut-dst')).map((m) => m.content.toString());
    const all = new Set([...src, ...dst]);
    assert.equal(all.size, 10_000, 'every message is somewhere');
    for (const b of bodies) assert.ok(all.has(b));
    const duplicates = src.length + dst.length - 10_000;
    assert.ok(duplicates <= r.maybeDuplicated, `duplicates ${duplicates} <= reported ${r.maybeDuplicated}`);
  });

  it('quorum: moves and copies in order; copy never lets the delivery limit drop a message', async () => {
    const bodies = await fill('q-src', 300, 'quorum');
    await ops.declareQueue(s, { name: 'q-dst', type: 'quorum' });
    await assert.rejects(moveMessages(s, { source: 'q-src', destination: { kind: 'queue', queue: 'q-dst' }, mode: 'copy' }), (e: unknown) => isRabbitError(e, 'INVALID_INPUT') && e.field === 'deliveryLimit');
    const c = await moveMessages(s, { source: 'q-src', destination: { kind: 'queue', queue: 'q-dst' }, mode: 'copy', deliveryLimit: null });
    assert.equal(c.copied, 300);
    await waitCount('q-src', 300);
    assert.equal(c.sourceType, 'quorum');
    const m = await moveMessages(s, { source: 'q-src', destination: { kind: 'queue', queue: 'q-dst' }, deliveryLimit: null });
    assert.equal(m.moved, 300);
    // The acks took effect before the channel closed: none of the moved messages comes back to the source.
    await waitCount('q-src', 0);
    await new Promise((res) => setTimeout(res, 500));
    assert.equal(await count('q-src'), 0, 'moved messages handed back to the quorum source');
    assert.deepEqual((await drain('q-dst')).map((x) => x.content.toString()), [...bodies, ...bodies]);

    // Limit 1: a message handed back twice is dropped. Each message is read once first (count 1), so a copy
    // that handed them back would drop every one of them.
    const limited = await fill('ql-src', 20, 'quorum', { deliveryLimit: 1 });
    await ops.declareQueue(s, { name: 'ql-dst' });
    await peekMessages(s, 'ql-src', { count: 20 });
    await waitCount('ql-src', 20);
    const cl = await moveMessages(s, { source: 'ql-src', destination: { kind: 'queue', queue: 'ql-dst' }, mode: 'copy', deliveryLimit: 1 });
    assert.equal(cl.copied, 20);
    assert.equal(cl.keptAtBack, 20);
    assert.ok(cl.notes.some((n) => n.includes('delivery')), cl.notes.join(' | '));
    await waitCount('ql-src', 20);
    assert.deepEqual((await drain('ql-src')).map((x) => x.content.toString()).sort(), [...limited].sort());
    assert.deepEqual((await drain('ql-dst')).map((x) => x.content.toString()), limited);
  });

  it('streams are copied, never moved', async () => {
    const bodies = await fill('st-src', 50, 'stream');
    await ops.declareQueue(s, { name: 'st-dst' });
    await assert.rejects(moveMessages(s, { source: 'st-src', destination: { kind: 'queue', queue: 'st-dst' } }), (e: unknown) => isRabbitError(e, 'INVALID_INPUT') && e.field === 'mode');
    const r = await moveMessages(s, { source: 'st-src', destination: { kind: 'queue', queue: 'st-dst' }, mode: 'copy' });
    assert.equal(r.sourceType, 'stream');
    assert.equal(r.copied, 50);
    assert.deepEqual((await drain('st-dst')).map((x) => x.content.toString()), bodies);
  });

  it('moves to the back of the same queue only when chosen explicitly, and once', async () => {
    const bodies = await fill('back', 30);
    const r = await moveMessages(s, { source: 'back', destination: { kind: 'sameQueueBack' }, selection: { kind: 'filter', filter: { header: { name: 'kind', value: 'even' } } } });
    assert.equal(r.moved, 15);
    const got = (await drain('back')).map((m) => m.content.toString());
    assert.deepEqual(got, [...bodies.filter((_, i) => i % 2 === 1), ...bodies.filter((_, i) => i % 2 === 0)]);
  });

  it('redrive: plans by origin, then moves each group back; messages without x-death stay', async () => {
    await ops.declareExchange(s, { name: 'orders', type: 'topic' });
    await ops.declareExchange(s, { name: 'dlx', type: 'fanout' });
    await ops.declareQueue(s, { name: 'dlq' });
    await ops.bindQueue(s, { destination: 'dlq', source: 'dlx', routingKey: '' });
    await ops.declareQueue(s, { name: 'work', deadLetterExchange: 'dlx' });
    await ops.bindQueue(s, { destination: 'work', source: 'orders', routingKey: 'order.*' });
    await ops.declareQueue(s, { name: 'billing', deadLetterExchange: 'dlx' });
    for (let i = 0; i < 30; i++) await ops.publish(s, { exchange: 'orders', routingKey: 'order.created', body: `o${i}`, headers: { n: i } });
    for (let i = 0; i < 5; i++) await ops.publish(s, { exchange: '', routingKey: 'billing', body: `b${i}` });
    await ops.publish(s, { exchange: '', routingKey: 'dlq', body: 'stray' });
    // Reject everything in work and billing: they are dead-lettered to dlq with x-death.
    for (const q of ['work', 'billing']) {
      const ch = await raw.createChannel();
      const n = await count(q);
      await new Promise<void>((resolve) => {
        let k = 0;
        void ch.consume(q, (m) => {
          if (!m) return;
          ch.nack(m, false, false);
          if (++k === n) resolve();
        });
      });
      await ch.close();
    }
    await new Promise((res) => setTimeout(res, 200));
    assert.equal(await count('dlq'), 36);
    const plan = await planRedrive(s, { source: 'dlq' });
    assert.equal(plan.dryRun, true);
    assert.equal(await count('dlq'), 36);
    assert.equal(describeRedrivePlan(plan), '30 → exchange orders / key order.created, 5 → queue billing, 1 without x-death stay');
    const done = await redrive(s, { source: 'dlq' });
    assert.equal(done.moved, 35);
    assert.equal(done.withoutXDeath, 1);
    assert.deepEqual((await drain('dlq')).map((m) => m.content.toString()), ['stray']);
    const work = await drain('work');
    assert.deepEqual(work.map((m) => m.content.toString()), Array.from({ length: 30 }, (_, i) => `o${i}`));
    assert.equal(work[3].properties.headers?.n, 3);
    assert.equal(work[3].properties.headers?.[TRACKING_HEADERS.kind], 'redrive');
    assert.ok(Array.isArray(work[3].properties.headers?.['x-death']), 'x-death history kept');
    assert.deepEqual((await drain('billing')).map((m) => m.content.toString()), ['b0', 'b1', 'b2', 'b3', 'b4']);
  });
});
