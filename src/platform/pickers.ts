import * as vscode from 'vscode';
import { invalidInput, RabbitError } from '../core/errors';

/**
 * Argument pickers shared by every command. A command gets a tree node (menus), an args object (tests, other
 * commands, webviews: always a plain object) or nothing (palette: then it asks).
 */

/** The two folders of a vhost in the explorer. */
export type FolderKind = 'queues' | 'exchanges';

/** Something that lives under a connection and vhost (tree nodes, args objects). */
export interface VhostScoped {
  readonly connectionId: string;
  readonly vhost: string;
}

/** What the pickers need from the connection manager. */
export interface PickerConnections {
  profile(id: string): unknown;
  readonly store: { list(): readonly { id: string; name: string }[] };
  readonly activeProfileId: string | undefined;
  statusOf(id: string): { state: string };
  management(id: string): Promise<{ listVhosts(): Promise<readonly { name: string }[]> }>;
}
type ConnectionManager = PickerConnections;

/** A user closed a prompt: the command wrapper stays silent on this. */
export function cancelled(): RabbitError {
  return new RabbitError('CANCELLED', 'Cancelled.');
}

/** An args object: a plain object (tree nodes are class instances). The command wrapper uses the same test. */
export function isObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A tree node (any non-plain object) with the connection and vhost it lives under. */
export function isNode(v: unknown): v is object {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !isObject(v);
}

export function isVhostScoped(v: unknown): v is VhostScoped {
  return isNode(v) && typeof (v as Partial<VhostScoped>).connectionId === 'string' && typeof (v as Partial<VhostScoped>).vhost === 'string';
}

/** A connection id from a node, an args object ({ id } or { connectionId }), or a quick pick. */
export async function connectionIdOf(manager: ConnectionManager, arg: unknown, placeHolder?: string): Promise<string> {
  if (isNode(arg)) {
    const id = (arg as { connectionId?: unknown }).connectionId;
    if (typeof id === 'string') return id;
  }
  if (isObject(arg)) {
    const id = arg.connectionId ?? arg.id;
    if (typeof id !== 'string' || id === '') throw invalidInput('connectionId', 'is missing', 'Pass { connectionId } (or { id }) of a saved connection.');
    manager.profile(id); // NOT_FOUND when unknown
    return id;
  }
  const profiles = manager.store.list();
  if (profiles.length === 0) {
    throw new RabbitError('NOT_FOUND', vscode.l10n.t('There is no saved connection.'), { hint: vscode.l10n.t('Add one with "RabbitMQ: Add Connection".') });
  }
  const active = manager.activeProfileId;
  if (profiles.length === 1) return profiles[0].id;
  const picked = await vscode.window.showQuickPick(
    profiles.map((p) => ({ label: p.name, description: manager.statusOf(p.id).state, id: p.id, picked: p.id === active })),
    { placeHolder: placeHolder ?? vscode.l10n.t('Choose a connection') },
  );
  if (!picked) throw cancelled();
  return picked.id;
}

/** Connection and vhost from a node, an args object ({ connectionId, vhost }), or quick picks. */
export async function vhostScopeOf(manager: ConnectionManager, arg: unknown): Promise<{ connectionId: string; vhost: string }> {
  if (isVhostScoped(arg)) return { connectionId: arg.connectionId, vhost: arg.vhost };
  const connectionId = await connectionIdOf(manager, arg);
  if (isObject(arg)) {
    if (typeof arg.vhost !== 'string' || arg.vhost === '') throw invalidInput('vhost', 'is missing', 'Pass { connectionId, vhost }.');
    return { connectionId, vhost: arg.vhost };
  }
  const client = await manager.management(connectionId);
  const vhosts = await client.listVhosts();
  const picked = vhosts.length === 1 ? vhosts[0].name : (await vscode.window.showQuickPick(vhosts.map((v) => v.name), { placeHolder: vscode.l10n.t('Choose a vhost') }));
  if (!picked) throw cancelled();
  return { connectionId, vhost: picked };
}

/** A name from the args object (field `name`), a node's name, or an input box. */
export async function nameOf(arg: unknown, prompt: string, field = 'name'): Promise<string> {
  if (isNode(arg) && typeof (arg as { name?: unknown }).name === 'string') return (arg as unknown as { name: string }).name;
  if (isObject(arg)) {
    const v = arg[field];
    if (typeof v !== 'string') throw invalidInput(field, 'is missing');
    return v;
  }
  const v = await vscode.window.showInputBox({ prompt, validateInput: (t) => (t.trim() === '' ? vscode.l10n.t('Enter a name.') : undefined) });
  if (v === undefined) throw cancelled();
  return v;
}

/** The folder kind a node or args object is about (undefined = both). */
export function kindOf(arg: unknown): FolderKind | undefined {
  if (isNode(arg)) {
    const k = (arg as { kind?: unknown }).kind;
    return k === 'queues' || k === 'exchanges' ? k : undefined;
  }
  if (isObject(arg) && arg.kind !== undefined) {
    if (arg.kind !== 'queues' && arg.kind !== 'exchanges') throw invalidInput('kind', `"${String(arg.kind)}" is not "queues" or "exchanges"`);
    return arg.kind;
  }
  return undefined;
}

/** A multi-step input box; resolves undefined when closed. */
export function ask(opts: {
  title: string;
  step: number;
  totalSteps: number;
  prompt: string;
  value?: string;
  placeholder?: string;
  password?: boolean;
  validate?: (v: string) => string | undefined;
}): Promise<string> {
  return new Promise((resolve, reject) => {
    const box = vscode.window.createInputBox();
    box.title = opts.title;
    box.step = opts.step;
    box.totalSteps = opts.totalSteps;
    box.prompt = opts.prompt;
    box.value = opts.value ?? '';
    box.placeholder = opts.placeholder;
    box.password = opts.password === true;
    box.ignoreFocusOut = true;
    let done = false;
    const validate = () => {
      box.validationMessage = opts.validate?.(box.value);
      return box.validationMessage === undefined;
    };
    box.onDidChangeValue(() => validate());
    box.onDidAccept(() => {
      if (!validate()) return;
      done = true;
      resolve(box.value);
      box.hide();
    });
    box.onDidHide(() => {
      box.dispose();
      if (!done) reject(cancelled());
    });
    box.show();
  });
}
