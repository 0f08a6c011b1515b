import * as vscode from 'vscode';
import { Commands } from '../../platform/commandIds';
import { registerCommand } from '../../platform/registerCommand';
import type { ConnectionManager } from './connectionManager';
import type { StoredProfile } from './connectionStore';
import { invalidInput, isRabbitError, RabbitError } from '../../core/errors';
import type { Overview } from '../../core/model';
import { probeConnection, type ProbePartResult, type ProbeResult } from '../../core/probe';
import {
  credentialTarget,
  describeCredentialTarget,
  managementUrlToStore,
  resolveProfile,
  sendsCredentialsInClear,
  type ConnectionProfile,
  type ResolvedProfile,
} from '../../core/profile';
import { logger } from '../../platform/log';
import { ask, cancelled, connectionIdOf, isObject } from '../../platform/pickers';
import { describeError } from '../../platform/errors';

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
  /**
   * Save even when AMQP or the management API cannot be reached (a broker that is down now). Without it a
   * failed try refuses to save, naming the part that failed.
   */
  saveAnyway?: boolean;
}

/** Args object of rabbitmq.editConnection: the id plus the fields to change (password: new one). */
export interface EditConnectionArgs extends Partial<Omit<AddConnectionArgs, 'scope'>> {
  id: string;
}

/** Args object of rabbitmq.connect. */
interface ConnectArgs {
  id?: string;
  connectionId?: string;
  /**
   * Send the saved password although the connection's target (scheme, host, port, user, TLS verification) is
   * no longer the one it was saved for. Without it such a connect is refused and nothing is sent.
   */
  confirmNewTarget?: boolean;
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

  /**
   * Tries AMQP and the management API with these settings (nothing is saved). Returns true when both answered;
   * on a failure an args caller gets an error naming the part unless it passed saveAnyway, and a user is asked.
   */
  async function tryConnection(resolved: ResolvedProfile, password: string, viaArgs: boolean, saveAnyway: boolean): Promise<boolean> {
    const probe = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Trying {0}…', resolved.profile.name) },
      () => probeConnection(resolved, { username: resolved.amqp.username, password }),
    );
    if (probe.ok) return true;
    const text = describeProbe(probe);
    log.warn(`trying ${resolved.profile.name}: ${text}`);
    if (viaArgs) {
      if (saveAnyway) return false;
      const first = probe.failures[0].error;
      throw new RabbitError(first?.code ?? 'UNREACHABLE', vscode.l10n.t('{0} Nothing was saved.', text), {
        hint: vscode.l10n.t('Fix the settings, or pass saveAnyway: true to save the connection for a broker that is down now.'),
        ...(first?.replyCode !== undefined ? { replyCode: first.replyCode } : {}),
        ...(first?.httpStatus !== undefined ? { httpStatus: first.httpStatus } : {}),
        cause: first,
      });
    }
    const save = vscode.l10n.t('Save Anyway');
    const choice = await vscode.window.showWarningMessage(vscode.l10n.t('Could not reach "{0}".', resolved.profile.name), { modal: true, detail: text }, save);
    if (choice !== save) throw cancelled();
    return false;
  }

  /** Passwords over plain http:// to another machine: a user is asked first, a script is warned. */
  async function checkClearText(resolved: ResolvedProfile, viaArgs: boolean): Promise<void> {
    if (!sendsCredentialsInClear(resolved)) return;
    const text = vscode.l10n.t('The password of "{0}" would go unencrypted (http://) to the management API on {1}, another machine. Use https:// to protect it.', resolved.profile.name, resolved.management.hostname);
    log.warn(text);
    if (viaArgs) {
      void vscode.window.showWarningMessage(text);
      return;
    }
    const go = vscode.l10n.t('Continue');
    if ((await vscode.window.showWarningMessage(text, { modal: true }, go)) !== go) throw cancelled();
  }

  async function connect(id: string, arg?: unknown): Promise<Overview> {
    const confirmNewTarget = isObject(arg) && (arg as ConnectArgs).confirmNewTarget === true;
    if (isObject(arg) && arg.confirmNewTarget !== undefined && typeof arg.confirmNewTarget !== 'boolean') throw invalidInput('confirmNewTarget', 'must be true or false');
    try {
      return await manager.connect(id, { confirmNewTarget });
    } catch (e) {
      // A script gets the refusal; a user is asked.
      if (!isRabbitError(e, 'TARGET_CHANGED') || isObject(arg)) throw e;
      const send = vscode.l10n.t('Send Password');
      const enter = vscode.l10n.t('Enter Password');
      const choice = await vscode.window.showWarningMessage(
        vscode.l10n.t('Send the saved password of "{0}" to its new target?', manager.profile(id).name),
        { modal: true, detail: e.message },
        send,
        enter,
      );
      if (choice === send) return manager.connect(id, { confirmNewTarget: true });
      if (choice !== enter) throw cancelled();
      const now = credentialTarget(manager.resolved(id));
      const password = await ask({ title: manager.profile(id).name, step: 1, totalSteps: 1, prompt: vscode.l10n.t('Password for {0}', describeCredentialTarget(now)), password: true });
      await store.setPassword(id, password, now);
      return manager.connect(id);
    }
  }

  async function addConnection(args?: unknown): Promise<StoredProfile> {
    const viaArgs = isObject(args);
    const input = viaArgs ? readAddArgs(args) : await addConnectionUi();
    const amqpUrl = input.amqpUrl.trim();
    const managementUrl = managementUrlToStore(amqpUrl, input.managementUrl);
    const profile: ConnectionProfile = { id: '', name: input.name.trim(), amqpUrl, ...(managementUrl ? { managementUrl } : {}), ...(input.readOnly ? { readOnly: true } : {}) };
    const resolved = resolveProfile({ ...profile, id: 'new' }); // INVALID_INPUT before anything is sent
    await checkClearText(resolved, viaArgs);
    const reached = await tryConnection(resolved, input.password, viaArgs, input.saveAnyway === true);
    const { id: _drop, ...withoutId } = profile;
    const saved = await store.save(withoutId, input.password, input.scope ?? 'user');
    log.info(`added connection ${saved.name}${reached ? '' : ' (saved anyway: not reachable now)'}`);
    if (reached) await connect(saved.id);
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
    const amqpUrl = withUser(urlText.trim(), username);
    return { name, amqpUrl, managementUrl: managementUrlToStore(amqpUrl, managementUrl), password, readOnly: access.readOnly };
  }

  async function editConnection(arg?: unknown): Promise<StoredProfile> {
    const id = await connectionIdOf(manager, arg);
    const current = manager.profile(id);
    let changes: EditConnectionArgs;
    const viaArgs = isObject(arg) && Object.keys(arg).some((k) => k !== 'id' && k !== 'connectionId');
    if (viaArgs) {
      changes = { ...(arg as Partial<EditConnectionArgs>), id };
      for (const k of ['name', 'amqpUrl', 'managementUrl', 'password'] as const) {
        if (changes[k] !== undefined && typeof changes[k] !== 'string') throw invalidInput(k, 'must be a string');
      }
    } else {
      changes = { id, ...(await editConnectionUi(current)) };
    }
    const amqpUrl = (changes.amqpUrl ?? current.amqpUrl).trim();
    // A management URL equal to the default of the AMQP URL is not stored, so amqp → amqps moves it to https.
    const managementUrl = managementUrlToStore(amqpUrl, changes.managementUrl !== undefined ? changes.managementUrl : current.managementUrl);
    const next: ConnectionProfile = {
      id,
      name: (changes.name ?? current.name).trim(),
      amqpUrl,
      ...(managementUrl ? { managementUrl } : {}),
      ...(current.tls ? { tls: current.tls } : {}),
      ...((changes.readOnly ?? current.readOnly) ? { readOnly: true } : {}),
    };
    const resolved = resolveProfile(next);
    // Editing is the user's own choice of target: the kept password goes there and is bound to it.
    const password = changes.password ?? (await store.getPassword(id)) ?? '';
    await checkClearText(resolved, viaArgs);
    const reached = await tryConnection(resolved, password, viaArgs, changes.saveAnyway === true);
    const wasConnected = manager.statusOf(id).state === 'connected';
    await manager.disconnect(id); // drop clients holding the old settings
    const saved = await store.save(next, changes.password, current.scope);
    if (changes.password === undefined && (await store.getSecret(id)) !== undefined) await store.setPassword(id, password, credentialTarget(resolved));
    if (wasConnected && reached) await connect(id);
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
    return { name, amqpUrl: amqpUrl.trim(), managementUrl: managementUrlToStore(amqpUrl, managementUrl) ?? '', password: password === '' ? undefined : password, readOnly: access.readOnly };
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
      await store.setPassword(existing.id, 'guest', credentialTarget(resolveProfile(existing)));
    }
    await connect(existing.id);
    return existing;
  }

  return [
    registerCommand(Commands.addConnection, addConnection),
    registerCommand(Commands.editConnection, editConnection),
    registerCommand(Commands.removeConnection, removeConnection),
    registerCommand(Commands.connect, async (arg?: unknown) => connect(await connectionIdOf(manager, arg, vscode.l10n.t('Choose the connection to connect')), arg)),
    registerCommand(Commands.retryNow, async (arg?: unknown) => manager.retryNow(await connectionIdOf(manager, arg, vscode.l10n.t('Choose the connection to reconnect')))),
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
  if (a.saveAnyway !== undefined && typeof a.saveAnyway !== 'boolean') throw invalidInput('saveAnyway', 'must be true or false');
  const url = safeUrl(a.amqpUrl as string);
  if (url?.password) throw invalidInput('amqpUrl', 'must not contain a password', 'Pass the password separately.');
  return {
    name: a.name as string,
    amqpUrl: a.amqpUrl as string,
    managementUrl: a.managementUrl as string | undefined,
    password: a.password,
    readOnly: a.readOnly === true,
    scope: a.scope as AddConnectionArgs['scope'],
    saveAnyway: a.saveAnyway === true,
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

/** Which part answered and which failed, e.g. "AMQP (amqp://guest@host:5672/%2F) failed: … Management API: OK." */
function describeProbe(probe: ProbeResult): string {
  const line = (p: ProbePartResult, label: string) =>
    p.ok ? vscode.l10n.t('{0} ({1}): OK.', label, p.url) : vscode.l10n.t('{0} ({1}) failed: {2}', label, p.url, p.error ? describeError(p.error) : '');
  return `${line(probe.amqp, 'AMQP')} ${line(probe.management, vscode.l10n.t('Management API'))}`;
}
