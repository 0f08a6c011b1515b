// `npm start`: build, then open VS Code with this extension loaded from the working folder.
//  - desktop VS Code (`code` on PATH): `code --extensionDevelopmentPath=<repo> [folder]` (F5-like window)
//  - otherwise code-server (installed by .ci/setup-host.sh if missing) on 127.0.0.1:8080 (or a free port),
//    with this folder linked into a fresh extensions folder; prints the URL and runs until Ctrl+C.
// Options: --port N, --host H (default 127.0.0.1), --code-server (skip desktop VS Code), --no-build,
//          a folder to open (default: the repository). Environment (e.g. RABBITMQ_*) reaches the extension host.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const option = (name) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
const positional = argv.filter((a, i) => !a.startsWith('--') && !['--port', '--host'].includes(argv[i - 1]));
const folder = resolve(positional[0] ?? root);

function onPath(cmd) {
  return (process.env.PATH ?? '').split(delimiter).some((d) => {
    try { return spawnSync('test', ['-x', join(d, cmd)]).status === 0; } catch { return false; }
  });
}

if (!flag('--no-build')) {
  console.log('[start] building');
  const b = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}

if (!flag('--code-server') && onPath('code')) {
  console.log('[start] opening desktop VS Code with the extension under development');
  const r = spawnSync('code', ['--new-window', `--extensionDevelopmentPath=${root}`, folder], { stdio: 'inherit' });
  process.exit(r.status ?? 0);
}

const host = require('./lib/host.cjs');
if (!host.hostInstalled()) {
  console.log('[start] code-server is not installed yet: running .ci/setup-host.sh (a few minutes, once)');
  const r = spawnSync('bash', [join(root, '.ci', 'setup-host.sh')], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('[start] setup-host.sh failed. It needs apt (root) and the npm registry; see its output above.');
    process.exit(1);
  }
}

// The extension is "installed" as a link to this folder, so a rebuild (npm run watch) + "Developer: Reload
// Window" picks up changes. code-server needs <publisher>.<name>-<version> as the folder name.
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const tempRoot = host.mkTemp('rmqwb-start-');
const extensionsDir = join(tempRoot, 'extensions');
mkdirSync(extensionsDir, { recursive: true });
symlinkSync(root, join(extensionsDir, `${pkg.publisher}.${pkg.name}-${pkg.version}`), 'dir');

const bind = option('--host') ?? '127.0.0.1';
let port = Number(option('--port') ?? 8080);
if (!option('--port') && !(await host.portFree(port, bind))) {
  port = await host.freePort();
  console.log(`[start] port 8080 is busy: using ${port}`);
}
const server = await host.startCodeServer({
  host: bind, port, tempRoot, extensionsDir,
  settings: { 'workbench.startupEditor': 'none' },
  onOutput: process.env.RMQWB_HOST_VERBOSE === '1' ? (s) => process.stderr.write(s) : undefined,
});
const url = `${server.url}/?folder=${encodeURIComponent(folder)}`;
console.log(`\n[start] RabbitMQ Workbench is running in VS Code (code-server) at:\n\n    ${url}\n`);
console.log('[start] Open it in a browser. Ctrl+C stops the server.');
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.log('\n[start] stopping code-server');
  await server.stop();
  process.exit(0);
};
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => void stop());
// Keep running while the server does.
const watch = setInterval(() => {
  try { process.kill(server.pid, 0); } catch {
    clearInterval(watch);
    console.error(`[start] code-server exited. Its output:\n${server.output()}`);
    void server.stop().then(() => process.exit(1));
  }
}, 2000);
