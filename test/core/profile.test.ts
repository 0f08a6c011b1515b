import * as assert from 'node:assert/strict';
import { isRabbitError, RabbitError } from '../../src/core/errors';
import { amqpConnectUrl, displayProfile, redactUrl, resolveProfile, type ConnectionProfile } from '../../src/core/profile';

function profile(amqpUrl: string, extra: Partial<ConnectionProfile> = {}): ConnectionProfile {
  return { id: 'p1', name: 'Local', amqpUrl, ...extra };
}

/** Asserts that resolving throws INVALID_INPUT naming `field`; returns the error. */
function rejects(p: ConnectionProfile, field: string): RabbitError {
  let caught: unknown;
  try {
    resolveProfile(p);
  } catch (e) {
    caught = e;
  }
  assert.ok(isRabbitError(caught, 'INVALID_INPUT'), `expected INVALID_INPUT, got ${String(caught)}`);
  assert.equal(caught.field, field);
  assert.ok(caught.message.startsWith(`${field}:`), `message names the field: ${caught.message}`);
  return caught;
}

describe('core/profile', () => {
  describe('resolveProfile', () => {
    it('takes a plain amqp URL apart with defaults', () => {
      const r = resolveProfile(profile('amqp://localhost'));
      assert.deepEqual(r.amqp, { protocol: 'amqp', hostname: 'localhost', port: 5672, vhost: '/', username: 'guest' });
      assert.deepEqual(r.management, { baseUrl: 'http://localhost:15672', protocol: 'http', hostname: 'localhost', port: 15672 });
    });

    it('keeps host, port, user and vhost', () => {
      const r = resolveProfile(profile('amqp://alice@rabbit.example:5673/orders'));
      assert.equal(r.amqp.hostname, 'rabbit.example');
      assert.equal(r.amqp.port, 5673);
      assert.equal(r.amqp.username, 'alice');
      assert.equal(r.amqp.vhost, 'orders');
      assert.equal(r.management.baseUrl, 'http://rabbit.example:15672');
    });

    it('uses amqps defaults: port 5671 and https management on 15671', () => {
      const r = resolveProfile(profile('amqps://rabbit.example'));
      assert.equal(r.amqp.protocol, 'amqps');
      assert.equal(r.amqp.port, 5671);
      assert.equal(r.management.protocol, 'https');
      assert.equal(r.management.port, 15671);
      assert.equal(r.management.baseUrl, 'https://rabbit.example:15671');
    });

    it('decodes the vhost: "", "/" and %2F are the default vhost', () => {
      for (const url of ['amqp://h', 'amqp://h/', 'amqp://h/%2F', 'amqp://h/%2f']) {
        assert.equal(resolveProfile(profile(url)).amqp.vhost, '/', url);
      }
      assert.equal(resolveProfile(profile('amqp://h/a%2Fb')).amqp.vhost, 'a/b');
      assert.equal(resolveProfile(profile('amqp://h/my%20vhost')).amqp.vhost, 'my vhost');
      assert.equal(resolveProfile(profile('amqp://h/%E4%B8%AD%E6%96%87')).amqp.vhost, '中文');
    });

    it('decodes a percent-encoded user name', () => {
      assert.equal(resolveProfile(profile('amqp://us%40er@h/')).amqp.username, 'us@er');
    });

    it('rejects an empty name', () => {
      rejects(profile('amqp://h', { name: '  ' }), 'name');
    });

    it('rejects a malformed amqp URL naming amqpUrl', () => {
      rejects(profile('not a url'), 'amqpUrl');
      rejects(profile('amqp://h:70000/'), 'amqpUrl');
    });

    it('rejects other schemes, a missing host, query strings and an unescaped "/" in the vhost', () => {
      assert.match(rejects(profile('http://h:5672'), 'amqpUrl').message, /amqp:\/\/ or amqps:\/\//);
      rejects(profile('amqp:///vh'), 'amqpUrl');
      assert.match(rejects(profile('amqp://h/?heartbeat=5'), 'amqpUrl').message, /query/);
      assert.match(rejects(profile('amqp://h/a/b'), 'amqpUrl').message, /%2F/);
      rejects(profile('amqp://h/%zz'), 'amqpUrl');
    });

    it('accepts an explicit management URL and drops a trailing slash', () => {
      const r = resolveProfile(profile('amqp://h', { managementUrl: 'https://mgmt.example/rabbit/' }));
      assert.deepEqual(r.management, { baseUrl: 'https://mgmt.example/rabbit', protocol: 'https', hostname: 'mgmt.example', port: 443 });
      const blank = resolveProfile(profile('amqp://h', { managementUrl: '   ' }));
      assert.equal(blank.management.baseUrl, 'http://h:15672');
    });

    it('rejects a bad management URL naming managementUrl', () => {
      rejects(profile('amqp://h', { managementUrl: 'not a url' }), 'managementUrl');
      rejects(profile('amqp://h', { managementUrl: 'ftp://h' }), 'managementUrl');
      const e = rejects(profile('amqp://h', { managementUrl: 'http://u:hunter2@h:15672' }), 'managementUrl');
      assert.ok(!e.message.includes('hunter2'));
    });

    it('rejects an empty CA file path naming tls.caFile', () => {
      rejects(profile('amqps://h', { tls: { caFile: ' ' } }), 'tls.caFile');
    });

    it('never puts a password into the error of a malformed URL', () => {
      const e = rejects(profile('amqp://bob:hunter2@host:99999/'), 'amqpUrl');
      assert.ok(!e.message.includes('hunter2'), e.message);
      assert.ok(e.message.includes('bob@'), e.message);
    });
  });

  describe('displayProfile / redactUrl', () => {
    it('shows name and URL without the password', () => {
      const text = displayProfile(profile('amqp://bob:hunter2@h:5672/%2F'));
      assert.equal(text, 'Local (amqp://bob@h:5672/%2F)');
      assert.ok(!text.includes('hunter2'));
    });

    it('leaves URLs without a password alone', () => {
      assert.equal(redactUrl('amqp://bob@h/v'), 'amqp://bob@h/v');
      assert.equal(redactUrl('amqp://h/v'), 'amqp://h/v');
      assert.equal(redactUrl('no url here'), 'no url here');
    });

    it('removes the password from well-formed and malformed URLs', () => {
      assert.equal(redactUrl('amqps://bob:hunter2@h:5671/v'), 'amqps://bob@h:5671/v');
      assert.equal(redactUrl('AMQP://bob:hunter2@h'), 'AMQP://bob@h');
      const broken = redactUrl('amqp://bob:hunter2@ho st:5672/%zz');
      assert.ok(!broken.includes('hunter2'), broken);
    });
  });

  describe('amqpConnectUrl', () => {
    it('puts encoded credentials and the encoded vhost into the URL', () => {
      const r = resolveProfile(profile('amqp://us%40er@h:5673/a%2Fb'));
      const url = amqpConnectUrl(r, { username: 'us@er', password: 'p@ss:/%#?' });
      assert.equal(url, 'amqp://us%40er:p%40ss%3A%2F%25%23%3F@h:5673/a%2Fb');
      const back = new URL(url);
      assert.equal(decodeURIComponent(back.username), 'us@er');
      assert.equal(decodeURIComponent(back.password), 'p@ss:/%#?');
      assert.equal(decodeURIComponent(back.pathname.slice(1)), 'a/b');
    });

    it('encodes the default vhost as %2F and keeps amqps', () => {
      const r = resolveProfile(profile('amqps://h'));
      assert.equal(amqpConnectUrl(r, { username: 'guest', password: 'guest' }), 'amqps://guest:guest@h:5671/%2F');
    });
  });
});

describe('profile edge cases', () => {
  it('accepts an IPv6 AMQP host and derives the management URL', () => {
    const r = resolveProfile({ id: 'v6', name: 'v6', amqpUrl: 'amqp://guest@[::1]:5672/' });
    assert.strictEqual(r.management.baseUrl, 'http://[::1]:15672');
  });
  it('redacts passwords that contain "@" or "/"', () => {
    assert.strictEqual(redactUrl('amqp://u:p@ss@host/v'), 'amqp://u@host/v');
    assert.strictEqual(redactUrl('amqp://user:pa/ss@host'), 'amqp://user@host');
    assert.ok(!redactUrl('amqp://user:s3cr/et@x@host:5672/%2F').includes('s3cr'));
    assert.strictEqual(redactUrl('amqp://user@host:5672/%2F'), 'amqp://user@host:5672/%2F');
  });
});
