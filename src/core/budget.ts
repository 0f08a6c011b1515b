/**
 * Memory budgets for message lists that grow while a panel is open (consume, tap, peek, RPC history): at most
 * `maxMessages` items and `maxBytes` of estimated memory; the oldest droppable items go first and are counted,
 * so the page can say "n older messages dropped". Pure; no broker access.
 */
import { invalidInput } from './errors';
import type { DecodedMessage } from './message';

export interface BudgetLimits {
  /** Estimated bytes held at most; default 64 MiB. */
  maxBytes?: number;
  /** Items held at most; default 10,000. */
  maxMessages?: number;
}

export const DEFAULT_BUDGET_BYTES = 64 * 1024 * 1024;
export const DEFAULT_BUDGET_MESSAGES = 10_000;

export function checkBudget(limits: BudgetLimits = {}): Required<BudgetLimits> {
  const maxBytes = limits.maxBytes ?? DEFAULT_BUDGET_BYTES;
  const maxMessages = limits.maxMessages ?? DEFAULT_BUDGET_MESSAGES;
  if (!(Number.isSafeInteger(maxBytes) && maxBytes >= 1024)) throw invalidInput('maxBytes', `must be a whole number of bytes, at least 1024 (got ${String(maxBytes)})`);
  if (!(Number.isSafeInteger(maxMessages) && maxMessages >= 1)) throw invalidInput('maxMessages', `must be a whole number, at least 1 (got ${String(maxMessages)})`);
  return { maxBytes, maxMessages };
}

/**
 * Memory a decoded message takes, estimated: the body's copies (raw bytes, base64, text as UTF-16, parsed JSON
 * roughly as its text again) plus headers and properties as JSON text. Good enough to keep a list bounded.
 */
export function decodedMessageBytes(d: DecodedMessage): number {
  const b = d.body;
  let n = 256 + b.base64.length + b.hex.length;
  if (b.text !== undefined) n += b.text.length * 2;
  if (b.json !== undefined) n += (b.text?.length ?? b.size) * 2;
  n += jsonBytes(d.headers) + jsonBytes(d.properties);
  return n;
}

function jsonBytes(v: unknown): number {
  try {
    return (JSON.stringify(v)?.length ?? 0) * 2;
  } catch {
    return 1024;
  }
}

/**
 * A list within a budget. `push` drops the oldest items that `canDrop` allows (default: all) until the new
 * one fits; an item that cannot fit alone is still kept (the list is never empty after a push).
 */
export class BoundedList<T> {
  private items: T[] = [];
  private sizes: number[] = [];
  private _bytes = 0;
  private _dropped = 0;
  private _droppedBytes = 0;
  readonly limits: Required<BudgetLimits>;

  constructor(
    limits: BudgetLimits,
    private readonly sizeOf: (item: T) => number,
    private readonly canDrop: (item: T) => boolean = () => true,
  ) {
    this.limits = checkBudget(limits);
  }

  get length(): number {
    return this.items.length;
  }

  /** Estimated bytes held. */
  get bytes(): number {
    return this._bytes;
  }

  /** Items dropped so far to stay within the budget. */
  get dropped(): number {
    return this._dropped;
  }

  get droppedBytes(): number {
    return this._droppedBytes;
  }

  /** The items held, oldest first. */
  toArray(): T[] {
    return this.items.slice();
  }

  at(i: number): T | undefined {
    return this.items[i];
  }

  /** Adds an item; returns the items dropped to make room (oldest first). */
  push(item: T): T[] {
    const size = Math.max(0, this.sizeOf(item));
    this.items.push(item);
    this.sizes.push(size);
    this._bytes += size;
    return this.trim();
  }

  /** Drops what no longer fits (e.g. after items became droppable). */
  trim(): T[] {
    const out: T[] = [];
    const { maxBytes, maxMessages } = this.limits;
    let i = 0;
    // Walk from the oldest; skip items that may not be dropped yet (e.g. unacked messages).
    while ((this.length - out.length > maxMessages || this._bytes > maxBytes) && i < this.items.length - 1) {
      const item = this.items[i];
      if (this.canDrop(item)) {
        out.push(item);
        this._bytes -= this.sizes[i];
        this._droppedBytes += this.sizes[i];
        this._dropped++;
        this.sizes[i] = -1;
      }
      i++;
    }
    if (out.length > 0) this.compact();
    return out;
  }

  private compact(): void {
    const items: T[] = [];
    const sizes: number[] = [];
    for (let i = 0; i < this.items.length; i++) {
      if (this.sizes[i] < 0) continue;
      items.push(this.items[i]);
      sizes.push(this.sizes[i]);
    }
    this.items = items;
    this.sizes = sizes;
  }

  /** Removes items matching `pred` (not counted as dropped). */
  remove(pred: (item: T) => boolean): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.items.length; i++) {
      if (this.sizes[i] >= 0 && pred(this.items[i])) {
        out.push(this.items[i]);
        this._bytes -= this.sizes[i];
        this.sizes[i] = -1;
      }
    }
    if (out.length > 0) this.compact();
    return out;
  }

  clear(): void {
    this.items = [];
    this.sizes = [];
    this._bytes = 0;
    this._dropped = 0;
    this._droppedBytes = 0;
  }
}

/** Splits `items` into chunks of at most `maxItems` and about `maxBytes` each (for re-sending a page's state). */
export function chunkBySize<T>(items: readonly T[], sizeOf: (item: T) => number, maxBytes = 1024 * 1024, maxItems = 500): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let bytes = 0;
  for (const it of items) {
    const s = sizeOf(it);
    if (cur.length > 0 && (cur.length >= maxItems || bytes + s > maxBytes)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(it);
    bytes += s;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}
