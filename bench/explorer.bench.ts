/**
 * Explorer data path with 10,000 queues in one vhost:
 * - raw_page_ms: p50 of one raw fetch (+ JSON.parse) of exactly the page the tree asks for first;
 * - tree_first_page_ms: p50 of the tree's code path for that page (src/core/treeData.ts loadQueuePage:
 *   ManagementClient request, validation, normalization, compact rows);
 * - ui_first_page_ms: p50 of the management UI's own first request for its Queues tab (page 1 of 100, statistics,
 *   `name=&use_regex=false&pagination=true`), the peer, interleaved with the two above;
 * - tree_10k_nodes_mb: heap growth for 10,000 loaded queue rows (what each tree node keeps), with global.gc;
 *   raw_10k_rows_mb: the same for the broker's JSON rows of those pages kept as parsed (the baseline).
 * Exported for the bench runner (bench/bench.ts, run with --expose-gc); it does not run by itself.
 */
import { performance } from 'node:perf_hooks';
import { ManagementClient } from '../src/core/management';
import { loadQueuePage, QUEUE_ROW_COLUMNS, type QueueRow } from '../src/core/treeData';
import { MGMT_URL, PASSWORD, USER, createTestVhost } from '../test/support/broker';
import { createQueues, queueNames } from '../test/support/bulkQueues';
import { benchProfile } from './support';

const QUEUES = 10_000;
const PAGE_SIZE = 100; // the tree's default (rabbitmq.explorer.pageSize)
const RUNS = 9;

function p50(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) throw new Error('benchExplorer needs node --expose-gc');
  g();
  g();
}

export async function benchExplorer(): Promise<Record<string, number>> {
  const tv = await createTestVhost('bench-explorer');
  const client = new ManagementClient(benchProfile(tv), { username: USER, password: PASSWORD });
  try {
    await createQueues(tv.amqpUrl, queueNames(QUEUES));
    const stats = true; // the tree's default (rabbitmq.explorer.showStatistics)
    const auth = 'Basic ' + Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
    // The same request the tree makes for its first screen.
    const rawUrl = `${MGMT_URL}/api/queues/${encodeURIComponent(tv.name)}?${new URLSearchParams({
      page: '1', page_size: String(PAGE_SIZE), columns: QUEUE_ROW_COLUMNS.join(','), sort: 'name',
    }).toString()}`;
    const uiUrl = `${MGMT_URL}/api/queues/${encodeURIComponent(tv.name)}?page=1&page_size=${PAGE_SIZE}&name=&use_regex=false&pagination=true`;
    const raw: number[] = [];
    const tree: number[] = [];
    const ui: number[] = [];
    // Warm up both paths (keep-alive sockets, JIT), then alternate so drift hits both alike.
    await (await fetch(rawUrl, { headers: { authorization: auth, accept: 'application/json' } })).json();
    await loadQueuePage(client, tv.name, { page: 1, pageSize: PAGE_SIZE, stats, timeoutMs: 60_000 });
    for (let i = 0; i < RUNS; i++) {
      let t = performance.now();
      const body = (await (await fetch(rawUrl, { headers: { authorization: auth, accept: 'application/json' } })).json()) as { items: unknown[] };
      raw.push(performance.now() - t);
      if (body.items.length !== PAGE_SIZE) throw new Error(`raw page has ${body.items.length} items`);
      t = performance.now();
      const page = await loadQueuePage(client, tv.name, { page: 1, pageSize: PAGE_SIZE, stats, timeoutMs: 60_000 });
      tree.push(performance.now() - t);
      if (page.rows.length !== PAGE_SIZE || page.filteredCount !== QUEUES) throw new Error(`tree page: ${page.rows.length} rows of ${page.filteredCount}`);
      t = performance.now();
      const uiBody = (await (await fetch(uiUrl, { headers: { authorization: auth, accept: 'application/json' } })).json()) as { items: unknown[] };
      ui.push(performance.now() - t);
      if (uiBody.items.length !== PAGE_SIZE) throw new Error(`UI page has ${uiBody.items.length} items`);
    }

    // Memory: 10,000 rows as the tree keeps them (20 pages of 500), retained after GC.
    gc();
    const before = process.memoryUsage().heapUsed;
    const rows: QueueRow[] = [];
    for (let p = 1; p <= QUEUES / 500; p++) rows.push(...(await loadQueuePage(client, tv.name, { page: p, pageSize: 500, stats, timeoutMs: 60_000 })).rows);
    gc();
    const after = process.memoryUsage().heapUsed;
    if (rows.length !== QUEUES) throw new Error(`loaded ${rows.length} rows`);
    rows.length = 0;

    // Baseline: the broker's JSON rows for the same pages and columns, kept as parsed.
    gc();
    const rawBefore = process.memoryUsage().heapUsed;
    const rawRows: unknown[] = [];
    for (let p = 1; p <= QUEUES / 500; p++) {
      const url = `${MGMT_URL}/api/queues/${encodeURIComponent(tv.name)}?${new URLSearchParams({ page: String(p), page_size: '500', columns: QUEUE_ROW_COLUMNS.join(','), sort: 'name' }).toString()}`;
      rawRows.push(...((await (await fetch(url, { headers: { authorization: auth, accept: 'application/json' } })).json()) as { items: unknown[] }).items);
    }
    gc();
    const rawAfter = process.memoryUsage().heapUsed;
    if (rawRows.length !== QUEUES) throw new Error(`raw: ${rawRows.length} rows`);
    return {
      ui_first_page_ms: round(p50(ui)),
      raw_10k_rows_mb: round((rawAfter - rawBefore) / (1024 * 1024)),
      raw_page_ms: round(p50(raw)),
      tree_first_page_ms: round(p50(tree)),
      tree_10k_nodes_mb: round((after - before) / (1024 * 1024)),
    };
  } finally {
    client.dispose();
    await tv.delete().catch((e: unknown) => console.error(`[bench explorer] could not delete ${tv.name}: ${e instanceof Error ? e.message : String(e)}`));
  }
}
