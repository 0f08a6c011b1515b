// Dead letters and moving messages in a real VS Code against the real broker: move and copy 10,000 messages
// (counts before and after, order, properties and headers unchanged, tracking headers), refusals before any
// message moves (missing destination, the source itself, an unroutable key, a user without write permission, a
// read-only connection), cancel mid-way leaves nothing unacknowledged, redrive plan and redrive by origin, the
// inspector's "Send back to origin" as a move, export of a whole queue and publishing the file back, and the
// Dead letters view listing dead-letter targets.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as amqp from 'amqplib';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../src/extension';
import type { DeadLetterEntry } from '../../src/features/deadLetters/deadLettersView';
import type { ExportResult, ImportResult } from '../../src/features/deadLetters/exportImport';
import type { MoveCommandResult } from '../../src/features/deadLetters/moveCommand';
import type { MoveResult } from '../../src/core/move';
import type { RedriveCommandResult } from '../../src/features/deadLetters/redriveCommand';
import type { PeekCommandResult } from '../../src/features/messaging/peekCommand';
import { startProxy } from '../support/amqpSession';
import { AMQP_HOST, AMQP_PORT, createTestVhost, mgmt, MGMT_URL, PASSWORD, type TestVhost } from '../support/broker';

const EXTENSION_ID = 'rabbitmq-workbench.rabbitmq-workbench';
const N = 10_000;

function run<T>(command: string, ...args: unknown[]): Promise<T> {
  return Promise.resolve(vscode.commands.executeCommand<T>(command, ...args));
}

async function rejectsWith(p: Promise<unknown>, code: string, field?: string | RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    const err = e as { code?: string; field?: string; message?: string };
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
    if (typeof field === 'string') assert.equal(err.field, field);
    else if (field) assert.match(err.field ?? '', field);
    return true;
  });
}

async function waitFor(what: string, pred: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('dead letters and moving messages', function () {
  this.timeout(180_000);
  let api: ExtensionApi;
  let v: TestVhost;
  let connectionId: string;
  let readOnlyId: string;
  let limitedId: string;
  let conn: amqp.ChannelModel;
  let ch: amqp.Channel;
  let pub: amqp.ConfirmChannel;
  const limitedUser = `wb-dl-limited-${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'rmqwb-dl-'));

  const scope = () => ({ connectionId, vhost: v.name });
  const depth = async (q: string) => (await ch.checkQueue(q)).messageCount;

  /** Publishes n messages with a sequence number, typed headers and properties, and waits for the confirms. */
  async function fill(queue: string, n: number, from = 0): Promise<void> {
    for (let i = from; i < from + n; i++) {
      pub.sendToQueue(queue, Buffer.from(`m-${i}`), {
        persistent: true,
        messageId: `id-${i}`,
        correlationId: `c-${i % 7}`,
        contentType: 'text/plain',
        timestamp: 1_700_000_000 + i,
        headers: { seq: i, tenant: i % 2 ? 'a' : 'b', big: { '!': 'int64', value: 2 ** 40 }, flag: true },
      });
      if (i % 1000 === 999) await pub.waitForConfirms();
    }
    await pub.waitForConfirms();
  }

  /** Reads every message of a queue (removing them), in order. */
  async function drain(queue: string): Promise<amqp.Message[]> {
    const expected = await depth(queue);
    const out: amqp.Message[] = [];
    if (expected === 0) return out;
    const c = await conn.createChannel();
    await c.prefetch(1000);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`drain ${queue}: ${out.length}/${expected}`)), 60_000);
      void c.consume(queue, (m) => {
        if (!m) return;
        out.push(m);
        c.ack(m);
        if (out.length === expected) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    await c.close();
    return out;
  }

  before(async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    v = await createTestVhost('deadletters');
    connectionId = (await run<{ id: string }>('rabbitmq.addConnection', { name: 'dl-test', amqpUrl: v.profileUrl, managementUrl: MGMT_URL, password: PASSWORD })).id;
    readOnlyId = (await run<{ id: string }>('rabbitmq.addConnection', { name: 'dl-ro', amqpUrl: v.profileUrl, managementUrl: MGMT_URL, password: PASSWORD, readOnly: true })).id;
    // A user that may read everything in the vhost but publish nowhere (and may not read its own permissions).
    await mgmt('PUT', `/users/${limitedUser}`, { password: 'limited-pw', tags: 'management' });
    await mgmt('PUT', `/permissions/${encodeURIComponent(v.name)}/${limitedUser}`, { configure: '', write: '^$', read: '.*' });
    limitedId = (await run<{ id: string }>('rabbitmq.addConnection', {
      name: 'dl-limited',
      amqpUrl: `amqp://${limitedUser}@${AMQP_HOST}:${AMQP_PORT}/${encodeURIComponent(v.name)}`,
      managementUrl: MGMT_URL,
      password: 'limited-pw',
    })).id;
    assert.equal(api.connections.profile(readOnlyId).readOnly, true);
    conn = await amqp.connect(v.amqpUrl, { noDelay: true });
    ch = await conn.createChannel();
    pub = await conn.createConfirmChannel();
    for (const q of ['src', 'dst', 'dlq', 'bulk', 'back']) await ch.assertQueue(q, { durable: true });
    await ch.assertQueue('work', { durable: true, arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dlq' } });
    await ch.assertQueue('billing', { durable: true, arguments: { 'x-queue-type': 'quorum', 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dlq' } });
    await ch.assertExchange('orders', 'direct', { durable: true });
    await ch.bindQueue('work', 'orders', 'order.created');
    await ch.bindQueue('dst', 'orders', 'to-dst');
  });

  after(async () => {
    await conn?.close().catch(() => undefined);
    for (const id of [connectionId, readOnlyId, limitedId]) if (id) await run('rabbitmq.removeConnection', { id, confirm: true }).catch(() => undefined);
    await mgmt('DELETE', `/users/${limitedUser}`).catch(() => undefined);
    await v?.delete();
  });

  it('moves 10,000 messages in order with properties and headers unchanged and tracking headers added', async () => {
    await ch.purgeQueue('src');
    await ch.purgeQueue('dst');
    await fill('src', N);
    assert.equal(await depth('src'), N);
    const r = await run<MoveCommandResult>('rabbitmq.moveMessages', { ...scope(), queue: 'src', to: { queue: 'dst' }, quiet: true });
    assert.equal(r.serverSide, false);
    if (r.serverSide) return;
    assert.equal(r.moved, N);
    assert.deepEqual([r.unroutable, r.nacked, r.refused, r.unconfirmed, r.maybeDuplicated], [0, 0, 0, 0, 0]);
    assert.equal(await depth('src'), 0);
    assert.equal(await depth('dst'), N);
    const got = await drain('dst');
    assert.equal(got.length, N);
    got.forEach((m, i) => {
      assert.equal(m.content.toString(), `m-${i}`, `order at ${i}`);
      const h = m.properties.headers!;
      assert.equal(h.seq, i);
      assert.equal(h.tenant, i % 2 ? 'a' : 'b');
      assert.equal(h.big, 2 ** 40);
      assert.equal(h.flag, true);
      assert.equal(m.properties.messageId, `id-${i}`);
      assert.equal(m.properties.correlationId, `c-${i % 7}`);
      assert.equal(m.properties.contentType, 'text/plain');
      assert.equal(m.properties.timestamp, 1_700_000_000 + i);
      assert.equal(m.properties.deliveryMode, 2);
      assert.equal(h['x-workbench-moved-from'], 'src');
      assert.equal(h['x-workbench-move-count'], 1);
      assert.equal(h['x-workbench-move-kind'], 'move');
    });
  });

  it('copies messages: the source keeps every message in its order', async () => {
    await ch.purgeQueue('src');
    await ch.purgeQueue('dst');
    await fill('src', 2000);
    const r = await run<MoveCommandResult>('rabbitmq.moveMessages', { ...scope(), queue: 'src', mode: 'copy', to: { exchange: 'orders', routingKey: 'to-dst' }, quiet: true });
    assert.ok(!r.serverSide);
    if (r.serverSide) return;
    assert.equal(r.copied, 2000);
    assert.equal(r.moved, 0);
    assert.equal(await depth('src'), 2000);
    assert.equal(await depth('dst'), 2000);
    const src = await drain('src');
    src.forEach((m, i) => assert.equal(m.content.toString(), `m-${i}`, `source order at ${i}`));
    assert.equal(src[0].properties.headers?.['x-workbench-moved-from'], undefined, 'the source is unchanged');
    const dst = await drain('dst');
    dst.forEach((m, i) => assert.equal(m.content.toString(), `m-${i}`, `copy order at ${i}`));
    assert.equal(dst[0].properties.headers?.['x-workbench-move-kind'], 'copy');
  });

  it('moves the first N and those matching a filter; the rest stay in order', async () => {
    await ch.purgeQueue('src');
    await ch.purgeQueue('dst');
    await fill('src', 100);
    const first = await run<MoveCommandResult>('rabbitmq.moveMessages', { ...scope(), queue: 'src', to: { queue: 'dst' }, selection: { kind: 'first', count: 10 }, quiet: true });
    assert.ok(!first.serverSide && first.moved === 10);
    const filtered = await run<MoveCommandResult>('rabbitmq.moveMessages', { ...scope(), queue: 'src', to: { queue: 'dst' }, selection: { kind: 'filter', filter: { header: { name: 'tenant', value: 'a' } } }, quiet: true });
    assert.ok(!filtered.serverSide && filtered.moved === 45, `moved ${filtered.serverSide ? '?' : filtered.moved}`);
    assert.equal(await depth('src'), 45);
    const left = await drain('src');
    assert.deepEqual(left.map((m) => m.properties.headers?.seq), Array.from({ length: 45 }, (_, k) => 10 + 2 * k));
    const moved = await drain('dst');
    assert.equal(moved.length, 55);
  });

  it('refuses before any message moves: missing destination, the source itself, unroutable key, no write permission, read-only', async () => {
    await ch.purgeQueue('src');
    await ch.purgeQueue('dst');
    await fill('src', 50);
    const attempt = (extra: Record<string, unknown>, id = connectionId) => run('rabbitmq.moveMessages', { connectionId: id, vhost: v.name, queue: 'src', quiet: true, ...extra });
    await rejectsWith(attempt({ to: { queue: 'no-such-queue' } }), 'NOT_FOUND', 'destination.queue');
    await rejectsWith(attempt({ to: { exchange: 'no-such-exchange', routingKey: 'k' } }), 'NOT_FOUND', 'destination.exchange');
    await rejectsWith(attempt({ to: { queue: 'src' } }), 'INVALID_INPUT', 'destination.queue');
    await rejectsWith(attempt({ to: { exchange: '', routingKey: 'src' } }), 'INVALID_INPUT', 'destination.routingKey');
    await rejectsWith(attempt({ to: { exchange: 'orders', routingKey: 'nobody-binds-this' } }), 'UNROUTABLE', 'destination.routingKey');
    await rejectsWith(attempt({ to: { queue: 'dst' } }, limitedId), 'ACCESS_REFUSED', 'destination');
    await rejectsWith(attempt({ to: { queue: 'dst' } }, readOnlyId), 'READ_ONLY');
    await rejectsWith(run('rabbitmq.redriveDeadLetters', { connectionId: readOnlyId, vhost: v.name, queue: 'src', confirm: true, quiet: true }), 'READ_ONLY');
    // Nothing moved, nothing left unacknowledged: every message is ready in the source, in order.
    assert.equal(await depth('src'), 50);
    assert.equal(await depth('dst'), 0);
    const left = await drain('src');
    assert.deepEqual(left.map((m) => m.content.toString()), Array.from({ length: 50 }, (_, i) => `m-${i}`));
  });

  it('moves to the back of the same queue only when chosen explicitly', async () => {
    await ch.purgeQueue('src');
    await fill('src', 20);
    const r = await run<MoveCommandResult>('rabbitmq.moveMessages', { ...scope(), queue: 'src', to: 'sameQueueBack', selection: { kind: 'first', count: 5 }, quiet: true });
    assert.ok(!r.serverSide && r.moved === 5);
    const all = await drain('src');
    assert.deepEqual(all.map((m) => m.properties.headers?.seq), [...Array.from({ length: 15 }, (_, i) => i + 5), 0, 1, 2, 3, 4]);
  });

  it('cancel mid-way leaves nothing unacknowledged: source + destination hold every message', async () => {
    await ch.purgeQueue('src');
    await ch.purgeQueue('dst');
    await fill('src', N);
    const ac = new AbortController();
    const p = run<MoveCommandResult>('rabbitmq.moveMessages', { ...scope(), queue: 'src', to: { queue: 'dst' }, quiet: true, signal: ac.signal });
    await waitFor('some moved', async () => (await depth('dst')) >= 500);
    ac.abort();
    const r = await p;
    assert.ok(!r.serverSide);
    if (r.serverSide) return;
    assert.equal(r.cancelled, true);
    assert.ok(r.moved > 0 && r.moved < N, `moved ${r.moved}`);
    // Every message is ready again somewhere: none is stranded unacknowledged on a channel.
    // Handed back by closing the channel: the broker requeues them just after its close-ok.
    await waitFor('every message ready again', async () => (await depth('src')) + (await depth('dst')) === N + r.maybeDuplicated);
    const src = await depth('src');
    const dst = await depth('dst');
    assert.equal(dst, r.moved + r.maybeDuplicated);
    // Ready counts exclude unacknowledged messages: src + dst = N means none is held on a channel.
    const left = await drain('src');
    assert.equal(left.length, src);
    assert.deepEqual(left.map((m) => m.properties.headers?.seq), Array.from({ length: src }, (_, i) => N - src + i), 'the rest stay in order');
    await ch.purgeQueue('src');
    await ch.purgeQueue('dst');
  });

  it('a connection cut mid-way: every message is in the source or the destination, duplicates bounded by the report', async () => {
    await ch.purgeQueue('src');
    await ch.purgeQueue('dst');
    await fill('src', N);
    const proxy = await startProxy();
    const viaProxy = (await run<{ id: string }>('rabbitmq.addConnection', {
      name: 'dl-proxy',
      amqpUrl: `amqp://guest@127.0.0.1:${proxy.port}/${encodeURIComponent(v.name)}`,
      managementUrl: MGMT_URL,
      password: PASSWORD,
    })).id;
    let result: MoveResult | undefined;
    try {
      const p = run<MoveCommandResult>('rabbitmq.moveMessages', { connectionId: viaProxy, vhost: v.name, queue: 'src', to: { queue: 'dst' }, quiet: true });
      await waitFor('some moved', async () => (await depth('dst')) >= 2000);
      proxy.cut();
      await assert.rejects(p, (e: unknown) => {
        result = (e as { result?: MoveResult }).result;
        assert.ok(result, `a MoveError with the counts, got ${String(e)}`);
        assert.equal(result.stopReason, 'error');
        return true;
      });
    } finally {
      await run('rabbitmq.removeConnection', { id: viaProxy, confirm: true }).catch(() => undefined);
      await proxy.close();
    }
    await new Promise((r) => setTimeout(r, 300));
    const src = (await drain('src')).map((m) => m.content.toString());
    const dst = (await drain('dst')).map((m) => m.content.toString());
    const all = new Set([...src, ...dst]);
    assert.equal(all.size, N, 'every message is somewhere');
    const duplicates = src.length + dst.length - N;
    assert.ok(duplicates <= result!.maybeDuplicated, `duplicates ${duplicates} <= reported ${result!.maybeDuplicated}`);
  });

  it('a stream as source is copied, never moved, and the report says so', async () => {
    await ch.assertQueue('events', { durable: true, arguments: { 'x-queue-type': 'stream' } });
    await ch.purgeQueue('dst');
    for (let i = 0; i < 50; i++) pub.sendToQueue('events', Buffer.from(`e-${i}`), { persistent: true });
    await pub.waitForConfirms();
    const r = await run<MoveCommandResult>('rabbitmq.moveMessages', { ...scope(), queue: 'events', mode: 'move', to: { queue: 'dst' }, quiet: true });
    assert.ok(!r.serverSide);
    if (r.serverSide) return;
    assert.equal(r.sourceType, 'stream');
    assert.equal(r.mode, 'copy');
    assert.equal(r.copied, 50);
    assert.equal(r.moved, 0);
    assert.ok(r.notes.some((n) => /stream/.test(n)), r.notes.join(' '));
    assert.deepEqual((await drain('dst')).map((m) => m.content.toString()), Array.from({ length: 50 }, (_, i) => `e-${i}`));
  });

  it('moves out of a quorum queue in order', async () => {
    await ch.assertQueue('q-src', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await ch.purgeQueue('dst');
    await fill('q-src', 500);
    const r = await run<MoveCommandResult>('rabbitmq.moveMessages', { ...scope(), queue: 'q-src', to: { queue: 'dst' }, quiet: true });
    assert.ok(!r.serverSide && r.moved === 500 && r.sourceType === 'quorum');
    // A quorum queue applies acks through its log: its ready count reaches 0 shortly after the last ack.
    await waitFor('q-src empty', async () => (await depth('q-src')) === 0);
    assert.deepEqual((await drain('dst')).map((m) => m.content.toString()), Array.from({ length: 500 }, (_, i) => `m-${i}`));
  });

  it('server-side move with a dynamic shovel where the plugin is present; refused up front where it is not', async () => {
    await ch.purgeQueue('src');
    await ch.purgeQueue('dst');
    await fill('src', 1000);
    const plugin = (await mgmt('GET', '/shovels').then((res) => res.status, () => 0)) === 200;
    const attempt = run<MoveCommandResult>('rabbitmq.moveMessages', { ...scope(), queue: 'src', to: { queue: 'dst' }, serverSide: true, quiet: true });
    if (!plugin) {
      await rejectsWith(attempt, 'INVALID_INPUT', 'serverSide');
      assert.equal(await depth('src'), 1000, 'nothing moved');
      return;
    }
    const r = await attempt;
    assert.ok(r.serverSide);
    if (!r.serverSide) return;
    assert.equal(r.moved, 1000);
    assert.equal(await depth('src'), 0);
    assert.deepEqual((await drain('dst')).map((m) => m.content.toString()), Array.from({ length: 1000 }, (_, i) => `m-${i}`));
    assert.equal((await mgmt('GET', `/parameters/shovel/${encodeURIComponent(v.name)}/${encodeURIComponent(r.name)}`).then((res) => res.status, () => 404)), 404, 'the shovel is removed');
  });

  /** Dead-letters n messages published to orders/order.created (→ work → rejected → dlq), plus `plain` without x-death. */
  async function deadLetter(n: number, plain: number): Promise<void> {
    for (let i = 0; i < n; i++) pub.publish('orders', 'order.created', Buffer.from(`dl-${i}`), { persistent: true, messageId: `dl-${i}`, headers: { seq: i } });
    await pub.waitForConfirms();
    await waitFor('in work', async () => (await depth('work')) === n);
    const c = await conn.createChannel();
    await c.prefetch(500);
    let k = 0;
    await new Promise<void>((resolve) => {
      void c.consume('work', (m) => {
        if (!m) return;
        c.nack(m, false, false);
        if (++k === n) resolve();
      });
    });
    await c.close();
    for (let i = 0; i < plain; i++) pub.sendToQueue('dlq', Buffer.from(`plain-${i}`), { persistent: true });
    await pub.waitForConfirms();
    await waitFor('dead-lettered', async () => (await depth('dlq')) === n + plain);
  }

  it('redrive: a dry run shows the plan and moves nothing; then each origin gets its messages back, in order', async () => {
    await ch.purgeQueue('dlq');
    await ch.purgeQueue('work');
    await deadLetter(300, 2);
    const dry = await run<RedriveCommandResult>('rabbitmq.redriveDeadLetters', { ...scope(), queue: 'dlq', dryRun: true, quiet: true });
    assert.equal(dry.result, undefined);
    assert.equal(dry.plan.groups?.length, 1);
    const g = dry.plan.groups![0];
    assert.deepEqual([g.exchange, g.routingKeys, g.queue, g.count], ['orders', ['order.created'], 'work', 300]);
    assert.equal(dry.plan.withoutXDeath, 2);
    assert.match(dry.planText, /300 → .*orders.*order\.created/);
    await waitFor('a dry run moves nothing', async () => (await depth('dlq')) === 302);
    assert.equal(await depth('work'), 0);

    await rejectsWith(run('rabbitmq.redriveDeadLetters', { ...scope(), queue: 'dlq', quiet: true }), 'INVALID_INPUT', 'confirm');
    const done = await run<RedriveCommandResult>('rabbitmq.redriveDeadLetters', { ...scope(), queue: 'dlq', confirm: true, quiet: true });
    assert.equal(done.result?.moved, 300);
    assert.equal(done.result?.withoutXDeath, 2);
    assert.equal(await depth('work'), 300);
    assert.equal(await depth('dlq'), 2, 'the messages without x-death stay');
    const back = await drain('work');
    back.forEach((m, i) => {
      assert.equal(m.content.toString(), `dl-${i}`, `order at ${i}`);
      assert.equal(m.properties.headers?.seq, i);
      assert.equal(m.properties.messageId, `dl-${i}`);
      assert.equal(m.properties.headers?.['x-workbench-move-kind'], 'redrive');
    });
    await ch.purgeQueue('dlq');
  });

  it('the inspector sends dead-lettered messages back to their origin as a move, and only those with x-death', async () => {
    await ch.purgeQueue('dlq');
    await ch.purgeQueue('work');
    await deadLetter(3, 1);
    const { panel } = await run<PeekCommandResult>('rabbitmq.peek', { ...scope(), queue: 'dlq', count: 10 });
    try {
      assert.equal(panel.messages.length, 4);
      const withDeath = panel.messages.filter((e) => e.view.deaths.length > 0);
      const without = panel.messages.find((e) => e.view.deaths.length === 0);
      assert.equal(withDeath.length, 3);
      assert.ok(without);
      await rejectsWith(panel.dispatch({ type: 'republish', requestId: 'o1', ids: [without.view.id], target: 'origin', confirmed: true }), 'INVALID_INPUT', 'x-death');
      await panel.dispatch({ type: 'republish', requestId: 'o2', ids: [withDeath[1].view.id], target: 'origin', confirmed: true });
      assert.equal(await depth('work'), 1);
      // The others were handed back by closing the channel: the broker requeues them just after its close-ok.
      await waitFor('the rest back in dlq', async () => (await depth('dlq')) === 3);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(await depth('dlq'), 3, 'moved, not copied');
      const m = await ch.get('work', { noAck: true });
      assert.ok(m);
      assert.equal(m.content.toString(), 'dl-1');
    } finally {
      panel.dispose();
    }
    await ch.purgeQueue('dlq');
  });

  it('exports a whole queue to JSON Lines without removing anything, and publishes the file to another queue faithfully', async () => {
    await ch.purgeQueue('src');
    await ch.purgeQueue('back');
    await fill('src', 3000);
    const file = join(dir, 'src.jsonl');
    const r = await run<ExportResult>('rabbitmq.exportQueue', { ...scope(), queue: 'src', file, quiet: true });
    assert.equal(r.written, 3000);
    assert.equal(await depth('src'), 3000, 'export is non-destructive');
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    assert.equal(lines.length, 3000);
    const imp = await run<ImportResult>('rabbitmq.importMessages', { ...scope(), queue: 'back', file, quiet: true });
    assert.equal(imp.confirmed, 3000);
    assert.equal(await depth('back'), 3000);
    const a = await drain('src');
    const b = await drain('back');
    for (let i = 0; i < a.length; i++) {
      assert.ok(a[i].content.equals(b[i].content), `body ${i}`);
      const { headers: ha, ...pa } = a[i].properties;
      const { headers: hb, ...pb } = b[i].properties;
      assert.deepEqual(pb, pa, `properties ${i}`);
      assert.deepEqual(hb, ha, `headers ${i}`);
    }
  });

  it('the Dead letters view lists the dead-letter targets with their counts', async () => {
    await ch.purgeQueue('dlq');
    pub.sendToQueue('dlq', Buffer.from('x'), { persistent: true });
    await pub.waitForConfirms();
    await waitFor('management counts', async () => {
      const entries = await run<DeadLetterEntry[]>('rabbitmq.refreshDeadLetters', { connectionId, vhost: v.name });
      const e = entries.find((x) => x.connectionId === connectionId && x.vhost === v.name && x.queue === 'dlq');
      return e !== undefined && e.ready === 1;
    }, 30_000);
    const entries = await run<DeadLetterEntry[]>('rabbitmq.refreshDeadLetters', { connectionId, vhost: v.name });
    const mine = entries.filter((x) => x.connectionId === connectionId && x.vhost === v.name);
    assert.deepEqual(mine.map((e) => e.queue), ['dlq']);
    assert.deepEqual(mine[0].sources.map((s) => s.queue).sort(), ['billing', 'work']);
    await ch.purgeQueue('dlq');
  });
});
