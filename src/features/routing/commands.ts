/**
 * "See where messages go": the route tester (rabbitmq.testRoute), the topology graph
 * (rabbitmq.showTopology) and the live tap (rabbitmq.tap / rabbitmq.stopTap). Each command takes a tree node,
 * an args object (tests, other commands) or nothing (then it asks).
 */
import * as vscode from 'vscode';
import { Commands } from '../../platform/commandIds';
import { registerCommand } from '../../platform/registerCommand';
import type { ConnectionManager } from '../connections/connectionManager';
import { invalidInput } from '../../core/errors';
import { parseJsonObject } from '../../core/json';
import { RoutingIndex, type RouteResult } from '../../core/routing';
import { loadTopology, type LoadedTopology } from '../../core/topology';
import { cancelled, isObject, isVhostScoped, vhostScopeOf } from '../../platform/pickers';
import type { Explorer } from '../explorer/explorer';
import { revealInExplorer } from '../explorer/reveal';
import { TopologyPanel, type TopologyActions } from './topologyPanel';
import { logger } from '../../platform/log';
import { TapRegistry } from './tap';

const log = logger('topology');

export interface TestRouteArgs {
  connectionId?: string;
  vhost?: string;
  exchange?: string;
  routingKey?: string;
  headers?: Record<string, unknown>;
  /** false: do not open the graph panel (default true). */
  showPanel?: boolean;
}

/** Registers the route tester, topology graph and tap commands. */
export function registerRoutingCommands(context: vscode.ExtensionContext, manager: ConnectionManager, explorer: Explorer): vscode.Disposable[] {
  const taps = new TapRegistry(manager, context.extensionUri);
  const actions: TopologyActions = {
    reveal: async (connectionId, vhost, kind, name) => (await revealInExplorer(explorer, { connectionId, vhost, kind, name })) !== undefined,
    testRoute: async (connectionId, vhost) => vscode.commands.executeCommand(Commands.testRoute, { connectionId, vhost, interactive: true }),
  };
  return [
    taps,
    registerCommand(Commands.testRoute, (arg?: unknown) => testRouteCommand(manager, context.extensionUri, actions, arg)),
    registerCommand(Commands.showTopology, (arg?: unknown) => showTopologyCommand(manager, context.extensionUri, actions, arg)),
    registerCommand(Commands.tap, (arg?: unknown) => taps.startCommand(arg)),
    registerCommand(Commands.stopTap, (arg?: unknown) => taps.stopCommand(arg)),
  ];
}

/** Connection and vhost from a node or args (asking when missing). */
async function scopeOf(manager: ConnectionManager, arg: unknown): Promise<{ connectionId: string; vhost: string }> {
  if (isVhostScoped(arg)) return { connectionId: arg.connectionId, vhost: arg.vhost };
  if (isObject(arg) && arg.connectionId !== undefined && arg.vhost !== undefined) {
    if (typeof arg.connectionId !== 'string' || arg.connectionId === '') throw invalidInput('connectionId', 'must be the id of a saved connection');
    if (typeof arg.vhost !== 'string' || arg.vhost === '') throw invalidInput('vhost', 'must be a vhost name such as "/"');
    manager.profile(arg.connectionId);
    return { connectionId: arg.connectionId, vhost: arg.vhost };
  }
  return vhostScopeOf(manager, isObject(arg) && arg.connectionId !== undefined ? { connectionId: arg.connectionId, vhost: arg.vhost } : undefined);
}

/** rabbitmq.showTopology → the panel. Args object: `{ connectionId, vhost, filter? }` (filter: a name filter applied in the page). */
export async function showTopologyCommand(manager: ConnectionManager, extensionUri: vscode.Uri, actions: TopologyActions, arg?: unknown): Promise<TopologyPanel> {
  if (isObject(arg) && arg.filter !== undefined && typeof arg.filter !== 'string') throw invalidInput('filter', 'must be a string');
  const { connectionId, vhost } = await scopeOf(manager, arg);
  const panel = await TopologyPanel.show(extensionUri, manager, connectionId, vhost, actions);
  if (isObject(arg) && typeof arg.filter === 'string') panel.setFilter(arg.filter);
  return panel;
}

/** Parses the headers box: '' → none; otherwise a JSON object. */
const parseHeaders = (text: string): Record<string, unknown> | undefined => parseJsonObject('headers', text, '{"format": "pdf"}');

/** rabbitmq.testRoute → the RouteResult (also shown in the graph panel). */
export async function testRouteCommand(manager: ConnectionManager, extensionUri: vscode.Uri, actions: TopologyActions, arg?: unknown): Promise<RouteResult> {
  const args: TestRouteArgs & { interactive?: boolean } = isObject(arg) ? (arg as TestRouteArgs) : {};
  if (args.exchange !== undefined && typeof args.exchange !== 'string') throw invalidInput('exchange', 'must be a string', "Use '' for the default exchange.");
  if (args.routingKey !== undefined && typeof args.routingKey !== 'string') throw invalidInput('routingKey', 'must be a string');
  if (args.headers !== undefined && (args.headers === null || typeof args.headers !== 'object' || Array.isArray(args.headers))) throw invalidInput('headers', 'must be an object of header names to values');
  const interactive = !isObject(arg) || args.interactive === true;
  const { connectionId, vhost } = await scopeOf(manager, arg);
  // An exchange node of the tree (the menu on exchanges) names the exchange.
  const nodeExchange = isVhostScoped(arg) && 'isDefault' in arg && typeof (arg as { name?: unknown }).name === 'string' ? (arg as unknown as { name: string }).name : undefined;

  const topology = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Loading the topology of {0}…', vhost) },
    async () => loadTopology(await manager.management(connectionId), vhost),
  );
  let exchange = args.exchange ?? nodeExchange;
  let routingKey = args.routingKey;
  let headers = args.headers;
  if (!interactive) {
    if (exchange === undefined) throw invalidInput('exchange', 'is missing', "Pass { exchange } ('' for the default exchange).");
    if (routingKey === undefined) throw invalidInput('routingKey', 'is missing', "Pass { routingKey } ('' for an empty key).");
  } else {
    exchange ??= await pickExchange(topology);
    if (routingKey === undefined) {
      const target = exchange === '' ? vscode.l10n.t('(AMQP default)') : exchange;
      const key = await vscode.window.showInputBox({
        title: vscode.l10n.t('Test route'),
        prompt: vscode.l10n.t('Routing key of the message to {0}', target),
        ignoreFocusOut: true,
        validateInput: (v) => (Buffer.byteLength(v) > 255 ? vscode.l10n.t('At most 255 bytes.') : undefined),
      });
      if (key === undefined) throw cancelled();
      routingKey = key;
    }
    if (headers === undefined) {
      const text = await vscode.window.showInputBox({
        title: vscode.l10n.t('Test route'),
        prompt: vscode.l10n.t('Message headers as a JSON object (optional; used by headers exchanges and CC/BCC)'),
        placeHolder: '{"format": "pdf"}',
        ignoreFocusOut: true,
        validateInput: (v) => {
          try {
            parseHeaders(v);
            return undefined;
          } catch (e) {
            return e instanceof Error ? e.message : String(e);
          }
        },
      });
      if (text === undefined) throw cancelled();
      headers = parseHeaders(text);
    }
  }

  const result = new RoutingIndex(topology.snapshot).route({ exchange, routingKey, headers });
  log.info(`route test in ${vhost}: exchange "${exchange}", key "${routingKey}" → ${result.queues.length} queue(s)${result.refused ? ' (refused)' : result.unroutable ? ' (unroutable)' : ''}`);
  if (args.showPanel !== false) {
    const panel = await TopologyPanel.show(extensionUri, manager, connectionId, vhost, actions, topology);
    panel.showRoute(result, { exchange, routingKey, headers });
  }
  return result;
}

async function pickExchange(t: LoadedTopology): Promise<string> {
  const items = t.exchanges.map((x) => ({ label: x.name === '' ? vscode.l10n.t('(AMQP default)') : x.name, description: `${x.type}${x.internal ? ` · ${vscode.l10n.t('internal')}` : ''}`, name: x.name }));
  const picked = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Test route'), placeHolder: vscode.l10n.t('Exchange to publish to') });
  if (!picked) throw cancelled();
  return picked.name;
}
