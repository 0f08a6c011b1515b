/**
 * The broker as an AI agent sees it: one implementation per tool, shared by the editor's language model tools
 * and the stdio MCP server. No `vscode` here: the caller gives a context (connection, clients, settings).
 *
 * Rules every tool keeps:
 * - input is checked against the tool's schema before anything is sent (errors name the field);
 * - results are compact text (tables, `key: value` lines), never raw API dumps;
 * - read-only tools never change what the broker does: peeks follow the Peek command's rules (nothing removed,
 *   quorum delivery attempts spent only with consent, never on read-only connections); message bodies and
 *   headers are shown only when the context allows sharing message contents;
 * - mutating tools run only when the context allows changes and the connection is not read-only, and each one
 *   says beforehand, in one sentence, exactly what it will change.
 */
import { invalidInput, RabbitError } from '../errors';
import type { ManagementClient } from '../management';
import type { BindingInfo, QueueInfo } from '../model';
import { applicablePolicy, assessPeekRisk, decidePeek, describeDeliveryLimit, readDeliveryLimit, type DeliveryCountMemory, type EffectiveDeliveryLimit, type PeekConsent } from '../deliveryLimit';
import { bindExchange, bindQueue, declareExchange, declareQueue, publish, purgeQueue, toAmqpTable, unbindExchange, unbindQueue, type AmqpTable } from '../operations';
import { peekMessages, type StreamOffset } from '../peek';
import { routeMessage } from '../routing';
import type { AmqpSession } from '../session';
import { loadTopology } from '../topology';
import { compactJson, exchangeLabel, fields, rate, table, type Cell } from './format';
import { validateInput, type ObjectSchema, type PropertySchema, type ToolInput } from './schema';

/** What a tool may use: one broker connection and the user's choices. */
export interface AgentToolContext {
  /** Shown in results and errors. */
  connectionName: string;
  /** Every mutating tool is refused on a read-only connection. */
  readOnly: boolean;
  /** Mutating tools run only when this is on (the editor setting, or RABBITMQ_ALLOW_CHANGES=1). */
  allowChanges: boolean;
  /** Message bodies and headers go into results only when this is on; otherwise properties and sizes. */
  shareMessageContents: boolean;
  /** The vhost used when the input names none. */
  defaultVhost: string;
  management(): Promise<ManagementClient>;
  /** The AMQP session of a vhost (opened on first use, reused). */
  session(vhost: string): Promise<AmqpSession>;
  /** Delivery counts the last peeks left, per vhost and queue (quorum delivery limits). */
  deliveryCounts: DeliveryCountMemory;
  signal?: AbortSignal;
}

export interface AgentTool {
  /** The MCP tool name (the editor's tools are `rabbitmq_<name>`). */
  name: string;
  title: string;
  /** What the model reads to decide when to use the tool and how. */
  description: string;
  mutating: boolean;
  inputSchema: ObjectSchema;
  /** Mutating tools: exactly what will change, in one sentence, for the confirmation shown before it runs. */
  describeChange?(input: ToolInput, ctx: AgentToolContext): string;
  run(input: ToolInput, ctx: AgentToolContext): Promise<string>;
}

// ---------------------------------------------------------------------------------------------- input helpers

const VHOST: PropertySchema = { type: 'string', description: 'The vhost, e.g. "/". Default: the connection\'s vhost.', minLength: 1 };
const QUEUE: PropertySchema = { type: 'string', description: 'The queue name (case-sensitive).', minLength: 1 };
const PAGE: PropertySchema = { type: 'integer', description: 'Page number, from 1. Default 1.', minimum: 1 };
const PAGE_SIZE: PropertySchema = { type: 'integer', description: 'Rows per page, 1 to 200. Default 50.', minimum: 1, maximum: 200 };
const NAME_FILTER: PropertySchema = { type: 'string', description: 'Only names containing this text (or matching it, with regex true).' };
const REGEX: PropertySchema = { type: 'boolean', description: 'Treat name as a regular expression. Default false.' };

function schema(properties: Record<string, PropertySchema>, required: string[] = []): ObjectSchema {
  return { type: 'object', properties, ...(required.length ? { required } : {}), additionalProperties: false };
}

const str = (input: ToolInput, k: string): string | undefined => (typeof input[k] === 'string' ? (input[k] as string) : undefined);
const int = (input: ToolInput, k: string): number | undefined => (typeof input[k] === 'number' ? (input[k] as number) : undefined);
const bool = (input: ToolInput, k: string): boolean | undefined => (typeof input[k] === 'boolean' ? (input[k] as boolean) : undefined);
const obj = (input: ToolInput, k: string): Record<string, unknown> | undefined => (typeof input[k] === 'object' ? (input[k] as Record<string, unknown>) : undefined);

function vhostOf(input: ToolInput, ctx: AgentToolContext): string {
  return str(input, 'vhost') ?? ctx.defaultVhost;
}

function table_(field: string, v: Record<string, unknown> | undefined): AmqpTable | undefined {
  toAmqpTable(field, v); // validates, naming the bad key
  return v as AmqpTable | undefined;
}

function nameFilter(input: ToolInput): { name: string; regex?: boolean } | undefined {
  const name = str(input, 'name');
  const regex = bool(input, 'regex');
  if (name === undefined || name === '') {
    if (regex) throw invalidInput('regex', 'needs name', 'Give the expression in name, or leave regex out.');
    return undefined;
  }
  if (regex) {
    // The broker silently matches nothing for an expression it cannot compile.
    try {
      new RegExp(name);
    } catch (e) {
      throw invalidInput('name', `"${name}" is not a valid regular expression (${e instanceof Error ? e.message : String(e)})`, 'Fix the expression, or set regex false to match a plain part of the name.');
    }
  }
  return { name, regex };
}

function pageLine(what: string, p: { page: number; pageCount: number; filteredCount: number; totalCount: number }, shown: number): string {
  const filtered = p.filteredCount !== p.totalCount ? `${p.filteredCount} matching of ${p.totalCount}` : `${p.totalCount} in all`;
  const more = p.page < p.pageCount ? ` More: page=${p.page + 1}.` : '';
  return `${what}: page ${p.pageCount === 0 ? 0 : p.page} of ${p.pageCount} (${shown} shown, ${filtered}).${more}`;
}

const enc = encodeURIComponent;

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const s = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const n = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function ackMode(ackRequired: unknown): string | undefined {
  return ackRequired === true ? 'manual' : ackRequired === false ? 'auto' : undefined;
}

function mb(bytes: number | undefined): string | undefined {
  return bytes === undefined ? undefined : `${Math.round(bytes / 1024 / 1024)} MiB`;
}

/** Dead-letter exchange and key of a queue: its arguments win over its policy's definition. */
function deadLetterOf(q: QueueInfo, policyDef: Json | undefined): { exchange?: string; routingKey?: string } {
  const ax = q.arguments['x-dead-letter-exchange'];
  const ak = q.arguments['x-dead-letter-routing-key'];
  return {
    exchange: typeof ax === 'string' ? ax : s(policyDef?.['dead-letter-exchange']),
    routingKey: typeof ak === 'string' ? ak : s(policyDef?.['dead-letter-routing-key']),
  };
}

// ---------------------------------------------------------------------------------------------- read-only tools

const listVhosts: AgentTool = {
  name: 'list_vhosts',
  title: 'List vhosts',
  description: 'Lists the virtual hosts of the RabbitMQ broker with their message counts (total, ready, unacknowledged) and default queue type. Use it first to find which vhost holds the queues the user asks about.',
  mutating: false,
  inputSchema: schema({}),
  async run(_input, ctx) {
    const vhosts = await (await ctx.management()).listVhosts({ signal: ctx.signal });
    return `Vhosts on ${ctx.connectionName} (${vhosts.length}):\n` + table(
      ['vhost', 'messages', 'ready', 'unacked', 'default queue type', 'description'],
      vhosts.map((v) => [v.name, v.messages, v.messagesReady, v.messagesUnacknowledged, v.defaultQueueType === 'undefined' ? undefined : v.defaultQueueType, v.description]),
    );
  },
};

const SORTS: Record<string, { field: string; reverse: boolean; label: string }> = {
  name: { field: 'name', reverse: false, label: 'by name' },
  depth: { field: 'messages', reverse: true, label: 'by depth, deepest first' },
  consumers: { field: 'consumers', reverse: false, label: 'by consumers, fewest first' },
  growth: { field: 'messages_details.rate', reverse: true, label: 'by growth (messages/s), fastest growing first' },
};
const LIST_TIMEOUT_MS = 30_000;
export const LIST_QUEUE_COLUMNS = ['name', 'type', 'durable', 'auto_delete', 'exclusive', 'policy', 'state', 'messages_ready', 'messages_unacknowledged', 'messages', 'consumers', 'messages_details.rate'];

const listQueues: AgentTool = {
  name: 'list_queues',
  title: 'List queues',
  description: 'Lists the queues of a vhost, one page at a time: type, ready and unacknowledged messages, consumers, growth (change of depth per second) and state. Filter by name (substring, or a regular expression with regex true); sort by depth (deepest first), consumers (fewest first: queues nobody consumes), growth (fastest growing first) or name.',
  mutating: false,
  inputSchema: schema({
    vhost: VHOST,
    name: NAME_FILTER,
    regex: REGEX,
    sortBy: { type: 'string', description: 'depth, consumers, growth or name. Default name.', enum: Object.keys(SORTS) },
    page: PAGE,
    pageSize: PAGE_SIZE,
  }),
  async run(input, ctx) {
    const vhost = vhostOf(input, ctx);
    const sort = SORTS[str(input, 'sortBy') ?? 'name'];
    const p = await (await ctx.management()).listQueues(vhost, {
      page: int(input, 'page') ?? 1,
      pageSize: int(input, 'pageSize') ?? 50,
      filter: nameFilter(input),
      columns: LIST_QUEUE_COLUMNS,
      sort: sort.field,
      sortReverse: sort.reverse,
      // Sorting a vhost of many thousand queues with statistics can take the broker longer than the usual 10 s.
      timeoutMs: LIST_TIMEOUT_MS,
      signal: ctx.signal,
    });
    return `${pageLine(`Queues in vhost "${vhost}", ${sort.label}`, p, p.items.length)}\n` + table(
      ['queue', 'type', 'ready', 'unacked', 'consumers', 'growth/s', 'state'],
      p.items.map((q) => [q.name + (q.exclusive ? ' (exclusive)' : q.autoDelete ? ' (auto-delete)' : ''), q.type, q.messagesReady, q.messagesUnacknowledged, q.consumers, rate(q.messagesRate), q.state]),
    );
  },
};

const listExchanges: AgentTool = {
  name: 'list_exchanges',
  title: 'List exchanges',
  description: 'Lists the exchanges of a vhost, one page at a time: type (direct, fanout, topic, headers or a plugin type), durable, internal, alternate exchange and policy. Filter by name (substring, or a regular expression with regex true).',
  mutating: false,
  inputSchema: schema({ vhost: VHOST, name: NAME_FILTER, regex: REGEX, page: PAGE, pageSize: PAGE_SIZE }),
  async run(input, ctx) {
    const vhost = vhostOf(input, ctx);
    const p = await (await ctx.management()).listExchanges(vhost, {
      page: int(input, 'page') ?? 1,
      pageSize: int(input, 'pageSize') ?? 50,
      filter: nameFilter(input),
      stats: false,
      sort: 'name',
      timeoutMs: LIST_TIMEOUT_MS,
      signal: ctx.signal,
    });
    return `${pageLine(`Exchanges in vhost "${vhost}"`, p, p.items.length)}\n` + table(
      ['exchange', 'type', 'durable', 'internal', 'alternate exchange', 'policy'],
      p.items.map((x) => [exchangeLabel(x.name), x.type, x.durable, x.internal, s(x.arguments['alternate-exchange']), x.policy]),
    );
  },
};

const MAX_BINDINGS = 200;

function bindingRows(list: BindingInfo[]): Cell[][] {
  return list.map((b) => [exchangeLabel(b.source), b.destination, b.destinationType, b.routingKey, Object.keys(b.arguments).length ? compactJson(b.arguments) : undefined]);
}

const listBindings: AgentTool = {
  name: 'list_bindings',
  title: 'List bindings',
  description: 'Lists bindings of a vhost: source exchange, destination (queue or exchange), routing key (binding key) and arguments (headers-exchange conditions). Give queue for the bindings into one queue, or exchange for those out of one exchange (and, with direction "in", those into it from other exchanges); without either, every binding of the vhost (at most 200).',
  mutating: false,
  inputSchema: schema({
    vhost: VHOST,
    queue: { type: 'string', description: 'Only bindings whose destination is this queue.', minLength: 1 },
    exchange: { type: 'string', description: 'Only bindings of this exchange ("" is the default exchange).' },
    direction: { type: 'string', description: 'With exchange: "out" (the exchange is the source, default) or "in" (exchange-to-exchange bindings into it).', enum: ['out', 'in'] },
  }),
  async run(input, ctx) {
    const vhost = vhostOf(input, ctx);
    const queue = str(input, 'queue');
    const exchange = str(input, 'exchange');
    if (queue !== undefined && exchange !== undefined) throw invalidInput('exchange', 'cannot be combined with queue', 'Give either queue or exchange.');
    if (str(input, 'direction') !== undefined && exchange === undefined) throw invalidInput('direction', 'needs exchange', 'Give the exchange whose bindings you want.');
    const client = await ctx.management();
    const o = { signal: ctx.signal };
    let list: BindingInfo[];
    let what: string;
    if (queue !== undefined) {
      list = await client.queueBindings(vhost, queue, o);
      what = `Bindings into queue "${queue}"`;
    } else if (exchange !== undefined) {
      const dir = str(input, 'direction') === 'in' ? 'destination' : 'source';
      list = await client.exchangeBindings(vhost, exchange, dir, o);
      what = dir === 'source' ? `Bindings out of exchange "${exchangeLabel(exchange)}"` : `Bindings into exchange "${exchangeLabel(exchange)}" from other exchanges`;
    } else {
      list = (await client.listBindings(vhost, o)).filter((b) => b.source !== '');
      what = 'Bindings (the default exchange\'s implicit ones left out)';
    }
    const cut = list.length > MAX_BINDINGS ? ` Showing the first ${MAX_BINDINGS}; narrow by queue or exchange.` : '';
    return `${what} in vhost "${vhost}": ${list.length}.${cut}\n` + table(['source', 'destination', 'type', 'routing key', 'arguments'], bindingRows(list.slice(0, MAX_BINDINGS)));
  },
};

interface QueueReport {
  info: QueueInfo;
  raw: Json;
  policyName?: string;
  policyDef?: Json;
  deliveryLimit?: EffectiveDeliveryLimit;
}

async function queueReport(client: ManagementClient, vhost: string, queue: string, signal?: AbortSignal): Promise<QueueReport> {
  const info = await client.getQueue(vhost, queue, { signal });
  const raw = await client.getRaw(`/queues/${enc(vhost)}/${enc(queue)}`, { signal });
  const r = isObj(raw) ? raw : {};
  let policyDef = isObj(r.effective_policy_definition) ? r.effective_policy_definition : undefined;
  let policyName = info.policy;
  if (policyDef && Object.keys(policyDef).length === 0) policyDef = undefined;
  if (!policyDef) {
    const p = applicablePolicy(await client.listPolicies(vhost, false, { signal }), info, info.policy);
    if (p) {
      policyDef = p.definition;
      policyName = p.name;
    }
  }
  const deliveryLimit = info.type === 'quorum' ? await readDeliveryLimit(client, vhost, info) : undefined;
  return { info, raw: r, policyName, policyDef, deliveryLimit };
}

function consumerRows(raw: Json): Cell[][] {
  const list = Array.isArray(raw.consumer_details) ? raw.consumer_details.filter(isObj) : [];
  return list.map((c) => {
    const ch = isObj(c.channel_details) ? c.channel_details : {};
    return [s(c.consumer_tag), s(ch.connection_name) ?? s(ch.peer_host), s(ch.user), n(c.prefetch_count) === 0 ? '0 (unlimited)' : n(c.prefetch_count), ackMode(c.ack_required), c.active === false ? 'no' : 'yes', c.exclusive === true];
  });
}

function queueFacts(r: QueueReport): string {
  const { info, raw, policyName, policyDef } = r;
  const stats = isObj(raw.message_stats) ? raw.message_stats : {};
  const rateOf = (k: string): number | undefined => (isObj(stats[`${k}_details`]) ? n((stats[`${k}_details`] as Json).rate) : undefined);
  const members = Array.isArray(raw.members) ? raw.members.filter((m): m is string => typeof m === 'string') : undefined;
  const online = Array.isArray(raw.online) ? raw.online.filter((m): m is string => typeof m === 'string') : undefined;
  const dl = deadLetterOf(info, policyDef);
  return fields([
    ['queue', info.name],
    ['vhost', info.vhost],
    ['type', info.type],
    ['durable', info.durable],
    ['exclusive', info.exclusive || undefined],
    ['auto-delete', info.autoDelete || undefined],
    ['state', info.state],
    ['messages', info.messages],
    ['ready', info.messagesReady],
    ['unacknowledged', info.messagesUnacknowledged],
    ['consumers', info.consumers],
    ['consumer utilisation', n(raw.consumer_utilisation) ?? n(raw.consumer_capacity)],
    ['growth (messages/s)', rate(info.messagesRate)],
    ['publish rate (/s)', rate(rateOf('publish'))],
    ['deliver rate (/s)', rate(rateOf('deliver_get'))],
    ['ack rate (/s)', rate(rateOf('ack'))],
    ['redeliver rate (/s)', rate(rateOf('redeliver'))],
    ['arguments', Object.keys(info.arguments).length ? compactJson(info.arguments, 400) : undefined],
    ['policy', policyName],
    ['effective policy definition', policyDef ? compactJson(policyDef, 400) : undefined],
    ['dead-letter exchange', dl.exchange !== undefined ? exchangeLabel(dl.exchange) : undefined],
    ['dead-letter routing key', dl.routingKey],
    ['delivery limit', r.deliveryLimit ? describeDeliveryLimit(r.deliveryLimit) : undefined],
    ['node', s(raw.leader) ? undefined : info.node],
    ['leader', s(raw.leader)],
    ['members', members?.join(', ')],
    ['online members', online?.join(', ')],
    ['single active consumer', s(raw.single_active_consumer_tag)],
  ]);
}

const queueDetails: AgentTool = {
  name: 'queue_details',
  title: 'Queue details',
  description: 'Everything about one queue: type, arguments, effective policy, message counts and rates, dead-letter exchange, the delivery limit a quorum queue enforces, leader and members in a cluster, and each consumer with its connection, prefetch count and acknowledgement mode (manual or auto).',
  mutating: false,
  inputSchema: schema({ vhost: VHOST, queue: QUEUE }, ['queue']),
  async run(input, ctx) {
    const vhost = vhostOf(input, ctx);
    const r = await queueReport(await ctx.management(), vhost, str(input, 'queue') ?? '', ctx.signal);
    return `${queueFacts(r)}\n\nConsumers:\n` + table(['consumer tag', 'connection', 'user', 'prefetch', 'ack mode', 'active', 'exclusive'], consumerRows(r.raw));
  },
};

const MAX_AGENT_PEEK = 50;

const peekTool: AgentTool = {
  name: 'peek_messages',
  title: 'Peek messages',
  description: 'Shows the first messages of a queue without removing them (they are received without acknowledgement and handed back, so they stay in order but are marked redelivered; streams are read at an offset). Shows routing key, exchange, properties, size and, when the user allows sharing message contents, headers (including x-death: why and where a message was dead-lettered) and the body, cut to maxBodyChars. On a quorum queue with a delivery limit every peek spends one delivery attempt of each message: it is refused unless consent is "spend", and a peek that would take a message past its limit (dead-lettering or dropping it) needs consent "dead-letter"; ask the user before giving either.',
  mutating: false,
  inputSchema: schema({
    vhost: VHOST,
    queue: QUEUE,
    count: { type: 'integer', description: `How many messages, 1 to ${MAX_AGENT_PEEK}. Default 5.`, minimum: 1, maximum: MAX_AGENT_PEEK },
    maxBodyChars: { type: 'integer', description: 'Longest body text shown per message, 10 to 10000. Default 1000.', minimum: 10, maximum: 10_000 },
    streamOffset: { type: 'string', description: 'Streams only: where to read from: first (default), last, next, or an offset number.' },
    consent: { type: 'string', description: 'Quorum queues with a delivery limit: "spend" accepts spending one delivery attempt per message; "dead-letter" also accepts that messages at their limit are dead-lettered or dropped. Only with the user\'s agreement.', enum: ['spend', 'dead-letter'] },
  }, ['queue']),
  async run(input, ctx) {
    const vhost = vhostOf(input, ctx);
    const queue = str(input, 'queue') ?? '';
    const count = int(input, 'count') ?? 5;
    const maxBodyChars = int(input, 'maxBodyChars') ?? 1000;
    const client = await ctx.management();
    const info = await client.getQueue(vhost, queue, { signal: ctx.signal });
    let streamOffset: StreamOffset | undefined;
    const so = str(input, 'streamOffset');
    if (so !== undefined) {
      if (info.type !== 'stream') throw invalidInput('streamOffset', `only applies to streams; "${queue}" is a ${info.type} queue`, 'Leave streamOffset out.');
      if (so === 'first' || so === 'last' || so === 'next') streamOffset = so;
      else if (/^\d+$/.test(so.trim())) streamOffset = Number(so.trim());
      else throw invalidInput('streamOffset', `must be first, last, next or an offset number (got ${JSON.stringify(so)})`);
    }
    const limit = info.type === 'quorum' ? await readDeliveryLimit(client, vhost, info) : undefined;
    const key = `${vhost}\u0000${queue}`;
    const risk = assessPeekRisk(info.type, limit, count, info.messagesReady ?? count, ctx.deliveryCounts.known(key));
    const decision = decidePeek({ queue, risk, limit, requested: count, readOnly: ctx.readOnly, consent: str(input, 'consent') as PeekConsent | undefined, consentedBefore: false, interactive: false });
    if (decision.action === 'refuse') throw decision.error;
    const session = await ctx.session(vhost);
    const r = await peekMessages(session, queue, { count, queueType: info.type, streamOffset, deliveryLimit: limit, decode: { maxBodyBytes: maxBodyChars * 4, hexBytes: 0 } });
    if (r.quorumDeliveryLimitRisk) ctx.deliveryCounts.record(key, r.quorumDeliveryLimitRisk.countsAfter, r.quorumDeliveryLimitRisk.passedLimit);
    const risk2 = r.quorumDeliveryLimitRisk;
    const head = `Peeked ${r.messages.length} of ${r.messageCountBefore} ready message(s) in ${r.queueType} queue "${queue}" (vhost "${vhost}"). ${r.note}` +
      (risk2 ? ` ${risk2.note}` : '') +
      (ctx.shareMessageContents ? '' : ' Headers and bodies are not shown: the user has not allowed sharing message contents (setting rabbitmq.agent.shareMessageContents).');
    const rows = r.messages.map((m, i) => {
      const p = m.properties;
      const props = compactJson(Object.fromEntries(Object.entries({ ...p, timestamp: p.timestamp?.iso }).filter(([, v]) => v !== undefined)), 300);
      const row: Cell[] = [i + 1, exchangeLabel(m.fields.exchange), m.fields.routingKey, m.fields.redelivered, props, m.body.size];
      if (risk2) row.push(risk2.deliveryCounts[i]);
      if (ctx.shareMessageContents) {
        const xd = m.xDeath?.map((d) => `${d.reason} from queue ${d.queue} via ${exchangeLabel(d.exchange)} (${d.routingKeys.join(',')}) ×${d.count}`).join('; ');
        const headers = { ...m.headers };
        delete headers['x-death'];
        row.push(xd, Object.keys(headers).length ? compactJson(headers, 300) : undefined, bodyText(m.body, maxBodyChars));
      }
      return row;
    });
    const headers = ['#', 'exchange', 'routing key', 'redelivered', 'properties', 'bytes', ...(risk2 ? ['delivery count'] : []), ...(ctx.shareMessageContents ? ['x-death', 'headers', 'body'] : [])];
    return `${head}\n` + tableWithLongCells(headers, rows);
  },
};

function bodyText(b: { kind: string; text?: string; base64: string; size: number }, max: number): string {
  if (b.text === undefined) return `(binary, ${b.size} bytes, base64 ${b.base64.slice(0, Math.min(max, 200))}${b.base64.length > 200 ? '…' : ''})`;
  return b.text.length > max ? `${b.text.slice(0, max)}… (cut at ${max} characters)` : b.text;
}

/** A table whose last cells may be long (bodies): those are not cut to the usual width. */
function tableWithLongCells(headers: string[], rows: Cell[][]): string {
  if (rows.length === 0) return '(no messages)';
  const esc = (c: Cell): string => (c === undefined || c === null || c === '' ? '-' : String(c).replace(/[\r\n]+/g, ' ').replace(/\|/g, '\\|'));
  return [`| ${headers.join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

const testRoute: AgentTool = {
  name: 'test_route',
  title: 'Test a route',
  description: 'Answers "where does a message published to exchange X with routing key K and headers H go, and why", from the vhost\'s real bindings, without publishing anything: every queue it reaches with the chain of bindings (and why each matched: topic pattern, headers match, alternate exchange), or why it is unroutable or refused.',
  mutating: false,
  inputSchema: schema({
    vhost: VHOST,
    exchange: { type: 'string', description: 'The exchange published to; "" is the default exchange (routing key = queue name).' },
    routingKey: { type: 'string', description: 'The routing key. Default "".' },
    headers: { type: 'object', description: 'Message headers (for headers exchanges, CC/BCC), e.g. {"format":"pdf"}.' },
  }, ['exchange']),
  async run(input, ctx) {
    const vhost = vhostOf(input, ctx);
    const exchange = str(input, 'exchange') ?? '';
    const routingKey = str(input, 'routingKey') ?? '';
    const headers = obj(input, 'headers');
    table_('headers', headers);
    const topo = await loadTopology(await ctx.management(), vhost, { signal: ctx.signal });
    const r = routeMessage(topo.snapshot, { exchange, routingKey, headers });
    const lines = [`A message to exchange "${exchangeLabel(exchange)}" with routing key "${routingKey}"${headers ? ` and headers ${compactJson(headers)}` : ''} in vhost "${vhost}":`];
    if (r.refused) lines.push('The broker would REFUSE the publish (channel error).');
    else if (r.unroutable) lines.push('It is UNROUTABLE: no queue gets it (dropped, or returned to a mandatory publisher).');
    else lines.push(`It reaches ${r.queues.length} queue(s)${r.certain ? '' : ' (not certain: an exchange of a plugin type was on the way)'}:`);
    if (r.queues.length) {
      lines.push(table(['queue', 'path'], r.queues.map((q) => [q.queue, q.path.map((h) => `${exchangeLabel(h.exchange)} (${h.exchangeType}) → ${h.to.kind} ${h.to.name}: ${h.reason}`).join(' ⇒ ')])));
    }
    for (const h of r.alternateExchangeHops) lines.push(`Alternate exchange: "${h.from}" matched no binding → "${h.to}" (${h.outcome}).`);
    for (const p of r.problems) lines.push(`${p.severity}: ${p.message}`);
    return lines.join('\n');
  },
};

const explainQueue: AgentTool = {
  name: 'explain_queue',
  title: 'Explain a queue',
  description: 'Explains a queue\'s place in the topology: which exchanges route into it through which bindings (following exchange-to-exchange bindings and alternate exchanges upstream), which queues dead-letter into it (x-dead-letter-exchange / policy), who consumes from it (connections, prefetch, ack mode), and where its own rejected or expired messages go.',
  mutating: false,
  inputSchema: schema({ vhost: VHOST, queue: QUEUE }, ['queue']),
  async run(input, ctx) {
    const vhost = vhostOf(input, ctx);
    const queue = str(input, 'queue') ?? '';
    const client = await ctx.management();
    const r = await queueReport(client, vhost, queue, ctx.signal);
    const topo = await loadTopology(client, vhost, { signal: ctx.signal });
    const policies = await client.listPolicies(vhost, false, { signal: ctx.signal });
    const lines: string[] = [`Queue "${queue}" (${r.info.type}) in vhost "${vhost}": ${r.info.messagesReady ?? '?'} ready, ${r.info.messagesUnacknowledged ?? '?'} unacked, ${r.info.consumers ?? '?'} consumer(s).`];

    // Upstream: exchanges that reach the queue, breadth-first over exchange-to-exchange bindings.
    const into = topo.bindings.filter((b) => b.destinationType === 'queue' && b.destination === queue && b.source !== '');
    lines.push(`\nRoutes in: the default exchange with routing key "${queue}", and ${into.length} binding(s):`);
    lines.push(table(['from exchange', 'type', 'binding key', 'arguments'], into.map((b) => [b.source, topo.exchanges.find((x) => x.name === b.source)?.type, b.routingKey, Object.keys(b.arguments).length ? compactJson(b.arguments) : undefined])));
    const reaching = new Set(into.map((b) => b.source));
    const frontier = [...reaching];
    const upstream: Cell[][] = [];
    while (frontier.length && upstream.length < 100) {
      const x = frontier.shift() ?? '';
      for (const b of topo.bindings) {
        if (b.destinationType === 'exchange' && b.destination === x && !reaching.has(b.source)) {
          reaching.add(b.source);
          frontier.push(b.source);
          upstream.push([b.source, x, `binding key "${b.routingKey}"`]);
        }
      }
      for (const e of topo.exchanges) {
        if (e.arguments['alternate-exchange'] === x && !reaching.has(e.name)) {
          reaching.add(e.name);
          frontier.push(e.name);
          upstream.push([e.name, x, 'alternate exchange (unroutable messages)']);
        }
      }
    }
    if (upstream.length) lines.push('\nFurther upstream:\n' + table(['exchange', 'forwards to', 'how'], upstream));

    // Dead-letter sources: queues whose dead-letter exchange reaches this queue.
    const dlSources: Cell[][] = [];
    for (const q of topo.queues) {
      if (q.name === queue) continue;
      const pol = applicablePolicy(policies, q, undefined);
      const dl = deadLetterOf(q, pol?.definition);
      if (dl.exchange === undefined) continue;
      const hit = dl.exchange === '' ? dl.routingKey === queue : reaching.has(dl.exchange);
      if (hit) dlSources.push([q.name, exchangeLabel(dl.exchange), dl.routingKey ?? '(the message\'s own routing key)', q.arguments['x-dead-letter-exchange'] !== undefined ? 'queue argument' : `policy ${pol?.name}`]);
    }
    lines.push(`\nQueues that dead-letter into it (rejected, expired, over length or past a delivery limit): ${dlSources.length}`);
    if (dlSources.length) lines.push(table(['queue', 'dead-letter exchange', 'dead-letter key', 'set by'], dlSources));

    lines.push(`\nConsumers: ${r.info.consumers ?? 0}`);
    const consumers = consumerRows(r.raw);
    if (consumers.length) lines.push(table(['consumer tag', 'connection', 'user', 'prefetch', 'ack mode', 'active', 'exclusive'], consumers));

    const own = deadLetterOf(r.info, r.policyDef);
    if (own.exchange !== undefined) {
      const route = routeMessage(topo.snapshot, { exchange: own.exchange, routingKey: own.routingKey ?? '' });
      const key = own.routingKey !== undefined ? `routing key "${own.routingKey}"` : 'the message\'s original routing key';
      lines.push(`\nIts own dead letters go to exchange "${exchangeLabel(own.exchange)}" with ${key}` + (own.routingKey !== undefined ? `, reaching: ${route.queues.map((q) => q.queue).join(', ') || 'no queue (they are lost)'}.` : '.'));
    } else lines.push('\nIt has no dead-letter exchange: rejected or expired messages are dropped.');
    if (r.deliveryLimit) lines.push(`Quorum ${describeDeliveryLimit(r.deliveryLimit)}.`);
    const ttl = r.info.arguments['x-message-ttl'] ?? r.policyDef?.['message-ttl'];
    if (ttl !== undefined) lines.push(`Message TTL: ${String(ttl)} ms.`);
    const maxLen = r.info.arguments['x-max-length'] ?? r.policyDef?.['max-length'];
    if (maxLen !== undefined) lines.push(`Max length: ${String(maxLen)} (overflow ${String(r.info.arguments['x-overflow'] ?? r.policyDef?.overflow ?? 'drop-head')}).`);
    return lines.join('\n');
  },
};

const brokerOverview: AgentTool = {
  name: 'broker_overview',
  title: 'Broker overview',
  description: 'The broker\'s health at a glance: RabbitMQ and Erlang versions, cluster name, nodes (running, memory and disk alarms, memory and disk use), totals of connections, channels, queues and messages, message rates, the busiest connections, and deprecated features in use (where the broker reports them).',
  mutating: false,
  inputSchema: schema({}),
  async run(_input, ctx) {
    const client = await ctx.management();
    const o = { signal: ctx.signal };
    const ov = await client.getRaw('/overview', o);
    const ovj = isObj(ov) ? ov : {};
    const totals = isObj(ovj.object_totals) ? ovj.object_totals : {};
    const qt = isObj(ovj.queue_totals) ? ovj.queue_totals : {};
    const ms = isObj(ovj.message_stats) ? ovj.message_stats : {};
    const r = (k: string): string | undefined => (isObj(ms[`${k}_details`]) ? rate(n((ms[`${k}_details`] as Json).rate)) : undefined);
    const lines = [fields([
      ['connection', ctx.connectionName],
      ['RabbitMQ', s(ovj.rabbitmq_version) ?? s(ovj.product_version)],
      ['Erlang', s(ovj.erlang_version)],
      ['cluster', s(ovj.cluster_name)],
      ['connections', n(totals.connections)],
      ['channels', n(totals.channels)],
      ['queues', n(totals.queues)],
      ['exchanges', n(totals.exchanges)],
      ['consumers', n(totals.consumers)],
      ['messages', n(qt.messages)],
      ['ready', n(qt.messages_ready)],
      ['unacknowledged', n(qt.messages_unacknowledged)],
      ['publish rate (/s)', r('publish')],
      ['deliver rate (/s)', r('deliver_get')],
    ])];
    const nodes = await client.getRaw('/nodes', o);
    const nodeRows = (Array.isArray(nodes) ? nodes.filter(isObj) : []).map((nd) => {
      const alarms = [nd.mem_alarm === true ? 'memory' : '', nd.disk_free_alarm === true ? 'disk' : ''].filter(Boolean).join(', ');
      return [s(nd.name), nd.running === false ? 'no' : 'yes', alarms || 'none', mb(n(nd.mem_used)) && `${mb(n(nd.mem_used))} of ${mb(n(nd.mem_limit))}`, mb(n(nd.disk_free)) && `${mb(n(nd.disk_free))} (limit ${mb(n(nd.disk_free_limit))})`, n(nd.fd_used) !== undefined ? `${n(nd.fd_used)}/${n(nd.fd_total)}` : undefined];
    });
    lines.push('\nNodes:\n' + table(['node', 'running', 'alarms', 'memory', 'disk free', 'file descriptors'], nodeRows));
    const conns = await client.getRaw('/connections?page=1&page_size=10&sort=channels&sort_reverse=true&columns=name,user,vhost,state,channels,client_properties.product,client_properties.connection_name', o);
    const cj = isObj(conns) ? conns : {};
    const items = Array.isArray(cj.items) ? cj.items.filter(isObj) : [];
    lines.push(`\nConnections (${n(cj.total_count) ?? items.length} in all; up to 10 with the most channels):\n` + table(
      ['connection', 'user', 'vhost', 'state', 'channels', 'client'],
      items.map((c) => {
        const cp = isObj(c.client_properties) ? c.client_properties : {};
        return [s(cp.connection_name) ?? s(c.name), s(c.user), s(c.vhost), s(c.state), n(c.channels), s(cp.product)];
      }),
    ));
    try {
      const used = await client.getRaw('/deprecated-features/used', o);
      const list = Array.isArray(used) ? used.filter(isObj) : [];
      lines.push(`\nDeprecated features in use: ${list.length === 0 ? 'none' : ''}` + (list.length ? '\n' + table(['feature', 'phase', 'description'], list.map((f) => [s(f.name), s(f.deprecation_phase), s(f.description)])) : ''));
    } catch (e) {
      if (!(e instanceof RabbitError && (e.code === 'NOT_FOUND' || e.code === 'MANAGEMENT_UNAVAILABLE'))) throw e;
      lines.push('\nDeprecated features in use: not reported by this broker version (the API exists from RabbitMQ 3.13).');
    }
    return lines.join('\n');
  },
};

// ---------------------------------------------------------------------------------------------- mutating tools

const ARGS: PropertySchema = { type: 'object', description: 'AMQP arguments, e.g. {"x-dead-letter-exchange":"dlx"}.' };

const publishTool: AgentTool = {
  name: 'publish_message',
  title: 'Publish a message',
  description: 'Publishes one message to an exchange with a routing key (mandatory: an unroutable message is reported, not silently dropped), with publisher confirms. Changes the broker: the message is added to every queue it routes to.',
  mutating: true,
  inputSchema: schema({
    vhost: VHOST,
    exchange: { type: 'string', description: 'The exchange; "" is the default exchange (routing key = queue name).' },
    routingKey: { type: 'string', description: 'The routing key. Default "".' },
    body: { type: 'string', description: 'The message body (UTF-8 text, e.g. JSON).' },
    contentType: { type: 'string', description: 'e.g. application/json.' },
    headers: { type: 'object', description: 'Message headers, e.g. {"x-retry":1}.' },
    persistent: { type: 'boolean', description: 'Delivery mode 2 (kept across broker restarts in durable queues). Default true.' },
  }, ['exchange', 'body']),
  describeChange(input, ctx) {
    const body = str(input, 'body') ?? '';
    return `Publish one message (${Buffer.byteLength(body)} bytes${str(input, 'contentType') ? `, ${str(input, 'contentType')}` : ''}) to exchange "${exchangeLabel(str(input, 'exchange') ?? '')}" with routing key "${str(input, 'routingKey') ?? ''}" in vhost "${vhostOf(input, ctx)}" on ${ctx.connectionName}.`;
  },
  async run(input, ctx) {
    const vhost = vhostOf(input, ctx);
    const headers = table_('headers', obj(input, 'headers'));
    const exchange = str(input, 'exchange') ?? '';
    const routingKey = str(input, 'routingKey') ?? '';
    const res = await publish(await ctx.session(vhost), { exchange, routingKey, body: str(input, 'body') ?? '', contentType: str(input, 'contentType'), headers, persistent: bool(input, 'persistent') ?? true, mandatory: true });
    return res.routed
      ? `Published ${res.size} bytes to exchange "${exchangeLabel(exchange)}" with routing key "${routingKey}" in vhost "${vhost}"; the broker confirmed it and routed it to at least one queue.`
      : `Published ${res.size} bytes to exchange "${exchangeLabel(exchange)}" with routing key "${routingKey}" in vhost "${vhost}", but it was UNROUTABLE: no queue matched, the broker returned it (nothing was stored).`;
  },
};

const declareQueueTool: AgentTool = {
  name: 'declare_queue',
  title: 'Declare a queue',
  description: 'Declares (creates) a durable queue: classic, quorum or stream, with optional arguments (dead-letter exchange, TTL, max length, delivery limit …). A queue that already exists with the same settings is left as it is; one with other settings is an error (the broker does not change queues).',
  mutating: true,
  inputSchema: schema({
    vhost: VHOST,
    name: { type: 'string', description: 'The queue name.', minLength: 1 },
    type: { type: 'string', description: 'classic (default), quorum or stream.', enum: ['classic', 'quorum', 'stream'] },
    arguments: ARGS,
  }, ['name']),
  describeChange(input, ctx) {
    const a = obj(input, 'arguments');
    return `Create durable ${str(input, 'type') ?? 'classic'} queue "${str(input, 'name')}" in vhost "${vhostOf(input, ctx)}" on ${ctx.connectionName}${a && Object.keys(a).length ? ` with arguments ${compactJson(a)}` : ''} (nothing changes if it exists with the same settings).`;
  },
  async run(input, ctx) {
    const vhost = vhostOf(input, ctx);
    const name = str(input, 'name') ?? '';
    const type = (str(input, 'type') ?? 'classic') as 'classic' | 'quorum' | 'stream';
    const r = await declareQueue(await ctx.session(vhost), { name, type, durable: true, arguments: table_('arguments', obj(input, 'arguments')) });
    return `Queue "${r.queue}" (${type}, durable) is declared in vhost "${vhost}": ${r.messageCount} message(s), ${r.consumerCount} consumer(s).`;
  },
};

const declareExchangeTool: AgentTool = {
  name: 'declare_exchange',
  title: 'Declare an exchange',
  description: 'Declares (creates) a durable exchange of type direct, fanout, topic or headers (or a plugin type), optionally internal or with an alternate exchange. One that exists with the same settings is left as it is; other settings are an error.',
  mutating: true,
  inputSchema: schema({
    vhost: VHOST,
    name: { type: 'string', description: 'The exchange name (not starting with "amq.").', minLength: 1 },
    type: { type: 'string', description: 'direct, fanout, topic, headers, or a plugin type such as x-delayed-message.', minLength: 1 },
    internal: { type: 'boolean', description: 'Only other exchanges can publish to it. Default false.' },
    alternateExchange: { type: 'string', description: 'Where messages that match no binding go.' },
    arguments: ARGS,
  }, ['name', 'type']),
  describeChange(input, ctx) {
    const ae = str(input, 'alternateExchange');
    return `Create durable ${str(input, 'type')} exchange "${str(input, 'name')}"${bool(input, 'internal') ? ' (internal)' : ''}${ae ? ` with alternate exchange "${ae}"` : ''} in vhost "${vhostOf(input, ctx)}" on ${ctx.connectionName} (nothing changes if it exists with the same settings).`;
  },
  async run(input, ctx) {
    const vhost = vhostOf(input, ctx);
    const name = str(input, 'name') ?? '';
    await declareExchange(await ctx.session(vhost), { name, type: str(input, 'type') ?? '', durable: true, internal: bool(input, 'internal'), alternateExchange: str(input, 'alternateExchange'), arguments: table_('arguments', obj(input, 'arguments')) });
    return `Exchange "${name}" (${str(input, 'type')}, durable) is declared in vhost "${vhost}".`;
  },
};

const BIND_SCHEMA = schema({
  vhost: VHOST,
  source: { type: 'string', description: 'The source exchange.', minLength: 1 },
  destination: { type: 'string', description: 'The queue (or exchange, with destinationType "exchange") that receives.', minLength: 1 },
  destinationType: { type: 'string', description: 'queue (default) or exchange.', enum: ['queue', 'exchange'] },
  routingKey: { type: 'string', description: 'The binding key (topic patterns use * and #). Default "".' },
  arguments: { type: 'object', description: 'Binding arguments, e.g. headers conditions {"x-match":"all","format":"pdf"}.' },
}, ['source', 'destination']);

function bindingText(input: ToolInput, ctx: AgentToolContext): string {
  const a = obj(input, 'arguments');
  return `exchange "${str(input, 'source')}" → ${str(input, 'destinationType') ?? 'queue'} "${str(input, 'destination')}" with binding key "${str(input, 'routingKey') ?? ''}"${a && Object.keys(a).length ? ` and arguments ${compactJson(a)}` : ''} in vhost "${vhostOf(input, ctx)}" on ${ctx.connectionName}`;
}

async function runBind(input: ToolInput, ctx: AgentToolContext, unbind: boolean): Promise<string> {
  const vhost = vhostOf(input, ctx);
  const session = await ctx.session(vhost);
  const opts = { source: str(input, 'source') ?? '', destination: str(input, 'destination') ?? '', routingKey: str(input, 'routingKey') ?? '', arguments: table_('arguments', obj(input, 'arguments')) };
  const toExchange = str(input, 'destinationType') === 'exchange';
  if (unbind) await (toExchange ? unbindExchange : unbindQueue)(session, opts);
  else await (toExchange ? bindExchange : bindQueue)(session, opts);
  return `${unbind ? 'Removed' : 'Added'} the binding ${bindingText(input, ctx)}.`;
}

const bindTool: AgentTool = {
  name: 'bind',
  title: 'Bind',
  description: 'Adds a binding from an exchange to a queue (or to another exchange) with a binding key and optional arguments. Binding twice is harmless.',
  mutating: true,
  inputSchema: BIND_SCHEMA,
  describeChange: (input, ctx) => `Add the binding ${bindingText(input, ctx)}.`,
  run: (input, ctx) => runBind(input, ctx, false),
};

const unbindTool: AgentTool = {
  name: 'unbind',
  title: 'Unbind',
  description: 'Removes a binding from an exchange to a queue (or to another exchange); source, destination, binding key and arguments must match the binding exactly.',
  mutating: true,
  inputSchema: BIND_SCHEMA,
  describeChange: (input, ctx) => `Remove the binding ${bindingText(input, ctx)}: messages stop flowing that way.`,
  run: (input, ctx) => runBind(input, ctx, true),
};

const purgeTool: AgentTool = {
  name: 'purge_queue',
  title: 'Purge a queue',
  description: 'Deletes every ready message of a queue (unacknowledged ones stay with their consumers). Cannot be undone.',
  mutating: true,
  inputSchema: schema({ vhost: VHOST, queue: QUEUE }, ['queue']),
  describeChange: (input, ctx) => `Delete every ready message of queue "${str(input, 'queue')}" in vhost "${vhostOf(input, ctx)}" on ${ctx.connectionName}; this cannot be undone.`,
  async run(input, ctx) {
    const vhost = vhostOf(input, ctx);
    const queue = str(input, 'queue') ?? '';
    const count = await purgeQueue(await ctx.session(vhost), queue);
    return `Purged queue "${queue}" in vhost "${vhost}": ${count} message(s) deleted.`;
  },
};

export const READ_ONLY_TOOLS: readonly AgentTool[] = [listVhosts, listQueues, listExchanges, listBindings, queueDetails, peekTool, testRoute, explainQueue, brokerOverview];
export const MUTATING_TOOLS: readonly AgentTool[] = [publishTool, declareQueueTool, declareExchangeTool, bindTool, unbindTool, purgeTool];
export const AGENT_TOOLS: readonly AgentTool[] = [...READ_ONLY_TOOLS, ...MUTATING_TOOLS];

export function agentTool(name: string): AgentTool {
  const t = AGENT_TOOLS.find((x) => x.name === name);
  if (!t) throw invalidInput('tool', `"${name}" is not a RabbitMQ tool`, `The tools are: ${AGENT_TOOLS.map((x) => x.name).join(', ')}.`);
  return t;
}

/** Refuses a mutating tool when changes are not allowed or the connection is read-only. */
export function assertMayChange(tool: AgentTool, ctx: AgentToolContext): void {
  if (!tool.mutating) return;
  if (!ctx.allowChanges) {
    throw new RabbitError('READ_ONLY', `${tool.name} changes the broker, and changes are not allowed.`, { hint: 'The user can allow them (setting rabbitmq.agent.allowChanges in the editor, RABBITMQ_ALLOW_CHANGES=1 for the MCP server).' });
  }
  if (ctx.readOnly) {
    throw new RabbitError('READ_ONLY', `Connection "${ctx.connectionName}" is read-only: ${tool.name} is refused.`, { hint: 'Use a connection that is not read-only to change the broker.' });
  }
}

/** Validates the input (naming the field at fault), checks the tool may run, and runs it. */
export async function runAgentTool(tool: AgentTool, rawInput: unknown, ctx: AgentToolContext): Promise<string> {
  const input = validateInput(tool.inputSchema, rawInput);
  assertMayChange(tool, ctx);
  return tool.run(input, ctx);
}

/** The confirmation text of a mutating tool, after validating its input. */
export function describeAgentChange(tool: AgentTool, rawInput: unknown, ctx: AgentToolContext): string | undefined {
  if (!tool.describeChange) return undefined;
  return tool.describeChange(validateInput(tool.inputSchema, rawInput), ctx);
}
