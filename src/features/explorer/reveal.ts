/**
 * Reveals a queue or exchange in the explorer tree (used by the topology graph: click a node). Walks
 * connection → vhost → folder, loading further pages of the folder until the object shows up; the user's
 * filter is left alone (an object hidden by it is not revealed, and the caller is told).
 */
import * as vscode from 'vscode';
import type { Explorer } from './explorer';
import type { ExplorerNode } from './nodes/base';

const MAX_PAGES = 50;

export interface RevealTarget {
  connectionId: string;
  vhost: string;
  kind: 'queue' | 'exchange';
  name: string;
}

/** Finds the node (loading what is needed), reveals and selects it; resolves the node, or undefined when not shown. */
export async function revealInExplorer(explorer: Explorer, target: RevealTarget): Promise<ExplorerNode | undefined> {
  const provider = explorer.provider;
  const conn = provider.connectionNode(target.connectionId);
  if (!conn) return undefined;
  // The tree lists vhosts only for a connected profile (the graph may have used the management client directly).
  if (explorer.manager.statusOf(target.connectionId).state !== 'connected') {
    await explorer.manager.connect(target.connectionId);
  }
  await conn.getChildren();
  const vhostNode = provider.vhostNode(target.connectionId, target.vhost);
  if (!vhostNode) return undefined;
  const folder = target.kind === 'queue' ? vhostNode.queuesFolder : vhostNode.exchangesFolder;
  const find = async (): Promise<ExplorerNode | undefined> =>
    (await folder.getChildren()).find((n) => (n as { name?: unknown }).name === target.name);
  let node = await find();
  for (let i = 0; !node && i < MAX_PAGES; i++) {
    const before = folder.counts.loaded;
    await folder.loadMore();
    if (folder.counts.loaded === before) break;
    node = await find();
  }
  if (!node) return undefined;
  await vscode.commands.executeCommand(`workbench.view.extension.rabbitmq`);
  return (await explorer.reveal(node, { select: true, focus: true, expand: false })) ? node : undefined;
}
