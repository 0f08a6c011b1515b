// `npm run bench`: runs every bench/*.bench.ts module (each exports async bench*() → {figure: number}) in one
// process, against baselines measured in the same run, then checks the issues' targets and prints a table.
// Results are also written to test-artifacts/bench.json.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import * as esbuild from 'esbuild';

const require = createRequire(import.meta.url);
const root = resolve(import.meta.dirname, '..');
process.chdir(root);
execFileSync('node', ['scripts/build.mjs'], { stdio: 'inherit' });

const only = process.argv.slice(2);
const results = {}; // module -> figures

// bundle_kb: the extension bundle as shipped (minified, no source map).
{
  const out = join(root, 'test-artifacts', 'bench-bundle', 'extension.js');
  await esbuild.build({ entryPoints: ['src/extension.ts'], bundle: true, minify: true, platform: 'node', format: 'cjs', target: 'node18', external: ['vscode'], outfile: out, logLevel: 'error', legalComments: 'none' });
  results.build = { bundle_kb: Math.round(statSync(out).size / 102.4) / 10 };
}

const dir = join(root, 'dist-test', 'bench');
const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.bench.js')).sort() : [];
for (const f of files) {
  const mod = f.replace(/\.bench\.js$/, '');
  if (only.length && !only.includes(mod)) continue;
  const exports = require(join(dir, f));
  for (const [name, fn] of Object.entries(exports)) {
    if (!name.startsWith('bench') || typeof fn !== 'function') continue;
    console.log(`[bench] ${mod}.${name} …`);
    const started = Date.now();
    try {
      results[mod] = { ...(results[mod] ?? {}), ...(await fn()) };
    } catch (e) {
      console.log(`[bench] ${mod}.${name} FAILED: ${e && e.stack ? e.stack : e}`);
      results[mod] = { ...(results[mod] ?? {}), error: String(e && e.message ? e.message : e) };
    }
    console.log(`[bench] ${mod}.${name} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}

// activation_ms: activate() timed inside a real VS Code extension host (the activation tests, run now).
if (!only.length || only.includes('host')) {
  const out = join(root, 'test-artifacts', 'activation.json');
  mkdirSync(join(root, 'test-artifacts'), { recursive: true });
  try {
    execFileSync('node', ['scripts/test-extension.mjs'], { stdio: 'ignore', env: { ...process.env, RMQWB_TEST_GREP: 'activation', RMQWB_ACTIVATION_OUT: out }, timeout: 300_000 });
  } catch (e) {
    console.log(`[bench] extension host run failed: ${e.message}`);
  }
  try {
    results.host = { activation_ms: JSON.parse((await import('node:fs')).readFileSync(out, 'utf8')).activationMs };
  } catch { /* not measured */ }
}

const get = (m, k) => results[m]?.[k];
const targets = [
  ['tree_first_page_ms ≤ 1.2 × raw page', () => [get('explorer', 'tree_first_page_ms'), 1.2 * get('explorer', 'raw_page_ms')], 'le'],
  ['tree_10k_nodes_mb ≤ 30', () => [get('explorer', 'tree_10k_nodes_mb'), 30], 'le'],
  ['activation_ms ≤ 50', () => [get('host', 'activation_ms'), 50], 'le'],
  ['bundle_kb ≤ 400', () => [get('build', 'bundle_kb'), 400], 'le'],
  ['inspector_1k_ms ≤ 1.5 × core peek', () => [get('messaging', 'inspector_1k_ms'), 1.5 * get('messaging', 'core_peek_1k_ms')], 'le'],
  ['bulk_publish_100k ≥ 0.8 × raw amqplib', () => [get('messaging', 'bulk_publish_100k_msgs_per_s'), 0.8 * get('messaging', 'raw_publish_100k_msgs_per_s')], 'ge'],
  ['rpc_panel_p50_ms ≤ raw + 1 ms', () => [get('rpc', 'rpc_panel_p50_ms'), get('rpc', 'raw_rpc_p50_ms') + 1], 'le'],
  ['rpc 100 concurrent all matched', () => [get('rpc', 'rpc_100_concurrent_matched') ?? get('amqp', 'rpc_100_concurrent_matched'), 100], 'ge'],
  ['route_10k_bindings_ms ≤ 5', () => [get('routing', 'route_10k_bindings_ms'), 5], 'le'],
  ['graph_1k_nodes_ms ≤ 1500', () => [get('graph', 'graph_1k_nodes_ms'), 1500], 'le'],
  ['request_parse_10k_lines_ms ≤ 50', () => [get('requestFiles', 'request_parse_10k_lines_ms'), 50], 'le'],
  ['codelens_1k_blocks_ms ≤ 20', () => [get('requestFiles', 'codelens_1k_blocks_ms'), 20], 'le'],
  ['stall_detect_ms ≤ confirm timeout + 1 s', () => [get('faults', 'stall_detect_ms'), get('faults', 'stall_confirm_timeout_ms') + 1000], 'le'],
  ['reconnect_ms ≤ 1000 (median of 5)', () => [get('faults', 'reconnect_ms'), 1000], 'le'],
  ['move_100k ≥ 0.8 × raw amqplib move loop', () => [get('move', 'move_100k_msgs_per_s'), 0.8 * get('move', 'raw_move_100k_msgs_per_s')], 'ge'],
  ['redrive_10k_plan_ms ≤ 1.5 × peeking 10k', () => [get('move', 'redrive_10k_plan_ms'), 1.5 * get('move', 'peek_10k_ms')], 'le'],
  ['request_publish_x1000 ≥ 0.8 × raw amqplib', () => [get('requestFiles', 'request_publish_x1000_msgs_per_s'), 0.8 * get('requestFiles', 'raw_publish_x1000_msgs_per_s')], 'ge'],
];

console.log('\nFigures (same run):');
for (const [mod, figs] of Object.entries(results)) {
  for (const [k, v] of Object.entries(figs)) console.log(`  ${mod}.${k} = ${typeof v === 'number' ? +v.toFixed(3) : v}`);
}
console.log('\nTargets:');
const verdicts = {};
for (const [label, fn, op] of targets) {
  const [value, limit] = fn();
  let verdict = 'not measured';
  if (typeof value === 'number' && Number.isFinite(value) && Number.isFinite(limit)) {
    verdict = (op === 'le' ? value <= limit : value >= limit) ? 'MET' : 'MISSED';
  }
  verdicts[label] = { value, limit, verdict };
  console.log(`  ${verdict.padEnd(12)} ${label}: ${typeof value === 'number' ? +value.toFixed(3) : '-'} (limit ${Number.isFinite(limit) ? +limit.toFixed(3) : '-'})`);
}
mkdirSync(join(root, 'test-artifacts'), { recursive: true });
writeFileSync(join(root, 'test-artifacts', 'bench.json'), JSON.stringify({ date: new Date().toISOString(), results, targets: verdicts }, null, 2));
process.exit(0);
