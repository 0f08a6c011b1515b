/**
 * Moving messages between two queues: moveMessages against a raw amqplib loop at its best settings
 * (consume with manual ack and prefetch, publish with confirms and mandatory, ack after the confirm),
 * same broker, same run, alternating order. Peers: a dynamic shovel where the broker has the plugin (the
 * management UI's way), and the management API way without it (HTTP get with ack + HTTP publish), on a smaller batch. Also: grouping dead-lettered messages into a
 * redrive plan against peeking the same number of messages, against raw amqplib looking at them (prefetch, manual
 * ack, channel closed) and against the management API's POST …/get of 10,000 with ack_requeue_true.
 * Exported for the bench runner; it does not run by itself.
 */
import { performance } from 'node:perf_hooks';
import * as amqp from 'amqplib';
import { checkQueue, declareQueue, publishMany, purgeQueue } from '../src/core/operations';
import { shovelMove } from '../src/core/deadLetters';
import { ManagementClient } from '../src/core/management';
import { AmqpSession } from '../src/core/session';
import { moveMessages, planRedrive } from '../src/core/move';
import { peekMessages } from '../src/core/peek';
import { MGMT_URL, PASSWORD, USER, createTestVhost } from '../test/support/broker';
import { benchProfile, httpGet, rawPeek } from './support';

const N = Number(process.env.RMQWB_BENCH_MOVE_N ?? 100_000);
const HTTP_N = 2_000;
const BODY = Buffer.alloc(256, 0x61);
const PREFETCH = 250;

async function fill(session: AmqpSession, queue: string, n: number): Promise<void> {
  function* gen(): Generator<{ exchange: string; routingKey: string; body: Buffer }> {
    for (let i = 0; i < n; i++) yield { exchange: '', routingKey: queue, body: BODY };
  }
  const r = await publishMany(session, gen());
  if (r.confirmed !== n) throw new Error(`fill confirmed ${r.confirmed}/${n}`);
}

/** The best plain amqplib move: consume + confirmed mandatory publish + ack after confirm. */
async function rawMove(conn: amqp.ChannelModel, from: string, to: string, n: number): Promise<number> {
  const src = await conn.createChannel();
  const pub = await conn.createConfirmChannel();
  src.on('error', () => undefined);
  pub.on('error', () => undefined);
  await src.prefetch(PREFETCH);
  const started = performance.now();
  let done = 0;
  await new Promise<void>((resolve, reject) => {
    void src.consume(from, (m) => {
      if (!m) return reject(new Error('cancelled'));
      pub.publish('', to, m.content, { ...m.properties, mandatory: true }, (err) => {
        if (err) return reject(err);
        src.ack(m);
        if (++done === n) resolve();
      });
    });
  });
  const secs = (performance.now() - started) / 1000;
  await src.close();
  await pub.close();
  return n / secs;
}

async function coreMove(session: AmqpSession, from: string, to: string, n: number): Promise<number> {
  const r = await moveMessages(session, { source: from, destination: { kind: 'queue', queue: to }, prefetch: PREFETCH, sourceType: 'classic' });
  if (r.moved !== n) throw new Error(`moveMessages moved ${r.moved}/${n}`);
  return n / (r.elapsedMs / 1000);
}

/** The management API way: get with ack (removes), publish each through the HTTP API. */
async function httpMove(vhost: string, from: string, to: string, n: number): Promise<number> {
  const auth = 'Basic ' + Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
  const v = encodeURIComponent(vhost);
  const started = performance.now();
  let moved = 0;
  while (moved < n) {
    const res = await fetch(`${MGMT_URL}/api/queues/${v}/${encodeURIComponent(from)}/get`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({ count: 500, ackmode: 'ack_requeue_false', encoding: 'base64' }),
    });
    const got = (await res.json()) as { payload: string; properties: Record<string, unknown> }[];
    if (!got.length) break;
    for (const m of got) {
      await fetch(`${MGMT_URL}/api/exchanges/${v}/amq.default/publish`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify({ routing_key: to, payload: m.payload, payload_encoding: 'base64', properties: m.properties }),
      });
      moved++;
    }
  }
  return moved / ((performance.now() - started) / 1000);
}

export async function benchMove(): Promise<Record<string, number>> {
  const tv = await createTestVhost('bench-move');
  const conn = await amqp.connect(tv.amqpUrl, { noDelay: true });
  conn.on('error', () => undefined);
  const session = new AmqpSession(benchProfile(tv), { username: USER, password: PASSWORD });
  try {
    for (const q of ['mv-a', 'mv-b', 'mv-c']) await declareQueue(session, { name: q, durable: true });
    let raw = 0;
    let core = 0;
    for (let round = 0; round < 2; round++) {
      for (const side of round % 2 === 0 ? ['raw', 'core'] : ['core', 'raw']) {
        await purgeQueue(session, 'mv-a');
        await purgeQueue(session, 'mv-b');
        await fill(session, 'mv-a', N);
        if (side === 'raw') raw = Math.max(raw, await rawMove(conn, 'mv-a', 'mv-b', N));
        else core = Math.max(core, await coreMove(session, 'mv-a', 'mv-b', N));
      }
    }
    await purgeQueue(session, 'mv-b');
    await purgeQueue(session, 'mv-c');
    await fill(session, 'mv-c', HTTP_N);
    const http = await httpMove(tv.name, 'mv-c', 'mv-b', HTTP_N);
    // The management UI's way where the shovel plugin is present: a dynamic shovel moving all N on the broker.
    let shovel: number | undefined;
    const client = new ManagementClient(benchProfile(tv), { username: USER, password: PASSWORD });
    try {
      if (await client.hasShovelPlugin()) {
        await purgeQueue(session, 'mv-a');
        await purgeQueue(session, 'mv-b');
        await fill(session, 'mv-a', N);
        const r = await shovelMove(client, { vhost: tv.name, source: 'mv-a', destination: { queue: 'mv-b' }, pollMs: 50, readyCount: async () => (await checkQueue(session, 'mv-a')).messageCount });
        if (r.moved !== N) throw new Error(`shovel moved ${r.moved}/${N}`);
        shovel = N / (r.elapsedMs / 1000);
      }
    } finally {
      client.dispose();
    }

    // Redrive plan of 10,000 dead-lettered messages vs peeking 10,000 (10 peeks of 1,000: the peek maximum).
    await declareQueue(session, { name: 'dl-src', durable: true, deadLetterExchange: '', deadLetterRoutingKey: 'dl-q' });
    await declareQueue(session, { name: 'dl-q', durable: true });
    await fill(session, 'dl-src', 10_000);
    const ch = await conn.createChannel();
    await ch.prefetch(1000);
    await new Promise<void>((resolve) => {
      let k = 0;
      void ch.consume('dl-src', (m) => {
        if (!m) return;
        ch.nack(m, false, false);
        if (++k === 10_000) resolve();
      });
    });
    await ch.close();
    await new Promise((r) => setTimeout(r, 500));
    const t0 = performance.now();
    const plan = await planRedrive(session, { source: 'dl-q', sourceType: 'classic', prefetch: 1000 });
    const planMs = performance.now() - t0;
    if (plan.selected !== 10_000) throw new Error(`plan grouped ${plan.selected}`);
    const t1 = performance.now();
    for (let i = 0; i < 10; i++) await peekMessages(session, 'dl-q', { count: 1000, queueType: 'classic' });
    const peekMs = performance.now() - t1;
    const rawLookMs = await rawPeek(conn, 'dl-q', 10_000);
    const httpLook = await httpGet(tv.name, 'dl-q', 10_000);
    if (httpLook.got !== 10_000) throw new Error(`HTTP get returned ${httpLook.got}`);
    return {
      move_100k_msgs_per_s: Math.round(core),
      raw_move_100k_msgs_per_s: Math.round(raw),
      move_vs_raw_ratio: Math.round((core / raw) * 1000) / 1000,
      peer_http_get_publish_msgs_per_s: Math.round(http),
      ...(shovel !== undefined ? { peer_shovel_msgs_per_s: Math.round(shovel) } : {}),
      redrive_10k_plan_ms: Math.round(planMs),
      peek_10k_ms: Math.round(peekMs),
      raw_consume_10k_ms: Math.round(rawLookMs),
      http_get_10k_ms: Math.round(httpLook.ms),
      redrive_plan_vs_peek_ratio: Math.round((planMs / peekMs) * 1000) / 1000,
    };
  } finally {
    await session.close();
    await conn.close().catch(() => undefined);
    await tv.delete();
  }
}
