/**
 * The fault tier's table: each test records fault × operation → outcome and the time until the operation
 * worked again. Printed once after all suites of the run (the record lives on globalThis because every test
 * file is bundled separately).
 */
export interface FaultRow {
  fault: string;
  operation: string;
  outcome: string;
  /** From the fault to the first successful operation afterwards, when measured. */
  recoverMs?: number;
}

const KEY = Symbol.for('rabbitmq-workbench.faultTable');
type Store = { rows: FaultRow[]; hooked: boolean };
const store: Store = ((globalThis as Record<symbol, unknown>)[KEY] as Store | undefined) ?? ((globalThis as Record<symbol, unknown>)[KEY] = { rows: [], hooked: false });

export function recordFault(row: FaultRow): void {
  store.rows.push(row);
}

export function formatFaultTable(rows: FaultRow[]): string {
  const head = ['fault', 'operation', 'outcome', 'recover ms'];
  const cells = rows.map((r) => [r.fault, r.operation, r.outcome, r.recoverMs === undefined ? '-' : String(Math.round(r.recoverMs))]);
  const width = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(width[i])).join(' | ');
  return [line(head), width.map((w) => '-'.repeat(w)).join('-|-'), ...cells.map(line)].join('\n');
}

/** Registers (once per run) a root after-hook that prints the table. Call at the top of a fault suite file. */
export function printFaultTableAtEnd(): void {
  if (store.hooked) return;
  store.hooked = true;
  after(() => {
    if (store.rows.length === 0) return;
    console.log(`\nFault table (${store.rows.length} rows)\n${formatFaultTable(store.rows)}\n`);
  });
}
