/**
 * Request files: parsing a 10,000-line file, computing the CodeLenses of a 1,000-block file, and one
 * `PUBLISH … x 1000` block with templates (evaluated per message, checked, published with confirms) against
 * raw amqplib publishing the same prepared messages with confirms, in the same run on the same broker.
 * Baselines: splitting the same 10,000 lines and testing each against a request-line pattern (the least a parser
 * does); parsing the 1,000-block file alone (what the lenses are computed from). Peer for the publish: the
 * management API's POST …/publish, one request per message.
 * Exported for the bench runner (scripts/bench.mjs); it does not run by itself.
 */
import { performance } from 'node:perf_hooks';
import * as amqp from 'amqplib';
import { declareQueue, purgeQueue } from '../src/core/operations';
import { blockLenses } from '../src/core/requestAssist';
import { parseRequestFile, prepareBlock, runPrepared } from '../src/core/requestFile';
import { AmqpSession } from '../src/core/session';
import { PASSWORD, USER, createTestVhost } from '../test/support/broker';
import { benchProfile, httpPublishRate } from './support';

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const BLOCK = ['### Send an order', 'PUBLISH orders order.created x 2', 'content-type: application/json', 'header x-tenant: {{tenant}}', 'persistent', 'priority: 5', '', '{"id": "{{$uuid}}", "n": {{$counter}}, "tenant": "{{tenant}}"}', ''];

/** Collects the garbage of the previous iteration (npm run bench passes --expose-gc) so it is not timed here. */
function collect(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function fileOf(lines: number): string {
  const out = ['@tenant = acme'];
  while (out.length < lines) out.push(...BLOCK);
  return out.slice(0, lines).join('\n');
}

function fileOfBlocks(blocks: number): string {
  const out = ['@tenant = acme'];
  for (let i = 0; i < blocks; i++) out.push(...(i % 3 === 2 ? ['### Look', 'PEEK orders 5', ''] : BLOCK));
  return out.join('\n');
}

export async function benchRequestParse(): Promise<Record<string, number>> {
  const text = fileOf(10_000);
  const times: number[] = [];
  for (let i = 0; i < 30; i++) {
    collect();
    const t0 = performance.now();
    const f = parseRequestFile(text);
    times.push(performance.now() - t0);
    if (f.diagnostics.length) throw new Error(f.diagnostics[0].message);
  }
  const requestLine = /^(PUBLISH|PEEK|CONSUME|RPC|DECLARE|BIND|DELETE|PURGE)\s+(\S+)/;
  const split: number[] = [];
  for (let i = 0; i < 30; i++) {
    collect();
    const t0 = performance.now();
    let requests = 0;
    for (const line of text.split('\n')) if (requestLine.test(line)) requests++;
    split.push(performance.now() - t0);
    if (requests === 0) throw new Error('no request line found');
  }
  const thousand = fileOfBlocks(1000);
  const lens: number[] = [];
  const parseOnly: number[] = [];
  for (let i = 0; i < 30; i++) {
    let t0 = performance.now();
    const n = blockLenses(parseRequestFile(thousand)).length;
    lens.push(performance.now() - t0);
    if (n < 1000) throw new Error(`only ${n} lenses`);
    t0 = performance.now();
    if (parseRequestFile(thousand).blocks.length < 1000) throw new Error('parse lost blocks');
    parseOnly.push(performance.now() - t0);
  }
  return { request_parse_10k_lines_ms: median(times), raw_split_10k_lines_ms: median(split), codelens_1k_blocks_ms: median(lens), parse_1k_blocks_ms: median(parseOnly) };
}

const N = 1000;

export async function benchRequestPublish(): Promise<Record<string, number>> {
  const vh = await createTestVhost('bench-reqfile');
  const session = new AmqpSession(benchProfile(vh), { username: USER, password: PASSWORD });
  const conn = await amqp.connect(vh.amqpUrl, { noDelay: true });
  conn.on('error', () => undefined);
  try {
    await declareQueue(session, { name: 'orders' });
    const text = ['@tenant = acme', `PUBLISH "" orders x ${N}`, 'content-type: application/json', 'message-id: {{$uuid}}', 'header x-tenant: {{tenant}}', 'header x-n: {{$counter}}', 'persistent', '', '{"id": "{{$uuid}}", "n": {{$counter}}, "at": "{{$isoTimestamp}}", "qty": {{$randomInt 1 10}}}'].join('\n');
    const file = parseRequestFile(text);
    // The request file: evaluate the templates of every message, check them, publish with confirms.
    const fileRound = async (): Promise<number> => {
      const t0 = performance.now();
      const prepared = await prepareBlock(file, file.blocks[0]);
      const r = await runPrepared(session, file.blocks[0], prepared);
      const secs = (performance.now() - t0) / 1000;
      if (r.verb !== 'PUBLISH' || r.confirmed !== N) throw new Error('request file publish incomplete');
      await purgeQueue(session, 'orders');
      return N / secs;
    };
    // Raw amqplib: the same prepared messages (prepared once, untimed) on a confirm channel, pipelined,
    // drain-aware; like publishMany it opens its confirm channel and closes it when every confirm is in.
    const once = await prepareBlock(file, file.blocks[0]);
    if (once.verb !== 'PUBLISH') throw new Error('not a publish');
    const msgs = once.messages.map((m) => ({ body: Buffer.from(m.body as string), options: { contentType: m.contentType, messageId: m.messageId, deliveryMode: m.deliveryMode, headers: m.headers } }));
    const rawRound = async (): Promise<number> => {
      const t1 = performance.now();
      const ch = await conn.createConfirmChannel();
      ch.on('error', () => undefined);
      for (const m of msgs) if (!ch.publish('', 'orders', m.body, m.options)) await new Promise<void>((res) => ch.once('drain', () => res()));
      await ch.waitForConfirms();
      await ch.close();
      const rate = N / ((performance.now() - t1) / 1000);
      await purgeQueue(session, 'orders');
      return rate;
    };
    // One untimed round of each warms up the JIT and the queue; then 9 rounds with the order alternating,
    // so neither side always runs on a broker the other just loaded.
    await fileRound();
    await rawRound();
    const rawRates: number[] = [];
    const fileRates: number[] = [];
    for (let round = 0; round < 9; round++) {
      if (round % 2 === 0) {
        fileRates.push(await fileRound());
        rawRates.push(await rawRound());
      } else {
        rawRates.push(await rawRound());
        fileRates.push(await fileRound());
      }
    }
    // The peer: the same prepared messages, one management API request each.
    const last = await prepareBlock(file, file.blocks[0]);
    if (last.verb !== 'PUBLISH') throw new Error('not a publish');
    const http = await httpPublishRate(vh.name, '', last.messages.slice(0, 300).map((m) => ({
      routingKey: 'orders',
      payload: String(m.body),
      properties: { content_type: m.contentType, message_id: m.messageId, delivery_mode: m.deliveryMode, headers: m.headers },
    })));
    await purgeQueue(session, 'orders');
    return { request_publish_x1000_msgs_per_s: median(fileRates), raw_publish_x1000_msgs_per_s: median(rawRates), http_publish_msgs_per_s: Math.round(http) };
  } finally {
    await conn.close().catch(() => undefined);
    await session.close();
    await vh.delete();
  }
}
