// Browser end-to-end tier: packages the extension (`npm run package` → rabbitmq-workbench.vsix), then runs
// dist-test/test/e2e/**/*.test.js (mocha, .mocharc.e2e.json). The tests install the .vsix into a fresh
// code-server and drive it in headless Chromium (test/e2e/support/workbench.ts); screenshots go to
// test-artifacts/e2e/. Expects `node scripts/build.mjs` to have built dist-test/ (npm test does).
// Packaging leaves the production (minified) dist/extension.js in place; `npm run build` restores the dev one.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const vsix = join(root, 'rabbitmq-workbench.vsix');
const fail = (why) => {
  console.error(`[test-e2e] ${why}`);
  console.log('RESULT e2e: 0 passed, 1 failed');
  process.exit(1);
};

if (!existsSync(join(root, 'dist-test', 'test', 'e2e'))) fail('dist-test/test/e2e is missing: run `node scripts/build.mjs` first.');
if (process.env.RMQWB_SKIP_PACKAGE !== '1') {
  rmSync(vsix, { force: true });
  // stdin closed: vsce must not wait for an answer to one of its questions.
  const pkg = spawnSync('npm', ['run', '--silent', 'package'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (pkg.status !== 0 || !existsSync(vsix)) fail(`\`npm run package\` failed (exit ${pkg.status}).`);
}
const files = process.argv.slice(2);
const run = spawnSync('npx', ['mocha', '--config', '.mocharc.e2e.json', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, RMQWB_VSIX: vsix },
});
process.exit(run.status ?? 1);
