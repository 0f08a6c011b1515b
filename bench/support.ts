/**
 * Shared by the bench modules: the profile of a test vhost (pointing at the broker the environment names,
 * management URL included), and the peer: the management HTTP API used the way the management UI and rabbitmqadmin
 * use it (one POST per published message, POST …/get with ack_requeue_true to look at messages).
 */
import { performance } from 'node:perf_hooks';
import type * as amqp from 'amqplib';
import { resolveProfile, type ResolvedProfile } from '../src/core/profile';
import { MGMT_URL, PASSWORD, USER, type TestVhost } from '../test/support/broker';

/** The profile of a bench vhost: AMQP and management on the broker of RABBITMQ_PORT / RABBITMQ_MGMT_URL. */
export function benchProfile(tv: TestVhost): ResolvedProfile {
  return resolveProfile({ id: 'bench', name: 'bench', amqpUrl: tv.profileUrl, managementUrl: MGMT_URL });
}

const auth = 'Basic ' + Buffer.from(`${USER}:${PASSWORD}`).toString('base64');

async function post(path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${MGMT_URL}/api${path}`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${path}: HTTP ${res.status} ${text}`);
  return JSON.parse(text) as unknown;
}

export interface HttpMessage {
  routingKey: string;
  payload: string;
  properties?: Record<string, unknown>;
}

/**
 * Messages per second through POST /api/exchanges/{vhost}/{exchange}/publish, one request per message and each
 * awaited (what the management UI's "Publish message" and `rabbitmqadmin publish` do). Every one must be routed.
 */
export async function httpPublishRate(vhost: string, exchange: string, messages: HttpMessage[]): Promise<number> {
  const path = `/exchanges/${encodeURIComponent(vhost)}/${encodeURIComponent(exchange || 'amq.default')}/publish`;
  const started = performance.now();
  for (const m of messages) {
    const r = (await post(path, { routing_key: m.routingKey, payload: m.payload, payload_encoding: 'string', properties: m.properties ?? {} })) as { routed?: boolean };
    if (r.routed !== true) throw new Error(`HTTP publish to ${m.routingKey} was not routed`);
  }
  return messages.length / ((performance.now() - started) / 1000);
}

/**
 * Milliseconds for POST /api/queues/{vhost}/{queue}/get of `count` messages with ackmode ack_requeue_true (the
 * management UI's "Get messages"; the messages go back to the queue). Returns how many came back too.
 */
export async function httpGet(vhost: string, queue: string, count: number): Promise<{ ms: number; got: number }> {
  const started = performance.now();
  const got = (await post(`/queues/${encodeURIComponent(vhost)}/${encodeURIComponent(queue)}/get`, { count, ackmode: 'ack_requeue_true', encoding: 'auto', truncate: 50_000 })) as unknown[];
  return { ms: performance.now() - started, got: got.length };
}

/**
 * The raw amqplib way to look at the first `count` messages without taking them: a channel with prefetch `count`,
 * a consumer with manual ack, then the channel closed so every message goes back unacknowledged. Milliseconds.
 */
export async function rawPeek(conn: amqp.ChannelModel, queue: string, count: number): Promise<number> {
  const started = performance.now();
  const ch = await conn.createChannel();
  ch.on('error', () => undefined);
  await ch.prefetch(count);
  let got = 0;
  await new Promise<void>((resolve, reject) => {
    ch.consume(queue, (m) => {
      if (!m) return reject(new Error('consumer cancelled'));
      if (++got === count) resolve();
    }, { noAck: false }).catch(reject);
  });
  await ch.close();
  return performance.now() - started;
}
