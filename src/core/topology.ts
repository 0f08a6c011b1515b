/**
 * A vhost's topology for the graph view and the route tester: loads exchanges and queues (paged, at
 * most 500 per request) and every binding through the management API, converts them into a routing
 * snapshot (src/core/routing.ts) and into a graph model (nodes and edges) the topology page lays out.
 * No 'vscode' import. The graph types live in ./topologyGraph.ts (the webview script imports them too).
 */
import { invalidInput, RabbitError } from './errors';
import type { ManagementClient, RequestOptions } from './management';
import { MAX_PAGE_SIZE } from './management';
import type { BindingInfo, ExchangeInfo, QueueInfo } from './model';
import type { RouteResult, TopologySnapshot } from './routing';

import type { GraphEdge, GraphNode, TopologyGraph } from './topologyGraph';

export function exchangeNodeId(name: string): string {
  return `x:${name}`;
}

export function queueNodeId(name: string): string {
  return `q:${name}`;
}

/** Stable identity of a binding (source, destination, key and arguments), used as its edge id. */
export function bindingEdgeId(b: { source: string; destination: string; destinationType: 'queue' | 'exchange'; routingKey: string; arguments?: Record<string, unknown> }): string {
  return `b:${JSON.stringify([b.source, b.destinationType, b.destination, b.routingKey, stableJson(b.arguments ?? {})])}`;
}

export function alternateEdgeId(from: string, to: string): string {
  return `ae:${JSON.stringify([from, to])}`;
}

function stableJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`).join(',')}}`;
}

/** Builds the graph: every exchange (the default one included, without its implicit bindings), every queue, explicit bindings and alternate-exchange links. */
export function buildTopologyGraph(exchanges: ExchangeInfo[], queues: QueueInfo[], bindings: BindingInfo[]): TopologyGraph {
  const nodes: GraphNode[] = [];
  const ids = new Set<string>();
  for (const x of exchanges) {
    const id = exchangeNodeId(x.name);
    if (ids.has(id)) continue;
    ids.add(id);
    const flags: string[] = [];
    if (x.name === '') flags.push('default');
    else if (x.name.startsWith('amq.')) flags.push('builtin');
    if (x.internal) flags.push('internal');
    if (x.autoDelete) flags.push('autoDelete');
    nodes.push({ id, kind: 'exchange', name: x.name, type: x.type, flags });
  }
  for (const q of queues) {
    const id = queueNodeId(q.name);
    if (ids.has(id)) continue;
    ids.add(id);
    const flags: string[] = [];
    if (q.exclusive) flags.push('exclusive');
    if (q.autoDelete) flags.push('autoDelete');
    nodes.push({ id, kind: 'queue', name: q.name, type: q.type, flags });
  }
  const edges: GraphEdge[] = [];
  const edgeIds = new Set<string>();
  const headersExchanges = new Set(exchanges.filter((x) => x.type === 'headers').map((x) => x.name));
  for (const b of bindings) {
    if (b.source === '') continue; // the default exchange's implicit binding to every queue
    const from = exchangeNodeId(b.source);
    const to = b.destinationType === 'exchange' ? exchangeNodeId(b.destination) : queueNodeId(b.destination);
    if (!ids.has(from) || !ids.has(to)) continue;
    // Same identity as the routing snapshot's binding (void arguments as null), so routes map onto edges.
    const id = bindingEdgeId({ ...b, arguments: voidArgs(b.arguments, headersExchanges.has(b.source)) });
    if (edgeIds.has(id)) continue;
    edgeIds.add(id);
    const args = Object.keys(b.arguments ?? {}).length ? stableJson(b.arguments) : '';
    edges.push({ id, kind: 'binding', from, to, label: b.routingKey, args });
  }
  for (const x of exchanges) {
    const ae = x.arguments?.['alternate-exchange'];
    if (typeof ae !== 'string') continue;
    const from = exchangeNodeId(x.name);
    const to = exchangeNodeId(ae);
    if (!ids.has(to)) continue;
    edges.push({ id: alternateEdgeId(x.name, ae), kind: 'alternate', from, to, label: '', args: '' });
  }
  return { nodes, edges };
}

// ---------------------------------------------------------------------------------------------
// Loading

export interface LoadedTopology {
  vhost: string;
  exchanges: ExchangeInfo[];
  queues: QueueInfo[];
  bindings: BindingInfo[];
  snapshot: TopologySnapshot;
  graph: TopologyGraph;
  /** Requests made (pages + the bindings list). */
  requests: number;
}

export interface LoadTopologyOptions extends RequestOptions {
  /** Items per page, 1…500 (default 500). */
  pageSize?: number;
  /** Refuse vhosts with more exchanges + queues than this (default 20,000). */
  maxObjects?: number;
}

const EXCHANGE_COLUMNS = ['name', 'type', 'durable', 'auto_delete', 'internal', 'arguments'];
const QUEUE_COLUMNS = ['name', 'type', 'durable', 'auto_delete', 'exclusive', 'arguments'];

/** Loads a vhost's exchanges and queues (every page) and bindings, and converts them. */
export async function loadTopology(client: ManagementClient, vhost: string, opts: LoadTopologyOptions = {}): Promise<LoadedTopology> {
  if (typeof vhost !== 'string' || vhost === '') throw invalidInput('vhost', 'is missing', 'Pass the name of a vhost, e.g. "/".');
  const pageSize = opts.pageSize ?? MAX_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) throw invalidInput('pageSize', `must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
  const maxObjects = opts.maxObjects ?? 20_000;
  const req: RequestOptions = { signal: opts.signal, timeoutMs: opts.timeoutMs };
  let requests = 0;
  let objects = 0;
  const all = async <T>(list: (page: number) => Promise<{ items: T[]; pageCount: number; totalCount: number }>): Promise<T[]> => {
    const out: T[] = [];
    for (let page = 1; ; page++) {
      const p = await list(page);
      requests++;
      if (page === 1) {
        objects += p.totalCount;
        if (objects > maxObjects) {
          throw new RabbitError('INVALID_INPUT', `The vhost "${vhost}" has more than ${maxObjects} exchanges and queues; the graph would not be readable.`, {
            field: 'vhost',
            hint: 'Use the explorer filter, or raise the limit (maxObjects).',
          });
        }
      }
      out.push(...p.items);
      if (page >= p.pageCount) return out;
    }
  };
  const [exchanges, queues, bindings] = await Promise.all([
    all((page) => client.listExchanges(vhost, { ...req, page, pageSize, stats: false, columns: EXCHANGE_COLUMNS, sort: 'name' })),
    all((page) => client.listQueues(vhost, { ...req, page, pageSize, stats: false, columns: QUEUE_COLUMNS, sort: 'name' })),
    client.listBindings(vhost, req).then((b) => {
      requests++;
      return b;
    }),
  ]);
  return { vhost, exchanges, queues, bindings, snapshot: toSnapshot(exchanges, queues, bindings), graph: buildTopologyGraph(exchanges, queues, bindings), requests };
}

/** The routing snapshot of normalized management objects (the default exchange's implicit bindings dropped). */
export function toSnapshot(exchanges: ExchangeInfo[], queues: QueueInfo[], bindings: BindingInfo[]): TopologySnapshot {
  const headersExchanges = new Set(exchanges.filter((x) => x.type === 'headers').map((x) => x.name));
  return {
    exchanges: exchanges.filter((x) => x.name !== '').map((x) => ({ name: x.name, type: x.type, internal: x.internal, arguments: x.arguments })),
    queues: queues.map((q) => ({ name: q.name })),
    bindings: bindings
      .filter((b) => b.source !== '')
      .map((b) => ({
        source: b.source,
        destination: b.destination,
        destinationType: b.destinationType,
        routingKey: b.routingKey,
        arguments: voidArgs(b.arguments, headersExchanges.has(b.source)),
      })),
  };
}

/** The management API renders an AMQP void binding argument as the string "undefined" (presence-only match). */
function voidArgs(a: Record<string, unknown>, headers: boolean): Record<string, unknown> {
  if (!headers) return a;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(a)) out[k] = v === 'undefined' ? null : v;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Route → what to highlight

export interface RouteHighlight {
  /** Nodes on some path (the published exchange included). */
  nodeIds: string[];
  /** Graph edges on some path. */
  edgeIds: string[];
  /** Hops with no edge in the graph (default exchange → queue), drawn as extra lines. */
  extraEdges: { from: string; to: string }[];
  /** Queues that get the message. */
  targetIds: string[];
}

/** Which nodes and edges a route result passes through. */
export function routeHighlight(result: RouteResult, publishedExchange: string): RouteHighlight {
  const nodes = new Set<string>([exchangeNodeId(publishedExchange)]);
  const edges = new Set<string>();
  const extra = new Map<string, { from: string; to: string }>();
  for (const q of result.queues) {
    for (const hop of q.path) {
      const from = exchangeNodeId(hop.exchange);
      const to = hop.to.kind === 'queue' ? queueNodeId(hop.to.name) : exchangeNodeId(hop.to.name);
      nodes.add(from);
      nodes.add(to);
      if (hop.via === 'binding' && hop.binding) edges.add(bindingEdgeId(hop.binding));
      else if (hop.via === 'alternate-exchange') edges.add(alternateEdgeId(hop.exchange, hop.to.name));
      else extra.set(`${from}\u0000${to}`, { from, to });
    }
  }
  for (const ae of result.alternateExchangeHops) {
    nodes.add(exchangeNodeId(ae.from));
    if (ae.outcome === 'followed') {
      nodes.add(exchangeNodeId(ae.to));
      edges.add(alternateEdgeId(ae.from, ae.to));
    }
  }
  for (const x of result.exchangesVisited) nodes.add(exchangeNodeId(x));
  return { nodeIds: [...nodes], edgeIds: [...edges], extraEdges: [...extra.values()], targetIds: result.queues.map((q) => queueNodeId(q.queue)) };
}
