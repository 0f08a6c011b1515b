/**
 * The messaging patterns of the RabbitMQ tutorials as ONE set of program templates, in Python (pika 1.x) and
 * Node (amqplib 2.x promise API, JavaScript and TypeScript). The same templates produce the editor snippets
 * (`snippets/*.json`, user-chosen names become tab stops) and the code generator (`codegen.ts`, the real
 * names of a broker's queue or exchange). Every program is complete and runnable: it reads the broker URL
 * from RABBITMQ_URL (snippets) or from the connection profile plus RABBITMQ_PASSWORD (generated code),
 * handles errors and closes the connection cleanly on SIGINT/SIGTERM.
 */

export type PatternLanguage = 'python' | 'javascript' | 'typescript';
export const PATTERN_LANGUAGES: readonly PatternLanguage[] = ['python', 'javascript', 'typescript'];
export type ExchangeKind = 'direct' | 'fanout' | 'topic' | 'headers';

/** A user-chosen value: a tab stop in a snippet (mirrored by `slot`), the value itself in generated code. */
export interface Slot {
  slot: string;
  default: string;
}
export type Val = string | Slot;

export function isSlot(v: unknown): v is Slot {
  return typeof v === 'object' && v !== null && 'slot' in v && 'default' in v;
}

/** Where the program connects: RABBITMQ_URL with a default (snippets), or a profile URL without password. */
export type ConnectionSpec = { kind: 'env'; defaultUrl: string } | { kind: 'profile'; url: string };

export interface QueueSpec {
  name: Val;
  durable: boolean;
  autoDelete?: boolean;
  /** Queue arguments exactly as declared on the broker (values may be Slots in snippets). */
  arguments: Record<string, unknown>;
  /**
   * Check that the queue exists instead of declaring it: for an existing transient queue that is not exclusive,
   * which the program must not declare (RabbitMQ 4.x may refuse it and close the connection with 541).
   */
  passive?: boolean;
}

const PASSIVE_NOTE = 'transient shared queue (RabbitMQ 4.x may refuse to declare one): check it exists; make it durable to declare it here';

export interface ExchangeSpec {
  name: Val;
  type: ExchangeKind;
  durable: boolean;
  autoDelete?: boolean;
  /** False for the default exchange and the pre-declared amq.* exchanges. */
  declare: boolean;
}

export interface ProducerSpec {
  role: 'producer';
  title: string;
  connection: ConnectionSpec;
  target:
    | { kind: 'queue'; queue: QueueSpec }
    | { kind: 'exchange'; exchange: ExchangeSpec; routingKey: Val; headers?: Record<string, string> };
  message: Val;
  persistent: boolean;
  confirms: boolean;
}

export interface ConsumerSpec {
  role: 'consumer';
  title: string;
  connection: ConnectionSpec;
  source:
    | { kind: 'queue'; queue: QueueSpec }
    | { kind: 'exchange'; exchange: ExchangeSpec; bindingKeys: Val[]; headersMatch?: { match: 'all' | 'any'; values: Record<string, string> } };
  manualAck: boolean;
  prefetch?: number;
  /** Sleep one second per '.' in the body, like the tutorial's work queue. */
  simulateWork: boolean;
  consumerArguments?: Record<string, unknown>;
}

export interface RpcServerSpec {
  role: 'rpc-server';
  title: string;
  connection: ConnectionSpec;
  queue: QueueSpec;
  consumerArguments?: Record<string, unknown>;
}

export interface RpcClientSpec {
  role: 'rpc-client';
  title: string;
  connection: ConnectionSpec;
  exchange: Val;
  routingKey: Val;
  defaultN: Val;
  timeoutSeconds: number;
}

export type ProgramSpec = ProducerSpec | ConsumerSpec | RpcServerSpec | RpcClientSpec;

// ---------------------------------------------------------------------------------------------------------
// Writer: collects text; Slots become sentinels that are turned into tab stops (snippet) or values (code).

const S_OPEN = '\u0001';
const S_CLOSE = '\u0002';

class Writer {
  readonly defaults = new Map<string, string>();
  constructor(readonly mode: 'snippet' | 'code') {}

  /** Raw text for a value (no quotes). */
  raw(v: Val): string {
    if (!isSlot(v)) return v;
    if (this.mode === 'code') return v.default;
    const known = this.defaults.get(v.slot);
    if (known !== undefined && known !== v.default) throw new Error(`slot ${v.slot} has two defaults`);
    this.defaults.set(v.slot, v.default);
    return `${S_OPEN}${v.slot}${S_CLOSE}`;
  }

  /** A single-quoted string literal valid in Python and JavaScript. */
  str(v: Val): string {
    return isSlot(v) ? `'${this.raw(v)}'` : quote(v);
  }

  py(v: unknown): string {
    if (isSlot(v)) return this.str(v);
    if (v === null || v === undefined) return 'None';
    if (typeof v === 'boolean') return v ? 'True' : 'False';
    if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'None';
    if (typeof v === 'string') return quote(v);
    if (Array.isArray(v)) return `[${v.map((x) => this.py(x)).join(', ')}]`;
    if (typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${quote(k)}: ${this.py(x)}`).join(', ')}}`;
    return quote(String(v));
  }

  js(v: unknown): string {
    if (isSlot(v)) return this.str(v);
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'boolean' || typeof v === 'number') return Number.isFinite(v) || typeof v === 'boolean' ? String(v) : 'null';
    if (typeof v === 'string') return quote(v);
    if (Array.isArray(v)) return `[${v.map((x) => this.js(x)).join(', ')}]`;
    if (typeof v === 'object') {
      const entries = Object.entries(v);
      if (entries.length === 0) return '{}';
      return `{ ${entries.map(([k, x]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : quote(k)}: ${this.js(x)}`).join(', ')} }`;
    }
    return quote(String(v));
  }

  /** Finishes: snippet mode escapes the text and numbers tab stops in text order. */
  finish(lines: string[]): string[] {
    const text = lines.join('\n');
    if (this.mode === 'code') return text.split('\n');
    const numbers = new Map<string, number>();
    let out = '';
    const re = new RegExp(`${S_OPEN}([^${S_CLOSE}]*)${S_CLOSE}`, 'g');
    let last = 0;
    for (const m of text.matchAll(re)) {
      out += escapeSnippetText(text.slice(last, m.index));
      const key = m[1];
      const n = numbers.get(key);
      if (n === undefined) {
        const next = numbers.size + 1;
        numbers.set(key, next);
        out += `\${${next}:${escapeSnippetPlaceholder(this.defaults.get(key) ?? '')}}`;
      } else {
        out += `$${n}`;
      }
      last = (m.index ?? 0) + m[0].length;
    }
    out += escapeSnippetText(text.slice(last));
    return out.split('\n');
  }
}

/** A single-quoted literal that Python 3 and JavaScript read the same way. */
export function quote(s: string): string {
  let out = "'";
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c === 0x2028 || c === 0x2029) out += `\\u${c.toString(16)}`;
    else out += ch;
  }
  return `${out}'`;
}

function oneLine(s: string): string {
  return s.replace(/[\r\n\u2028\u2029]+/g, ' ');
}

function escapeSnippetText(s: string): string {
  return s.replace(/[\\$]/g, (c) => `\\${c}`);
}
function escapeSnippetPlaceholder(s: string): string {
  return s.replace(/[\\$}]/g, (c) => `\\${c}`);
}

// ---------------------------------------------------------------------------------------------------------
// Python (pika 1.x, BlockingConnection)

function pyHeader(w: Writer, spec: ProgramSpec, extraImports: string[]): string[] {
  const imports = new Set(['os', 'sys', ...extraImports]);
  if (spec.connection.kind === 'profile') imports.add('urllib.parse');
  const lines = [`# ${oneLine(spec.title)}`, ...[...imports].sort().map((m) => `import ${m}`), '', 'import pika', ''];
  if (spec.connection.kind === 'profile') {
    lines.push(
      `# The broker URL without password. RABBITMQ_URL (a full URL) wins; otherwise the password is read`,
      `# from RABBITMQ_PASSWORD.`,
      `BROKER_URL = ${quote(spec.connection.url)}`,
      '',
      '',
      'def broker_url():',
      "    url = os.environ.get('RABBITMQ_URL')",
      '    if url:',
      '        return url',
      "    password = os.environ.get('RABBITMQ_PASSWORD')",
      '    if password is None:',
      "        sys.exit('Set RABBITMQ_PASSWORD (or RABBITMQ_URL) to connect to %s' % BROKER_URL)",
      '    parts = urllib.parse.urlsplit(BROKER_URL)',
      "    host = parts.netloc.rpartition('@')[2]",
      "    netloc = '%s:%s@%s' % (parts.username or 'guest', urllib.parse.quote(password, safe=''), host)",
      '    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))',
      '',
    );
  }
  void w;
  return lines;
}

function pyUrl(w: Writer, c: ConnectionSpec): string {
  return c.kind === 'env' ? `url = os.environ.get('RABBITMQ_URL', ${w.str(c.defaultUrl)})` : 'url = broker_url()';
}

function pyQueueDeclare(w: Writer, q: QueueSpec, nameExpr: string): string {
  if (q.passive) return `channel.queue_declare(queue=${nameExpr}, passive=True)  # ${PASSIVE_NOTE}`;
  const args = [`queue=${nameExpr}`, `durable=${w.py(q.durable)}`];
  if (q.autoDelete) args.push('auto_delete=True');
  if (Object.keys(q.arguments).length > 0) args.push(`arguments=${w.py(q.arguments)}`);
  return `channel.queue_declare(${args.join(', ')})`;
}

function pyExchangeDeclare(w: Writer, e: ExchangeSpec): string {
  const args = ['exchange=EXCHANGE', `exchange_type=${quote(e.type)}`, `durable=${w.py(e.durable)}`];
  if (e.autoDelete) args.push('auto_delete=True');
  return `channel.exchange_declare(${args.join(', ')})`;
}

const PY_MAIN_PRODUCER = [
  '',
  '',
  "if __name__ == '__main__':",
  '    try:',
  '        main()',
  '    except pika.exceptions.AMQPConnectionError as err:',
  "        sys.exit('Cannot connect to RabbitMQ (%r): is it running? Set RABBITMQ_URL.' % (err,))",
  '    except pika.exceptions.ChannelClosedByBroker as err:',
  "        sys.exit('RabbitMQ closed the channel: %s %s' % (err.reply_code, err.reply_text))",
  '    except pika.exceptions.AMQPError as err:',
  "        sys.exit('RabbitMQ error: %r' % (err,))",
];

const PY_MAIN_CONSUMER = [
  '',
  '',
  "if __name__ == '__main__':",
  '    # SIGTERM stops the consumer like CTRL+C does.',
  '    signal.signal(signal.SIGTERM, signal.default_int_handler)',
  '    try:',
  '        main()',
  '    except KeyboardInterrupt:',
  '        pass',
  '    except pika.exceptions.AMQPConnectionError as err:',
  "        sys.exit('Cannot connect to RabbitMQ (%r): is it running? Set RABBITMQ_URL.' % (err,))",
  '    except pika.exceptions.ChannelClosedByBroker as err:',
  "        sys.exit('RabbitMQ closed the channel: %s %s' % (err.reply_code, err.reply_text))",
  '    except pika.exceptions.AMQPError as err:',
  "        sys.exit('RabbitMQ error: %r' % (err,))",
];

function pyConsumeLoop(waiting = "' [*] Waiting for messages. To exit press CTRL+C'"): string[] {
  return [
    '',
    '        # CTRL+C / SIGTERM stop consuming between two messages, never in the middle of an ack.',
    '        def request_stop(signum, frame):',
    '            connection.add_callback_threadsafe(channel.stop_consuming)',
    '',
    '        signal.signal(signal.SIGINT, request_stop)',
    '        signal.signal(signal.SIGTERM, request_stop)',
    `        print(${waiting}, flush=True)`,
    '        channel.start_consuming()',
    '    finally:',
    '        if connection.is_open:',
    '            connection.close()',
  ];
}

function pyProducer(w: Writer, s: ProducerSpec): string[] {
  const L = pyHeader(w, s, []);
  const t = s.target;
  if (t.kind === 'queue') L.push(`QUEUE = ${w.str(t.queue.name)}`);
  else L.push(`EXCHANGE = ${w.str(t.exchange.name)}`);
  L.push('', '', 'def main():');
  let argIndex = 1;
  if (t.kind === 'exchange' && t.exchange.type !== 'fanout' && t.exchange.type !== 'headers') {
    L.push(`    routing_key = sys.argv[1] if len(sys.argv) > 1 else ${w.str(t.routingKey)}`);
    argIndex = 2;
  }
  L.push(`    message = ' '.join(sys.argv[${argIndex}:]) or ${w.str(s.message)}`);
  L.push(`    ${pyUrl(w, s.connection)}`, '    connection = pika.BlockingConnection(pika.URLParameters(url))', '    try:', '        channel = connection.channel()');
  if (s.confirms) L.push('        channel.confirm_delivery()  # basic_publish now raises if the broker refuses the message');
  if (t.kind === 'queue') L.push(`        ${pyQueueDeclare(w, t.queue, 'QUEUE')}`);
  else if (t.exchange.declare) L.push(`        ${pyExchangeDeclare(w, t.exchange)}`);
  const props: string[] = [];
  if (s.persistent) props.push('delivery_mode=2');
  if (t.kind === 'exchange' && t.headers) props.push(`headers=${w.py(t.headers)}`);
  const key = t.kind === 'queue' ? 'QUEUE' : t.exchange.type === 'fanout' || t.exchange.type === 'headers' ? w.str(t.routingKey) : 'routing_key';
  L.push(
    '        channel.basic_publish(',
    `            exchange=${t.kind === 'queue' ? "''" : 'EXCHANGE'},`,
    `            routing_key=${key},`,
    '            body=message.encode(),',
  );
  if (props.length > 0) L.push(`            properties=pika.BasicProperties(${props.join(', ')}),${s.persistent ? '  # 2 = persistent' : ''}`);
  L.push('        )');
  L.push(t.kind === 'exchange' && key === 'routing_key' ? "        print(' [x] Sent %s: %s' % (routing_key, message), flush=True)" : "        print(' [x] Sent %s' % message, flush=True)");
  L.push('    finally:', '        if connection.is_open:', '            connection.close()', ...PY_MAIN_PRODUCER);
  return L;
}

function pyConsumer(w: Writer, s: ConsumerSpec): string[] {
  const L = pyHeader(w, s, s.simulateWork ? ['signal', 'time'] : ['signal']);
  const src = s.source;
  if (src.kind === 'queue') L.push(`QUEUE = ${w.str(src.queue.name)}`);
  else L.push(`EXCHANGE = ${w.str(src.exchange.name)}`);
  L.push('', '', 'def on_message(channel, method, properties, body):');
  if (src.kind === 'queue') L.push("    print(' [x] Received %s' % body.decode(errors='replace'), flush=True)");
  else L.push("    print(' [x] %s: %s' % (method.routing_key, body.decode(errors='replace')), flush=True)");
  if (s.simulateWork) L.push("    time.sleep(body.count(b'.'))  # pretend to work: one second per dot", "    print(' [x] Done', flush=True)");
  if (s.manualAck) L.push('    channel.basic_ack(delivery_tag=method.delivery_tag)  # only now may the broker forget it');
  L.push('', '', 'def main():');
  const keyed = src.kind === 'exchange' && src.exchange.type !== 'fanout' && src.exchange.type !== 'headers';
  if (keyed) L.push(`    binding_keys = sys.argv[1:] or [${src.bindingKeys.map((k) => w.str(k)).join(', ')}]`);
  L.push(`    ${pyUrl(w, s.connection)}`, '    connection = pika.BlockingConnection(pika.URLParameters(url))', '    try:', '        channel = connection.channel()');
  let queueExpr = 'QUEUE';
  if (src.kind === 'queue') {
    L.push(`        ${pyQueueDeclare(w, src.queue, 'QUEUE')}`);
  } else {
    if (src.exchange.declare) L.push(`        ${pyExchangeDeclare(w, src.exchange)}`);
    L.push(
      '        # A private queue: server-named, deleted when this consumer disconnects.',
      "        queue = channel.queue_declare(queue='', exclusive=True).method.queue",
    );
    queueExpr = 'queue';
    if (keyed) {
      L.push('        for binding_key in binding_keys:', '            channel.queue_bind(exchange=EXCHANGE, queue=queue, routing_key=binding_key)');
    } else if (src.headersMatch) {
      L.push(`        channel.queue_bind(exchange=EXCHANGE, queue=queue, arguments=${w.py({ 'x-match': src.headersMatch.match, ...src.headersMatch.values })})`);
    } else {
      L.push('        channel.queue_bind(exchange=EXCHANGE, queue=queue)');
    }
  }
  if (s.prefetch !== undefined) L.push(`        channel.basic_qos(prefetch_count=${s.prefetch})  # per consumer: at most ${s.prefetch} unacknowledged`);
  const args = [`queue=${queueExpr}`, 'on_message_callback=on_message'];
  if (!s.manualAck) args.push('auto_ack=True');
  if (s.consumerArguments) args.push(`arguments=${w.py(s.consumerArguments)}`);
  L.push(`        channel.basic_consume(${args.join(', ')})`, ...pyConsumeLoop(), ...PY_MAIN_CONSUMER);
  return L;
}

function pyRpcServer(w: Writer, s: RpcServerSpec): string[] {
  const L = pyHeader(w, s, ['signal']);
  L.push(
    `QUEUE = ${w.str(s.queue.name)}`,
    '',
    '',
    'def fib(n):',
    '    a, b = 0, 1',
    '    for _ in range(n):',
    '        a, b = b, a + b',
    '    return a',
    '',
    '',
    'def on_request(channel, method, properties, body):',
    '    try:',
    '        response = str(fib(int(body)))',
    '    except ValueError:',
    "        response = 'error: expected an integer, got %r' % body",
    "    print(' [.] fib(%s) = %s' % (body.decode(errors='replace'), response), flush=True)",
    '    if properties.reply_to:',
    '        channel.basic_publish(',
    "            exchange='',",
    '            routing_key=properties.reply_to,',
    '            properties=pika.BasicProperties(correlation_id=properties.correlation_id),',
    '            body=response.encode(),',
    '        )',
    '    channel.basic_ack(delivery_tag=method.delivery_tag)',
    '',
    '',
    'def main():',
    `    ${pyUrl(w, s.connection)}`,
    '    connection = pika.BlockingConnection(pika.URLParameters(url))',
    '    try:',
    '        channel = connection.channel()',
    `        ${pyQueueDeclare(w, s.queue, 'QUEUE')}`,
    '        channel.basic_qos(prefetch_count=1)  # one request at a time per server: start more servers to scale',
    `        channel.basic_consume(queue=QUEUE, on_message_callback=on_request${s.consumerArguments ? `, arguments=${w.py(s.consumerArguments)}` : ''})`,
    ...pyConsumeLoop("' [x] Awaiting RPC requests. To exit press CTRL+C'"),
    ...PY_MAIN_CONSUMER,
  );
  return L;
}

function pyRpcClient(w: Writer, s: RpcClientSpec): string[] {
  const L = pyHeader(w, s, ['time', 'uuid']);
  L.push(
    `EXCHANGE = ${w.str(s.exchange)}`,
    `ROUTING_KEY = ${w.str(s.routingKey)}`,
    '',
    '',
    'class RpcClient:',
    '    def __init__(self, connection):',
    '        self.connection = connection',
    '        self.channel = connection.channel()',
    '        # Replies come back on a private, server-named queue.',
    "        self.callback_queue = self.channel.queue_declare(queue='', exclusive=True).method.queue",
    '        self.channel.basic_consume(queue=self.callback_queue, on_message_callback=self.on_response, auto_ack=True)',
    '        self.corr_id = None',
    '        self.response = None',
    '',
    '    def on_response(self, channel, method, properties, body):',
    '        if properties.correlation_id == self.corr_id:',
    '            self.response = body',
    '',
    `    def call(self, body, timeout=${s.timeoutSeconds}):`,
    '        self.corr_id = str(uuid.uuid4())',
    '        self.response = None',
    '        self.channel.basic_publish(',
    '            exchange=EXCHANGE,',
    '            routing_key=ROUTING_KEY,',
    '            properties=pika.BasicProperties(reply_to=self.callback_queue, correlation_id=self.corr_id),',
    '            body=body.encode(),',
    '        )',
    '        deadline = time.monotonic() + timeout',
    '        while self.response is None:',
    '            remaining = deadline - time.monotonic()',
    '            if remaining <= 0:',
    "                raise TimeoutError('No reply within %s s: is the RPC server running?' % timeout)",
    '            self.connection.process_data_events(time_limit=remaining)',
    '        return self.response.decode()',
    '',
    '',
    'def main():',
    `    n = sys.argv[1] if len(sys.argv) > 1 else ${w.str(s.defaultN)}`,
    `    ${pyUrl(w, s.connection)}`,
    '    connection = pika.BlockingConnection(pika.URLParameters(url))',
    '    try:',
    '        client = RpcClient(connection)',
    "        print(' [x] Requesting fib(%s)' % n, flush=True)",
    "        print(' [.] Got %s' % client.call(n), flush=True)",
    '    except TimeoutError as err:',
    '        sys.exit(str(err))',
    '    finally:',
    '        if connection.is_open:',
    '            connection.close()',
    ...PY_MAIN_PRODUCER,
  );
  return L;
}

// ---------------------------------------------------------------------------------------------------------
// Node (amqplib 2.x promise API): TypeScript and JavaScript from the same lines.

class NodeOut {
  constructor(readonly w: Writer, readonly ts: boolean) {}
  /** TypeScript-only text (type annotations). */
  t(text: string): string {
    return this.ts ? text : '';
  }
  import(what: string, from: string): string {
    if (this.ts) return `import ${what} from '${from}';`;
    const star = /^\* as (\w+)$/.exec(what);
    return `const ${star ? star[1] : what} = require('${from}');`;
  }
}

function jsHeader(o: NodeOut, spec: ProgramSpec, extra: string[] = []): string[] {
  const L = [`// ${oneLine(spec.title)}`, o.import('* as amqp', 'amqplib'), ...extra, ''];
  if (spec.connection.kind === 'profile') {
    L.push(
      '// The broker URL without password. RABBITMQ_URL (a full URL) wins; otherwise the password is read',
      '// from RABBITMQ_PASSWORD.',
      `const BROKER_URL = ${quote(spec.connection.url)};`,
      '',
      `function brokerUrl()${o.t(': string')} {`,
      '  if (process.env.RABBITMQ_URL) return process.env.RABBITMQ_URL;',
      '  const password = process.env.RABBITMQ_PASSWORD;',
      "  if (password === undefined) throw new Error('Set RABBITMQ_PASSWORD (or RABBITMQ_URL) to connect to ' + BROKER_URL);",
      '  const url = new URL(BROKER_URL);',
      '  url.password = encodeURIComponent(password);',
      '  return url.toString();',
      '}',
      '',
    );
  }
  return L;
}

function jsUrl(o: NodeOut, c: ConnectionSpec): string {
  return c.kind === 'env' ? `const url = process.env.RABBITMQ_URL || ${o.w.str(c.defaultUrl)};` : 'const url = brokerUrl();';
}

function jsQueueDeclare(o: NodeOut, q: QueueSpec): string {
  if (q.passive) return `await channel.checkQueue(QUEUE); // ${PASSIVE_NOTE}`;
  return `await channel.assertQueue(QUEUE, ${jsQueueOptions(o, q)});`;
}

function jsQueueOptions(o: NodeOut, q: QueueSpec): string {
  const opts: Record<string, unknown> = { durable: q.durable };
  if (q.autoDelete) opts.autoDelete = true;
  if (Object.keys(q.arguments).length > 0) opts.arguments = q.arguments;
  return o.w.js(opts);
}

function jsExchangeAssert(o: NodeOut, e: ExchangeSpec): string {
  const opts: Record<string, unknown> = { durable: e.durable };
  if (e.autoDelete) opts.autoDelete = true;
  return `await channel.assertExchange(EXCHANGE, ${quote(e.type)}, ${o.w.js(opts)});`;
}

const JS_MAIN = [
  '',
  'main().catch((err) => {',
  "  console.error('RabbitMQ error:', err instanceof Error ? err.message : err);",
  '  process.exitCode = 1;',
  '});',
];

/** Connect, then error handlers and a clean close on SIGINT/SIGTERM (for long-running programs). */
function jsLongRunningSetup(o: NodeOut, c: ConnectionSpec): string[] {
  return [
    `  ${jsUrl(o, c)}`,
    '  const connection = await amqp.connect(url, { noDelay: true });',
    '  const channel = await connection.createChannel();',
    '  let closing = false;',
    '  const close = () => {',
    '    if (closing) return;',
    '    closing = true;',
    '    connection.close().catch(() => undefined);',
    '  };',
    "  connection.on('error', (err) => console.error('Connection error:', err.message));",
    "  connection.on('close', () => {",
    '    if (closing) return;',
    "    console.error('The connection was closed by the broker');",
    '    process.exitCode = 1;',
    '  });',
    "  channel.on('error', (err) => console.error('Channel error:', err.message));",
    "  channel.on('close', close);",
    "  process.once('SIGINT', close);",
    "  process.once('SIGTERM', close);",
  ];
}

function jsProducer(o: NodeOut, s: ProducerSpec): string[] {
  const w = o.w;
  const t = s.target;
  const L = jsHeader(o, s);
  L.push(t.kind === 'queue' ? `const QUEUE = ${w.str(t.queue.name)};` : `const EXCHANGE = ${w.str(t.exchange.name)};`, '');
  L.push(`async function main()${o.t(': Promise<void>')} {`);
  const keyed = t.kind === 'exchange' && t.exchange.type !== 'fanout' && t.exchange.type !== 'headers';
  if (keyed) L.push(`  const routingKey = process.argv[2] || ${w.str(t.routingKey)};`);
  L.push(`  const message = process.argv.slice(${keyed ? 3 : 2}).join(' ') || ${w.str(s.message)};`);
  L.push(`  ${jsUrl(o, s.connection)}`, '  const connection = await amqp.connect(url, { noDelay: true });');
  L.push("  connection.on('error', (err) => console.error('Connection error:', err.message));", '  try {');
  L.push(`    const channel = await connection.${s.confirms ? 'createConfirmChannel' : 'createChannel'}();`);
  L.push("    channel.on('error', (err) => console.error('Channel error:', err.message));");
  if (t.kind === 'queue') L.push(`    ${jsQueueDeclare(o, t.queue)}`);
  else if (t.exchange.declare) L.push(`    ${jsExchangeAssert(o, t.exchange)}`);
  const opts: Record<string, unknown> = {};
  if (s.persistent) opts.persistent = true;
  if (t.kind === 'exchange' && t.headers) opts.headers = t.headers;
  const optText = Object.keys(opts).length > 0 ? `, ${w.js(opts)}` : '';
  if (t.kind === 'queue') L.push(`    channel.sendToQueue(QUEUE, Buffer.from(message)${optText});`);
  else L.push(`    channel.publish(EXCHANGE, ${keyed ? 'routingKey' : w.str(t.routingKey)}, Buffer.from(message)${optText});`);
  if (s.confirms) L.push('    await channel.waitForConfirms(); // rejects if the broker refused the message');
  L.push(keyed ? "    console.log(' [x] Sent %s: %s', routingKey, message);" : "    console.log(' [x] Sent %s', message);");
  L.push('    await channel.close();', '  } finally {', '    await connection.close().catch(() => undefined);', '  }', '}', ...JS_MAIN);
  return L;
}

function jsConsumer(o: NodeOut, s: ConsumerSpec): string[] {
  const w = o.w;
  const src = s.source;
  const L = jsHeader(o, s);
  L.push(src.kind === 'queue' ? `const QUEUE = ${w.str(src.queue.name)};` : `const EXCHANGE = ${w.str(src.exchange.name)};`, '');
  L.push(`async function main()${o.t(': Promise<void>')} {`);
  const keyed = src.kind === 'exchange' && src.exchange.type !== 'fanout' && src.exchange.type !== 'headers';
  if (keyed) {
    L.push(`  const args = process.argv.slice(2);`);
    L.push(`  const bindingKeys = args.length > 0 ? args : [${src.bindingKeys.map((k) => w.str(k)).join(', ')}];`);
  }
  L.push(...jsLongRunningSetup(o, s.connection), '  try {');
  let queueExpr = 'QUEUE';
  if (src.kind === 'queue') {
    L.push(`    ${jsQueueDeclare(o, src.queue)}`);
  } else {
    if (src.exchange.declare) L.push(`    ${jsExchangeAssert(o, src.exchange)}`);
    L.push('    // A private queue: server-named, deleted when this consumer disconnects.', "    const { queue } = await channel.assertQueue('', { exclusive: true });");
    queueExpr = 'queue';
    if (keyed) L.push('    for (const bindingKey of bindingKeys) await channel.bindQueue(queue, EXCHANGE, bindingKey);');
    else if (src.headersMatch) L.push(`    await channel.bindQueue(queue, EXCHANGE, '', ${w.js({ 'x-match': src.headersMatch.match, ...src.headersMatch.values })});`);
    else L.push("    await channel.bindQueue(queue, EXCHANGE, '');");
  }
  if (s.prefetch !== undefined) L.push(`    await channel.prefetch(${s.prefetch}); // per consumer: at most ${s.prefetch} unacknowledged`);
  const copts: Record<string, unknown> = { noAck: !s.manualAck };
  if (s.consumerArguments) copts.arguments = s.consumerArguments;
  L.push(`    await channel.consume(${queueExpr}, (msg) => {`);
  L.push("      if (msg === null) {", "        console.log(' [*] The broker cancelled the consumer');", '        close();', '        return;', '      }');
  L.push('      const body = msg.content.toString();');
  L.push(src.kind === 'queue' ? "      console.log(' [x] Received %s', body);" : "      console.log(' [x] %s: %s', msg.fields.routingKey, body);");
  if (s.simulateWork) {
    L.push(
      "      const seconds = body.split('.').length - 1; // pretend to work: one second per dot",
      '      setTimeout(() => {',
      "        console.log(' [x] Done');",
      ...(s.manualAck ? ['        if (!closing) channel.ack(msg); // only now may the broker forget it'] : []),
      '      }, seconds * 1000);',
    );
  } else if (s.manualAck) {
    L.push('      channel.ack(msg);');
  }
  L.push(`    }, ${w.js(copts)});`);
  L.push("    console.log(' [*] Waiting for messages. To exit press CTRL+C');", '  } catch (err) {', '    close();', '    throw err;', '  }', '}', ...JS_MAIN);
  return L;
}

function jsRpcServer(o: NodeOut, s: RpcServerSpec): string[] {
  const w = o.w;
  const L = jsHeader(o, s);
  const copts: Record<string, unknown> = { noAck: false };
  if (s.consumerArguments) copts.arguments = s.consumerArguments;
  L.push(
    `const QUEUE = ${w.str(s.queue.name)};`,
    '',
    `function fib(n${o.t(': number')})${o.t(': number')} {`,
    '  let [a, b] = [0, 1];',
    '  for (let i = 0; i < n; i++) [a, b] = [b, a + b];',
    '  return a;',
    '}',
    '',
    `async function main()${o.t(': Promise<void>')} {`,
    ...jsLongRunningSetup(o, s.connection),
    '  try {',
    `    ${jsQueueDeclare(o, s.queue)}`,
    '    await channel.prefetch(1); // one request at a time per server: start more servers to scale',
    '    await channel.consume(QUEUE, (msg) => {',
    '      if (msg === null) {',
    "        console.log(' [*] The broker cancelled the consumer');",
    '        close();',
    '        return;',
    '      }',
    '      const body = msg.content.toString();',
    '      const n = Number(body);',
    "      const response = Number.isInteger(n) ? String(fib(n)) : 'error: expected an integer, got ' + JSON.stringify(body);",
    "      console.log(' [.] fib(%s) = %s', body, response);",
    '      const { replyTo, correlationId } = msg.properties;',
    '      if (replyTo) channel.sendToQueue(replyTo, Buffer.from(response), { correlationId });',
    '      channel.ack(msg);',
    `    }, ${w.js(copts)});`,
    "    console.log(' [x] Awaiting RPC requests. To exit press CTRL+C');",
    '  } catch (err) {',
    '    close();',
    '    throw err;',
    '  }',
    '}',
    ...JS_MAIN,
  );
  return L;
}

function jsRpcClient(o: NodeOut, s: RpcClientSpec): string[] {
  const w = o.w;
  const L = jsHeader(o, s, [o.import('{ randomUUID }', 'node:crypto')]);
  L.push(
    `const EXCHANGE = ${w.str(s.exchange)};`,
    `const ROUTING_KEY = ${w.str(s.routingKey)};`,
    `const TIMEOUT_MS = ${s.timeoutSeconds * 1000};`,
    '',
    `async function main()${o.t(': Promise<void>')} {`,
    `  const n = process.argv[2] || ${w.str(s.defaultN)};`,
    `  ${jsUrl(o, s.connection)}`,
    '  const connection = await amqp.connect(url, { noDelay: true });',
    "  connection.on('error', (err) => console.error('Connection error:', err.message));",
    `  let timer${o.t(': NodeJS.Timeout | undefined')};`,
    '  try {',
    '    const channel = await connection.createChannel();',
    "    channel.on('error', (err) => console.error('Channel error:', err.message));",
    '    // Replies come back on a private, server-named queue.',
    "    const { queue: replyQueue } = await channel.assertQueue('', { exclusive: true });",
    '    const correlationId = randomUUID();',
    `    const reply = new Promise${o.t('<string>')}((resolve, reject) => {`,
    "      timer = setTimeout(() => reject(new Error('No reply within ' + TIMEOUT_MS / 1000 + ' s: is the RPC server running?')), TIMEOUT_MS);",
    '      channel',
    '        .consume(replyQueue, (msg) => {',
    '          if (msg && msg.properties.correlationId === correlationId) resolve(msg.content.toString());',
    '        }, { noAck: true })',
    '        .catch(reject);',
    '    });',
    "    console.log(' [x] Requesting fib(%s)', n);",
    '    channel.publish(EXCHANGE, ROUTING_KEY, Buffer.from(String(n)), { replyTo: replyQueue, correlationId });',
    "    console.log(' [.] Got %s', await reply);",
    '  } finally {',
    '    clearTimeout(timer);',
    '    await connection.close().catch(() => undefined);',
    '  }',
    '}',
    ...JS_MAIN,
  );
  return L;
}

// ---------------------------------------------------------------------------------------------------------
// Rendering

/** Renders one program. `mode: 'snippet'` gives a VS Code snippet body (lines), `'code'` plain source lines. */
export function renderProgram(spec: ProgramSpec, language: PatternLanguage, mode: 'snippet' | 'code'): string[] {
  const w = new Writer(mode);
  let lines: string[];
  if (language === 'python') {
    lines =
      spec.role === 'producer' ? pyProducer(w, spec)
      : spec.role === 'consumer' ? pyConsumer(w, spec)
      : spec.role === 'rpc-server' ? pyRpcServer(w, spec)
      : pyRpcClient(w, spec);
  } else {
    const o = new NodeOut(w, language === 'typescript');
    lines =
      spec.role === 'producer' ? jsProducer(o, spec)
      : spec.role === 'consumer' ? jsConsumer(o, spec)
      : spec.role === 'rpc-server' ? jsRpcServer(o, spec)
      : jsRpcClient(o, spec);
  }
  return w.finish(lines);
}

// ---------------------------------------------------------------------------------------------------------
// The tutorial patterns (snippets)

const ENV: ConnectionSpec = { kind: 'env', defaultUrl: 'amqp://localhost' };
const slot = (name: string, def: string): Slot => ({ slot: name, default: def });

export interface PatternSide {
  /** Snippet name (key in snippets/*.json). */
  key: string;
  prefixes: string[];
  description: string;
  spec: ProgramSpec;
}

export interface Pattern {
  id: 'hello' | 'work' | 'fanout' | 'direct' | 'topic' | 'rpc';
  title: string;
  sides: PatternSide[];
}

function exchangePattern(id: 'fanout' | 'direct' | 'topic', title: string, name: string, routingKey: string, bindingKeys: string[], doc: string): Pattern {
  const exchange: ExchangeSpec = { name: slot('exchange', name), type: id, durable: true, declare: true };
  return {
    id,
    title,
    sides: [
      {
        key: `RabbitMQ ${title}: producer`,
        prefixes: [`rabbitmq-${id}-producer`, `rabbitmq-${id}-publish`],
        description: `RabbitMQ ${title} producer: ${doc}`,
        spec: {
          role: 'producer',
          title: `RabbitMQ ${title} producer: ${doc}`,
          connection: ENV,
          target: { kind: 'exchange', exchange, routingKey: id === 'fanout' ? '' : slot('routingKey', routingKey) },
          message: slot('message', 'Hello World!'),
          persistent: false,
          confirms: false,
        },
      },
      {
        key: `RabbitMQ ${title}: consumer`,
        prefixes: [`rabbitmq-${id}-consumer`, `rabbitmq-${id}-subscribe`],
        description: `RabbitMQ ${title} consumer: a private server-named queue bound to the exchange, manual ack.`,
        spec: {
          role: 'consumer',
          title: `RabbitMQ ${title} consumer: a private server-named queue bound to the exchange, manual ack.`,
          connection: ENV,
          source: { kind: 'exchange', exchange, bindingKeys: bindingKeys.map((k, i) => slot(`bindingKey${i}`, k)) },
          manualAck: true,
          prefetch: 10,
          simulateWork: false,
        },
      },
    ],
  };
}

export const PATTERNS: readonly Pattern[] = [
  {
    id: 'hello',
    title: 'Hello World',
    sides: [
      {
        key: 'RabbitMQ Hello World: producer',
        prefixes: ['rabbitmq-hello-producer', 'rabbitmq-hello-send'],
        description: 'RabbitMQ Hello World producer: declare a queue and send one message to it.',
        spec: {
          role: 'producer',
          title: 'RabbitMQ Hello World producer: declare a queue and send one message (args: the message).',
          connection: ENV,
          target: { kind: 'queue', queue: { name: slot('queue', 'hello'), durable: true, arguments: {} } },
          message: slot('message', 'Hello World!'),
          persistent: false,
          confirms: false,
        },
      },
      {
        key: 'RabbitMQ Hello World: consumer',
        prefixes: ['rabbitmq-hello-consumer', 'rabbitmq-hello-receive'],
        description: 'RabbitMQ Hello World consumer: print every message of a queue (automatic ack).',
        spec: {
          role: 'consumer',
          title: 'RabbitMQ Hello World consumer: print every message of a queue (automatic ack).',
          connection: ENV,
          source: { kind: 'queue', queue: { name: slot('queue', 'hello'), durable: true, arguments: {} } },
          manualAck: false,
          simulateWork: false,
        },
      },
    ],
  },
  {
    id: 'work',
    title: 'Work queue',
    sides: [
      {
        key: 'RabbitMQ Work queue: producer',
        prefixes: ['rabbitmq-work-producer', 'rabbitmq-durable-producer', 'rabbitmq-persistent-producer'],
        description: 'RabbitMQ work queue producer: durable queue, persistent message, publisher confirm.',
        spec: {
          role: 'producer',
          title: 'RabbitMQ work queue producer: durable queue, persistent message, publisher confirm (args: the task; each "." is one second of work).',
          connection: ENV,
          target: { kind: 'queue', queue: { name: slot('queue', 'task_queue'), durable: true, arguments: { 'x-queue-type': slot('queueType', 'quorum') } } },
          message: slot('message', 'Hello World...'),
          persistent: true,
          confirms: true,
        },
      },
      {
        key: 'RabbitMQ Work queue: consumer',
        prefixes: ['rabbitmq-work-consumer', 'rabbitmq-fair-dispatch-consumer', 'rabbitmq-ack-consumer', 'rabbitmq-durable-consumer'],
        description: 'RabbitMQ work queue worker: manual ack, fair dispatch (prefetch 1), durable queue.',
        spec: {
          role: 'consumer',
          title: 'RabbitMQ work queue worker: manual ack after the work, fair dispatch (prefetch 1), durable queue.',
          connection: ENV,
          source: { kind: 'queue', queue: { name: slot('queue', 'task_queue'), durable: true, arguments: { 'x-queue-type': slot('queueType', 'quorum') } } },
          manualAck: true,
          prefetch: 1,
          simulateWork: true,
        },
      },
    ],
  },
  exchangePattern('fanout', 'Publish/Subscribe (fanout)', 'logs', '', [], 'every subscriber gets every message (args: the message).'),
  exchangePattern('direct', 'Routing (direct)', 'direct_logs', 'info', ['error', 'warning'], 'routed by exact key (args: severity, message).'),
  exchangePattern('topic', 'Topics (topic)', 'topic_logs', 'anonymous.info', ['#'], 'routed by pattern, "*" = one word, "#" = zero or more (args: key, message).'),
  {
    id: 'rpc',
    title: 'RPC',
    sides: [
      {
        key: 'RabbitMQ RPC: server',
        prefixes: ['rabbitmq-rpc-server'],
        description: 'RabbitMQ RPC server: answer fib(n) requests on a queue, reply to reply_to with the correlation id.',
        spec: {
          role: 'rpc-server',
          title: 'RabbitMQ RPC server: answers fib(n) requests, replying to reply_to with the correlation id.',
          connection: ENV,
          queue: { name: slot('queue', 'rpc_queue'), durable: true, arguments: {} },
        },
      },
      {
        key: 'RabbitMQ RPC: client',
        prefixes: ['rabbitmq-rpc-client'],
        description: 'RabbitMQ RPC client: send a request with reply_to + correlation_id and wait for the reply (with timeout).',
        spec: {
          role: 'rpc-client',
          title: 'RabbitMQ RPC client: sends fib(n) with reply_to + correlation_id, waits for the reply (args: n).',
          connection: ENV,
          exchange: '',
          routingKey: slot('queue', 'rpc_queue'),
          defaultN: slot('n', '30'),
          timeoutSeconds: 10,
        },
      },
    ],
  },
];

export interface SnippetEntry {
  prefix: string[];
  body: string[];
  description: string;
}

/** The contents of snippets/<language>.json. */
export function buildSnippetFile(language: PatternLanguage): Record<string, SnippetEntry> {
  const out: Record<string, SnippetEntry> = {};
  for (const p of PATTERNS) {
    for (const side of p.sides) {
      out[side.key] = { prefix: side.prefixes, body: renderProgram(side.spec, language, 'snippet'), description: side.description };
    }
  }
  return out;
}

/** Serialized exactly as written to disk (stable, so a test can check the files are up to date). */
export function snippetFileText(language: PatternLanguage): string {
  return `${JSON.stringify(buildSnippetFile(language), null, 2)}\n`;
}
