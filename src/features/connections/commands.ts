import * as vscode from 'vscode';
import { Commands } from '../../platform/commandIds';
import { registerCommand } from '../../platform/registerCommand';
import type { ConnectionManager } from './connectionManager';
import type { StoredProfile } from './connectionStore';
import { invalidInput, RabbitError } from '../../core/errors';
import { ManagementClient } from '../../core/management';
import type { Overview } from '../../core/model';
import { resolveProfile, type ConnectionProfile } from '../../core/profile';
import { logger } from '../../platform/log';
import { ask, cancelled, connectionIdOf, isObject } from '../../platform/pickers';

const log = logger('connections');

/** Args object of rabbitmq.addConnection (skips the UI). */
export interface AddConnectionArgs {
  name: string;
  /** amqp(s)://user@host:port/vhost — no password. */
  amqpUrl: string;
  managementUrl?: string;
  password: string;
  readOnly?: boolean;
  scope?: 'user' | 'workspace';
}

/** Args object of rabbitmq.editConnection: the id plus the fields to change (password: new one). */
export interface EditConnectionArgs extends Partial<Omit<AddConnectionArgs, 'scope'>> {
  id: string;
}

export const LOCALHOST_URL = 'amqp://guest@127.0.0.1:5672/%2F';

/** Args object of rabbitmq.connectLocalhost: a local broker on other ports than RabbitMQ's defaults. */
interface ConnectLocalhostArgs {
  /** AMQP port on 127.0.0.1 (default 5672). */
  port?: number;
  /** Management API URL (default http://127.0.0.1:15672). */
  managementUrl?: string;
}

export function registerConnectionCommands(manager: ConnectionManager): vscode.Disposable[] {
  const store = manager.store;

  /** Tries the management API with these settings; nothing is saved. */
  async function tryConnection(profile: ConnectionProfile, password: string): Promise<Overview> {
    const resolved = resolveProfile(profile);
    const client = new ManagementClient(resolved, { username: resolved.amqp.username, password });
    try {
      return await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Trying {0}…', profile.name) },
        () => client.overview({ timeoutMs: 8000 }),
      );
    } finally {
      client.dispose();
    }
  }

  async function connect(id: string): Promise<Overview> {
    return manager.connect(id);
  }

  async function addConnection(args?: unknown): Promise<StoredProfile> {
    const input = isObject(args) ? readAddArgs(args) : await addConnectionUi();
    const profile: ConnectionProfile = { id: '', name: input.name.trim(), amqpUrl: input.amqpUrl.trim(), ...(input.managementUrl ? { managementUrl: input.managementUrl.trim() } : {}), ...(input.readOnly ? { readOnly: true } : {}) };
    resolveProfile({ ...profile, id: 'new' }); // INVALID_INPUT before anything is sent
    await tryConnection({ ...profile, id: 'new' }, input.password);
    const { id: _drop, ...withoutId } = profile;
    const saved = await store.save(withoutId, input.password, input.scope ?? 'user');
    log.info(`added connection ${saved.name}`);
    await connect(saved.id);
    return saved;
  }

  async function addConnectionUi(): Promise<AddConnectionArgs> {
    const title = vscode.l10n.t('Add RabbitMQ Connection');
    const total = 6;
    const name = await ask({ title, step: 1, totalSteps: total, prompt: vscode.l10n.t('Connection name'), value: 'localhost', validate: (v) => (v.trim() ? undefined : vscode.l10n.t('Enter a name.')) });
    const urlText = await ask({
      title, step: 2, totalSteps: total,
      prompt: vscode.l10n.t('AMQP URL without password (amqp://host:5672/vhost; write the vhost "/" as %2F)'),
      value: 'amqp://127.0.0.1:5672/%2F',
      validate: (v) => validationMessage(() => resolveProfile({ id: 'x', name: 'x', amqpUrl: v.trim() })),
    });
    const defaultMgmt = resolveProfile({ id: 'x', name: 'x', amqpUrl: urlText.trim() }).management.baseUrl;
    const managementUrl = await ask({
      title, step: 3, totalSteps: total,
      prompt: vscode.l10n.t('Management API URL'),
      value: defaultMgmt,
      validate: (v) => validationMessage(() => resolveProfile({ id: 'x', name: 'x', amqpUrl: urlText.trim(), managementUrl: v.trim() })),
    });
    const urlUser = safeUrl(urlText)?.username;
    const username = await ask({ title, step: 4, totalSteps: total, prompt: vscode.l10n.t('User name'), value: urlUser ? decodeURIComponent(urlUser) : 'guest', validate: (v) => (v ? undefined : vscode.l10n.t('Enter a user name.')) });
    const password = await ask({ title, step: 5, totalSteps: total, prompt: vscode.l10n.t('Password (kept in the editor\'s secret storage)'), password: true });
    const access = await vscode.window.showQuickPick(
      [
        { label: vscode.l10n.t('Read-write'), readOnly: false },
        { label: vscode.l10n.t('Read-only'), description: vscode.l10n.t('refuse every change to the broker'), readOnly: true },
      ],
      { title, placeHolder: vscode.l10n.t('Access'), ignoreFocusOut: true },
    );
    if (!access) throw cancelled();
    return { name, amqpUrl: withUser(urlText.trim(), username), managementUrl: managementUrl.trim() === defaultMgmt ? undefined : managementUrl.trim(), password, readOnly: access.readOnly };
  }

  async function editConnection(arg?: unknown): Promise<StoredProfile> {
    const id = await connectionIdOf(manager, arg);
    const current = manager.profile(id);
    let changes: EditConnectionArgs;
    if (isObject(arg) && Object.keys(arg).some((k) => k !== 'id' && k !== 'connectionId')) {
      changes = { ...(arg as Partial<EditConnectionArgs>), id };
      for (const k of ['name', 'amqpUrl', 'managementUrl', 'password'] as const) {
        if (changes[k] !== undefined && typeof changes[k] !== 'string') throw invalidInput(k, 'must be a string');
      }
    } else {
      changes = { id, ...(await editConnectionUi(current)) };
    }
    const next: ConnectionProfile = {
      id,
      name: (changes.name ?? current.name).trim(),
      amqpUrl: (changes.amqpUrl ?? current.amqpUrl).trim(),
      ...(changes.managementUrl !== undefined ? (changes.managementUrl ? { managementUrl: changes.managementUrl } : {}) : current.managementUrl ? { managementUrl: current.managementUrl } : {}),
      ...(current.tls ? { tls: current.tls } : {}),
      ...((changes.readOnly ?? current.readOnly) ? { readOnly: true } : {}),
    };
    resolveProfile(next);
    const password = changes.password ?? (await store.getPassword(id)) ?? '';
    await tryConnection(next, password);
    const wasConnected = manager.statusOf(id).state === 'connected';
    await manager.disconnect(id); // drop clients holding the old settings
    const saved = await store.save(next, changes.password, current.scope);
    if (wasConnected) await connect(id);
    return saved;
  }

  async function editConnectionUi(current: StoredProfile): Promise<Partial<AddConnectionArgs>> {
    const title = vscode.l10n.t('Edit {0}', current.name);
    const total = 5;
    const name = await ask({ title, step: 1, totalSteps: total, prompt: vscode.l10n.t('Connection name'), value: current.name, validate: (v) => (v.trim() ? undefined : vscode.l10n.t('Enter a name.')) });
    const amqpUrl = await ask({
      title, step: 2, totalSteps: total, prompt: vscode.l10n.t('AMQP URL without password'), value: current.amqpUrl,
      validate: (v) => validationMessage(() => resolveProfile({ id: 'x', name: 'x', amqpUrl: v.trim() })),
    });
    const managementUrl = await ask({
      title, step: 3, totalSteps: total, prompt: vscode.l10n.t('Management API URL'),
      value: resolveProfile({ ...current, amqpUrl: amqpUrl.trim() }).management.baseUrl,
      validate: (v) => validationMessage(() => resolveProfile({ id: 'x', name: 'x', amqpUrl: amqpUrl.trim(), managementUrl: v.trim() })),
    });
    const password = await ask({ title, step: 4, totalSteps: total, prompt: vscode.l10n.t('New password (leave empty to keep the saved one)'), password: true });
    const access = await vscode.window.showQuickPick(
      [
        { label: vscode.l10n.t('Read-write'), readOnly: false, picked: !current.readOnly },
        { label: vscode.l10n.t('Read-only'), description: vscode.l10n.t('refuse every change to the broker'), readOnly: true, picked: current.readOnly === true },
      ],
      { title, placeHolder: vscode.l10n.t('Access'), ignoreFocusOut: true },
    );
    if (!access) throw cancelled();
    return { name, amqpUrl: amqpUrl.trim(), managementUrl: managementUrl.trim(), password: password === '' ? undefined : password, readOnly: access.readOnly };
  }

  async function removeConnection(arg?: unknown): Promise<void> {
    const id = await connectionIdOf(manager, arg, vscode.l10n.t('Choose the connection to remove'));
    const profile = manager.profile(id);
    const confirmed = isObject(arg) && arg.confirm === true;
    if (!confirmed) {
      const remove = vscode.l10n.t('Remove');
      const choice = await vscode.window.showWarningMessage(
        vscode.l10n.t('Remove the connection "{0}"? Its saved password is deleted too; the broker is not changed.', profile.name),
        { modal: true },
        remove,
      );
      if (choice !== remove) throw cancelled();
    }
    await manager.disconnect(id);
    await store.remove(id);
  }

  async function connectLocalhost(arg?: unknown): Promise<StoredProfile> {
    const { port, managementUrl } = readLocalhostArgs(arg);
    const existing = store.list().find((p) => isLocalGuest(p, port));
    if (!existing) {
      const amqpUrl = port === 5672 ? LOCALHOST_URL : `amqp://guest@127.0.0.1:${port}/%2F`;
      return addConnection({ name: 'localhost', amqpUrl, ...(managementUrl ? { managementUrl } : {}), password: 'guest' } satisfies AddConnectionArgs);
    }
    if ((await store.getPassword(existing.id)) === undefined) {
      // A pre-seeded localhost definition (e.g. in settings) without a secret: use RabbitMQ's default guest/guest.
      await manager.disconnect(existing.id);
      await store.setPassword(existing.id, 'guest');
    }
    await connect(existing.id);
    return existing;
  }

  return [
    registerCommand(Commands.addConnection, addConnection),
    registerCommand(Commands.editConnection, editConnection),
    registerCommand(Commands.removeConnection, removeConnection),
    registerCommand(Commands.connect, async (arg?: unknown) => connect(await connectionIdOf(manager, arg, vscode.l10n.t('Choose the connection to connect')))),
    registerCommand(Commands.disconnect, async (arg?: unknown) => {
      const id = await connectionIdOf(manager, arg, vscode.l10n.t('Choose the connection to disconnect'));
      await manager.disconnect(id);
    }),
    registerCommand(Commands.connectLocalhost, connectLocalhost),
  ];
}

function readAddArgs(a: Record<string, unknown>): AddConnectionArgs {
  for (const k of ['name', 'amqpUrl'] as const) if (typeof a[k] !== 'string' || !(a[k] as string).trim()) throw invalidInput(k, 'is missing');
  if (typeof a.password !== 'string') throw invalidInput('password', 'is missing', 'Pass the password (it is kept in the editor\'s secret storage only).');
  if (a.managementUrl !== undefined && typeof a.managementUrl !== 'string') throw invalidInput('managementUrl', 'must be a string');
  if (a.scope !== undefined && a.scope !== 'user' && a.scope !== 'workspace') throw invalidInput('scope', `"${String(a.scope)}" is not "user" or "workspace"`);
  const url = safeUrl(a.amqpUrl as string);
  if (url?.password) throw invalidInput('amqpUrl', 'must not contain a password', 'Pass the password separately.');
  return {
    name: a.name as string,
    amqpUrl: a.amqpUrl as string,
    managementUrl: a.managementUrl as string | undefined,
    password: a.password,
    readOnly: a.readOnly === true,
    scope: a.scope as AddConnectionArgs['scope'],
  };
}

/** The palette passes nothing (RabbitMQ's default ports); scripts and tests may name other local ports. */
function readLocalhostArgs(a: unknown): ConnectLocalhostArgs & { port: number } {
  if (!isObject(a)) return { port: 5672 };
  const port = a.port ?? 5672;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) throw invalidInput('port', `"${String(port)}" is not a TCP port`, 'Pass a whole number from 1 to 65535.');
  if (a.managementUrl !== undefined && typeof a.managementUrl !== 'string') throw invalidInput('managementUrl', 'must be a string');
  return { port, ...(a.managementUrl ? { managementUrl: a.managementUrl as string } : {}) };
}

function isLocalGuest(p: StoredProfile, port: number): boolean {
  try {
    const r = resolveProfile(p);
    return (r.amqp.hostname === '127.0.0.1' || r.amqp.hostname === 'localhost') && r.amqp.port === port && r.amqp.username === 'guest' && r.amqp.vhost === '/';
  } catch {
    return false;
  }
}

function withUser(amqpUrl: string, username: string): string {
  const url = safeUrl(amqpUrl);
  if (!url) return amqpUrl;
  url.username = encodeURIComponent(username);
  url.password = '';
  return url.toString();
}

function safeUrl(text: string): URL | undefined {
  try {
    return new URL(text.trim());
  } catch {
    return undefined;
  }
}

function validationMessage(check: () => unknown): string | undefined {
  try {
    check();
    return undefined;
  } catch (e) {
    return e instanceof RabbitError ? e.message : String(e);
  }
}
