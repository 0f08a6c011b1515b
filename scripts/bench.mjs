// `npm run bench`: runs every bench/*.bench.ts module (each exports async bench*() → {figure: number}) in one
// process, against baselines measured in the same run, then checks the performance targets and prints a table.
//   npm run bench [-- [--json] [--no-build] [module …]]
// Modules: the bench/*.bench.ts names, plus `build` (bundle size) and `host` (activation in a real extension host).
// --json: the last line printed is one JSON object keyed by figure name, each
//   {"value": n, "baseline": n, "peer": n|null, "unit": "…", "better": "lower"|"higher"}
// (null where the figure's module did not run or the number could not be measured). `baseline` is the best raw way
// measured in the same run (raw amqplib with noDelay, a raw fetch, the plain library); `peer` is what a user would
// use instead, measured in the same run (the management HTTP API as the management UI and rabbitmqadmin use it).
// --no-build: use the current dist/ and dist-test/ (the caller built them).
// The broker comes from RABBITMQ_HOST / RABBITMQ_PORT / RABBITMQ_MGMT_URL / RABBITMQ_USER / RABBITMQ_PASSWORD
// (test/support/broker.ts). Results are also written to test-artifacts/bench.json.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import * as esbuild from 'esbuild';

const require = createRequire(import.meta.url);
const root = resolve(import.meta.dirname, '..');
process.chdir(root);

const args = process.argv.slice(2);
const json = args.includes('--json');
const noBuild = args.includes('--no-build');
const unknownFlag = args.find((a) => a.startsWith('--') && a !== '--json' && a !== '--no-build');
if (unknownFlag) {
  console.error(`bench: unknown option ${unknownFlag} (known: --json, --no-build)`);
  process.exit(2);
}
const only = args.filter((a) => !a.startsWith('--'));
const moduleNames = readdirSync(join(root, 'bench')).filter((f) => f.endsWith('.bench.ts')).map((f) => f.replace(/\.bench\.ts$/, ''));
const unknownModule = only.find((m) => m !== 'build' && m !== 'host' && !moduleNames.includes(m));
if (unknownModule) {
  console.error(`bench: unknown module "${unknownModule}" (known: build, host, ${moduleNames.join(', ')})`);
  process.exit(2);
}
const runs = (m) => !only.length || only.includes(m);

if (!noBuild) execFileSync('node', ['scripts/build.mjs'], { stdio: 'inherit' });
const results = {}; // module -> figures

// bundle_kb: the extension bundle as shipped (minified, no source map); baseline: amqplib alone, bundled the same way
// (what any extension that speaks AMQP ships at least).
if (runs('build')) {
  const size = async (entry, name) => {
    const out = join(root, 'test-artifacts', 'bench-bundle', name);
    await esbuild.build({ ...entry, bundle: true, minify: true, platform: 'node', format: 'cjs', target: 'node18', external: ['vscode'], outfile: out, logLevel: 'error', legalComments: 'none' });
    return Math.round(statSync(out).size / 102.4) / 10;
  };
  results.build = {
    bundle_kb: await size({ entryPoints: ['src/extension.ts'] }, 'extension.js'),
    amqplib_bundle_kb: await size({ stdin: { contents: "module.exports = require('amqplib');", resolveDir: root, loader: 'js' } }, 'amqplib.js'),
  };
}

const dir = join(root, 'dist-test', 'bench');
const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.bench.js')).sort() : [];
for (const f of files) {
  const mod = f.replace(/\.bench\.js$/, '');
  if (!runs(mod)) continue;
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

// activation_ms: activate() timed inside a real VS Code extension host (the activation tests, run now); baseline: the
// same host registering as many plain commands and one tree view (what any activation does at least).
if (runs('host')) {
  const out = join(root, 'test-artifacts', 'activation.json');
  mkdirSync(join(root, 'test-artifacts'), { recursive: true });
  try {
    execFileSync('node', ['scripts/test-extension.mjs'], { stdio: 'ignore', env: { ...process.env, RMQWB_TEST_GREP: 'activation', RMQWB_ACTIVATION_OUT: out }, timeout: 300_000 });
  } catch (e) {
    console.log(`[bench] extension host run failed: ${e.message}`);
  }
  try {
    const a = JSON.parse(readFileSync(out, 'utf8'));
    results.host = { activation_ms: a.activationMs, activation_baseline_ms: a.baselineMs };
  } catch { /* not measured */ }
}

const get = (m, k) => results[m]?.[k];
const targets = [
  ['tree_first_page_ms ≤ 1.2 × raw page', () => [get('explorer', 'tree_first_page_ms'), 1.2 * get('explorer', 'raw_page_ms')], 'le'],
  ['tree_10k_nodes_mb ≤ 30', () => [get('explorer', 'tree_10k_nodes_mb'), 30], 'le'],
  ['activation_ms ≤ 50', () => [get('host', 'activation_ms'), 50], 'le'],
  ['bundle_kb ≤ 400', () => [get('build', 'bundle_kb'), 400], 'le'],
  ['inspector_1k_ms ≤ 1.5 × core peek', () => [get('messaging', 'inspector_1k_ms'), 1.5 * get('messaging', 'core_peek_1k_ms')], 'le'],
  ['bulk_publish_100k ≥ 0.9 × raw amqplib', () => [get('messaging', 'bulk_publish_100k_msgs_per_s'), 0.9 * get('messaging', 'raw_publish_100k_msgs_per_s')], 'ge'],
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
  ['mcp_list_queues_10k_ms ≤ 1.5 × raw page', () => [get('agent', 'mcp_list_queues_10k_ms'), 1.5 * get('agent', 'raw_agent_page_ms')], 'le'],
  ['request_publish_x1000 ≥ 0.8 × raw amqplib', () => [get('requestFiles', 'request_publish_x1000_msgs_per_s'), 0.8 * get('requestFiles', 'raw_publish_x1000_msgs_per_s')], 'ge'],
];

// Every figure of the JSON object: where its value, baseline and peer come from (module, key).
// The first 13 are the required ones; a figure whose module did not run is still listed, with nulls.
const FIGURES = {
  publish_100k_msgs_per_s: { unit: 'msgs/s', better: 'higher', value: ['amqp', 'core_publish_msgs_per_s'], baseline: ['amqp', 'raw_publish_msgs_per_s'], peer: ['amqp', 'http_publish_msgs_per_s'] },
  peek_1k_ms: { unit: 'ms', better: 'lower', value: ['amqp', 'core_peek_1k_ms'], baseline: ['amqp', 'raw_peek_1k_ms'], peer: ['amqp', 'http_get_1k_ms'] },
  rpc_p50_ms: { unit: 'ms', better: 'lower', value: ['amqp', 'core_rpc_p50_ms'], baseline: ['amqp', 'raw_rpc_p50_ms'], peer: null },
  list_10k_queues_ms: { unit: 'ms', better: 'lower', value: ['management', 'core_list_10k_ms'], baseline: ['management', 'raw_list_10k_ms'], peer: ['management', 'ui_list_10k_ms'] },
  tree_first_page_ms: { unit: 'ms', better: 'lower', value: ['explorer', 'tree_first_page_ms'], baseline: ['explorer', 'raw_page_ms'], peer: ['explorer', 'ui_first_page_ms'] },
  tree_10k_nodes_mb: { unit: 'MB', better: 'lower', value: ['explorer', 'tree_10k_nodes_mb'], baseline: ['explorer', 'raw_10k_rows_mb'], peer: null },
  activation_ms: { unit: 'ms', better: 'lower', value: ['host', 'activation_ms'], baseline: ['host', 'activation_baseline_ms'], peer: null },
  bundle_kb: { unit: 'KiB', better: 'lower', value: ['build', 'bundle_kb'], baseline: ['build', 'amqplib_bundle_kb'], peer: null },
  inspector_1k_ms: { unit: 'ms', better: 'lower', value: ['messaging', 'inspector_1k_ms'], baseline: ['messaging', 'raw_peek_1k_ms'], peer: ['messaging', 'http_get_1k_ms'] },
  bulk_publish_100k_msgs_per_s: { unit: 'msgs/s', better: 'higher', value: ['messaging', 'bulk_publish_100k_msgs_per_s'], baseline: ['messaging', 'raw_publish_100k_msgs_per_s'], peer: ['messaging', 'http_publish_msgs_per_s'] },
  rpc_panel_p50_ms: { unit: 'ms', better: 'lower', value: ['rpc', 'rpc_panel_p50_ms'], baseline: ['rpc', 'raw_rpc_p50_ms'], peer: null },
  route_10k_bindings_ms: { unit: 'ms', better: 'lower', value: ['routing', 'route_10k_bindings_ms'], baseline: ['routing', 'route_10k_bindings_naive_scan_ms'], peer: null },
  graph_1k_nodes_ms: { unit: 'ms', better: 'lower', value: ['graph', 'graph_1k_nodes_ms'], baseline: ['graph', 'graph_1k_dagre_only_ms'], peer: null },
  // Figures of the other modules.
  stall_detect_ms: { unit: 'ms', better: 'lower', value: ['faults', 'stall_detect_ms'], baseline: ['faults', 'stall_confirm_timeout_ms'], peer: null },
  reconnect_ms: { unit: 'ms', better: 'lower', value: ['faults', 'reconnect_ms'], baseline: ['faults', 'raw_connect_publish_ms'], peer: null },
  move_100k_msgs_per_s: { unit: 'msgs/s', better: 'higher', value: ['move', 'move_100k_msgs_per_s'], baseline: ['move', 'raw_move_100k_msgs_per_s'], peer: ['move', 'peer_http_get_publish_msgs_per_s'] },
  redrive_10k_plan_ms: { unit: 'ms', better: 'lower', value: ['move', 'redrive_10k_plan_ms'], baseline: ['move', 'raw_consume_10k_ms'], peer: ['move', 'http_get_10k_ms'] },
  request_parse_10k_lines_ms: { unit: 'ms', better: 'lower', value: ['requestFiles', 'request_parse_10k_lines_ms'], baseline: ['requestFiles', 'raw_split_10k_lines_ms'], peer: null },
  codelens_1k_blocks_ms: { unit: 'ms', better: 'lower', value: ['requestFiles', 'codelens_1k_blocks_ms'], baseline: ['requestFiles', 'parse_1k_blocks_ms'], peer: null },
  mcp_list_queues_10k_ms: { unit: 'ms', better: 'lower', value: ['agent', 'mcp_list_queues_10k_ms'], baseline: ['agent', 'raw_agent_page_ms'], peer: null },
  request_publish_x1000_msgs_per_s: { unit: 'msgs/s', better: 'higher', value: ['requestFiles', 'request_publish_x1000_msgs_per_s'], baseline: ['requestFiles', 'raw_publish_x1000_msgs_per_s'], peer: ['requestFiles', 'http_publish_msgs_per_s'] },
};

const num = (src) => {
  const v = src ? get(src[0], src[1]) : undefined;
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
};
const figures = {};
for (const [name, f] of Object.entries(FIGURES)) {
  figures[name] = { value: num(f.value), baseline: num(f.baseline), peer: num(f.peer), unit: f.unit, better: f.better };
}

console.log('\nFigures (same run):');
for (const [mod, figs] of Object.entries(results)) {
  for (const [k, v] of Object.entries(figs)) console.log(`  ${mod}.${k} = ${typeof v === 'number' ? +v.toFixed(3) : v}`);
}
const cell = (v) => (v === null ? '-' : String(+v.toFixed(3)));
const rows = Object.entries(figures).filter(([, f]) => f.value !== null || f.baseline !== null);
if (rows.length) {
  console.log('\nValue, baseline (best raw way) and peer (management HTTP API), same run:');
  const w = Math.max(...rows.map(([n]) => n.length));
  console.log(`  ${'figure'.padEnd(w)}  ${'value'.padStart(10)}  ${'baseline'.padStart(10)}  ${'peer'.padStart(10)}  ${'vs base'.padStart(7)}  unit`);
  for (const [n, f] of rows) {
    const ratio = f.value !== null && f.baseline ? (f.better === 'higher' ? f.value / f.baseline : f.baseline / f.value) : null;
    console.log(`  ${n.padEnd(w)}  ${cell(f.value).padStart(10)}  ${cell(f.baseline).padStart(10)}  ${cell(f.peer).padStart(10)}  ${(ratio === null ? '-' : ratio.toFixed(2) + '×').padStart(7)}  ${f.unit} (${f.better} is better)`);
  }
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
  if (verdict === 'not measured' && only.length) continue; // a partial run: only the targets of its modules
  console.log(`  ${verdict.padEnd(12)} ${label}: ${typeof value === 'number' ? +value.toFixed(3) : '-'} (limit ${Number.isFinite(limit) ? +limit.toFixed(3) : '-'})`);
}
mkdirSync(join(root, 'test-artifacts'), { recursive: true });
writeFileSync(join(root, 'test-artifacts', 'bench.json'), JSON.stringify({ date: new Date().toISOString(), results, figures, targets: verdicts }, null, 2));
// Last line: the figures as one JSON object, for tools.
if (json) console.log(JSON.stringify(figures));
process.exit(0);
