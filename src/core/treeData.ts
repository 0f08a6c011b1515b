/**
 * The data behind the explorer tree, without any editor code (so it can be tested and benchmarked in
 * plain Node). One broker request per page, filtered by the broker, with only the columns the tree shows;
 * rows are compact (no vhost, no raw JSON, empty argument objects shared, repeated strings interned).
 */
import { invalidInput } from './errors';
import type { ExchangeBindingSide, ManagementClient, RequestOptions } from './management';
import type { BindingInfo, ExchangeInfo, QueueInfo, QueueType } from './model';

export const QUEUE_ROW_COLUMNS = [
  'name', 'type', 'durable', 'auto_delete', 'exclusive', 'arguments', 'policy', 'node', 'state',
  'messages_ready', 'messages_unacknowledged', 'consumers',
];
export const EXCHANGE_ROW_COLUMNS = ['name', 'type', 'durable', 'auto_delete', 'internal', 'arguments'];

export interface NameFilter {
  name: string;
  regex?: boolean;
}

export interface PageRequest extends RequestOptions {
  /** 1-based. */
  page: number;
  pageSize: number;
  filter?: NameFilter;
  /** false → the broker skips statistics (consumer counts may then be missing). */
  stats: boolean;
}

export interface RowPage<T> {
  rows: T[];
  page: number;
  pageCount: number;
  /** Items matching the filter. */
  filteredCount: number;
  /** Items in the vhost. */
  totalCount: number;
  hasMore: boolean;
}

/** Flags packed in one small integer. */
export const RowFlag = { Durable: 1, AutoDelete: 2, Exclusive: 4, Internal: 8 } as const;

export interface QueueRow {
  readonly name: string;
  readonly type: QueueType;
  readonly flags: number;
  /** undefined when the queue has no x-arguments. */
  readonly args?: Readonly<Record<string, unknown>>;
  readonly policy?: string;
  readonly node?: string;
  readonly state?: string;
  readonly ready?: number;
  readonly unacked?: number;
  readonly consumers?: number;
}

export interface ExchangeRow {
  readonly name: string;
  readonly type: string;
  readonly flags: number;
  readonly args?: Readonly<Record<string, unknown>>;
}

export interface BindingRow {
  readonly source: string;
  readonly destination: string;
  readonly destinationType: 'queue' | 'exchange';
  readonly routingKey: string;
  readonly args?: Readonly<Record<string, unknown>>;
  readonly propertiesKey: string;
}

/** One page of queues for the tree, sorted by name. */
export async function loadQueuePage(client: ManagementClient, vhost: string, req: PageRequest): Promise<RowPage<QueueRow>> {
  const page = await client.listQueues(vhost, {
    page: req.page,
    pageSize: req.pageSize,
    filter: req.filter,
    stats: req.stats,
    columns: QUEUE_ROW_COLUMNS,
    sort: 'name',
    timeoutMs: req.timeoutMs,
    signal: req.signal,
  });
  const intern = new Interner();
  return {
    rows: page.items.map((q) => toQueueRow(q, intern)),
    page: page.page,
    pageCount: page.pageCount,
    filteredCount: page.filteredCount,
    totalCount: page.totalCount,
    hasMore: page.page < page.pageCount,
  };
}

/** One page of exchanges for the tree, sorted by name. */
export async function loadExchangePage(client: ManagementClient, vhost: string, req: PageRequest): Promise<RowPage<ExchangeRow>> {
  const page = await client.listExchanges(vhost, {
    page: req.page,
    pageSize: req.pageSize,
    filter: req.filter,
    stats: false, // exchanges carry only rates as statistics, which the tree does not show
    columns: EXCHANGE_ROW_COLUMNS,
    sort: 'name',
    timeoutMs: req.timeoutMs,
    signal: req.signal,
  });
  return {
    rows: page.items.map(toExchangeRow),
    page: page.page,
    pageCount: page.pageCount,
    filteredCount: page.filteredCount,
    totalCount: page.totalCount,
    hasMore: page.page < page.pageCount,
  };
}

/** Bindings into a queue (including the default exchange's implicit one), sorted by source. */
export async function loadQueueBindings(client: ManagementClient, vhost: string, queue: string, opts?: RequestOptions): Promise<BindingRow[]> {
  const list = await client.queueBindings(vhost, queue, opts);
  return list.map(toBindingRow).sort((a, b) => cmp(a.source, b.source) || cmp(a.routingKey, b.routingKey));
}

/** Outgoing bindings of an exchange (to queues and exchanges), sorted by destination. */
export async function loadExchangeBindings(client: ManagementClient, vhost: string, exchange: string, side: ExchangeBindingSide = 'source', opts?: RequestOptions): Promise<BindingRow[]> {
  const list = await client.exchangeBindings(vhost, exchange, side, opts);
  return list.map(toBindingRow).sort((a, b) => cmp(a.destinationType, b.destinationType) || cmp(a.destination, b.destination) || cmp(a.routingKey, b.routingKey));
}

export function toQueueRow(q: QueueInfo, intern: Interner = new Interner()): QueueRow {
  const row: { -readonly [K in keyof QueueRow]: QueueRow[K] } = {
    name: q.name,
    type: q.type,
    flags: (q.durable ? RowFlag.Durable : 0) | (q.autoDelete ? RowFlag.AutoDelete : 0) | (q.exclusive ? RowFlag.Exclusive : 0),
  };
  const args = compactArgs(q.arguments, 'x-queue-type');
  if (args) row.args = args;
  if (q.policy) row.policy = intern.get(q.policy);
  if (q.node) row.node = intern.get(q.node);
  if (q.state) row.state = intern.get(q.state);
  if (q.messagesReady !== undefined) row.ready = q.messagesReady;
  if (q.messagesUnacknowledged !== undefined) row.unacked = q.messagesUnacknowledged;
  if (q.consumers !== undefined) row.consumers = q.consumers;
  return row;
}

export function toExchangeRow(x: ExchangeInfo): ExchangeRow {
  const row: { -readonly [K in keyof ExchangeRow]: ExchangeRow[K] } = {
    name: x.name,
    type: x.type,
    flags: (x.durable ? RowFlag.Durable : 0) | (x.autoDelete ? RowFlag.AutoDelete : 0) | (x.internal ? RowFlag.Internal : 0),
  };
  const args = compactArgs(x.arguments);
  if (args) row.args = args;
  return row;
}

export function toBindingRow(b: BindingInfo): BindingRow {
  const row: { -readonly [K in keyof BindingRow]: BindingRow[K] } = {
    source: b.source,
    destination: b.destination,
    destinationType: b.destinationType,
    routingKey: b.routingKey,
    propertiesKey: b.propertiesKey,
  };
  const args = compactArgs(b.arguments);
  if (args) row.args = args;
  return row;
}

/** The default exchange ('') and the broker's amq.* exchanges. */
export function isBuiltinExchange(name: string): boolean {
  return name === '' || name.startsWith('amq.');
}

/** Reads a filter typed by a user: "/expr/" is a regular expression, anything else a substring. */
export function parseFilterText(text: string): NameFilter | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  const m = /^\/(.+)\/$/.exec(t);
  return m ? { name: m[1], regex: true } : { name: t };
}

/**
 * Checks a filter before it is sent. The broker silently matches nothing for an expression it cannot
 * compile, so an expression JavaScript cannot compile either is refused here, naming the field.
 */
export function checkFilter(f: NameFilter): NameFilter {
  if (typeof f.name !== 'string' || f.name === '') throw invalidInput('filter.name', 'is empty', 'Clear the filter instead.');
  if (f.regex) {
    try {
      new RegExp(f.name);
    } catch (e) {
      throw invalidInput('filter.name', `"${f.name}" is not a valid regular expression (${e instanceof Error ? e.message : String(e)})`, 'Fix the expression, or filter by a plain part of the name.');
    }
  }
  return f;
}

/** The inverse of parseFilterText, for showing a filter. */
export function formatFilter(f: NameFilter): string {
  return f.regex ? `/${f.name}/` : f.name;
}

/** Shares equal strings (node names, states, policies) between the rows of one page. */
export class Interner {
  private readonly map = new Map<string, string>();
  get(s: string): string {
    const found = this.map.get(s);
    if (found !== undefined) return found;
    this.map.set(s, s);
    return s;
  }
}

function compactArgs(args: Record<string, unknown>, ...drop: string[]): Record<string, unknown> | undefined {
  const keys = Object.keys(args);
  if (keys.length === 0 || keys.every((k) => drop.includes(k))) return undefined;
  if (drop.length === 0) return args;
  const out: Record<string, unknown> = {};
  for (const k of keys) if (!drop.includes(k)) out[k] = args[k];
  return out;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Appends a freshly loaded page to what is shown, leaving out items already shown (same key). Pages are read
 * by offset from a live list: when an item is created before the offset, the next page starts with an item
 * the previous page already had. Duplicates inside `next` are dropped too; order is kept.
 */
export function appendUnique<T>(shown: readonly T[], next: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const list of [shown, next]) {
    for (const item of list) {
      const k = key(item);
      if (seen.has(k)) continue;
      seen.add(k);
      out.push(item);
    }
  }
  return out;
}
