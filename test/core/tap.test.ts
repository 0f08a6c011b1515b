// Live tap against the real broker. The invariant: with the tap on, every queue gets exactly what it gets with
// the tap off, unroutable messages still go to the alternate exchange or back to a mandatory publisher, and
// stopping (or losing the connection) removes everything the tap made. Per exchange type, with and without an
// alternate exchange, with mandatory publishes; bindings mode and the firehose tracer. Fresh vhost per suite.
import * as assert from 'node:assert/strict';
import * as amqp from 'amqplib';
import { isRabbitError } from '../../src/core/errors';
import { ManagementClient } from '../../src/core/management';
import type { BindingInfo, ExchangeInfo } from '../../src/core/model';
import { resolveProfile } from '../../src/core/profile';
import type { AmqpSession } from '../../src/core/session';
import { isTapQueue, planTap, startTap, tracerHeld, type TapHandle, type TapMessageMeta, type TapPlan } from '../../src/core/tap';
import { createTestVhost, mgmt, MGMT_URL, PASSWORD, USER, type TestVhost } from '../support/broker';
import { sessionFor, startProxy } from '../support/amqpSession';

async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const xinfo = (name: string, type: string): ExchangeInfo => ({ vhost: 'v', name, type, durable: true, autoDelete: false, internal: false, arguments: {}, isDefault: name === '', isBuiltin: false });
const binding = (source: string, destination: string, routingKey = '', args: Record<string, unknown> = {}, destinationType: 'queue' | 'exchange' = 'queue'): BindingInfo => ({
  vhost: 'v', source, destination, destinationType, routingKey, arguments: args, propertiesKey: '~',
});

describe('core/tap: planTap (pure)', () => {
  const refused = (f: () => unknown, reason: string) => assert.throws(f, (e: unknown) => isRabbitError(e, 'UNSAFE') && e.field === reason);

  it('copies only bindings to queues (deduplicated), never exchange-to-exchange ones or other taps', () => {
    const p = planTap({
      exchange: xinfo('x', 'topic'),
      bindings: [binding('x', 'q1', 'a.*'), binding('x', 'q2', 'a.*'), binding('x', 'q3', '#.b'), binding('x', 'x2', 'e2e.#', {}, 'exchange'), binding('x', 'rabbitmq-workbench.tap.00', '#')],
    });
    assert.deepEqual(p, { mechanism: 'bindings', exchange: 'x', exchangeType: 'topic', bindings: [{ routingKey: 'a.*' }, { routingKey: '#.b' }], alternate: undefined, unroutableHidden: true });
    assert.deepEqual(planTap({ exchange: xinfo('f', 'fanout'), bindings: [binding('f', 'q1'), binding('f', 'q2', 'k')] }).bindings, [{ routingKey: '' }]);
    assert.deepEqual(
      planTap({ exchange: xinfo('h', 'headers'), bindings: [binding('h', 'q1', '', { 'x-match': 'all', a: 1 }), binding('h', 'q2', 'ignored', { a: 1, 'x-match': 'all' })] }).bindings,
      [{ routingKey: '', arguments: { 'x-match': 'all', a: 1 } }],
    );
    assert.equal(isTapQueue('rabbitmq-workbench.tap.ab'), true);
  });

  it('taps the alternate exchange for unroutables; refuses hash/random/unknown types, the default exchange, and nothing routed', () => {
    const withAe = planTap({ exchange: xinfo('d', 'direct'), bindings: [], alternate: { name: 'ae', exchange: xinfo('ae', 'fanout'), bindings: [binding('ae', 'unrouted')] } });
    assert.deepEqual([withAe.bindings, withAe.alternate, withAe.unroutableHidden], [[], { exchange: 'ae', bindings: [{ routingKey: '' }] }, false]);
    for (const t of ['x-consistent-hash', 'x-random', 'x-local-random', 'x-modulus-hash']) refused(() => planTap({ exchange: xinfo('h', t), bindings: [binding('h', 'q', '1')] }), 'distributing-type');
    refused(() => planTap({ exchange: xinfo('p', 'x-delayed-message'), bindings: [binding('p', 'q', 'k')] }), 'unknown-type');
    refused(() => planTap({ exchange: xinfo('', 'direct'), bindings: [] }), 'default-exchange');
    refused(() => planTap({ exchange: xinfo('f', 'fanout'), bindings: [] }), 'nothing-routed');
    refused(() => planTap({ exchange: xinfo('f', 'fanout'), bindings: [binding('f', 'x2', '', {}, 'exchange')], alternate: { name: 'gone', bindings: [] } }), 'nothing-routed');
    // The tracer needs no binding on the exchange, so hash exchanges can be tapped that way.
    assert.equal(planTap({ exchange: xinfo('h', 'x-consistent-hash'), bindings: [] }, 'tracer').mechanism, 'tracer');
    assert.throws(() => planTap({ exchange: xinfo('x', 'direct'), bindings: [] }, 'magic' as 'tracer'), (e: unknown) => isRabbitError(e, 'INVALID_INPUT') && e.field === 'mechanism');
  });
});

interface Scenario {
  name: string;
  type: 'direct' | 'topic' | 'fanout' | 'headers';
  bindings: { queue: string; key?: string; args?: Record<string, unknown> }[];
  /** Alternate exchange: its type and its queue bindings. */
  ae?: { type: 'fanout' | 'direct'; bindings: { queue: string; key?: string }[] };
  messages: { key: string; headers?: Record<string, unknown> }[];
}

const SCENARIOS: Scenario[] = [
  {
    name: 'direct',
    type: 'direct',
    bindings: [{ queue: 'q1', key: 'a' }, { queue: 'q2', key: 'b' }, { queue: 'q2', key: 'c' }, { queue: 'q3', key: 'a' }],
    messages: [{ key: 'a' }, { key: 'b' }, { key: 'zz' }, { key: 'c' }, { key: 'nope' }],
  },
  {
    name: 'topic',
    type: 'topic',
    bindings: [{ queue: 'q1', key: 'orders.*' }, { queue: 'q2', key: '#.eu' }],
    messages: [{ key: 'orders.new' }, { key: 'x.y.eu' }, { key: 'orders.eu' }, { key: 'misc' }, { key: 'orders.new.late' }],
  },
  {
    name: 'fanout',
    type: 'fanout',
    bindings: [{ queue: 'q1' }, { queue: 'q2' }],
    messages: [{ key: 'k1' }, { key: '' }],
  },
  {
    name: 'headers',
    type: 'headers',
    bindings: [{ queue: 'q1', args: { 'x-match': 'all', format: 'pdf', lang: 'zh' } }, { queue: 'q2', args: { 'x-match': 'any', format: 'doc', size: 'big' } }],
    messages: [{ key: '', headers: { format: 'pdf', lang: 'zh' } }, { key: '', headers: { format: 'doc' } }, { key: '', headers: { format: 'pdf' } }, { key: '' }, { key: 'x', headers: { size: 'big', lang: 'zh' } }],
  },
];

/** Every scenario once without an AE and once with a fanout AE; direct also with an AE that routes only some. */
const VARIANTS: Scenario[] = SCENARIOS.flatMap((s) => [
  s,
  { ...s, name: `${s.name}+ae`, ae: { type: 'fanout' as const, bindings: [{ queue: 'unrouted' }] } },
  ...(s.type === 'direct' ? [{ ...s, name: `${s.name}+partial-ae`, ae: { type: 'direct' as const, bindings: [{ queue: 'unrouted', key: 'zz' }] } }] : []),
  ...(s.type === 'fanout' ? [{ ...s, name: 'fanout-unbound+ae', bindings: [], ae: { type: 'fanout' as const, bindings: [{ queue: 'unrouted' }] } }] : []),
]);

describe('core/tap (real broker)', function () {
  this.timeout(120_000);
  let vh: TestVhost;
  let s: AmqpSession;
  let client: ManagementClient;
  let conn: amqp.ChannelModel;
  let ch: amqp.ConfirmChannel;

  before(async () => {
    vh = await createTestVhost('tap');
    s = sessionFor(vh);
    client = new ManagementClient(resolveProfile({ id: 'test', name: 'test', amqpUrl: vh.profileUrl, managementUrl: MGMT_URL }), { username: USER, password: PASSWORD });
    conn = await amqp.connect(vh.amqpUrl, { noDelay: true });
    conn.on('error', () => undefined);
    ch = await conn.createConfirmChannel();
    ch.on('error', () => undefined);
  });
  after(async () => {
    await s?.close();
    await conn?.close().catch(() => undefined);
    client?.dispose();
    await vh?.delete();
  });

  const v = () => encodeURIComponent(vh.name);
  async function queueNames(): Promise<string[]> {
    return ((await (await mgmt('GET', `/queues/${v()}?columns=name`)).json()) as { name: string }[]).map((q) => q.name);
  }
  async function tracing(): Promise<boolean> {
    return ((await (await mgmt('GET', `/vhosts/${v()}`)).json()) as { tracing: boolean }).tracing;
  }

  /** Declares a scenario's exchange, its AE and queues (names prefixed). */
  async function setUp(sc: Scenario, p: string): Promise<{ exchange: string; queues: string[] }> {
    const exchange = `${p}.x`;
    const queues = new Set<string>();
    if (sc.ae) {
      await ch.assertExchange(`${p}.ae`, sc.ae.type, { durable: false });
      for (const b of sc.ae.bindings) {
        await ch.assertQueue(`${p}.${b.queue}`, { durable: true });
        await ch.bindQueue(`${p}.${b.queue}`, `${p}.ae`, b.key ?? '');
        queues.add(`${p}.${b.queue}`);
      }
    }
    await ch.assertExchange(exchange, sc.type, { durable: false, ...(sc.ae ? { alternateExchange: `${p}.ae` } : {}) });
    for (const b of sc.bindings) {
      await ch.assertQueue(`${p}.${b.queue}`, { durable: true });
      await ch.bindQueue(`${p}.${b.queue}`, exchange, b.key ?? '', b.args);
      queues.add(`${p}.${b.queue}`);
    }
    return { exchange, queues: [...queues].sort() };
  }

  /** Publishes every message with mandatory; returns what each queue and the publisher got. */
  async function publishAndCollect(sc: Scenario, exchange: string, queues: string[], tag: string): Promise<{ queues: Record<string, string[]>; returned: string[] }> {
    const returned: string[] = [];
    const onReturn = (m: amqp.Message) => returned.push(m.content.toString());
    ch.on('return', onReturn);
    try {
      sc.messages.forEach((m, i) => ch.publish(exchange, m.key, Buffer.from(`${tag}-${i}`), { mandatory: true, headers: m.headers }));
      await ch.waitForConfirms();
      await new Promise((r) => setTimeout(r, 50)); // basic.return precedes the confirm, but let the event loop run
    } finally {
      ch.off('return', onReturn);
    }
    const got: Record<string, string[]> = {};
    for (const q of queues) {
      got[q] = [];
      for (let m = await ch.get(q, { noAck: true }); m; m = await ch.get(q, { noAck: true })) got[q].push(m.content.toString().replace(`${tag}-`, ''));
    }
    return { queues: got, returned: returned.map((b) => b.replace(`${tag}-`, '')) };
  }

  for (const sc of VARIANTS) {
    it(`${sc.name}: every queue and the mandatory publisher get the same with the bindings tap on as off`, async () => {
      const p = `s-${sc.name}`;
      const { exchange, queues } = await setUp(sc, p);
      const off = await publishAndCollect(sc, exchange, queues, 'off');
      const seen: { body: string; via: TapMessageMeta['via'] }[] = [];
      const tap = await startTap(s, { vhost: vh.name, exchange, management: client }, { onMessage: (m, meta) => seen.push({ body: (m.body.text ?? '').replace('on-', ''), via: meta.via }) });
      assert.equal(tap.mechanism, 'bindings');
      assert.ok(tap.queues.every(isTapQueue));
      const on = await publishAndCollect(sc, exchange, queues, 'on');
      assert.deepEqual(on, off, 'the tap changed what a queue or the publisher got');
      // The tap saw exactly the routed messages, and the unroutable ones that the AE routed.
      const routed = new Set(Object.entries(on.queues).filter(([q]) => !q.endsWith('.unrouted')).flatMap(([, b]) => b));
      const viaAe = new Set(Object.entries(on.queues).filter(([q]) => q.endsWith('.unrouted')).flatMap(([, b]) => b));
      await until(() => seen.length >= routed.size + viaAe.size, `${routed.size + viaAe.size} copies (got ${seen.length})`);
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(seen.filter((x) => x.via === 'exchange').map((x) => x.body).sort(), [...routed].sort());
      assert.deepEqual(seen.filter((x) => x.via === 'alternate').map((x) => x.body).sort(), [...viaAe].sort());
      assert.equal(tap.plan.unroutableHidden, !sc.ae);
      await tap.stop();
      assert.deepEqual((await queueNames()).filter(isTapQueue), [], 'the tap queues are gone');
      const after = await publishAndCollect(sc, exchange, queues, 'after');
      assert.deepEqual(after, off);
    });
  }

  it('refuses an exchange that routes nothing and has no alternate exchange, before declaring anything', async () => {
    await ch.assertExchange('lonely', 'fanout', { durable: false });
    await ch.assertExchange('lonely.d', 'direct', { durable: false });
    await assert.rejects(startTap(s, { vhost: vh.name, exchange: 'lonely', management: client }, { onMessage: () => undefined }), (e: unknown) => isRabbitError(e, 'UNSAFE') && e.field === 'nothing-routed' && /mandatory/.test(e.message));
    await assert.rejects(startTap(s, { vhost: vh.name, exchange: 'lonely.d', management: client }, { onMessage: () => undefined }), (e: unknown) => isRabbitError(e, 'UNSAFE'));
    assert.deepEqual((await queueNames()).filter(isTapQueue), []);
  });

  it('an alternate exchange set by a policy is found and tapped', async () => {
    await ch.assertExchange('pol.ae', 'fanout', { durable: false });
    await ch.assertQueue('pol.unrouted', { durable: true });
    await ch.bindQueue('pol.unrouted', 'pol.ae', '');
    await ch.assertExchange('pol.x', 'direct', { durable: false });
    await mgmt('PUT', `/policies/${v()}/pol-ae`, { pattern: '^pol\\.x$', definition: { 'alternate-exchange': 'pol.ae' }, 'apply-to': 'exchanges' });
    try {
      await until(async () => (await client.getExchange(vh.name, 'pol.x')).policy === 'pol-ae', 'the policy to apply');
      const seen: string[] = [];
      const tap = await startTap(s, { vhost: vh.name, exchange: 'pol.x', management: client }, { onMessage: (m, meta) => seen.push(`${meta.via}:${m.body.text}`) });
      assert.deepEqual(tap.plan.alternate, { exchange: 'pol.ae', bindings: [{ routingKey: '' }] });
      ch.publish('pol.x', 'k', Buffer.from('u1'), { mandatory: true });
      ch.publish('pol.ae', 'k', Buffer.from('direct-to-ae')); // not from the tapped exchange: not shown
      await ch.waitForConfirms();
      await until(() => seen.length === 1, 'the unroutable copy');
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(seen, ['alternate:u1']);
      assert.equal((await ch.checkQueue('pol.unrouted')).messageCount, 2, 'the AE queue still gets both');
      await tap.stop();
    } finally {
      await mgmt('DELETE', `/policies/${v()}/pol-ae`);
    }
  });

  it('the copies follow the real bindings: a removed binding makes its messages unroutable again, a new one is copied', async () => {
    await ch.assertExchange('rs.x', 'direct', { durable: false });
    await ch.assertQueue('rs.q1', { durable: true });
    await ch.assertQueue('rs.q2', { durable: true });
    await ch.bindQueue('rs.q1', 'rs.x', 'a');
    await ch.bindQueue('rs.q2', 'rs.x', 'b');
    const plans: TapPlan[] = [];
    const seen: string[] = [];
    const tap = await startTap(s, { vhost: vh.name, exchange: 'rs.x', management: client, resyncMs: 150 }, { onMessage: (m) => seen.push(m.body.text ?? ''), onResync: (p) => plans.push(p) });
    assert.deepEqual(tap.bindings, [{ routingKey: 'a' }, { routingKey: 'b' }]);
    await ch.unbindQueue('rs.q2', 'rs.x', 'b');
    await until(() => plans.length >= 1, 'the tap to drop its copy of "b"');
    assert.deepEqual(tap.bindings, [{ routingKey: 'a' }]);
    const returned: string[] = [];
    const onReturn = (m: amqp.Message) => returned.push(m.content.toString());
    ch.on('return', onReturn);
    ch.publish('rs.x', 'b', Buffer.from('b-now-unroutable'), { mandatory: true });
    ch.publish('rs.x', 'a', Buffer.from('a-routed'), { mandatory: true });
    await ch.waitForConfirms();
    await new Promise((r) => setTimeout(r, 50));
    ch.off('return', onReturn);
    assert.deepEqual(returned, ['b-now-unroutable']);
    await ch.bindQueue('rs.q2', 'rs.x', 'c');
    await until(() => plans.length >= 2, 'the tap to copy "c"');
    assert.deepEqual(tap.bindings, [{ routingKey: 'a' }, { routingKey: 'c' }]);
    ch.publish('rs.x', 'c', Buffer.from('c-routed'));
    await ch.waitForConfirms();
    await until(() => seen.length === 2, 'copies of a and c');
    assert.deepEqual(seen, ['a-routed', 'c-routed']);
    await tap.stop();
    await ch.purgeQueue('rs.q1');
    await ch.purgeQueue('rs.q2');
  });

  it('two taps on one exchange do not copy each other: when the original goes, both copies go', async () => {
    await ch.assertExchange('two.x', 'topic', { durable: false });
    await ch.assertQueue('two.q', { durable: true });
    await ch.bindQueue('two.q', 'two.x', 'k.#');
    const opts = { vhost: vh.name, exchange: 'two.x', management: client, resyncMs: 150 };
    const a = await startTap(s, opts, { onMessage: () => undefined });
    const b = await startTap(s, opts, { onMessage: () => undefined });
    assert.deepEqual(b.bindings, [{ routingKey: 'k.#' }]);
    await ch.unbindQueue('two.q', 'two.x', 'k.#');
    await until(() => a.bindings.length === 0 && b.bindings.length === 0, 'both taps to drop their copies');
    const rest = ((await (await mgmt('GET', `/exchanges/${v()}/two.x/bindings/source`)).json()) as unknown[]).length;
    assert.equal(rest, 0);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('routing-key and header filters narrow what is shown, never what is bound', async () => {
    await ch.assertExchange('f.x', 'topic', { durable: false });
    await ch.assertQueue('f.q', { durable: true });
    await ch.bindQueue('f.q', 'f.x', '#');
    const seen: string[] = [];
    const tap = await startTap(s, { vhost: vh.name, exchange: 'f.x', management: client, routingKeys: ['a', 'b'], headers: { lang: 'zh' } }, { onMessage: (m) => seen.push(m.body.text ?? '') });
    assert.deepEqual(tap.bindings, [{ routingKey: '#' }]);
    ch.publish('f.x', 'a', Buffer.from('a-zh'), { headers: { lang: 'zh' } });
    ch.publish('f.x', 'a', Buffer.from('a-en'), { headers: { lang: 'en' } });
    ch.publish('f.x', 'c', Buffer.from('c-zh'), { headers: { lang: 'zh' } });
    ch.publish('f.x', 'b', Buffer.from('b-zh'), { headers: { lang: 'zh' } });
    await ch.waitForConfirms();
    await until(() => seen.length === 2 && tap.filtered === 2, 'two shown, two filtered');
    assert.deepEqual(seen, ['a-zh', 'b-zh']);
    assert.equal((await ch.checkQueue('f.q')).messageCount, 4);
    await tap.stop();
  });

  it('tracer: sees every publish (routed or not) with its routed queues, changes no routing, restores tracing and the vhost description', async () => {
    await mgmt('PUT', `/vhosts/${v()}`, { description: 'keep me', tags: 'team-a' });
    const sc: Scenario = { ...SCENARIOS[1], name: 'tracer', ae: { type: 'fanout', bindings: [{ queue: 'unrouted' }] } };
    const { exchange, queues } = await setUp(sc, 'tr');
    const off = await publishAndCollect(sc, exchange, queues, 'off');
    assert.equal(await tracing(), false);
    const seen: { body: string; routed?: string[]; key: string }[] = [];
    const tap = await startTap(s, { vhost: vh.name, exchange, management: client, mechanism: 'tracer' }, {
      onMessage: (m, meta) => seen.push({ body: (m.body.text ?? '').replace('on-', ''), routed: meta.routedQueues, key: m.fields.routingKey }),
    });
    assert.equal(tap.mechanism, 'tracer');
    assert.equal(tap.tracerWasOn, false);
    assert.equal(await tracing(), true);
    assert.equal(tracerHeld(client, vh.name), true);
    const on = await publishAndCollect(sc, exchange, queues, 'on');
    assert.deepEqual(on, off);
    await until(() => seen.length === sc.messages.length, `${sc.messages.length} traced publishes`);
    assert.deepEqual(seen.map((x) => x.body), sc.messages.map((_, i) => String(i)));
    assert.deepEqual(seen.map((x) => x.key), sc.messages.map((m) => m.key));
    // "misc" matches no binding: routed by the AE only.
    assert.deepEqual(seen[3].routed, ['tr.unrouted']);
    assert.deepEqual(seen[0].routed, ['tr.q1']);
    await tap.stop();
    assert.equal(await tracing(), false, 'tracing switched back off');
    assert.equal(tracerHeld(client, vh.name), false);
    const vhost = (await (await mgmt('GET', `/vhosts/${v()}`)).json()) as { description: string; tags: string[] };
    assert.deepEqual([vhost.description, vhost.tags], ['keep me', ['team-a']]);
  });

  it('tracer: left on when it was on before; two taps share it and the last one switches it off', async () => {
    await ch.assertExchange('tr2.x', 'fanout', { durable: false });
    await mgmt('PUT', `/vhosts/${v()}`, { tracing: true });
    const t1 = await startTap(s, { vhost: vh.name, exchange: 'tr2.x', management: client, mechanism: 'tracer' }, { onMessage: () => undefined });
    assert.equal(t1.tracerWasOn, true);
    await t1.stop();
    assert.equal(await tracing(), true, 'someone else switched it on: left on');
    await mgmt('PUT', `/vhosts/${v()}`, { tracing: false });
    const a = await startTap(s, { vhost: vh.name, exchange: 'tr2.x', management: client, mechanism: 'tracer' }, { onMessage: () => undefined });
    const b = await startTap(s, { vhost: vh.name, exchange: 'tr2.x', management: client, mechanism: 'tracer' }, { onMessage: () => undefined });
    await a.stop();
    assert.equal(await tracing(), true, 'still used by the second tap');
    await b.stop();
    assert.equal(await tracing(), false);
  });

  it('a dropped connection removes the tap queues and switches the tracer back off', async () => {
    await ch.assertExchange('drop.x', 'fanout', { durable: false });
    await ch.assertQueue('drop.q', { durable: true });
    await ch.bindQueue('drop.q', 'drop.x', '');
    const proxy = await startProxy();
    const viaProxy = sessionFor(vh, { reconnect: { initialDelayMs: 50 } }, proxy.port);
    try {
      const ends: string[] = [];
      const t1 = await startTap(viaProxy, { vhost: vh.name, exchange: 'drop.x', management: client }, { onMessage: () => undefined, onEnd: (r) => ends.push(r) });
      const t2 = await startTap(viaProxy, { vhost: vh.name, exchange: 'drop.x', management: client, mechanism: 'tracer' }, { onMessage: () => undefined, onEnd: (r) => ends.push(r) });
      assert.equal(await tracing(), true);
      const made = [...t1.queues, ...t2.queues];
      proxy.cut();
      await until(() => ends.length === 2, 'both taps to end');
      assert.deepEqual(ends, ['closed', 'closed']);
      await until(async () => !(await tracing()), 'tracing off');
      await until(async () => (await queueNames()).filter((q) => made.includes(q)).length === 0, 'the exclusive tap queues to go');
    } finally {
      await viaProxy.close();
      await proxy.close();
    }
  });

  it('a missing exchange is NOT_FOUND, nothing is left behind and the session keeps working', async () => {
    await assert.rejects(startTap(s, { vhost: vh.name, exchange: 'ghost', management: client }, { onMessage: () => undefined }), (e: unknown) => isRabbitError(e, 'NOT_FOUND'));
    assert.deepEqual((await queueNames()).filter(isTapQueue), []);
    await ch.assertExchange('ok.x', 'fanout', { durable: false });
    await ch.assertQueue('ok.q', { durable: true });
    await ch.bindQueue('ok.q', 'ok.x', '');
    const tap: TapHandle = await startTap(s, { vhost: vh.name, exchange: 'ok.x', management: client }, { onMessage: () => undefined });
    assert.equal(tap.active, true);
    await tap.stop();
    await tap.stop(); // twice is fine
  });

  it('ends with "cancelled" when a tap queue is deleted under it; ends when the exchange is deleted', async () => {
    const ends: string[] = [];
    const tap = await startTap(s, { vhost: vh.name, exchange: 'ok.x', management: client }, { onMessage: () => undefined, onEnd: (r) => ends.push(r) });
    await s.withTempChannel('delete the tap queue', (c) => c.deleteQueue(tap.queue));
    await until(() => ends.length > 0, 'the tap to end');
    assert.deepEqual(ends, ['cancelled']);
    assert.equal(tap.active, false);
    await tap.stop();
    const ends2: string[] = [];
    const tap2 = await startTap(s, { vhost: vh.name, exchange: 'ok.x', management: client, resyncMs: 150 }, { onMessage: () => undefined, onEnd: (r, e) => ends2.push(`${r}:${e?.code}`) });
    await ch.deleteExchange('ok.x');
    await until(() => ends2.length > 0, 'the tap to notice');
    assert.deepEqual(ends2, ['closed:NOT_FOUND']);
    await until(async () => (await queueNames()).filter((q) => tap2.queues.includes(q)).length === 0, 'its queues to go');
  });
});
