/**
 * The graph model of a vhost's topology (nodes and edges), built by ./topology.ts and laid out by the topology
 * page. Types only, no imports: the webview script (DOM, no Node) imports this file too.
 */

export type GraphNodeKind = 'exchange' | 'queue';

export interface GraphNode {
  /** `x:<name>` for exchanges, `q:<name>` for queues. */
  id: string;
  kind: GraphNodeKind;
  /** The object's name (untrusted text; '' is the default exchange). */
  name: string;
  /** Exchange type (direct, topic …) or queue type (classic, quorum, stream). */
  type: string;
  /** Tokens such as 'internal', 'builtin', 'default', 'exclusive', 'autoDelete'. */
  flags: string[];
}

export type GraphEdgeKind = 'binding' | 'alternate';

export interface GraphEdge {
  id: string;
  kind: GraphEdgeKind;
  from: string;
  to: string;
  /** Binding key (bindings) or '' (alternate exchange). */
  label: string;
  /** Binding arguments as JSON text ('' when none). */
  args: string;
}

export interface TopologyGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}
