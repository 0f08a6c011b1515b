// Credentials stay with their host (src/core/profile.ts): a saved password is bound to (id, scheme, host, port,
// user, management endpoint, TLS verification); forms do not pin the default management URL; http:// to another
// machine is recognised. Adding a connection tries AMQP and the management API (src/core/probe.ts), against the
// real broker, and names the part that failed.
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import {
  credentialTarget,
  credentialTargetChanges,
  decodeSecret,
  describeCredentialTarget,
  encodeSecret,
  isLoopbackHost,
  managementUrlToStore,
  resolveProfile,
  sameCredentialTarget,
  sendsCredentialsInClear,
  type ConnectionProfile,
} from '../../src/core/profile';
import { probeConnection } from '../../src/core/probe';
import { AMQP_HOST, AMQP_PORT, MGMT_URL, PASSWORD, USER, createTestVhost, type TestVhost } from '../support/broker';

const base: ConnectionProfile = { id: 'c1', name: 'shared', amqpUrl: 'amqp://alice@mq.example.com:5672/%2F' };
const target = (p: Partial<ConnectionProfile>) => credentialTarget(resolveProfile({ ...base, ...p }));

/** A TCP port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, AMQP_HOST, () => r()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('core/credentials (pure)', () => {
  it('binds a password to scheme, host, port, user, management endpoint and TLS verification', () => {
    const t = target({});
    assert.ok(sameCredentialTarget(t, target({ name: 'renamed', readOnly: true })), 'name and read-only do not move the password');
    assert.ok(sameCredentialTarget(t, target({ amqpUrl: 'amqp://alice@MQ.example.com/%2F' })), 'host case and default port are the same target');
    const cases: [Partial<ConnectionProfile>, string][] = [
      [{ amqpUrl: 'amqp://alice@evil.example.com:5672/%2F' }, 'AMQP host'],
      [{ amqpUrl: 'amqp://alice@mq.example.com:5673/%2F' }, 'AMQP port'],
      [{ amqpUrl: 'amqp://bob@mq.example.com:5672/%2F' }, 'user'],
      [{ amqpUrl: 'amqps://alice@mq.example.com:5672/%2F' }, 'AMQP scheme'],
      [{ managementUrl: 'http://collector.example.net:15672' }, 'management host'],
      [{ managementUrl: 'http://mq.example.com:8080' }, 'management port'],
      [{ id: 'c2' }, 'connection id'],
    ];
    for (const [change, named] of cases) {
      const now = target(change);
      assert.equal(sameCredentialTarget(t, now), false, named);
      assert.ok(credentialTargetChanges(t, now).includes(named), `${named} in ${credentialTargetChanges(t, now).join(', ')}`);
    }
    const tls = target({ amqpUrl: 'amqps://alice@mq.example.com/%2F' });
    const insecure = target({ amqpUrl: 'amqps://alice@mq.example.com/%2F', tls: { insecureSkipVerify: true } });
    assert.deepEqual(credentialTargetChanges(tls, insecure), ['TLS verification']);
    assert.equal(describeCredentialTarget(t), 'amqp://alice@mq.example.com:5672, management http://mq.example.com:15672');
  });

  it('stores the binding with the password; older plain passwords read as unbound', () => {
    const t = target({});
    assert.deepEqual(decodeSecret(encodeSecret('s3cr{et', t)), { password: 's3cr{et', target: t });
    assert.deepEqual(decodeSecret('plain-old'), { password: 'plain-old' });
    assert.deepEqual(decodeSecret('{"not":"ours"}'), { password: '{"not":"ours"}' });
    assert.deepEqual(decodeSecret('{broken'), { password: '{broken' });
  });

  it('a form does not pin the default management URL (amqp → amqps moves management to https)', () => {
    const amqpUrl = 'amqp://alice@mq.example.com:5672/%2F';
    const shown = resolveProfile({ ...base, amqpUrl }).management.baseUrl;
    assert.equal(managementUrlToStore(amqpUrl, shown), undefined);
    assert.equal(managementUrlToStore(amqpUrl, `${shown}/`), undefined);
    assert.equal(managementUrlToStore(amqpUrl, 'http://mq.example.com:15673'), 'http://mq.example.com:15673');
    const later = resolveProfile({ ...base, amqpUrl: 'amqps://alice@mq.example.com/%2F', managementUrl: managementUrlToStore(amqpUrl, shown) });
    assert.equal(later.management.baseUrl, 'https://mq.example.com:15671');
  });

  it('recognises credentials sent in clear to another machine', () => {
    for (const h of ['localhost', '127.0.0.1', '127.1.2.3', '[::1]', '::1']) assert.ok(isLoopbackHost(h), h);
    for (const h of ['10.0.0.1', 'mq.example.com', '128.0.0.1', 'localhost.example.com']) assert.equal(isLoopbackHost(h), false, h);
    assert.equal(sendsCredentialsInClear(resolveProfile(base)), true);
    assert.equal(sendsCredentialsInClear(resolveProfile({ ...base, amqpUrl: 'amqps://alice@mq.example.com/%2F' })), false);
    assert.equal(sendsCredentialsInClear(resolveProfile({ ...base, amqpUrl: 'amqp://guest@127.0.0.1/%2F' })), false);
  });
});

describe('core/probe (real broker)', function () {
  this.timeout(60_000);
  let vh: TestVhost;
  const creds = { username: USER, password: PASSWORD };
  const profile = (over: Partial<ConnectionProfile> = {}): ConnectionProfile => ({
    id: 'probe',
    name: 'probe',
    amqpUrl: `amqp://${encodeURIComponent(USER)}@${AMQP_HOST}:${AMQP_PORT}/${encodeURIComponent(vh.name)}`,
    managementUrl: MGMT_URL,
    ...over,
  });

  before(async () => {
    vh = await createTestVhost('probe');
  });
  after(async () => {
    await vh?.delete();
  });

  it('both parts answer on a working broker', async () => {
    const r = await probeConnection(resolveProfile(profile()), creds);
    assert.equal(r.ok, true, r.failures.map((f) => f.error?.message).join('; '));
    assert.ok(r.amqp.serverVersion, 'AMQP handshake gave the server version');
    assert.ok(r.management.overview?.rabbitmqVersion);
  });

  it('a closed AMQP port fails the AMQP part only', async () => {
    const port = await closedPort();
    const r = await probeConnection(resolveProfile(profile({ amqpUrl: `amqp://${encodeURIComponent(USER)}@${AMQP_HOST}:${port}/${encodeURIComponent(vh.name)}` })), creds, { timeoutMs: 5000 });
    assert.equal(r.ok, false);
    assert.deepEqual(r.failures.map((f) => f.part), ['amqp']);
    assert.equal(r.amqp.error?.code, 'UNREACHABLE', r.amqp.error?.message);
    assert.ok(r.amqp.url.includes(`:${port}/`), r.amqp.url);
    assert.equal(r.management.ok, true);
  });

  it('a management URL that does not answer fails the management part only', async () => {
    const port = await closedPort();
    const r = await probeConnection(resolveProfile(profile({ managementUrl: `http://${AMQP_HOST}:${port}` })), creds, { timeoutMs: 5000 });
    assert.deepEqual(r.failures.map((f) => f.part), ['management']);
    assert.equal(r.amqp.ok, true);
  });

  it('a wrong password fails both, as AUTH_FAILED', async () => {
    const r = await probeConnection(resolveProfile(profile()), { username: USER, password: `${PASSWORD}-wrong` }, { timeoutMs: 5000 });
    assert.deepEqual(r.failures.map((f) => [f.part, f.error?.code]), [['amqp', 'AUTH_FAILED'], ['management', 'AUTH_FAILED']]);
    assert.ok(!r.failures.some((f) => f.error?.message.includes(`${PASSWORD}-wrong`)), 'no password in the messages');
  });
});
