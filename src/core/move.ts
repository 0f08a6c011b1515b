/**
 * Moving, copying and redriving messages between queues without losing any.
 *
 * The source is consumed with manual acknowledgement and a bounded prefetch on a channel of its own. Each
 * selected message is published to the destination on a confirm channel with `mandatory`; the source
 * message is acknowledged only after the broker confirmed the copy. A message that comes back unroutable,
 * is nacked, or is not confirmed in time is never acknowledged: it stays in the source and is counted.
 * Messages that are not selected, copied messages, and failed ones are held unacknowledged until the end and
 * then handed back all at once by closing the channel, so the broker requeues them in their original order.
 * Holding many messages is bounded (`maxHeld`): a consumer whose prefetch window fills with held messages is
 * cancelled and a fresh one continues (held messages stay unacknowledged on the channel).
 *
 * Delivery limits: handing a message of a quorum queue back counts as a delivery attempt. A held message
 * whose next attempt would pass the queue's delivery limit is not handed back (the broker would dead-letter
 * or drop it): it is republished to the back of the source with confirms and only then acknowledged, and the
 * result counts it as `keptAtBack`.
 *
 * Every wait is bounded; cancel stops between messages; a connection lost mid-way leaves every message in
 * the source, the destination or both, and the result says how many may be in both.
 */
import type { Channel, ConfirmChannel, ConsumeMessage, Message } from 'amqplib';
import { randomBytes } from 'node:crypto';
import { RabbitError, invalidInput, isRabbitError } from './errors';
import { toRabbitError } from './amqpErrors';
import { normalizeXDeath } from './message';
import { checkExchange, checkQueue, type QueueType } from './operations';
import { closeQuietly, withTimeout, type AmqpSession } from './session';
import { captureRawHeaders, typedHeaders, type TypedTable } from './rawHeaders';
import { DELIVERY_ANNOTATIONS, compileFilter, fingerprintRaw, type CompiledFilter, type MessageFilterSpec } from './messageFilter';
import { routeMessage, type RoutingIndex, type TopologySnapshot } from './routing';

export type MoveDestination =
  /** A queue, through the default exchange. */
  | { kind: 'queue'; queue: string }
  | { kind: 'exchange'; exchange: string; routingKey: string }
  /** The back of the source queue itself (chosen explicitly). */
  | { kind: 'sameQueueBack' }
  /** Redrive: each message back to where it was dead-lettered from (its first x-death entry). */
  | { kind: 'origin'; groups?: readonly string[] };

export type MoveSelection =
  | { kind: 'all' }
  /** The first `count` messages of the queue. */
  | { kind: 'first'; count: number }
  /** Messages picked in the inspector, by fingerprint (see messageFilter.ts); looked for among the first `scanLimit`. */
  | { kind: 'selected'; fingerprints: readonly string[]; scanLimit?: number }
  /** Messages matching a filter; at most `limit` of them. */
  | { kind: 'filter'; filter: MessageFilterSpec; limit?: number };

export type MoveMode = 'move' | 'copy';

export interface MoveProgress {
  scanned: number;
  /** How many messages will be looked at (undefined: until the queue is idle, for streams). */
  target?: number;
  moved: number;
  copied: number;
  kept: number;
  failed: number;
}

export interface MoveOptions {
  source: string;
  destination: MoveDestination;
  /** 'move' (default) or 'copy' (the source is left as it was). */
  mode?: MoveMode;
  selection?: MoveSelection;
  /** Read, select and group only: nothing is published or removed. */
  dryRun?: boolean;
  /** The source's type if known (else detected). */
  sourceType?: QueueType;
  /** Quorum sources: the delivery limit the queue enforces (null: none). Required for quorum queues. */
  deliveryLimit?: number | null;
  /** Unacknowledged deliveries per consumer; default 250 (1–5,000). */
  prefetch?: number;
  /** Most messages held unacknowledged (not selected, copied, failed); default 20,000 (at most 200,000). */
  maxHeld?: number;
  /** Add x-workbench-* tracking headers; default true. */
  tracking?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: MoveProgress) => void;
  /** End when nothing arrives for this long; default 2,000 ms (streams 500 ms). */
  idleTimeoutMs?: number;
  /** The user's write permission regex in this vhost (management API), to refuse a destination before moving. */
  writePermission?: string;
  /** The vhost's topology (management API), to refuse an unroutable destination before moving. */
  topology?: TopologySnapshot | RoutingIndex;
  /** Called with every message looked at, in delivery order, before it is selected (an export reads a queue this way in a dry run). */
  onMessage?: (m: ConsumeMessage) => void | Promise<void>;
}

export interface RedriveGroup {
  /** Stable key of the origin. */
  key: string;
  exchange: string;
  routingKeys: string[];
  /** The queue the message was dead-lettered from. */
  queue: string;
  /** Reason of the first x-death entry (rejected, expired, maxlen, delivery_limit). */
  reasons: Record<string, number>;
  count: number;
  moved: number;
  failed: number;
}

export interface MoveResult {
  mode: MoveMode;
  dryRun: boolean;
  source: string;
  sourceType: QueueType;
  /** Ready messages in the source when the operation started. */
  readyBefore: number;
  scanned: number;
  /** Messages that matched the selection. */
  selected: number;
  /** Confirmed at the destination and removed from the source. */
  moved: number;
  /** Confirmed at the destination, left in the source. */
  copied: number;
  /** Looked at but not selected: handed back. */
  kept: number;
  /** Returned by the broker as unroutable: still in the source. */
  unroutable: number;
  /** Refused by the broker (nack): still in the source. */
  nacked: number;
  /** Not sent: the message could not be published faithfully (user id of another user, no x-death, origin missing). */
  refused: number;
  /** Sent but not confirmed in time: still in the source, may also be at the destination. */
  unconfirmed: number;
  /** Held quorum messages whose next delivery would pass the limit: republished to the back of the source. */
  keptAtBack: number;
  /** Upper bound of messages that may now be both at the destination and in the source. */
  maybeDuplicated: number;
  /** Redrive: the origins found, in the order first seen. */
  groups?: RedriveGroup[];
  /** Messages without x-death (redrive): stay. */
  withoutXDeath?: number;
  cancelled: boolean;
  stopReason: 'done' | 'cancelled' | 'held-limit' | 'idle' | 'wrapped' | 'error';
  /** Every republished message's headers went out byte for byte. */
  headersExact: boolean;
  notes: string[];
  elapsedMs: number;
}

/** A move that failed part way (connection lost, channel closed): the counts say where every message is. */
export class MoveError extends RabbitError {
  readonly result: MoveResult;
  constructor(cause: RabbitError, result: MoveResult) {
    super(cause.code, `${cause.message.replace(/\s+$/, '')} ${describeMoveResult(result)}`, { replyCode: cause.replyCode, brokerText: cause.brokerText, cause });
    this.name = 'MoveError';
    this.result = result;
  }
}

export const TRACKING_HEADERS = {
  from: 'x-workbench-moved-from',
  at: 'x-workbench-moved-at',
  count: 'x-workbench-move-count',
  kind: 'x-workbench-move-kind',
  id: 'x-workbench-move-id',
} as const;

const DEFAULT_PREFETCH = 250;
const DEFAULT_MAX_HELD = 20_000;
const MAX_MAX_HELD = 200_000;

interface Validated {
  mode: MoveMode;
  dryRun: boolean;
  prefetch: number;
  maxHeld: number;
  tracking: boolean;
  filter?: CompiledFilter;
  wanted?: Map<string, number>;
}

function validate(opts: MoveOptions): Validated {
  if (!opts || typeof opts !== 'object') throw invalidInput('options', 'are required');
  if (typeof opts.source !== 'string' || !opts.source) throw invalidInput('source', 'is empty', 'Choose the queue to move messages from.');
  const mode = opts.mode ?? 'move';
  if (mode !== 'move' && mode !== 'copy') throw invalidInput('mode', 'must be move or copy');
  const d = opts.destination;
  if (!d || typeof d !== 'object') throw invalidInput('destination', 'is required', 'Choose a queue, an exchange with a routing key, or the origin of dead-lettered messages.');
  switch (d.kind) {
    case 'queue':
      if (typeof d.queue !== 'string' || !d.queue) throw invalidInput('destination.queue', 'is empty', 'Choose the queue to move the messages to.');
      if (d.queue === opts.source) {
        throw invalidInput('destination.queue', `is the source queue "${opts.source}"`, 'Choose another queue, or choose "to the back of the same queue" explicitly.');
      }
      break;
    case 'exchange':
      if (typeof d.exchange !== 'string') throw invalidInput('destination.exchange', 'must be a string ("" is the default exchange)');
      if (typeof d.routingKey !== 'string') throw invalidInput('destination.routingKey', 'must be a string');
      if (Buffer.byteLength(d.routingKey) > 255) throw invalidInput('destination.routingKey', 'is longer than 255 bytes');
      if (d.exchange === '' && d.routingKey === opts.source) {
        throw invalidInput('destination.routingKey', `routes through the default exchange to the source queue "${opts.source}"`, 'Choose another queue, or choose "to the back of the same queue" explicitly.');
      }
      break;
    case 'sameQueueBack':
      break;
    case 'origin':
      if (d.groups !== undefined && (!Array.isArray(d.groups) || d.groups.some((g) => typeof g !== 'string'))) throw invalidInput('destination.groups', 'must be a list of origin keys');
      break;
    default:
      throw invalidInput('destination.kind', 'must be queue, exchange, sameQueueBack or origin');
  }
  const prefetch = opts.prefetch ?? DEFAULT_PREFETCH;
  if (!Number.isInteger(prefetch) || prefetch < 1 || prefetch > 5000) throw invalidInput('prefetch', `must be a whole number from 1 to 5000 (got ${String(prefetch)})`);
  const maxHeld = opts.maxHeld ?? DEFAULT_MAX_HELD;
  if (!Number.isInteger(maxHeld) || maxHeld < 1 || maxHeld > MAX_MAX_HELD) throw invalidInput('maxHeld', `must be a whole number from 1 to ${MAX_MAX_HELD} (got ${String(maxHeld)})`);
  if (opts.idleTimeoutMs !== undefined && !(Number.isFinite(opts.idleTimeoutMs) && opts.idleTimeoutMs > 0)) throw invalidInput('idleTimeoutMs', 'must be a positive number of ms');
  if (opts.deliveryLimit !== undefined && opts.deliveryLimit !== null && !(Number.isInteger(opts.deliveryLimit) && opts.deliveryLimit >= 0)) {
    throw invalidInput('deliveryLimit', 'must be a non-negative whole number or null (no limit)');
  }
  if (opts.sourceType !== undefined && !['classic', 'quorum', 'stream'].includes(opts.sourceType)) throw invalidInput('sourceType', 'must be classic, quorum or stream');
  if (opts.writePermission !== undefined) {
    try {
      new RegExp(opts.writePermission);
    } catch {
      throw invalidInput('writePermission', 'is not a valid regular expression');
    }
  }
  const v: Validated = { mode, dryRun: !!opts.dryRun, prefetch, maxHeld, tracking: opts.tracking ?? true };
  const sel = opts.selection ?? { kind: 'all' };
  switch (sel.kind) {
    case 'all':
      break;
    case 'first':
      if (!Number.isInteger(sel.count) || sel.count < 1) throw invalidInput('selection.count', `must be a whole number of at least 1 (got ${String(sel.count)})`);
      break;
    case 'selected': {
      if (!Array.isArray(sel.fingerprints) || sel.fingerprints.length === 0) throw invalidInput('selection.fingerprints', 'is empty', 'Select at least one message in the inspector.');
      v.wanted = new Map();
      for (const f of sel.fingerprints) {
        if (typeof f !== 'string' || !/^[0-9a-f]{32}$/.test(f)) throw invalidInput('selection.fingerprints', 'holds something that is not a message fingerprint');
        v.wanted.set(f, (v.wanted.get(f) ?? 0) + 1);
      }
      if (sel.scanLimit !== undefined && !(Number.isInteger(sel.scanLimit) && sel.scanLimit >= 1)) throw invalidInput('selection.scanLimit', 'must be a whole number of at least 1');
      break;
    }
    case 'filter':
      v.filter = compileFilter(sel.filter);
      if (sel.limit !== undefined && !(Number.isInteger(sel.limit) && sel.limit >= 1)) throw invalidInput('selection.limit', 'must be a whole number of at least 1');
      break;
    default:
      throw invalidInput('selection.kind', 'must be all, first, selected or filter');
  }
  return v;
}

/** Detects a queue's type without side effects: a stream accepts a consumer with x-stream-offset, others refuse it naming their type. */
export async function detectQueueType(session: AmqpSession, queue: string): Promise<QueueType> {
  try {
    await session.withTempChannel(`check the type of queue "${queue}"`, async (ch) => {
      await ch.prefetch(1);
      const { consumerTag } = await ch.consume(queue, () => undefined, { noAck: false, arguments: { 'x-stream-offset': 'next' } });
      await ch.cancel(consumerTag);
    });
    return 'stream';
  } catch (e) {
    const text = isRabbitError(e) ? `${e.brokerText ?? ''} ${e.message}` : String(e);
    const m = /rabbit_(classic|quorum)_queue/.exec(text);
    if (m) return m[1] as QueueType;
    throw e;
  }
}

/** Does a RabbitMQ permission regex allow this resource? ('' allows nothing.) */
export function permits(permission: string, resource: string): boolean {
  if (permission === '') return false;
  return new RegExp(permission).test(resource);
}

interface Target {
  exchange: string;
  routingKey: string;
  cc?: string[];
  group?: RedriveGroup;
}

interface Held {
  tag: number;
  /** The consumer that received it ('' for a basic.get): a quorum queue hands messages back per consumer. */
  ctag: string;
  /** Acknowledged after all (put at the back of the source): nothing to hand back. */
  acked?: boolean;
  /** Kept only for quorum messages whose next delivery would pass the limit. */
  atRisk?: { content: Buffer; properties: ConsumeMessage['properties']; headers: TypedTable };
}

interface Pending {
  m: ConsumeMessage;
  target: Target;
  content: Buffer;
  returned: boolean;
}

/** "Moved 312, 2 unroutable (still in orders.dlq) …" */
export function describeMoveResult(r: MoveResult): string {
  const parts: string[] = [];
  if (r.dryRun) parts.push(`Looked at ${r.scanned}: ${r.selected} would be ${r.mode === 'copy' ? 'copied' : 'moved'}`);
  else if (r.mode === 'copy') parts.push(`Copied ${r.copied} of ${r.selected} selected (looked at ${r.scanned})`);
  else parts.push(`Moved ${r.moved} of ${r.selected} selected (looked at ${r.scanned})`);
  const stay: string[] = [];
  if (r.kept) stay.push(`${r.kept} not selected`);
  if (r.unroutable) stay.push(`${r.unroutable} unroutable`);
  if (r.nacked) stay.push(`${r.nacked} refused by the broker`);
  if (r.refused) stay.push(`${r.refused} not sent`);
  if (r.unconfirmed) stay.push(`${r.unconfirmed} not confirmed`);
  if (r.withoutXDeath) stay.push(`${r.withoutXDeath} without x-death`);
  let s = parts.join('');
  if (stay.length) s += `; stay in "${r.source}": ${stay.join(', ')}`;
  if (r.keptAtBack) s += `; ${r.keptAtBack} put at the back of "${r.source}" so the delivery limit does not drop them`;
  if (r.maybeDuplicated) s += `; up to ${r.maybeDuplicated} may now be in both places`;
  if (r.cancelled) s += '; cancelled';
  else if (r.stopReason === 'held-limit') s += '; stopped at the limit of messages held at once';
  return `${s}.`;
}

/** "312 → exchange orders / key order.created, 5 → queue billing, 2 without x-death stay" */
export function describeRedrivePlan(r: Pick<MoveResult, 'groups' | 'withoutXDeath'>): string {
  const parts = (r.groups ?? []).map((g) => {
    const to = g.exchange === '' ? `queue ${g.routingKeys[0] ?? g.queue}` : `exchange ${g.exchange} / key ${g.routingKeys.join(', ')}`;
    return `${g.count} → ${to}`;
  });
  if (r.withoutXDeath) parts.push(`${r.withoutXDeath} without x-death stay`);
  return parts.length ? parts.join(', ') : 'nothing to redrive';
}

/** Stable key of an origin. */
export function originKey(exchange: string, routingKeys: readonly string[], queue: string): string {
  return JSON.stringify([exchange, routingKeys, queue]);
}

/**
 * Moves, copies or redrives messages (see the file comment). Checks everything before the first message
 * moves: read-only profile, source, destination (exists, writable, routable, not the source), selection.
 */
export async function moveMessages(session: AmqpSession, opts: MoveOptions): Promise<MoveResult> {
  const v = validate(opts);
  const started = performance.now();
  const source = opts.source;
  const dest = opts.destination;
  if (session.resolved.profile.readOnly && !v.dryRun) {
    throw new RabbitError('READ_ONLY', `This connection is read-only: messages cannot be ${v.mode === 'copy' ? 'copied' : 'moved'}. Nothing was changed.`, {
      hint: 'Turn off "read-only" for the connection to move messages.',
    });
  }
  const model = await session.connection();
  const exactCapture = captureRawHeaders(model);
  const info = await checkQueue(session, source);
  const sourceType = opts.sourceType ?? (await detectQueueType(session, source));
  const isStream = sourceType === 'stream';
  if (isStream && v.mode === 'move' && !v.dryRun) {
    throw invalidInput('mode', `"${source}" is a stream: a stream keeps every message, so messages cannot be moved out of it`, 'Copy them instead.');
  }
  if (sourceType === 'quorum' && opts.deliveryLimit === undefined) {
    throw invalidInput('deliveryLimit', `is needed for quorum queue "${source}": reading and handing back its messages counts toward it`, 'Read it from the queue arguments and policies first.');
  }
  const limit = sourceType === 'quorum' ? (opts.deliveryLimit ?? null) : null;

  // ------------------------------------------------------------------ destination checks (nothing moved yet)
  let fixed: Target | undefined;
  if (dest.kind === 'queue') {
    await checkQueue(session, dest.queue).catch((e: unknown) => {
      throw relabel(e, 'destination.queue', `The destination queue "${dest.queue}" does not exist. Nothing was moved.`);
    });
    fixed = { exchange: '', routingKey: dest.queue };
  } else if (dest.kind === 'exchange') {
    if (dest.exchange !== '') {
      await checkExchange(session, dest.exchange).catch((e: unknown) => {
        throw relabel(e, 'destination.exchange', `The destination exchange "${dest.exchange}" does not exist. Nothing was moved.`);
      });
    }
    fixed = { exchange: dest.exchange, routingKey: dest.routingKey };
  } else if (dest.kind === 'sameQueueBack') {
    fixed = { exchange: '', routingKey: source };
  }
  if (fixed && !v.dryRun) {
    if (opts.writePermission !== undefined && !permits(opts.writePermission, fixed.exchange || 'amq.default')) {
      throw new RabbitError('ACCESS_REFUSED', `User "${session.username}" may not publish to exchange "${fixed.exchange || 'amq.default'}" in vhost "${session.vhost}" (write permission "${opts.writePermission}"). Nothing was moved.`, {
        hint: 'Ask for write permission on the destination, or choose another destination.',
        field: 'destination',
      });
    }
    if (opts.topology && dest.kind === 'exchange') {
      const route = routeMessage(opts.topology, { exchange: fixed.exchange, routingKey: fixed.routingKey });
      const headersType = route.exchangesVisited.length > 0 && !route.certain;
      if (route.certain && !headersType) {
        if (route.unroutable) {
          throw new RabbitError('UNROUTABLE', `Exchange "${fixed.exchange || '(default)'}" routes routing key "${fixed.routingKey}" to no queue. Nothing was moved.`, {
            hint: 'Choose a routing key that a binding matches, or bind a queue first.',
            field: 'destination.routingKey',
          });
        }
        if (route.queues.some((q) => q.queue === source)) {
          throw invalidInput('destination', `exchange "${fixed.exchange}" with key "${fixed.routingKey}" routes back to the source queue "${source}"`, 'Choose another destination, or choose "to the back of the same queue" explicitly.');
        }
      }
    }
  }

  // ------------------------------------------------------------------ state
  const sel = opts.selection ?? { kind: 'all' };
  const moveId = randomBytes(8).toString('hex');
  const readyBefore = info.messageCount;
  const target = isStream
    ? sel.kind === 'first'
      ? sel.count
      : sel.kind === 'selected' && sel.scanLimit !== undefined
        ? sel.scanLimit
        : undefined
    : Math.min(readyBefore, sel.kind === 'first' ? sel.count : sel.kind === 'selected' && sel.scanLimit !== undefined ? sel.scanLimit : readyBefore);
  const wanted = v.wanted ? new Map(v.wanted) : undefined;
  let wantedLeft = wanted ? [...wanted.values()].reduce((a, b) => a + b, 0) : Infinity;
  const matchLimit = sel.kind === 'filter' ? (sel.limit ?? Infinity) : Infinity;
  const r: MoveResult = {
    mode: v.mode,
    dryRun: v.dryRun,
    source,
    sourceType,
    readyBefore,
    scanned: 0,
    selected: 0,
    moved: 0,
    copied: 0,
    kept: 0,
    unroutable: 0,
    nacked: 0,
    refused: 0,
    unconfirmed: 0,
    keptAtBack: 0,
    maybeDuplicated: 0,
    cancelled: false,
    stopReason: 'done',
    headersExact: true,
    notes: [],
    elapsedMs: 0,
  };
  const groups = new Map<string, RedriveGroup>();
  if (dest.kind === 'origin') {
    r.groups = [];
    r.withoutXDeath = 0;
  }
  const onlyGroups = dest.kind === 'origin' && dest.groups ? new Set(dest.groups) : undefined;
  const originChecks = new Map<string, Promise<boolean>>();
  const held: Held[] = [];
  const pending = new Set<Pending>();
  const pendingByRoute = new Map<string, Pending[]>();
  let lossNote: string | undefined;

  if (target === 0) {
    r.elapsedMs = performance.now() - started;
    return r;
  }

  const ch: Channel = await session.openChannel('move-source');
  let pub: ConfirmChannel | undefined;
  let finished = false;
  let failure: RabbitError | undefined;
  let connectionLost = false;
  const generation = session.generation;
  let stopping = false;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  let lastActivity = performance.now();
  let acked = 0;
  let ackedSynced = 0;
  let syncing = false;
  let sourceClosed = false;
  let unconfirmedByClose = 0;

  const stop = (reason: MoveResult['stopReason']): void => {
    if (stopping) return;
    stopping = true;
    if (r.stopReason === 'done') r.stopReason = reason;
    notify();
  };
  ch.on('close', () => {
    sourceClosed = true;
    if (finished) return;
    failure = failure ?? session.channelError(ch, `read queue "${source}"`) ?? undefined;
    if (!failure) {
      connectionLost = session.generation !== generation || session.state !== 'connected';
      failure = connectionLost
        ? new RabbitError('CONNECTION_CLOSED', `The connection was lost while moving messages from "${source}". Unacknowledged messages went back to it.`, { hint: 'The session reconnects by itself; run the move again for the rest.' })
        : new RabbitError('CHANNEL_CLOSED', `The channel reading "${source}" was closed. Unacknowledged messages went back to it.`);
    }
    stop('error');
  });

  try {
    if (!v.dryRun) {
      pub = await session.openConfirmChannel('move-publish');
      pub.on('return', (msg: Message) => {
        const list = pendingByRoute.get(`${msg.fields.exchange}\u0000${msg.fields.routingKey}`);
        const hit = list?.find((p) => !p.returned && p.content.equals(msg.content));
        if (hit) hit.returned = true;
      });
      pub.on('close', () => {
        if (finished) return;
        const err = session.channelError(pub!, 'publish to the destination');
        if (!err) connectionLost = session.generation !== generation || session.state !== 'connected';
        failure = failure ?? err ?? new RabbitError(connectionLost ? 'CONNECTION_CLOSED' : 'CHANNEL_CLOSED', `The channel publishing to the destination was closed while moving messages from "${source}".`);
        stop('error');
      });
    }
    await ch.prefetch(v.prefetch);

    // ---------------------------------------------------------------- per-message work, in delivery order
    const hold = (m: ConsumeMessage): void => {
      if (isStream) {
        ack(m); // on a stream an ack only moves consumer credit
        return;
      }
      held.push({ tag: m.fields.deliveryTag, ctag: m.fields.consumerTag, atRisk: riskOf(m) });
      const c = consumers.get(m.fields.consumerTag);
      if (c) c.held++;
      if (held.length >= v.maxHeld) stop('held-limit');
      else if (c && c === current && c.held >= Math.max(1, Math.floor(v.prefetch / 2))) void rotate();
    };
    const ack = (m: ConsumeMessage): boolean => {
      if (sourceClosed) return false;
      try {
        ch.ack(m);
        acked++;
      } catch {
        return false; // channel gone: its close handler reports it
      }
      if (!isStream && acked - ackedSynced >= 500 && !syncing) void syncAcks();
      return true;
    };
    // A broker round trip on the source channel: every ack sent before it has been processed.
    const syncAcks = async (): Promise<void> => {
      syncing = true;
      const upTo = acked;
      try {
        await ch.checkQueue(source);
        ackedSynced = Math.max(ackedSynced, upTo);
      } catch {
        // the close handler reports it
      } finally {
        syncing = false;
      }
    };
    const riskOf = (m: ConsumeMessage): Held['atRisk'] => {
      if (limit === null || isStream) return undefined;
      const n = Number(m.properties.headers?.['x-delivery-count'] ?? 0);
      const count = Number.isFinite(n) ? n : 0;
      if (count + 1 <= limit) return undefined;
      return { content: m.content, properties: m.properties, headers: typedHeaders(m.properties.headers as Record<string, unknown> | undefined, DELIVERY_ANNOTATIONS).headers };
    };
    const drop = [...DELIVERY_ANNOTATIONS];
    const headersFor = (m: ConsumeMessage): TypedTable => {
      const t = typedHeaders(m.properties.headers as Record<string, unknown> | undefined, drop);
      if (!t.exact) {
        r.headersExact = false;
        lossNote ??= t.lossNote;
      }
      return t.headers;
    };
    const selectedBy = (m: ConsumeMessage): boolean => {
      switch (sel.kind) {
        case 'all':
        case 'first':
          return true;
        case 'selected': {
          const fp = fingerprintRaw(m.content, m.properties as unknown as Record<string, unknown>);
          const n = wanted!.get(fp) ?? 0;
          if (n <= 0) return false;
          wanted!.set(fp, n - 1);
          wantedLeft--;
          return true;
        }
        case 'filter':
          return r.selected < matchLimit && v.filter!.matches({ content: m.content, routingKey: m.fields.routingKey, headers: m.properties.headers });
      }
    };
    const originOf = (m: ConsumeMessage): Target | undefined => {
      const xd = normalizeXDeath(m.properties.headers?.['x-death']);
      const first = xd?.[0];
      if (!first) return undefined;
      const keys = first.routingKeys.length ? first.routingKeys : [first.queue];
      const key = originKey(first.exchange, keys, first.queue);
      let g = groups.get(key);
      if (!g) {
        g = { key, exchange: first.exchange, routingKeys: keys, queue: first.queue, reasons: {}, count: 0, moved: 0, failed: 0 };
        groups.set(key, g);
        r.groups!.push(g);
      }
      return { exchange: first.exchange, routingKey: keys[0], cc: keys.length > 1 ? keys.slice(1) : undefined, group: g };
    };
    const originExists = (t: Target): Promise<boolean> => {
      const k = t.exchange;
      let p = originChecks.get(k);
      if (!p) {
        p = k === '' ? Promise.resolve(true) : checkExchange(session, k).then(() => true, () => false);
        originChecks.set(k, p);
      }
      return p;
    };

    const process = async (m: ConsumeMessage): Promise<void> => {
      if (stopping || (target !== undefined && r.scanned >= target)) {
        hold(m);
        return;
      }
      const moveIdSeen = m.properties.headers?.[TRACKING_HEADERS.id];
      if (moveIdSeen !== undefined && String(moveIdSeen) === moveId) {
        // One of the messages this run put at the back came around: everything before it was seen.
        hold(m);
        stop('wrapped');
        return;
      }
      r.scanned++;
      if (opts.onMessage) await opts.onMessage(m);
      const picked = selectedBy(m);
      let t: Target | undefined = fixed;
      if (dest.kind === 'origin') {
        t = originOf(m);
        if (!t) {
          r.withoutXDeath!++;
          hold(m);
          return finishOne();
        }
        if (onlyGroups && !onlyGroups.has(t.group!.key)) {
          r.kept++;
          hold(m);
          return finishOne();
        }
      }
      if (!picked) {
        r.kept++;
        hold(m);
        return finishOne();
      }
      r.selected++;
      if (t?.group) {
        t.group.count++;
        const reason = normalizeXDeath(m.properties.headers?.['x-death'])?.[0]?.reason ?? '';
        t.group.reasons[reason] = (t.group.reasons[reason] ?? 0) + 1;
      }
      const headers = headersFor(m);
      if (v.dryRun || !pub || !t) {
        hold(m);
        return finishOne();
      }
      const userId = m.properties.userId;
      if (userId !== undefined && userId !== session.username) {
        // The broker refuses (and closes the channel for) a user id other than the connected user's.
        r.refused++;
        if (t.group) t.group.failed++;
        r.notes.push(`A message published by user "${userId}" cannot be republished faithfully by "${session.username}"; it stays.`);
        hold(m);
        return finishOne();
      }
      if (t.group && !(await originExists(t))) {
        r.refused++;
        t.group.failed++;
        hold(m);
        return finishOne();
      }
      const out: TypedTable = { ...headers };
      if (v.tracking) {
        const prev = Number((m.properties.headers?.[TRACKING_HEADERS.count] as unknown) ?? 0);
        out[TRACKING_HEADERS.from] = source;
        out[TRACKING_HEADERS.at] = { '!': 'timestamp', value: Math.floor(Date.now() / 1000) };
        out[TRACKING_HEADERS.count] = { '!': 'int32', value: (Number.isFinite(prev) ? prev : 0) + 1 };
        out[TRACKING_HEADERS.kind] = dest.kind === 'origin' ? 'redrive' : v.mode;
        out[TRACKING_HEADERS.id] = moveId;
      }
      const p: Pending = { m, target: t, content: m.content, returned: false };
      const routeKey = `${t.exchange}\u0000${t.routingKey}`;
      let list = pendingByRoute.get(routeKey);
      if (!list) pendingByRoute.set(routeKey, (list = []));
      list.push(p);
      pending.add(p);
      const props = m.properties;
      let ok = true;
      try {
        ok = pub.publish(
          t.exchange,
          t.routingKey,
          m.content,
          {
            mandatory: true,
            contentType: props.contentType,
            contentEncoding: props.contentEncoding,
            headers: out,
            deliveryMode: props.deliveryMode,
            priority: props.priority,
            correlationId: props.correlationId,
            replyTo: props.replyTo,
            expiration: props.expiration,
            messageId: props.messageId,
            timestamp: props.timestamp,
            type: props.type,
            userId: props.userId,
            appId: props.appId,
            CC: t.cc,
          },
          (err) => settle(p, list!, err),
        );
      } catch (e) {
        settle(p, list, e);
        failure = failure ?? toRabbitError(e, session.errorContext('publish to the destination'));
        stop('error');
        return;
      }
      if (!ok) {
        // Socket buffer full: wait for 'drain' (bounded) before the next message.
        const ch1 = pub;
        await Promise.race([new Promise<void>((res) => ch1.once('drain', () => res())), sleep(session.confirmTimeoutMs)]);
      }
      return finishOne();
    };
    const settle = (p: Pending, list: Pending[], err: unknown): void => {
      if (!pending.delete(p)) return;
      const i = list.indexOf(p);
      if (i >= 0) list.splice(i, 1);
      lastActivity = performance.now();
      const g = p.target.group;
      if (err) {
        // amqplib calls back with an error for a nack and for every unconfirmed message when the channel closes.
        if (err instanceof Error && err.message === 'message nacked') {
          r.nacked++;
          if (g) g.failed++;
        } else {
          // The channel closed before the confirm: it may have arrived (decided at the end).
          r.unconfirmed++;
          unconfirmedByClose++;
          if (g) g.failed++;
        }
        hold(p.m);
      } else if (p.returned) {
        r.unroutable++;
        if (g) g.failed++;
        hold(p.m);
      } else if (v.mode === 'copy') {
        r.copied++;
        if (g) g.moved++;
        hold(p.m);
      } else if (ack(p.m)) {
        r.moved++;
        if (g) g.moved++;
      } else {
        // At the destination, and back in the source because the source channel is gone.
        r.maybeDuplicated++;
        if (g) g.failed++;
      }
      progress();
      if (pending.size === 0) notify();
    };
    let lastProgressAt = 0;
    const progress = (force = false): void => {
      if (!opts.onProgress) return;
      const now = performance.now();
      if (!force && now - lastProgressAt < 100) return;
      lastProgressAt = now;
      try {
        opts.onProgress({ scanned: r.scanned, target, moved: r.moved, copied: r.copied, kept: r.kept + (r.withoutXDeath ?? 0), failed: r.unroutable + r.nacked + r.refused + r.unconfirmed });
      } catch {
        // a progress listener's bug must not break the move
      }
    };
    const finishOne = (): void => {
      progress();
      if (target !== undefined && r.scanned >= target) stop('done');
      else if (wanted && wantedLeft <= 0) stop('done');
      else if (r.selected >= matchLimit) stop('done');
    };

    // ---------------------------------------------------------------- consumers
    interface ConsumerState {
      tag: string;
      held: number;
    }
    const consumers = new Map<string, ConsumerState>();
    let current: ConsumerState | undefined;
    let chain: Promise<void> = Promise.resolve();
    const early: ConsumeMessage[] = [];
    const onMessage = (m: ConsumeMessage | null): void => {
      if (m === null) {
        failure = failure ?? new RabbitError('CANCELLED', `The broker cancelled reading "${source}" (the queue was deleted?).`);
        stop('error');
        return;
      }
      lastActivity = performance.now();
      if (!consumers.has(m.fields.consumerTag)) {
        early.push(m);
        return;
      }
      chain = chain.then(() => process(m)).catch((e: unknown) => {
        failure = failure ?? toRabbitError(e, session.errorContext('move messages'));
        stop('error');
      });
    };
    const consume = async (): Promise<void> => {
      const args = isStream ? { 'x-stream-offset': 'first' } : undefined;
      const { consumerTag } = await ch.consume(source, onMessage, { noAck: false, arguments: args });
      const c: ConsumerState = { tag: consumerTag, held: 0 };
      consumers.set(consumerTag, c);
      current = c;
      for (const m of early.splice(0)) onMessage(m);
    };
    let rotating = false;
    const rotate = async (): Promise<void> => {
      if (rotating || stopping) return;
      rotating = true;
      try {
        const old = current;
        if (old) await ch.cancel(old.tag);
        if (!stopping) await consume();
      } catch (e) {
        failure = failure ?? session.channelError(ch, `read queue "${source}"`) ?? toRabbitError(e, session.errorContext('move messages'));
        stop('error');
      } finally {
        rotating = false;
      }
    };
    const onAbort = (): void => {
      r.cancelled = true;
      stop('cancelled');
    };
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener('abort', onAbort);
    const idleMs = opts.idleTimeoutMs ?? (isStream ? 500 : 2_000);
    try {
      if (!stopping) await session.bounded(consume(), `read queue "${source}"`);
      // Wait until done, cancelled, failed or idle.
      while (!stopping) {
        await Promise.race([new Promise<void>((res) => (wake = res)), sleep(Math.min(idleMs, 250))]);
        if (!stopping && pending.size === 0 && !rotating && performance.now() - lastActivity >= idleMs) stop('idle');
      }
      // Stop receiving: cancel the consumer; deliveries already on their way are held.
      if (current && !failure) await session.bounded(ch.cancel(current.tag), `stop reading "${source}"`).catch(() => undefined);
      await chain;
      // Wait for confirms still on their way (bounded).
      const deadline = (): number => lastActivity + session.confirmTimeoutMs;
      while (pending.size > 0 && !(failure && !pub)) {
        const left = deadline() - performance.now();
        if (left <= 0) break;
        await Promise.race([new Promise<void>((res) => (wake = res)), sleep(Math.min(left, 250))]);
        if (failure && (connectionLost || session.state !== 'connected')) break;
      }
      for (const p of [...pending]) {
        // Not confirmed in time: it stays in the source; it may have arrived too.
        pending.delete(p);
        r.unconfirmed++;
        r.maybeDuplicated++;
        if (p.target.group) p.target.group.failed++;
        held.push({ tag: p.m.fields.deliveryTag, ctag: p.m.fields.consumerTag, atRisk: riskOf(p.m) });
      }
      if (!failure && !sourceClosed && acked > ackedSynced) await settleAcks();
      if (!failure) await keepAtRisk();
      if (!failure && !sourceClosed && sourceType === 'quorum') await handBackInOrder();
      progress(true);
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
  } finally {
    finished = true;
    // Closing the channel hands every held message back (a quorum source's were handed back in order above).
    await closeQuietly(ch, session.closeTimeoutMs);
    if (pub) await closeQuietly(pub, session.closeTimeoutMs);
  }
  if (failure) {
    // amqplib closes the channels before it reports the connection closed: decide now.
    connectionLost ||= session.generation !== generation || session.state !== 'connected' || failure.code === 'CONNECTION_CLOSED';
    if (connectionLost) r.maybeDuplicated += acked - ackedSynced + unconfirmedByClose;
    r.stopReason = 'error';
  }
  if (!exactCapture) {
    r.headersExact = false;
    lossNote ??= 'this amqplib does not let the raw header bytes be read';
  }
  if (!r.headersExact && lossNote && (r.moved || r.copied)) r.notes.push(`Headers may differ from the originals: ${lossNote}.`);
  if (sourceType === 'quorum' && (r.kept || r.copied || r.unroutable || r.nacked || r.refused || r.unconfirmed || v.dryRun)) {
    r.notes.push(
      limit === null
        ? `Messages handed back to quorum queue "${source}" had one more delivery counted (it has no delivery limit: none is dropped).`
        : `Messages handed back to quorum queue "${source}" had one more delivery counted toward its delivery limit of ${limit}.`,
    );
  }
  if (isStream) r.notes.push(`"${source}" is a stream: it keeps every message, so they were copied, not moved.`);
  r.elapsedMs = performance.now() - started;
  if (failure) throw new MoveError(failure, r);
  return r;

  /**
   * Makes sure the acknowledgements sent so far took effect before the channel closes. A quorum queue applies
   * acks through its log and may not have them yet when the channel goes: it then hands the acked messages back
   * too (measured on 3.10 and 4.0: the tail of a move reappeared in the source, 50 to 200 of 500). A basic.get on
   * the same channel is applied after them and answers only then; on an emptied queue it costs nothing, otherwise
   * the message it takes is held and handed back with the others (one delivery, like theirs). Classic queues and
   * streams take acks in order with the close: a round trip is enough.
   */
  async function settleAcks(): Promise<Held | undefined> {
    const upTo = acked;
    let taken: Held | undefined;
    try {
      if (sourceType === 'quorum') {
        const got = await session.bounded(ch.get(source, { noAck: false }), `confirm the acknowledgements on "${source}"`);
        if (got) {
          const n = Number(got.properties.headers?.['x-delivery-count'] ?? 0);
          const atLimit = limit !== null && (Number.isFinite(n) ? n : 0) + 1 > limit;
          taken = {
            tag: got.fields.deliveryTag,
            ctag: '',
            atRisk: atLimit ? { content: got.content, properties: got.properties, headers: typedHeaders(got.properties.headers as Record<string, unknown> | undefined, DELIVERY_ANNOTATIONS).headers } : undefined,
          };
          held.push(taken);
        }
      } else {
        await session.bounded(ch.checkQueue(source), `confirm the acknowledgements on "${source}"`);
      }
      ackedSynced = Math.max(ackedSynced, upTo);
    } catch {
      // the close handler reports a lost channel
    }
    return taken;
  }

  /**
   * Hands the held messages of a quorum source back in their original order. Closing the channel (or one
   * nack or recover covering several consumers) makes a quorum queue return them consumer by consumer in the
   * order of the consumer tags, not of delivery: after a rotation the later consumer's messages could come
   * back ahead of the earlier one's (measured on 3.10 and 4.0). So each consumer's messages go back with a
   * single nack (multiple, requeue) in delivery order, and the next consumer's only once the queue counts
   * them as ready again (bounded wait). Each message is handed back once, as closing the channel would:
   * one delivery counted, no more.
   */
  async function handBackInOrder(): Promise<void> {
    const back = held.filter((h) => !h.acked).sort((a, b) => a.tag - b.tag);
    const runs: { lastTag: number; n: number }[] = [];
    let prev: string | undefined;
    for (const h of back) {
      if (runs.length && h.ctag === prev) {
        const run = runs[runs.length - 1];
        run.lastTag = h.tag;
        run.n++;
      } else runs.push({ lastTag: h.tag, n: 1 });
      prev = h.ctag;
    }
    if (runs.length < 2) return; // one consumer: closing the channel keeps the order
    try {
      const before = (await session.bounded(ch.checkQueue(source), `hand messages back to "${source}"`)).messageCount;
      let handed = 0;
      for (let i = 0; i < runs.length; i++) {
        ch.nack({ fields: { deliveryTag: runs[i].lastTag } } as Message, true, true);
        handed += runs[i].n;
        if (i === runs.length - 1) break;
        // Wait until the broker applied this hand-back before sending the next one (bounded: another
        // consumer of the source may take them at once, and then the order is not ours to keep anyway).
        const until = performance.now() + Math.min(session.confirmTimeoutMs, 5_000);
        while (performance.now() < until) {
          const { messageCount } = await session.bounded(ch.checkQueue(source), `hand messages back to "${source}"`);
          if (messageCount >= before + handed) break;
          await sleep(10);
        }
      }
    } catch {
      // the channel is gone: the broker handed back whatever was left (its close handler reports it)
    }
  }

  /** Held quorum messages at their limit: republished to the back of the source, then acknowledged. */
  async function keepAtRisk(): Promise<void> {
    let risky = held.filter((h) => h.atRisk);
    if (!risky.length) return;
    const ch2 = await session.openConfirmChannel('move-keep');
    try {
      // The check that the acks took effect takes one more message; if that one is at its limit too, again (bounded).
      for (let round = 0; risky.length > 0 && round < 3; round++) {
        for (const h of risky) {
          const a = h.atRisk!;
          await withTimeout(
            new Promise<void>((res, rej) => {
              ch2.publish('', source, a.content, {
                mandatory: false,
                contentType: a.properties.contentType,
                contentEncoding: a.properties.contentEncoding,
                headers: a.headers,
                deliveryMode: a.properties.deliveryMode,
                priority: a.properties.priority,
                correlationId: a.properties.correlationId,
                replyTo: a.properties.replyTo,
                expiration: a.properties.expiration,
                messageId: a.properties.messageId,
                timestamp: a.properties.timestamp,
                type: a.properties.type,
                userId: a.properties.userId,
                appId: a.properties.appId,
              }, (err) => (err ? rej(err) : res()));
            }),
            session.confirmTimeoutMs,
            () => new RabbitError('TIMEOUT', `No confirm within ${session.confirmTimeoutMs} ms while putting a message back at the end of "${source}".`),
          );
          ch.ack({ fields: { deliveryTag: h.tag } } as Message);
          acked++;
          h.atRisk = undefined;
          h.acked = true;
          r.keptAtBack++;
        }
        const taken = await settleAcks(); // the acks above took effect before the channel closes
        risky = taken?.atRisk ? [taken] : [];
      }
    } catch (e) {
      failure = failure ?? toRabbitError(e, session.errorContext(`keep messages in "${source}"`));
      r.notes.push(`Some messages at the delivery limit of "${source}" could not be put at its back; handing them back passes their limit.`);
    } finally {
      await closeQuietly(ch2, session.closeTimeoutMs);
    }
    if (r.keptAtBack) {
      r.notes.push(`${r.keptAtBack} message(s) of quorum queue "${source}" had used ${limit} of ${limit} deliveries allowed before handing back: they were published again at the back of the queue (their order changed and their delivery count restarts) instead of being dead-lettered or dropped.`);
    }
  }
}

/** Redrive plan: reads the dead-letter queue (nothing is removed), groups messages by origin. */
export async function planRedrive(session: AmqpSession, opts: Omit<MoveOptions, 'destination' | 'dryRun' | 'mode'>): Promise<MoveResult> {
  return moveMessages(session, { ...opts, destination: { kind: 'origin' }, dryRun: true, mode: 'move' });
}

/** Moves dead-lettered messages back to their origins (all groups, or the given ones). */
export async function redrive(session: AmqpSession, opts: Omit<MoveOptions, 'destination' | 'mode'> & { groups?: readonly string[] }): Promise<MoveResult> {
  const { groups, ...rest } = opts;
  return moveMessages(session, { ...rest, destination: { kind: 'origin', groups }, mode: 'move' });
}

function relabel(e: unknown, field: string, message: string): RabbitError {
  if (isRabbitError(e, 'NOT_FOUND')) return new RabbitError('NOT_FOUND', message, { field, replyCode: e.replyCode, brokerText: e.brokerText, hint: 'Choose an existing one, or create it first.' });
  return e instanceof RabbitError ? e : new RabbitError('CHANNEL_CLOSED', String(e));
}

function sleep(ms: number): Promise<void> {
  return new Promise((res) => setTimeout(res, ms));
}
