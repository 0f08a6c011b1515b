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

function resolveManagementUrl(input: string | undefined, amqpHost: string, amqpProtocol: string): ResolvedProfile['management'] {
  const text = input && input.trim() ? input.trim() : `${amqpProtocol === 'amqps' ? 'https' : 'http'}://${amqpHost.includes(':') && !amqpHost.startsWith('[') ? `[${amqpHost}]` : amqpHost}:${amqpProtocol === 'amqps' ? 15671 : 15672}`;
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
