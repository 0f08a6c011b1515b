// Entry point of the extension-host tier: VS Code loads this module in its extension host (desktop VS Code
// through @vscode/test-electron, or code-server through scripts/code-server-host.mjs) and calls run().
// It runs every dist-test/test/extension/**/*.test.js with mocha (bdd) and the count reporter, which prints
// "RESULT extension: N passed, N failed" for scripts/test-all.mjs.
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
  const dir = __dirname;
  const files = (readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.test.js'))
    .sort()
    .map((f) => join(dir, f));
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
