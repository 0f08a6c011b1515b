/**
 * Code generation for a real queue or exchange: a complete producer, consumer, RPC server or RPC client in
 * Python (pika 1.x), JavaScript or TypeScript (amqplib), from the same templates as the snippets
 * (patterns.ts). The code declares the queue/exchange exactly as it exists on the broker (type, durability,
 * arguments), so running it never fails with 406 PRECONDITION_FAILED; a transient queue that is not exclusive (a
 * deprecated feature RabbitMQ 4.x may refuse) is checked, never declared. The URL in the code never contains a
 * password: the program reads RABBITMQ_URL, or RABBITMQ_PASSWORD for the profile's URL.
 */
import { invalidInput } from './errors';
import {
  PATTERN_LANGUAGES,
  quote,
  renderProgram,
  type ConnectionSpec,
  type ExchangeKind,
  type ExchangeSpec,
  type PatternLanguage,
  type ProgramSpec,
  type QueueSpec,
} from './patterns';

export type CodeRole = 'producer' | 'consumer' | 'rpc-server' | 'rpc-client';
export const CODE_ROLES: readonly CodeRole[] = ['producer', 'consumer', 'rpc-server', 'rpc-client'];
export type QueueType = 'classic' | 'quorum' | 'stream';

export interface QueueTarget {
  kind: 'queue';
  name: string;
  /** Defaults to the `x-queue-type` argument, else classic. */
  type?: QueueType;
  durable?: boolean;
  autoDelete?: boolean;
  exclusive?: boolean;
  /** The queue's arguments as the broker reports them (x-queue-type, x-message-ttl, …). */
  arguments?: Record<string, unknown>;
}

export interface ExchangeTarget {
  kind: 'exchange';
  /** '' is the default exchange (producer / rpc-client only). */
  name: string;
  type: ExchangeKind;
  durable?: boolean;
  autoDelete?: boolean;
}

export interface GenerateCodeOptions {
  language: PatternLanguage;
  role: CodeRole;
  target: QueueTarget | ExchangeTarget;
  /**
   * Exchange consumers: the binding keys (headers exchanges: "name=value" pairs to match).
   * Producers / RPC clients publishing to an exchange: the first one is the routing key.
   */
  bindingKeys?: string[];
  /** amqp(s)://user@host:port/vhost WITHOUT password. */
  amqpUrl: string;
  /** Default message body of a producer. */
  message?: string;
}

const EXCHANGE_TYPES: readonly ExchangeKind[] = ['direct', 'fanout', 'topic', 'headers'];
const QUEUE_TYPES: readonly QueueType[] = ['classic', 'quorum', 'stream'];

/** Source text of a complete program for the given queue or exchange. Throws RabbitError(INVALID_INPUT). */
export function generateCode(options: GenerateCodeOptions): string {
  return renderProgram(buildProgramSpec(options), options.language, 'code').join('\n') + '\n';
}

/** Validates the options and maps them onto a template spec (exported for tests). */
export function buildProgramSpec(options: GenerateCodeOptions): ProgramSpec {
  if (!options || typeof options !== 'object') throw invalidInput('options', 'are missing');
  if (!PATTERN_LANGUAGES.includes(options.language)) {
    throw invalidInput('language', `"${String(options.language)}" is not supported`, 'Use python, javascript or typescript.');
  }
  if (!CODE_ROLES.includes(options.role)) {
    throw invalidInput('role', `"${String(options.role)}" is not supported`, 'Use producer, consumer, rpc-server or rpc-client.');
  }
  const connection = connectionSpec(options.amqpUrl);
  const target = options.target;
  if (!target || (target.kind !== 'queue' && target.kind !== 'exchange')) {
    throw invalidInput('target.kind', 'must be "queue" or "exchange"');
  }
  if (typeof target.name !== 'string') throw invalidInput('target.name', 'is missing');
  if (Buffer.byteLength(target.name, 'utf8') > 255) throw invalidInput('target.name', 'is longer than 255 bytes');
  const keys = options.bindingKeys ?? [];
  if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string')) throw invalidInput('bindingKeys', 'must be a list of strings');
  const message = options.message ?? 'Hello from RabbitMQ Workbench';

  if (target.kind === 'queue') {
    const queue = queueSpec(target);
    const type = queueType(target);
    const what = `queue ${quote(target.name)} (${type})`;
    const streamConsumer = type === 'stream' ? { 'x-stream-offset': 'first' } : undefined;
    switch (options.role) {
      case 'producer':
        return { role: 'producer', title: `Producer for ${what}`, connection, target: { kind: 'queue', queue }, message, persistent: queue.durable, confirms: true };
      case 'consumer':
        return {
          role: 'consumer',
          title: `Consumer of ${what}: manual ack${type === 'stream' ? ', reads the stream from the first offset' : ''}`,
          connection,
          source: { kind: 'queue', queue },
          manualAck: true,
          prefetch: 10,
          simulateWork: false,
          consumerArguments: streamConsumer,
        };
      case 'rpc-server':
        if (type === 'stream') throw invalidInput('target', 'a stream cannot be an RPC request queue', 'Pick a classic or quorum queue.');
        return { role: 'rpc-server', title: `RPC server on ${what}: answers fib(n)`, connection, queue };
      case 'rpc-client':
        return { role: 'rpc-client', title: `RPC client for ${what}: sends fib(n) requests`, connection, exchange: '', routingKey: target.name, defaultN: '30', timeoutSeconds: 10 };
    }
  }

  // Exchange
  if (!EXCHANGE_TYPES.includes(target.type)) {
    throw invalidInput('target.type', `"${String(target.type)}" is not an exchange type the code can use`, 'Use direct, fanout, topic or headers.');
  }
  const isDefault = target.name === '' || target.name === 'amq.default';
  const exchange: ExchangeSpec = {
    name: isDefault ? '' : target.name,
    type: target.type,
    durable: target.durable ?? true,
    autoDelete: target.autoDelete ?? false,
    declare: !isDefault && !target.name.startsWith('amq.'),
  };
  const what = isDefault ? 'the default exchange' : `${target.type} exchange ${quote(target.name)}`;
  const headerPairs = target.type === 'headers' ? parseHeaderPairs(keys) : undefined;
  const routingKey = target.type === 'fanout' || target.type === 'headers' ? '' : sampleRoutingKey(target.type, keys[0]);
  if (isDefault && (options.role === 'producer' || options.role === 'rpc-client') && !keys[0]) {
    throw invalidInput('bindingKeys', 'needs the queue name to publish to through the default exchange', 'Pass the queue name as the first binding key.');
  }
  switch (options.role) {
    case 'producer':
      return {
        role: 'producer',
        title: `Producer for ${what}`,
        connection,
        target: { kind: 'exchange', exchange, routingKey, headers: headerPairs },
        message,
        persistent: exchange.durable,
        confirms: true,
      };
    case 'consumer':
      if (isDefault) throw invalidInput('target', 'queues cannot be bound to the default exchange', 'Generate the consumer for the queue itself.');
      return {
        role: 'consumer',
        title: `Consumer of ${what}: a private server-named queue, manual ack`,
        connection,
        source: {
          kind: 'exchange',
          exchange,
          bindingKeys: target.type === 'direct' || target.type === 'topic' ? (keys.length > 0 ? keys : [target.type === 'topic' ? '#' : '']) : [],
          headersMatch: headerPairs ? { match: 'all', values: headerPairs } : undefined,
        },
        manualAck: true,
        prefetch: 10,
        simulateWork: false,
      };
    case 'rpc-server':
      throw invalidInput('target', 'an RPC server consumes from a queue, not an exchange', 'Generate the RPC server for the request queue.');
    case 'rpc-client':
      return { role: 'rpc-client', title: `RPC client publishing to ${what}`, connection, exchange: exchange.name, routingKey, defaultN: '30', timeoutSeconds: 10 };
  }
}

function connectionSpec(amqpUrl: unknown): ConnectionSpec {
  if (typeof amqpUrl !== 'string' || !amqpUrl.trim()) throw invalidInput('amqpUrl', 'is empty', 'Use the form amqp://user@host:5672/vhost.');
  let url: URL;
  try {
    url = new URL(amqpUrl.trim());
  } catch {
    throw invalidInput('amqpUrl', 'is not a valid URL', 'Use the form amqp://user@host:5672/vhost.');
  }
  if (url.protocol !== 'amqp:' && url.protocol !== 'amqps:') throw invalidInput('amqpUrl', `scheme "${url.protocol}" is not supported`, 'Use amqp:// or amqps://.');
  if (url.password) {
    throw invalidInput('amqpUrl', 'contains a password', 'Generated code never holds a password: pass the URL without it; the program reads RABBITMQ_PASSWORD.');
  }
  if (!url.hostname) throw invalidInput('amqpUrl', 'has no host');
  if (url.search || url.hash) throw invalidInput('amqpUrl', 'has query parameters or a fragment', 'Remove the "?…" part.');
  if (!url.username) url.username = 'guest';
  return { kind: 'profile', url: url.toString() };
}

function queueType(t: QueueTarget): QueueType {
  const fromArgs = t.arguments?.['x-queue-type'];
  const type = t.type ?? (typeof fromArgs === 'string' ? (fromArgs as QueueType) : 'classic');
  if (!QUEUE_TYPES.includes(type)) throw invalidInput('target.type', `"${String(type)}" is not a queue type`, 'Use classic, quorum or stream.');
  if (typeof fromArgs === 'string' && fromArgs !== type) {
    throw invalidInput('target.type', `is ${type} but the x-queue-type argument says ${fromArgs}`, 'Pass the queue as the broker reports it.');
  }
  return type;
}

function queueSpec(t: QueueTarget): QueueSpec {
  if (!t.name) throw invalidInput('target.name', 'is empty', 'Server-named queues can only be used by the connection that declared them.');
  if (t.name.startsWith('amq.')) throw invalidInput('target.name', `"${t.name}" is reserved for the broker`, 'Pick a queue you declared.');
  if (t.exclusive) throw invalidInput('target', 'is an exclusive queue: only the connection that declared it can use it', 'Pick a shared queue.');
  const type = queueType(t);
  const args: Record<string, unknown> = { ...(t.arguments ?? {}) };
  if (type !== 'classic' && args['x-queue-type'] === undefined) args['x-queue-type'] = type;
  const durable = t.durable ?? true;
  if (type !== 'classic' && !durable) throw invalidInput('target.durable', `a ${type} queue is always durable`);
  // A transient shared queue is a deprecated feature: the program checks that it exists and never declares one.
  return { name: t.name, durable, autoDelete: t.autoDelete ?? false, arguments: args, ...(durable ? {} : { passive: true }) };
}

function sampleRoutingKey(type: ExchangeKind, key: string | undefined): string {
  if (key === undefined) return type === 'topic' ? 'example.key' : '';
  // A topic binding pattern is not a routing key: turn its wildcards into a word that matches them.
  return type === 'topic' ? key.replace(/[*#]/g, 'example') : key;
}

function parseHeaderPairs(keys: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) {
    const i = k.indexOf('=');
    if (i <= 0) throw invalidInput('bindingKeys', `"${k}" is not a name=value pair`, 'Headers exchanges match on header values: pass e.g. "format=pdf".');
    out[k.slice(0, i)] = k.slice(i + 1);
  }
  if (Object.keys(out).length === 0) return { format: 'pdf' };
  return out;
}
