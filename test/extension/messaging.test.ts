// Messaging in a real VS Code against the real broker: publish (args form), bad input rejected before
// anything is sent, bulk JSON Lines publish, peek (proven non-destructive) into the inspector, save →
// re-publish faithfully, send a dead-lettered message back to its origin, consume with ack/nack/reject.
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as amqp from 'amqplib';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../src/extension';
import type { ConsumeCommandResult } from '../../src/features/messaging/consumeCommand';
import type { PeekCommandResult } from '../../src/features/messaging/peekCommand';
import type { PublishBulkResult, PublishCommandResult } from '../../src/features/messaging/publishCommands';
import { createTestVhost, MGMT_URL, PASSWORD, type TestVhost } from '../support/broker';

const EXTENSION_ID = 'rabbitmq-workbench.rabbitmq-workbench';

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

async function waitFor(what: string, pred: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('messaging', function () {
  this.timeout(120_000);
  let api: ExtensionApi;
  let v: TestVhost;
  let connectionId: string;
  let readOnlyId: string;
  let conn: amqp.ChannelModel;
  let ch: amqp.Channel;
  const dir = mkdtempSync(join(tmpdir(), 'rmqwb-msg-'));

  const scope = () => ({ connectionId, vhost: v.name });
  const depth = async (q: string) => (await ch.checkQueue(q)).messageCount;

  before(async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    v = await createTestVhost('messaging');
    connectionId = (await run<{ id: string }>('rabbitmq.addConnection', { name: 'messaging-test', amqpUrl: v.profileUrl, managementUrl: MGMT_URL, password: PASSWORD })).id;
    readOnlyId = (await run<{ id: string }>('rabbitmq.addConnection', { name: 'messaging-ro', amqpUrl: v.profileUrl, managementUrl: MGMT_URL, password: PASSWORD, readOnly: true })).id;
    assert.equal(api.connections.profile(readOnlyId).readOnly, true);
    conn = await amqp.connect(v.amqpUrl, { noDelay: true });
    ch = await conn.createChannel();
    await ch.assertQueue('work', { durable: true });
    await ch.assertQueue('audit', { durable: true });
    await ch.assertQueue('dlq', { durable: true });
    await ch.assertQueue('expiring', { durable: true, arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dlq' } });
    await ch.assertExchange('orders', 'direct', { durable: true });
    await ch.assertExchange('nowhere', 'topic', { durable: true });
    await ch.bindQueue('work', 'orders', 'new');
    await ch.bindQueue('audit', 'orders', 'new');
    await ch.bindQueue('expiring', 'orders', 'soon');
  });

  after(async () => {
    await conn?.close().catch(() => undefined);
    for (const id of [connectionId, readOnlyId]) if (id) await run('rabbitmq.removeConnection', { id, confirm: true }).catch(() => undefined);
    await vscode.workspace.getConfiguration('rabbitmq').update('publish.maxBodySize', undefined, vscode.ConfigurationTarget.Global);
    await v?.delete();
  });

  describe('publish', () => {
    it('publishes to a queue through the default exchange with properties and headers, confirmed and routed', async () => {
      await ch.purgeQueue('work');
      const r = await run<PublishCommandResult>('rabbitmq.publish', {
        ...scope(), queue: 'work', body: '{"id":1}', quiet: true,
        properties: { contentType: 'application/json', persistent: true, priority: 3, correlationId: 'c-1', replyTo: 'audit', expiration: '600000', messageId: 'm-1', type: 'order', appId: 'tests', timestamp: 1700000000 },
        headers: '{"x-tenant":"acme","nested":{"n":[1,2]}}',
      });
      assert.equal(r.routed, true);
      assert.equal(r.routingKey, 'work');
      const got = await ch.get('work', { noAck: true });
      assert.ok(got);
      assert.equal(got.content.toString(), '{"id":1}');
      const p = got.properties;
      assert.deepEqual([p.contentType, p.deliveryMode, p.priority, p.correlationId, p.replyTo, p.expiration, p.messageId, p.type, p.appId, p.timestamp], ['application/json', 2, 3, 'c-1', 'audit', '600000', 'm-1', 'order', 'tests', 1700000000]);
      assert.equal(p.headers?.['x-tenant'], 'acme');
      assert.deepEqual(p.headers?.nested, { n: [1, 2] });
    });

    it('publishes to an exchange and reports "unroutable" when no binding matches', async () => {
      const routed = await run<PublishCommandResult>('rabbitmq.publish', { ...scope(), exchange: 'orders', routingKey: 'new', body: 'x', quiet: true });
      assert.equal(routed.routed, true);
      const lost = await run<PublishCommandResult>('rabbitmq.publish', { ...scope(), exchange: 'nowhere', routingKey: 'a.b', body: 'x', quiet: true });
      assert.equal(lost.routed, false);
      await ch.purgeQueue('work');
      await ch.purgeQueue('audit');
    });

    it('rejects bad input naming the field before anything is sent', async () => {
      const base = { ...scope(), queue: 'work', body: 'x', quiet: true };
      await rejectsWith(run('rabbitmq.publish', { ...base, headers: '{"a": ' }), 'INVALID_INPUT', 'headers');
      await rejectsWith(run('rabbitmq.publish', { ...base, headers: '[1,2]' }), 'INVALID_INPUT', 'headers');
      await rejectsWith(run('rabbitmq.publish', { ...scope(), exchange: 'orders', routingKey: 'k'.repeat(256), body: 'x', quiet: true }), 'INVALID_INPUT', 'routingKey');
      await rejectsWith(run('rabbitmq.publish', { ...base, properties: { priority: 300 } }), 'INVALID_INPUT', 'priority');
      await rejectsWith(run('rabbitmq.publish', { ...base, properties: { expiration: 'soon' } }), 'INVALID_INPUT', 'expiration');
      await vscode.workspace.getConfiguration('rabbitmq').update('publish.maxBodySize', 16, vscode.ConfigurationTarget.Global);
      try {
        await rejectsWith(run('rabbitmq.publish', { ...base, body: 'x'.repeat(17) }), 'INVALID_INPUT', 'body');
        const file = join(dir, 'big.bin');
        writeFileSync(file, Buffer.alloc(1000));
        await rejectsWith(run('rabbitmq.publish', { ...scope(), queue: 'work', bodyFile: file, quiet: true }), 'INVALID_INPUT', 'body');
      } finally {
        await vscode.workspace.getConfiguration('rabbitmq').update('publish.maxBodySize', undefined, vscode.ConfigurationTarget.Global);
      }
      assert.equal(await depth('work'), 0, 'nothing may have been sent');
    });

    it('refuses to publish on a read-only connection', async () => {
      await rejectsWith(run('rabbitmq.publish', { connectionId: readOnlyId, vhost: v.name, queue: 'work', body: 'x', quiet: true }), 'READ_ONLY');
      assert.equal(await depth('work'), 0);
    });
  });

  describe('bulk publish', () => {
    it('publishes a JSON Lines file (text, base64, properties, headers, defaults) with confirms', async () => {
      const lines: string[] = [];
      for (let i = 0; i < 300; i++) lines.push(JSON.stringify({ routingKey: 'work', body: `m${i}`, properties: { messageId: `id-${i}` }, headers: { i } }));
      lines.push(JSON.stringify({ exchange: 'orders', routingKey: 'new', bodyBase64: Buffer.from([0, 1, 2, 255]).toString('base64') }));
      lines.push('', '// a comment', JSON.stringify({ body: 'uses the default routing key' }));
      const file = join(dir, 'bulk.jsonl');
      writeFileSync(file, lines.join('\n'));
      const r = await run<PublishBulkResult>('rabbitmq.publishBulk', { ...scope(), file, routingKey: 'audit', quiet: true });
      assert.equal(r.published, 302);
      assert.equal(r.confirmed, 302);
      assert.equal(r.returned, 0);
      assert.equal(await depth('work'), 301);
      assert.equal(await depth('audit'), 2);
      const first = await ch.get('work', { noAck: true });
      assert.ok(first);
      assert.equal(first.content.toString(), 'm0');
      assert.equal(first.properties.messageId, 'id-0');
      assert.equal(first.properties.headers?.i, 0);
      await ch.purgeQueue('work');
      await ch.purgeQueue('audit');
    });

    it('rejects a bad line naming it, before anything is sent', async () => {
      const file = join(dir, 'bad.jsonl');
      writeFileSync(file, [JSON.stringify({ routingKey: 'work', body: 'ok' }), '{not json', JSON.stringify({ routingKey: 'work', body: 'ok' })].join('\n'));
      await rejectsWith(run('rabbitmq.publishBulk', { ...scope(), file, quiet: true }), 'INVALID_INPUT', 'line 2');
      writeFileSync(file, [JSON.stringify({ routingKey: 'work', body: 'ok' }), JSON.stringify({ routingKey: 'work', body: 'ok', properties: { priority: 'high' } })].join('\n'));
      await rejectsWith(run('rabbitmq.publishBulk', { ...scope(), file, quiet: true }), 'INVALID_INPUT', /^line 2\.properties\.priority/);
      writeFileSync(file, JSON.stringify({ body: 'no routing key' }));
      await rejectsWith(run('rabbitmq.publishBulk', { ...scope(), file, quiet: true }), 'INVALID_INPUT', 'line 1.routingKey');
      assert.equal(await depth('work'), 0);
    });
  });

  describe('peek and the inspector', () => {
    before(async () => {
      await ch.purgeQueue('work');
      for (let i = 0; i < 5; i++) {
        ch.sendToQueue('work', Buffer.from(JSON.stringify({ n: i })), { contentType: 'application/json', headers: { n: i, bin: Buffer.from([1, 2, 3]) }, messageId: `p${i}`, timestamp: 1700000000 + i });
      }
      ch.sendToQueue('work', Buffer.from([0, 159, 146, 150, 0xff]), { messageId: 'binary' });
      await waitFor('6 messages', async () => (await depth('work')) === 6);
    });

    it('peeks N messages without removing them, in order, marked redelivered', async () => {
      const { panel, result } = await run<PeekCommandResult>('rabbitmq.peek', { ...scope(), queue: 'work', count: 3 });
      try {
        assert.equal(result.messages.length, 3);
        assert.deepEqual(result.messages.map((m) => m.properties.messageId), ['p0', 'p1', 'p2']);
        assert.equal(await depth('work'), 6, 'peek removed messages');
        assert.equal(panel.messages.length, 3);
        const view = panel.messages[0].view;
        assert.equal(view.properties.contentType, 'application/json');
        assert.equal(view.body.kind, 'json');
        assert.deepEqual(view.headers.bin, { $binary: Buffer.from([1, 2, 3]).toString('base64') });
      } finally {
        panel.dispose();
      }
      const again = await run<PeekCommandResult>('rabbitmq.peek', { ...scope(), queue: 'work', count: 6 });
      try {
        assert.deepEqual(again.result.messages.map((m) => m.properties.messageId), ['p0', 'p1', 'p2', 'p3', 'p4', 'binary']);
        assert.deepEqual(again.result.messages.map((m) => m.fields.redelivered), [true, true, true, false, false, false]);
        assert.equal(again.panel.messages[5].view.body.kind, 'binary');
        // Peek again from the page: still six, still in order.
        await again.panel.dispatch({ type: 'refresh', requestId: 'r1' });
        assert.equal(again.panel.messages.length, 6);
        assert.equal(await depth('work'), 6);
      } finally {
        again.panel.dispose();
      }
    });

    it('uses the peek count setting, bounded to 1000', async () => {
      await rejectsWith(run('rabbitmq.peek', { ...scope(), queue: 'work', count: 1001 }), 'INVALID_INPUT', 'count');
      const { panel, result } = await run<PeekCommandResult>('rabbitmq.peek', { ...scope(), queue: 'work' });
      panel.dispose();
      assert.equal(result.requested, 10);
      assert.equal(result.messages.length, 6);
    });

    it('saves messages as JSON Lines that re-publish faithfully (binary body, headers, properties)', async () => {
      const { panel } = await run<PeekCommandResult>('rabbitmq.peek', { ...scope(), queue: 'work', count: 6 });
      const file = vscode.Uri.file(join(dir, 'saved.jsonl'));
      try {
        assert.equal(await panel.save(panel.messages.map((e) => e.raw), file), 6);
      } finally {
        panel.dispose();
      }
      const text = readFileSync(file.fsPath, 'utf8');
      assert.equal(text.trim().split('\n').length, 6);
      await ch.purgeQueue('audit');
      // Re-publish everything into "audit" (the saved routing key is "work": override with the default exchange → audit).
      const rewritten = text.trim().split('\n').map((l) => JSON.stringify({ ...JSON.parse(l), exchange: '', routingKey: 'audit' })).join('\n');
      const file2 = join(dir, 'saved-audit.jsonl');
      writeFileSync(file2, rewritten);
      await run('rabbitmq.publishBulk', { ...scope(), file: file2, quiet: true });
      await waitFor('6 in audit', async () => (await depth('audit')) === 6);
      const originals: amqp.GetMessage[] = [];
      const copies: amqp.GetMessage[] = [];
      for (let i = 0; i < 6; i++) {
        const a = await ch.get('work', { noAck: false });
        const b = await ch.get('audit', { noAck: true });
        assert.ok(a && b);
        originals.push(a);
        copies.push(b);
      }
      ch.nackAll(true);
      for (let i = 0; i < 6; i++) {
        assert.ok(copies[i].content.equals(originals[i].content), `body ${i} differs`);
        const { headers: ha, ...pa } = originals[i].properties;
        const { headers: hb, ...pb } = copies[i].properties;
        assert.deepEqual(pb, pa, `properties of ${i} differ`);
        assert.deepEqual(hb, ha, `headers of ${i} differ`);
      }
      await ch.purgeQueue('audit');
    });

    it('publishes again from the inspector and sends a dead-lettered message back to its origin (x-death)', async () => {
      await ch.purgeQueue('work');
      await ch.purgeQueue('audit');
      // orders/soon → "expiring" → expires → dead-lettered to "dlq" with x-death naming orders + soon.
      ch.publish('orders', 'soon', Buffer.from('late'), { expiration: '1', messageId: 'dl-1' });
      await waitFor('dead-lettered', async () => (await depth('dlq')) === 1);
      const { panel } = await run<PeekCommandResult>('rabbitmq.peek', { ...scope(), queue: 'dlq', count: 5 });
      try {
        const view = panel.messages[0].view;
        assert.equal(view.deaths.length, 1);
        assert.deepEqual([view.deaths[0].exchange, view.deaths[0].routingKeys, view.deaths[0].queue, view.deaths[0].reason], ['orders', ['soon'], 'expiring', 'expired']);
        // Send it back: it must reach "expiring" again through orders/soon (and expire into dlq again).
        await ch.bindQueue('audit', 'orders', 'soon');
        // Send back to origin is a move (confirmed here as the user would in the dialog): the original leaves dlq.
        await panel.dispatch({ type: 'republish', requestId: 'r2', ids: [view.id], target: 'origin', confirmed: true });
        await waitFor('back at origin', async () => (await depth('audit')) === 1);
        const back = await ch.get('audit', { noAck: true });
        assert.ok(back);
        assert.equal(back.content.toString(), 'late');
        assert.equal(back.properties.headers?.['x-workbench-move-kind'], 'redrive');
        // It also reached "expiring" (dead-lettering moved its expiration into x-death, so it stays there now),
        // and it left dlq: moved, not copied.
        await waitFor('back in expiring', async () => (await depth('expiring')) === 1);
        assert.equal(await depth('dlq'), 0, 'the original was moved, not copied');
        await ch.purgeQueue('expiring');
        await ch.unbindQueue('audit', 'orders', 'soon');
        // "Publish again" to where it was last published (the default exchange → dlq).
        await panel.dispatch({ type: 'republish', requestId: 'r3', ids: [view.id], target: 'same' });
        await waitFor('copy in dlq', async () => (await depth('dlq')) >= 1);
        // A message without x-death has no origin.
        await ch.purgeQueue('work');
        ch.sendToQueue('work', Buffer.from('plain'));
        await waitFor('plain', async () => (await depth('work')) === 1);
        const plain = await run<PeekCommandResult>('rabbitmq.peek', { ...scope(), queue: 'work', count: 1 });
        try {
          await rejectsWith(plain.panel.dispatch({ type: 'republish', requestId: 'r4', ids: [plain.panel.messages[0].view.id], target: 'origin' }), 'INVALID_INPUT', 'x-death');
        } finally {
          plain.panel.dispose();
        }
      } finally {
        panel.dispose();
      }
    });

    it('reads a stream by offset without changing it', async () => {
      await ch.assertQueue('events', { durable: true, arguments: { 'x-queue-type': 'stream' } });
      for (let i = 0; i < 20; i++) ch.sendToQueue('events', Buffer.from(`e${i}`));
      await waitFor('stream written', async () => (await depth('events')) >= 20);
      const first = await run<PeekCommandResult>('rabbitmq.peek', { ...scope(), queue: 'events', count: 5, streamOffset: 'first' });
      first.panel.dispose();
      assert.equal(first.result.queueType, 'stream');
      assert.deepEqual(first.result.messages.map((m) => m.body.text), ['e0', 'e1', 'e2', 'e3', 'e4']);
      const from = await run<PeekCommandResult>('rabbitmq.peek', { ...scope(), queue: 'events', count: 3, streamOffset: 10 });
      from.panel.dispose();
      assert.deepEqual(from.result.messages.map((m) => m.body.text), ['e10', 'e11', 'e12']);
      await rejectsWith(run('rabbitmq.peek', { ...scope(), queue: 'work', streamOffset: 'first' }), 'INVALID_INPUT', 'streamOffset');
    });

    it('warns on quorum queues that each peek counts toward the delivery limit', async () => {
      await ch.assertQueue('qq', { durable: true, arguments: { 'x-queue-type': 'quorum', 'x-delivery-limit': 5 } });
      ch.sendToQueue('qq', Buffer.from('q'));
      await waitFor('qq', async () => (await depth('qq')) === 1);
      const { panel, result } = await run<PeekCommandResult>('rabbitmq.peek', { ...scope(), queue: 'qq', count: 1, consent: 'spend' });
      panel.dispose();
      assert.equal(result.queueType, 'quorum');
      assert.equal(result.messages.length, 1);
      // A quorum queue counts a requeued message as ready again a moment after the peek channel closes.
      await waitFor('peeked message back in the quorum queue', async () => (await depth('qq')) === 1);
      assert.ok(panel.controller.notices.some((n) => n.includes('5')), `notices: ${panel.controller.notices.join(' | ')}`);
    });
  });

  describe('consume', () => {
    before(async () => {
      await ch.purgeQueue('work');
      await ch.purgeQueue('dlq');
      await ch.assertQueue('consumed', { durable: true, arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dlq' } });
      for (let i = 0; i < 6; i++) ch.sendToQueue('consumed', Buffer.from(`c${i}`));
      await waitFor('6 to consume', async () => (await depth('consumed')) === 6);
    });

    it('acks, nacks (requeue) and rejects (dead-letter) single messages and selections; closing requeues the rest', async () => {
      const { panel } = await run<ConsumeCommandResult>('rabbitmq.consume', { ...scope(), queue: 'consumed', prefetch: 6 });
      await waitFor('6 deliveries', () => panel.messages.length === 6);
      const ids = panel.messages.map((e) => e.view.id);
      await panel.dispatch({ type: 'settle', requestId: 'a', ids: [ids[0], ids[1]], action: 'ack' });
      await panel.dispatch({ type: 'settle', requestId: 'b', ids: [ids[2]], action: 'reject' });
      await panel.dispatch({ type: 'settle', requestId: 'c', ids: [ids[3]], action: 'nack' });
      assert.deepEqual(panel.messages.slice(0, 4).map((e) => e.view.settled), ['acked', 'acked', 'rejected', 'nacked']);
      await waitFor('rejected one dead-lettered', async () => (await depth('dlq')) === 1);
      // The nacked one comes back to this consumer (requeued): 7 deliveries in all.
      await waitFor('redelivery', () => panel.messages.length === 7);
      assert.equal(panel.messages[6].raw.fields.redelivered, true);
      panel.dispose();
      // Closing the panel requeued the 3 unacked ones (c4, c5 and the redelivered c3).
      await waitFor('requeued', async () => (await depth('consumed')) === 3);
    });

    it('reports a broker cancel (queue deleted) in the panel instead of swallowing it', async () => {
      await ch.assertQueue('doomed', { durable: true });
      ch.sendToQueue('doomed', Buffer.from('d'));
      await waitFor('doomed', async () => (await depth('doomed')) === 1);
      const { panel, consumer } = await run<ConsumeCommandResult>('rabbitmq.consume', { ...scope(), queue: 'doomed' });
      try {
        await waitFor('delivery', () => panel.messages.length === 1);
        await ch.deleteQueue('doomed');
        await waitFor('cancel reported', () => panel.lastStatus?.active === false);
        assert.equal(panel.lastStatus?.level, 'error');
        assert.match(panel.lastStatus?.text ?? '', /cancel/i);
        assert.equal(consumer.active, false);
        assert.equal(panel.messages[0].view.settled, 'requeued', 'the unacked message is shown as given back');
      } finally {
        panel.dispose();
      }
    });

    it('refuses to consume on a read-only connection and rejects a bad prefetch', async () => {
      await rejectsWith(run('rabbitmq.consume', { connectionId: readOnlyId, vhost: v.name, queue: 'consumed' }), 'READ_ONLY');
      await rejectsWith(run('rabbitmq.consume', { ...scope(), queue: 'consumed', prefetch: 0 }), 'INVALID_INPUT', 'prefetch');
    });
  });
});
