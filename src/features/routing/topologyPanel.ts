import * as vscode from 'vscode';
import type { ConnectionManager } from '../connections/connectionManager';
import type { RouteResult } from '../../core/routing';
import { loadTopology, routeHighlight, type LoadedTopology } from '../../core/topology';
import { describeError } from '../../platform/errors';
import { logger } from '../../platform/log';
import { WebviewPanelHost } from '../../platform/webview/panelHost';
import type { FromTopology, RenderedStats, RouteView, TopologyStrings, ToTopology } from './topologyProtocol';

const log = logger('topology');

/** What the panel asks the command side to do (reveal a node, run the route tester for this vhost). */
export interface TopologyActions {
  reveal(connectionId: string, vhost: string, kind: 'queue' | 'exchange', name: string): Promise<boolean>;
  testRoute(connectionId: string, vhost: string): Promise<unknown>;
}

/** The tester's input, shown next to the result. */
export interface RouteInput {
  exchange: string;
  routingKey: string;
  headers?: Record<string, unknown>;
}

/**
 * The topology graph of one (connection, vhost): one panel per pair, reused. Loads the topology through the
 * management API, sends it to the page (which lays it out with dagre and draws SVG), highlights the route
 * tester's result, and reveals clicked nodes in the explorer.
 */
export class TopologyPanel extends WebviewPanelHost<ToTopology, FromTopology> {
  static readonly viewType = 'rabbitmq.topology';
  private static readonly panels = new Map<string, TopologyPanel>();

  private topology: LoadedTopology | undefined;
  private routeView: RouteView | null = null;
  private lastStats: RenderedStats | undefined;
  private readonly statsWaiters: { pred: (s: RenderedStats) => boolean; resolve: (s: RenderedStats) => void }[] = [];
  private isFirstReady = true;
  private loading: Promise<LoadedTopology> | undefined;
  /** The last node the page asked to reveal, and whether the explorer showed it. */
  lastReveal: { nodeId: string; shown: boolean } | undefined;

  private constructor(
    extensionUri: vscode.Uri,
    private readonly manager: ConnectionManager,
    readonly connectionId: string,
    readonly vhost: string,
    private readonly actions: TopologyActions,
  ) {
    const title = vscode.l10n.t('Topology: {0}', vhost);
    super(TopologyPanel.viewType, title, { script: 'topology', title }, extensionUri);
    TopologyPanel.panels.set(TopologyPanel.key(connectionId, vhost), this);
    this.onDidDispose(() => TopologyPanel.panels.delete(TopologyPanel.key(connectionId, vhost)));
    this.post({ type: 'init', source: { connectionName: manager.profile(connectionId).name, vhost }, strings: topologyStrings() });
  }

  private static key(connectionId: string, vhost: string): string {
    return `${connectionId}\u0000${vhost}`;
  }

  /** The open panel of (connection, vhost), if any. */
  static find(connectionId: string, vhost: string): TopologyPanel | undefined {
    return TopologyPanel.panels.get(TopologyPanel.key(connectionId, vhost));
  }

  /** Opens (or shows) the panel of (connection, vhost). Loads the topology unless `topology` is given. */
  static async show(extensionUri: vscode.Uri, manager: ConnectionManager, connectionId: string, vhost: string, actions: TopologyActions, topology?: LoadedTopology): Promise<TopologyPanel> {
    let panel = TopologyPanel.find(connectionId, vhost);
    if (panel) panel.panel.reveal(undefined, false);
    else panel = new TopologyPanel(extensionUri, manager, connectionId, vhost, actions);
    if (topology) panel.setTopology(topology);
    else if (!panel.topology) await panel.reload();
    return panel;
  }

  /** The topology shown (undefined before the first load). */
  get loaded(): LoadedTopology | undefined {
    return this.topology;
  }

  /** The route shown (null when none). */
  get route(): RouteView | null {
    return this.routeView;
  }

  /** What the page last reported drawing. */
  get stats(): RenderedStats | undefined {
    return this.lastStats;
  }

  /** Resolves with the page's next (or current) drawing report that satisfies `pred` (tests wait on this). */
  whenRendered(pred: (s: RenderedStats) => boolean = () => true, timeoutMs = 30_000): Promise<RenderedStats> {
    if (this.lastStats && pred(this.lastStats)) return Promise.resolve(this.lastStats);
    return new Promise((resolve, reject) => {
      const waiter = { pred, resolve };
      this.statsWaiters.push(waiter);
      setTimeout(() => {
        const i = this.statsWaiters.indexOf(waiter);
        if (i < 0) return;
        this.statsWaiters.splice(i, 1);
        reject(new Error(`The topology page did not report the expected drawing within ${timeoutMs} ms (last: ${JSON.stringify(this.lastStats)}).`));
      }, timeoutMs);
    });
  }

  /** Loads the topology again from the broker and redraws. */
  async reload(): Promise<LoadedTopology> {
    this.loading ??= (async () => {
      this.post({ type: 'status', level: 'info', text: vscode.l10n.t('Loading the topology…') });
      try {
        const client = await this.manager.management(this.connectionId);
        const t = await loadTopology(client, this.vhost);
        this.setTopology(t);
        return t;
      } catch (e) {
        this.post({ type: 'status', level: 'error', text: describeError(e) });
        throw e;
      }
    })().finally(() => (this.loading = undefined));
    return this.loading;
  }

  setTopology(t: LoadedTopology): void {
    this.topology = t;
    this.post({ type: 'graph', graph: t.graph });
    this.post({
      type: 'status',
      level: 'info',
      text: vscode.l10n.t('{0} exchanges, {1} queues, {2} bindings. Drag to pan, scroll to zoom, click a node to show it in the explorer.', t.exchanges.length, t.queues.length, t.bindings.length),
    });
  }

  /** Shows a route tester result (highlight + text). */
  showRoute(result: RouteResult, input: RouteInput): RouteView {
    this.routeView = formatRoute(result, input);
    this.post({ type: 'route', route: this.routeView });
    return this.routeView;
  }

  clearRoute(): void {
    this.routeView = null;
    this.post({ type: 'route', route: null });
  }

  /** Sets the page's name filter. */
  setFilter(filter: string): void {
    this.post({ type: 'setFilter', filter });
  }

  protected override onReady(): void {
    // A page that was hidden comes back empty: send everything again.
    if (!this.isFirstReady) {
      this.post({ type: 'init', source: { connectionName: this.manager.profile(this.connectionId).name, vhost: this.vhost }, strings: topologyStrings() });
      if (this.topology) this.post({ type: 'graph', graph: this.topology.graph });
      if (this.routeView) this.post({ type: 'route', route: this.routeView });
    }
    this.isFirstReady = false;
  }

  protected async onMessage(m: FromTopology): Promise<void> {
    switch (m.type) {
      case 'rendered': {
        this.lastStats = m.stats;
        for (const w of [...this.statsWaiters]) {
          if (w.pred(m.stats)) {
            this.statsWaiters.splice(this.statsWaiters.indexOf(w), 1);
            w.resolve(m.stats);
          }
        }
        return;
      }
      case 'reveal': {
        const kind = m.nodeId.startsWith('q:') ? 'queue' : 'exchange';
        const name = m.nodeId.slice(2);
        const shown = await this.actions.reveal(this.connectionId, this.vhost, kind, name);
        this.lastReveal = { nodeId: m.nodeId, shown };
        if (!shown) {
          this.post({ type: 'status', level: 'warning', text: vscode.l10n.t('"{0}" is not shown in the explorer (filtered out or deleted). Clear the explorer filter or refresh.', name || vscode.l10n.t('(AMQP default)')) });
        }
        return;
      }
      case 'refresh':
        await this.reload();
        return;
      case 'testRoute':
        await this.actions.testRoute(this.connectionId, this.vhost);
        return;
    }
  }

  /** Handles a page message as if the page sent it (tests). */
  dispatch(m: FromTopology): Promise<void> {
    return this.onMessage(m);
  }

  override dispose(): void {
    log.info(`topology panel of ${this.vhost} closed`);
    super.dispose();
  }
}

/** The route tester's result as text lines and highlight ids (translated). */
export function formatRoute(result: RouteResult, input: RouteInput): RouteView {
  const hl = routeHighlight(result, input.exchange);
  const xname = (n: string) => (n === '' ? vscode.l10n.t('(AMQP default)') : n);
  const lines: RouteView['lines'] = [];
  const headers = input.headers && Object.keys(input.headers).length ? ` ${JSON.stringify(input.headers)}` : '';
  lines.push({ text: vscode.l10n.t('Published to {0} with routing key "{1}"{2}', xname(input.exchange), input.routingKey, headers), indent: 0 });
  if (result.routingKeys.length > 1) lines.push({ text: vscode.l10n.t('Routing keys (with CC/BCC): {0}', result.routingKeys.join(', ')), indent: 1 });
  for (const q of result.queues) {
    lines.push({ text: `→ ${vscode.l10n.t('queue')} ${q.queue}`, indent: 0 });
    for (const hop of q.path) {
      const to = `${hop.to.kind === 'queue' ? vscode.l10n.t('queue') : vscode.l10n.t('exchange')} ${hop.to.name}`;
      const via = hop.via === 'alternate-exchange' ? vscode.l10n.t('alternate exchange') : hop.via === 'default-exchange' ? vscode.l10n.t('default exchange') : vscode.l10n.t('binding "{0}"', hop.binding?.routingKey ?? '');
      lines.push({ text: `${xname(hop.exchange)} (${hop.exchangeType}) → ${to} · ${via}`, indent: 1 });
      lines.push({ text: hop.reason, indent: 2 });
    }
  }
  for (const ae of result.alternateExchangeHops) {
    const outcome = ae.outcome === 'followed' ? vscode.l10n.t('followed') : ae.outcome === 'missing' ? vscode.l10n.t('missing: messages are dropped') : vscode.l10n.t('already visited');
    lines.push({ text: vscode.l10n.t('Alternate exchange: {0} → {1} ({2})', xname(ae.from), ae.to, outcome), indent: 0, level: ae.outcome === 'missing' ? 'warning' : undefined });
  }
  for (const p of result.problems) lines.push({ text: p.message, indent: 0, level: p.severity === 'error' ? 'error' : 'warning' });
  let summary: string;
  let level: RouteView['level'];
  if (result.refused) {
    summary = vscode.l10n.t('Refused by the broker: {0}', result.problems.find((p) => p.severity === 'error')?.code ?? '');
    level = 'error';
  } else if (result.unroutable) {
    summary = vscode.l10n.t('Unroutable: no queue gets this message (a mandatory publish is returned, otherwise dropped).');
    level = 'warning';
  } else {
    summary = vscode.l10n.t('{0} queue(s) get this message.', result.queues.length);
    level = result.certain ? 'ok' : 'warning';
  }
  if (!result.certain) summary += ` ${vscode.l10n.t('Uncertain: a plugin exchange type was visited.')}`;
  return { summary, level, lines, nodeIds: hl.nodeIds, edgeIds: hl.edgeIds, targetIds: hl.targetIds, extraEdges: hl.extraEdges };
}

export function topologyStrings(): TopologyStrings {
  return {
    filter: vscode.l10n.t('Filter by name'),
    fit: vscode.l10n.t('Fit'),
    refresh: vscode.l10n.t('Refresh'),
    testRoute: vscode.l10n.t('Test route…'),
    clearRoute: vscode.l10n.t('Clear route'),
    matches: vscode.l10n.t('match'),
    nodes: vscode.l10n.t('nodes'),
    edges: vscode.l10n.t('edges'),
    loading: vscode.l10n.t('Loading the topology…'),
    empty: vscode.l10n.t('This vhost has no exchanges or queues.'),
    defaultExchange: vscode.l10n.t('(AMQP default)'),
    routeTitle: vscode.l10n.t('Route tester'),
    clickToReveal: vscode.l10n.t('Click to show it in the explorer.'),
  };
}
