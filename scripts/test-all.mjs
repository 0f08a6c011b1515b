// `npm test`: build, then run every tier, then print one plain "N passed, N failed" line for all of them.
// Tiers: core (plain Node + real broker), fault (core under injected faults, prints a fault × operation
// table), extension (real VS Code extension host), e2e (browser), and
// rabbitmq4: core + extension again against a RabbitMQ 4.0 node that scripts/rabbitmq4.sh builds and
// starts beside the usual broker (once as shipped, once with the deprecated features denied), when this
// machine can build it (root + a Debian mirror); otherwise it says it was skipped and why.
// TEST_TIERS=core,fault,extension,e2e,rabbitmq4 picks tiers (build, types and lint always run).
import { spawn, spawnSync } from 'node:child_process';

const only = process.env.TEST_TIERS ? process.env.TEST_TIERS.split(',').map((s) => s.trim()) : null;
const core = { name: 'core', cmd: 'npx', args: ['mocha', '--config', '.mocharc.core.json'], counts: true };
const extension = { name: 'extension', cmd: 'node', args: ['scripts/test-extension.mjs'], counts: true };
const tiers = [
  { name: 'build', cmd: 'node', args: ['scripts/build.mjs'], counts: false },
  { name: 'types', cmd: 'npm', args: ['run', '--silent', 'check-types'], counts: false },
  { name: 'lint', cmd: 'npm', args: ['run', '--silent', 'lint'], counts: false },
  core,
  // Faults injected on our own connections only (a proxy the tests control, the management API closing them).
  { name: 'fault', cmd: 'npx', args: ['mocha', '--config', '.mocharc.fault.json'], counts: true },
  extension,
  { name: 'e2e', cmd: 'node', args: ['scripts/test-e2e.mjs'], counts: true },
  { name: 'rabbitmq4', counts: true, run: runRabbitmq4 },
];

let passed = 0;
let failed = 0;
const summary = [];
for (const tier of tiers) {
  if (only && tier.counts && !only.includes(tier.name)) continue;
  console.log(`\n=== ${tier.name} ===`);
  const started = Date.now();
  if (tier.run) {
    await tier.run();
  } else {
    const code = await runCounted(tier, process.env, tier.name);
    console.log(`[test-all] ${tier.name}: exit ${code} in ${seconds(started)} s`);
  }
}
console.log('\n[test-all] summary:');
for (const line of summary) console.log(`[test-all]   ${line}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);

/** Runs one tier, adds its RESULT lines to the totals; returns the exit code. */
async function runCounted(tier, env, label) {
  const { code, output } = await run(tier.cmd, tier.args, env);
  if (!tier.counts) {
    if (code !== 0) {
      failed += 1;
      console.log(`[test-all] ${label} failed (exit ${code})`);
    }
    summary.push(`${label}: ${code === 0 ? 'ok' : `failed (exit ${code})`}`);
    return code;
  }
  const m = [...output.matchAll(/^RESULT [\w-]+: (\d+) passed, (\d+) failed$/gm)];
  const p = m.reduce((a, x) => a + Number(x[1]), 0);
  let f = m.reduce((a, x) => a + Number(x[2]), 0);
  // A tier that crashed before reporting counts as one failure.
  if (code !== 0 && f === 0) f = 1;
  passed += p;
  failed += f;
  summary.push(`${label}: ${p} passed, ${f} failed`);
  return code;
}

async function runRabbitmq4() {
  const script = ['scripts/rabbitmq4.sh'];
  const check = spawnSync('bash', [...script, 'check'], { encoding: 'utf8' });
  if (check.status !== 0) {
    const why = (check.stdout || check.stderr || check.error?.message || 'unknown reason').trim();
    console.log(`[test-all] rabbitmq4: SKIPPED, the RabbitMQ 4.0 node cannot be built here: ${why}`);
    summary.push(`rabbitmq4: skipped (${why})`);
    return;
  }
  const envOut = spawnSync('bash', [...script, 'env'], { encoding: 'utf8' }).stdout;
  const brokerEnv = {};
  for (const [, k, v] of envOut.matchAll(/^export (\w+)=(.*)$/gm)) brokerEnv[k] = v;
  for (const mode of [{ label: 'permitted', flag: [] }, { label: 'denied', flag: ['--deny-deprecated'] }]) {
    const started = Date.now();
    const name = `rabbitmq4 (deprecated features ${mode.label})`;
    console.log(`\n=== ${name} ===`);
    const up = await run('bash', [...script, 'up', ...mode.flag], process.env);
    if (up.code !== 0) {
      failed += 1;
      console.log(`[test-all] ${name}: the node did not start (exit ${up.code})`);
      summary.push(`${name}: node did not start`);
      continue;
    }
    // A node that was already running belongs to someone else: leave it running afterwards.
    const ours = /^started$/m.test(up.output);
    const stop = () => { if (ours) spawnSync('bash', [...script, 'down'], { stdio: 'inherit' }); };
    const onSignal = (sig) => { stop(); process.exit(sig === 'SIGINT' ? 130 : 143); };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const env = { ...process.env, ...brokerEnv };
      for (const tier of [core, extension]) {
        const label = `${name} ${tier.name}`;
        console.log(`\n=== ${label} ===`);
        const code = await runCounted(tier, env, label);
        console.log(`[test-all] ${label}: exit ${code} in ${seconds(started)} s`);
      }
    } finally {
      stop();
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
    console.log(`[test-all] ${name}: ${seconds(started)} s including start and stop`);
  }
}

function seconds(since) {
  return ((Date.now() - since) / 1000).toFixed(1);
}

function run(cmd, args, env) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let output = '';
    child.stdout.on('data', (d) => { output += d; process.stdout.write(d); });
    child.stderr.on('data', (d) => { output += d; process.stderr.write(d); });
    child.on('error', (err) => { output += String(err); });
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}
