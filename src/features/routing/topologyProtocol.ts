/**
 * The topology graph's protocol, shared by topologyPanel.ts (extension side) and
 * media/src/routing/topology.page.ts (page). No 'vscode' or Node imports here: the webview bundle imports this file.
 */
import type { TopologyGraph } from '../../core/topologyGraph';
import type { ErrorMessage, WebviewReady } from '../../platform/webview/protocol';

/** Every text the page shows, translated by the extension. */
export interface TopologyStrings {
  filter: string;
  fit: string;
  refresh: string;
  testRoute: string;
  clearRoute: string;
  matches: string;
  nodes: string;
  edges: string;
  loading: string;
  empty: string;
  defaultExchange: string;
  routeTitle: string;
  clickToReveal: string;
}

export interface TopologySource {
  connectionName: string;
  vhost: string;
}

/** A route tester result for the page: what to highlight and its text. */
export interface RouteView {
  /** One-line summary ("2 queues reached", "Unroutable …"). */
  summary: string;
  /** 'ok' (delivered), 'warning' (unroutable / uncertain), 'error' (refused). */
  level: 'ok' | 'warning' | 'error';
  /** Lines of text: queues with their hops, then problems. Plain text. */
  lines: { text: string; indent: number; level?: 'warning' | 'error' }[];
  nodeIds: string[];
  edgeIds: string[];
  targetIds: string[];
  extraEdges: { from: string; to: string }[];
}

export type ToTopology =
  | { type: 'init'; source: TopologySource; strings: TopologyStrings }
  | { type: 'graph'; graph: TopologyGraph; note?: string }
  | { type: 'route'; route: RouteView | null }
  /** Test hook and "show in graph": set the name filter. */
  | { type: 'setFilter'; filter: string }
  | { type: 'status'; level: 'info' | 'warning' | 'error'; text: string }
  | ErrorMessage;

/** What the page reports after drawing (tests and the bench read it). */
export interface RenderedStats {
  nodes: number;
  edges: number;
  highlightedNodes: number;
  highlightedEdges: number;
  targets: number;
  /** Labels drawn (only those in view). */
  labels: number;
  filter: string;
  matches: number;
  layoutMs: number;
  drawMs: number;
}

export type FromTopology =
  | WebviewReady
  | { type: 'reveal'; nodeId: string }
  | { type: 'refresh' }
  | { type: 'testRoute' }
  | { type: 'rendered'; stats: RenderedStats };

/** State the page keeps with setState. */
export interface TopologyPageState {
  filter?: string;
}
