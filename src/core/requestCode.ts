/**
 * "Copy as code" for request-file blocks: the same operation as pika (Python), amqplib (JavaScript or
 * TypeScript) or a `rabbitmqadmin` command line. Consumers and RPC clients come from the project's code
 * generation (codegen.ts); publishing, peeking, declaring, binding and purging are short programs written
 * here with the same quoting. Templates are evaluated once (the code holds the first message's values).
 * The URL in the code never holds a password: programs read RABBITMQ_URL.
 */
import { invalidInput } from './errors';
import { generateCode } from './codegen';
import { quote } from './patterns';
import type { MessageProperties, PublishOptions } from './operations';
import type { PreparedRequest, PreparedStep } from './requestFile';

export type CodeTarget = 'python' | 'javascript' | 'typescript' | 'rabbitmqadmin';
export const CODE_TARGETS: readonly CodeTarget[] = ['python', 'javascript', 'typescript', 'rabbitmqadmin'];

export interface RequestCodeOptions {
  target: CodeTarget;
  /** amqp(s)://user@host:port/vhost without password. */
  amqpUrl: string;
  /** The vhost, for rabbitmqadmin. */
  vhost: string;
}

const PY_PROPS: Record<string, string> = {
  contentType: 'content_type',
  contentEncoding: 'content_encoding',
  deliveryMode: 'delivery_mode',
  priority: 'priority',
  correlationId: 'correlation_id',
  replyTo: 'reply_to',
  expiration: 'expiration',
  messageId: 'message_id',
  timestamp: 'timestamp',
  type: 'type',
  userId: 'user_id',
  appId: 'app_id',
};

function propertiesOf(m: MessageProperties): [string, string | number][] {
  const out: [string, string | number][] = [];
  for (const k of Object.keys(PY_PROPS) as (keyof MessageProperties)[]) {
    const v = m[k];
    if (v === undefined || v === null) continue;
    if (typeof v === 'string' || typeof v === 'number') out.push([k, v]);
    else if (v instanceof Date) out.push([k, Math.floor(v.getTime() / 1000)]);
  }
  if (m.persistent !== undefined && m.deliveryMode === undefined) out.push(['deliveryMode', m.persistent ? 2 : 1]);
  return out;
}

function lit(v: string | number): string {
  return typeof v === 'number' ? String(v) : quote(v);
}

function headerLiteral(h: Record<string, unknown> | undefined, py: boolean): string | undefined {
  if (!h || !Object.keys(h).length) return undefined;
  const items = Object.entries(h).map(([k, v]) => `${quote(k)}: ${typeof v === 'number' || typeof v === 'boolean' ? (py && typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v)) : quote(String(v))}`);
  return `{${items.join(', ')}}`;
}

function bodyText(m: PublishOptions): string {
  return Buffer.isBuffer(m.body) ? m.body.toString('utf8') : String(m.body);
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Source text for one prepared block. Throws INVALID_INPUT when the target cannot express it. */
export function requestToCode(p: PreparedRequest, opts: RequestCodeOptions): string {
  const { target } = opts;
  if (!CODE_TARGETS.includes(target)) throw invalidInput('target', `"${String(target)}" is not supported`, `Use ${CODE_TARGETS.join(', ')}.`);
  switch (p.verb) {
    case 'PUBLISH':
      return publishCode(p.messages[0], p.messages.length, p.mandatory, opts);
    case 'RPC':
      if (target === 'rabbitmqadmin') throw invalidInput('target', 'rabbitmqadmin cannot wait for an RPC reply', 'Copy it as Python, JavaScript or TypeScript.');
      return generateCode({ language: target, role: 'rpc-client', target: p.exchange ? { kind: 'exchange', name: p.exchange, type: 'direct' } : { kind: 'queue', name: p.routingKey }, bindingKeys: p.exchange ? [p.routingKey] : undefined, amqpUrl: opts.amqpUrl, message: typeof p.body === 'string' ? p.body : p.body.toString('utf8') });
    case 'CONSUME':
      if (target === 'rabbitmqadmin') return `rabbitmqadmin --vhost=${shellQuote(opts.vhost)} get queue=${shellQuote(p.queue)} count=${p.count ?? 1} ackmode=${p.mode === 'reject' ? 'reject_requeue_false' : p.mode === 'nack' ? 'reject_requeue_true' : 'ack_requeue_false'}\n`;
      return generateCode({ language: target, role: 'consumer', target: { kind: 'queue', name: p.queue }, amqpUrl: opts.amqpUrl });
    case 'PEEK':
      return peekCode(p.queue, p.count ?? 10, opts);
    case 'PURGE':
      return adminOr(opts, `rabbitmqadmin --vhost=${shellQuote(opts.vhost)} purge queue name=${shellQuote(p.queue)}`, [`channel.queue_purge(${quote(p.queue)})`], [`await ch.purgeQueue(${quote(p.queue)});`]);
    case 'DECLARE':
    case 'BIND': {
      const admin = p.steps.map((s) => adminStep(s, opts.vhost)).join('\n');
      return adminOr(opts, admin, p.steps.map(pyStep), p.steps.map(jsStep));
    }
  }
}

function pyHeader(url: string): string[] {
  return ['import os', '', 'import pika', '', '# RABBITMQ_URL holds the full URL with the password; it is never written in the code.', `url = os.environ.get('RABBITMQ_URL', ${quote(url)})`, 'connection = pika.BlockingConnection(pika.URLParameters(url))', 'channel = connection.channel()'];
}

function jsHeader(url: string, ts: boolean): string[] {
  return [ts ? "import * as amqp from 'amqplib';" : "const amqp = require('amqplib');", '', '// RABBITMQ_URL holds the full URL with the password; it is never written in the code.', `const url = process.env.RABBITMQ_URL ?? ${quote(url)};`, '', `async function main()${ts ? ': Promise<void>' : ''} {`, '  const conn = await amqp.connect(url);'];
}

const JS_FOOTER = ['  await conn.close();', '}', '', 'main().catch((err) => {', '  console.error(err);', '  process.exit(1);', '});'];

function adminOr(opts: RequestCodeOptions, admin: string, py: string[], js: string[]): string {
  if (opts.target === 'rabbitmqadmin') return admin + '\n';
  if (opts.target === 'python') return [...pyHeader(opts.amqpUrl), ...py, 'connection.close()'].join('\n') + '\n';
  return [...jsHeader(opts.amqpUrl, opts.target === 'typescript'), '  const ch = await conn.createChannel();', ...js.map((l) => '  ' + l), ...JS_FOOTER].join('\n') + '\n';
}

function adminStep(s: PreparedStep, vhost: string): string {
  const v = `rabbitmqadmin --vhost=${shellQuote(vhost)}`;
  if (s.kind === 'declare-exchange') return `${v} declare exchange name=${shellQuote(s.options.name)} type=${s.options.type} durable=${s.options.durable ?? true}${s.options.autoDelete ? ' auto_delete=true' : ''}${s.options.internal ? ' internal=true' : ''}${s.options.arguments ? ` arguments=${shellQuote(JSON.stringify(s.options.arguments))}` : ''}`;
  if (s.kind === 'declare-queue') {
    const args = { ...(s.options.arguments ?? {}), ...(s.options.type && s.options.type !== 'classic' ? { 'x-queue-type': s.options.type } : {}) };
    return `${v} declare queue name=${shellQuote(s.options.name)} durable=${s.options.durable ?? true}${s.options.autoDelete ? ' auto_delete=true' : ''}${Object.keys(args).length ? ` arguments=${shellQuote(JSON.stringify(args))}` : ''}`;
  }
  return `${v} declare binding source=${shellQuote(s.source)} destination=${shellQuote(s.destination)} destination_type=${s.kind === 'bind-queue' ? 'queue' : 'exchange'}${s.routingKey ? ` routing_key=${shellQuote(s.routingKey)}` : ''}${s.arguments ? ` arguments=${shellQuote(JSON.stringify(s.arguments))}` : ''}`;
}

function pyArgs(a: Record<string, unknown> | undefined): string {
  return a ? `, arguments=${headerLiteral(a, true)}` : '';
}

function pyStep(s: PreparedStep): string {
  if (s.kind === 'declare-exchange') return `channel.exchange_declare(exchange=${quote(s.options.name)}, exchange_type=${quote(s.options.type)}, durable=${s.options.durable ?? true ? 'True' : 'False'}, auto_delete=${s.options.autoDelete ? 'True' : 'False'}, internal=${s.options.internal ? 'True' : 'False'}${pyArgs(s.options.arguments)})`;
  if (s.kind === 'declare-queue') {
    const args = { ...(s.options.arguments ?? {}), ...(s.options.type && s.options.type !== 'classic' ? { 'x-queue-type': s.options.type } : {}) };
    return `channel.queue_declare(queue=${quote(s.options.name)}, durable=${s.options.durable ?? true ? 'True' : 'False'}, exclusive=${s.options.exclusive ? 'True' : 'False'}, auto_delete=${s.options.autoDelete ? 'True' : 'False'}${pyArgs(Object.keys(args).length ? args : undefined)})`;
  }
  return s.kind === 'bind-queue'
    ? `channel.queue_bind(queue=${quote(s.destination)}, exchange=${quote(s.source)}, routing_key=${quote(s.routingKey)}${pyArgs(s.arguments)})`
    : `channel.exchange_bind(destination=${quote(s.destination)}, source=${quote(s.source)}, routing_key=${quote(s.routingKey)}${pyArgs(s.arguments)})`;
}

function jsStep(s: PreparedStep): string {
  const args = (a: Record<string, unknown> | undefined): string => (a ? `, ${headerLiteral(a, false)}` : '');
  if (s.kind === 'declare-exchange') return `await ch.assertExchange(${quote(s.options.name)}, ${quote(s.options.type)}, { durable: ${s.options.durable ?? true}, autoDelete: ${!!s.options.autoDelete}, internal: ${!!s.options.internal}${s.options.arguments ? `, arguments: ${headerLiteral(s.options.arguments, false)}` : ''} });`;
  if (s.kind === 'declare-queue') {
    const a = { ...(s.options.arguments ?? {}), ...(s.options.type && s.options.type !== 'classic' ? { 'x-queue-type': s.options.type } : {}) };
    return `await ch.assertQueue(${quote(s.options.name)}, { durable: ${s.options.durable ?? true}, exclusive: ${!!s.options.exclusive}, autoDelete: ${!!s.options.autoDelete}${Object.keys(a).length ? `, arguments: ${headerLiteral(a, false)}` : ''} });`;
  }
  return s.kind === 'bind-queue' ? `await ch.bindQueue(${quote(s.destination)}, ${quote(s.source)}, ${quote(s.routingKey)}${args(s.arguments)});` : `await ch.bindExchange(${quote(s.destination)}, ${quote(s.source)}, ${quote(s.routingKey)}${args(s.arguments)});`;
}

function publishCode(m: PublishOptions, count: number, mandatory: boolean, opts: RequestCodeOptions): string {
  const props = propertiesOf(m);
  const body = bodyText(m);
  const repeat = count > 1;
  if (opts.target === 'rabbitmqadmin') {
    const admin: Record<string, unknown> = {};
    for (const [k, v] of props) admin[PY_PROPS[k]] = v;
    if (m.headers && Object.keys(m.headers).length) admin.headers = m.headers;
    const line = `rabbitmqadmin --vhost=${shellQuote(opts.vhost)} publish exchange=${shellQuote(m.exchange || 'amq.default')} routing_key=${shellQuote(m.routingKey)} payload=${shellQuote(body)}${Object.keys(admin).length ? ` properties=${shellQuote(JSON.stringify(admin))}` : ''}`;
    return (repeat ? `for i in $(seq ${count}); do\n  ${line}\ndone` : line) + '\n';
  }
  if (opts.target === 'python') {
    const kv = props.map(([k, v]) => `${PY_PROPS[k]}=${lit(v)}`);
    const h = headerLiteral(m.headers as Record<string, unknown> | undefined, true);
    if (h) kv.push(`headers=${h}`);
    const L = pyHeader(opts.amqpUrl);
    L.push('channel.confirm_delivery()', `properties = pika.BasicProperties(${kv.join(', ')})`, `body = ${quote(body)}.encode('utf-8')`);
    const call = `channel.basic_publish(exchange=${quote(m.exchange)}, routing_key=${quote(m.routingKey)}, body=body, properties=properties${mandatory ? ', mandatory=True' : ''})`;
    if (repeat) L.push(`for _ in range(${count}):`, `    ${call}`);
    else L.push(call);
    if (mandatory) L.push('# With mandatory=True, pika raises UnroutableError when no queue matches.');
    L.push('connection.close()');
    return L.join('\n') + '\n';
  }
  const kv = props.map(([k, v]) => `${k}: ${lit(v)}`);
  const h = headerLiteral(m.headers as Record<string, unknown> | undefined, false);
  if (h) kv.push(`headers: ${h}`);
  if (mandatory) kv.push('mandatory: true');
  const L = jsHeader(opts.amqpUrl, opts.target === 'typescript');
  L.push('  const ch = await conn.createConfirmChannel();');
  if (mandatory) L.push("  ch.on('return', (m) => console.error(`unroutable: ${m.fields.exchange} ${m.fields.routingKey}`));");
  L.push(`  const body = Buffer.from(${quote(body)}, 'utf8');`);
  const call = `ch.publish(${quote(m.exchange)}, ${quote(m.routingKey)}, body, { ${kv.join(', ')} });`;
  if (repeat) L.push(`  for (let i = 0; i < ${count}; i++) ${call}`);
  else L.push(`  ${call}`);
  L.push('  await ch.waitForConfirms();', ...JS_FOOTER);
  return L.join('\n') + '\n';
}

function peekCode(queue: string, count: number, opts: RequestCodeOptions): string {
  if (opts.target === 'rabbitmqadmin') {
    return `# Gets the messages and puts them back (they are marked redelivered).\nrabbitmqadmin --vhost=${shellQuote(opts.vhost)} get queue=${shellQuote(queue)} count=${count} ackmode=ack_requeue_true\n`;
  }
  if (opts.target === 'python') {
    return [
      ...pyHeader(opts.amqpUrl),
      '# Reads without acknowledging; closing the channel puts every message back in its order.',
      `for _ in range(${count}):`,
      `    method, properties, body = channel.basic_get(${quote(queue)}, auto_ack=False)`,
      '    if method is None:',
      '        break',
      '    print(properties, body)',
      'channel.close()',
      'connection.close()',
    ].join('\n') + '\n';
  }
  return [
    ...jsHeader(opts.amqpUrl, opts.target === 'typescript'),
    '  const ch = await conn.createChannel();',
    '  // Reads without acknowledging; closing the channel puts every message back in its order.',
    `  for (let i = 0; i < ${count}; i++) {`,
    `    const m = await ch.get(${quote(queue)}, { noAck: false });`,
    '    if (!m) break;',
    '    console.log(m.properties, m.content.toString());',
    '  }',
    '  await ch.close();',
    ...JS_FOOTER,
  ].join('\n') + '\n';
}
