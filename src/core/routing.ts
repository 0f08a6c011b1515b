/**
 * Route tester: the routing rules of AMQP 0-9-1 as RabbitMQ applies them, as pure logic.
 *
 * Input is a snapshot of one vhost's topology (exchanges, queue names, bindings) and a message
 * (exchange, routing key, headers); output is every queue the broker would deliver the message to,
 * each with the chain of hops that got it there and why each binding matched.
 *
 * Semantics follow RabbitMQ 3.10+ (rabbit_exchange:route/2 and the exchange type modules):
 * - the default exchange ('') delivers to the queue named by each routing key, if it exists;
 * - direct: exact key; fanout: every binding; topic: words split on '.', '*' one word, '#' zero or
 *   more words (the empty key has zero words, 'a..b' has an empty middle word);
 * - headers: x-match all / any / all-with-x / any-with-x (default all); 'x-match' itself is never a
 *   condition, other 'x-' keys are ignored except in the *-with-x modes; a binding argument of type
 *   void matches presence only; other values compare like Erlang's == (1 equals 1.0, a string
 *   equals the same bytes);
 * - CC / BCC headers (arrays of strings) add routing keys (sender-selected distribution);
 * - exchange-to-exchange bindings: each exchange is visited at most once (loops end), a queue
 *   reached through several paths gets the message once;
 * - an exchange that matched no binding at all passes the message to its alternate exchange
 *   (argument 'alternate-exchange', or the policy value given in `policyAlternateExchange`);
 *   the argument wins over the policy, AE chains are followed, a missing AE is ignored;
 * - publishing to an internal or missing exchange is refused by the broker (channel error).
 *
 * No I/O here: `toSnapshot` (topology.ts) converts what the management API lists into a snapshot;
 * `RoutingIndex` precompiles the snapshot once for fast repeated routing.
 */
import { invalidInput } from './errors';

// ---------------------------------------------------------------------------------------------
// Snapshot and message

export interface TopologyExchange {
  name: string;
  /** direct, fanout, topic, headers, or a plugin type (routed as "unknown"). */
  type: string;
  internal?: boolean;
  /** Declared arguments; `alternate-exchange` is read from here. */
  arguments?: Record<string, unknown>;
  /** Alternate exchange set by a policy (used only when the argument is absent). */
  policyAlternateExchange?: string;
}

export interface TopologyQueue {
  name: string;
}

export interface TopologyBinding {
  /** Source exchange. Bindings of the default exchange ('') are implicit and ignored. */
  source: string;
  destination: string;
  destinationType: 'queue' | 'exchange';
  routingKey: string;
  /** Binding arguments (headers exchange conditions). `null` means an AMQP void value. */
  arguments?: Record<string, unknown>;
}

export interface TopologySnapshot {
  exchanges: TopologyExchange[];
  queues: TopologyQueue[];
  bindings: TopologyBinding[];
}

export interface RouteMessage {
  /** '' is the default exchange. */
  exchange: string;
  routingKey: string;
  /** Message headers as amqplib takes them (`{'!': type, value}` typed values are understood). */
  headers?: Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// Result

export interface RouteHop {
  /** Exchange the message was in. */
  exchange: string;
  exchangeType: string;
  /** Where it went next. */
  to: { kind: 'queue' | 'exchange'; name: string };
  via: 'binding' | 'default-exchange' | 'alternate-exchange';
  /** The binding that matched (via 'binding'). */
  binding?: TopologyBinding;
  /** Why, e.g. "topic pattern 'a.#' matched 'a.b.c'". */
  reason: string;
}

export interface RoutedQueue {
  queue: string;
  /** Hops from the published exchange to this queue (the first path found, shortest first). */
  path: RouteHop[];
}

export interface AlternateExchangeHop {
  /** Exchange that matched no binding. */
  from: string;
  /** Its alternate exchange. */
  to: string;
  /** What happened: followed, missing (no such exchange, ignored by the broker) or already visited. */
  outcome: 'followed' | 'missing' | 'already-visited';
}

export type RouteProblemCode =
  | 'EXCHANGE_NOT_FOUND' // publish target missing: broker answers 404 and closes the channel
  | 'INTERNAL_EXCHANGE' // publish target internal: broker answers 403 and closes the channel
  | 'BAD_ROUTING_HEADER' // CC/BCC not an array: broker refuses the message
  | 'NO_SUCH_QUEUE' // default exchange, no queue named like the routing key
  | 'ALTERNATE_EXCHANGE_NOT_FOUND'
  | 'DESTINATION_NOT_FOUND' // a binding to a queue/exchange missing from the snapshot
  | 'UNSUPPORTED_EXCHANGE_TYPE'; // plugin type: its routing is unknown here

export interface RouteProblem {
  severity: 'error' | 'warning';
  code: RouteProblemCode;
  message: string;
  exchange?: string;
}

export interface RouteResult {
  /** Queues that get the message, once each, sorted by name. */
  queues: RoutedQueue[];
  /** No queue gets the message (a mandatory publish would be returned). */
  unroutable: boolean;
  /** The broker refuses the publish itself (channel error); see problems. */
  refused: boolean;
  /** False when an exchange of a type this module cannot evaluate was visited. */
  certain: boolean;
  /** Exchanges whose bindings were evaluated, in order. */
  exchangesVisited: string[];
  alternateExchangeHops: AlternateExchangeHop[];
  problems: RouteProblem[];
  /** The routing key plus any CC/BCC keys. */
  routingKeys: string[];
}

// ---------------------------------------------------------------------------------------------
// Topic matching

/** Splits a routing key or binding key into words the way RabbitMQ does ('' has zero words). */
export function splitTopicKey(key: string): string[] {
  return key === '' ? [] : key.split('.');
}

interface TrieNode {
  id: number;
  children: Map<string, TrieNode>;
  bindings: CompiledBinding[];
}

class TopicTrie {
  private nextId = 0;
  readonly root: TrieNode = this.node();

  private node(): TrieNode {
    return { id: this.nextId++, children: new Map(), bindings: [] };
  }

  add(pattern: string, b: CompiledBinding): void {
    let n = this.root;
    for (const w of splitTopicKey(pattern)) {
      let c = n.children.get(w);
      if (!c) {
        c = this.node();
        n.children.set(w, c);
      }
      n = c;
    }
    n.bindings.push(b);
  }

  /** Nodes whose pattern matches `words` (each once). */
  match(words: string[]): TrieNode[] {
    const out: TrieNode[] = [];
    const seen = new Set<number>();
    const stride = words.length + 1;
    const hit = new Set<number>();
    const walk = (n: TrieNode, i: number): void => {
      const k = n.id * stride + i;
      if (seen.has(k)) return;
      seen.add(k);
      if (i === words.length) {
        if (!hit.has(n.id)) {
          hit.add(n.id);
          out.push(n);
        }
      } else {
        const c = n.children.get(words[i]);
        if (c) walk(c, i + 1);
        const star = n.children.get('*');
        if (star && star !== c) walk(star, i + 1);
      }
      // '#' skips zero or more words (a literal '#' word in the key was also walked above).
      const hash = n.children.get('#');
      if (hash) for (let j = i; j <= words.length; j++) walk(hash, j);
    };
    walk(this.root, 0);
    return out;
  }
}

/** True when topic binding key `pattern` matches routing key `key`. */
export function topicMatches(pattern: string, key: string): boolean {
  const p = splitTopicKey(pattern);
  const w = splitTopicKey(key);
  // memo[i][j]: does p[i..] match w[j..]
  const memo = new Map<number, boolean>();
  const m = (i: number, j: number): boolean => {
    const k = i * (w.length + 1) + j;
    const cached = memo.get(k);
    if (cached !== undefined) return cached;
    let r: boolean;
    if (i === p.length) r = j === w.length;
    else if (p[i] === '#') r = m(i + 1, j) || (j < w.length && m(i, j + 1));
    else r = j < w.length && (p[i] === '*' || p[i] === w[j]) && m(i + 1, j + 1);
    memo.set(k, r);
    return r;
  };
  return m(0, 0);
}

// ---------------------------------------------------------------------------------------------
// Headers matching

export type HeadersMatchMode = 'all' | 'any' | 'all-with-x' | 'any-with-x';

interface HeaderCondition {
  key: string;
  /** AMQP void: presence only. */
  presence: boolean;
  value: unknown;
}

interface CompiledHeaders {
  mode: HeadersMatchMode;
  conditions: HeaderCondition[];
}

/** Unwraps amqplib's `{'!': type, value}` typed values. */
function plain(v: unknown): unknown {
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && !isBytes(v) && Object.prototype.hasOwnProperty.call(v, '!')) {
    const t = (v as Record<string, unknown>)['!'];
    return t === 'void' ? null : (v as Record<string, unknown>).value;
  }
  return v;
}

function isBytes(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array;
}

function compileHeaders(args: Record<string, unknown> | undefined): CompiledHeaders {
  const a = args ?? {};
  const xm = plain(a['x-match']);
  const mode: HeadersMatchMode = xm === 'any' || xm === 'all-with-x' || xm === 'any-with-x' ? xm : 'all';
  const withX = mode === 'all-with-x' || mode === 'any-with-x';
  const conditions: HeaderCondition[] = [];
  for (const key of Object.keys(a).sort()) {
    if (key === 'x-match') continue;
    if (!withX && key.startsWith('x-')) continue;
    const v = plain(a[key]);
    if (v === undefined) continue;
    conditions.push({ key, presence: v === null, value: v });
  }
  return { mode, conditions };
}

/** Erlang `==` on decoded AMQP field values, as far as JSON-ish values can tell. */
export function fieldValueEquals(pattern: unknown, data: unknown): boolean {
  const p = plain(pattern);
  const d = plain(data);
  if (p === null || d === null || p === undefined || d === undefined) return false;
  if (typeof p === 'string' && typeof d === 'string') return p === d;
  if (typeof p === 'number' || typeof p === 'bigint') {
    return (typeof d === 'number' || typeof d === 'bigint') && Number(p) === Number(d);
  }
  if (typeof p === 'boolean') return p === d;
  if ((isBytes(p) || typeof p === 'string') && (isBytes(d) || typeof d === 'string')) {
    const pb = typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p);
    const db = typeof d === 'string' ? Buffer.from(d, 'utf8') : Buffer.from(d);
    return pb.equals(db);
  }
  if (Array.isArray(p)) {
    return Array.isArray(d) && p.length === d.length && p.every((x, i) => fieldValueEquals(x, d[i]) || (plain(x) === null && plain(d[i]) === null));
  }
  if (typeof p === 'object' && typeof d === 'object' && !Array.isArray(d) && !isBytes(d)) {
    const pk = Object.keys(p as object).filter((k) => (p as Record<string, unknown>)[k] !== undefined).sort();
    const dk = Object.keys(d as object).filter((k) => (d as Record<string, unknown>)[k] !== undefined).sort();
    if (pk.length !== dk.length || pk.some((k, i) => k !== dk[i])) return false;
    return pk.every((k) => {
      const x = plain((p as Record<string, unknown>)[k]);
      const y = plain((d as Record<string, unknown>)[k]);
      return (x === null && y === null) || fieldValueEquals(x, y);
    });
  }
  return false;
}

function formatValue(v: unknown): string {
  const p = plain(v);
  if (typeof p === 'string') return p;
  if (isBytes(p)) return `<${p.length} bytes>`;
  if (typeof p === 'bigint') return p.toString();
  try {
    return JSON.stringify(p) ?? String(p);
  } catch {
    return String(p);
  }
}

function headerPresent(headers: Record<string, unknown>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(headers, key) && headers[key] !== undefined;
}

function matchCompiledHeaders(c: CompiledHeaders, headers: Record<string, unknown>): string | undefined {
  const label = `x-match=${c.mode}`;
  const isAll = c.mode === 'all' || c.mode === 'all-with-x';
  if (isAll) {
    const parts: string[] = [];
    for (const cond of c.conditions) {
      if (!headerPresent(headers, cond.key)) return undefined;
      if (cond.presence) parts.push(`${cond.key} present`);
      else if (fieldValueEquals(cond.value, headers[cond.key])) parts.push(`${cond.key}=${formatValue(cond.value)}`);
      else return undefined;
    }
    if (parts.length === 0) return `${label}: no header conditions, matches every message`;
    return `${label}: header${parts.length > 1 ? 's' : ''} ${parts.join(', ')} matched`;
  }
  for (const cond of c.conditions) {
    if (!headerPresent(headers, cond.key)) continue;
    if (cond.presence) return `${label}: header ${cond.key} present`;
    if (fieldValueEquals(cond.value, headers[cond.key])) return `${label}: header ${cond.key}=${formatValue(cond.value)} matched`;
  }
  return undefined;
}

/** Evaluates one headers-exchange binding's arguments against message headers. */
export function headersMatch(bindingArgs: Record<string, unknown> | undefined, headers: Record<string, unknown> | undefined): { matched: boolean; reason: string } {
  const c = compileHeaders(bindingArgs);
  const reason = matchCompiledHeaders(c, headers ?? {});
  return reason !== undefined ? { matched: true, reason } : { matched: false, reason: `x-match=${c.mode}: headers did not match` };
}

// ---------------------------------------------------------------------------------------------
// Index

interface CompiledBinding {
  binding: TopologyBinding;
  headers?: CompiledHeaders;
}

interface CompiledExchange {
  exchange: TopologyExchange;
  kind: 'direct' | 'fanout' | 'topic' | 'headers' | 'unknown';
  direct?: Map<string, CompiledBinding[]>;
  all?: CompiledBinding[]; // fanout, headers, unknown
  trie?: TopicTrie;
  alternate?: string;
}

interface Matched {
  cb: CompiledBinding;
  reason: string;
}

const MAX_SHORTSTR = 255;

function alternateOf(x: TopologyExchange): string | undefined {
  const arg = plain(x.arguments?.['alternate-exchange']);
  if (typeof arg === 'string') return arg;
  if (isBytes(arg)) return Buffer.from(arg).toString('utf8');
  return x.policyAlternateExchange;
}

/**
 * A snapshot compiled for routing: per-exchange binding lists, a Map per direct exchange and a
 * word trie per topic exchange. Build it once per snapshot; `route` is then cheap.
 */
export class RoutingIndex {
  private readonly exchanges = new Map<string, CompiledExchange>();
  private readonly queues = new Set<string>();
  readonly bindingCount: number;

  constructor(snapshot: TopologySnapshot) {
    if (!snapshot || typeof snapshot !== 'object') throw invalidInput('snapshot', 'is not an object', 'Pass {exchanges, queues, bindings}.');
    for (const f of ['exchanges', 'queues', 'bindings'] as const) {
      if (!Array.isArray(snapshot[f])) throw invalidInput(`snapshot.${f}`, 'is not an array', 'Pass the lists from the management API (see toSnapshot in topology.ts).');
    }
    for (const q of snapshot.queues) this.queues.add(q.name);
    for (const x of snapshot.exchanges) {
      if (x.name === '') continue;
      const t = x.type;
      const kind = t === 'direct' || t === 'fanout' || t === 'topic' || t === 'headers' ? t : 'unknown';
      const cx: CompiledExchange = { exchange: x, kind, alternate: alternateOf(x) };
      if (kind === 'direct') cx.direct = new Map();
      else if (kind === 'topic') cx.trie = new TopicTrie();
      else cx.all = [];
      this.exchanges.set(x.name, cx);
    }
    let count = 0;
    for (const b of snapshot.bindings) {
      if (b.source === '') continue;
      const cx = this.exchanges.get(b.source);
      if (!cx) continue;
      count++;
      const cb: CompiledBinding = { binding: b };
      if (cx.direct) {
        const list = cx.direct.get(b.routingKey);
        if (list) list.push(cb);
        else cx.direct.set(b.routingKey, [cb]);
      } else if (cx.trie) {
        cx.trie.add(b.routingKey, cb);
      } else {
        if (cx.kind === 'headers') cb.headers = compileHeaders(b.arguments);
        cx.all!.push(cb);
      }
    }
    this.bindingCount = count;
  }

  hasExchange(name: string): boolean {
    return name === '' || this.exchanges.has(name);
  }

  hasQueue(name: string): boolean {
    return this.queues.has(name);
  }

  private match(cx: CompiledExchange, keys: string[], headers: Record<string, unknown>): Matched[] {
    const out: Matched[] = [];
    switch (cx.kind) {
      case 'direct': {
        const seen = new Set<CompiledBinding>();
        for (const k of keys) {
          for (const cb of cx.direct!.get(k) ?? []) {
            if (seen.has(cb)) continue;
            seen.add(cb);
            out.push({ cb, reason: `direct: routing key '${k}' equals binding key` });
          }
        }
        return out;
      }
      case 'fanout':
        for (const cb of cx.all!) out.push({ cb, reason: 'fanout: every binding matches (routing key ignored)' });
        return out;
      case 'topic': {
        const seen = new Set<CompiledBinding>();
        for (const k of keys) {
          for (const node of cx.trie!.match(splitTopicKey(k))) {
            for (const cb of node.bindings) {
              if (seen.has(cb)) continue;
              seen.add(cb);
              out.push({ cb, reason: `topic pattern '${cb.binding.routingKey}' matched '${k}'` });
            }
          }
        }
        return out;
      }
      case 'headers':
        for (const cb of cx.all!) {
          const reason = matchCompiledHeaders(cb.headers!, headers);
          if (reason !== undefined) out.push({ cb, reason });
        }
        return out;
      default:
        return out;
    }
  }

  /** Where the broker delivers `message`. Throws RabbitError INVALID_INPUT for malformed input. */
  route(message: RouteMessage): RouteResult {
    validateMessage(message);
    const headers = message.headers ?? {};
    const problems: RouteProblem[] = [];
    const result: RouteResult = {
      queues: [],
      unroutable: true,
      refused: false,
      certain: true,
      exchangesVisited: [],
      alternateExchangeHops: [],
      problems,
      routingKeys: [message.routingKey],
    };

    // Sender-selected distribution: CC and BCC add routing keys.
    for (const h of ['CC', 'BCC']) {
      if (!headerPresent(headers, h)) continue;
      const v = plain(headers[h]);
      if (!Array.isArray(v)) {
        problems.push({ severity: 'error', code: 'BAD_ROUTING_HEADER', message: `Header ${h} must be an array of strings; the broker refuses this message. Send ${h} as an array or remove it.` });
        result.refused = true;
        return result;
      }
      for (const k of v) {
        const pk = plain(k);
        if (typeof pk === 'string') result.routingKeys.push(pk);
      }
    }
    const keys = [...new Set(result.routingKeys)];

    const delivered = new Map<string, RouteHop[]>();

    if (message.exchange === '') {
      result.exchangesVisited.push('');
      for (const k of [...keys].sort()) {
        if (k.startsWith('amq.rabbitmq.reply-to')) continue;
        if (this.queues.has(k)) {
          if (!delivered.has(k)) delivered.set(k, [{ exchange: '', exchangeType: 'direct', to: { kind: 'queue', name: k }, via: 'default-exchange', reason: `default exchange: routing key '${k}' names an existing queue` }]);
        } else {
          problems.push({ severity: 'warning', code: 'NO_SUCH_QUEUE', exchange: '', message: `The default exchange routes by queue name, and there is no queue named '${k}'. Declare it, or publish with the name of an existing queue.` });
        }
      }
      return finish(result, delivered);
    }

    const start = this.exchanges.get(message.exchange);
    if (!start) {
      problems.push({ severity: 'error', code: 'EXCHANGE_NOT_FOUND', exchange: message.exchange, message: `Exchange '${message.exchange}' does not exist in this vhost; the broker closes the channel with 404 NOT_FOUND. Declare it first or pick an existing exchange.` });
      result.refused = true;
      return result;
    }
    if (start.exchange.internal) {
      problems.push({ severity: 'error', code: 'INTERNAL_EXCHANGE', exchange: message.exchange, message: `Exchange '${message.exchange}' is internal: the broker refuses publishes to it with 403 ACCESS_REFUSED. Publish to an exchange bound to it instead.` });
      result.refused = true;
      return result;
    }

    // Breadth-first over exchanges: each visited once, so loops end and paths are shortest.
    const seen = new Set<string>([start.exchange.name]);
    const work: { cx: CompiledExchange; path: RouteHop[] }[] = [{ cx: start, path: [] }];
    for (let wi = 0; wi < work.length; wi++) {
      const { cx, path } = work[wi];
      const xname = cx.exchange.name;
      result.exchangesVisited.push(xname);
      if (cx.kind === 'unknown') {
        result.certain = false;
        problems.push({ severity: 'warning', code: 'UNSUPPORTED_EXCHANGE_TYPE', exchange: xname, message: `Exchange '${xname}' has type '${cx.exchange.type}', whose routing is decided by a plugin; its destinations are not predicted.` });
      }
      const matched = this.match(cx, keys, headers);
      if (matched.length === 0 && cx.alternate !== undefined && cx.kind !== 'unknown') {
        const ae = cx.alternate;
        const hop: RouteHop = { exchange: xname, exchangeType: cx.exchange.type, to: { kind: 'exchange', name: ae }, via: 'alternate-exchange', reason: `no binding of '${xname}' matched, so it passes the message to its alternate exchange '${ae}'` };
        if (seen.has(ae)) {
          result.alternateExchangeHops.push({ from: xname, to: ae, outcome: 'already-visited' });
        } else {
          seen.add(ae);
          const next = this.exchanges.get(ae);
          if (!next) {
            result.alternateExchangeHops.push({ from: xname, to: ae, outcome: 'missing' });
            problems.push({ severity: 'warning', code: 'ALTERNATE_EXCHANGE_NOT_FOUND', exchange: xname, message: `Alternate exchange '${ae}' of '${xname}' does not exist, so unroutable messages are dropped there. Declare '${ae}' or fix the argument/policy.` });
          } else {
            result.alternateExchangeHops.push({ from: xname, to: ae, outcome: 'followed' });
            work.push({ cx: next, path: [...path, hop] });
          }
        }
        continue;
      }
      for (const m of matched) {
        const b = m.cb.binding;
        const hop: RouteHop = { exchange: xname, exchangeType: cx.exchange.type, to: { kind: b.destinationType, name: b.destination }, via: 'binding', binding: b, reason: m.reason };
        if (b.destinationType === 'queue') {
          if (!this.queues.has(b.destination)) {
            problems.push({ severity: 'warning', code: 'DESTINATION_NOT_FOUND', exchange: xname, message: `A binding of '${xname}' points to queue '${b.destination}', which is not in the snapshot; refresh the topology.` });
          } else if (!delivered.has(b.destination)) {
            delivered.set(b.destination, [...path, hop]);
          }
        } else if (!seen.has(b.destination)) {
          seen.add(b.destination);
          const next = this.exchanges.get(b.destination);
          if (next) work.push({ cx: next, path: [...path, hop] });
          else problems.push({ severity: 'warning', code: 'DESTINATION_NOT_FOUND', exchange: xname, message: `A binding of '${xname}' points to exchange '${b.destination}', which is not in the snapshot; refresh the topology.` });
        }
      }
    }
    return finish(result, delivered);
  }
}

function finish(result: RouteResult, delivered: Map<string, RouteHop[]>): RouteResult {
  result.queues = [...delivered.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([queue, path]) => ({ queue, path }));
  result.unroutable = result.queues.length === 0;
  return result;
}

function validateMessage(m: RouteMessage): void {
  if (!m || typeof m !== 'object') throw invalidInput('message', 'is not an object', 'Pass {exchange, routingKey, headers}.');
  if (typeof m.exchange !== 'string') throw invalidInput('exchange', 'must be a string', "Use '' for the default exchange.");
  if (Buffer.byteLength(m.exchange) > MAX_SHORTSTR) throw invalidInput('exchange', `is ${Buffer.byteLength(m.exchange)} bytes long; AMQP allows ${MAX_SHORTSTR}`, 'Shorten the name.');
  if (typeof m.routingKey !== 'string') throw invalidInput('routingKey', 'must be a string', "Use '' for an empty key.");
  if (Buffer.byteLength(m.routingKey) > MAX_SHORTSTR) throw invalidInput('routingKey', `is ${Buffer.byteLength(m.routingKey)} bytes long; AMQP allows ${MAX_SHORTSTR}`, 'Shorten the routing key.');
  if (m.headers !== undefined && (m.headers === null || typeof m.headers !== 'object' || Array.isArray(m.headers))) {
    throw invalidInput('headers', 'must be an object of header names to values', 'Leave it out for a message without headers.');
  }
}

/** Builds the index for `snapshot` (do this once, then call `.route` per message). */
export function buildRoutingIndex(snapshot: TopologySnapshot): RoutingIndex {
  return new RoutingIndex(snapshot);
}

/** One-off routing; builds an index each call unless given one. */
export function routeMessage(topology: TopologySnapshot | RoutingIndex, message: RouteMessage): RouteResult {
  const index = topology instanceof RoutingIndex ? topology : new RoutingIndex(topology);
  return index.route(message);
}
