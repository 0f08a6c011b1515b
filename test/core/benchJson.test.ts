// `npm run bench -- --json`: the last line is one JSON object with every required figure in the agreed shape.
// Runs the real runner on its cheap modules (bundle size and the route tester: no broker), on the current build.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(__dirname, '..', '..', '..');

const REQUIRED = [
  'publish_100k_msgs_per_s', 'peek_1k_ms', 'rpc_p50_ms', 'list_10k_queues_ms', 'tree_first_page_ms', 'tree_10k_nodes_mb',
  'activation_ms', 'bundle_kb', 'inspector_1k_ms', 'bulk_publish_100k_msgs_per_s', 'rpc_panel_p50_ms',
  'route_10k_bindings_ms', 'graph_1k_nodes_ms',
];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function bench(args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, ['--expose-gc', 'scripts/bench.mjs', ...args], { cwd: root, maxBuffer: 16 << 20, timeout: 240_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

function isNumberOrNull(v: unknown): boolean {
  return v === null || (typeof v === 'number' && Number.isFinite(v));
}

describe('bench --json (runner output)', function () {
  this.timeout(300_000);

  it('prints, as its last line, one object with every required figure as {value, baseline, peer, unit, better}', async () => {
    const run = await bench(['--json', '--no-build', 'build', 'routing']);
    assert.equal(run.code, 0, `bench exited ${run.code}: ${run.stderr}`);
    const lines = run.stdout.trimEnd().split('\n');
    const last = lines[lines.length - 1];
    const figures = JSON.parse(last) as Record<string, Record<string, unknown>>;
    assert.equal(typeof figures, 'object');
    for (const name of REQUIRED) assert.ok(Object.hasOwn(figures, name), `missing figure ${name}`);
    for (const [name, f] of Object.entries(figures)) {
      assert.deepEqual(Object.keys(f).sort(), ['baseline', 'better', 'peer', 'unit', 'value'], `${name} keys`);
      assert.ok(isNumberOrNull(f.value), `${name}.value`);
      assert.ok(isNumberOrNull(f.baseline), `${name}.baseline`);
      assert.ok(isNumberOrNull(f.peer), `${name}.peer`);
      assert.ok(typeof f.unit === 'string' && f.unit.length > 0, `${name}.unit`);
      assert.ok(f.better === 'lower' || f.better === 'higher', `${name}.better`);
    }
    // The modules that ran measured their figures, value and baseline, in this run.
    for (const name of ['bundle_kb', 'route_10k_bindings_ms']) {
      assert.equal(typeof figures[name].value, 'number', `${name} not measured`);
      assert.equal(typeof figures[name].baseline, 'number', `${name} baseline not measured`);
    }
    // The ones that did not run say so with null, never a made-up number.
    assert.equal(figures.bulk_publish_100k_msgs_per_s.value, null);
    assert.equal(figures.publish_100k_msgs_per_s.peer, null);
    // The human table is still printed before it.
    assert.match(run.stdout, /Value, baseline .* same run:/);
  });

  it('takes --json as an option, not as a module name, and refuses an unknown module before building', async () => {
    const run = await bench(['--json', '--no-build', 'nosuchmodule']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /unknown module "nosuchmodule"/);
    assert.doesNotMatch(run.stderr, /unknown module "--json"/);
  });
});
