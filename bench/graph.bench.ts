/**
 * Topology graph speed with 1,000 nodes (100 exchanges, 900 queues, ~1,200 edges):
 * - graph_1k_nodes_ms: dagre layout (media/src/routing/graphLayout.ts) + the draw list, in plain Node (median of 3);
 *   graph_1k_dagre_only_ms, the baseline: the time of those runs spent inside dagre's own layout of the graph it is
 *   handed (dagre on the whole unreduced graph takes minutes at this size, so it is not run);
 * - graph_1k_browser_ms: the real page (dist/webview/topology.js, as bundled) in headless Chromium: from posting
 *   the graph to the page reporting it drew the SVG (layout + draw list + SVG elements), median of 3 loads;
 *   graph_1k_browser_layout_ms / graph_1k_browser_draw_ms are the page's own split of that time.
 * Exported for the bench runner (scripts/bench.mjs); it does not run by itself.
 */
import { createReadStream, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildDrawList, layoutGraph } from '../media/src/routing/graphLayout';
import type { GraphEdge, GraphNode, TopologyGraph } from '../src/core/topologyGraph';
import { prng } from '../test/support/prng';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/**
 * 100 exchanges (topic/direct/fanout/headers), 900 queues; every queue bound once, 250 queues bound a second
 * time from another exchange, 50 exchange-to-exchange bindings: 1,200 edges.
 */
export function syntheticGraph(seed = 7): TopologyGraph {
  const rnd = prng(seed);
  const types = ['topic', 'direct', 'fanout', 'headers'];
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  for (let i = 0; i < 100; i++) nodes.push({ id: `x:service-${i}.events`, kind: 'exchange', name: `service-${i}.events`, type: types[i % 4], flags: [] });
  for (let i = 0; i < 900; i++) nodes.push({ id: `q:worker-${i}.inbox`, kind: 'queue', name: `worker-${i}.inbox`, type: i % 5 ? 'classic' : 'quorum', flags: [] });
  const x = (i: number) => `x:service-${i}.events`;
  const q = (i: number) => `q:worker-${i}.inbox`;
  let n = 0;
  const edge = (from: string, to: string) => edges.push({ id: `b:${n++}`, kind: 'binding', from, to, label: `key.${n % 17}`, args: '' });
  for (let i = 0; i < 900; i++) edge(x(Math.floor(rnd() * 100)), q(i));
  for (let i = 0; i < 250; i++) edge(x(Math.floor(rnd() * 100)), q(Math.floor(rnd() * 900)));
  for (let i = 0; i < 50; i++) edge(x(Math.floor(rnd() * 50)), x(50 + Math.floor(rnd() * 50)));
  return { nodes, edges };
}

function nodeLayoutAndDraw(graph: TopologyGraph): { ms: number; dagreMs: number } {
  const t = performance.now();
  const layout = layoutGraph(graph);
  const draw = buildDrawList(layout, { filter: '' });
  if (draw.nodes.length !== graph.nodes.length) throw new Error('draw list lost nodes');
  return { ms: performance.now() - t, dagreMs: layout.dagreMs };
}

const MIME: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html', '.ttf': 'font/ttf' };

/** A plain page: the bundled topology script, with the one host function VS Code gives webviews. */
const PAGE = `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="stylesheet" href="/media/webview.css">
<style>html,body{height:100%;margin:0}</style></head><body><div id="app"></div>
<script>window.__posted=[];window.acquireVsCodeApi=()=>({postMessage:(m)=>window.__posted.push(m),getState:()=>undefined,setState:()=>{}});</script>
<script type="module" src="/dist/webview/topology.js"></script></body></html>`;

function serve(root: string): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
      return;
    }
    const file = resolve(root, `.${decodeURIComponent(url.pathname)}`);
    if (!file.startsWith(root) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)));
}

async function browserDraw(graph: TopologyGraph): Promise<Record<string, number>> {
  const root = resolve(__dirname, '..', '..');
  if (!existsSync(join(root, 'dist', 'webview', 'topology.js'))) throw new Error('dist/webview/topology.js is missing: run the build first.');
  const { chromium } = await import('playwright-core');
  const server = await serve(root);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  try {
    const totals: number[] = [];
    const layouts: number[] = [];
    const draws: number[] = [];
    let labels = 0;
    for (let i = 0; i < 3; i++) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
      const r = await page.evaluate(async (g) => {
        const w = window as unknown as { __posted: { type: string; stats?: { layoutMs: number; drawMs: number; labels: number; nodes: number } }[] };
        w.__posted.length = 0;
        window.postMessage({ type: 'init', source: { connectionName: 'bench', vhost: '/' }, strings: {} }, '*');
        const t = window.performance.now();
        window.postMessage({ type: 'graph', graph: g }, '*');
        for (;;) {
          const done = w.__posted.find((m) => m.type === 'rendered');
          if (done?.stats) {
            // Let the browser lay out and paint the SVG before stopping the clock.
            await new Promise((res) => requestAnimationFrame(() => requestAnimationFrame(res)));
            return { total: window.performance.now() - t, ...done.stats };
          }
          await new Promise((res) => setTimeout(res, 5));
        }
      }, graph);
      if (r.nodes !== graph.nodes.length) throw new Error(`the page drew ${r.nodes} of ${graph.nodes.length} nodes`);
      totals.push(r.total);
      layouts.push(r.layoutMs);
      draws.push(r.drawMs);
      labels = r.labels;
      await page.close();
    }
    return { graph_1k_browser_ms: round(median(totals)), graph_1k_browser_layout_ms: round(median(layouts)), graph_1k_browser_draw_ms: round(median(draws)), graph_1k_browser_labels_drawn: labels };
  } finally {
    await browser.close();
    server.close();
  }
}

export async function benchGraph(): Promise<Record<string, number>> {
  const graph = syntheticGraph();
  nodeLayoutAndDraw(graph); // warm-up
  const runs = [nodeLayoutAndDraw(graph), nodeLayoutAndDraw(graph), nodeLayoutAndDraw(graph)];
  const layout = layoutGraph(graph);
  const out: Record<string, number> = {
    graph_1k_nodes_ms: round(median(runs.map((r) => r.ms))),
    graph_1k_dagre_only_ms: round(median(runs.map((r) => r.dagreMs))),
    graph_1k_edges: graph.edges.length,
    graph_1k_dagre_nodes: layout.dagreNodes,
  };
  try {
    Object.assign(out, await browserDraw(graph));
  } catch (e) {
    console.log(`[bench] graph: browser drawing not measured: ${e instanceof Error ? e.message : String(e)}`);
  }
  return out;
}
