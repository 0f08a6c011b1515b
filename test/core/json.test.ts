// parseJsonObject: the one parser for JSON objects typed by users (headers, properties). Pure, no broker needed.
import * as assert from 'node:assert/strict';
import { isRabbitError } from '../../src/core/errors';
import { parseJsonObject } from '../../src/core/json';

describe('core/json parseJsonObject', () => {
  it('returns the object, and undefined for empty text', () => {
    assert.deepEqual(parseJsonObject('headers', ' {"a": 1, "b": {"c": null}} '), { a: 1, b: { c: null } });
    assert.equal(parseJsonObject('headers', ''), undefined);
    assert.equal(parseJsonObject('headers', '  \n'), undefined);
  });

  it('refuses invalid JSON and non-objects, naming the field and showing the example', () => {
    for (const text of ['{a: 1}', '[1]', 'null', '"x"', '3']) {
      assert.throws(
        () => parseJsonObject('properties', text, '{"appId": "cli"}'),
        (e: unknown) => isRabbitError(e, 'INVALID_INPUT') && e.field === 'properties' && e.message.startsWith('properties: ') && e.message.includes('{"appId": "cli"}'),
        text,
      );
    }
    assert.throws(() => parseJsonObject('headers', '{'), (e: unknown) => isRabbitError(e, 'INVALID_INPUT') && /is not valid JSON/.test(e.message));
  });
});
