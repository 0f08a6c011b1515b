// The JSON Lines reader behind rabbitmq.publishBulk (src/features/messaging/jsonl.ts, no vscode import): pure logic, checked
// line by line, with errors that name the line and field. Round trip through the broker is in operations.test.ts.
import * as assert from 'node:assert/strict';
import { parseJsonLines } from '../../src/features/messaging/jsonl';
import { RabbitError } from '../../src/core/errors';

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof RabbitError, `not a RabbitError: ${String(e)}`);
    assert.equal(e.code, 'INVALID_INPUT');
    return e.field;
  }
  assert.fail('did not throw');
}

describe('core/jsonl (pure)', () => {
  it('reads lines with CRLF, surrounding blanks, blank lines and // comments', () => {
    const text = [
      '// saved by the inspector',
      '{"routingKey":"a","body":"one"}\r',
      '',
      '   {"exchange":"x","routingKey":"b","bodyBase64":"AAEC","properties":{"deliveryMode":2,"timestamp":"2024-01-02T03:04:05Z"}}  ',
      '{"routingKey":"c","body":{"n":1},"headers":{"bin":{"$binary":"AQI="},"n":{"nested":[1,"two"]}}}',
    ].join('\n');
    const msgs = parseJsonLines(text);
    assert.equal(msgs.length, 3);
    assert.deepEqual([msgs[0].exchange, msgs[0].routingKey, String(msgs[0].body)], ['', 'a', 'one']);
    assert.deepEqual([msgs[1].exchange, msgs[1].routingKey, [...(msgs[1].body as Buffer)]], ['x', 'b', [0, 1, 2]]);
    assert.equal(msgs[1].deliveryMode, 2);
    assert.equal(msgs[1].timestamp, Date.UTC(2024, 0, 2, 3, 4, 5) / 1000);
    assert.equal(String(msgs[2].body), '{"n":1}');
    assert.deepEqual([...(msgs[2].headers!.bin as Buffer)], [1, 2]);
    assert.deepEqual(msgs[2].headers!.n, { nested: [1, 'two'] });
  });

  it('uses the defaults only for lines without exchange / routingKey', () => {
    const msgs = parseJsonLines('{"body":"a"}\n{"exchange":"e","routingKey":"k","body":"b"}', { exchange: 'dx', routingKey: 'dk' });
    assert.deepEqual(msgs.map((m) => [m.exchange, m.routingKey]), [['dx', 'dk'], ['e', 'k']]);
  });

  it('names the line and field of the first bad line', () => {
    assert.equal(fieldOf(() => parseJsonLines('{"routingKey":"a"}\n{"routingKey":"a",')), 'line 2');
    assert.equal(fieldOf(() => parseJsonLines('{"routingKey":"a"}\n\n{"routingKey":"a","properties":{"priority":"high"}}')), 'line 3.properties.priority');
    assert.equal(fieldOf(() => parseJsonLines('{"body":"no key"}')), 'line 1.routingKey');
    assert.equal(fieldOf(() => parseJsonLines('{"routingKey":"a","colour":"red"}')), 'line 1.colour');
    assert.equal(fieldOf(() => parseJsonLines('{"routingKey":"a","properties":{"foo":1}}')), 'line 1.properties.foo');
    assert.equal(fieldOf(() => parseJsonLines('[1,2]')), 'line 1');
    assert.equal(fieldOf(() => parseJsonLines('\n// only a comment\n')), 'file');
  });
});
