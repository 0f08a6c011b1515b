// Extension-host tier: runs dist-test/test/extension/**/*.test.js inside a real VS Code through
// @vscode/test-electron's runTests(). Here (no VS Code download possible) the "VS Code executable" is
// scripts/code-server-host.mjs (code-server + headless Chromium); RMQWB_DESKTOP=1 lets test-electron
// download and use desktop VS Code instead. Expects `node scripts/build.mjs` to have run.
// Prints "RESULT extension: N passed, N failed" (from the tests' count reporter); if the host dies before
// the tests report, prints "RESULT extension: 0 passed, 1 failed" itself so the failure is counted.
import { runTests } from '@vscode/test-electron';
import { chmodSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const extensionTestsPath = join(root, 'dist-test', 'test', 'extension', 'index.js');
if (!existsSync(extensionTestsPath)) {
  console.error(`${extensionTestsPath} is missing: run \`node scripts/build.mjs\` first.`);
  console.log('RESULT extension: 0 passed, 1 failed');
  process.exit(1);
}
const desktop = process.env.RMQWB_DESKTOP === '1';
const wrapper = join(root, 'scripts', 'code-server-host.mjs');
if (!desktop) chmodSync(wrapper, 0o755);

// Relay the output so we can tell whether the tests reported at all.
let sawResult = false;
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream);
  stream.write = (chunk, ...rest) => {
    if (/^RESULT extension: /m.test(String(chunk))) sawResult = true;
    return write(chunk, ...rest);
  };
}

let code = 0;
try {
  await runTests({
    ...(desktop ? {} : { vscodeExecutablePath: wrapper }),
    extensionDevelopmentPath: root,
    extensionTestsPath,
    launchArgs: [root, '--disable-extensions', '--skip-welcome'],
    extensionTestsEnv: { ...process.env, RMQWB_TEST_TIER: 'extension' },
  });
} catch (err) {
  code = 1;
  console.error(`[test-extension] ${err instanceof Error ? err.message : String(err)}`);
}
if (!sawResult) console.log('RESULT extension: 0 passed, 1 failed');
process.exit(code);
