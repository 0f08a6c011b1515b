import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import * as amqp from 'amqplib';
import { isRabbitError, type RabbitError, type RabbitErrorCode } from '../../src/core/errors';
import { ManagementClient } from '../../src/core/management';
import type { BindingInfo } from '../../src/core/model';
import { resolveProfile, type Credentials, type TlsOptions } from '../../src/core/profile';
import { AMQP_HOST, AMQP_PORT, MGMT_URL, PASSWORD, USER, createTestVhost, mgmt, type TestVhost } from '../support/broker';

const QUEUE_COUNT = 1200;
const qname = (i: number) => `page-q-${String(i).padStart(4, '0')}`;

function clientFor(managementUrl: string, credentials: Credentials = { username: USER, password: PASSWORD }, timeoutMs?: number, tls?: TlsOptions): ManagementClient {
  const resolved = resolveProfile({ id: 'test', name: 'test', amqpUrl: `amqp://${encodeURIComponent(credentials.username)}@${AMQP_HOST}:${AMQP_PORT}/`, managementUrl, tls });
  return new ManagementClient(resolved, credentials, timeoutMs === undefined ? {} : { timeoutMs });
}

/** Runs `fn`, expects a RabbitError with `code`, returns it. */
async function expectError(fn: () => Promise<unknown>, code: RabbitErrorCode): Promise<RabbitError> {
  let caught: unknown;
  try {
    await fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(isRabbitError(caught), `expected a RabbitError ${code}, got ${caught === undefined ? 'success' : String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}

async function waitFor<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, limitMs = 20_000): Promise<T> {
  const end = Date.now() + limitMs;
  let last = await probe();
  while (!ok(last) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 250));
    last = await probe();
  }
  assert.ok(ok(last), `${what}: last value ${JSON.stringify(last)}`);
  return last;
}

/**
 * A local HTTP server in front of the broker's management API. In 'proxy' mode it forwards to the
 * broker; otherwise it misbehaves the way foreign servers do.
 */
class FakeFront {
  mode: 'proxy' | 'html' | 'text' | 'hang' = 'proxy';
  private server?: http.Server;
  port = 0;

  constructor(private readonly tls?: { key: string; cert: string }) {}

  async start(port = 0): Promise<void> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => void this.handle(req, res);
    const server = this.tls ? https.createServer(this.tls, handler) : http.createServer(handler);
    this.server = server;
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get url(): string {
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (this.mode === 'hang') return; // never answers
    if (this.mode === 'html') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><html><body>Welcome to nginx!</body></html>');
      return;
    }
    if (this.mode === 'text') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
      return;
    }
    const auth = 'Basic ' + Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
    const upstream = await fetch(`${MGMT_URL}${req.url ?? '/'}`, { method: req.method, headers: { authorization: auth } });
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream' });
    res.end(Buffer.from(await upstream.arrayBuffer()));
  }
}

describe('core/management', function () {
  this.timeout(120_000);
  let tv: TestVhost;
  let client: ManagementClient;
  let conn: amqp.ChannelModel;
  let ch: amqp.Channel;
  const oddVhost = `wb-test-odd/ vhost ü中文 ${randomBytes(3).toString('hex')}`;
  const tempUsers: string[] = [];

  before(async () => {
    tv = await createTestVhost('mgmt');
    client = clientFor(MGMT_URL);
    conn = await amqp.connect(tv.amqpUrl, { noDelay: true });
    conn.on('error', () => undefined);
    ch = await conn.createChannel();
    ch.on('error', () => undefined);
    for (let start = 0; start < QUEUE_COUNT; start += 400) {
      const batch: Promise<unknown>[] = [];
      for (let i = start; i < Math.min(QUEUE_COUNT, start + 400); i++) batch.push(ch.assertQueue(qname(i), { durable: true }));
      await Promise.all(batch);
    }
  });

  after(async () => {
    await conn?.close().catch(() => undefined);
    for (const u of tempUsers) await mgmt('DELETE', `/users/${encodeURIComponent(u)}`).catch(() => undefined);
    await mgmt('DELETE', `/vhosts/${encodeURIComponent(oddVhost)}`).catch(() => undefined);
    await tv?.delete();
  });

  afterEach(async () => {
    // Whatever went wrong in a test, the shared client must keep working.
    const o = await client.overview();
    assert.ok(o.rabbitmqVersion);
  });

  describe('broker and user', () => {
    it('reads the overview and the version', async () => {
      const o = await client.overview();
      assert.match(o.rabbitmqVersion, /^\d+\.\d+\.\d+/);
      assert.match(o.managementVersion, /^\d+\.\d+/);
      assert.equal(typeof o.clusterName, 'string');
      assert.ok(o.erlangVersion === undefined || /^\d+/.test(o.erlangVersion));
      assert.equal(await client.version(), o.rabbitmqVersion);
    });

    it('says who the user is and lists vhosts', async () => {
      const me = await client.whoami();
      assert.equal(me.name, USER);
      assert.ok(Array.isArray(me.tags) && me.tags.length > 0);
      const vhosts = await client.listVhosts();
      const mine = vhosts.find((v) => v.name === tv.name);
      assert.ok(mine, 'test vhost listed');
      assert.ok(Array.isArray(mine.tags));
      assert.ok(vhosts.some((v) => v.name === '/'));
    });
  });

  describe('pagination', () => {
    it('pages 1,200 queues in pages of 500: 500, 500, 200', async () => {
      const seen = new Set<string>();
      const sizes: number[] = [];
      for (let page = 1; page <= 3; page++) {
        const p = await client.listQueues(tv.name, { page, pageSize: 500, sort: 'name' });
        assert.equal(p.page, page);
        assert.equal(p.pageSize, 500);
        assert.equal(p.pageCount, 3);
        assert.equal(p.totalCount, QUEUE_COUNT);
        assert.equal(p.filteredCount, QUEUE_COUNT);
        sizes.push(p.items.length);
        for (const q of p.items) {
          assert.equal(q.vhost, tv.name);
          assert.equal(q.type, 'classic');
          assert.equal(q.durable, true);
          assert.equal(q.autoDelete, false);
          assert.equal(q.exclusive, false);
          seen.add(q.name);
        }
      }
      assert.deepEqual(sizes, [500, 500, 200]);
      assert.equal(seen.size, QUEUE_COUNT);
      const last = await client.listQueues(tv.name, { page: 3, pageSize: 500, sort: 'name' });
      assert.equal(last.items[last.items.length - 1].name, qname(QUEUE_COUNT - 1));
    });

    it('defaults to pages of 100 and sorts in reverse', async () => {
      const p = await client.listQueues(tv.name, { stats: false, sort: 'name', sortReverse: true });
      assert.equal(p.pageSize, 100);
      assert.equal(p.pageCount, 12);
      assert.equal(p.items.length, 100);
      assert.equal(p.items[0].name, qname(QUEUE_COUNT - 1));
    });

    it('rejects page sizes outside 1…500 and pages < 1 before sending', async () => {
      for (const pageSize of [0, 501, 2.5, -1]) {
        const e = await expectError(() => client.listQueues(tv.name, { pageSize }), 'INVALID_INPUT');
        assert.equal(e.field, 'pageSize');
        assert.equal(e.httpStatus, undefined, 'nothing was sent');
      }
      const e = await expectError(() => client.listExchanges(tv.name, { page: 0 }), 'INVALID_INPUT');
      assert.equal(e.field, 'page');
      assert.equal((await expectError(() => client.listQueues('', {}), 'INVALID_INPUT')).field, 'vhost');
    });

    it('reports a page past the end as INVALID_INPUT on page', async () => {
      const e = await expectError(() => client.listQueues(tv.name, { page: 4, pageSize: 500 }), 'INVALID_INPUT');
      assert.equal(e.field, 'page');
      assert.equal(e.httpStatus, 400);
      assert.ok(e.brokerText, 'keeps the broker text');
    });

    it('gives an empty first page with counts 0 when nothing matches', async () => {
      const p = await client.listQueues(tv.name, { filter: { name: 'no-such-queue-anywhere' } });
      assert.deepEqual(p.items, []);
      assert.equal(p.filteredCount, 0);
      assert.equal(p.totalCount, QUEUE_COUNT);
    });
  });

  describe('broker-side filter', () => {
    it('filters by name substring', async () => {
      const p = await client.listQueues(tv.name, { filter: { name: 'page-q-000' }, stats: false });
      assert.equal(p.filteredCount, 10);
      assert.equal(p.totalCount, QUEUE_COUNT);
      assert.deepEqual(p.items.map((q) => q.name).sort(), Array.from({ length: 10 }, (_, i) => qname(i)));
    });

    it('filters by regular expression, paginating the matches', async () => {
      const p = await client.listQueues(tv.name, { filter: { name: '^page-q-11[0-9]{2}$', regex: true }, pageSize: 30, page: 4, sort: 'name', stats: false });
      assert.equal(p.filteredCount, 100);
      assert.equal(p.pageCount, 4);
      assert.equal(p.items.length, 10);
      assert.deepEqual(p.items.map((q) => q.name), Array.from({ length: 10 }, (_, i) => qname(1190 + i)));
    });

    it('treats regex characters literally without regex: true', async () => {
      const p = await client.listQueues(tv.name, { filter: { name: '^page' } });
      assert.equal(p.filteredCount, 0);
    });

    it('names filter.name when the broker rejects the regular expression', async () => {
      const e = await expectError(() => client.listQueues(tv.name, { filter: { name: '(unclosed', regex: true } }), 'INVALID_INPUT');
      assert.equal(e.field, 'filter.name');
      assert.match(e.message, /\(unclosed/);
    });
  });

  describe('queues and statistics', () => {
    before(async () => {
      const cc = await conn.createConfirmChannel();
      await cc.assertQueue('counted', { durable: true });
      for (let i = 0; i < 3; i++) cc.sendToQueue('counted', Buffer.from(`m${i}`));
      await cc.waitForConfirms();
      await cc.assertQueue('quorum-q', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
      await cc.close();
    });

    it('with stats off still gives message counts, and leaves missing stats undefined', async () => {
      const probe = async () => (await client.listQueues(tv.name, { filter: { name: '^counted$', regex: true }, stats: false })).items[0];
      const q = await waitFor('message count of "counted"', probe, (v) => v?.messages === 3);
      assert.equal(q.messagesReady, 3);
      assert.equal(q.messagesUnacknowledged, 0);
      assert.equal(q.memory, undefined, 'no invented zeros for stats the broker skipped');
    });

    it('with stats on reports consumers and memory', async () => {
      const q = await waitFor('stats of "counted"', () => client.getQueue(tv.name, 'counted'), (v) => v.messages === 3 && v.memory !== undefined);
      assert.equal(q.consumers, 0);
      assert.ok((q.memory ?? 0) > 0);
      assert.equal(q.state ?? 'running', 'running');
    });

    it('normalizes queue types and arguments', async () => {
      const q = await client.getQueue(tv.name, 'quorum-q');
      assert.equal(q.type, 'quorum');
      assert.equal(q.arguments['x-queue-type'], 'quorum');
      assert.equal((await client.getQueue(tv.name, qname(5))).type, 'classic');
    });

    it('trims columns on request', async () => {
      const p = await client.listQueues(tv.name, { columns: ['name'], pageSize: 5 });
      assert.equal(p.items.length, 5);
      assert.equal(p.items[0].vhost, tv.name, 'vhost falls back to the asked one');
      assert.equal(p.items[0].messages, undefined);
      await expectError(() => client.listQueues(tv.name, { columns: ['name&x=1'] }), 'INVALID_INPUT');
    });
  });

  describe('exchanges and bindings', () => {
    const sortKey = (b: BindingInfo) => `${b.source}>${b.destination}:${b.routingKey}`;

    before(async () => {
      await ch.assertExchange('ex.src', 'topic', { durable: true });
      await ch.assertExchange('ex.dst', 'fanout', { durable: false, autoDelete: false, internal: true });
      await ch.assertQueue('bq', { durable: true });
      await ch.bindQueue('bq', 'ex.src', 'orders.#', { 'x-note': 'hello' });
      await ch.bindQueue('bq', 'ex.dst', '');
      await ch.bindExchange('ex.dst', 'ex.src', 'audit.*');
    });

    it('lists exchanges with default and built-in flags', async () => {
      const p = await client.listExchanges(tv.name, { pageSize: 500 });
      const byName = new Map(p.items.map((x) => [x.name, x]));
      const def = byName.get('');
      assert.ok(def?.isDefault && !def.isBuiltin);
      assert.equal(def.type, 'direct');
      assert.ok(byName.get('amq.topic')?.isBuiltin);
      const src = byName.get('ex.src');
      assert.deepEqual(
        { type: src?.type, durable: src?.durable, isDefault: src?.isDefault, isBuiltin: src?.isBuiltin },
        { type: 'topic', durable: true, isDefault: false, isBuiltin: false },
      );
      const dst = await client.getExchange(tv.name, 'ex.dst');
      assert.equal(dst.internal, true);
      assert.equal(dst.durable, false);
      assert.equal(dst.type, 'fanout');
      assert.ok((await client.getExchange(tv.name, '')).isDefault);
      const small = await client.listExchanges(tv.name, { pageSize: 2, filter: { name: 'ex.' } });
      assert.equal(small.filteredCount, 2);
      assert.equal(small.pageCount, 1);
    });

    it('lists the bindings of a queue, including the default exchange', async () => {
      const list = (await client.queueBindings(tv.name, 'bq')).sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
      assert.deepEqual(list.map((b) => [b.source, b.routingKey, b.destinationType]), [
        ['', 'bq', 'queue'],
        ['ex.dst', '', 'queue'],
        ['ex.src', 'orders.#', 'queue'],
      ]);
      const withArgs = list.find((b) => b.source === 'ex.src');
      assert.deepEqual(withArgs?.arguments, { 'x-note': 'hello' });
      assert.ok(withArgs?.propertiesKey);
      assert.equal(withArgs?.vhost, tv.name);
    });

    it('lists exchange bindings on both sides, exchange-to-exchange included', async () => {
      const out = (await client.exchangeBindings(tv.name, 'ex.src', 'source')).sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
      assert.deepEqual(out.map((b) => [b.destination, b.destinationType, b.routingKey]), [
        ['bq', 'queue', 'orders.#'],
        ['ex.dst', 'exchange', 'audit.*'],
      ]);
      const into = await client.exchangeBindings(tv.name, 'ex.dst', 'destination');
      assert.deepEqual(into.map((b) => [b.source, b.destination, b.destinationType]), [['ex.src', 'ex.dst', 'exchange']]);
      assert.deepEqual(await client.exchangeBindings(tv.name, 'ex.src', 'destination'), []);
      assert.equal((await expectError(() => client.exchangeBindings(tv.name, 'ex.src', 'up' as 'source'), 'INVALID_INPUT')).field, 'side');
    });

    it('lists all bindings of the vhost', async () => {
      const all = await client.listBindings(tv.name);
      assert.ok(all.some((b) => b.source === 'ex.src' && b.destination === 'ex.dst' && b.destinationType === 'exchange'));
      assert.ok(all.some((b) => b.source === '' && b.destination === qname(0)));
      assert.ok(all.length >= QUEUE_COUNT + 3);
    });

    it('says which queue or exchange is missing', async () => {
      const q = await expectError(() => client.queueBindings(tv.name, 'no-such-queue'), 'NOT_FOUND');
      assert.match(q.message, /Queue "no-such-queue" does not exist in vhost/);
      const x = await expectError(() => client.exchangeBindings(tv.name, 'no-such-exchange', 'source'), 'NOT_FOUND');
      assert.match(x.message, /Exchange "no-such-exchange" does not exist/);
    });
  });

  describe('a vhost with "/", spaces and unicode in its name', () => {
    it('creates, lists, reads and deletes it', async () => {
      await client.createVhost(oddVhost, { description: 'odd one' });
      await client.setPermissions(oddVhost, USER);
      const vc = await amqp.connect(`amqp://${encodeURIComponent(USER)}:${encodeURIComponent(PASSWORD)}@${AMQP_HOST}:${AMQP_PORT}/${encodeURIComponent(oddVhost)}`, { noDelay: true });
      vc.on('error', () => undefined);
      try {
        const c = await vc.createChannel();
        const odd = 'a/b c ü 中';
        await c.assertQueue(odd, { durable: true });
        await c.assertExchange('x/ü y', 'direct', { durable: true });
        await c.bindQueue(odd, 'x/ü y', 'k/1');
        await c.close();
        assert.ok((await client.listVhosts()).some((v) => v.name === oddVhost && v.description === 'odd one'));
        const p = await client.listQueues(oddVhost, {});
        assert.deepEqual(p.items.map((q) => [q.vhost, q.name]), [[oddVhost, odd]]);
        assert.equal((await client.getQueue(oddVhost, odd)).name, odd);
        assert.equal((await client.getExchange(oddVhost, 'x/ü y')).type, 'direct');
        const b = await client.exchangeBindings(oddVhost, 'x/ü y', 'source');
        assert.deepEqual(b.map((x) => [x.destination, x.routingKey]), [[odd, 'k/1']]);
        assert.equal((await client.queueBindings(oddVhost, odd)).length, 2);
        assert.equal((await client.listExchanges(oddVhost, { filter: { name: 'x/ü' } })).filteredCount, 1);
      } finally {
        await vc.close().catch(() => undefined);
      }
      await client.deleteVhost(oddVhost);
      const gone = await expectError(() => client.listQueues(oddVhost, {}), 'NOT_FOUND');
      assert.ok(gone.message.includes(`Vhost "${oddVhost}" does not exist`), gone.message);
    });
  });

  describe('errors', () => {
    it('401 wrong password → AUTH_FAILED without the password', async () => {
      const secret = `wrong-${randomBytes(6).toString('hex')}`;
      const bad = clientFor(MGMT_URL, { username: USER, password: secret });
      const e = await expectError(() => bad.overview(), 'AUTH_FAILED');
      assert.equal(e.httpStatus, 401);
      assert.match(e.message, /user name and password/);
      assert.ok(e.brokerText, 'broker reason kept');
      assert.ok(!e.message.includes(secret) && !JSON.stringify(e).includes(secret));
      // The same client object still answers (and fails the same way) on the next call.
      await expectError(() => bad.listVhosts(), 'AUTH_FAILED');
    });

    it('user without permission on the vhost → ACCESS_REFUSED naming the vhost', async () => {
      const name = `wb-test-user-${randomBytes(4).toString('hex')}`;
      const password = `pw-${randomBytes(8).toString('hex')}`;
      tempUsers.push(name);
      await mgmt('PUT', `/users/${encodeURIComponent(name)}`, { password, tags: 'management' });
      const limited = clientFor(MGMT_URL, { username: name, password });
      assert.equal((await limited.whoami()).name, name);
      const e = await expectError(() => limited.listQueues(tv.name, {}), 'ACCESS_REFUSED');
      assert.ok(e.message.includes(`vhost "${tv.name}"`), e.message);
      assert.match(e.message, /permissions/);
      assert.ok(!e.message.includes(password));
      // Once granted, the same client works.
      await client.setPermissions(tv.name, name, { configure: '', write: '', read: '.*' });
      assert.ok((await limited.listQueues(tv.name, { pageSize: 1 })).totalCount >= QUEUE_COUNT);
    });

    it('user without the management tag → ACCESS_REFUSED mentioning the tag', async () => {
      const name = `wb-test-user-${randomBytes(4).toString('hex')}`;
      const password = `pw-${randomBytes(8).toString('hex')}`;
      tempUsers.push(name);
      await mgmt('PUT', `/users/${encodeURIComponent(name)}`, { password, tags: '' });
      const e = await expectError(() => clientFor(MGMT_URL, { username: name, password }).overview(), 'ACCESS_REFUSED');
      assert.match(e.message, /"management" tag/);
    });

    it('404 → NOT_FOUND saying what is missing', async () => {
      const missing = `wb-test-missing-${randomBytes(4).toString('hex')}`;
      const v = await expectError(() => client.listQueues(missing, {}), 'NOT_FOUND');
      assert.ok(v.message.includes(`Vhost "${missing}" does not exist`), v.message);
      assert.equal(v.httpStatus, 404);
      const vq = await expectError(() => client.getQueue(missing, 'q'), 'NOT_FOUND');
      assert.ok(vq.message.includes(`Vhost "${missing}"`), vq.message);
      const q = await expectError(() => client.getQueue(tv.name, 'nope'), 'NOT_FOUND');
      assert.ok(q.message.includes(`Queue "nope" does not exist in vhost "${tv.name}"`), q.message);
      const x = await expectError(() => client.getExchange(tv.name, 'nope'), 'NOT_FOUND');
      assert.ok(x.message.includes('Exchange "nope"'), x.message);
      await expectError(() => client.deleteVhost(missing), 'NOT_FOUND');
      assert.equal((await expectError(() => client.getQueue(tv.name, ''), 'INVALID_INPUT')).field, 'queue');
    });

    it('connection refused → UNREACHABLE mentioning the management plugin', async () => {
      for (const url of ['http://127.0.0.1:1', 'http://127.0.0.1:9']) {
        const e = await expectError(() => clientFor(url).overview(), 'UNREACHABLE');
        assert.match(e.message, /rabbitmq-plugins enable rabbitmq_management/);
      }
      const dns = await expectError(() => clientFor('http://no-such-host.invalid:15672').overview(), 'UNREACHABLE');
      assert.match(dns.message, /no-such-host\.invalid/);
    });

    it('the AMQP port instead of the management port → MANAGEMENT_UNAVAILABLE', async () => {
      const e = await expectError(() => clientFor(`http://${AMQP_HOST}:${AMQP_PORT}`).overview(), 'MANAGEMENT_UNAVAILABLE');
      assert.match(e.message, /management port/);
    });

    describe('through a local server', () => {
      const front = new FakeFront();
      const secret = `S3cret-${randomBytes(6).toString('hex')}`;
      let viaFront: ManagementClient;

      before(async () => {
        await front.start();
        viaFront = clientFor(front.url, { username: USER, password: secret });
      });
      after(async () => {
        await front.stop();
      });

      it('works when the server proxies the API', async () => {
        front.mode = 'proxy';
        assert.ok((await viaFront.listQueues(tv.name, { pageSize: 1 })).totalCount > 0);
      });

      it('HTML answer → MANAGEMENT_UNAVAILABLE, then recovers', async () => {
        front.mode = 'html';
        const e = await expectError(() => viaFront.overview(), 'MANAGEMENT_UNAVAILABLE');
        assert.match(e.message, /management port/);
        assert.ok(!e.message.includes(secret));
        front.mode = 'proxy';
        assert.ok((await viaFront.overview()).rabbitmqVersion);
      });

      it('plain text answer → BAD_RESPONSE, then recovers', async () => {
        front.mode = 'text';
        const e = await expectError(() => viaFront.listVhosts(), 'BAD_RESPONSE');
        assert.match(e.message, /not JSON/);
        front.mode = 'proxy';
        assert.ok((await viaFront.listVhosts()).length > 0);
      });

      it('no answer → TIMEOUT, then recovers', async () => {
        front.mode = 'hang';
        const e = await expectError(() => viaFront.overview({ timeoutMs: 300 }), 'TIMEOUT');
        assert.match(e.message, /did not answer within 300 ms/);
        const slowClient = clientFor(front.url, { username: USER, password: secret }, 200);
        await expectError(() => slowClient.listVhosts(), 'TIMEOUT');
        front.mode = 'proxy';
        assert.ok((await viaFront.overview()).rabbitmqVersion);
        assert.ok((await slowClient.whoami({ timeoutMs: 10_000 })).name);
      });

      it('cancelled by the caller → CANCELLED', async () => {
        front.mode = 'hang';
        const ac = new AbortController();
        const pending = viaFront.overview({ signal: ac.signal });
        setTimeout(() => ac.abort(), 50);
        await expectError(() => pending, 'CANCELLED');
        front.mode = 'proxy';
      });

      it('server gone → UNREACHABLE, back again → works', async () => {
        const port = front.port;
        await front.stop();
        const e = await expectError(() => viaFront.overview(), 'UNREACHABLE');
        assert.ok(!e.message.includes(secret));
        await front.start(port);
        front.mode = 'proxy';
        assert.ok((await viaFront.overview()).rabbitmqVersion);
      });
    });

    describe('https with a private CA', () => {
      let dir: string;
      let front: FakeFront;

      before(async () => {
        dir = mkdtempSync(join(tmpdir(), 'wb-tls-'));
        const f = (n: string) => join(dir, n);
        const ssl = (...a: string[]) => execFileSync('openssl', a, { stdio: 'pipe' });
        ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=wb-test-ca', '-keyout', f('ca.key'), '-out', f('ca.pem'));
        ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', f('srv.key'), '-out', f('srv.csr'));
        writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
        ssl('x509', '-req', '-in', f('srv.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f('ext.cnf'), '-out', f('srv.pem'));
        front = new FakeFront({ key: readFileSync(f('srv.key'), 'utf8'), cert: readFileSync(f('srv.pem'), 'utf8') });
        await front.start();
      });
      after(async () => {
        await front?.stop();
        rmSync(dir, { recursive: true, force: true });
      });

      it('trusts the server with the CA file, refuses it without', async () => {
        const trusted = clientFor(front.url, undefined, undefined, { caFile: join(dir, 'ca.pem') });
        assert.ok((await trusted.overview()).rabbitmqVersion);
        trusted.dispose();
        const e = await expectError(() => clientFor(front.url).overview(), 'UNREACHABLE');
        assert.match(e.message, /TLS|certificate/i);
        assert.match(e.message, /CA file/);
      });

      it('accepts any certificate with insecureSkipVerify', async () => {
        const insecure = clientFor(front.url, undefined, undefined, { insecureSkipVerify: true });
        assert.ok((await insecure.listVhosts()).length > 0);
        insecure.dispose();
      });

      it('rejects an unreadable CA file naming tls.caFile', () => {
        assert.throws(() => clientFor(front.url, undefined, undefined, { caFile: join(dir, 'missing.pem') }), (e: unknown) => isRabbitError(e, 'INVALID_INPUT') && e.field === 'tls.caFile');
      });
    });
  });
});
