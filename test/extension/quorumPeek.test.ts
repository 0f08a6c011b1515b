// Peeking quorum queues through the real rabbitmq.peek command against the real broker: every peek hands its
// messages back and spends one delivery attempt, so the command knows the effective delivery limit (queue
// argument, policy, RabbitMQ 4.x's default of 20), refuses an args call without explicit consent, refuses a peek
// that would take a message past its limit unless consent is 'dead-letter', and never lets a read-only connection
// spend an attempt. Works on 3.10 (no default limit) and 4.x (default 20, -1 = no limit).
import * as assert from 'node:assert/strict';
import * as amqp from 'amqplib';
import * as vscode from 'vscode';
import type { PeekCommandResult } from '../../src/features/messaging/peekCommand';
import { createTestVhost, mgmt, MGMT_URL, PASSWORD, type TestVhost } from '../support/broker';

const EXTENSION_ID = 'rabbitmq-workbench.rabbitmq-workbench';

function run<T>(command: string, ...args: unknown[]): Promise<T> {
  return Promise.resolve(vscode.commands.executeCommand<T>(command, ...args));
}

async function rejectsWith(p: Promise<unknown>, code: string, ...patterns: RegExp[]): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    const err = e as { code?: string; message?: string };
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
    for (const re of patterns) assert.match(err.message ?? '', re);
    return true;
  });
}

async function waitFor(what: string, pred: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('quorum peek and delivery limits', function () {
  this.timeout(180_000);
  let v: TestVhost;
  let connectionId: string;
  let readOnlyId: string;
  let conn: amqp.ChannelModel;
  let ch: amqp.Channel;
  let major = 3;

  const scope = () => ({ connectionId, vhost: v.name });
  const depth = async (q: string) => (await ch.checkQueue(q)).messageCount;
  /** A quorum queue counts a handed-back message as ready again a moment after the peek channel closes. */
  const settled = (q: string, n: number) => waitFor(`${n} ready in ${q}`, async () => (await depth(q)) === n);

  async function peek(args: Record<string, unknown>): Promise<PeekCommandResult> {
    const r = await run<PeekCommandResult>('rabbitmq.peek', { ...scope(), count: 1, ...args });
    r.panel.dispose();
    return r;
  }

  /**
   * A peek that saw the one message of `queue`. On a busy machine a quorum queue can be slower to deliver than the
   * peek waits; such a peek shows nothing and spends nothing (deliveries that come late are shown too), so try again.
   */
  async function peekSeen(args: Record<string, unknown>): Promise<PeekCommandResult> {
    for (let i = 0; ; i++) {
      const r = await peek(args);
      if (r.result.messages.length > 0 || i === 9) return r;
      await settled(String(args.queue), 1);
    }
  }

  async function quorumWithOne(name: string, args: Record<string, unknown> = {}): Promise<void> {
    await ch.assertQueue(name, { durable: true, arguments: { 'x-queue-type': 'quorum', ...args } });
    ch.sendToQueue(name, Buffer.from(`m-${name}`), { messageId: name });
    await settled(name, 1);
  }

  before(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    await ext.activate();
    v = await createTestVhost('qpeek');
    const overview = (await (await mgmt('GET', '/overview')).json()) as { rabbitmq_version: string };
    major = Number.parseInt(overview.rabbitmq_version.split('.')[0], 10);
    connectionId = (await run<{ id: string }>('rabbitmq.addConnection', { name: 'qpeek-test', amqpUrl: v.profileUrl, managementUrl: MGMT_URL, password: PASSWORD })).id;
    readOnlyId = (await run<{ id: string }>('rabbitmq.addConnection', { name: 'qpeek-ro', amqpUrl: v.profileUrl, managementUrl: MGMT_URL, password: PASSWORD, readOnly: true })).id;
    conn = await amqp.connect(v.amqpUrl, { noDelay: true });
    ch = await conn.createChannel();
    await ch.assertQueue('dead', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  });

  after(async () => {
    await conn?.close().catch(() => undefined);
    for (const id of [connectionId, readOnlyId]) if (id) await run('rabbitmq.removeConnection', { id, confirm: true }).catch(() => undefined);
    await v?.delete();
  });

  it('a quorum queue without arguments: 25 peeks through the command never lose the message', async () => {
    await quorumWithOne('plain');
    const counts: number[] = [];
    const refusals: string[] = [];
    if (major >= 4) {
      // RabbitMQ 4.x: limit 20 by default. An args call without consent is refused, naming the limit.
      await rejectsWith(peek({ queue: 'plain' }), 'UNSAFE', /delivery limit 20 \(the default of RabbitMQ 4/, /1 message\(s\)/);
    }
    for (let i = 0; i < 25; i++) {
      try {
        const { result } = await peekSeen({ queue: 'plain', ...(major >= 4 ? { consent: 'spend' } : {}) });
        assert.equal(result.messages.length, 1, `peek ${i + 1} saw no message`);
        const risk = result.quorumDeliveryLimitRisk;
        assert.ok(risk);
        assert.equal(risk.deliveryLimit, major >= 4 ? 20 : null);
        counts.push(risk.deliveryCounts[0]);
        assert.deepEqual(risk.passedLimit, []);
      } catch (e) {
        refusals.push(`${(e as { code?: string }).code}: ${(e as Error).message}`);
      }
      await settled('plain', 1);
    }
    if (major >= 4) {
      // 20 peeks run (counts 0…19 when received); the 21st would take the message past 20 and is refused with the numbers.
      assert.deepEqual(counts, Array.from({ length: 20 }, (_, i) => i));
      assert.equal(refusals.length, 5);
      for (const r of refusals) assert.match(r, /^UNSAFE: .*delivery limit 20 .*already been delivered 20 time\(s\)/);
    } else {
      assert.deepEqual(refusals, []);
      assert.deepEqual(counts, Array.from({ length: 25 }, (_, i) => i));
    }
    assert.equal(await depth('plain'), 1, 'the message is still in the queue');
    const got = await ch.get('plain', { noAck: true });
    assert.ok(got);
    assert.equal(got.properties.messageId, 'plain');
    assert.equal(got.properties.headers?.['x-delivery-count'], major >= 4 ? 20 : 25);
  });

  it('an argument limit: consent needed, counts and peeks left shown, past the limit only with consent to dead-letter', async () => {
    await quorumWithOne('arg3', { 'x-delivery-limit': 3, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dead' });
    await rejectsWith(peek({ queue: 'arg3' }), 'UNSAFE', /delivery limit 3 \(queue argument x-delivery-limit\)/);
    await rejectsWith(peek({ queue: 'arg3', consent: 'yes' }), 'INVALID_INPUT', /consent/);
    const first = await peekSeen({ queue: 'arg3', consent: 'spend' });
    const notices = first.panel.controller.notices.join(' | ');
    assert.match(notices, /delivery limit 3 \(queue argument x-delivery-limit\)/);
    assert.match(notices, /#1: delivered 1 time\(s\), 2 peek\(s\) left/);
    assert.match(notices, /more than 3 times is dead-lettered to "\(default exchange\)"/);
    await settled('arg3', 1);
    for (let i = 1; i < 3; i++) {
      const { result } = await peekSeen({ queue: 'arg3', consent: 'spend' });
      assert.equal(result.quorumDeliveryLimitRisk?.deliveryCounts[0], i);
      assert.deepEqual(result.quorumDeliveryLimitRisk?.peeksLeft, [2 - i]);
      await settled('arg3', 1);
    }
    // Delivered 3 times: one more hand-back dead-letters it. 'spend' is not enough.
    await rejectsWith(peek({ queue: 'arg3', consent: 'spend' }), 'UNSAFE', /delivery limit 3/, /already been delivered 3 time\(s\)/, /dead-lettered to "\(default exchange\)"/);
    assert.equal(await depth('arg3'), 1);
    const last = await peekSeen({ queue: 'arg3', consent: 'dead-letter' });
    assert.deepEqual(last.result.quorumDeliveryLimitRisk?.passedLimit, [0]);
    await settled('dead', 1);
    assert.equal(await depth('arg3'), 0);
    const dl = await ch.get('dead', { noAck: true });
    assert.ok(dl);
    assert.equal(dl.properties.messageId, 'arg3');
  });

  it('a policy limit: the delivery-limit of the policy that applies counts, named in the refusal', async () => {
    await mgmt('PUT', `/policies/${encodeURIComponent(v.name)}/limit2`, { pattern: '^pol-', 'apply-to': 'queues', priority: 1, definition: { 'delivery-limit': 2 } });
    await quorumWithOne('pol-q');
    await waitFor('policy applied', async () => ((await (await mgmt('GET', `/queues/${encodeURIComponent(v.name)}/pol-q`)).json()) as { policy?: string }).policy === 'limit2');
    await rejectsWith(peek({ queue: 'pol-q' }), 'UNSAFE', /delivery limit 2 \(delivery-limit of policy "limit2"\)/);
    for (let i = 0; i < 2; i++) {
      const { result } = await peekSeen({ queue: 'pol-q', consent: 'spend' });
      assert.equal(result.quorumDeliveryLimitRisk?.deliveryLimit, 2);
      assert.equal(result.quorumDeliveryLimitRisk?.deliveryCounts[0], i);
      await settled('pol-q', 1);
    }
    await rejectsWith(peek({ queue: 'pol-q', consent: 'spend' }), 'UNSAFE', /policy "limit2"/, /already been delivered 2 time\(s\)/, /dropped \(the queue has no dead-letter exchange\)/);
    assert.equal(await depth('pol-q'), 1, 'the refused peek left the message');
  });

  it('a read-only connection never spends a delivery attempt, whatever the consent', async () => {
    await quorumWithOne('ro-q', { 'x-delivery-limit': 5 });
    for (const consent of [undefined, 'spend', 'dead-letter']) {
      await rejectsWith(
        run('rabbitmq.peek', { connectionId: readOnlyId, vhost: v.name, queue: 'ro-q', count: 1, ...(consent ? { consent } : {}) }),
        'READ_ONLY',
        /delivery limit 5 \(queue argument x-delivery-limit\)/,
        /each of the 1 message\(s\)/,
      );
    }
    // Nothing was delivered: the next (writable, consented) peek receives it with no delivery count yet.
    const { result } = await peekSeen({ queue: 'ro-q', consent: 'spend' });
    assert.deepEqual(result.quorumDeliveryLimitRisk?.deliveryCounts, [0]);
    await settled('ro-q', 1);
    if (major >= 4) {
      // RabbitMQ 4.x: the default of 20 applies without arguments, so read-only peeks are refused there too.
      await quorumWithOne('ro-default');
      await rejectsWith(run('rabbitmq.peek', { connectionId: readOnlyId, vhost: v.name, queue: 'ro-default', count: 1 }), 'READ_ONLY', /delivery limit 20/);
    } else {
      // 3.x: no limit, nothing can be lost: a read-only peek runs (and counts).
      await quorumWithOne('ro-default');
      const ro = await peekSeen({ connectionId: readOnlyId, queue: 'ro-default' });
      assert.equal(ro.result.messages.length, 1);
      assert.equal(ro.result.quorumDeliveryLimitRisk?.deliveryLimit, null);
    }
  });

  it('"Peek again" in the inspector applies the rules afresh: a limit that appeared since stops a read-only connection', async () => {
    // No limit at first (4.x: -1 turns the default off; 3.x has none), so the read-only peek runs.
    await quorumWithOne('again-q', major >= 4 ? { 'x-delivery-limit': -1 } : {});
    // Kept open: "Peek again" is the panel's.
    let ro = await run<PeekCommandResult>('rabbitmq.peek', { connectionId: readOnlyId, vhost: v.name, queue: 'again-q', count: 1 });
    for (let i = 0; ro.result.messages.length === 0 && i < 9; i++) {
      ro.panel.dispose();
      await settled('again-q', 1);
      ro = await run<PeekCommandResult>('rabbitmq.peek', { connectionId: readOnlyId, vhost: v.name, queue: 'again-q', count: 1 });
    }
    try {
      assert.equal(ro.result.messages.length, 1);
      assert.equal(ro.result.quorumDeliveryLimitRisk?.deliveryLimit, null);
      await settled('again-q', 1);
      await mgmt('PUT', `/policies/${encodeURIComponent(v.name)}/again2`, { pattern: '^again-', 'apply-to': 'queues', priority: 2, definition: { 'delivery-limit': 2 } });
      await waitFor('policy applied', async () => ((await (await mgmt('GET', `/queues/${encodeURIComponent(v.name)}/again-q`)).json()) as { policy?: string }).policy === 'again2');
      await rejectsWith(ro.panel.dispatch({ type: 'refresh', requestId: 'r1' }), 'READ_ONLY', /delivery limit 2 \(delivery-limit of policy "again2"\)/);
      assert.equal(ro.panel.messages.length, 1, 'the refused refresh kept what the panel showed');
      assert.equal(await depth('again-q'), 1);
    } finally {
      ro.panel.dispose();
    }
  });

  it('Declare Queue: deliveryLimit -1 turns the limit off on 4.x (peeks then need no consent); refused on 3.x', async () => {
    const declare = run('rabbitmq.declareQueue', { ...scope(), name: 'unlimited', type: 'quorum', deliveryLimit: -1 });
    if (major < 4) {
      await assert.rejects(declare, (e: unknown) => (e as { code?: string; field?: string }).code === 'INVALID_INPUT' && (e as { field?: string }).field === 'deliveryLimit');
      return;
    }
    await declare;
    const q = (await (await mgmt('GET', `/queues/${encodeURIComponent(v.name)}/unlimited`)).json()) as { arguments: Record<string, unknown> };
    assert.equal(q.arguments['x-delivery-limit'], -1);
    ch.sendToQueue('unlimited', Buffer.from('u'));
    await settled('unlimited', 1);
    const ro = await run<PeekCommandResult>('rabbitmq.peek', { connectionId: readOnlyId, vhost: v.name, queue: 'unlimited', count: 1 });
    ro.panel.dispose();
    assert.equal(ro.result.quorumDeliveryLimitRisk?.deliveryLimit, null);
    assert.match(ro.panel.controller.notices.join(' | '), /no delivery limit \(x-delivery-limit -1\)/);
    await settled('unlimited', 1);
  });
});
