/**
 * AMQP core overhead against raw amqplib, measured in the same run on the same broker:
 * - publish 100k x 256 B with confirms: raw amqplib at its best (noDelay, confirm channel, pipelined,
 *   drain-aware) vs publishMany;
 * - RPC round trip p50: raw direct reply-to client vs RpcClient, against the same raw amqplib server;
 * - peek of 1,000 messages: the core vs raw amqplib (prefetch, manual ack, channel closed) vs the management API's
 *   POST …/get with ack_requeue_true (the management UI's "Get messages"), interleaved;
 * - peer for publishing: the management API's POST …/publish, one request per message (the UI and rabbitmqadmin);
 * - 100 concurrent RPC calls all matched.
 * Exported for the bench runner (bench/bench.ts); it does not run by itself.
 */
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import * as amqp from 'amqplib';
import { declareQueue, publishMany, purgeQueue, type PublishOptions } from '../src/core/operations';
import { peekMessages } from '../src/core/peek';
import { RpcClient } from '../src/core/rpc';
import { AmqpSession } from '../src/core/session';
import { PASSWORD, USER, createTestVhost } from '../test/support/broker';
import { benchProfile, httpGet, httpPublishRate, rawPeek } from './support';
import { startRawRpcServer } from '../test/support/rawRpcServer';

const PUBLISH_N = 100_000;
const BODY = Buffer.alloc(256, 0x61);
const RPC_N = 500;
const ROUNDS = 2;
const HTTP_PUBLISH_N = 300;
const PEEK_ROUNDS = 5;

function p50(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function round(v: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

async function rawPublish(conn: amqp.ChannelModel, queue: string): Promise<number> {
  const ch = await conn.createConfirmChannel();
  ch.on('error', () => undefined);
  const started = performance.now();
  for (let i = 0; i < PUBLISH_N; i++) {
    if (!ch.publish('', queue, BODY)) await new Promise<void>((r) => ch.once('drain', () => r()));
  }
  await ch.waitForConfirms();
  const secs = (performance.now() - started) / 1000;
  await ch.close();
  return PUBLISH_N / secs;
}

async function corePublish(session: AmqpSession, queue: string): Promise<number> {
  const msg: PublishOptions = { exchange: '', routingKey: queue, body: BODY };
  function* messages(): Generator<PublishOptions> {
    for (let i = 0; i < PUBLISH_N; i++) yield msg;
  }
  const r = await publishMany(session, messages());
  if (r.confirmed !== PUBLISH_N) throw new Error(`publishMany confirmed ${r.confirmed}/${PUBLISH_N}`);
  return PUBLISH_N / (r.elapsedMs / 1000);
}

async function rawRpcP50(conn: amqp.ChannelModel, queue: string): Promise<number> {
  const ch = await conn.createChannel();
  ch.on('error', () => undefined);
  const waiting = new Map<string, () => void>();
  await ch.consume('amq.rabbitmq.reply-to', (m) => {
    const done = m && waiting.get(m.properties.correlationId);
    if (done) done();
  }, { noAck: true });
  const times: number[] = [];
  for (let i = 0; i < RPC_N; i++) {
    const id = randomUUID();
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      waiting.set(id, resolve);
      ch.publish('', queue, BODY, { replyTo: 'amq.rabbitmq.reply-to', correlationId: id, mandatory: true });
    });
    waiting.delete(id);
    times.push(performance.now() - t0);
  }
  await ch.close();
  return p50(times);
}

async function coreRpcP50(client: RpcClient, queue: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RPC_N; i++) {
    const t0 = performance.now();
    await client.call({ routingKey: queue, body: BODY, timeoutMs: 10_000 });
    times.push(performance.now() - t0);
  }
  return p50(times);
}

export async function benchAmqp(): Promise<Record<string, number>> {
  const tv = await createTestVhost('bench-amqp');
  const conn = await amqp.connect(tv.amqpUrl, { noDelay: true });
  conn.on('error', () => undefined);
  const session = new AmqpSession(benchProfile(tv), { username: USER, password: PASSWORD });
  try {
    const sink = 'bench-sink';
    // bounded so 100k messages do not pile up in the broker; both sides pay the same
    // durable: brokers may deny transient non-exclusive queues (RabbitMQ 4 with deprecated features denied)
    await declareQueue(session, { name: sink, durable: true, maxLength: 10_000 });

    let rawBest = 0;
    let coreBest = 0;
    // alternate which side goes first so warm-up and broker state favour neither; keep each side's best
    for (let r = 0; r < ROUNDS; r++) {
      for (const side of r % 2 === 0 ? ['raw', 'core'] : ['core', 'raw']) {
        if (side === 'raw') rawBest = Math.max(rawBest, await rawPublish(conn, sink));
        else coreBest = Math.max(coreBest, await corePublish(session, sink));
        await purgeQueue(session, sink);
      }
    }

    const rpcQ = 'bench-rpc';
    const server = await startRawRpcServer(conn, rpcQ);
    const client = new RpcClient(session);
    await client.call({ routingKey: rpcQ, body: 'warm-up' });
    await rawRpcP50(conn, rpcQ); // warm-up
    const rawRpc = await rawRpcP50(conn, rpcQ);
    const coreRpc = await coreRpcP50(client, rpcQ);

    const concurrent = await Promise.all(Array.from({ length: 100 }, (_, i) => client.call({ routingKey: rpcQ, body: `c${i}`, timeoutMs: 30_000 })));
    const matched = concurrent.filter((r, i) => r.raw.content.toString() === `c${i}`).length;
    await client.close();
    await server.close();

    const peekQ = 'bench-peek';
    await declareQueue(session, { name: peekQ, durable: true });
    await publishMany(session, Array.from({ length: 1000 }, (_, i) => ({ exchange: '', routingKey: peekQ, body: `peek-${i}` })));
    const peekTimes: number[] = [];
    const rawPeekTimes: number[] = [];
    const httpPeekTimes: number[] = [];
    for (let i = 0; i < PEEK_ROUNDS; i++) {
      // rotate the order so neither way always goes first
      const order = [['core', 'raw', 'http'], ['raw', 'http', 'core'], ['http', 'core', 'raw']][i % 3];
      for (const way of order) {
        if (way === 'raw') rawPeekTimes.push(await rawPeek(conn, peekQ, 1000));
        else if (way === 'http') {
          const r = await httpGet(tv.name, peekQ, 1000);
          if (r.got !== 1000) throw new Error(`HTTP get returned ${r.got}`);
          httpPeekTimes.push(r.ms);
        } else {
          const t0 = performance.now();
          const p = await peekMessages(session, peekQ, { count: 1000, queueType: 'classic' });
          if (p.messages.length !== 1000) throw new Error(`peek returned ${p.messages.length}`);
          peekTimes.push(performance.now() - t0);
        }
      }
    }

    // The peer for publishing: one HTTP request per message, as the management UI and rabbitmqadmin publish.
    const httpRate = await httpPublishRate(tv.name, '', Array.from({ length: HTTP_PUBLISH_N }, () => ({ routingKey: sink, payload: BODY.toString('latin1') })));
    await purgeQueue(session, sink);

    return {
      raw_publish_msgs_per_s: Math.round(rawBest),
      core_publish_msgs_per_s: Math.round(coreBest),
      core_vs_raw_publish_ratio: round(coreBest / rawBest, 3),
      raw_rpc_p50_ms: round(rawRpc, 3),
      core_rpc_p50_ms: round(coreRpc, 3),
      http_publish_msgs_per_s: Math.round(httpRate),
      core_peek_1k_ms: round(p50(peekTimes)),
      raw_peek_1k_ms: round(p50(rawPeekTimes)),
      http_get_1k_ms: round(p50(httpPeekTimes)),
      rpc_100_concurrent_matched: matched,
    };
  } finally {
    await session.close();
    await conn.close().catch(() => undefined);
    await tv.delete();
  }
}
