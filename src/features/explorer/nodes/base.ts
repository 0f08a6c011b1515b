import * as vscode from 'vscode';
import type { ConnectionManager } from '../../connections/connectionManager';
import type { NameFilter } from '../../../core/treeData';
import { Commands } from '../../../platform/commandIds';
import { describeError, errorDetail, errorHeadline } from '../../../platform/errors';
import type { FolderKind, VhostScoped } from '../../../platform/pickers';

export type { FolderKind, VhostScoped };

/** What every node may need from the explorer, without depending on the provider class. */
export interface ExplorerContext {
  readonly manager: ConnectionManager;
  /** Page size (1…500) and whether to ask the broker for statistics. */
  listSettings(): { pageSize: number; stats: boolean };
  filterOf(connectionId: string, vhost: string, kind: FolderKind): NameFilter | undefined;
  /** Re-renders a node (and its children if they were invalidated). */
  changed(node: ExplorerNode): void;
  /** Called with a node whose children failed to load (the auto-refresh retries it). */
  failed(node: ExplorerNode): void;
}

/**
 * Base of every tree node: knows its parent, caches its children (one load at a time), and turns a load
 * failure into an error node instead of a pop-up. Nodes keep only the few fields they show.
 */
export abstract class ExplorerNode {
  private children: Promise<ExplorerNode[]> | undefined;

  constructor(
    readonly ctx: ExplorerContext,
    readonly parent: ExplorerNode | undefined,
  ) {}

  /** Stable id (keeps the expansion state across refreshes). */
  abstract get id(): string;
  abstract getTreeItem(): vscode.TreeItem;

  /** Leaves return undefined. */
  protected loadChildren(): Promise<ExplorerNode[]> | undefined {
    return undefined;
  }

  getChildren(): Promise<ExplorerNode[]> {
    if (!this.children) {
      const p = this.loadChildren();
      if (!p) return Promise.resolve([]);
      this.children = p.catch((e: unknown) => {
        this.ctx.failed(this);
        return [new ErrorNode(this.ctx, this, e)];
      });
    }
    return this.children;
  }

  /** Children already loaded (without loading them). */
  async loadedChildren(): Promise<ExplorerNode[]> {
    return this.children ? this.children : [];
  }

  get hasLoadedChildren(): boolean {
    return this.children !== undefined;
  }

  /** Replaces the cached children (e.g. after loading one more page). */
  protected setChildren(nodes: ExplorerNode[]): void {
    this.children = Promise.resolve(nodes);
  }

  /** Drops cached children so the next getChildren() asks the broker again. */
  invalidate(): void {
    this.children = undefined;
  }

  getParent(): ExplorerNode | undefined {
    return this.parent;
  }
}

/** A load failure shown in the tree, with a retry action (refreshes the parent). */
export class ErrorNode extends ExplorerNode {
  readonly message: string;
  readonly code: string | undefined;
  /** In the UI language (the message is the English detail). */
  readonly headline: string;

  constructor(ctx: ExplorerContext, parent: ExplorerNode, private readonly error: unknown) {
    super(ctx, parent);
    this.message = errorDetail(error);
    this.headline = errorHeadline(error);
    this.code = (error as { code?: unknown })?.code !== undefined ? String((error as { code?: unknown }).code) : undefined;
  }

  get id(): string {
    return `${this.parent?.id ?? ''}\u0000error`;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.headline, vscode.TreeItemCollapsibleState.None);
    item.description = firstSentence(this.message);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
    const tip = new vscode.MarkdownString();
    tip.appendText(describeError(this.error));
    tip.appendMarkdown('\n\n');
    tip.appendText(vscode.l10n.t('Retry with the refresh action; the explorer also retries on its next automatic refresh.'));
    item.tooltip = tip;
    item.contextValue = `error:${this.code ?? 'unknown'}`;
    item.command = { command: Commands.refresh, title: vscode.l10n.t('Retry'), arguments: [this.parent] };
    return item;
  }
}

/** "Load more…": loads the next page of its folder. */
export class LoadMoreNode extends ExplorerNode {
  constructor(ctx: ExplorerContext, parent: ExplorerNode, private readonly loaded: number, private readonly total: number) {
    super(ctx, parent);
  }

  get id(): string {
    return `${this.parent?.id ?? ''}\u0000more`;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(vscode.l10n.t('Load more…'), vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.description = vscode.l10n.t('{0} of {1} shown', this.loaded, this.total);
    item.iconPath = new vscode.ThemeIcon('ellipsis');
    item.contextValue = 'loadMore';
    item.command = { command: Commands.loadMore, title: vscode.l10n.t('Load more…'), arguments: [this.parent] };
    return item;
  }
}

/** A plain line of information (e.g. "No queues", "Not connected"), optionally clickable. */
export class InfoNode extends ExplorerNode {
  constructor(ctx: ExplorerContext, parent: ExplorerNode, readonly label: string, private readonly icon: string, private readonly command?: vscode.Command) {
    super(ctx, parent);
  }

  get id(): string {
    return `${this.parent?.id ?? ''}\u0000info:${this.label}`;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.label, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon(this.icon, new vscode.ThemeColor('descriptionForeground'));
    item.contextValue = 'info';
    if (this.command) item.command = this.command;
    return item;
  }
}

/** A named item listed in a vhost folder (queue, exchange): its scope and id come from the folder. */
export abstract class FolderItemNode<Row extends { name: string }, Folder extends ExplorerNode & VhostScoped> extends ExplorerNode implements VhostScoped {
  private current: Row;

  constructor(
    ctx: ExplorerContext,
    readonly folder: Folder,
    row: Row,
  ) {
    super(ctx, folder);
    this.current = row;
  }

  get row(): Row {
    return this.current;
  }

  /**
   * Takes the newer row of the same queue/exchange: a reload keeps the node object, so VS Code's selection,
   * reveal and expansion keep pointing at what is shown. Its children load again when asked.
   */
  update(row: Row): void {
    this.current = row;
    this.invalidate();
  }

  get connectionId(): string {
    return this.folder.connectionId;
  }

  get vhost(): string {
    return this.folder.vhost;
  }

  get name(): string {
    return this.row.name;
  }

  get id(): string {
    return `${this.folder.id}/${idPart(this.row.name)}`;
  }
}

export function idPart(s: string): string {
  return encodeURIComponent(s);
}

/** Arguments as escaped text lines (never raw Markdown: names and values come from the broker). */
export function appendArguments(tip: vscode.MarkdownString, args: Readonly<Record<string, unknown>> | undefined): void {
  if (!args) return;
  tip.appendMarkdown('\n');
  tip.appendText(vscode.l10n.t('Arguments') + ':');
  tip.appendMarkdown('  \n');
  for (const [k, v] of Object.entries(args)) {
    tip.appendText(`${k} = ${JSON.stringify(v)}`);
    tip.appendMarkdown('  \n');
  }
}

/** Builds a contextValue from tokens: kind first, then flags ("queue:quorum:hasConsumers:writable"). */
export function contextValue(...tokens: (string | false | undefined)[]): string {
  return tokens.filter((t): t is string => typeof t === 'string' && t !== '').join(':');
}

function firstSentence(text: string): string {
  const i = text.indexOf('. ');
  const s = i > 0 ? text.slice(0, i + 1) : text;
  return s.length > 160 ? `${s.slice(0, 157)}…` : s;
}
