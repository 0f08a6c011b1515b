// The extension activates in a real VS Code and everything its manifest promises exists.
import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import { Commands } from '../../src/platform/commandIds';

const EXTENSION_ID = 'rabbitmq-workbench.rabbitmq-workbench';

interface Manifest {
  contributes: {
    commands?: { command: string; title: string; category?: string }[];
    menus?: Record<string, { command?: string; submenu?: string }[]>;
    views?: Record<string, { id: string }[]>;
    viewsContainers?: Record<string, { id: string }[]>;
  };
}

function extension(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not installed in this VS Code`);
  return ext;
}

function manifest(): Manifest {
  return extension().packageJSON as Manifest;
}

describe('activation', () => {
  before(async () => {
    await extension().activate();
  });

  it('activates and returns its API', () => {
    const ext = extension();
    assert.equal(ext.isActive, true);
    const api = ext.exports as { activationMs?: unknown };
    assert.equal(typeof api.activationMs, 'number');
    // `npm run bench` reads the figure from here (measured in this real extension host, never asserted on), with its
    // baseline: the same host registering as many plain commands and one tree view, the least any activation does.
    if (process.env.RMQWB_ACTIVATION_OUT) {
      const count = (manifest().contributes.commands ?? []).length;
      const started = performance.now();
      const plain: vscode.Disposable[] = [];
      for (let i = 0; i < count; i++) plain.push(vscode.commands.registerCommand(`workbenchActivationBaseline.command${i}`, () => i));
      plain.push(vscode.window.registerTreeDataProvider('rabbitmq.explorer.baseline', { getTreeItem: (e: string) => new vscode.TreeItem(e), getChildren: () => [] }));
      const baselineMs = performance.now() - started;
      for (const d of plain) d.dispose();
      writeFileSync(process.env.RMQWB_ACTIVATION_OUT, JSON.stringify({ activationMs: api.activationMs, baselineMs }));
    }
  });

  it('receives the environment of the test runner (how RABBITMQ_* settings reach the tests)', () => {
    assert.equal(process.env.RMQWB_TEST_TIER, 'extension');
  });

  it('registers every command contributed in package.json', async () => {
    const registered = new Set(await vscode.commands.getCommands(true));
    const contributed = (manifest().contributes.commands ?? []).map((c) => c.command);
    assert.ok(contributed.length > 0, 'package.json contributes no commands');
    const missing = contributed.filter((c) => !registered.has(c));
    assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
  });

  it('registers no rabbitmq.* command that package.json does not contribute', async () => {
    const contributed = new Set((manifest().contributes.commands ?? []).map((c) => c.command));
    const viewIds = Object.values(manifest().contributes.views ?? {}).flat().map((v) => v.id);
    const ours = (await vscode.commands.getCommands(true)).filter((c) => c.startsWith('rabbitmq.') && !isViewCommand(c, viewIds));
    const extra = ours.filter((c) => !contributed.has(c));
    assert.deepEqual(extra, [], `registered but not contributed: ${extra.join(', ')}`);
  });

  it('names in menus only commands that package.json contributes', () => {
    const m = manifest();
    const contributed = new Set((m.contributes.commands ?? []).map((c) => c.command));
    const unknown: string[] = [];
    for (const [menu, items] of Object.entries(m.contributes.menus ?? {})) {
      for (const item of items) if (item.command && !contributed.has(item.command)) unknown.push(`${menu}: ${item.command}`);
    }
    assert.deepEqual(unknown, []);
  });

  it('gives every contributed command the RabbitMQ category', () => {
    const wrong = (manifest().contributes.commands ?? []).filter((c) => c.category !== 'RabbitMQ').map((c) => c.command);
    assert.deepEqual(wrong, []);
  });

  it('opens its view container and focuses each of its views', async () => {
    const m = manifest();
    const containers = m.contributes.viewsContainers?.activitybar ?? [];
    assert.ok(containers.some((c) => c.id === 'rabbitmq'), 'no activity-bar container "rabbitmq"');
    await vscode.commands.executeCommand('workbench.view.extension.rabbitmq');
    const views = m.contributes.views?.rabbitmq ?? [];
    assert.ok(views.length > 0, 'the rabbitmq container has no views');
    for (const view of views) {
      // VS Code generates "<viewId>.focus" for every contributed view; it fails for an unknown view.
      await vscode.commands.executeCommand(`${view.id}.focus`);
    }
  });

  it('shows its log channel through rabbitmq.showLog', async () => {
    await vscode.commands.executeCommand(Commands.showLog);
  });

  it('runs in the UI language or falls back to English for every manifest string', () => {
    const root = extension().extensionPath;
    const en = JSON.parse(readFileSync(join(root, 'package.nls.json'), 'utf8')) as Record<string, string>;
    const raw = readFileSync(join(root, 'package.json'), 'utf8');
    const used = [...raw.matchAll(/"%([^%"]+)%"/g)].map((x) => x[1]);
    const missing = used.filter((k) => !(k in en));
    assert.deepEqual(missing, [], `package.json uses %key% without an entry in package.nls.json: ${missing.join(', ')}`);
  });
});

/** VS Code itself adds <viewId>.focus, .resetViewLocation, … for contributed views; they are not ours to declare. */
function isViewCommand(id: string, viewIds: string[]): boolean {
  return viewIds.some((v) => id.startsWith(`${v}.`) && /^(focus|resetViewLocation|removeView|toggleVisibility|open)$/.test(id.slice(v.length + 1)));
}
