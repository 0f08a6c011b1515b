// `npm test`: build, then run every tier, then print one plain "N passed, N failed" line for all of them.
// Tiers: core (plain Node + real broker), extension (real VS Code extension host), e2e (browser).
import { spawn } from 'node:child_process';

const only = process.env.TEST_TIERS ? process.env.TEST_TIERS.split(',') : null;
const tiers = [
  { name: 'build', cmd: 'node', args: ['scripts/build.mjs'], counts: false },
  { name: 'types', cmd: 'npm', args: ['run', '--silent', 'check-types'], counts: false },
  { name: 'lint', cmd: 'npm', args: ['run', '--silent', 'lint'], counts: false },
  { name: 'core', cmd: 'npx', args: ['mocha', '--config', '.mocharc.core.json'], counts: true },
  { name: 'extension', cmd: 'node', args: ['scripts/test-extension.mjs'], counts: true },
  { name: 'e2e', cmd: 'node', args: ['scripts/test-e2e.mjs'], counts: true },
];

let passed = 0;
let failed = 0;
for (const tier of tiers) {
  if (only && tier.counts && !only.includes(tier.name)) continue;
  console.log(`\n=== ${tier.name} ===`);
  const started = Date.now();
  const { code, output } = await run(tier.cmd, tier.args);
  const m = [...output.matchAll(/^RESULT [\w-]+: (\d+) passed, (\d+) failed$/gm)];
  if (tier.counts) {
    const p = m.reduce((a, x) => a + Number(x[1]), 0);
    const f = m.reduce((a, x) => a + Number(x[2]), 0);
    passed += p;
    failed += f;
    // A tier that crashed before reporting counts as one failure.
    if (code !== 0 && f === 0) failed += 1;
  } else if (code !== 0) {
    failed += 1;
    console.log(`[test-all] ${tier.name} failed (exit ${code})`);
  }
  console.log(`[test-all] ${tier.name}: exit ${code} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);

function run(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let output = '';
    child.stdout.on('data', (d) => { output += d; process.stdout.write(d); });
    child.stderr.on('data', (d) => { output += d; process.stderr.write(d); });
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}
