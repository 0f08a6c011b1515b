// "Load more…" appends pages read by offset from a live list (src/core/treeData.ts appendUnique): an item created
// before the offset shifts the list, so a page can repeat an item already shown; the tree must show it once.
import * as assert from 'node:assert/strict';
import { appendUnique } from '../../src/core/treeData';

describe('core/treeData paging (pure)', () => {
  it('appends a page without the items already shown, in order', () => {
    const shown = [{ name: 'a' }, { name: 'b' }, { name: 'c' }];
    // "a0" was created: page 2 (offset 3) now starts with "c" again.
    const page2 = [{ name: 'c' }, { name: 'd' }, { name: 'e' }];
    const out = appendUnique(shown, page2, (r) => r.name);
    assert.deepEqual(out.map((r) => r.name), ['a', 'b', 'c', 'd', 'e']);
    assert.equal(out[2], shown[2], 'the row already shown is kept');
  });

  it('drops repeats inside a page too', () => {
    assert.deepEqual(appendUnique([], ['x', 'y', 'x'], (s) => s), ['x', 'y']);
  });
});
