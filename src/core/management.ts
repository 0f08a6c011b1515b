/**
 * Client for the RabbitMQ management HTTP API (plugin `rabbitmq_management`).
 *
 * - Node's built-in fetch (keep-alive global agent); node:http(s) only when the profile's TLS options
 *   need a custom agent (CA file, skip verification) or the port is one fetch refuses to use.
 * - Every request has a timeout (default 10 s) and may take an AbortSignal.
 * - vhost and object names are always URL-encoded ("/" is %2F).
 * - Every failure is a RabbitError whose message says what happened and what to do, never the password.
 */
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { invalidInput, RabbitError } from './errors';
import type {
  BindingInfo,
  ExchangeInfo,
  Overview,
  Page,
  Permissions,
  PolicyInfo,
  QueueInfo,
  QueueType,
  VhostInfo,
  VhostSettings,
  WhoAmI,
} from './model';
import type { Credentials, ResolvedProfile } from './profile';

export const DEFAULT_MANAGEMENT_TIMEOUT_MS = 10_000;
export const MAX_PAGE_SIZE = 500;
export const DEFAULT_PAGE_SIZE = 100;

export interface ManagementClientOptions {
  /** Per-request timeout in ms (default 10 000). */
  timeoutMs?: number;
}

export interface RequestOptions {
  /** Overrides the client's timeout for this request. */
  timeoutMs?: number;
  /** Cancels the request; the error is RabbitError('CANCELLED'). */
  signal?: AbortSignal;
}

export interface ListOptions extends RequestOptions {
  /** 1-based page number (default 1). */
  page?: number;
  /** 1…500 (default 100). */
  pageSize?: number;
  /** Filter answered by the broker: a substring of the name, or a regular expression with `regex: true`. */
  filter?: { name: string; regex?: boolean };
  /** false → `disable_stats=true&enable_queue_totals=true` (much faster; message counts stay when the broker has them). Default true. */
  stats?: boolean;
  /** Broker field names to return (`columns=`); defaults to the fields the normalized model needs. */
  columns?: string[];
  /** Broker field to sort on, e.g. 'name' or 'messages'. */
  sort?: string;
  sortReverse?: boolean;
}

export type ExchangeBindingSide = 'source' | 'destination';

/** What a request is about, so a 404 can say what was not found. */
type Subject =
  | { kind: 'none' }
  | { kind: 'vhost'; vhost: string }
  | { kind: 'queue'; vhost: string; name: string }
  | { kind: 'exchange'; vhost: string; name: string }
  | { kind: 'user'; name: string };

const QUEUE_COLUMNS = [
  'vhost', 'name', 'type', 'durable', 'auto_delete', 'exclusive', 'arguments', 'policy', 'node', 'state',
  'messages_ready', 'messages_unacknowledged', 'messages', 'consumers', 'memory',
];
const EXCHANGE_COLUMNS = ['vhost', 'name', 'type', 'durable', 'auto_delete', 'internal', 'arguments', 'policy'];

interface RawResponse {
  status: number;
  contentType: string;
  text: string;
}

type Json = Record<string, unknown>;

export class ManagementClient {
  readonly baseUrl: string;
  private readonly authorization: string;
  private readonly timeoutMs: number;
  private readonly nodeAgent?: http.Agent;
  /** Set when fetch cannot be used (custom TLS, or a port fetch refuses). */
  private useNodeHttp: boolean;

  constructor(
    private readonly resolved: ResolvedProfile,
    credentials: Credentials,
    options: ManagementClientOptions = {},
  ) {
    if (!credentials.username) throw invalidInput('username', 'is empty', 'Enter the user name for the management API.');
    const timeoutMs = options.timeoutMs ?? DEFAULT_MANAGEMENT_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw invalidInput('timeoutMs', 'must be a positive number of milliseconds');
    this.timeoutMs = timeoutMs;
    this.baseUrl = resolved.management.baseUrl;
    this.authorization = 'Basic ' + Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64');
    const tls = resolved.profile.tls;
    const needsTlsAgent = resolved.management.protocol === 'https' && (tls?.caFile !== undefined || tls?.insecureSkipVerify === true);
    if (needsTlsAgent) {
      let ca: Buffer | undefined;
      if (tls?.caFile) {
        try {
          ca = readFileSync(tls.caFile);
        } catch (e) {
          throw new RabbitError('INVALID_INPUT', `tls.caFile: cannot read "${tls.caFile}" (${(e as NodeJS.ErrnoException).code ?? String(e)}).`, {
            field: 'tls.caFile',
            hint: 'Choose a readable PEM file with the CA certificate(s).',
            cause: e,
          });
        }
      }
      this.nodeAgent = new https.Agent({ keepAlive: true, ca, rejectUnauthorized: !tls?.insecureSkipVerify });
    } else {
      this.nodeAgent = resolved.management.protocol === 'https' ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
    }
    this.useNodeHttp = needsTlsAgent;
  }

  /** Closes idle keep-alive sockets of the node:http(s) agent (fetch's global agent needs nothing). */
  dispose(): void {
    this.nodeAgent?.destroy();
  }

  // ---------------------------------------------------------------- broker & user

  async overview(opts?: RequestOptions): Promise<Overview> {
    const o = await this.getJson<Json>(
      '/overview?columns=rabbitmq_version,product_version,management_version,cluster_name,erlang_version',
      { kind: 'none' },
      opts,
    );
    const rabbitmqVersion = str(o.rabbitmq_version) ?? str(o.product_version);
    if (!rabbitmqVersion) throw this.badResponse('/api/overview has no rabbitmq_version');
    return {
      rabbitmqVersion,
      managementVersion: str(o.management_version) ?? rabbitmqVersion,
      clusterName: str(o.cluster_name) ?? '',
      erlangVersion: str(o.erlang_version),
    };
  }

  /** The broker's RabbitMQ version, e.g. "3.10.8". */
  async version(opts?: RequestOptions): Promise<string> {
    return (await this.overview(opts)).rabbitmqVersion;
  }

  async whoami(opts?: RequestOptions): Promise<WhoAmI> {
    const o = await this.getJson<Json>('/whoami', { kind: 'none' }, opts);
    return { name: str(o.name) ?? '', tags: tagList(o.tags) };
  }

  async listVhosts(opts?: RequestOptions): Promise<VhostInfo[]> {
    const list = await this.getJson<unknown>(
      '/vhosts?columns=name,description,tags,default_queue_type,messages,messages_ready,messages_unacknowledged',
      { kind: 'none' },
      opts,
    );
    return this.array(list, '/api/vhosts').map((v) => ({
      name: str(v.name) ?? '',
      description: str(v.description) || undefined,
      tags: tagList(v.tags),
      defaultQueueType: str(v.default_queue_type),
      messages: num(v.messages),
      messagesReady: num(v.messages_ready),
      messagesUnacknowledged: num(v.messages_unacknowledged),
    }));
  }

  // ---------------------------------------------------------------- lists

  async listQueues(vhost: string, opts: ListOptions = {}): Promise<Page<QueueInfo>> {
    checkVhost(vhost);
    const page = await this.getPage(`/queues/${enc(vhost)}`, vhost, QUEUE_COLUMNS, opts);
    return { ...page, items: page.items.map((q) => toQueue(q, vhost)) };
  }

  async listExchanges(vhost: string, opts: ListOptions = {}): Promise<Page<ExchangeInfo>> {
    checkVhost(vhost);
    const page = await this.getPage(`/exchanges/${enc(vhost)}`, vhost, EXCHANGE_COLUMNS, opts);
    return { ...page, items: page.items.map((x) => toExchange(x, vhost)) };
  }

  /** Every binding in a vhost (the broker does not paginate this endpoint). */
  async listBindings(vhost: string, opts?: RequestOptions): Promise<BindingInfo[]> {
    checkVhost(vhost);
    const list = await this.getJson<unknown>(`/bindings/${enc(vhost)}`, { kind: 'vhost', vhost }, opts);
    return this.array(list, 'bindings').map((b) => toBinding(b, vhost));
  }

  /** Bindings whose destination is this queue (including the default exchange's implicit one). */
  async queueBindings(vhost: string, queue: string, opts?: RequestOptions): Promise<BindingInfo[]> {
    checkVhost(vhost);
    checkName('queue', queue);
    const subject: Subject = { kind: 'queue', vhost, name: queue };
    const list = this.array(await this.getJson<unknown>(`/queues/${enc(vhost)}/${enc(queue)}/bindings`, subject, opts), 'bindings')
      .map((b) => toBinding(b, vhost));
    // The broker answers a missing queue with its would-be default binding: confirm the queue exists.
    if (list.length <= 1) await this.getJson(`/queues/${enc(vhost)}/${enc(queue)}?columns=name`, subject, opts);
    return list;
  }

  /** Bindings where this exchange is the source (outgoing) or the destination (exchange-to-exchange, incoming). */
  async exchangeBindings(vhost: string, exchange: string, side: ExchangeBindingSide, opts?: RequestOptions): Promise<BindingInfo[]> {
    checkVhost(vhost);
    if (typeof exchange !== 'string') throw invalidInput('exchange', 'must be a string');
    if (side !== 'source' && side !== 'destination') throw invalidInput('side', `"${String(side)}" is not "source" or "destination"`);
    const subject: Subject = { kind: 'exchange', vhost, name: exchange };
    const path = `/exchanges/${enc(vhost)}/${exchangeSegment(exchange)}`;
    const list = this.array(await this.getJson<unknown>(`${path}/bindings/${side}`, subject, opts), 'bindings').map((b) => toBinding(b, vhost));
    // The broker answers a missing exchange with []: confirm the exchange exists.
    if (list.length === 0) await this.getJson(`${path}?columns=name`, subject, opts);
    return list;
  }

  // ---------------------------------------------------------------- single objects

  async getQueue(vhost: string, name: string, opts?: RequestOptions): Promise<QueueInfo> {
    checkVhost(vhost);
    checkName('queue', name);
    const q = await this.getJson<Json>(`/queues/${enc(vhost)}/${enc(name)}?columns=${QUEUE_COLUMNS.join(',')}`, { kind: 'queue', vhost, name }, opts);
    return toQueue(this.object(q, 'queue'), vhost);
  }

  /** `name` '' is the default exchange. */
  async getExchange(vhost: string, name: string, opts?: RequestOptions): Promise<ExchangeInfo> {
    checkVhost(vhost);
    if (typeof name !== 'string') throw invalidInput('exchange', 'must be a string');
    const x = await this.getJson<Json>(`/exchanges/${enc(vhost)}/${exchangeSegment(name)}?columns=${EXCHANGE_COLUMNS.join(',')}`, { kind: 'exchange', vhost, name }, opts);
    return toExchange(this.object(x, 'exchange'), vhost);
  }

  /**
   * GET of an API path as the broker answers it, not normalized: for reports that need fields the model does
   * not carry (consumer details, nodes, alarms). `path` starts with "/" and has its names encoded already.
   */
  async getRaw(path: string, opts?: RequestOptions): Promise<unknown> {
    if (typeof path !== 'string' || !path.startsWith('/')) throw invalidInput('path', 'must start with "/"');
    return this.getJson<unknown>(path, { kind: 'none' }, opts);
  }

  // ---------------------------------------------------------------- admin helpers

  async createVhost(name: string, settings: { description?: string; tags?: string[]; defaultQueueType?: QueueType } = {}, opts?: RequestOptions): Promise<void> {
    checkVhost(name);
    const body: Json = {};
    if (settings.description !== undefined) body.description = settings.description;
    if (settings.tags !== undefined) body.tags = settings.tags.join(',');
    if (settings.defaultQueueType !== undefined) body.default_queue_type = settings.defaultQueueType;
    await this.send('PUT', `/vhosts/${enc(name)}`, { kind: 'vhost', vhost: name }, body, opts);
  }

  /** Deletes a vhost and everything in it. A vhost that does not exist is NOT_FOUND. */
  async deleteVhost(name: string, opts?: RequestOptions): Promise<void> {
    checkVhost(name);
    await this.send('DELETE', `/vhosts/${enc(name)}`, { kind: 'vhost', vhost: name }, undefined, opts);
  }

  /** Grants `user` permissions on `vhost` (default: everything). */
  async setPermissions(vhost: string, user: string, permissions: Permissions = { configure: '.*', write: '.*', read: '.*' }, opts?: RequestOptions): Promise<void> {
    checkVhost(vhost);
    checkName('user', user);
    for (const k of ['configure', 'write', 'read'] as const) {
      if (typeof permissions[k] !== 'string') throw invalidInput(`permissions.${k}`, 'must be a regular expression string ("" for none, ".*" for all)');
    }
    await this.send('PUT', `/permissions/${enc(vhost)}/${enc(user)}`, { kind: 'vhost', vhost }, permissions, opts);
  }

  /** One vhost's settings, including whether the firehose tracer is on. */
  async getVhost(name: string, opts?: RequestOptions): Promise<VhostSettings> {
    checkVhost(name);
    const v = this.object(await this.getJson<unknown>(`/vhosts/${enc(name)}`, { kind: 'vhost', vhost: name }, opts), 'vhost');
    const meta = isObject(v.metadata) ? v.metadata : {};
    return {
      name: str(v.name) ?? name,
      description: str(v.description) ?? str(meta.description) ?? '',
      tags: tagList(v.tags ?? meta.tags),
      defaultQueueType: str(v.default_queue_type) ?? str(meta.default_queue_type),
      tracing: v.tracing === true,
    };
  }

  /**
   * Switches the firehose tracer (`amq.rabbitmq.trace`) of a vhost on or off. The broker's PUT replaces the
   * vhost's description and tags, so the current ones are sent back with it. Needs the "administrator" tag.
   */
  async setVhostTracing(name: string, tracing: boolean, opts?: RequestOptions): Promise<void> {
    if (typeof tracing !== 'boolean') throw invalidInput('tracing', 'must be true or false');
    const current = await this.getVhost(name, opts);
    const body: Json = { tracing, description: current.description, tags: current.tags.join(',') };
    if (current.defaultQueueType === 'classic' || current.defaultQueueType === 'quorum' || current.defaultQueueType === 'stream') {
      body.default_queue_type = current.defaultQueueType;
    }
    await this.send('PUT', `/vhosts/${enc(name)}`, { kind: 'vhost', vhost: name }, body, opts);
  }

  /** The policies of a vhost (`operator: true`: the operator policies, which need more rights to read). */
  async listPolicies(vhost: string, operator = false, opts?: RequestOptions): Promise<PolicyInfo[]> {
    checkVhost(vhost);
    const list = await this.getJson<unknown>(`/${operator ? 'operator-policies' : 'policies'}/${enc(vhost)}`, { kind: 'vhost', vhost }, opts);
    return this.array(list, 'policies').map((p) => ({
      vhost: str(p.vhost) ?? vhost,
      name: str(p.name) ?? '',
      pattern: str(p.pattern) ?? '',
      applyTo: str(p['apply-to']) ?? 'all',
      priority: num(p.priority) ?? 0,
      definition: args(p.definition),
      operator,
    }));
  }

  // ---------------------------------------------------------------- permissions and shovels

  /**
   * A user's permissions in a vhost. Undefined: none granted. Null: this user may not read permissions (only
   * administrators may), so they are unknown.
   */
  async userPermissions(vhost: string, user: string, opts?: RequestOptions): Promise<Permissions | undefined | null> {
    checkVhost(vhost);
    try {
      const o = this.object(await this.getJson<unknown>(`/permissions/${enc(vhost)}/${enc(user)}`, { kind: 'none' }, opts), 'permissions');
      return { configure: str(o.configure) ?? '', write: str(o.write) ?? '', read: str(o.read) ?? '' };
    } catch (e) {
      if (e instanceof RabbitError && e.code === 'NOT_FOUND') return undefined;
      if (e instanceof RabbitError && (e.code === 'ACCESS_REFUSED' || e.code === 'AUTH_FAILED')) return null;
      throw e;
    }
  }

  /** Whether the shovel management plugin answers (without it, GET /api/shovels has no handler: HTTP 404 or 406). */
  async hasShovelPlugin(opts?: RequestOptions): Promise<boolean> {
    try {
      await this.getJson<unknown>('/shovels?columns=name', { kind: 'none' }, opts);
      return true;
    } catch (e) {
      if (e instanceof RabbitError && (e.code === 'NOT_FOUND' || (e.code === 'MANAGEMENT_UNAVAILABLE' && (e.httpStatus === 404 || e.httpStatus === 406)))) return false;
      throw e;
    }
  }

  /** Creates a dynamic shovel (a runtime parameter of component "shovel"). */
  async putShovel(vhost: string, name: string, value: Record<string, unknown>, opts?: RequestOptions): Promise<void> {
    checkVhost(vhost);
    await this.send('PUT', `/parameters/shovel/${enc(vhost)}/${enc(name)}`, { kind: 'vhost', vhost }, { vhost, component: 'shovel', name, value }, opts);
  }

  /** Whether a dynamic shovel's parameter still exists (a shovel with src-delete-after removes it when done). */
  async shovelExists(vhost: string, name: string, opts?: RequestOptions): Promise<boolean> {
    checkVhost(vhost);
    try {
      await this.getJson<unknown>(`/parameters/shovel/${enc(vhost)}/${enc(name)}`, { kind: 'none' }, opts);
      return true;
    } catch (e) {
      if (e instanceof RabbitError && e.code === 'NOT_FOUND') return false;
      throw e;
    }
  }

  /** The state of a dynamic shovel as the plugin reports it (running, starting, terminated …), if listed. */
  async shovelState(vhost: string, name: string, opts?: RequestOptions): Promise<{ state: string; reason?: string } | undefined> {
    checkVhost(vhost);
    const list = this.array(await this.getJson<unknown>(`/shovels/${enc(vhost)}`, { kind: 'vhost', vhost }, opts), 'shovels');
    const s = list.find((x) => x.name === name);
    if (!s) return undefined;
    return { state: str(s.state) ?? 'unknown', reason: str(s.reason) };
  }

  /** Removes a dynamic shovel (no error when it is already gone). */
  async deleteShovel(vhost: string, name: string, opts?: RequestOptions): Promise<void> {
    checkVhost(vhost);
    try {
      await this.send('DELETE', `/parameters/shovel/${enc(vhost)}/${enc(name)}`, { kind: 'none' }, undefined, opts);
    } catch (e) {
      if (!(e instanceof RabbitError && e.code === 'NOT_FOUND')) throw e;
    }
  }

  // ---------------------------------------------------------------- plumbing

  private async getPage(path: string, vhost: string, defaultColumns: string[], opts: ListOptions): Promise<Page<Json>> {
    const page = opts.page ?? 1;
    if (!Number.isInteger(page) || page < 1) throw invalidInput('page', `${String(page)} is not a whole number ≥ 1`, 'Pages are numbered from 1.');
    const pageSize = opts.pageSize ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      throw invalidInput('pageSize', `${String(pageSize)} is not between 1 and ${MAX_PAGE_SIZE}`, `The management API returns at most ${MAX_PAGE_SIZE} items per page.`);
    }
    const q = new URLSearchParams({ page: String(page), page_size: String(pageSize) });
    if (opts.filter !== undefined) {
      if (typeof opts.filter.name !== 'string') throw invalidInput('filter.name', 'must be a string');
      if (opts.filter.name !== '') {
        q.set('name', opts.filter.name);
        if (opts.filter.regex) q.set('use_regex', 'true');
      }
    }
    if (opts.stats === false) {
      q.set('disable_stats', 'true');
      q.set('enable_queue_totals', 'true');
    }
    const columns = opts.columns ?? defaultColumns;
    if (!Array.isArray(columns) || columns.some((c) => typeof c !== 'string' || !/^[\w.]+$/.test(c))) {
      throw invalidInput('columns', 'must be broker field names such as "name" or "message_stats.publish"');
    }
    if (columns.length > 0) q.set('columns', columns.join(','));
    if (opts.sort !== undefined) {
      if (typeof opts.sort !== 'string' || !/^[\w.]+$/.test(opts.sort)) throw invalidInput('sort', 'must be a broker field name such as "name" or "messages"');
      q.set('sort', opts.sort);
      if (opts.sortReverse) q.set('sort_reverse', 'true');
    }
    const o = this.object(await this.getJson<unknown>(`${path}?${q.toString()}`, { kind: 'vhost', vhost }, opts, { page, filter: opts.filter }), 'page');
    if (!Array.isArray(o.items)) throw this.badResponse(`${path} did not answer with a page (no "items")`);
    return {
      items: o.items.filter(isObject),
      page: num(o.page) ?? page,
      pageCount: num(o.page_count) ?? 0,
      pageSize: num(o.page_size) ?? pageSize,
      filteredCount: num(o.filtered_count) ?? o.items.length,
      totalCount: num(o.total_count) ?? num(o.filtered_count) ?? o.items.length,
    };
  }

  private async getJson<T>(path: string, subject: Subject, opts?: RequestOptions, listCtx?: ListContext): Promise<T> {
    return (await this.send('GET', path, subject, undefined, opts, listCtx)) as T;
  }

  private array(value: unknown, what: string): Json[] {
    if (!Array.isArray(value)) throw this.badResponse(`expected a list of ${what}`);
    return value.filter(isObject);
  }

  private object(value: unknown, what: string): Json {
    if (!isObject(value)) throw this.badResponse(`expected a ${what} object`);
    return value;
  }

  private badResponse(detail: string): RabbitError {
    return new RabbitError('BAD_RESPONSE', `The management API at ${this.baseUrl} gave an unexpected answer: ${detail}.`, {
      hint: 'Check that the URL points at the RabbitMQ management API.',
    });
  }

  private async send(method: string, path: string, subject: Subject, body: unknown, opts?: RequestOptions, listCtx?: ListContext): Promise<unknown> {
    const url = `${this.baseUrl}/api${path}`;
    const timeoutMs = opts?.timeoutMs ?? this.timeoutMs;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw invalidInput('timeoutMs', 'must be a positive number of milliseconds');
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = opts?.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
    const headers: Record<string, string> = { authorization: this.authorization, accept: 'application/json' };
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) headers['content-type'] = 'application/json';

    let res: RawResponse;
    try {
      res = await this.transport(method, url, headers, payload, signal);
    } catch (e) {
      throw this.transportError(e, method, path, timeout, timeoutMs, opts?.signal);
    }
    return this.interpret(res, method, path, subject, opts, listCtx);
  }

  private async transport(method: string, url: string, headers: Record<string, string>, body: string | undefined, signal: AbortSignal): Promise<RawResponse> {
    if (!this.useNodeHttp) {
      try {
        const r = await fetch(url, { method, headers, body, signal });
        return { status: r.status, contentType: r.headers.get('content-type') ?? '', text: await r.text() };
      } catch (e) {
        // fetch refuses some ports outright ("bad port"); node:http has no such list.
        if (causeOf(e)?.message !== 'bad port') throw e;
        this.useNodeHttp = true;
      }
    }
    return nodeRequest(method, url, headers, body, signal, this.nodeAgent);
  }

  private transportError(e: unknown, method: string, path: string, timeout: AbortSignal, timeoutMs: number, userSignal?: AbortSignal): RabbitError {
    const where = `the management API at ${this.baseUrl}`;
    if (timeout.aborted) {
      return new RabbitError('TIMEOUT', `${method} /api${path.split('?')[0]}: ${where} did not answer within ${formatMs(timeoutMs)}.`, {
        hint: 'Check that the broker is up and not overloaded, or raise the timeout.',
        cause: e,
      });
    }
    if (userSignal?.aborted) return new RabbitError('CANCELLED', `${method} /api${path.split('?')[0]} was cancelled.`, { cause: e });
    const cause = causeOf(e);
    const code = cause?.code ?? '';
    const host = `${this.resolved.management.hostname}:${this.resolved.management.port}`;
    if (code === 'ECONNREFUSED') {
      return new RabbitError('UNREACHABLE', `Cannot connect to ${where}: connection refused on ${host}.`, {
        hint: 'Check that RabbitMQ is running and the management plugin is on (rabbitmq-plugins enable rabbitmq_management), and that the port is right (15672 by default, 15671 with TLS).',
        cause: e,
      });
    }
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') {
      return new RabbitError('UNREACHABLE', `Cannot resolve the host name "${this.resolved.management.hostname}" of ${where}.`, {
        hint: 'Check the host name in the management URL and your DNS/network.',
        cause: e,
      });
    }
    if (/^HPE_/.test(code) || code === 'ERR_SSL_WRONG_VERSION_NUMBER') {
      return new RabbitError('MANAGEMENT_UNAVAILABLE', `${host} did not answer like an HTTP${code.startsWith('ERR_SSL') ? 'S' : ''} server (${code}).`, {
        hint: 'Is this the management port? The management API listens on 15672 (15671 with TLS), not the AMQP port 5672; check http:// vs https://.',
        cause: e,
      });
    }
    if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) {
      return new RabbitError('UNREACHABLE', `TLS connection to ${where} failed: ${cause?.message ?? code}.`, {
        hint: 'Set a CA file for this connection, or check the certificate\'s host name.',
        cause: e,
      });
    }
    const detail = cause?.message || (e instanceof Error ? e.message : String(e));
    return new RabbitError('UNREACHABLE', `Cannot reach ${where} (${code || detail}).`, {
      hint: 'Check that RabbitMQ is running with the management plugin on (rabbitmq-plugins enable rabbitmq_management) and that host and port are right.',
      cause: e,
    });
  }

  private async interpret(res: RawResponse, method: string, path: string, subject: Subject, opts: RequestOptions | undefined, listCtx?: ListContext): Promise<unknown> {
    const op = `${method} /api${path.split('?')[0]}`;
    let json: unknown;
    let isJson = false;
    const trimmed = res.text.trim();
    if (trimmed !== '') {
      try {
        json = JSON.parse(trimmed);
        isJson = true;
      } catch {
        isJson = false;
      }
    }
    const looksHtml = /html/i.test(res.contentType) || /^<(!doctype|html|head|body)/i.test(trimmed);
    const { error: brokerError, reason: brokerReason } = isJson && isObject(json) ? { error: str(json.error), reason: str(json.reason) } : { error: undefined, reason: undefined };
    const brokerText = brokerReason ?? brokerError;
    const said = brokerText ? ` The broker said: "${brokerText}".` : '';

    if (res.status >= 200 && res.status < 300) {
      if (trimmed === '') return undefined;
      if (isJson) return json;
      if (looksHtml) throw this.notTheApi(res.status, op);
      throw new RabbitError('BAD_RESPONSE', `${op}: the answer from ${this.baseUrl} is not JSON (${res.contentType || 'no content type'}).`, {
        httpStatus: res.status,
        hint: 'Is this the management port? Check the management URL.',
      });
    }
    // An error answer that is not the API's JSON: something else is listening (proxy, web server, another app).
    if (!isJson && res.status !== 401 && res.status < 500) throw this.notTheApi(res.status, op);

    const opts2 = { httpStatus: res.status, brokerText };
    switch (res.status) {
      case 401: {
        if (brokerText && /not (a )?management user|not administrator|not monitoring|not policymaker|not authori[sz]ed to access|access refused/i.test(brokerText)) {
          throw this.accessRefused(op, subject, brokerText, res.status);
        }
        throw new RabbitError('AUTH_FAILED', `${op}: the management API at ${this.baseUrl} refused the login (HTTP 401).${said}`, {
          ...opts2,
          hint: 'Check user name and password for this connection.',
        });
      }
      case 403:
        throw this.accessRefused(op, subject, brokerText, res.status);
      case 404:
        throw await this.notFound(op, subject, brokerText, opts);
      case 400:
        if (listCtx && brokerError === 'page_out_of_range') {
          throw new RabbitError('INVALID_INPUT', `page: ${listCtx.page} is past the last page.${said}`, { ...opts2, field: 'page', hint: 'Ask for page 1 again; the list may have shrunk.' });
        }
        if (listCtx?.filter?.regex && (brokerError === 'bad_request' || /regex|pagination/i.test(brokerText ?? ''))) {
          throw new RabbitError('INVALID_INPUT', `filter.name: "${listCtx.filter.name}" is not a regular expression the broker accepts.${said}`, {
            ...opts2,
            field: 'filter.name',
            hint: 'Fix the expression, or turn regular expressions off to match a plain substring.',
          });
        }
        throw new RabbitError('HTTP_ERROR', `${op}: the broker rejected the request (HTTP 400).${said}`, { ...opts2, hint: 'Check the values sent.' });
      default:
        if (res.status >= 500) {
          throw new RabbitError('HTTP_ERROR', `${op}: the management API failed with HTTP ${res.status}.${said}`, {
            ...opts2,
            hint: 'Check the RabbitMQ server log; retry once the node is healthy.',
          });
        }
        throw new RabbitError('HTTP_ERROR', `${op}: the management API answered HTTP ${res.status}.${said}`, { ...opts2, hint: 'Check the request and the broker log.' });
    }
  }

  private notTheApi(status: number, op: string): RabbitError {
    return new RabbitError('MANAGEMENT_UNAVAILABLE', `${op}: ${this.baseUrl} answered with a web page or other non-JSON content (HTTP ${status}), not the RabbitMQ management API.`, {
      httpStatus: status,
      hint: 'Is this the management port? Use the base URL of the management plugin, e.g. http://host:15672 (with its path prefix if behind a proxy), and check the plugin is enabled (rabbitmq-plugins enable rabbitmq_management).',
    });
  }

  private accessRefused(op: string, subject: Subject, brokerText: string | undefined, status: number): RabbitError {
    const said = brokerText ? ` The broker said: "${brokerText}".` : '';
    const vhost = 'vhost' in subject ? subject.vhost : undefined;
    let hint: string;
    if (brokerText && /not (a )?management user/i.test(brokerText)) {
      hint = 'Give the user the "management" tag (or monitoring/administrator): rabbitmqctl set_user_tags <user> management.';
    } else if (brokerText && /not administrator|policymaker|monitoring/i.test(brokerText)) {
      hint = 'This action needs a user with a higher tag (e.g. "administrator"); use such a user or ask the broker admin.';
    } else if (vhost !== undefined) {
      hint = `Grant the user permissions on vhost "${vhost}" (rabbitmqctl set_permissions -p '${vhost}' <user> '.*' '.*' '.*'), and make sure it has the "management" tag.`;
    } else {
      hint = 'The user needs the "management" tag and permissions on the vhost.';
    }
    return new RabbitError('ACCESS_REFUSED', `${op}: access refused${vhost !== undefined ? ` on vhost "${vhost}"` : ''} (HTTP ${status}).${said}`, {
      httpStatus: status,
      brokerText,
      hint,
    });
  }

  private async notFound(op: string, subject: Subject, brokerText: string | undefined, opts?: RequestOptions): Promise<RabbitError> {
    const o = { httpStatus: 404, brokerText };
    const vhostMissing = async (vhost: string): Promise<boolean> => {
      try {
        await this.getJson(`/vhosts/${enc(vhost)}?columns=name`, { kind: 'none' }, opts);
        return false;
      } catch (e) {
        return e instanceof RabbitError && e.code === 'NOT_FOUND';
      }
    };
    const noVhost = (vhost: string) =>
      new RabbitError('NOT_FOUND', `Vhost "${vhost}" does not exist.`, { ...o, hint: 'Refresh the list of vhosts, or check the vhost name (it is case-sensitive).' });
    switch (subject.kind) {
      case 'vhost':
        return noVhost(subject.vhost);
      case 'queue':
        if (await vhostMissing(subject.vhost)) return noVhost(subject.vhost);
        return new RabbitError('NOT_FOUND', `Queue "${subject.name}" does not exist in vhost "${subject.vhost}".`, { ...o, hint: 'It may have been deleted (auto-delete or exclusive queues go away with their consumer/connection); refresh the list.' });
      case 'exchange':
        if (await vhostMissing(subject.vhost)) return noVhost(subject.vhost);
        return new RabbitError('NOT_FOUND', `Exchange "${subject.name}" does not exist in vhost "${subject.vhost}".`, { ...o, hint: 'It may have been deleted; refresh the list.' });
      case 'user':
        return new RabbitError('NOT_FOUND', `User "${subject.name}" does not exist.`, { ...o, hint: 'Check the user name.' });
      default:
        return new RabbitError('NOT_FOUND', `${op}: not found on ${this.baseUrl} (HTTP 404).`, { ...o, hint: 'Check the management URL and the broker version.' });
    }
  }
}

interface ListContext {
  page: number;
  filter?: { name: string; regex?: boolean };
}

// ---------------------------------------------------------------- helpers

function enc(name: string): string {
  return encodeURIComponent(name);
}

/** The default exchange '' is addressed as "amq.default" in API paths. */
function exchangeSegment(name: string): string {
  return name === '' ? 'amq.default' : enc(name);
}

function checkVhost(vhost: unknown): void {
  if (typeof vhost !== 'string' || vhost === '') throw invalidInput('vhost', 'is empty', 'Pick a vhost; the default one is "/".');
}

function checkName(field: string, name: unknown): void {
  if (typeof name !== 'string' || name === '') throw invalidInput(field, 'is empty');
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function bool(v: unknown): boolean {
  return v === true;
}

function args(v: unknown): Record<string, unknown> {
  return isObject(v) ? v : {};
}

function tagList(v: unknown): string[] {
  if (Array.isArray(v)) return v.filter((t): t is string => typeof t === 'string' && t !== '');
  if (typeof v === 'string') return v.split(',').map((t) => t.trim()).filter((t) => t !== '');
  return [];
}

function causeOf(e: unknown): { code?: string; message?: string } | undefined {
  if (!e || typeof e !== 'object') return undefined;
  const c = (e as { cause?: unknown }).cause;
  if (c && typeof c === 'object') return c as { code?: string; message?: string };
  return e as { code?: string; message?: string };
}

function formatMs(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

function queueType(q: Json): QueueType {
  const t = str(q.type) ?? str(args(q.arguments)['x-queue-type']);
  return t === 'quorum' || t === 'stream' ? t : 'classic';
}

export function toQueue(q: Json, vhost: string): QueueInfo {
  return {
    vhost: str(q.vhost) ?? vhost,
    name: str(q.name) ?? '',
    type: queueType(q),
    durable: bool(q.durable),
    autoDelete: bool(q.auto_delete),
    exclusive: bool(q.exclusive),
    arguments: args(q.arguments),
    policy: str(q.policy) || undefined,
    node: str(q.node),
    state: str(q.state),
    messagesReady: num(q.messages_ready),
    messagesUnacknowledged: num(q.messages_unacknowledged),
    messages: num(q.messages),
    consumers: num(q.consumers),
    memory: num(q.memory),
    messagesRate: isObject(q.messages_details) ? num(q.messages_details.rate) : undefined,
  };
}

export function toExchange(x: Json, vhost: string): ExchangeInfo {
  const name = str(x.name) ?? '';
  return {
    vhost: str(x.vhost) ?? vhost,
    name,
    type: str(x.type) ?? 'direct',
    durable: bool(x.durable),
    autoDelete: bool(x.auto_delete),
    internal: bool(x.internal),
    arguments: args(x.arguments),
    policy: str(x.policy) || undefined,
    isDefault: name === '',
    isBuiltin: name.startsWith('amq.'),
  };
}

export function toBinding(b: Json, vhost: string): BindingInfo {
  return {
    vhost: str(b.vhost) ?? vhost,
    source: str(b.source) ?? '',
    destination: str(b.destination) ?? '',
    destinationType: b.destination_type === 'exchange' ? 'exchange' : 'queue',
    routingKey: str(b.routing_key) ?? '',
    arguments: args(b.arguments),
    propertiesKey: str(b.properties_key) ?? '',
  };
}

/** node:http(s) request with the same result shape as fetch; used for custom TLS or ports fetch refuses. */
function nodeRequest(method: string, url: string, headers: Record<string, string>, body: string | undefined, signal: AbortSignal, agent?: http.Agent): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : http;
    const h: Record<string, string | number> = { ...headers };
    if (body !== undefined) h['content-length'] = Buffer.byteLength(body);
    const req = mod.request(u, { method, headers: h, agent, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}
