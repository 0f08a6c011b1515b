/**
 * Topology graph layout and draw list, with no DOM dependency (runs in the webview and in plain Node for the
 * bench). Layout is done by dagre (left to right: exchanges, then the queues they feed).
 *
 * dagre alone needs seconds to minutes for ~1,000 nodes with hundreds of queues on one rank (its crossing
 * minimisation is quadratic there), so the graph is reduced first: queues fed by the same set of exchanges
 * become one "stack" node whose height is the stack's, and dagre lays out exchanges + stacks. Each stack is
 * then expanded into its queues (one row each) and the stack's edges are bent to each queue.
 */
import * as dagre from '@dagrejs/dagre';
import type { GraphEdge, GraphNode, TopologyGraph } from '../../../src/core/topologyGraph';

export const NODE_HEIGHT = 22;
export const ROW_GAP = 4;
const CHAR_WIDTH = 6.6;
const MAX_LABEL_CHARS = 36;

export interface LaidOutNode {
  id: string;
  kind: GraphNode['kind'];
  name: string;
  type: string;
  flags: string[];
  /** Top-left corner. */
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Point {
  x: number;
  y: number;
}

export interface LaidOutEdge {
  id: string;
  kind: GraphEdge['kind'];
  from: string;
  to: string;
  label: string;
  args: string;
  points: Point[];
}

export interface GraphLayout {
  nodes: LaidOutNode[];
  edges: LaidOutEdge[];
  width: number;
  height: number;
  /** Nodes dagre laid out (after reduction). */
  dagreNodes: number;
  /** Connected parts laid out separately. */
  parts: number;
  /** Milliseconds spent inside dagre's own layout (the rest of layoutGraph is reduction and packing). */
  dagreMs: number;
}

/** Shown text of a name (names can be 255 bytes; the full one is in the tooltip). */
export function displayName(n: { kind: string; name: string }, defaultLabel = '(AMQP default)'): string {
  if (n.kind === 'exchange' && n.name === '') return defaultLabel;
  return n.name.length > MAX_LABEL_CHARS ? `${n.name.slice(0, MAX_LABEL_CHARS - 1)}…` : n.name;
}

function nodeWidth(n: GraphNode): number {
  return Math.round(Math.min(MAX_LABEL_CHARS + 4, Math.max(8, displayName(n).length + 4)) * CHAR_WIDTH + 16);
}

/** The first exchange of a stack key (`s:<id>\0<id>…`), or undefined for queues without bindings. */
function primarySource(stackKey: string): string | undefined {
  const ids = stackKey.slice(2);
  if (ids === '') return undefined;
  const i = ids.indexOf('\u0000');
  return i < 0 ? ids : ids.slice(0, i);
}

interface Stack {
  key: string;
  members: GraphNode[];
  width: number;
}

/** Lays out the graph. Deterministic for the same input. */
export function layoutGraph(graph: TopologyGraph): GraphLayout {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const edges = graph.edges.filter((e) => byId.has(e.from) && byId.has(e.to));

  // Queues grouped by the sorted set of exchanges that feed them.
  const sources = new Map<string, Set<string>>();
  for (const e of edges) {
    if (byId.get(e.to)!.kind !== 'queue') continue;
    let s = sources.get(e.to);
    if (!s) sources.set(e.to, (s = new Set()));
    s.add(e.from);
  }
  const stacks = new Map<string, Stack>();
  const stackOf = new Map<string, Stack>();
  for (const n of graph.nodes) {
    if (n.kind !== 'queue') continue;
    const key = `s:${[...(sources.get(n.id) ?? [])].sort().join('\u0000')}`;
    let st = stacks.get(key);
    if (!st) stacks.set(key, (st = { key, members: [], width: 0 }));
    st.members.push(n);
    st.width = Math.max(st.width, nodeWidth(n));
    stackOf.set(n.id, st);
  }

  // dagre sees exchange→exchange edges and ONE edge per stack (from its first source); a stack's other
  // sources are drawn afterwards. That keeps dagre's ordering work small on dense vhosts.
  const whole = new dagre.graphlib.Graph({ multigraph: true });
  const size = new Map<string, { width: number; height: number }>();
  for (const n of graph.nodes) if (n.kind === 'exchange') size.set(n.id, { width: nodeWidth(n), height: NODE_HEIGHT });
  for (const st of stacks.values()) size.set(st.key, { width: st.width, height: st.members.length * (NODE_HEIGHT + ROW_GAP) - ROW_GAP });
  for (const id of size.keys()) whole.setNode(id, '');
  const reduced: { from: string; to: string; name: string; weight: number }[] = [];
  const reducedNames = new Set<string>();
  for (const e of edges) {
    let to = e.to;
    if (byId.get(e.to)!.kind === 'queue') {
      const st = stackOf.get(e.to)!;
      if (primarySource(st.key) !== e.from) continue;
      to = st.key;
    }
    const name = `${e.from}\u0000${to}`;
    if (reducedNames.has(name) || e.from === to) continue;
    reducedNames.add(name);
    reduced.push({ from: e.from, to, name, weight: e.kind === 'alternate' ? 1 : 2 });
    whole.setEdge(e.from, to, '', name);
  }

  // Each connected part gets its own dagre layout; the parts are then packed in rows.
  const components = dagre.graphlib.alg.components(whole).sort((a, b) => b.length - a.length || (a[0] < b[0] ? -1 : 1));
  const compOf = new Map<string, number>();
  components.forEach((c, i) => c.forEach((id) => compOf.set(id, i)));
  const center = new Map<string, Point>();
  const edgePoints = new Map<string, Point[]>();
  const boxes: { w: number; h: number; ids: string[]; names: string[] }[] = [];
  let dagreMs = 0;
  for (let ci = 0; ci < components.length; ci++) {
    const ids = components[ci];
    const g = new dagre.graphlib.Graph({ multigraph: true });
    g.setGraph({ rankdir: 'LR', nodesep: 10, ranksep: 90, edgesep: 4, marginx: 0, marginy: 0, ranker: 'tight-tree' });
    g.setDefaultEdgeLabel(() => ({}));
    for (const id of ids) g.setNode(id, { ...size.get(id)! });
    const names: string[] = [];
    for (const e of reduced) {
      if (compOf.get(e.from) !== ci) continue;
      g.setEdge(e.from, e.to, { weight: e.weight }, e.name);
      names.push(e.name);
    }
    const d0 = performance.now();
    dagre.layout(g);
    dagreMs += performance.now() - d0;
    for (const id of ids) {
      const d = g.node(id) as { x: number; y: number };
      center.set(id, { x: d.x, y: d.y });
    }
    for (const e of reduced) {
      if (compOf.get(e.from) !== ci) continue;
      const de = g.edge(e.from, e.to, e.name) as { points?: Point[] } | undefined;
      if (de?.points) edgePoints.set(e.name, de.points);
    }
    const gl = g.graph() as { width?: number; height?: number };
    boxes.push({ w: gl.width ?? 0, h: gl.height ?? 0, ids, names });
  }
  // Shelf packing: rows about as wide as the widest part or the square root of the total area.
  const GAP = 40;
  const area = boxes.reduce((a, b) => a + (b.w + GAP) * (b.h + GAP), 0);
  const rowWidth = Math.max(boxes.reduce((a, b) => Math.max(a, b.w), 0), Math.sqrt(area) * 1.6);
  let cx = 16;
  let cy = 16;
  let rowH = 0;
  let width = 0;
  for (const b of boxes) {
    if (cx > 16 && cx + b.w > rowWidth + 16) {
      cx = 16;
      cy += rowH + GAP;
      rowH = 0;
    }
    for (const id of b.ids) {
      const c = center.get(id)!;
      center.set(id, { x: c.x + cx, y: c.y + cy });
    }
    for (const n of b.names) edgePoints.set(n, (edgePoints.get(n) ?? []).map((p) => ({ x: p.x + cx, y: p.y + cy })));
    cx += b.w + GAP;
    width = Math.max(width, cx);
    rowH = Math.max(rowH, b.h);
  }
  const height = cy + rowH + 16;

  const out: LaidOutNode[] = [];
  const pos = new Map<string, LaidOutNode>();
  const place = (n: GraphNode, centerX: number, top: number, w: number): void => {
    const ln: LaidOutNode = { id: n.id, kind: n.kind, name: n.name, type: n.type, flags: n.flags, x: centerX - w / 2, y: top, w, h: NODE_HEIGHT };
    out.push(ln);
    pos.set(n.id, ln);
  };
  for (const n of graph.nodes) {
    if (n.kind !== 'exchange') continue;
    const c = center.get(n.id)!;
    place(n, c.x, c.y - NODE_HEIGHT / 2, size.get(n.id)!.width);
  }
  for (const st of stacks.values()) {
    const c = center.get(st.key)!;
    let top = c.y - size.get(st.key)!.height / 2;
    for (const m of st.members) {
      place(m, c.x, top, st.width);
      top += NODE_HEIGHT + ROW_GAP;
    }
  }

  const laidEdges: LaidOutEdge[] = [];
  for (const e of edges) {
    const a = pos.get(e.from)!;
    const b = pos.get(e.to)!;
    const toKey = b.kind === 'queue' ? stackOf.get(e.to)!.key : e.to;
    const pts = edgePoints.get(`${e.from}\u0000${toKey}`);
    const mid = pts && pts.length > 2 ? pts.slice(1, -1) : [];
    const forward = a.x + a.w <= b.x;
    const start = forward ? { x: a.x + a.w, y: a.y + a.h / 2 } : { x: a.x + a.w / 2, y: a.y + (b.y > a.y ? a.h : 0) };
    const end = forward ? { x: b.x, y: b.y + b.h / 2 } : { x: b.x + b.w / 2, y: b.y + (b.y > a.y ? 0 : b.h) };
    // Edges dagre did not route (a stack's other sources): one bend half-way.
    const bend = !pts && forward ? [{ x: (start.x + end.x) / 2, y: start.y }, { x: (start.x + end.x) / 2, y: end.y }] : [];
    laidEdges.push({ id: e.id, kind: e.kind, from: e.from, to: e.to, label: e.label, args: e.args, points: [start, ...mid, ...bend, end] });
  }
  return { nodes: out, edges: laidEdges, width, height, dagreNodes: whole.nodeCount(), parts: components.length, dagreMs };
}

// ---------------------------------------------------------------------------------------------
// Draw list: what the page turns into SVG elements (classes and geometry only; text set as textContent).

export interface NodeDraw {
  id: string;
  x: number;
  y: number;
  w: number;
  h: number;
  /** CSS classes: node, exchange|queue, type-…, highlighted, target, dimmed, builtin … */
  cls: string;
  label: string;
  /** Full name and type for the tooltip. */
  title: string;
  labelX: number;
  labelY: number;
}

export interface EdgeDraw {
  id: string;
  /** SVG path data (numbers only). */
  d: string;
  cls: string;
  title: string;
}

export interface DrawList {
  nodes: NodeDraw[];
  edges: EdgeDraw[];
  width: number;
  height: number;
}

export interface DrawOptions {
  /** Nodes and edges on the tester's route. */
  highlightNodes?: ReadonlySet<string>;
  highlightEdges?: ReadonlySet<string>;
  /** Queues the message reaches. */
  targets?: ReadonlySet<string>;
  /** Extra route lines (hops with no edge, e.g. the default exchange). */
  extraEdges?: { from: string; to: string }[];
  /** Lower-case name filter: non-matching nodes are dimmed. */
  filter?: string;
  defaultLabel?: string;
}

function r(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}

/** A smooth path through the points (straight segments joined by quadratic curves). */
export function pathData(points: Point[]): string {
  if (points.length === 0) return '';
  let d = `M${r(points[0].x)},${r(points[0].y)}`;
  if (points.length === 2) return `${d}L${r(points[1].x)},${r(points[1].y)}`;
  for (let i = 1; i < points.length - 1; i++) {
    const p = points[i];
    const n = points[i + 1];
    d += `Q${r(p.x)},${r(p.y)} ${r((p.x + n.x) / 2)},${r((p.y + n.y) / 2)}`;
  }
  const last = points[points.length - 1];
  return `${d}L${r(last.x)},${r(last.y)}`;
}

/** Node and edge drawings with their classes for the current highlight and filter. */
export function buildDrawList(layout: GraphLayout, opts: DrawOptions = {}): DrawList {
  const hn = opts.highlightNodes;
  const he = opts.highlightEdges;
  const routeOn = (hn?.size ?? 0) > 0;
  const filter = opts.filter?.trim().toLowerCase() ?? '';
  const match = (n: LaidOutNode) => filter === '' || n.name.toLowerCase().includes(filter);
  const pos = new Map<string, LaidOutNode>();
  const nodes: NodeDraw[] = layout.nodes.map((n) => {
    pos.set(n.id, n);
    const cls = ['node', n.kind, `type-${n.type.replace(/[^\w-]/g, '_')}`, ...n.flags];
    if (hn?.has(n.id)) cls.push('highlighted');
    else if (routeOn) cls.push('faded');
    if (opts.targets?.has(n.id)) cls.push('target');
    if (!match(n)) cls.push('dimmed');
    else if (filter !== '') cls.push('match');
    const label = displayName(n, opts.defaultLabel);
    return {
      id: n.id, x: n.x, y: n.y, w: n.w, h: n.h, cls: cls.join(' '), label,
      title: `${n.kind === 'exchange' && n.name === '' ? label : n.name} (${n.kind} · ${n.type}${n.flags.length ? ` · ${n.flags.join(', ')}` : ''})`,
      labelX: n.x + 8, labelY: n.y + n.h / 2,
    };
  });
  const edges: EdgeDraw[] = layout.edges.map((e) => {
    const cls = ['edge', e.kind];
    if (he?.has(e.id)) cls.push('highlighted');
    else if (routeOn) cls.push('faded');
    const a = pos.get(e.from);
    const b = pos.get(e.to);
    if (filter !== '' && a && b && !match(a) && !match(b)) cls.push('dimmed');
    const title = e.kind === 'alternate' ? 'alternate-exchange' : `${e.label === '' ? '""' : e.label}${e.args ? ` ${e.args}` : ''}`;
    return { id: e.id, d: pathData(e.points), cls: cls.join(' '), title };
  });
  for (const x of opts.extraEdges ?? []) {
    const a = pos.get(x.from);
    const b = pos.get(x.to);
    if (!a || !b) continue;
    edges.push({ id: `extra:${x.from}->${x.to}`, d: pathData([{ x: a.x + a.w, y: a.y + a.h / 2 }, { x: b.x, y: b.y + b.h / 2 }]), cls: 'edge extra highlighted', title: '' });
  }
  return { nodes, edges, width: layout.width, height: layout.height };
}

/** Indices of nodes inside a view box (for drawing only the labels that can be seen). */
export function nodesInView(nodes: readonly { x: number; y: number; w: number; h: number }[], view: { x: number; y: number; w: number; h: number }): number[] {
  const out: number[] = [];
  const x2 = view.x + view.w;
  const y2 = view.y + view.h;
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    if (n.x + n.w >= view.x && n.x <= x2 && n.y + n.h >= view.y && n.y <= y2) out.push(i);
  }
  return out;
}
