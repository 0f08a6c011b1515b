#!/usr/bin/env node
// A "VS Code executable" for @vscode/test-electron's runTests({ vscodeExecutablePath }) on machines where
// desktop VS Code cannot be downloaded: it takes the flags test-electron passes, runs the tests in
// code-server's real (Node) extension host with headless Chromium as the workbench, relays the test output
// to stdout, and exits with the tests' exit code. Always kills code-server's whole process group.
//
// Understood flags: --extensionDevelopmentPath=P (repeatable), --extensionTestsPath=P, --user-data-dir=D,
// --extensions-dir=D, a folder or file to open (positional). Every other flag is ignored.
// Environment: everything in our environment reaches the extension host (e.g. RABBITMQ_*).
// RMQWB_HOST_TIMEOUT_S (default 600) bounds a run; RMQWB_HOST_VERBOSE=1 relays code-server's own log.
import { createRequire } from 'node:module';
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';

const require = createRequire(import.meta.url);
const host = require('./lib/host.cjs');

function parseArgs(argv) {
  const out = { devPaths: [], testsPath: undefined, userDataDir: undefined, extensionsDir: undefined, folder: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--extensionDevelopmentPath': out.devPaths.push(resolve(value())); break;
      case '--extensionTestsPath': out.testsPath = resolve(value()); break;
      case '--user-data-dir': out.userDataDir = resolve(value()); break;
      case '--extensions-dir': out.extensionsDir = resolve(value()); break;
      case '--folder-uri': out.folder = value().replace(/^file:\/\//, ''); break;
      default:
        if (!a.startsWith('-') && existsSync(a)) out.folder = resolve(a);
    }
  }
  return out;
}

const opts = parseArgs(process.argv.slice(2));
if (!opts.testsPath || opts.devPaths.length === 0) {
  console.error('code-server-host: --extensionTestsPath= and --extensionDevelopmentPath= are required (this wrapper only runs extension tests).');
  process.exit(2);
}
const TESTS_START_MARKER = '[rmqwb] extension tests start'; // printed by test/extension/index.ts
const verbose = process.env.RMQWB_HOST_VERBOSE === '1';
const timeoutS = Number(process.env.RMQWB_HOST_TIMEOUT_S || 600);

let server;
let browser;
let finished = false;
async function finish(code, why) {
  if (finished) return;
  finished = true;
  if (why) console.error(`code-server-host: ${why}`);
  try { await browser?.close(); } catch { /* already gone */ }
  await server?.stop();
  process.exit(code);
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => void finish(130, `stopped by ${sig}`));

try {
  // A fresh user-data folder per run (test-electron reuses .vscode-test/user-data across runs).
  const tempRoot = host.mkTemp('rmqwb-exthost-');
  const userDataDir = resolve(tempRoot, 'user-data');
  const extensionsDir = opts.extensionsDir ?? resolve(tempRoot, 'extensions');
  mkdirSync(extensionsDir, { recursive: true });
  server = await host.startCodeServer({
    tempRoot, userDataDir, extensionsDir, smokeDriver: true,
    extraArgs: ['--reconnection-grace-time', '30', '--ignore-last-opened'],
    onOutput: verbose ? (s) => process.stderr.write(`[code-server] ${s}`) : undefined,
  });
  const remote = (p) => `vscode-remote://127.0.0.1:${server.port}${p}`;
  const payload = [
    ...opts.devPaths.map((p) => ['extensionDevelopmentPath', remote(p)]),
    ['extensionTestsPath', remote(opts.testsPath)],
  ];
  const query = new URLSearchParams();
  query.set(opts.folder ? 'folder' : 'ew', opts.folder ?? 'true');
  query.set('payload', JSON.stringify(payload));
  const url = `${server.url}/?${query.toString()}`;

  browser = await host.launchChromium();
  const page = await browser.newPage();
  // The workbench relays its own log and the extension host's console here. Until the test runner prints
  // its start marker (test/extension/index.ts) the lines are the workbench's start-up noise (offline
  // gallery look-ups etc.): keep them and show them only if the tests never start.
  let started = verbose;
  const early = [];
  await page.exposeFunction('codeAutomationLog', (type, args) => {
    const text = Array.isArray(args) ? args.join(' ') : String(args);
    if (!started && text.includes(TESTS_START_MARKER)) { started = true; return; }
    if (!started) { early.push(`[${type}] ${text}`); return; }
    (type === 'error' || type === 'warn' ? process.stderr : process.stdout).write(text.endsWith('\n') ? text : `${text}\n`);
  });
  await page.exposeFunction('codeAutomationExit', (code) => {
    if (!started) process.stderr.write(`code-server-host: the tests never started; workbench log:\n${early.join('\n')}\n`);
    void finish(Number(code) || 0);
  });
  if (verbose) page.on('console', (m) => process.stderr.write(`[browser] ${m.text()}\n`));
  page.on('crash', () => void finish(1, 'the workbench page crashed'));
  setTimeout(() => void finish(1, `no test result after ${timeoutS} s`), timeoutS * 1000).unref();
  await page.goto(url);
} catch (err) {
  await finish(1, err instanceof Error ? err.message : String(err));
}
