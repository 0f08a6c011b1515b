/**
 * Faults, measured on our own connections through the test proxy (the shared broker is never touched):
 * - stall_detect_ms: from a stalled socket (open, nothing forwarded) to the publish failing, with a 2 s
 *   confirm timeout (target: at most the confirm timeout + 1 s);
 * - reconnect_ms: from the broker closing our connection (management API) to the next confirmed publish,
 *   median of 5 (target: at most 1,000 ms); raw_connect_publish_ms, its baseline: a fresh raw amqplib connection
 *   (noDelay) with a confirm channel and one confirmed publish, median of 5 (what any reconnect costs at least);
 * - the stall's baseline is the confirm timeout itself (raw amqplib waits for a confirm without end).
 * Exported for the bench runner (scripts/bench.mjs); it does not run by itself.
 */
import { performance } from 'node:perf_hooks';
import * as amqp from 'amqplib';
import { randomBytes } from 'node:crypto';
import { declareQueue, publish } from '../src/core/operations';
import { resolveProfile } from '../src/core/profile';
import { AmqpSession, type AmqpSessionOptions } from '../src/core/session';
import { AMQP_HOST, AMQP_PORT, MGMT_URL, PASSWORD, USER, createTestVhost, mgmt } from '../test/support/broker';
import { startFaultProxy } from '../test/support/faultProxy';

const CONFIRM_TIMEOUT_MS = 2_000;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function session(vhost: string, port: number, options: AmqpSessionOptions): AmqpSession {
  const resolved = resolveProfile({ id: 'bench', name: 'bench', amqpUrl: `amqp://${encodeURIComponent(USER)}@${AMQP_HOST}:${port}/${encodeURIComponent(vhost)}`, managementUrl: MGMT_URL });
  return new AmqpSession(resolved, { username: USER, password: PASSWORD }, options);
}

export async function benchStallDetect(): Promise<Record<string, number>> {
  const vh = await createTestVhost('bench-stall');
  const proxy = await startFaultProxy({ host: AMQP_HOST, port: AMQP_PORT });
  const s = session(vh.name, proxy.port, { confirmTimeoutMs: CONFIRM_TIMEOUT_MS, closeTimeoutMs: 500 });
  try {
    // durable: brokers may deny transient non-exclusive queues (RabbitMQ 4 with deprecated features denied)
    await declareQueue(s, { name: 'stall', durable: true });
    await publish(s, { exchange: '', routingKey: 'stall', body: 'warm-up' });
    proxy.stall();
    const started = performance.now();
    const failed = await publish(s, { exchange: '', routingKey: 'stall', body: 'x' }).then(
      () => false,
      () => true,
    );
    if (!failed) throw new Error('the publish on a stalled socket did not fail');
    return { stall_detect_ms: Math.round(performance.now() - started), stall_confirm_timeout_ms: CONFIRM_TIMEOUT_MS };
  } finally {
    proxy.resume();
    await s.close();
    await proxy.close();
    await vh.delete();
  }
}

export async function benchReconnect(): Promise<Record<string, number>> {
  const vh = await createTestVhost('bench-reconnect');
  const name = `wb-bench-${randomBytes(4).toString('hex')}`;
  const s = session(vh.name, AMQP_PORT, { connectionName: name, reconnect: { initialDelayMs: 50, maxDelayMs: 1_000 } });
  const times: number[] = [];
  try {
    await declareQueue(s, { name: 'rc', durable: true });
    for (let round = 0; round < 5; round++) {
      await publish(s, { exchange: '', routingKey: 'rc', body: 'before' });
      // The management API lists a connection after its next statistics round.
      let conn: string | undefined;
      const listedBy = performance.now() + 30_000;
      while (!conn && performance.now() < listedBy) {
        const list = (await (await mgmt('GET', `/vhosts/${encodeURIComponent(vh.name)}/connections`)).json()) as { name: string; client_properties?: { connection_name?: string } }[];
        conn = list.find((c) => c.client_properties?.connection_name === name)?.name;
        if (!conn) await new Promise((r) => setTimeout(r, 200));
      }
      if (!conn) throw new Error('our connection was never listed');
      const lost = new Promise<void>((resolve) => {
        const off = s.on('state', (st) => {
          if (st !== 'connected') {
            off();
            resolve();
          }
        });
      });
      const started = performance.now();
      await mgmt('DELETE', `/connections/${encodeURIComponent(conn)}`);
      await lost;
      for (;;) {
        try {
          await publish(s, { exchange: '', routingKey: 'rc', body: 'after' });
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 5));
        }
        if (performance.now() - started > 30_000) throw new Error('no publish within 30 s of the close');
      }
      times.push(performance.now() - started);
    }
    const raw: number[] = [];
    for (let round = 0; round < 5; round++) {
      const started = performance.now();
      const conn = await amqp.connect(vh.amqpUrl, { noDelay: true });
      conn.on('error', () => undefined);
      const ch = await conn.createConfirmChannel();
      await new Promise<void>((resolve, reject) => ch.publish('', 'rc', Buffer.from('raw'), {}, (err) => (err ? reject(err) : resolve())));
      raw.push(performance.now() - started);
      await conn.close();
    }
    return { reconnect_ms: Math.round(median(times)), raw_connect_publish_ms: Math.round(median(raw)) };
  } finally {
    await s.close();
    await vh.delete();
  }
}
