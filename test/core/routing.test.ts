import * as assert from 'node:assert/strict';
import * as amqp from 'amqplib';
import { isRabbitError } from '../../src/core/errors';
import {
  RoutingIndex,
  buildRoutingIndex,
  fieldValueEquals,
  headersMatch,
  routeMessage,
  splitTopicKey,
  topicMatches,
  type RouteMessage,
  type TopologyBinding,
  type TopologyExchange,
  type TopologySnapshot,
} from '../../src/core/routing';
import { toBinding, toExchange, toQueue, ManagementClient } from '../../src/core/management';
import { resolveProfile } from '../../src/core/profile';
import { loadTopology, toSnapshot } from '../../src/core/topology';
import { AMQP_HOST, AMQP_PORT, createTestVhost, MGMT_URL, PASSWORD, USER, type TestVhost } from '../support/broker';
import { prng } from '../support/prng';

// ------------------------------------------------------------------------------------------------
// Helpers

function client(): ManagementClient {
  const resolved = resolveProfile({ id: 't', name: 't', amqpUrl: `amqp://${encodeURIComponent(USER)}@${AMQP_HOST}:${AMQP_PORT}/`, managementUrl: MGMT_URL });
  return new ManagementClient(resolved, { username: USER, password: PASSWORD });
}

function qb(source: string, destination: string, routingKey = '', args?: Record<string, unknown>): TopologyBinding {
  return { source, destination, destinationType: 'queue', routingKey, arguments: args ?? {} };
}
function xb(source: string, destination: string, routingKey = '', args?: Record<string, unknown>): TopologyBinding {
  return { source, destination, destinationType: 'exchange', routingKey, arguments: args ?? {} };
}
function ex(name: string, type: string, extra: Partial<TopologyExchange> = {}): TopologyExchange {
  return { name, type, internal: false, arguments: {}, ...extra };
}
function topo(exchanges: TopologyExchange[], queues: string[], bindings: TopologyBinding[]): TopologySnapshot {
  return { exchanges: [ex('', 'direct'), ...exchanges], queues: queues.map((name) => ({ name })), bindings };
}
function queuesOf(t: TopologySnapshot | RoutingIndex, m: RouteMessage): string[] {
  return routeMessage(t, m).queues.map((q) => q.queue);
}

// ------------------------------------------------------------------------------------------------

describe('core/routing', () => {
  describe('topic patterns', () => {
    // [binding pattern, routing key, matches]
    const cases: [string, string, boolean][] = [
      ['a.b.c', 'a.b.c', true],
      ['a.b.c', 'a.b', false],
      ['a.*.c', 'a.b.c', true],
      ['a.*.c', 'a.c', false],
      ['a.*', 'a', false],
      ['a.*', 'a.b.c', false],
      ['*', '', false],
      ['*', 'a', true],
      ['*', '.', false],
      ['*.*', '.', true],
      ['#', '', true],
      ['#', 'a.b.c', true],
      ['#', '.', true],
      ['', '', true],
      ['', 'a', false],
      ['a', '', false],
      ['a.#', 'a', true],
      ['a.#', 'a.b.c', true],
      ['a.#', 'b.a', false],
      ['#.a', 'a', true],
      ['#.a', 'b.c.a', true],
      ['#.a', 'a.b', false],
      ['a.#.b', 'a.b', true],
      ['a.#.b', 'a.x.y.b', true],
      ['a.#.b', 'a.b.c', false],
      ['#.#', '', true],
      ['#.#', 'a.b', true],
      ['a.#.#.b', 'a.b', true],
      ['a.#.#.b', 'a.c.d.b', true],
      ['#.*', '', false],
      ['#.*', 'a.b', true],
      ['*.#', '', false],
      ['*.#', 'a', true],
      ['#.*.#', 'a', true],
      ['*.*.#', 'a', false],
      ['a..b', 'a..b', true],
      ['a.*.b', 'a..b', true],
      ['a.b', 'a..b', false],
      ['a.', 'a.', true],
      ['a.', 'a', false],
      ['a.*', 'a.', true],
      ['.#', '.a', true],
      ['.#', 'a', false],
      ['#', '#', true],
      ['a.b', 'a.#', false],
      ['a.*', 'a.#', true],
      ['a.#', 'a.*', true],
    ];
    for (const [pattern, key, expected] of cases) {
      it(`'${pattern}' ${expected ? 'matches' : 'does not match'} '${key}'`, () => {
        assert.equal(topicMatches(pattern, key), expected, 'reference matcher');
        const t = topo([ex('t', 'topic')], ['q'], [qb('t', 'q', pattern)]);
        const r = routeMessage(t, { exchange: 't', routingKey: key });
        assert.deepEqual(r.queues.map((q) => q.queue), expected ? ['q'] : [], 'trie index');
        if (expected) assert.equal(r.queues[0].path[0].reason, `topic pattern '${pattern}' matched '${key}'`);
      });
    }

    it('splits keys like RabbitMQ: the empty key has zero words, empty words are kept', () => {
      assert.deepEqual(splitTopicKey(''), []);
      assert.deepEqual(splitTopicKey('a..b'), ['a', '', 'b']);
      assert.deepEqual(splitTopicKey('.'), ['', '']);
    });

    it('the trie agrees with the reference matcher on 3,000 random pattern/key pairs', () => {
      const rnd = prng(1234);
      const pw = ['a', 'b', '', '*', '#'];
      const kw = ['a', 'b', '', '#', '*'];
      const word = (ws: string[]) => ws[Math.floor(rnd() * ws.length)];
      const make = (ws: string[], max: number) => {
        const n = Math.floor(rnd() * (max + 1));
        return n === 0 ? '' : Array.from({ length: n }, () => word(ws)).join('.');
      };
      const patterns = Array.from({ length: 60 }, () => make(pw, 4));
      const t = topo([ex('t', 'topic')], patterns.map((_, i) => `q${i}`), patterns.map((p, i) => qb('t', `q${i}`, p)));
      const index = buildRoutingIndex(t);
      for (let k = 0; k < 50; k++) {
        const key = make(kw, 4);
        const expected = patterns.map((p, i) => (topicMatches(p, key) ? `q${i}` : '')).filter(Boolean).sort();
        assert.deepEqual(queuesOf(index, { exchange: 't', routingKey: key }), expected, `key '${key}'`);
      }
    });
  });

  describe('headers matching', () => {
    const doc = { format: 'pdf', type: 'report' };
    // [binding arguments, message headers, matches]
    const cases: [string, Record<string, unknown>, Record<string, unknown> | undefined, boolean][] = [
      ['all: every header present and equal', { 'x-match': 'all', ...doc }, { format: 'pdf', type: 'report', extra: 1 }, true],
      ['all: one missing', { 'x-match': 'all', ...doc }, { format: 'pdf' }, false],
      ['all: one different', { 'x-match': 'all', ...doc }, { format: 'pdf', type: 'memo' }, false],
      ['any: one equal', { 'x-match': 'any', ...doc }, { format: 'pdf' }, true],
      ['any: none equal', { 'x-match': 'any', ...doc }, { format: 'doc', type: 'memo' }, false],
      ['any: no headers', { 'x-match': 'any', ...doc }, undefined, false],
      ['no x-match means all', { ...doc }, { format: 'pdf' }, false],
      ['no x-match means all (match)', { ...doc }, { ...doc }, true],
      ['unknown x-match value means all', { 'x-match': 'bogus', ...doc }, { format: 'pdf' }, false],
      ['all with no conditions matches everything', { 'x-match': 'all' }, undefined, true],
      ['any with no conditions matches nothing', { 'x-match': 'any' }, { a: 1 }, false],
      ['all ignores x- keys in the binding', { 'x-match': 'all', 'x-tenant': 'a', format: 'pdf' }, { format: 'pdf' }, true],
      ['any with only x- keys matches nothing', { 'x-match': 'any', 'x-tenant': 'a' }, { 'x-tenant': 'a' }, false],
      ['all-with-x compares x- keys', { 'x-match': 'all-with-x', 'x-tenant': 'a', format: 'pdf' }, { format: 'pdf' }, false],
      ['all-with-x compares x- keys (match)', { 'x-match': 'all-with-x', 'x-tenant': 'a', format: 'pdf' }, { format: 'pdf', 'x-tenant': 'a' }, true],
      ['any-with-x matches on an x- key', { 'x-match': 'any-with-x', 'x-tenant': 'a' }, { 'x-tenant': 'a' }, true],
      ['x-match is never a condition in *-with-x', { 'x-match': 'all-with-x', format: 'pdf' }, { format: 'pdf' }, true],
      ['void argument: presence only', { 'x-match': 'all', flag: null }, { flag: 'anything' }, true],
      ['void argument: absent header', { 'x-match': 'all', flag: null }, { other: 1 }, false],
      ['void argument matches a void header', { 'x-match': 'any', flag: null }, { flag: null }, true],
      ['void header does not equal a value', { 'x-match': 'all', flag: 'x' }, { flag: null }, false],
      ['number vs string differ', { n: 1 }, { n: '1' }, false],
      ['numbers compare by value', { n: 1 }, { n: 1 }, true],
      ['typed amqplib value', { n: 5 }, { n: { '!': 'long', value: 5 } }, true],
      ['boolean vs string differ', { b: true }, { b: 'true' }, false],
      ['bytes equal a string of the same bytes', { s: 'ab' }, { s: Buffer.from('ab') }, true],
      ['undefined header counts as absent', { 'x-match': 'any', a: 1 }, { a: undefined }, false],
      ['float', { f: 2.5 }, { f: 2.5 }, true],
    ];
    for (const [name, args, headers, expected] of cases) {
      it(name, () => {
        assert.equal(headersMatch(args, headers).matched, expected, 'headersMatch');
        const t = topo([ex('h', 'headers')], ['q'], [qb('h', 'q', '', args)]);
        assert.deepEqual(queuesOf(t, { exchange: 'h', routingKey: 'ignored', headers }), expected ? ['q'] : [], 'index');
      });
    }

    it('explains which headers matched', () => {
      assert.equal(headersMatch({ 'x-match': 'all', type: 'report', format: 'pdf' }, { format: 'pdf', type: 'report' }).reason, 'x-match=all: headers format=pdf, type=report matched');
      assert.equal(headersMatch({ 'x-match': 'any', type: 'report', format: 'pdf' }, { type: 'report' }).reason, 'x-match=any: header type=report matched');
      assert.equal(headersMatch({ 'x-match': 'all', flag: null }, { flag: 1 }).reason, 'x-match=all: header flag present matched');
    });

    it('compares values like Erlang ==', () => {
      assert.equal(fieldValueEquals([1, 'a'], [1, 'a']), true);
      assert.equal(fieldValueEquals([1, 'a'], [1, 'b']), false);
      assert.equal(fieldValueEquals({ a: 1 }, { a: 1 }), true);
      assert.equal(fieldValueEquals({ a: 1 }, { a: 1, b: 2 }), false);
      assert.equal(fieldValueEquals(1, true), false);
      assert.equal(fieldValueEquals(null, null), false);
    });
  });

  describe('route', () => {
    it('direct matches the exact key only, several bindings may match', () => {
      const t = topo([ex('d', 'direct')], ['q1', 'q2', 'q3'], [qb('d', 'q1', 'k'), qb('d', 'q2', 'k'), qb('d', 'q3', 'K')]);
      assert.deepEqual(queuesOf(t, { exchange: 'd', routingKey: 'k' }), ['q1', 'q2']);
      assert.deepEqual(queuesOf(t, { exchange: 'd', routingKey: '' }), []);
      const r = routeMessage(t, { exchange: 'd', routingKey: 'K' });
      assert.equal(r.queues[0].path[0].reason, "direct: routing key 'K' equals binding key");
      assert.equal(r.queues[0].path[0].binding?.destination, 'q3');
    });

    it('fanout delivers to every binding whatever the key', () => {
      const t = topo([ex('f', 'fanout')], ['q1', 'q2'], [qb('f', 'q1', 'x'), qb('f', 'q2')]);
      assert.deepEqual(queuesOf(t, { exchange: 'f', routingKey: 'anything' }), ['q1', 'q2']);
    });

    it('default exchange delivers to the queue named by the key, if it exists', () => {
      const t = topo([], ['orders'], []);
      const hit = routeMessage(t, { exchange: '', routingKey: 'orders' });
      assert.deepEqual(hit.queues.map((q) => q.queue), ['orders']);
      assert.equal(hit.queues[0].path[0].via, 'default-exchange');
      const miss = routeMessage(t, { exchange: '', routingKey: 'nope' });
      assert.equal(miss.unroutable, true);
      assert.equal(miss.refused, false);
      assert.deepEqual(miss.problems.map((p) => p.code), ['NO_SUCH_QUEUE']);
    });

    it('a missing exchange is refused (404), not merely unroutable', () => {
      const r = routeMessage(topo([], ['q'], []), { exchange: 'ghost', routingKey: 'q' });
      assert.equal(r.refused, true);
      assert.equal(r.problems[0].severity, 'error');
      assert.equal(r.problems[0].code, 'EXCHANGE_NOT_FOUND');
    });

    it('an internal exchange refuses publishes but routes as a destination', () => {
      const t = topo([ex('pub', 'fanout'), ex('int', 'fanout', { internal: true })], ['q'], [xb('pub', 'int'), qb('int', 'q')]);
      const direct = routeMessage(t, { exchange: 'int', routingKey: '' });
      assert.equal(direct.refused, true);
      assert.equal(direct.problems[0].code, 'INTERNAL_EXCHANGE');
      assert.deepEqual(queuesOf(t, { exchange: 'pub', routingKey: '' }), ['q']);
    });

    it('exchange-to-exchange: a queue reached twice gets the message once, with a path', () => {
      const t = topo(
        [ex('x', 'topic'), ex('a', 'direct'), ex('b', 'fanout')],
        ['q'],
        [xb('x', 'a', 'k.#'), xb('x', 'b', '#'), qb('a', 'q', 'k.1'), qb('b', 'q')],
      );
      const r = routeMessage(t, { exchange: 'x', routingKey: 'k.1' });
      assert.deepEqual(r.queues.map((q) => q.queue), ['q']);
      assert.deepEqual(r.queues[0].path.map((h) => `${h.exchange}->${h.to.name}`), ['x->a', 'a->q']);
      assert.equal(r.queues[0].path[0].reason, "topic pattern 'k.#' matched 'k.1'");
      assert.deepEqual(r.exchangesVisited, ['x', 'a', 'b']);
    });

    it('exchange loops terminate and each exchange is visited once', () => {
      const t = topo([ex('x', 'fanout'), ex('y', 'fanout'), ex('z', 'fanout')], ['q'], [xb('x', 'y'), xb('y', 'z'), xb('z', 'x'), xb('y', 'y'), qb('z', 'q')]);
      const r = routeMessage(t, { exchange: 'x', routingKey: '' });
      assert.deepEqual(r.queues.map((q) => q.queue), ['q']);
      assert.deepEqual(r.exchangesVisited, ['x', 'y', 'z']);
    });

    it('alternate exchange is used only when no binding matched', () => {
      const t = topo([ex('d', 'direct', { arguments: { 'alternate-exchange': 'ae' } }), ex('ae', 'fanout')], ['q', 'lost'], [qb('d', 'q', 'k'), qb('ae', 'lost')]);
      assert.deepEqual(queuesOf(t, { exchange: 'd', routingKey: 'k' }), ['q']);
      const r = routeMessage(t, { exchange: 'd', routingKey: 'other' });
      assert.deepEqual(r.queues.map((q) => q.queue), ['lost']);
      assert.deepEqual(r.alternateExchangeHops, [{ from: 'd', to: 'ae', outcome: 'followed' }]);
      assert.equal(r.queues[0].path[0].via, 'alternate-exchange');
    });

    it('alternate exchanges chain, and a missing or self AE ends the chain', () => {
      const t = topo(
        [ex('d', 'direct', { arguments: { 'alternate-exchange': 'ae1' } }), ex('ae1', 'topic', { arguments: { 'alternate-exchange': 'ae2' } }), ex('ae2', 'fanout'), ex('s', 'direct', { arguments: { 'alternate-exchange': 's' } }), ex('m', 'direct', { arguments: { 'alternate-exchange': 'nowhere' } })],
        ['q', 'final'],
        [qb('ae1', 'q', 'only.this'), qb('ae2', 'final')],
      );
      const r = routeMessage(t, { exchange: 'd', routingKey: 'x' });
      assert.deepEqual(r.queues.map((q) => q.queue), ['final']);
      assert.deepEqual(r.queues[0].path.map((h) => h.via), ['alternate-exchange', 'alternate-exchange', 'binding']);
      const self = routeMessage(t, { exchange: 's', routingKey: 'x' });
      assert.equal(self.unroutable, true);
      assert.deepEqual(self.alternateExchangeHops, [{ from: 's', to: 's', outcome: 'already-visited' }]);
      const missing = routeMessage(t, { exchange: 'm', routingKey: 'x' });
      assert.equal(missing.unroutable, true);
      assert.deepEqual(missing.problems.map((p) => p.code), ['ALTERNATE_EXCHANGE_NOT_FOUND']);
    });

    it('an exchange that routes only to an exchange does not use its own AE; the downstream one does', () => {
      const t = topo(
        [ex('x', 'fanout', { arguments: { 'alternate-exchange': 'aeX' } }), ex('y', 'direct', { arguments: { 'alternate-exchange': 'aeY' } }), ex('aeX', 'fanout'), ex('aeY', 'fanout')],
        ['qx', 'qy'],
        [xb('x', 'y'), qb('aeX', 'qx'), qb('aeY', 'qy')],
      );
      assert.deepEqual(queuesOf(t, { exchange: 'x', routingKey: 'k' }), ['qy']);
    });

    it('policy alternate exchange applies when the argument is absent; the argument wins', () => {
      const t = topo(
        [ex('p', 'direct', { policyAlternateExchange: 'fromPolicy' }), ex('both', 'direct', { arguments: { 'alternate-exchange': 'fromArg' }, policyAlternateExchange: 'fromPolicy' }), ex('fromPolicy', 'fanout'), ex('fromArg', 'fanout')],
        ['qp', 'qa'],
        [qb('fromPolicy', 'qp'), qb('fromArg', 'qa')],
      );
      assert.deepEqual(queuesOf(t, { exchange: 'p', routingKey: 'k' }), ['qp']);
      assert.deepEqual(queuesOf(t, { exchange: 'both', routingKey: 'k' }), ['qa']);
    });

    it('CC and BCC headers add routing keys; a non-array CC is refused', () => {
      const t = topo([ex('d', 'direct')], ['a', 'b', 'c'], [qb('d', 'a', 'a'), qb('d', 'b', 'b'), qb('d', 'c', 'c')]);
      const r = routeMessage(t, { exchange: 'd', routingKey: 'a', headers: { CC: ['b'], BCC: ['c', 'zzz'] } });
      assert.deepEqual(r.queues.map((q) => q.queue), ['a', 'b', 'c']);
      assert.deepEqual(r.routingKeys, ['a', 'b', 'c', 'zzz']);
      assert.deepEqual(queuesOf(topo([], ['a', 'b'], []), { exchange: '', routingKey: 'a', headers: { CC: ['b'] } }), ['a', 'b']);
      const bad = routeMessage(t, { exchange: 'd', routingKey: 'a', headers: { CC: 'b' } });
      assert.equal(bad.refused, true);
      assert.equal(bad.problems[0].code, 'BAD_ROUTING_HEADER');
    });

    it('a plugin exchange type makes the prediction uncertain', () => {
      const t = topo([ex('f', 'fanout'), ex('c', 'x-consistent-hash')], ['q'], [xb('f', 'c'), qb('c', 'q', '1')]);
      const r = routeMessage(t, { exchange: 'f', routingKey: 'k' });
      assert.equal(r.certain, false);
      assert.deepEqual(r.problems.map((p) => p.code), ['UNSUPPORTED_EXCHANGE_TYPE']);
    });

    it('a binding to a queue missing from the snapshot is reported, not delivered', () => {
      const r = routeMessage(topo([ex('f', 'fanout')], [], [qb('f', 'gone')]), { exchange: 'f', routingKey: '' });
      assert.equal(r.unroutable, true);
      assert.equal(r.problems[0].code, 'DESTINATION_NOT_FOUND');
    });

    it('rejects malformed input naming the field', () => {
      const t = topo([], [], []);
      const bad: [unknown, string][] = [
        [{ exchange: 1, routingKey: '' }, 'exchange'],
        [{ exchange: '', routingKey: null }, 'routingKey'],
        [{ exchange: '', routingKey: 'k'.repeat(256) }, 'routingKey'],
        [{ exchange: '', routingKey: '', headers: [] }, 'headers'],
      ];
      for (const [m, field] of bad) {
        assert.throws(() => routeMessage(t, m as RouteMessage), (e: unknown) => isRabbitError(e, 'INVALID_INPUT') && e.field === field);
      }
      assert.throws(() => new RoutingIndex({ exchanges: [], queues: [] } as unknown as TopologySnapshot), (e: unknown) => isRabbitError(e, 'INVALID_INPUT') && e.field === 'snapshot.bindings');
    });
  });

  describe('toSnapshot (the conversion the extension uses)', () => {
    it('keeps names, types, internal and arguments, turns "undefined" into void for headers exchanges, drops the default exchange and its implicit bindings', () => {
      const x = [
        { name: '', type: 'direct', vhost: 'v' },
        { name: 'h', type: 'headers', internal: false, arguments: {}, vhost: 'v' },
        { name: 'd', type: 'direct', internal: true, arguments: { 'alternate-exchange': 'ae' }, vhost: 'v' },
      ].map((j) => toExchange(j, 'v'));
      const q = [{ name: 'q', vhost: 'v' }].map((j) => toQueue(j, 'v'));
      const b = [
        { source: '', destination: 'q', destination_type: 'queue', routing_key: 'q', arguments: {}, vhost: 'v' },
        { source: 'h', destination: 'q', destination_type: 'queue', routing_key: '', arguments: { 'x-match': 'any', flag: 'undefined' }, vhost: 'v' },
        { source: 'd', destination: 'h', destination_type: 'exchange', routing_key: 'k', arguments: { flag: 'undefined' }, vhost: 'v' },
      ].map((j) => toBinding(j, 'v'));
      const s = toSnapshot(x, q, b);
      assert.deepEqual(s.exchanges.map((e) => [e.name, e.type, e.internal]), [['h', 'headers', false], ['d', 'direct', true]]);
      assert.deepEqual(s.exchanges[1].arguments, { 'alternate-exchange': 'ae' });
      assert.deepEqual(s.queues, [{ name: 'q' }]);
      assert.equal(s.bindings.length, 2);
      assert.deepEqual(s.bindings[0], { source: 'h', destination: 'q', destinationType: 'queue', routingKey: '', arguments: { 'x-match': 'any', flag: null } });
      assert.deepEqual(s.bindings[1].arguments, { flag: 'undefined' });
    });
  });

  describe('against the broker', function () {
    this.timeout(60000);
    let vh: TestVhost;
    let conn: amqp.ChannelModel;

    before(async () => {
      vh = await createTestVhost('routing');
      conn = await amqp.connect(vh.amqpUrl, { noDelay: true });
      conn.on('error', () => undefined);
    });
    after(async () => {
      await conn?.close().catch(() => undefined);
      await vh?.delete();
    });

    async function snapshot(): Promise<TopologySnapshot> {
      // The extension's own path: the management client's paged lists, converted by toSnapshot.
      return (await loadTopology(client(), vh.name)).snapshot;
    }

    it('refuses publishes to an internal or a missing exchange, as predicted', async () => {
      const setup = await conn.createChannel();
      await setup.assertExchange('int', 'fanout', { durable: false, internal: true });
      await setup.close();
      const index = buildRoutingIndex(await snapshot());
      for (const [exchange, code] of [['int', 403], ['ghost', 404]] as const) {
        const p = index.route({ exchange, routingKey: '' });
        assert.equal(p.refused, true);
        const ch = await conn.createConfirmChannel();
        const closed = new Promise<string>((resolve) => ch.on('error', (e: Error) => resolve(e.message)));
        ch.publish(exchange, '', Buffer.from('x'));
        const msg = await closed;
        assert.match(msg, new RegExp(`\\b${code}\\b`), `broker answer for '${exchange}': ${msg}`);
      }
    });

    it('predicts exactly which queues get each of 300 random probes in a random topology', async () => {
      const seed = Number(process.env.ROUTING_SEED ?? Date.now() % 1_000_000_007);
      console.log(`      routing random test seed: ${seed} (replay with ROUTING_SEED=${seed})`);
      const rnd = prng(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
      const words = ['a', 'b', 'c', ''];
      const patternWords = ['a', 'b', 'c', '', '*', '#', '#', '*'];
      const key = (ws: string[], max: number) => {
        const n = Math.floor(rnd() * (max + 1));
        return n === 0 ? '' : Array.from({ length: n }, () => pick(ws)).join('.');
      };
      const headerKeys = ['format', 'type', 'n', 'x-k'];
      const headerValues: unknown[] = ['pdf', 'report', 1, '1', true, 2.5];
      const bindingHeaders = (): Record<string, unknown> => {
        const a: Record<string, unknown> = { 'x-match': pick(['all', 'any', 'all-with-x', 'any-with-x', 'all', 'any']) };
        const n = 1 + Math.floor(rnd() * 3);
        for (let i = 0; i < n; i++) a[pick(headerKeys)] = rnd() < 0.15 ? null : pick(headerValues);
        if (rnd() < 0.1) delete a['x-match'];
        return a;
      };

      const queues = Array.from({ length: 40 }, (_, i) => `q${String(i).padStart(2, '0')}`);
      const exchanges: { name: string; type: string; internal?: boolean; ae?: string }[] = [
        { name: 'd1', type: 'direct', ae: 'ae1' },
        { name: 'd2', type: 'direct', ae: 'missing-ae' },
        { name: 'f1', type: 'fanout' },
        { name: 't1', type: 'topic', ae: 'ae1' },
        { name: 't2', type: 'topic' },
        { name: 't3', type: 'topic', ae: 't2' },
        { name: 'h1', type: 'headers', ae: 'ae2' },
        { name: 'h2', type: 'headers' },
        { name: 'ae1', type: 'topic', ae: 'ae2' },
        { name: 'ae2', type: 'fanout' },
        { name: 'i1', type: 'topic', internal: true },
      ];
      const ch = await conn.createConfirmChannel();
      ch.on('error', () => undefined);
      for (const x of exchanges) {
        await ch.assertExchange(x.name, x.type, { durable: false, internal: x.internal ?? false, arguments: x.ae ? { 'alternate-exchange': x.ae } : {} });
      }
      for (const q of queues) await ch.assertQueue(q, { durable: true });
      const bindArgs = (type: string) => (type === 'headers' ? bindingHeaders() : {});
      const bindKey = (type: string) => (type === 'topic' ? key(patternWords, 3) : type === 'direct' ? key(words, 2) : '');
      for (const x of exchanges) {
        const n = x.name === 'ae2' ? 3 : 6 + Math.floor(rnd() * 8);
        for (let i = 0; i < n; i++) await ch.bindQueue(pick(queues), x.name, bindKey(x.type), bindArgs(x.type));
      }
      for (let i = 0; i < 10; i++) {
        const src = pick(exchanges);
        const dst = pick(exchanges);
        await ch.bindExchange(dst.name, src.name, bindKey(src.type), bindArgs(src.type));
      }

      const index = buildRoutingIndex(await snapshot());
      const publishable = exchanges.filter((x) => !x.internal).map((x) => x.name);
      const probes: RouteMessage[] = [];
      for (let i = 0; i < 300; i++) {
        const exchange = rnd() < 0.08 ? '' : pick(publishable);
        const routingKey = exchange === '' ? pick([...queues, 'no-such-queue']) : key(words, 3);
        const headers: Record<string, unknown> = {};
        for (const k of headerKeys) if (rnd() < 0.4) headers[k] = rnd() < 0.1 ? null : pick(headerValues);
        if (rnd() < 0.05) headers.CC = [key(words, 2)];
        probes.push({ exchange, routingKey, headers });
      }
      const predicted = probes.map((p) => index.route(p));
      for (const p of predicted) assert.equal(p.refused, false);

      probes.forEach((p, i) => ch.publish(p.exchange, p.routingKey, Buffer.from(String(i)), { messageId: `p${i}`, headers: p.headers }));
      await ch.waitForConfirms();

      const actual = probes.map(() => new Set<string>());
      const reader = await conn.createChannel();
      let total = 0;
      for (const q of queues) {
        for (;;) {
          const m = await reader.get(q, { noAck: true });
          if (!m) break;
          total++;
          actual[Number(m.properties.messageId.slice(1))].add(q);
        }
      }
      await reader.close();
      await ch.close();

      const mismatches: string[] = [];
      predicted.forEach((p, i) => {
        const want = p.queues.map((q) => q.queue).sort().join(',');
        const got = [...actual[i]].sort().join(',');
        if (want !== got) mismatches.push(`probe ${i} ${JSON.stringify(probes[i])}: predicted [${want}] broker [${got}]; visited ${p.exchangesVisited.join('>')}`);
      });
      const expectedTotal = predicted.reduce((a, p) => a + p.queues.length, 0);
      assert.ok(expectedTotal > 100, `the random topology should deliver a fair number of messages (got ${expectedTotal}); seed ${seed}`);
      assert.ok(predicted.some((p) => p.unroutable), `some probes should be unroutable; seed ${seed}`);
      assert.ok(predicted.some((p) => p.alternateExchangeHops.some((h) => h.outcome === 'followed')), `some probes should use an alternate exchange; seed ${seed}`);
      assert.deepEqual(mismatches, [], `seed ${seed}: ${mismatches.length} of 300 probes differ`);
      assert.equal(total, expectedTotal, `seed ${seed}: messages read`);
    });
  });
});
