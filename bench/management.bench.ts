/**
 * Management client overhead: one page of queues from a vhost with 10,000 queues, raw fetch vs
 * ManagementClient.listQueues (validation, error mapping, normalization to QueueInfo); and all 10,000: through the
 * core (ManagementClient.listQueues page after page, without statistics) vs one raw fetch of them all with
 * disable_stats, vs the peer: the management UI's default listing (pages of 100 with statistics) until all are seen.
 * Exported for the bench runner (bench/bench.ts); it does not run by itself.
 */
import { performance } from 'node:perf_hooks';
import * as amqp from 'amqplib';
import { MAX_PAGE_SIZE, ManagementClient } from '../src/core/management';
import type { QueueInfo } from '../src/core/model';
import { MGMT_URL, PASSWORD, USER, createTestVhost, type TestVhost } from '../test/support/broker';
import { benchProfile } from './support';

const QUEUES = 10_000;
const BATCH = 500;
const RUNS = 7;
const COLUMNS = 'vhost,name,type,durable,auto_delete,exclusive,arguments,policy,node,state,messages_ready,messages_unacknowledged,messages,consumers,memory';

function p50(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

export async function benchManagement(): Promise<Record<string, number>> {
  const tv = await createTestVhost('bench-mgmt');
  try {
    // Exclusive queues: the cheapest kind to declare (no disc write), allowed on every broker version,
    // and they go away with the connection, which stays open while we measure.
    const declareStart = performance.now();
    const conn = await amqp.connect(tv.amqpUrl, { noDelay: true });
    conn.on('error', () => undefined);
    try {
      const ch = await conn.createChannel();
      ch.on('error', () => undefined);
      for (let start = 0; start < QUEUES; start += BATCH) {
        const batch: Promise<unknown>[] = [];
        for (let i = start; i < Math.min(QUEUES, start + BATCH); i++) batch.push(ch.assertQueue(`bench-q-${String(i).padStart(5, '0')}`, { exclusive: true }));
        await Promise.all(batch);
      }
      const declareMs = performance.now() - declareStart;
      return { ...(await measure(tv.name, tv)), declare_10k_queues_ms: round(declareMs) };
    } finally {
      await conn.close().catch(() => undefined);
    }
  } finally {
    await tv.delete();
  }
}

async function measure(vhost: string, tv: TestVhost): Promise<Record<string, number>> {
  const auth = 'Basic ' + Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
  const rawUrl = `${MGMT_URL}/api/queues/${encodeURIComponent(vhost)}?page=1&page_size=100&disable_stats=true&enable_queue_totals=true&columns=${COLUMNS}`;
  const raw = async (): Promise<number> => {
    const res = await fetch(rawUrl, { headers: { authorization: auth } });
    const body = (await res.json()) as { items: unknown[] };
    if (!res.ok || body.items.length !== 100) throw new Error(`raw page: HTTP ${res.status}, ${body.items?.length} items`);
    return body.items.length;
  };
  const resolved = benchProfile(tv);
  const client = new ManagementClient(resolved, { username: USER, password: PASSWORD });
  const viaClient = async (): Promise<number> => {
    const page = await client.listQueues(vhost, { page: 1, pageSize: 100, stats: false });
    if (page.items.length !== 100 || page.totalCount !== QUEUES) throw new Error(`client page: ${page.items.length} items of ${page.totalCount}`);
    return page.items.length;
  };

  // Warm up both paths (keep-alive sockets, broker caches), then interleave runs so drift hits both alike.
  await raw();
  await viaClient();
  const rawTimes: number[] = [];
  const clientTimes: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    let t = performance.now();
    await raw();
    rawTimes.push(performance.now() - t);
    t = performance.now();
    await viaClient();
    clientTimes.push(performance.now() - t);
  }

  // All 10,000: the core pages through them (the largest page it asks for), the raw way asks once.
  const coreAll = async (): Promise<number> => {
    const all: QueueInfo[] = [];
    for (let page = 1; ; page++) {
      const p = await client.listQueues(vhost, { page, pageSize: MAX_PAGE_SIZE, stats: false, timeoutMs: 60_000 });
      all.push(...p.items);
      if (p.items.length < MAX_PAGE_SIZE || all.length >= p.totalCount) break;
    }
    if (all.length !== QUEUES) throw new Error(`core listed ${all.length} queues`);
    return all.length;
  };
  const allUrl = `${MGMT_URL}/api/queues/${encodeURIComponent(vhost)}?disable_stats=true&enable_queue_totals=true&columns=${COLUMNS}`;
  const rawAll = async (): Promise<number> => {
    const res = await fetch(allUrl, { headers: { authorization: auth } });
    const body = (await res.json()) as unknown[];
    if (!res.ok || body.length !== QUEUES) throw new Error(`raw list: HTTP ${res.status}, ${body.length} queues`);
    return body.length;
  };
  await coreAll();
  await rawAll();
  const coreAllTimes: number[] = [];
  const rawAllTimes: number[] = [];
  for (let i = 0; i < 5; i++) {
    for (const [fn, out] of (i % 2 ? [[rawAll, rawAllTimes], [coreAll, coreAllTimes]] : [[coreAll, coreAllTimes], [rawAll, rawAllTimes]]) as [() => Promise<number>, number[]][]) {
      const t = performance.now();
      await fn();
      out.push(performance.now() - t);
    }
  }
  // The peer, once: the management UI's Queues tab request (page size 100, statistics on), every page.
  const uiStart = performance.now();
  let seen = 0;
  for (let page = 1; seen < QUEUES; page++) {
    const res = await fetch(`${MGMT_URL}/api/queues/${encodeURIComponent(vhost)}?page=${page}&page_size=100&name=&use_regex=false&pagination=true`, { headers: { authorization: auth } });
    const body = (await res.json()) as { items: unknown[]; page_count: number };
    if (!res.ok || !body.items.length) throw new Error(`UI list page ${page}: HTTP ${res.status}`);
    seen += body.items.length;
  }
  const uiMs = performance.now() - uiStart;
  client.dispose();
  return {
    raw_page_ms: round(p50(rawTimes)),
    client_page_ms: round(p50(clientTimes)),
    core_list_10k_ms: round(p50(coreAllTimes)),
    raw_list_10k_ms: round(p50(rawAllTimes)),
    ui_list_10k_ms: round(uiMs),
  };
}
