// Editing help for request files (src/core/requestAssist.ts): what the cursor completes, the CodeLenses of a
// file, and the diagnostics that need the broker, fed with the names of a real broker (fresh vhost).
import * as assert from 'node:assert/strict';
import { blockLenses, brokerDiagnostics, completionAt, propertyLineWords, type BrokerNames } from '../../src/core/requestAssist';
import { parseRequestFile } from '../../src/core/requestFile';
import { ManagementClient } from '../../src/core/management';
import * as ops from '../../src/core/operations';
import type { AmqpSession } from '../../src/core/session';
import { sessionFor } from '../support/amqpSession';
import { resolveProfile } from '../../src/core/profile';
import { AMQP_HOST, AMQP_PORT, MGMT_URL, PASSWORD, USER, createTestVhost, type TestVhost } from '../support/broker';

/** Completion at the `|` of the text. */
function at(text: string): ReturnType<typeof completionAt> {
  const lines = text.split('\n');
  const line = lines.findIndex((l) => l.includes('|'));
  const column = lines[line].indexOf('|');
  lines[line] = lines[line].replace('|', '');
  return completionAt(parseRequestFile(lines.join('\n')), lines, line, column);
}

describe('core/requestAssist: completion and lenses (pure)', () => {
  it('knows what the cursor completes', () => {
    assert.deepEqual(at('PU|'), { completion: { kind: 'verb' }, start: 0 });
    assert.deepEqual(at('PUBLISH |'), { completion: { kind: 'exchange' }, start: 8 });
    assert.deepEqual(at('PUBLISH lo|'), { completion: { kind: 'exchange' }, start: 8 });
    assert.deepEqual(at('PUBLISH "" |'), { completion: { kind: 'routingKey', exchange: '' }, start: 11 });
    assert.deepEqual(at('PUBLISH logs ord|'), { completion: { kind: 'routingKey', exchange: 'logs' }, start: 13 });
    assert.deepEqual(at('PEEK |'), { completion: { kind: 'queue' }, start: 5 });
    assert.deepEqual(at('CONSUME q|'), { completion: { kind: 'queue' }, start: 8 });
    assert.deepEqual(at('DECLARE exchange x |'), { completion: { kind: 'exchangeType' }, start: 19 });
    assert.deepEqual(at('DECLARE queue q |'), { completion: { kind: 'queueType' }, start: 16 });
    assert.deepEqual(at('BIND queue q to |'), { completion: { kind: 'exchange' }, start: 16 });
    assert.deepEqual(at('BIND queue q to logs |'), { completion: { kind: 'routingKey', exchange: 'logs' }, start: 21 });
    assert.deepEqual(at('DECLARE queue a\nBIND exchange |'), { completion: { kind: 'exchange' }, start: 14 });
    assert.deepEqual(at('PUBLISH logs info\nconte|'), { completion: { kind: 'propertyName', verb: 'PUBLISH' }, start: 0 });
    assert.deepEqual(at('PUBLISH logs info\nheader x-|'), { completion: { kind: 'headerName', exchange: 'logs', routingKey: 'info' }, start: 7 });
    assert.deepEqual(at('PUBLISH logs info\ncontent-type: app|'), { completion: { kind: 'contentType' }, start: 14 });
    assert.deepEqual(at('@t = 1\nPUBLISH "" q\n\n{"a": "{{ t|"}'), { completion: { kind: 'template', variables: ['t'] }, start: 10 });
    assert.equal(at('PUBLISH "" q\n\nbody |'), undefined, 'nothing in a body');
    assert.equal(at('# comment |'), undefined);
    assert.ok(propertyLineWords('RPC').every((w) => !w.startsWith('reply-to') && w !== 'mandatory'));
    assert.ok(propertyLineWords('PUBLISH').includes('content-type: '));
  });

  it('one run lens per block, a copy lens for blocks without errors', () => {
    const f = parseRequestFile('### a\nPUBLISH "" q x 5\n\nx\n### b\nPEEK q 1001\n### c\nPEEK q\n');
    assert.deepEqual(blockLenses(f).map((l) => [l.block, l.line, l.action, l.repeat, l.hasErrors]), [
      [0, 1, 'run', 5, false],
      [0, 1, 'copyAsCode', 5, false],
      [1, 5, 'run', 1, true],
      [2, 7, 'run', 1, false],
      [2, 7, 'copyAsCode', 1, false],
    ]);
  });

  it('read-only connections: every writing block gets an error, PEEK does not', () => {
    const f = parseRequestFile('PUBLISH "" q\n\nx\n###\nPEEK q\n###\nDECLARE queue q\n');
    const d = brokerDiagnostics(f, undefined, { readOnly: true, connectionName: 'prod' });
    assert.deepEqual(d.map((x) => [x.line, x.field, x.severity]), [[0, 'connection', 'error'], [6, 'connection', 'error']]);
    assert.match(d[0].message, /^line 1, column 1: connection: PUBLISH changes the broker, and the connection "prod" is read-only/);
  });
});

describe('core/requestAssist: diagnostics from the live broker', () => {
  let vh: TestVhost;
  let s: AmqpSession;
  let names: BrokerNames;

  before(async () => {
    vh = await createTestVhost('reqassist');
    s = sessionFor(vh);
    await ops.declareExchange(s, { name: 'ra.logs', type: 'fanout' });
    await ops.declareQueue(s, { name: 'ra.q' });
    const resolved = resolveProfile({ id: 't', name: 't', amqpUrl: `amqp://${encodeURIComponent(USER)}@${AMQP_HOST}:${AMQP_PORT}/`, managementUrl: MGMT_URL });
    const mgmt = new ManagementClient(resolved, { username: USER, password: PASSWORD });
    const [ex, qs] = await Promise.all([mgmt.listExchanges(vh.name, { pageSize: 500 }), mgmt.listQueues(vh.name, { pageSize: 500 })]);
    names = { exchanges: new Map(ex.items.map((e) => [e.name, e.type])), queues: new Set(qs.items.map((q) => q.name)) };
  });
  after(async () => {
    await s.close();
    await vh.delete();
  });

  it('unknown exchanges and queues are errors; ones a DECLARE of the file creates are warnings; templates are not checked', () => {
    const f = parseRequestFile(
      ['PUBLISH ra.logs ""', '', 'x', '###', 'PUBLISH ra.nope k', '', 'x', '###', 'PEEK ra.q', '###', 'PEEK ra.missing', '###', 'DECLARE queue ra.later', '###', 'CONSUME ra.later', '###', 'PEEK {{q}}', '###', 'BIND queue ra.q to ra.gone'].join('\n'),
    );
    const d = brokerDiagnostics(f, names);
    assert.deepEqual(d.map((x) => [x.line + 1, x.field, x.severity]), [[5, 'exchange', 'error'], [11, 'queue', 'error'], [15, 'queue', 'warning'], [19, 'source', 'error']]);
    assert.match(d[0].message, /^line 5, column 9: exchange: exchange "ra.nope" does not exist on the broker/);
    assert.ok(names.exchanges.has(''), 'the default exchange is known');
  });
});
