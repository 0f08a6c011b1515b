import * as vscode from 'vscode';
import { Disposable } from '../../platform/lifecycle';
import { randomUUID } from 'node:crypto';
import type { ConnectionProfile, CredentialTarget, StoredSecret } from '../../core/profile';
import { credentialTarget, decodeSecret, encodeSecret, resolveProfile } from '../../core/profile';

/**
 * Connection definitions without secrets live in settings (`rabbitmq.connections`, user or workspace) so a team
 * can share them; passwords live only in SecretStorage under `rabbitmq.password.<id>`, each bound to the target
 * (scheme, host, port, user, TLS verification) it was saved for. In an untrusted workspace the workspace's
 * connections are not listed: a shared settings file must not decide where a saved password goes.
 */
export const CONNECTIONS_SETTING = 'connections';
const SECTION = 'rabbitmq';

export interface StoredProfile extends ConnectionProfile {
  /** Where the definition lives. */
  scope: 'user' | 'workspace';
}

export class ConnectionStore extends Disposable {
  private readonly changed = this.register(new vscode.EventEmitter<void>());
  readonly onDidChange = this.changed.event;

  constructor(private readonly secrets: vscode.SecretStorage) {
    super();
    this.register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${SECTION}.${CONNECTIONS_SETTING}`)) this.changed.fire();
      }),
    );
    this.register(vscode.workspace.onDidGrantWorkspaceTrust(() => this.changed.fire()));
  }

  list(): StoredProfile[] {
    const inspected = vscode.workspace.getConfiguration(SECTION).inspect<ConnectionProfile[]>(CONNECTIONS_SETTING);
    const out: StoredProfile[] = [];
    const seen = new Set<string>();
    const add = (items: ConnectionProfile[] | undefined, scope: StoredProfile['scope']) => {
      for (const p of items ?? []) {
        if (!p || typeof p !== 'object' || typeof p.id !== 'string' || seen.has(p.id)) continue;
        seen.add(p.id);
        out.push({ ...sanitize(p), scope });
      }
    };
    if (vscode.workspace.isTrusted) {
      add(inspected?.workspaceFolderValue, 'workspace');
      add(inspected?.workspaceValue, 'workspace');
    }
    add(inspected?.globalValue, 'user');
    return out;
  }

  get(id: string): StoredProfile | undefined {
    return this.list().find((p) => p.id === id);
  }

  /** Validates, then saves the definition (no secret) and the password (SecretStorage only). */
  async save(profile: Omit<ConnectionProfile, 'id'> & { id?: string }, password: string | undefined, scope: StoredProfile['scope'] = 'user'): Promise<StoredProfile> {
    const full: ConnectionProfile = sanitize({ ...profile, id: profile.id ?? randomUUID() });
    resolveProfile(full); // throws INVALID_INPUT naming the field
    const target = scope === 'workspace' ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    const config = vscode.workspace.getConfiguration(SECTION);
    const inspected = config.inspect<ConnectionProfile[]>(CONNECTIONS_SETTING);
    const current = (scope === 'workspace' ? inspected?.workspaceValue : inspected?.globalValue) ?? [];
    const next = current.filter((p) => p.id !== full.id).concat(full);
    if (password !== undefined) await this.secrets.store(secretKey(full.id), encodeSecret(password, credentialTarget(resolveProfile(full))));
    await config.update(CONNECTIONS_SETTING, next, target);
    this.changed.fire();
    return { ...full, scope };
  }

  async remove(id: string): Promise<void> {
    const config = vscode.workspace.getConfiguration(SECTION);
    const inspected = config.inspect<ConnectionProfile[]>(CONNECTIONS_SETTING);
    for (const [value, target] of [
      [inspected?.globalValue, vscode.ConfigurationTarget.Global],
      [inspected?.workspaceValue, vscode.ConfigurationTarget.Workspace],
    ] as const) {
      if (value?.some((p) => p.id === id)) await config.update(CONNECTIONS_SETTING, value.filter((p) => p.id !== id), target);
    }
    await this.secrets.delete(secretKey(id));
    this.changed.fire();
  }

  /** The saved password (whatever target it is bound to). */
  async getPassword(id: string): Promise<string | undefined> {
    return (await this.getSecret(id))?.password;
  }

  /** The saved password with the target it is bound to (none for a password saved before binding existed). */
  async getSecret(id: string): Promise<StoredSecret | undefined> {
    const text = await this.secrets.get(secretKey(id));
    return text === undefined ? undefined : decodeSecret(text);
  }

  /** Saves a password bound to a target: it is sent only while the connection's target stays the same. */
  async setPassword(id: string, password: string, target: CredentialTarget): Promise<void> {
    await this.secrets.store(secretKey(id), encodeSecret(password, target));
  }
}

function secretKey(id: string): string {
  return `rabbitmq.password.${id}`;
}

/** Keeps only known fields and strips any password that slipped into a URL. */
function sanitize(p: ConnectionProfile): ConnectionProfile {
  const stripPassword = (u: string | undefined) => {
    if (!u) return u;
    try {
      const url = new URL(u);
      if (!url.password) return u;
      url.password = '';
      return url.toString();
    } catch {
      return u;
    }
  };
  const out: ConnectionProfile = { id: p.id, name: p.name, amqpUrl: stripPassword(p.amqpUrl) ?? '' };
  const mgmt = stripPassword(p.managementUrl);
  if (mgmt) out.managementUrl = mgmt;
  if (p.tls && (p.tls.caFile || p.tls.insecureSkipVerify)) out.tls = { ...(p.tls.caFile ? { caFile: p.tls.caFile } : {}), ...(p.tls.insecureSkipVerify ? { insecureSkipVerify: true } : {}) };
  if (p.readOnly) out.readOnly = true;
  return out;
}
