/**
 * Compact text for a language model: Markdown tables without padding (few tokens, easy to read back) and
 * `key: value` lines. Cell text is flattened to one line and cut, so a long name or argument cannot break a row.
 */

const MAX_CELL = 120;

export type Cell = string | number | boolean | undefined | null;

export function cell(v: Cell, max = MAX_CELL): string {
  if (v === undefined || v === null || v === '') return '-';
  const s = String(v).replace(/[\r\n\t]+/g, ' ').replace(/\|/g, '\\|');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export function table(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  if (rows.length === 0) return '(none)';
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map((r) => line(r.map((c) => cell(c))))].join('\n');
}

/** `key: value` lines, skipping empty values. */
export function fields(pairs: readonly (readonly [string, Cell])[]): string {
  return pairs
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${k}: ${cell(v, 400)}`)
    .join('\n');
}

/** A JSON value on one line, cut to `max` characters. */
export function compactJson(v: unknown, max = 200): string {
  if (v === undefined) return '';
  let s: string;
  try {
    s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x)) ?? '';
  } catch {
    s = String(v);
  }
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** "" is the default exchange: shown by its name in the management UI. */
export function exchangeLabel(name: string): string {
  return name === '' ? '(default exchange)' : name;
}

export function rate(v: number | undefined): string | undefined {
  if (v === undefined) return undefined;
  const r = Math.round(v * 10) / 10;
  return r > 0 ? `+${r}` : String(r);
}
