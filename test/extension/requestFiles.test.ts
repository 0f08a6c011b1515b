// Request files in a real VS Code extension host against the real broker (fresh vhost): the language, "New
// Request File", every CodeLens of the example files doing what it says (messages arrive with their properties,
// peeks open the inspector and leave the queue as it was, the RPC reply comes back in the RPC panel), the
// consume panel (settled by hand, or by itself for CONSUME with ack / nack / reject), PURGE, # @vhost and file
// bodies, completion of the broker's real names and of header names seen on a queue's messages, diagnostics
// for bad blocks with nothing sent, read-only connections, environments, faker loaded on first use (and its
// locale), copy as code, folding, the block under the cursor.
// Queues are durable: RabbitMQ 4 refuses transient queues that are not exclusive.
import * as assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as amqp from 'amqplib';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../src/extension';
import type { RunOutcome } from '../../src/features/requestFiles/runner';
import { parseRequestFile } from '../../src/core/requestFile';
import { createTestVhost, MGMT_URL, PASSWORD, USER, type TestVhost } from '../support/broker';

const AUTH = 'Basic ' + Buffer.from(`${USER}:${PASSWORD}`).toString('base64');

const EXTENSION_ID = 'rabbitmq-workbench.rabbitmq-workbench';

function run<T>(command: string, ...args: unknown[]): Promise<T> {
  return Promise.resolve(vscode.commands.executeCommand<T>(command, ...args));
}

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** True when the extension's dist/<name> bundle has been required in this extension host. */
function loaded(name: string): boolean {
  return Object.keys(require.cache).some((k) => k.endsWith(`${join('dist', name)}`) && !k.includes('dist-test'));
}

function fib(n: number): number {
  let a = 0;
  let b = 1;
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
}

describe('request files', function () {
  this.timeout(120_000);
  let api: ExtensionApi;
  let v: TestVhost;
  let connectionId: string;
  let readOnlyId: string;
  let raw: amqp.ChannelModel;
  let ch: amqp.Channel;
  let dir: string;

  /** Writes a request file into the temp folder and opens it. */
  async function open(name: string, text: string): Promise<vscode.TextDocument> {
    const path = join(dir, name);
    writeFileSync(path, text);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(path));
    await vscode.window.showTextDocument(doc);
    return doc;
  }

  async function drain(queue: string): Promise<amqp.GetMessage[]> {
    const out: amqp.GetMessage[] = [];
    for (let m = await ch.get(queue, { noAck: true }); m; m = await ch.get(queue, { noAck: true })) out.push(m);
    return out;
  }

  async function ready(queue: string): Promise<number> {
    return (await ch.checkQueue(queue)).messageCount;
  }

  /** The ready count once it reaches `expected`, or the last count seen: the broker requeues what a peek hands back
   *  just after the channel's close-ok, so an immediate count can miss messages that are on their way back. */
  async function readyOnceBack(queue: string, expected: number): Promise<number> {
    let last = await ready(queue);
    for (const end = Date.now() + 5_000; last !== expected && Date.now() < end; last = await ready(queue)) {
      await new Promise((r) => setTimeout(r, 50));
    }
    return last;
  }

  before(async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    v = await createTestVhost('reqfiles');
    connectionId = (await run<{ id: string }>('rabbitmq.addConnection', { name: 'reqfiles-test', amqpUrl: v.profileUrl, managementUrl: MGMT_URL, password: PASSWORD })).id;
    readOnlyId = (await run<{ id: string }>('rabbitmq.addConnection', { name: 'reqfiles-ro', amqpUrl: v.profileUrl, managementUrl: MGMT_URL, password: PASSWORD, readOnly: true })).id;
    await run('rabbitmq.connect', { id: readOnlyId });
    // Connected last: the active connection, which files without "# @connection" run on.
    await run('rabbitmq.connect', { id: connectionId });
    assert.equal(api.connections.activeProfileId, connectionId);
    raw = await amqp.connect(v.amqpUrl);
    raw.on('error', () => undefined);
    ch = await raw.createChannel();
    ch.on('error', () => undefined);
    dir = mkdtempSync(join(tmpdir(), 'rmqwb-reqfiles-'));
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.getConfiguration('rabbitmq').update('environments', undefined, vscode.ConfigurationTarget.Global);
    await raw?.close().catch(() => undefined);
    for (const id of [connectionId, readOnlyId]) if (id) await run('rabbitmq.removeConnection', { id, confirm: true }).catch(() => undefined);
    await v?.delete();
  });

  it('*.rabbitmq files get the language; "New Request File" writes an example that parses clean', async () => {
    assert.ok((await vscode.languages.getLanguages()).includes('rabbitmq'));
    assert.equal(loaded('requestFiles.js'), false, 'activation does not load the request-file bundle');
    const doc = await open('lang.rabbitmq', 'PEEK q\n');
    await waitFor('the request-file bundle to load with the first request file', () => loaded('requestFiles.js') || undefined);
    assert.equal(doc.languageId, 'rabbitmq');
    const fresh = await run<vscode.TextDocument>('rabbitmq.newRequestFile');
    assert.equal(fresh.languageId, 'rabbitmq');
    const parsed = parseRequestFile(fresh.getText());
    assert.deepEqual(parsed.diagnostics.map((d) => d.message), []);
    assert.deepEqual(parsed.blocks.map((b) => b.verb), ['DECLARE', 'PUBLISH', 'PEEK', 'CONSUME']);
  });

  it('every CodeLens of the example files does what it says', async () => {
    const examples = resolve(__dirname, '..', '..', '..', 'examples');
    const files = readdirSync(examples).filter((f) => f.endsWith('.rabbitmq')).sort();
    assert.equal(files.length, 6);
    // The RPC example needs a server: the tutorial's fib server in amqplib.
    const server = await raw.createChannel();
    // Declared as the example's DECLARE block declares it (durable).
    await server.assertQueue('rpc_queue', { durable: true });
    await server.consume('rpc_queue', (m) => {
      if (!m) return;
      server.sendToQueue(String(m.properties.replyTo), Buffer.from(String(fib(Number(m.content.toString())))), { correlationId: m.properties.correlationId, contentType: 'text/plain' });
      server.ack(m);
    });
    const outcomes = new Map<string, RunOutcome[]>();
    for (const name of files) {
      copyFileSync(join(examples, name), join(dir, name));
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(join(dir, name)));
      await vscode.window.showTextDocument(doc);
      const lenses = await waitFor(`CodeLenses of ${name}`, async () => {
        const l = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri);
        return l && l.length ? l : undefined;
      });
      const runs = lenses.filter((l) => l.command?.command === 'rabbitmq.runRequestBlock');
      assert.equal(runs.length, parseRequestFile(doc.getText()).blocks.length, `one run lens per block of ${name}`);
      assert.ok(runs.every((l) => !l.command!.title.includes('error')), `${name} has no errors`);
      const out: RunOutcome[] = [];
      for (const lens of runs) out.push(await run<RunOutcome>(lens.command!.command, ...(lens.command!.arguments ?? [])));
      assert.ok(out.every((o) => o && o.connectionId === connectionId && o.vhost === v.name), `${name} ran on the active connection`);
      outcomes.set(name, out);
    }
    await server.close();

    // Every PEEK opened the inspector with the messages it returned.
    const peeks = [...outcomes.values()].flat().filter((o) => o.verb === 'PEEK');
    assert.equal(peeks.length, 8);
    for (const o of peeks) {
      assert.ok(o.panel, `PEEK of block ${o.block} opened the inspector`);
      assert.deepEqual(o.panel.messages.map((e) => e.raw.body.text), o.peek?.messages.map((m) => m.body.text));
    }
    // hello-world: declare, publish, peek (non-destructive), consume with ack.
    const hello = outcomes.get('hello-world.rabbitmq')!;
    assert.deepEqual(hello[2].peek?.messages.map((m) => m.body.text), ['Hello World!']);
    assert.deepEqual(hello[3].result?.verb === 'CONSUME' && hello[3].result.messages?.map((m) => m.body.text), ['Hello World!']);
    assert.equal(await ready('hello'), 0);
    // work-queue: 10 persistent JSON tasks with their properties; the peek took none, the worker took two.
    const work = outcomes.get('work-queue.rabbitmq')!;
    assert.equal(work[1].result?.verb === 'PUBLISH' && work[1].result.confirmed, 10);
    assert.equal(work[2].peek?.messages.length, 10);
    const tasks = await drain('task_queue');
    assert.deepEqual(tasks.map((m) => JSON.parse(m.content.toString()).task), [3, 4, 5, 6, 7, 8, 9, 10]);
    assert.deepEqual([tasks[0].properties.deliveryMode, tasks[0].properties.contentType, tasks[0].properties.headers?.['x-tenant']], [2, 'application/json', 'acme']);
    assert.equal(new Set(tasks.map((m) => m.properties.messageId)).size, 8, 'a fresh $uuid per message');
    // fanout: both subscribers got the three lines, and the peeks left them there.
    assert.equal(await ready('logs.console'), 3);
    assert.equal(await ready('logs.archive'), 3);
    // direct and topic: routing as the titles say; anonymous.info reported unroutable.
    assert.deepEqual((await drain('errors_only')).map((m) => m.content.toString()).length, 1);
    assert.deepEqual((await drain('all_severities')).map((m) => m.content.toString())[1], 'user signed in');
    const topic = outcomes.get('topic.rabbitmq')!;
    assert.deepEqual(topic[2].result?.verb === 'PUBLISH' && [topic[2].result.published, topic[2].result.returned], [1, 1]);
    assert.match(topic[2].summary, /1 unroutable/);
    assert.equal(JSON.parse((await drain('critical_logs'))[0].content.toString()).facility, 'kern');
    // rpc: the reply came back through the RPC panel's runner, with its round trip.
    const rpc = outcomes.get('rpc.rabbitmq')!;
    assert.equal(rpc[1].call?.state, 'ok');
    assert.equal(rpc[1].call?.reply?.body?.text, '832040');
    assert.ok((rpc[1].call?.rttMs ?? 0) > 0);
    assert.ok([...api.rpc.panels].some((p) => p.scope.connectionId === connectionId && p.scope.vhost === v.name), 'the RPC panel of the connection and vhost shows the reply');
    assert.ok(api.rpc.history.list().some((h) => h.reply?.body?.text === '832040'), 'the call is in the RPC history');
    // Results: inline summaries and the results document of the file.
    const results = await run<vscode.TextDocument>('rabbitmq.showRequestResults', vscode.Uri.file(join(dir, 'rpc.rabbitmq')));
    assert.match(results.getText(), /Reply in \d+ ms/);
    // One results document per file, newest run first, with every run of that file only.
    const work2 = await run<vscode.TextDocument>('rabbitmq.showRequestResults', vscode.Uri.file(join(dir, 'work-queue.rabbitmq')));
    const entries = work2.getText().split('\n').filter((l) => /^[✓✗] /.test(l));
    assert.deepEqual(entries.map((l) => /line (\d+)/.exec(l)?.[1]), ['23', '20', '10', '7']);
    assert.ok(entries.every((l) => l.startsWith('✓')));
    assert.match(work2.getText(), /10 published · 10 confirmed · 0 unroutable/);
    assert.doesNotMatch(work2.getText(), /Reply in/);
    for (const o of peeks) o.panel?.dispose();
  });

  it('completion lists the real broker names: queues, exchanges, routing keys from bindings', async () => {
    await ch.assertExchange('rf-orders', 'topic', { durable: true });
    await ch.assertQueue('rf-orders-eu', { durable: true });
    await ch.bindQueue('rf-orders-eu', 'rf-orders', 'order.eu.*');
    const doc = await open('complete.rabbitmq', 'PEEK \n###\nPUBLISH \n###\nPUBLISH rf-orders \n');
    const labels = async (line: number, character: number): Promise<string[]> => {
      const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, new vscode.Position(line, character));
      return list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    };
    await waitFor('queue names', async () => ((await labels(0, 5)).includes('rf-orders-eu') ? true : undefined));
    assert.ok((await labels(2, 8)).includes('rf-orders'));
    assert.ok((await labels(2, 8)).includes('amq.topic'));
    assert.ok((await labels(4, 18)).includes('order.eu.*'));
  });

  it('hover on an exchange shows its type and bindings; property names are completed', async () => {
    await ch.assertExchange('rf-orders', 'topic', { durable: true });
    await ch.assertQueue('rf-orders-eu', { durable: true });
    await ch.bindQueue('rf-orders-eu', 'rf-orders', 'order.eu.*');
    const doc = await open('hover.rabbitmq', 'PUBLISH rf-orders order.eu.1\n\nx\n###\nPUBLISH "" q\nconte\n');
    const hovers = await waitFor('hover', async () => {
      const h = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(0, 10));
      return h && h.length ? h : undefined;
    });
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n').replace(/&nbsp;/g, ' ').replace(/\\(.)/g, '$1');
    assert.match(text, /rf-orders.*topic/);
    assert.match(text, /queue rf-orders-eu \(order\.eu\.\*\)/);
    const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, new vscode.Position(5, 5));
    const labels = list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    assert.ok(labels.includes('content-type'), labels.join(','));
    assert.ok(labels.includes('mandatory'));
  });

  it('diagnostics for bad blocks, before anything is sent', async () => {
    await ch.assertQueue('rf-bad', { durable: true });
    const text = [
      'PUBLISH rf-nope k', // 1: unknown exchange (broker)
      '',
      'x',
      '###',
      'PUBLISH "" rf-bad', // 5
      'content-type: application/json',
      'colour: red', // 7: unknown property
      '',
      '{"a": }', // 9: invalid JSON
      '###',
      `PUBLISH "" ${'k'.repeat(256)}`, // 11: routing key too long
      '',
      'x',
      '###',
      'PEEK rf-missing', // 15: unknown queue (broker)
    ].join('\n');
    const doc = await open('bad.rabbitmq', text);
    const diags = await waitFor('diagnostics', () => {
      const d = vscode.languages.getDiagnostics(doc.uri);
      return d.some((x) => /does not exist on the broker/.test(x.message)) ? d : undefined;
    });
    const lines = (re: RegExp): number[] => diags.filter((d) => re.test(d.message)).map((d) => d.range.start.line + 1);
    assert.deepEqual(lines(/exchange "rf-nope" does not exist/), [1]);
    assert.deepEqual(lines(/is not an AMQP message property/), [7]);
    assert.deepEqual(lines(/not valid JSON/), [9]);
    assert.deepEqual(lines(/256 bytes long/), [11]);
    assert.deepEqual(lines(/queue "rf-missing" does not exist/), [15]);
    // Running a bad block is refused with the line and field; nothing reaches the queue.
    await assert.rejects(run('rabbitmq.runRequestBlock', { uri: doc.uri, block: 1 }), (e: unknown) => (e as { code?: string }).code === 'INVALID_INPUT' && /^line 7, column 1: colour: /.test((e as Error).message));
    assert.equal(await ready('rf-bad'), 0);
    // The session keeps working.
    const ok = await open('ok.rabbitmq', 'PUBLISH "" rf-bad\n\nfine\n');
    const r = await run<RunOutcome>('rabbitmq.runRequestBlock', { uri: ok.uri, block: 0 });
    assert.equal(r.result?.verb === 'PUBLISH' && r.result.confirmed, 1);
    assert.equal(await ready('rf-bad'), 1);
  });

  it('read-only connections: diagnostics on PUBLISH, DECLARE and BIND, their runs refused with nothing sent; PEEK runs', async () => {
    const doc = await open('ro.rabbitmq', '# @connection reqfiles-ro\n\n### send\nPUBLISH "" rf-bad\n\nnope\n###\nPEEK rf-bad\n###\nDECLARE queue rf-ro-new\n###\nBIND queue rf-bad to amq.fanout\n');
    const diags = await waitFor('read-only diagnostics', () => {
      const d = vscode.languages.getDiagnostics(doc.uri).filter((x) => /read-only/.test(x.message));
      return d.length >= 3 ? d : undefined;
    });
    assert.deepEqual(diags.map((d) => d.range.start.line).sort((a, b) => a - b), [3, 9, 11]);
    for (const block of [2, 3]) await assert.rejects(run('rabbitmq.runRequestBlock', { uri: doc.uri, block }), (e: unknown) => (e as { code?: string }).code === 'READ_ONLY');
    await assert.rejects(ch.checkQueue('rf-ro-new'), /NOT_FOUND/);
    ch = await raw.createChannel();
    ch.on('error', () => undefined);
    const bindings = (await (await fetch(`${MGMT_URL}/api/exchanges/${encodeURIComponent(v.name)}/amq.fanout/bindings/source`, { headers: { authorization: AUTH } })).json()) as unknown[];
    assert.deepEqual(bindings, [], 'the BIND block bound nothing');
    const before = await ready('rf-bad');
    await assert.rejects(run('rabbitmq.runRequestBlock', { uri: doc.uri, block: 0 }), (e: unknown) => (e as { code?: string }).code === 'READ_ONLY');
    assert.equal(await ready('rf-bad'), before);
    const peek = await run<RunOutcome>('rabbitmq.runRequestBlock', { uri: doc.uri, block: 1 });
    assert.equal(peek.connectionId, readOnlyId);
    assert.equal(peek.peek?.messages.length, before);
    assert.equal(await readyOnceBack('rf-bad', before), before, 'peek is non-destructive');
  });

  it('environments from settings ($shared), .env values, and faker loaded on first use', async () => {
    await ch.assertQueue('rf-env', { durable: true });
    await vscode.workspace.getConfiguration('rabbitmq').update('environments', { $shared: { tenant: 'shared-t' }, dev: { queue: 'rf-env' } }, vscode.ConfigurationTarget.Global);
    assert.equal(await run('rabbitmq.selectRequestEnvironment', { name: 'dev' }), 'dev');
    writeFileSync(join(dir, '.env'), 'TOKEN=from-dotenv\n');
    assert.equal(loaded('faker.js'), false, 'faker is not loaded before a file uses it');
    const doc = await open('env.rabbitmq', 'PUBLISH "" {{queue}}\ncontent-type: application/json\nheader x-token: {{$dotenv TOKEN}}\n\n{"tenant": "{{tenant}}", "name": "{{$faker person.firstName}}"}\n');
    const r = await run<RunOutcome>('rabbitmq.runRequestBlock', { uri: doc.uri, line: 0 });
    assert.equal(r.result?.verb === 'PUBLISH' && r.result.confirmed, 1);
    const [m] = await drain('rf-env');
    const body = JSON.parse(m.content.toString()) as { tenant: string; name: string };
    assert.equal(body.tenant, 'shared-t');
    assert.ok(body.name.length > 0);
    assert.equal(loaded('faker.js'), true);
    assert.equal(m.properties.headers?.['x-token'], 'from-dotenv');
    // The faker locale comes from rabbitmq.requestFiles.fakerLocale.
    await vscode.workspace.getConfiguration('rabbitmq').update('requestFiles.fakerLocale', 'ja', vscode.ConfigurationTarget.Global);
    try {
      const ja = await open('faker-ja.rabbitmq', 'PUBLISH "" rf-env x 5\n\n{{$faker person.lastName}}\n');
      await run<RunOutcome>('rabbitmq.runRequestBlock', { uri: ja.uri, block: 0 });
      const names = (await drain('rf-env')).map((x) => x.content.toString());
      assert.equal(names.length, 5);
      assert.ok(names.every((n) => /^[\u3040-\u30ff\u4e00-\u9fff]+$/.test(n)), names.join(', '));
    } finally {
      await vscode.workspace.getConfiguration('rabbitmq').update('requestFiles.fakerLocale', undefined, vscode.ConfigurationTarget.Global);
    }
    assert.equal(await run('rabbitmq.selectRequestEnvironment', { name: null }), undefined);
    await assert.rejects(run('rabbitmq.runRequestBlock', { uri: doc.uri, line: 0 }), /variable "queue" is not defined/);
  });

  it('copy as code: the block as pika, amqplib or rabbitmqadmin, on the clipboard', async () => {
    const doc = await open('copy.rabbitmq', 'PUBLISH "" rf-bad\npriority: 3\n\nhello\n');
    const py = await run<string>('rabbitmq.copyRequestAsCode', { uri: doc.uri, block: 0, target: 'python' });
    assert.match(py, /channel\.basic_publish\(exchange='', routing_key='rf-bad'/);
    assert.match(py, /priority=3/);
    assert.equal(await vscode.env.clipboard.readText(), py);
    const admin = await run<string>('rabbitmq.copyRequestAsCode', { uri: doc.uri, block: 0, target: 'rabbitmqadmin' });
    assert.match(admin, new RegExp(`^rabbitmqadmin --vhost='${v.name}' publish exchange='amq.default' routing_key='rf-bad'`));
  });

  it('CONSUME without a mode opens the consume panel; PURGE asks first (cancel deletes nothing), runs once confirmed', async () => {
    await ch.assertQueue('rf-consume', { durable: true });
    const doc = await open('consume.rabbitmq', '### three\nPUBLISH "" rf-consume x 3\n\nc{{$counter}}\n###\nCONSUME rf-consume 2\n###\nPURGE rf-consume\n');
    await run<RunOutcome>('rabbitmq.runRequestBlock', { uri: doc.uri, block: 0 });
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri);
    const consumeLens = lenses.find((l) => l.command?.command === 'rabbitmq.runRequestBlock' && l.range.start.line === 5);
    assert.ok(consumeLens, 'a run lens on the CONSUME line');
    const c = await run<RunOutcome>(consumeLens.command!.command, ...(consumeLens.command!.arguments ?? []));
    assert.equal(c.consumePanel, true);
    const panel = c.panel!;
    // The count is the panel's prefetch: two messages held unacknowledged, one still ready.
    await waitFor('two deliveries in the consume panel', () => panel.messages.length === 2 || undefined);
    assert.deepEqual(panel.messages.map((e) => e.raw.body.text), ['c1', 'c2']);
    assert.equal(panel.controller.mode, 'consume');
    assert.equal(await ready('rf-consume'), 1);
    // Closing the panel gives the unacknowledged messages back.
    panel.dispose();
    await waitFor('messages back in the queue', async () => ((await ready('rf-consume')) === 3 ? true : undefined));
    // The PURGE lens asks first in a modal dialog; the test host answers every dialog with Cancel: nothing deleted.
    const purgeLens = lenses.find((l) => l.command?.command === 'rabbitmq.runRequestBlock' && l.range.start.line === 7);
    assert.match(purgeLens?.command?.title ?? '', /Purge…/);
    assert.equal(await run(purgeLens!.command!.command, ...(purgeLens!.command!.arguments ?? [])), undefined, 'cancelled');
    assert.equal(await ready('rf-consume'), 3);
    const p = await run<RunOutcome>('rabbitmq.runRequestBlock', { uri: doc.uri, block: 2, confirm: true });
    assert.deepEqual(p.result, { verb: 'PURGE', queue: 'rf-consume', purged: 3 });
    assert.equal(await ready('rf-consume'), 0);
  });

  it('CONSUME with ack / reject / nack takes the messages in the consume panel and settles each as the panel does', async () => {
    // Rejected messages go to a dead-letter queue, so what "reject" did is visible on the broker.
    await ch.assertExchange('rf-auto-dlx', 'fanout', { durable: true });
    await ch.assertQueue('rf-auto-dead', { durable: true });
    await ch.bindQueue('rf-auto-dead', 'rf-auto-dlx', '');
    await ch.assertQueue('rf-auto', { durable: true, arguments: { 'x-dead-letter-exchange': 'rf-auto-dlx' } });
    const doc = await open('auto.rabbitmq', '### five\nPUBLISH "" rf-auto x 5\n\nm{{$counter}}\n###\nCONSUME rf-auto 2 ack\n###\nCONSUME rf-auto 2 reject\n###\nCONSUME rf-auto 3 nack\n');
    /** The queue's message count (ready + unacked) as the management API reports it, once it settles at `n`. */
    const mgmtCount = (queue: string, n: number): Promise<number> =>
      waitFor(`the management API to report ${n} message(s) in ${queue}`, async () => {
        const r = await fetch(`${MGMT_URL}/api/queues/${encodeURIComponent(v.name)}/${encodeURIComponent(queue)}`, { headers: { authorization: AUTH } });
        assert.equal(r.status, 200);
        const q = (await r.json()) as { messages?: number; messages_unacknowledged?: number };
        return q.messages === n && q.messages_unacknowledged === 0 ? n : undefined;
      }, 60_000);
    await run<RunOutcome>('rabbitmq.runRequestBlock', { uri: doc.uri, block: 0 });
    assert.equal(await mgmtCount('rf-auto', 5), 5);

    // ack: the panel opens, shows the two messages acked, and the queue has two fewer.
    const a = await run<RunOutcome>('rabbitmq.runRequestBlock', { uri: doc.uri, block: 1 });
    assert.equal(a.consumePanel, true);
    assert.ok(a.panel, 'the consume panel opened');
    assert.equal(a.panel.controller.mode, 'consume');
    assert.deepEqual(a.panel.messages.map((e) => [e.raw.body.text, e.view.settled]), [['m1', 'acked'], ['m2', 'acked']]);
    assert.equal(a.panel.lastStatus?.active, false, 'the consumer stopped after the count');
    assert.deepEqual(a.result?.verb === 'CONSUME' && a.result.messages?.map((m) => m.body.text), ['m1', 'm2']);
    assert.match(a.summary, /2 message\(s\) consumed from "rf-auto" \(ack\)/);
    assert.equal(await ready('rf-auto'), 3);
    assert.equal(await mgmtCount('rf-auto', 3), 3);

    // reject: dead-lettered (the panel's Reject does not requeue).
    const r = await run<RunOutcome>('rabbitmq.runRequestBlock', { uri: doc.uri, block: 2 });
    assert.notEqual(r.panel, a.panel, 'a panel of its own');
    assert.deepEqual(r.panel?.messages.map((e) => [e.raw.body.text, e.view.settled]), [['m3', 'rejected'], ['m4', 'rejected']]);
    assert.equal(await mgmtCount('rf-auto', 1), 1);
    assert.equal(await mgmtCount('rf-auto-dead', 2), 2);
    assert.deepEqual((await drain('rf-auto-dead')).map((m) => m.content.toString()), ['m3', 'm4']);

    // nack: requeued (the panel's Nack requeues). Only one message is left, so the run ends when none comes.
    const n = await run<RunOutcome>('rabbitmq.runRequestBlock', { uri: doc.uri, block: 3 });
    assert.deepEqual(n.panel?.messages.map((e) => [e.raw.body.text, e.view.settled]), [['m5', 'nacked']]);
    assert.match(n.summary, /1 message\(s\) consumed from "rf-auto" \(nack\)/);
    assert.equal(await mgmtCount('rf-auto', 1), 1);
    assert.equal(await ready('rf-auto-dead'), 0, 'nack dead-letters nothing');
    assert.deepEqual((await drain('rf-auto')).map((m) => [m.content.toString(), m.fields.redelivered]), [['m5', true]]);

    // The results document keeps every run's summary and the bodies taken.
    const results = (await run<vscode.TextDocument>('rabbitmq.showRequestResults', doc.uri)).getText();
    assert.match(results, /2 message\(s\) consumed from "rf-auto" \(ack\)/);
    assert.match(results, /2 message\(s\) consumed from "rf-auto" \(reject\)/);
    assert.match(results, /1 message\(s\) consumed from "rf-auto" \(nack\)/);
    assert.match(results, /#1 m3/);
    for (const panel of [a.panel, r.panel, n.panel]) panel?.dispose();
  });

  it('# @vhost picks the vhost, < ./file bodies are sent as they are, and a DECLARE clears the "does not exist yet" warning', async () => {
    const other = await createTestVhost('reqfiles-vh');
    let conn: amqp.ChannelModel | undefined;
    try {
      const order = '{"order": 7, "lines": [{"sku": "A-1", "qty": 2}]}\n';
      writeFileSync(join(dir, 'order.json'), order);
      const doc = await open(
        'vhost.rabbitmq',
        [`# @vhost ${other.name}`, '', '### setup', 'DECLARE queue rf-orders durable', '', '### send the order file', 'PUBLISH "" rf-orders', 'content-type: application/json', 'header x-source: file', '', '< ./order.json', '', '### look', 'PEEK rf-orders'].join('\n'),
      );
      const warned = await waitFor('the "does not exist yet" warning', () => {
        const d = vscode.languages.getDiagnostics(doc.uri).filter((x) => /rf-orders" does not exist on the broker yet/.test(x.message));
        return d.length ? d : undefined;
      });
      assert.deepEqual(warned.map((d) => [d.range.start.line, d.severity]), [[13, vscode.DiagnosticSeverity.Warning]]);
      const setup = await run<RunOutcome>('rabbitmq.runRequestBlock', { uri: doc.uri, block: 0 });
      assert.equal(setup.vhost, other.name);
      await waitFor('the warning to go once the queue exists', () => (vscode.languages.getDiagnostics(doc.uri).some((x) => /does not exist/.test(x.message)) ? undefined : true));
      const sent = await run<RunOutcome>('rabbitmq.runRequestBlock', { uri: doc.uri, block: 1 });
      assert.deepEqual([sent.connectionId, sent.vhost, sent.result?.verb === 'PUBLISH' && sent.result.confirmed], [connectionId, other.name, 1]);
      conn = await amqp.connect(other.amqpUrl);
      conn.on('error', () => undefined);
      const och = await conn.createChannel();
      const m = await och.get('rf-orders', { noAck: true });
      assert.ok(m, 'the message is in the other vhost');
      assert.equal(m.content.toString(), order, 'the file, byte for byte');
      assert.deepEqual([m.properties.contentType, m.properties.headers?.['x-source']], ['application/json', 'file']);
      await assert.rejects(ch.checkQueue('rf-orders'), /NOT_FOUND/, 'nothing in the connection\'s own vhost');
      ch = await raw.createChannel();
      ch.on('error', () => undefined);
    } finally {
      await conn?.close().catch(() => undefined);
      await other.delete();
    }
  });

  it('header names seen on the queue\'s messages are completed for blocks that publish to that queue', async () => {
    await ch.assertQueue('rf-hdr', { durable: true });
    await ch.assertQueue('rf-hdr-other', { durable: true });
    await ch.bindQueue('rf-hdr', 'amq.direct', 'hdr');
    ch.sendToQueue('rf-hdr', Buffer.from('a'), { headers: { 'x-order-id': 1, 'x-region': 'eu' } });
    ch.sendToQueue('rf-hdr-other', Buffer.from('b'), { headers: { 'x-unrelated': 1 } });
    await waitFor('both messages', async () => ((await ready('rf-hdr')) === 1 && (await ready('rf-hdr-other')) === 1) || undefined);
    const doc = await open('headers.rabbitmq', 'PEEK rf-hdr\n###\nPEEK rf-hdr-other\n###\nPUBLISH "" rf-hdr\nheader \n\nx\n###\nPUBLISH amq.direct hdr\nheader \n\ny\n');
    const labels = async (line: number): Promise<string[]> => {
      const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, new vscode.Position(line, 7));
      return list.items.filter((i) => i.kind === vscode.CompletionItemKind.Field).map((i) => (typeof i.label === 'string' ? i.label : i.label.label)).sort();
    };
    assert.deepEqual(await labels(5), [], 'nothing seen before a peek');
    for (const block of [0, 1]) (await run<RunOutcome>('rabbitmq.runRequestBlock', { uri: doc.uri, block })).panel?.dispose();
    assert.deepEqual(await labels(5), ['x-order-id', 'x-region']);
    assert.deepEqual(await labels(10), ['x-order-id', 'x-region'], 'through the exchange\'s binding to rf-hdr');
    assert.equal(await ready('rf-hdr'), 1, 'completion read nothing off the queue');
  });

  it('folding per block, and the command runs the block under the cursor', async () => {
    await ch.assertQueue('rf-cursor', { durable: true });
    const doc = await open('cursor.rabbitmq', '# notes\n\n### one\nPUBLISH "" rf-cursor\n\nfirst\n\n### two\nPUBLISH "" rf-cursor\n\nsecond\n');
    const ranges = await vscode.commands.executeCommand<vscode.FoldingRange[]>('vscode.executeFoldingRangeProvider', doc.uri);
    assert.deepEqual(ranges.filter((r) => r.kind === vscode.FoldingRangeKind.Region).map((r) => [r.start, r.end]), [[2, 5], [7, 10]]);
    const editor = await vscode.window.showTextDocument(doc);
    editor.selection = new vscode.Selection(10, 2, 10, 2);
    const r = await run<RunOutcome>('rabbitmq.runRequestBlock');
    assert.equal(r.block, 1);
    assert.deepEqual((await drain('rf-cursor')).map((m) => m.content.toString()), ['second']);
  });

  it('a file without # @connection and no active connection asks once with a quick pick, then remembers', async () => {
    await ch.assertQueue('rf-pick', { durable: true });
    // The quick pick lists the saved connections in the store's order.
    const position = api.connections.store.list().findIndex((p) => p.id === connectionId);
    assert.ok(position >= 0);
    await run('rabbitmq.disconnect', { id: readOnlyId });
    await run('rabbitmq.disconnect', { id: connectionId });
    try {
      assert.equal(api.connections.activeProfileId, undefined);
      const doc = await open('pick.rabbitmq', 'PUBLISH "" rf-pick\n\npicked\n');
      const first = run<RunOutcome>('rabbitmq.runRequestBlock', { uri: doc.uri, block: 0 });
      await new Promise((r) => setTimeout(r, 1500));
      for (let k = 0; k < position; k++) await vscode.commands.executeCommand('workbench.action.quickOpenSelectNext');
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      const r1 = await first;
      assert.equal(r1.connectionId, connectionId);
      // Asked once: the second run does not wait for a pick.
      const second = await Promise.race([
        run<RunOutcome>('rabbitmq.runRequestBlock', { uri: doc.uri, block: 0 }),
        new Promise<undefined>((r) => setTimeout(() => r(undefined), 15_000)),
      ]);
      assert.equal(second?.connectionId, connectionId, 'the choice is remembered for the file');
      assert.deepEqual((await drain('rf-pick')).map((m) => m.content.toString()), ['picked', 'picked']);
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
      await run('rabbitmq.connect', { id: connectionId });
    }
  });

  it('RPC through an exchange: properties and headers reach the server, the reply comes back in the RPC panel', async () => {
    const server = await raw.createChannel();
    server.on('error', () => undefined);
    await server.assertQueue('rf-rpc-x', { durable: true });
    await server.bindQueue('rf-rpc-x', 'amq.direct', 'calc');
    await server.consume('rf-rpc-x', (m) => {
      if (!m) return;
      const seen = { op: String(m.properties.headers?.['x-op']), contentType: m.properties.contentType, priority: m.properties.priority, body: JSON.parse(m.content.toString()) as unknown };
      server.sendToQueue(String(m.properties.replyTo), Buffer.from(JSON.stringify(seen)), { correlationId: m.properties.correlationId, contentType: 'application/json' });
      server.ack(m);
    });
    try {
      const doc = await open('rpc-x.rabbitmq', '@op = add\n\n### add\nRPC amq.direct calc 5s\ncontent-type: application/json\npriority: 4\nheader x-op: {{op}}\n\n{"a": 2, "b": {{$randomInt 3 4}}}\n');
      const r = await run<RunOutcome>('rabbitmq.runRequestBlock', { uri: doc.uri, block: 0 });
      assert.equal(r.call?.state, 'ok');
      assert.deepEqual(JSON.parse(r.call?.reply?.body?.text ?? 'null'), { op: 'add', contentType: 'application/json', priority: 4, body: { a: 2, b: 3 } });
      assert.match(r.summary, /Reply in \d+ ms/);
      assert.ok([...api.rpc.panels].some((p) => p.scope.connectionId === connectionId && p.scope.vhost === v.name));
    } finally {
      await server.close();
    }
  });
});
