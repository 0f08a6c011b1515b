/**
 * Route tester speed: one route computation over a synthetic vhost with 10,000 bindings
 * (topic, direct, headers and exchange-to-exchange), index built once. Pure CPU, no broker.
 * The baseline in the same run is a naive scan of every binding per visited exchange.
 * Exported for the bench runner (bench/bench.ts); it does not run by itself.
 */
import { performance } from 'node:perf_hooks';
import { buildRoutingIndex, headersMatch, topicMatches, type RouteMessage, type TopologyBinding, type TopologyExchange, type TopologySnapshot } from '../src/core/routing';
import { prng } from '../test/support/prng';

const KEYS = 200;
const WARMUP = 20;

function p50(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/**
 * 'ingress' (topic) fans out with '#' to 20 topic, 10 direct and 5 headers exchanges, so every route
 * evaluates all their bindings: 6,000 topic + 2,500 direct + 1,000 headers queue bindings, plus
 * 500 exchange-to-exchange bindings (35 from ingress, 465 random between the others) = 10,000.
 */
export function syntheticTopology(seed = 42): { snapshot: TopologySnapshot; messages: RouteMessage[] } {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const vocab = ['order', 'invoice', 'eu', 'us', 'apac', 'created', 'paid', 'shipped', 'cancelled', 'v1', 'v2', 'audit', 'retail', 'b2b', 'gold', 'silver'];
  const key = (n: number) => Array.from({ length: n }, () => pick(vocab)).join('.');
  const pattern = () => {
    const n = 1 + Math.floor(rnd() * 4);
    return Array.from({ length: n }, () => (rnd() < 0.15 ? '*' : rnd() < 0.08 ? '#' : pick(vocab))).join('.');
  };
  const exchanges: TopologyExchange[] = [{ name: 'ingress', type: 'topic', internal: false, arguments: {} }];
  const queues = Array.from({ length: 2000 }, (_, i) => ({ name: `q${i}` }));
  const bindings: TopologyBinding[] = [];
  const add = (name: string, type: string, n: number, make: () => TopologyBinding) => {
    exchanges.push({ name, type, internal: false, arguments: {} });
    bindings.push({ source: 'ingress', destination: name, destinationType: 'exchange', routingKey: '#', arguments: {} });
    for (let i = 0; i < n; i++) bindings.push(make());
  };
  for (let e = 0; e < 20; e++) add(`t${e}`, 'topic', 300, () => ({ source: `t${e}`, destination: pick(queues).name, destinationType: 'queue', routingKey: pattern(), arguments: {} }));
  for (let e = 0; e < 10; e++) add(`d${e}`, 'direct', 250, () => ({ source: `d${e}`, destination: pick(queues).name, destinationType: 'queue', routingKey: key(3), arguments: {} }));
  const hk = ['region', 'kind', 'tier', 'version'];
  for (let e = 0; e < 5; e++) {
    add(`h${e}`, 'headers', 200, () => {
      const args: Record<string, unknown> = { 'x-match': rnd() < 0.5 ? 'all' : 'any' };
      for (let i = 0; i < 1 + Math.floor(rnd() * 3); i++) args[pick(hk)] = pick(vocab);
      return { source: `h${e}`, destination: pick(queues).name, destinationType: 'queue', routingKey: '', arguments: args };
    });
  }
  const others = exchanges.slice(1).map((x) => x.name);
  for (let i = 0; i < 465; i++) {
    const src = pick(others);
    const args = src.startsWith('h') ? { 'x-match': 'any', kind: pick(vocab) } : {};
    bindings.push({ source: src, destination: pick(others), destinationType: 'exchange', routingKey: src.startsWith('t') ? pattern() : key(3), arguments: args });
  }
  const messages: RouteMessage[] = Array.from({ length: KEYS + WARMUP }, () => ({
    exchange: 'ingress',
    routingKey: key(3),
    headers: { region: pick(vocab), kind: pick(vocab), tier: pick(vocab) },
  }));
  return { snapshot: { exchanges, queues, bindings }, messages };
}

/** The baseline: no index, every binding of the vhost scanned for each visited exchange. */
function naiveRoute(s: TopologySnapshot, m: RouteMessage): Set<string> {
  const types = new Map(s.exchanges.map((x) => [x.name, x.type]));
  const seen = new Set([m.exchange]);
  const work = [m.exchange];
  const out = new Set<string>();
  while (work.length) {
    const x = work.pop()!;
    const type = types.get(x);
    for (const b of s.bindings) {
      if (b.source !== x) continue;
      const ok = type === 'fanout' || (type === 'direct' && b.routingKey === m.routingKey) || (type === 'topic' && topicMatches(b.routingKey, m.routingKey)) || (type === 'headers' && headersMatch(b.arguments, m.headers).matched);
      if (!ok) continue;
      if (b.destinationType === 'queue') out.add(b.destination);
      else if (!seen.has(b.destination)) {
        seen.add(b.destination);
        work.push(b.destination);
      }
    }
  }
  return out;
}

export async function benchRouting(): Promise<Record<string, number>> {
  const { snapshot, messages } = syntheticTopology();

  const builds: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    buildRoutingIndex(snapshot);
    builds.push(performance.now() - t0);
  }
  const index = buildRoutingIndex(snapshot);

  const times: number[] = [];
  const sizes: number[] = [];
  for (const m of messages) {
    const t0 = performance.now();
    const r = index.route(m);
    times.push(performance.now() - t0);
    sizes.push(r.queues.length);
  }
  const naive: number[] = [];
  messages.forEach((m, i) => {
    const t0 = performance.now();
    const n = naiveRoute(snapshot, m);
    naive.push(performance.now() - t0);
    if (n.size !== sizes[i]) throw new Error(`routing bench: index and naive scan disagree for key '${m.routingKey}' (${sizes[i]} vs ${n.size} queues)`);
  });
  times.splice(0, WARMUP);
  naive.splice(0, WARMUP);
  const reached = sizes.slice(WARMUP).reduce((a, b) => a + b, 0);

  return {
    route_bindings: index.bindingCount,
    route_index_build_ms: round(p50(builds)),
    route_10k_bindings_ms: round(p50(times)),
    route_10k_bindings_p95_ms: round([...times].sort((a, b) => a - b)[Math.floor(times.length * 0.95)]),
    route_10k_bindings_naive_scan_ms: round(p50(naive)),
    route_queues_reached_avg: Math.round(reached / times.length),
  };
}
