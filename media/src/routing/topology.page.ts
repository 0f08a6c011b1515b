/**
 * Topology graph page: exchanges, queues and bindings laid out by dagre (./graphLayout.ts) and
 * drawn as SVG. Names are untrusted: they only ever become textContent (or a <title>'s text), never markup.
 * Pan by dragging, zoom with the wheel (the SVG viewBox changes; nothing is re-laid out). Labels are drawn
 * only for nodes in view and only when large enough to read, so 1,000+ nodes stay smooth.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { byId, clear, connect, h } from '../common/api';
import { buildDrawList, layoutGraph, nodesInView, type DrawList, type GraphLayout } from './graphLayout';
import type { TopologyGraph } from '../../../src/core/topologyGraph';
import type { FromTopology, RouteView, TopologyPageState, TopologySource, TopologyStrings, ToTopology } from '../../../src/features/routing/topologyProtocol';

const SVG = 'http://www.w3.org/2000/svg';
/** Labels are skipped below this zoom (screen px per graph unit) and beyond this many in view. */
const MIN_LABEL_SCALE = 0.45;
const MAX_LABELS = 800;

let strings: TopologyStrings | undefined;
let source: TopologySource | undefined;
let graph: TopologyGraph | undefined;
let layout: GraphLayout | undefined;
let draw: DrawList | undefined;
let route: RouteView | null = null;
let layoutMs = 0;
let drawMs = 0;
let note: string | undefined;

const api = connect<FromTopology, ToTopology, TopologyPageState>(onMessage);
let filter = api.getState()?.filter ?? '';
const app = byId('app');

function t(key: keyof TopologyStrings): string {
  return strings?.[key] ?? key;
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

// ------------------------------------------------------------------------------------------ skeleton

const filterField = h('vscode-textfield', { id: 'filter', placeholder: '' }) as HTMLElement & { value: string };
const countLine = h('span', { id: 'counts', class: 'muted' });
const statusLine = h('div', { id: 'status', class: 'muted' });
const routePane = h('div', { id: 'route', class: 'topo-route hidden' });
const root = svg('svg', { id: 'graph', class: 'topo-svg' });
const edgeLayer = svg('g', { class: 'edges' });
const nodeLayer = svg('g', { class: 'nodes' });
const labelLayer = svg('g', { class: 'labels' });
root.append(edgeLayer, nodeLayer, labelLayer);
const view = { x: 0, y: 0, w: 1000, h: 600 };
const buttons: { key: keyof TopologyStrings; el: HTMLElement }[] = [];

function button(key: keyof TopologyStrings, icon: string, id: string, onClick: () => void): HTMLElement {
  const b = h('vscode-button', { icon, secondary: true, id });
  b.addEventListener('click', onClick);
  buttons.push({ key, el: b });
  return b;
}

function skeleton(): void {
  clear(app);
  app.append(
    h('div', { class: 'toolbar' },
      filterField,
      button('fit', 'screen-full', 'fit', () => fit(matchingNodes())),
      button('testRoute', 'debug-start', 'test-route', () => api.post({ type: 'testRoute' })),
      button('clearRoute', 'clear-all', 'clear-route', () => setRoute(null)),
      button('refresh', 'refresh', 'refresh', () => api.post({ type: 'refresh' })),
      countLine,
    ),
    statusLine,
    h('div', { class: 'topo-main' }, h('div', { class: 'topo-canvas', id: 'canvas' }), routePane),
  );
  byId('canvas').append(root);
  filterField.value = filter;
  filterField.addEventListener('input', () => {
    filter = filterField.value;
    api.setState({ filter });
    redraw();
  });
  filterField.addEventListener('keydown', (e) => {
    if ((e as KeyboardEvent).key === 'Enter') fit(matchingNodes());
  });
}

function applyStrings(): void {
  filterField.setAttribute('placeholder', t('filter'));
  for (const b of buttons) {
    b.el.textContent = t(b.key);
  }
  const clearRouteBtn = byId('clear-route');
  clearRouteBtn.classList.toggle('hidden', route === null);
}

// ------------------------------------------------------------------------------------------ messages

function onMessage(m: ToTopology): void {
  switch (m.type) {
    case 'init':
      strings = m.strings;
      source = m.source;
      document.title = `${source.connectionName} · ${source.vhost}`;
      applyStrings();
      return;
    case 'graph': {
      graph = m.graph;
      note = m.note;
      const started = performance.now();
      layout = layoutGraph(graph);
      layoutMs = performance.now() - started;
      redraw();
      fit(route ? layout.nodes.filter((n) => route!.nodeIds.includes(n.id)) : layout.nodes);
      return;
    }
    case 'route':
      setRoute(m.route);
      return;
    case 'setFilter':
      filter = m.filter;
      filterField.value = filter;
      api.setState({ filter });
      redraw();
      fit(matchingNodes());
      return;
    case 'status':
      statusLine.textContent = m.text;
      statusLine.className = m.level === 'info' ? 'muted' : m.level;
      return;
    case 'error':
      statusLine.textContent = m.message;
      statusLine.className = 'error';
      return;
  }
}

function setRoute(r: RouteView | null): void {
  route = r;
  applyStrings();
  renderRoute();
  redraw();
  if (layout && r) fit(layout.nodes.filter((n) => r.nodeIds.includes(n.id)));
}

function renderRoute(): void {
  clear(routePane);
  routePane.classList.toggle('hidden', route === null);
  if (!route) return;
  routePane.append(
    h('div', { class: 'topo-route-title' }, t('routeTitle')),
    h('div', { class: `topo-route-summary ${route.level}`, id: 'route-summary' }, route.summary),
    ...route.lines.map((l) => h('div', { class: `topo-route-line indent-${Math.min(3, l.indent)}${l.level ? ` ${l.level}` : ''}` }, l.text)),
  );
}

// ------------------------------------------------------------------------------------------ drawing

function matchingNodes(): GraphLayout['nodes'] {
  if (!layout) return [];
  const f = filter.trim().toLowerCase();
  return f === '' ? layout.nodes : layout.nodes.filter((n) => n.name.toLowerCase().includes(f));
}

/** Rebuilds the SVG from the layout with the current highlight and filter. */
function redraw(): void {
  if (!layout || !graph) return;
  const started = performance.now();
  draw = buildDrawList(layout, {
    highlightNodes: route ? new Set(route.nodeIds) : undefined,
    highlightEdges: route ? new Set(route.edgeIds) : undefined,
    targets: route ? new Set(route.targetIds) : undefined,
    extraEdges: route?.extraEdges,
    filter,
    defaultLabel: t('defaultExchange'),
  });
  const edgeEls: SVGElement[] = [];
  for (const e of draw.edges) {
    const p = svg('path', { d: e.d, class: e.cls, 'data-id': e.id });
    if (e.title) p.append(titleOf(e.title));
    edgeEls.push(p);
  }
  const nodeEls: SVGElement[] = [];
  for (const n of draw.nodes) {
    const r = svg('rect', { x: n.x, y: n.y, width: n.w, height: n.h, rx: n.id.startsWith('x:') ? 3 : 10, class: n.cls, 'data-id': n.id });
    r.append(titleOf(`${n.title}\n${t('clickToReveal')}`));
    nodeEls.push(r);
  }
  edgeLayer.replaceChildren(...edgeEls);
  nodeLayer.replaceChildren(...nodeEls);
  drawLabels();
  drawMs = performance.now() - started;
  const matches = matchingNodes().length;
  countLine.textContent = `${graph.nodes.length} ${t('nodes')} · ${graph.edges.length} ${t('edges')}${filter.trim() ? ` · ${matches} ${t('matches')}` : ''}`;
  if (graph.nodes.length === 0) statusLine.textContent = t('empty');
  else if (note) statusLine.textContent = note;
  report(matches);
}

function titleOf(text: string): SVGTitleElement {
  const el = svg('title');
  el.textContent = text;
  return el;
}

let labelCount = 0;

/** Labels only for nodes in the view box, and only when readable. */
function drawLabels(): void {
  if (!draw) return;
  const scale = root.clientWidth > 0 ? root.clientWidth / view.w : 1;
  const els: SVGElement[] = [];
  if (scale >= MIN_LABEL_SCALE) {
    const inView = nodesInView(draw.nodes, view);
    for (const i of inView.slice(0, MAX_LABELS)) {
      const n = draw.nodes[i];
      const text = svg('text', { x: n.labelX, y: n.labelY, class: `label${/ (faded|dimmed)( |$)/.test(n.cls) ? ' faded' : ''}${/ highlighted( |$)/.test(n.cls) ? ' on-route' : ''}` });
      text.textContent = n.label;
      els.push(text);
    }
  }
  labelCount = els.length;
  labelLayer.replaceChildren(...els);
}

function report(matches: number): void {
  if (!draw) return;
  api.post({
    type: 'rendered',
    stats: {
      nodes: draw.nodes.length,
      edges: draw.edges.length,
      highlightedNodes: draw.nodes.filter((n) => / highlighted( |$)/.test(n.cls)).length,
      highlightedEdges: draw.edges.filter((e) => / highlighted( |$)/.test(e.cls)).length,
      targets: draw.nodes.filter((n) => / target( |$)/.test(n.cls)).length,
      labels: labelCount,
      filter,
      matches,
      layoutMs: Math.round(layoutMs * 10) / 10,
      drawMs: Math.round(drawMs * 10) / 10,
    },
  });
}

// ------------------------------------------------------------------------------------------ pan & zoom

function applyView(): void {
  root.setAttribute('viewBox', `${view.x} ${view.y} ${view.w} ${view.h}`);
  scheduleLabels();
}

let labelFrame = 0;
function scheduleLabels(): void {
  if (labelFrame) return;
  labelFrame = requestAnimationFrame(() => {
    labelFrame = 0;
    drawLabels();
  });
}

/** Fits the view to some nodes (all when none). */
function fit(nodes: readonly { x: number; y: number; w: number; h: number }[]): void {
  if (!layout) return;
  const list = nodes.length ? nodes : layout.nodes;
  if (list.length === 0) return;
  let x1 = Infinity, y1 = Infinity, x2 = -Infinity, y2 = -Infinity;
  for (const n of list) {
    x1 = Math.min(x1, n.x); y1 = Math.min(y1, n.y);
    x2 = Math.max(x2, n.x + n.w); y2 = Math.max(y2, n.y + n.h);
  }
  const pad = 30;
  const cw = Math.max(1, root.clientWidth);
  const ch = Math.max(1, root.clientHeight);
  let w = x2 - x1 + 2 * pad;
  let hgt = y2 - y1 + 2 * pad;
  // Keep the aspect of the canvas; never zoom in beyond 1.5×.
  w = Math.max(w, hgt * (cw / ch), cw / 1.5);
  hgt = w * (ch / cw);
  view.x = (x1 + x2) / 2 - w / 2;
  view.y = (y1 + y2) / 2 - hgt / 2;
  view.w = w;
  view.h = hgt;
  applyView();
}

let drag: { x: number; y: number; vx: number; vy: number; moved: boolean } | undefined;
root.addEventListener('pointerdown', (e) => {
  drag = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y, moved: false };
  root.setPointerCapture(e.pointerId);
});
root.addEventListener('pointermove', (e) => {
  if (!drag) return;
  const k = view.w / Math.max(1, root.clientWidth);
  const dx = e.clientX - drag.x;
  const dy = e.clientY - drag.y;
  if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
  view.x = drag.vx - dx * k;
  view.y = drag.vy - dy * k;
  applyView();
});
root.addEventListener('pointerup', (e) => {
  const d = drag;
  drag = undefined;
  root.releasePointerCapture(e.pointerId);
  if (d && !d.moved) {
    const target = document.elementFromPoint(e.clientX, e.clientY);
    const id = target instanceof SVGElement ? target.getAttribute('data-id') : null;
    if (id && (id.startsWith('x:') || id.startsWith('q:'))) api.post({ type: 'reveal', nodeId: id });
  }
});
root.addEventListener('wheel', (e) => {
  e.preventDefault();
  const rect = root.getBoundingClientRect();
  const fx = (e.clientX - rect.left) / Math.max(1, rect.width);
  const fy = (e.clientY - rect.top) / Math.max(1, rect.height);
  const factor = Math.exp(e.deltaY * 0.0015);
  const w = Math.min(Math.max(view.w * factor, 50), 1e6);
  const hh = w * (view.h / view.w);
  view.x += (view.w - w) * fx;
  view.y += (view.h - hh) * fy;
  view.w = w;
  view.h = hh;
  applyView();
}, { passive: false });
new ResizeObserver(() => {
  if (!layout) return;
  view.h = view.w * (Math.max(1, root.clientHeight) / Math.max(1, root.clientWidth));
  applyView();
}).observe(root);

skeleton();
applyView();
api.ready();
