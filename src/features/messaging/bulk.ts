/**
 * Bulk publishing from JSON Lines, without 'vscode' (the command and the benchmark share it).
 */
import { readFile } from 'node:fs/promises';
import { invalidInput } from '../../core/errors';
import type { PublishOptions } from '../../core/operations';
import { parseJsonLines, type ParseDefaults } from './jsonl';

/** Reads and checks a JSON Lines file: every line, before anything is sent. */
export async function readBulkFile(path: string, defaults: ParseDefaults): Promise<PublishOptions[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw invalidInput('file', `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`, 'Choose an existing JSON Lines file.');
  }
  return parseJsonLines(text, defaults);
}

/**
 * Lets publishMany pre-check the whole array (it does for arrays) while its iteration reports progress and stops
 * on cancel: the array's own iterator is replaced.
 */
export function withProgressIterator<T>(items: T[], onItem: (sent: number) => boolean): T[] {
  const arr = items;
  Object.defineProperty(arr, Symbol.iterator, {
    configurable: true,
    value: function* () {
      for (let i = 0; i < items.length; i++) {
        if (!onItem(i)) return;
        yield items[i];
      }
    },
  });
  return arr;
}

