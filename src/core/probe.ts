/**
 * Tries a connection profile before it is saved: the management API (GET /api/overview) and AMQP (open a
 * connection, then close it) at the same time, so a broker whose AMQP port is closed, or whose management
 * plugin is off, is found when the user adds it rather than on first use. Nothing on the broker is changed.
 */
import { RabbitError, isRabbitError } from './errors';
import { ManagementClient } from './management';
import type { Overview } from './model';
import type { Credentials, ResolvedProfile } from './profile';
import { AmqpSession } from './session';

export type ProbePart = 'amqp' | 'management';

export interface ProbePartResult {
  part: ProbePart;
  /** The URL tried (no password). */
  url: string;
  ok: boolean;
  error?: RabbitError;
}

export interface ProbeResult {
  ok: boolean;
  amqp: ProbePartResult & { serverVersion?: string };
  management: ProbePartResult & { overview?: Overview };
  /** The parts that failed, AMQP first. */
  failures: ProbePartResult[];
}

export interface ProbeOptions {
  /** Per part; default 8000 ms. */
  timeoutMs?: number;
}

function asRabbitError(e: unknown, part: ProbePart): RabbitError {
  if (isRabbitError(e)) return e;
  return new RabbitError(part === 'amqp' ? 'UNREACHABLE' : 'MANAGEMENT_UNAVAILABLE', e instanceof Error ? e.message : String(e), { cause: e });
}

/** Tries both endpoints; never throws for a broker-side failure (they are in the result). */
export async function probeConnection(resolved: ResolvedProfile, credentials: Credentials, opts: ProbeOptions = {}): Promise<ProbeResult> {
  const timeoutMs = opts.timeoutMs ?? 8000;
  const a = resolved.amqp;
  const amqpUrl = `${a.protocol}://${encodeURIComponent(credentials.username)}@${a.hostname.includes(':') ? `[${a.hostname}]` : a.hostname}:${a.port}/${encodeURIComponent(a.vhost)}`;
  const amqpPart = async (): Promise<ProbeResult['amqp']> => {
    let session: AmqpSession | undefined;
    try {
      session = new AmqpSession(resolved, credentials, { reconnect: false, connectTimeoutMs: timeoutMs, heartbeatSeconds: 0, connectionName: 'RabbitMQ Workbench (connection test)' });
      await session.connect();
      return { part: 'amqp', url: amqpUrl, ok: true, serverVersion: session.serverInfo?.version };
    } catch (e) {
      return { part: 'amqp', url: amqpUrl, ok: false, error: asRabbitError(e, 'amqp') };
    } finally {
      await session?.close().catch(() => undefined);
    }
  };
  const managementPart = async (): Promise<ProbeResult['management']> => {
    let client: ManagementClient | undefined;
    try {
      client = new ManagementClient(resolved, credentials);
      const overview = await client.overview({ timeoutMs });
      return { part: 'management', url: resolved.management.baseUrl, ok: true, overview };
    } catch (e) {
      return { part: 'management', url: resolved.management.baseUrl, ok: false, error: asRabbitError(e, 'management') };
    } finally {
      client?.dispose();
    }
  };
  const [amqp, management] = await Promise.all([amqpPart(), managementPart()]);
  const failures = [amqp, management].filter((p) => !p.ok);
  return { ok: failures.length === 0, amqp, management, failures };
}
