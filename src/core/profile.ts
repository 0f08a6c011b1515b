import { invalidInput } from './errors';

/**
 * A connection profile: everything needed to reach one broker, except the password (which lives in the
 * editor's SecretStorage and is passed in separately as `Credentials`).
 */
export interface ConnectionProfile {
  /** Stable id (used as the SecretStorage key and in tree ids). */
  id: string;
  /** Display name. */
  name: string;
  /** amqp:// or amqps:// URL **without** password, e.g. amqp://guest@localhost:5672/%2F */
  amqpUrl: string;
  /** http(s):// base URL of the management API; defaults to the AMQP host on 15672 (15671 for amqps). */
  managementUrl?: string;
  tls?: TlsOptions;
  /** When true, every mutating operation is refused. */
  readOnly?: boolean;
}

export interface TlsOptions {
  /** Path to a PEM CA bundle. */
  caFile?: string;
  /** Skip certificate verification. UNSAFE: shown as such in the UI. */
  insecureSkipVerify?: boolean;
}

export interface Credentials {
  username: string;
  password: string;
}

/** A profile with its URL taken apart and validated. */
export interface ResolvedProfile {
  profile: ConnectionProfile;
  amqp: { protocol: 'amqp' | 'amqps'; hostname: string; port: number; vhost: string; username: string };
  management: { baseUrl: string; protocol: 'http' | 'https'; hostname: string; port: number };
}

/** Validates a profile; throws RabbitError(INVALID_INPUT) naming the field at fault. */
export function resolveProfile(profile: ConnectionProfile): ResolvedProfile {
  if (!profile.name || !profile.name.trim()) throw invalidInput('name', 'is empty', 'Give the connection a name.');
  let url: URL;
  try {
    url = new URL(profile.amqpUrl);
  } catch {
    throw invalidInput('amqpUrl', `"${redactUrl(profile.amqpUrl)}" is not a valid URL`, 'Use the form amqp://user@host:5672/vhost.');
  }
  const protocol = url.protocol.replace(/:$/, '');
  if (protocol !== 'amqp' && protocol !== 'amqps') {
    throw invalidInput('amqpUrl', `scheme "${protocol}:" is not supported`, 'Use amqp:// or amqps://.');
  }
  if (!url.hostname) throw invalidInput('amqpUrl', 'has no host', 'Use the form amqp://user@host:5672/vhost.');
  const port = url.port ? Number(url.port) : protocol === 'amqps' ? 5671 : 5672;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalidInput('amqpUrl', `port ${url.port} is out of range`);
  if (url.search) throw invalidInput('amqpUrl', 'query parameters are not supported here', 'Remove the "?…" part; TLS options are separate fields.');
  // Path: "" or "/" means the default vhost "/"; "/%2F" is "/"; "/name" is "name".
  const rawPath = url.pathname.replace(/^\//, '');
  if (rawPath.includes('/')) throw invalidInput('amqpUrl', 'the vhost part contains an unescaped "/"', 'Write a vhost "/" as %2F.');
  let vhost: string;
  try {
    vhost = rawPath === '' ? '/' : decodeURIComponent(rawPath);
  } catch {
    throw invalidInput('amqpUrl', 'the vhost is not valid percent-encoding');
  }
  const username = url.username ? decodeURIComponent(url.username) : 'guest';

  const mgmt = resolveManagementUrl(profile.managementUrl, url.hostname, protocol);
  if (profile.tls?.caFile !== undefined && !profile.tls.caFile.trim()) throw invalidInput('tls.caFile', 'is empty');
  return {
    profile,
    amqp: { protocol, hostname: url.hostname, port, vhost, username },
    management: mgmt,
  };
}

/** The management URL used when a profile has none: the AMQP host on 15672 (http), or 15671 (https) for amqps. */
export function defaultManagementUrl(amqpHost: string, amqpProtocol: string): string {
  const host = amqpHost.includes(':') && !amqpHost.startsWith('[') ? `[${amqpHost}]` : amqpHost;
  return amqpProtocol === 'amqps' ? `https://${host}:15671` : `http://${host}:15672`;
}

function resolveManagementUrl(input: string | undefined, amqpHost: string, amqpProtocol: string): ResolvedProfile['management'] {
  const text = input && input.trim() ? input.trim() : defaultManagementUrl(amqpHost, amqpProtocol);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidInput('managementUrl', `"${redactUrl(text)}" is not a valid URL`, 'Use the form http://host:15672.');
  }
  const protocol = url.protocol.replace(/:$/, '');
  if (protocol !== 'http' && protocol !== 'https') throw invalidInput('managementUrl', `scheme "${protocol}:" is not supported`, 'Use http:// or https://.');
  if (url.password) throw invalidInput('managementUrl', 'must not contain a password', 'Passwords are kept in the editor\'s secret storage.');
  const port = url.port ? Number(url.port) : protocol === 'https' ? 443 : 80;
  const baseUrl = `${protocol}://${url.host}${url.pathname.replace(/\/+$/, '')}`;
  return { baseUrl, protocol, hostname: url.hostname, port };
}

/** A display form that never contains the password. */
export function displayProfile(profile: ConnectionProfile): string {
  return `${profile.name} (${redactUrl(profile.amqpUrl)})`;
}

/** Removes any password from a URL-ish string, even a malformed one. */
export function redactUrl(text: string): string {
  // Userinfo runs to the LAST "@" before the path: passwords may contain unescaped "@" or "/".
  const m = /^([a-z][a-z0-9+.-]*:\/\/)(.*)$/is.exec(text);
  if (!m) return text;
  const [, scheme, rest] = m;
  const at = rest.lastIndexOf('@');
  if (at < 0) return text;
  const userinfo = rest.slice(0, at);
  const colon = userinfo.indexOf(':');
  if (colon < 0 && !userinfo.includes('/')) return text;
  const user = colon < 0 ? '' : userinfo.slice(0, colon);
  return `${scheme}${user}@${rest.slice(at + 1)}`;
}

/** The AMQP URL with the password put in, for amqplib only: never log or show it. */
export function amqpConnectUrl(resolved: ResolvedProfile, credentials: Credentials): string {
  const { protocol, hostname, port, vhost } = resolved.amqp;
  const host = hostname.includes(':') && !hostname.startsWith('[') ? `[${hostname}]` : hostname;
  return `${protocol}://${encodeURIComponent(credentials.username)}:${encodeURIComponent(credentials.password)}@${host}:${port}/${encodeURIComponent(vhost)}`;
}

/**
 * What a form should store as the management URL: nothing when the typed URL is the default for this AMQP URL
 * (so a later switch from amqp to amqps moves management to https as well), else the typed URL.
 */
export function managementUrlToStore(amqpUrl: string, typed: string | undefined): string | undefined {
  const text = typed?.trim();
  if (!text) return undefined;
  let url: URL;
  try {
    url = new URL(amqpUrl.trim());
  } catch {
    return text;
  }
  const protocol = url.protocol.replace(/:$/, '');
  const defaults = resolveManagementUrl(undefined, url.hostname, protocol);
  try {
    const typedResolved = resolveManagementUrl(text, url.hostname, protocol);
    return typedResolved.baseUrl === defaults.baseUrl && typedResolved.port === defaults.port ? undefined : text;
  } catch {
    return text;
  }
}

// ---------------------------------------------------------------------------------------------- credentials

/**
 * Where a saved password goes: the AMQP endpoint (scheme, host, port, user), the management endpoint (scheme,
 * host, port) and whether TLS certificates are verified. A password is bound to the target it was saved for;
 * when a profile's target changes (a shared settings file now names another host, or turns verification
 * off), the password must not be sent before the user agrees.
 */
export interface CredentialTarget {
  id: string;
  amqp: { scheme: 'amqp' | 'amqps'; host: string; port: number; user: string };
  management: { scheme: 'http' | 'https'; host: string; port: number };
  /** False when amqps skips certificate verification. Plain amqp:// counts as verified (nothing to verify). */
  tlsVerify: boolean;
}

export function credentialTarget(resolved: ResolvedProfile): CredentialTarget {
  const a = resolved.amqp;
  const m = resolved.management;
  return {
    id: resolved.profile.id,
    amqp: { scheme: a.protocol, host: a.hostname.toLowerCase(), port: a.port, user: a.username },
    management: { scheme: m.protocol, host: m.hostname.toLowerCase(), port: m.port },
    tlsVerify: !(resolved.profile.tls?.insecureSkipVerify === true && (a.protocol === 'amqps' || m.protocol === 'https')),
  };
}

export function sameCredentialTarget(a: CredentialTarget, b: CredentialTarget): boolean {
  return (
    a.id === b.id &&
    a.amqp.scheme === b.amqp.scheme &&
    a.amqp.host === b.amqp.host &&
    a.amqp.port === b.amqp.port &&
    a.amqp.user === b.amqp.user &&
    a.management.scheme === b.management.scheme &&
    a.management.host === b.management.host &&
    a.management.port === b.management.port &&
    a.tlsVerify === b.tlsVerify
  );
}

function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** e.g. "amqps://alice@mq.example.com:5671, management https://mq.example.com:15671". No password. */
export function describeCredentialTarget(t: CredentialTarget): string {
  return `${t.amqp.scheme}://${encodeURIComponent(t.amqp.user)}@${hostPort(t.amqp.host, t.amqp.port)}, management ${t.management.scheme}://${hostPort(t.management.host, t.management.port)}`;
}

/** The parts of the target that differ, by name ("AMQP host", "management port", "TLS verification" …). */
export function credentialTargetChanges(saved: CredentialTarget, now: CredentialTarget): string[] {
  const out: string[] = [];
  if (saved.amqp.scheme !== now.amqp.scheme) out.push('AMQP scheme');
  if (saved.amqp.host !== now.amqp.host) out.push('AMQP host');
  if (saved.amqp.port !== now.amqp.port) out.push('AMQP port');
  if (saved.amqp.user !== now.amqp.user) out.push('user');
  if (saved.management.scheme !== now.management.scheme) out.push('management scheme');
  if (saved.management.host !== now.management.host) out.push('management host');
  if (saved.management.port !== now.management.port) out.push('management port');
  if (saved.tlsVerify !== now.tlsVerify) out.push('TLS verification');
  if (saved.id !== now.id) out.push('connection id');
  return out;
}

/** A password as kept in secret storage, with the target it is bound to (absent for passwords saved before binding). */
export interface StoredSecret {
  password: string;
  target?: CredentialTarget;
}

const SECRET_FORMAT = 'rabbitmq-workbench/secret@1';

/** The secret-storage text of a password bound to a target. */
export function encodeSecret(password: string, target: CredentialTarget): string {
  return JSON.stringify({ format: SECRET_FORMAT, password, target });
}

/** Reads what encodeSecret wrote; any other text is an unbound password saved by an older version. */
export function decodeSecret(text: string): StoredSecret {
  if (text.startsWith('{')) {
    try {
      const v = JSON.parse(text) as { format?: unknown; password?: unknown; target?: unknown };
      if (v && v.format === SECRET_FORMAT && typeof v.password === 'string') {
        return isCredentialTarget(v.target) ? { password: v.password, target: v.target } : { password: v.password };
      }
    } catch {
      // a password that happens to start with "{"
    }
  }
  return { password: text };
}

function isCredentialTarget(v: unknown): v is CredentialTarget {
  const t = v as CredentialTarget | undefined;
  return (
    !!t &&
    typeof t.id === 'string' &&
    !!t.amqp &&
    typeof t.amqp.host === 'string' &&
    typeof t.amqp.port === 'number' &&
    typeof t.amqp.user === 'string' &&
    typeof t.amqp.scheme === 'string' &&
    !!t.management &&
    typeof t.management.host === 'string' &&
    typeof t.management.port === 'number' &&
    typeof t.management.scheme === 'string' &&
    typeof t.tlsVerify === 'boolean'
  );
}

/** localhost, 127.0.0.0/8 and ::1: traffic that never leaves the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h.endsWith('.localhost') || /^127(\.\d{1,3}){3}$/.test(h) || h === '::1' || h === '0:0:0:0:0:0:0:1';
}

/** True when the password would travel unencrypted over http:// to a management API on another machine. */
export function sendsCredentialsInClear(resolved: ResolvedProfile): boolean {
  return resolved.management.protocol === 'http' && !isLoopbackHost(resolved.management.hostname);
}
