/**
 * RPC: round trip p50 of raw amqplib at its best (noDelay, direct reply-to, one channel, sequential calls) vs the
 * RPC panel's own call path (src/features/rpc/rpcRunner.ts: form validation, core RpcClient, reply decoded into the view
 * the page shows), both against the same raw amqplib echo server (noDelay) in a fresh vhost; and 100 concurrent
 * panel calls, counting replies matched to their own request.
 * Exported for the bench runner; it does not run by itself.
 */
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import * as amqp from 'amqplib';
import { AmqpSession } from '../src/core/session';
import { emptyForm } from '../src/features/rpc/rpcModel';
import { RpcRunner } from '../src/features/rpc/rpcRunner';
import { PASSWORD, USER, createTestVhost } from '../test/support/broker';
import { startRawRpcServer } from '../test/support/rawRpcServer';
import { benchProfile } from './support';

const WARMUP = 200;
const CALLS = 2000;
const CONCURRENT = 100;

function p50(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const round = (n: number) => Math.round(n * 1000) / 1000;

const BODY = JSON.stringify({ op: 'echo', n: 42, note: 'x'.repeat(64) });

export async function benchRpc(): Promise<Record<string, number>> {
  const tv = await createTestVhost('bench-rpc');
  const server = await amqp.connect(tv.amqpUrl, { noDelay: true });
  server.on('error', () => undefined);
  const client = await amqp.connect(tv.amqpUrl, { noDelay: true });
  client.on('error', () => undefined);
  const resolved = benchProfile(tv);
  const session = new AmqpSession(resolved, { username: USER, password: PASSWORD }, { reconnect: false });
  const runner = new RpcRunner(async () => session);
  try {
    // Echo server: replies with the request body, same correlation id.
    await startRawRpcServer(server, 'echo', { prefetch: 100 });

    // ------------------------------------------------------------------ raw amqplib: direct reply-to, one channel
    const ch = await client.createChannel();
    const pending = new Map<string, (m: amqp.ConsumeMessage) => void>();
    await ch.consume('amq.rabbitmq.reply-to', (m) => {
      if (!m) return;
      const done = pending.get(String(m.properties.correlationId));
      if (done) {
        pending.delete(String(m.properties.correlationId));
        done(m);
      }
    }, { noAck: true });
    const body = Buffer.from(BODY);
    const rawCall = () => new Promise<amqp.ConsumeMessage>((resolve) => {
      const id = randomUUID();
      pending.set(id, resolve);
      ch.publish('', 'echo', body, { replyTo: 'amq.rabbitmq.reply-to', correlationId: id, contentType: 'application/json', mandatory: true });
    });
    const form = emptyForm({ targetKind: 'queue', queue: 'echo', body: BODY, contentType: 'application/json', timeoutMs: 30_000 });
    const panelCall = async () => {
      const out = await runner.execute(form);
      if (out.call.state !== 'ok') throw new Error(`panel call failed: ${out.call.errorMessage}`);
      return out;
    };

    for (let i = 0; i < WARMUP; i++) {
      await rawCall();
      await panelCall();
    }
    // Interleaved call by call so both see the same broker and machine conditions.
    const raw: number[] = [];
    const panel: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      let t0 = performance.now();
      await rawCall();
      raw.push(performance.now() - t0);
      t0 = performance.now();
      await panelCall();
      panel.push(performance.now() - t0);
    }

    // ------------------------------------------------------------------ 100 concurrent panel calls
    const forms = Array.from({ length: CONCURRENT }, (_, i) => emptyForm({ targetKind: 'queue', queue: 'echo', body: JSON.stringify({ i, tag: randomUUID() }), timeoutMs: 30_000 }));
    const outs = await Promise.all(forms.map((f) => runner.execute(f)));
    const matched = outs.filter((o, i) => o.call.state === 'ok' && o.call.reply?.body.text === forms[i].body).length;

    return {
      raw_rpc_p50_ms: round(p50(raw)),
      rpc_panel_p50_ms: round(p50(panel)),
      rpc_100_concurrent_matched: matched,
    };
  } finally {
    await runner.dispose();
    await session.close();
    await client.close().catch(() => undefined);
    await server.close().catch(() => undefined);
    await tv.delete();
  }
}
