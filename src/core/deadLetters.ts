/**
 * Where dead letters go: which queues are dead-letter targets of other queues (a `x-dead-letter-exchange`
 * argument or a policy's `dead-letter-exchange`), and a server-side move with a dynamic shovel.
 * No 'vscode' import.
 *
 * Target rules (as the broker applies them): the queue argument wins over the policy; with the default
 * exchange as dead-letter exchange the target is the queue named by the dead-letter routing key; with another
 * exchange the target is what that exchange routes the dead-letter routing key to, or, without one, every queue
 * bound to it (messages keep their own routing keys, which cannot be known ahead).
 */
import { randomBytes } from 'node:crypto';
import { applicablePolicy } from './deliveryLimit';
import { invalidInput, RabbitError } from './errors';
import type { ManagementClient } from './management';
import type { BindingInfo, PolicyInfo, QueueInfo } from './model';
import { loadTopology } from './topology';
import { RoutingIndex, type TopologySnapshot } from './routing';
import type { AmqpSession } from './session';

/** How a queue dead-letters. */
export interface DeadLetterConfig {
  exchange: string;
  routingKey?: string;
  via: 'argument' | 'policy';
  policy?: string;
}

export interface DeadLetterSourceRef extends DeadLetterConfig {
  /** The queue whose dead letters go to the target. */
  queue: string;
}

export interface DeadLetterTarget {
  queue: string;
  /** The queues that dead-letter into it. */
  sources: DeadLetterSourceRef[];
}

/** The dead-letter settings the broker applies to a queue (undefined: it drops dead letters). */
export function deadLetterConfig(q: Pick<QueueInfo, 'name' | 'type' | 'arguments' | 'policy'>, policies: readonly PolicyInfo[]): DeadLetterConfig | undefined {
  const argX = q.arguments['x-dead-letter-exchange'];
  const argK = q.arguments['x-dead-letter-routing-key'];
  const policy = applicablePolicy([...policies], q, q.policy);
  const polX = policy?.definition['dead-letter-exchange'];
  const polK = policy?.definition['dead-letter-routing-key'];
  if (typeof argX === 'string') {
    return { exchange: argX, routingKey: typeof argK === 'string' ? argK : typeof polK === 'string' ? polK : undefined, via: 'argument' };
  }
  if (typeof polX === 'string') {
    return { exchange: polX, routingKey: typeof argK === 'string' ? argK : typeof polK === 'string' ? polK : undefined, via: 'policy', policy: policy?.name };
  }
  return undefined;
}

/** Every queue that receives another queue's dead letters, sorted by name. */
export function findDeadLetterTargets(
  queues: readonly Pick<QueueInfo, 'name' | 'type' | 'arguments' | 'policy'>[],
  policies: readonly PolicyInfo[],
  bindings: readonly BindingInfo[],
  snapshot?: TopologySnapshot,
): DeadLetterTarget[] {
  const names = new Set(queues.map((q) => q.name));
  const index = snapshot ? new RoutingIndex(snapshot) : undefined;
  const out = new Map<string, DeadLetterTarget>();
  const add = (target: string, ref: DeadLetterSourceRef): void => {
    if (!names.has(target)) return;
    let t = out.get(target);
    if (!t) out.set(target, (t = { queue: target, sources: [] }));
    t.sources.push(ref);
  };
  for (const q of queues) {
    const c = deadLetterConfig(q, policies);
    if (!c) continue;
    const ref: DeadLetterSourceRef = { ...c, queue: q.name };
    if (c.exchange === '') {
      if (c.routingKey !== undefined) add(c.routingKey, ref);
      continue;
    }
    if (c.routingKey !== undefined && index) {
      const r = index.route({ exchange: c.exchange, routingKey: c.routingKey });
      if (r.certain) {
        for (const rq of r.queues) add(rq.queue, ref);
        continue;
      }
    }
    // No fixed key (or a type the router cannot evaluate): every queue bound to the exchange may get them.
    for (const b of bindings) if (b.source === c.exchange && b.destinationType === 'queue') add(b.destination, ref);
  }
  return [...out.values()].sort((a, b) => (a.queue < b.queue ? -1 : a.queue > b.queue ? 1 : 0));
}

/** Loads a vhost's topology and policies and finds its dead-letter targets. */
export async function loadDeadLetterTargets(client: ManagementClient, vhost: string): Promise<DeadLetterTarget[]> {
  const [topology, policies] = await Promise.all([loadTopology(client, vhost), client.listPolicies(vhost).catch(() => [] as PolicyInfo[])]);
  return findDeadLetterTargets(topology.queues, policies, topology.bindings, topology.snapshot);
}

// ------------------------------------------------------------------------------------------------ shovel

export interface ShovelMoveOptions {
  vhost: string;
  source: string;
  /** A queue, or an exchange with a routing key. */
  destination: { queue: string } | { exchange: string; routingKey: string };
  /** Name of the shovel (default: a fresh workbench-move-… name). */
  name?: string;
  /** Polling interval while watching, default 250 ms. */
  pollMs?: number;
  /** Give up watching after this long (the shovel is removed), default 10 minutes. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Ready messages still in the source, as the shovel works. */
  onProgress?: (left: number) => void;
  /** Counts the source's ready messages (e.g. an AMQP queue.declare passive: the management API's stats lag). */
  readyCount?: () => Promise<number>;
}

export interface ShovelMoveResult {
  name: string;
  /** Ready messages in the source before the shovel started. */
  readyBefore: number;
  /** Ready messages left in the source when the shovel was removed. */
  readyAfter: number;
  /** readyBefore - readyAfter (messages published to the source meanwhile make it approximate). */
  moved: number;
  cancelled: boolean;
  elapsedMs: number;
}

/**
 * Moves every ready message of `source` with a dynamic shovel on the broker (ack-mode on-confirm: the source
 * message is removed after the destination confirmed it; src-delete-after queue-length: it stops after the
 * messages there when it started). Watches until the shovel removed itself (or is cancelled / times out), then
 * makes sure it is removed.
 */
export async function shovelMove(client: ManagementClient, opts: ShovelMoveOptions): Promise<ShovelMoveResult> {
  if (!opts.source) throw invalidInput('source', 'is empty');
  const name = opts.name ?? `workbench-move-${randomBytes(4).toString('hex')}`;
  const started = performance.now();
  const count = opts.readyCount ?? (async () => {
    const q = await client.getQueue(opts.vhost, opts.source);
    return q.messagesReady ?? q.messages ?? 0;
  });
  const readyBefore = await count();
  // "amqp://" alone is the local node's default vhost: name the vhost (URI path, percent-encoded).
  const local = `amqp:///${encodeURIComponent(opts.vhost)}`;
  const value: Record<string, unknown> = {
    'src-protocol': 'amqp091',
    'src-uri': local,
    'src-queue': opts.source,
    'src-delete-after': 'queue-length',
    'dest-protocol': 'amqp091',
    'dest-uri': local,
    'ack-mode': 'on-confirm',
    'dest-add-forward-headers': false,
  };
  if ('queue' in opts.destination) value['dest-queue'] = opts.destination.queue;
  else {
    value['dest-exchange'] = opts.destination.exchange;
    value['dest-exchange-key'] = opts.destination.routingKey;
  }
  await client.putShovel(opts.vhost, name, value);
  const pollMs = opts.pollMs ?? 250;
  const deadline = performance.now() + (opts.timeoutMs ?? 600_000);
  let cancelled = false;
  let failure: RabbitError | undefined;
  try {
    for (;;) {
      if (opts.signal?.aborted) {
        cancelled = true;
        break;
      }
      if (!(await client.shovelExists(opts.vhost, name))) break;
      const st = await client.shovelState(opts.vhost, name).catch(() => undefined);
      if (st?.state === 'terminated' && st.reason) {
        failure = new RabbitError('CHANNEL_CLOSED', `The shovel "${name}" stopped: ${st.reason}`, { hint: 'Check the destination and the broker log; nothing was removed from the source without a confirm.' });
        break;
      }
      const left = await count().catch(() => undefined);
      if (left !== undefined) opts.onProgress?.(left);
      if (performance.now() > deadline) {
        failure = new RabbitError('TIMEOUT', `The shovel "${name}" was still running after ${Math.round((opts.timeoutMs ?? 600_000) / 1000)} s; it was removed.`);
        break;
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  } finally {
    await client.deleteShovel(opts.vhost, name).catch(() => undefined);
  }
  if (failure) throw failure;
  const readyAfter = await count();
  return { name, readyBefore, readyAfter, moved: Math.max(0, readyBefore - readyAfter), cancelled, elapsedMs: performance.now() - started };
}

// ------------------------------------------------------------------------------------------------ write probe

/**
 * Checks, without changing anything, that the connected user may publish to an exchange, for users who may not
 * read their permissions from the management API. The default exchange: an empty mandatory message to a routing
 * key no queue can have (names starting "amq." are reserved) comes back unroutable, or the broker closes the
 * channel with access-refused. Another exchange: unbinding a binding that does not exist (it needs write
 * permission on the exchange, and read on it).
 */
export async function probeWrite(session: AmqpSession, exchange: string): Promise<boolean> {
  const key = `amq.workbench.write-probe.${randomBytes(6).toString('hex')}`;
  try {
    await session.withTempChannel(`check write permission on exchange "${exchange || 'amq.default'}"`, async (ch) => {
      if (exchange === '') ch.publish('', key, Buffer.alloc(0), { mandatory: true });
      else await ch.unbindExchange(exchange, exchange, key);
      await ch.checkExchange('amq.direct'); // a round trip: a refused publish closed the channel before it
    });
    return true;
  } catch (e) {
    if (e instanceof RabbitError && e.code === 'ACCESS_REFUSED') return false;
    if (e instanceof RabbitError && e.code === 'NOT_FOUND') return true; // no such binding: allowed to ask
    throw e;
  }
}
