import * as vscode from 'vscode';
import { Commands } from '../../platform/commandIds';
import { registerCommand } from '../../platform/registerCommand';
import { invalidInput } from '../../core/errors';
import { checkFilter, formatFilter, parseFilterText, type NameFilter } from '../../core/treeData';
import { ExplorerNode } from './nodes/base';
import { ExchangeNode } from './nodes/exchangeNode';
import { QueueNode } from './nodes/queueNode';
import { VhostNode } from './nodes/vhostNode';
import { isPagedFolder, type ExplorerProvider } from './provider';
import { BindingNode } from './nodes/bindingNode';
import { cancelled, isObject, kindOf, vhostScopeOf } from '../../platform/pickers';

/** Refresh, paging, filters, copy name, open in the management UI. */
export function registerViewCommands(provider: ExplorerProvider): vscode.Disposable[] {
  const manager = provider.manager;

  async function loadMore(arg?: unknown): Promise<{ loaded: number; filtered?: number }> {
    let folder = isPagedFolder(arg) ? arg : undefined;
    if (!folder && isObject(arg)) {
      const { connectionId, vhost } = await vhostScopeOf(manager, arg);
      const kind = kindOf(arg) ?? 'queues';
      folder = provider.folder(connectionId, vhost, kind);
      if (!folder) throw invalidInput('vhost', `"${vhost}" is not shown in the explorer`, 'Expand the connection first.');
    }
    if (!folder) throw invalidInput('folder', 'is missing', 'Use "Load more…" in the explorer.');
    await folder.loadMore();
    return { loaded: folder.counts.loaded, filtered: folder.counts.filtered };
  }

  async function filter(arg?: unknown): Promise<NameFilter | undefined> {
    const { connectionId, vhost } = await vhostScopeOf(manager, arg);
    const kind = kindOf(arg);
    let f: NameFilter | undefined;
    if (isObject(arg) && (arg.filter !== undefined || arg.name !== undefined)) {
      if (arg.filter !== undefined) {
        if (typeof arg.filter !== 'string') throw invalidInput('filter', 'must be a string (write /…/ for a regular expression)');
        f = parseFilterText(arg.filter);
      } else {
        if (typeof arg.name !== 'string') throw invalidInput('name', 'must be a string');
        f = arg.name === '' ? undefined : { name: arg.name, regex: arg.regex === true };
      }
    } else {
      const current = provider.filterOf(connectionId, vhost, kind ?? 'queues');
      const text = await vscode.window.showInputBox({
        title: kind === 'exchanges' ? vscode.l10n.t('Filter exchanges in {0}', vhost) : kind === 'queues' ? vscode.l10n.t('Filter queues in {0}', vhost) : vscode.l10n.t('Filter queues and exchanges in {0}', vhost),
        prompt: vscode.l10n.t('Part of the name, or /regular expression/. Empty clears the filter. The broker does the filtering.'),
        value: current ? formatFilter(current) : '',
      });
      if (text === undefined) throw cancelled();
      f = parseFilterText(text);
    }
    if (f) checkFilter(f);
    provider.setFilter(connectionId, vhost, kind, f);
    return f;
  }

  async function clearFilter(arg?: unknown): Promise<void> {
    const { connectionId, vhost } = await vhostScopeOf(manager, arg);
    provider.setFilter(connectionId, vhost, kindOf(arg), undefined);
  }

  async function copyName(arg?: unknown): Promise<string> {
    const name = nameForCopy(arg);
    await vscode.env.clipboard.writeText(name);
    return name;
  }

  async function openInManagementUI(arg?: unknown): Promise<string> {
    const { connectionId, vhost } = await vhostScopeOf(manager, arg);
    const base = manager.resolved(connectionId).management.baseUrl;
    let fragment: string;
    if (arg instanceof QueueNode || (isObject(arg) && arg.kind === 'queue')) {
      fragment = `#/queues/${encodeURIComponent(vhost)}/${encodeURIComponent(nameForCopy(arg))}`;
    } else if (arg instanceof ExchangeNode || (isObject(arg) && arg.kind === 'exchange')) {
      const name = nameForCopy(arg);
      fragment = `#/exchanges/${encodeURIComponent(vhost)}/${name === '' ? 'amq.default' : encodeURIComponent(name)}`;
    } else {
      fragment = `#/vhosts/${encodeURIComponent(vhost)}`;
    }
    const url = `${base}/${fragment}`;
    // Not awaited: opening a browser must not hold the command (or a test) on a prompt.
    void vscode.env.openExternal(vscode.Uri.parse(url, true));
    return url;
  }

  return [
    registerCommand(Commands.refresh, (node?: unknown) => provider.refresh(node instanceof ExplorerNode ? node : undefined)),
    registerCommand(Commands.refreshAll, () => provider.refresh()),
    registerCommand(Commands.loadMore, loadMore),
    registerCommand(Commands.filter, filter),
    registerCommand(Commands.clearFilter, clearFilter),
    registerCommand(Commands.copyName, copyName),
    registerCommand(Commands.openInManagementUI, openInManagementUI),
  ];
}

function nameForCopy(arg: unknown): string {
  if (arg instanceof QueueNode || arg instanceof ExchangeNode) return arg.name;
  if (arg instanceof VhostNode) return arg.vhost;
  if (arg instanceof BindingNode) return arg.direction === 'in' ? arg.row.source : arg.row.destination;
  if (isObject(arg) && typeof arg.name === 'string') return arg.name;
  throw invalidInput('name', 'is missing', 'Run this on a queue, exchange or vhost in the explorer.');
}

