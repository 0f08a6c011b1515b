// Entry point of the extension-host tier: VS Code loads this module in its extension host (desktop VS Code
// through @vscode/test-electron, or code-server through scripts/code-server-host.mjs) and calls run().
// It runs every dist-test/test/extension/**/*.test.js with mocha (bdd) and the count reporter, which prints
// "RESULT extension: N passed, N failed" for scripts/test-all.mjs.
// Narrowing a run (the host is heavy): RMQWB_TEST_FILES=explorer,rpc runs only the test files whose name
// contains one of the comma-separated words; RMQWB_TEST_GREP=<regexp> runs only the matching tests.
import Mocha from 'mocha';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { format } from 'node:util';

/** Printed first, so a host wrapper can tell test output from the workbench's own start-up log. */
export const TESTS_START_MARKER = '[rmqwb] extension tests start';

export function run(): Promise<void> {
  // code-server relays console output to the test runner unformatted ("%d passing"): format it here.
  for (const level of ['log', 'info', 'warn', 'error'] as const) {
    const original = console[level].bind(console);
    console[level] = (...args: unknown[]) => original(format(...args));
  }
  Mocha.reporters.Base.consoleLog = (...args: unknown[]) => console.log(format(...args));
  console.log(TESTS_START_MARKER);
  // This bundle lives in <root>/dist-test/test/extension/index.js.
  const root = resolve(__dirname, '..', '..', '..');
  const mocha = new Mocha({
    ui: 'bdd',
    timeout: 60000,
    slow: 2000,
    color: false,
    reporter: join(root, 'test', 'support', 'count-reporter.cjs'),
    reporterOptions: { tier: 'extension' },
  });
  const grep = process.env.RMQWB_TEST_GREP;
  if (grep) mocha.grep(grep);
  const only = (process.env.RMQWB_TEST_FILES ?? '').split(',').map((w) => w.trim()).filter((w) => w !== '');
  const dir = __dirname;
  const files = (readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.test.js'))
    .filter((f) => only.length === 0 || only.some((w) => f.includes(w)))
    .sort()
    .map((f) => join(dir, f));
  if (files.length === 0) return Promise.reject(new Error(`RMQWB_TEST_FILES=${process.env.RMQWB_TEST_FILES ?? ''} matches no test file in ${dir}.`));
  for (const f of files) mocha.addFile(f);
  return new Promise((resolvePromise, reject) => {
    try {
      mocha.run((failures) => {
        // Let the reporter print its RESULT line (it uses setImmediate) before the host shuts down.
        setTimeout(() => {
          if (failures > 0) reject(new Error(`${failures} extension test(s) failed.`));
          else resolvePromise();
        }, 100);
      });
    } catch (err) {
      reject(err);
    }
  });
}
