/**
 * Messaging: (1) peek 1,000 messages with the core vs turning those 1,000 peeked messages into what the inspector
 * posts to its page (view model + the JSON the webview channel carries); (2) bulk publish of 100,000 messages from
 * a JSON Lines file (our parser + core publishMany, as rabbitmq.publishBulk does) vs raw amqplib at its best
 * (noDelay, one confirm channel, pipelined, same messages prebuilt), in alternating order, medians of the rounds.
 * Baseline for the inspector: raw amqplib looking at the same 1,000 messages (prefetch, manual ack, channel closed);
 * peers: the management API's POST …/get with ack_requeue_true, and its POST …/publish one message per request.
 * Exported for the bench runner (bench/bench.ts); it does not run by itself.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as amqp from 'amqplib';
import { publishMany } from '../src/core/operations';
import { peekMessages } from '../src/core/peek';
import { AmqpSession } from '../src/core/session';
import { readBulkFile, withProgressIterator } from '../src/features/messaging/bulk';
import { INSPECTOR_DECODE, toViewMessages } from '../src/features/messaging/inspectorModel';
import { PASSWORD, USER, createTestVhost } from '../test/support/broker';
import { benchProfile, httpGet, httpPublishRate, rawPeek } from './support';

const PEEK = 1000;
const BULK = 100_000;
const RUNS = 5;
const BULK_ROUNDS = 4;
const HTTP_PUBLISH_N = 300;

function p50(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const round = (n: number) => Math.round(n * 100) / 100;

/** A ~256-byte JSON body with a few headers, like a typical event. */
function sample(i: number): { body: string; headers: Record<string, unknown> } {
  const body = JSON.stringify({ id: i, type: 'order.created', customer: `c-${i % 977}`, total: (i % 1000) / 10, items: [{ sku: `sku-${i % 53}`, qty: 1 + (i % 4) }], note: 'x'.repeat(96) });
  return { body, headers: { 'x-tenant': `t${i % 7}`, attempt: i % 3, trace: `trace-${i}` } };
}

export async function benchMessaging(): Promise<Record<string, number>> {
  const tv = await createTestVhost('bench-msg');
  const dir = mkdtempSync(join(tmpdir(), 'rmqwb-bench-msg-'));
  const resolved = benchProfile(tv);
  const session = new AmqpSession(resolved, { username: USER, password: PASSWORD }, { reconnect: false });
  const raw = await amqp.connect(tv.amqpUrl, { noDelay: true });
  raw.on('error', () => undefined);
  try {
    const setup = await raw.createChannel();
    await setup.assertQueue('peek', { durable: true });
    await setup.assertQueue('bulk', { durable: true });
    await setup.assertQueue('raw', { durable: true });

    // ---------------------------------------------------------------- peek 1k vs inspector transform
    const cc = await raw.createConfirmChannel();
    for (let i = 0; i < PEEK; i++) {
      const s = sample(i);
      cc.sendToQueue('peek', Buffer.from(s.body), { contentType: 'application/json', headers: s.headers, messageId: `m${i}`, timestamp: 1700000000 + i });
    }
    await cc.waitForConfirms();
    const peekTimes: number[] = [];
    const viewTimes: number[] = [];
    const transformTimes: number[] = [];
    const rawPeekTimes: number[] = [];
    const httpPeekTimes: number[] = [];
    let posted = 0;
    for (let r = 0; r < RUNS; r++) {
      rawPeekTimes.push(await rawPeek(raw, 'peek', PEEK));
      const h = await httpGet(tv.name, 'peek', PEEK);
      if (h.got !== PEEK) throw new Error(`HTTP get returned ${h.got} of ${PEEK}`);
      httpPeekTimes.push(h.ms);
      const t0 = performance.now();
      const res = await peekMessages(session, 'peek', { count: PEEK, queueType: 'classic', decode: INSPECTOR_DECODE });
      peekTimes.push(performance.now() - t0);
      if (res.messages.length !== PEEK) throw new Error(`peek returned ${res.messages.length} of ${PEEK}`);
      const t1 = performance.now();
      const views = toViewMessages(res.messages, 'g1-');
      // postMessage serializes the payload: count that too.
      posted = JSON.stringify({ type: 'messages', messages: views, replace: true }).length;
      // "Ready to show" = the peek plus the transform and serialization for the page.
      viewTimes.push(performance.now() - t0);
      transformTimes.push(performance.now() - t1);
    }

    // ---------------------------------------------------------------- bulk publish 100k from JSON Lines vs raw
    const file = join(dir, 'bulk.jsonl');
    const lines: string[] = new Array(BULK);
    const prebuilt: { content: Buffer; headers: Record<string, unknown>; messageId: string }[] = new Array(BULK);
    for (let i = 0; i < BULK; i++) {
      const s = sample(i);
      lines[i] = JSON.stringify({ routingKey: 'bulk', body: s.body, properties: { contentType: 'application/json', messageId: `m${i}` }, headers: s.headers });
      prebuilt[i] = { content: Buffer.from(s.body), headers: s.headers, messageId: `m${i}` };
    }
    writeFileSync(file, lines.join('\n'));

    const ours: number[] = [];
    const rawRates: number[] = [];
    const purge = await raw.createChannel();
    // Ours: read + parse + check the whole file, then publishMany through the progress iterator (as the command).
    const runOurs = async (): Promise<void> => {
      const t0 = performance.now();
      const messages = await readBulkFile(file, {});
      const res = await publishMany(session, withProgressIterator(messages, () => true), { mandatory: true });
      const ms = performance.now() - t0;
      if (res.confirmed !== BULK) throw new Error(`bulk confirmed ${res.confirmed} of ${BULK}`);
      ours.push((BULK / ms) * 1000);
      await purge.purgeQueue('bulk');
    };
    // Raw amqplib: one confirm channel, pipelined with drain handling, the same messages prebuilt.
    const runRaw = async (): Promise<void> => {
      const ch = await raw.createConfirmChannel();
      const t1 = performance.now();
      await new Promise<void>((resolve, reject) => {
        let confirmed = 0;
        let i = 0;
        const onConfirm = (err: unknown) => {
          if (err) reject(err instanceof Error ? err : new Error(String(err)));
          else if (++confirmed === BULK) resolve();
        };
        const pump = () => {
          while (i < BULK) {
            const m = prebuilt[i++];
            const ok = ch.publish('', 'raw', m.content, { contentType: 'application/json', messageId: m.messageId, headers: m.headers, mandatory: true }, onConfirm);
            if (!ok) {
              ch.once('drain', pump);
              return;
            }
          }
        };
        pump();
      });
      rawRates.push((BULK / (performance.now() - t1)) * 1000);
      await ch.close();
      await purge.purgeQueue('raw');
    };
    // Alternate which goes first, so warm-up, broker state and the load of a shared machine favour neither.
    for (let r = 0; r < BULK_ROUNDS; r++) {
      if (r % 2 === 0) {
        await runOurs();
        await runRaw();
      } else {
        await runRaw();
        await runOurs();
      }
      console.log(`[bench] messaging bulk round ${r + 1}: ours ${Math.round(ours[r])} msgs/s, raw ${Math.round(rawRates[r])} msgs/s`);
    }
    // The peer: the same messages, one HTTP request each (management UI, rabbitmqadmin).
    const httpRate = await httpPublishRate(tv.name, '', Array.from({ length: HTTP_PUBLISH_N }, (_, i) => ({
      routingKey: 'raw',
      payload: prebuilt[i].content.toString('utf8'),
      properties: { content_type: 'application/json', message_id: prebuilt[i].messageId, headers: prebuilt[i].headers },
    })));
    await purge.purgeQueue('raw');
    return {
      core_peek_1k_ms: round(p50(peekTimes)),
      raw_peek_1k_ms: round(p50(rawPeekTimes)),
      http_get_1k_ms: round(p50(httpPeekTimes)),
      inspector_1k_ms: round(p50(viewTimes)),
      inspector_transform_1k_ms: round(p50(transformTimes)),
      inspector_1k_payload_kb: round(posted / 1024),
      bulk_publish_100k_msgs_per_s: Math.round(p50(ours)),
      raw_publish_100k_msgs_per_s: Math.round(p50(rawRates)),
      http_publish_msgs_per_s: Math.round(httpRate),
    };
  } finally {
    await session.close().catch(() => undefined);
    await raw.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    await tv.delete();
  }
}
