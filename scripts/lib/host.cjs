// The real VS Code host used by the extension-host tier, the e2e tier and `npm start`:
// code-server (VS Code with a Node extension host) + Debian's Chromium driven by playwright-core.
// Installed outside the repo by .ci/setup-host.sh (code-server and Node 24 under $RMQWB_CACHE, Chromium from apt).
// CommonJS so that both the .mjs scripts and the bundled TypeScript tests (test/e2e/support) can use it.
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');

/** The repository root (found upwards, because this file may also run bundled from dist-test/). */
const ROOT = (() => {
  for (let d = __dirname; ; d = path.dirname(d)) {
    try { if (JSON.parse(fs.readFileSync(path.join(d, 'package.json'), 'utf8')).name === 'rabbitmq-workbench') return d; } catch { /* keep looking */ }
    if (path.dirname(d) === d) return path.resolve(__dirname, '..', '..');
  }
})();
const CACHE = process.env.RMQWB_CACHE || path.join(os.homedir(), '.cache', 'rabbitmq-workbench');

/** Chromium flags that work as root, offline. Playwright makes its own fresh profile. */
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
];

/** Settings for a clean screen (no welcome page, no AI side bar, no network look-ups). */
const CLEAN_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'chat.commandCenter.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  'window.commandCenter': false,
  'git.enabled': false,
  'workbench.enableExperiments': false,
};

/** Paths of Node 24, code-server's entry.js and Chromium: from RMQWB_* env vars or $CACHE/env.sh. */
function hostPaths() {
  const fromFile = {};
  const envFile = path.join(CACHE, 'env.sh');
  if (fs.existsSync(envFile)) {
    for (const m of fs.readFileSync(envFile, 'utf8').matchAll(/^export (\w+)="?([^"\n]*)"?$/gm)) fromFile[m[1]] = m[2];
  }
  const pick = (k) => process.env[k] || fromFile[k];
  const paths = { node24: pick('RMQWB_NODE24'), codeServer: pick('RMQWB_CODE_SERVER'), chromium: pick('RMQWB_CHROMIUM') || '/usr/bin/chromium' };
  const missing = Object.entries(paths).filter(([, p]) => !p || !fs.existsSync(p)).map(([k]) => k);
  if (missing.length > 0) {
    throw new Error(`The VS Code host is not installed (missing: ${missing.join(', ')}). Run \`bash .ci/setup-host.sh\` once (needs apt and the npm registry), then retry.`);
  }
  return paths;
}

function hostInstalled() {
  try { hostPaths(); return true; } catch { return false; }
}

/** A free TCP port on 127.0.0.1. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function portFree(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

function mkTemp(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Kill a whole process group (the server was started with its own group); ignore "already gone". */
function killGroup(pid, signal = 'SIGTERM') {
  if (!pid) return;
  try { process.kill(-pid, signal); } catch { /* gone */ }
}

function httpOk(url) {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => { res.resume(); resolve(res.statusCode !== undefined && res.statusCode < 500); });
    req.on('error', () => resolve(false));
    req.setTimeout(2000, () => { req.destroy(); resolve(false); });
  });
}

/**
 * Start code-server in its own process group on 127.0.0.1.
 * opts: { port?, host?, userDataDir?, extensionsDir?, smokeDriver?, settings?, env?, extraArgs?, onOutput?(text), tempRoot? }
 * Returns { url, port, pid, userDataDir, extensionsDir, tempRoot, stop() }.
 */
async function startCodeServer(opts = {}) {
  const { node24, codeServer } = hostPaths();
  const tempRoot = opts.tempRoot || mkTemp('rmqwb-host-');
  const userDataDir = opts.userDataDir || path.join(tempRoot, 'user-data');
  const extensionsDir = opts.extensionsDir || path.join(tempRoot, 'extensions');
  const xdg = path.join(tempRoot, 'xdg');
  for (const d of [userDataDir, extensionsDir, path.join(xdg, 'config'), path.join(xdg, 'data'), path.join(xdg, 'cache'), path.join(userDataDir, 'User')]) {
    fs.mkdirSync(d, { recursive: true });
  }
  const settingsFile = path.join(userDataDir, 'User', 'settings.json');
  if (opts.settings || !fs.existsSync(settingsFile)) {
    fs.writeFileSync(settingsFile, JSON.stringify({ ...CLEAN_SETTINGS, ...(opts.settings || {}) }, null, 2));
  }
  const host = opts.host || '127.0.0.1';
  const port = opts.port || (await freePort());
  const args = [
    codeServer,
    '--bind-addr', `${host}:${port}`,
    '--auth', 'none',
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override',
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    ...(opts.smokeDriver ? ['--vscode-option', 'enable-smoke-test-driver'] : []),
    ...(opts.extraArgs || []),
  ];
  const env = {
    ...process.env,
    ...(opts.env || {}),
    XDG_CONFIG_HOME: path.join(xdg, 'config'),
    XDG_DATA_HOME: path.join(xdg, 'data'),
    XDG_CACHE_HOME: path.join(xdg, 'cache'),
    // code-server must not pick up a password or a port from the calling environment.
    PASSWORD: '', HASHED_PASSWORD: '', PORT: '',
  };
  delete env.VSCODE_IPC_HOOK_CLI;
  const child = spawn(node24, args, { detached: true, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const onOutput = opts.onOutput || (() => {});
  let output = '';
  const collect = (d) => { const s = d.toString(); output = (output + s).slice(-20000); onOutput(s); };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  let exited = false;
  child.on('exit', () => { exited = true; });

  const url = `http://${host}:${port}`;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    killGroup(child.pid, 'SIGTERM');
    for (let i = 0; i < 30 && !exited; i++) await sleep(100);
    killGroup(child.pid, 'SIGKILL');
    if (!opts.keepTemp && !opts.tempRoot) fs.rmSync(tempRoot, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60000;
  while (!(await httpOk(`${url}/healthz`))) {
    if (exited) throw new Error(`code-server exited while starting. Its output:\n${output}`);
    if (Date.now() > deadline) { await stop(); throw new Error(`code-server did not answer on ${url} within 60 s. Its output:\n${output}`); }
    await sleep(200);
  }
  return { url, port, pid: child.pid, userDataDir, extensionsDir, tempRoot, stop, output: () => output };
}

/** `code-server --install-extension <vsix>` into extensionsDir (a fresh folder for each run). */
function installExtension(vsix, extensionsDir, userDataDir) {
  const { node24, codeServer } = hostPaths();
  const xdg = mkTemp('rmqwb-xdg-');
  try {
    return execFileSync(node24, [codeServer, '--extensions-dir', extensionsDir, ...(userDataDir ? ['--user-data-dir', userDataDir] : []),
      '--install-extension', path.resolve(vsix), '--force'], {
      env: { ...process.env, XDG_CONFIG_HOME: path.join(xdg, 'config'), XDG_DATA_HOME: path.join(xdg, 'data') },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120000,
    });
  } finally {
    fs.rmSync(xdg, { recursive: true, force: true });
  }
}

/** Headless Chromium through playwright-core (never `playwright install`). */
async function launchChromium(opts = {}) {
  const { chromium } = require('playwright-core');
  return chromium.launch({
    executablePath: hostPaths().chromium,
    headless: opts.headless !== false,
    args: CHROMIUM_ARGS,
  });
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

module.exports = {
  ROOT, CACHE, CHROMIUM_ARGS, CLEAN_SETTINGS,
  hostPaths, hostInstalled, freePort, portFree, killGroup, startCodeServer, installExtension, launchChromium, mkTemp, sleep,
};
