/**
 * Normalized shapes of what the management API reports. Statistics may be missing (stats disabled,
 * metrics collection off, a queue that just started): such fields stay `undefined`, never 0.
 */

export type QueueType = 'classic' | 'quorum' | 'stream';

export interface QueueInfo {
  vhost: string;
  name: string;
  type: QueueType;
  durable: boolean;
  autoDelete: boolean;
  exclusive: boolean;
  arguments: Record<string, unknown>;
  policy?: string;
  node?: string;
  /** running, idle, down, crashed, flow, minority … as the broker says. */
  state?: string;
  messagesReady?: number;
  messagesUnacknowledged?: number;
  messages?: number;
  consumers?: number;
  /** Bytes. */
  memory?: number;
  /** Change of `messages` per second over the broker's sample window (column messages_details.rate). */
  messagesRate?: number;
}

export interface ExchangeInfo {
  vhost: string;
  name: string;
  /** direct, fanout, topic, headers, or a plugin type (x-delayed-message …). */
  type: string;
  durable: boolean;
  autoDelete: boolean;
  internal: boolean;
  arguments: Record<string, unknown>;
  /** The policy applied to it, when the broker reports one. */
  policy?: string;
  /** The default exchange (name ''). */
  isDefault: boolean;
  /** amq.* exchanges created by the broker. */
  isBuiltin: boolean;
}

export interface BindingInfo {
  vhost: string;
  /** Source exchange; '' is the default exchange. */
  source: string;
  destination: string;
  destinationType: 'queue' | 'exchange';
  routingKey: string;
  arguments: Record<string, unknown>;
  /** The broker's id of this binding among those with the same source and destination (needed to delete it over HTTP). */
  propertiesKey: string;
}

export interface VhostInfo {
  name: string;
  description?: string;
  tags: string[];
  defaultQueueType?: string;
  messages?: number;
  messagesReady?: number;
  messagesUnacknowledged?: number;
}

export interface Overview {
  rabbitmqVersion: string;
  managementVersion: string;
  clusterName: string;
  erlangVersion?: string;
}

export interface WhoAmI {
  name: string;
  tags: string[];
}

/** One page of a broker-paginated list. `page` is 1-based; `pageCount` is 0 when nothing matches. */
export interface Page<T> {
  items: T[];
  page: number;
  pageCount: number;
  pageSize: number;
  /** Items matching the filter (all pages). */
  filteredCount: number;
  /** Items in the vhost before filtering. */
  totalCount: number;
}

/** Permissions of one user on one vhost (regular expressions over resource names). */
export interface Permissions {
  configure: string;
  write: string;
  read: string;
}

/** A vhost's settings as GET /api/vhosts/{name} reports them. */
export interface VhostSettings {
  name: string;
  description: string;
  tags: string[];
  defaultQueueType?: string;
  /** The firehose tracer (amq.rabbitmq.trace) is on. */
  tracing: boolean;
}

/** A policy or an operator policy. */
export interface PolicyInfo {
  vhost: string;
  name: string;
  /** Regular expression over object names. */
  pattern: string;
  /** all, queues, exchanges (4.x also classic_queues, quorum_queues, streams). */
  applyTo: string;
  priority: number;
  definition: Record<string, unknown>;
  operator: boolean;
}

/** The major version of a RabbitMQ version string ("4.0.5" → 4), or undefined when it is not known. */
export function brokerMajor(version: string | undefined): number | undefined {
  const major = Number.parseInt((version ?? '').split('.')[0] ?? '', 10);
  return Number.isFinite(major) ? major : undefined;
}

/**
 * A queue's arguments without the implicit `x-queue-type: classic` that RabbitMQ 4.x reports for every classic
 * queue, whether or not the declare gave a type (3.x reports only what the declare sent, so on 3.x, or when the
 * version is unknown, nothing is left out). For showing and comparing arguments; code that re-declares the queue
 * may keep the entry, as 4.x fills it in anyway.
 */
export function withoutImplicitQueueType(args: Record<string, unknown>, brokerVersion: string | undefined): Record<string, unknown> {
  if ((brokerMajor(brokerVersion) ?? 0) < 4 || args['x-queue-type'] !== 'classic') return args;
  const rest = { ...args };
  delete rest['x-queue-type'];
  return rest;
}
