// Connections in a real VS Code against the real broker: Add Connection tries AMQP and the management API,
// saved passwords stay with the target they were saved for, a read-only flip in settings stops what runs,
// and the connection row shows reconnecting (through a TCP proxy of this test) and blocked publishers.
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import * as amqp from 'amqplib';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../src/extension';
import type { ConsumeCommandResult } from '../../src/features/messaging/consumeCommand';
import { AMQP_HOST, AMQP_PORT, createTestVhost, MGMT_URL, PASSWORD, type TestVhost } from '../support/broker';
import { startFaultProxy, type FaultProxy } from '../support/faultProxy';

const EXTENSION_ID = 'rabbitmq-workbench.rabbitmq-workbench';

let api: ExtensionApi;

function run<T>(command: string, ...args: unknown[]): Promise<T> {
  return Promise.resolve(vscode.commands.executeCommand<T>(command, ...args));
}

async function waitFor(what: string, pred: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function rejectsWith(p: Promise<unknown>, code: string | RegExp, message?: RegExp): Promise<Error> {
  let caught: Error | undefined;
  await assert.rejects(p, (e: unknown) => {
    const err = e as { code?: string; message?: string };
    if (typeof code === 'string') assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
    else assert.match(err.code ?? '', code, `expected ${String(code)}, got ${err.code}: ${err.message}`);
    if (message) assert.match(err.message ?? '', message);
    caught = e as Error;
    return true;
  });
  return caught!;
}

/** A TCP port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** A listener of this test standing in for "another host": it records every byte that arrives and answers nothing. */
async function startWitness(): Promise<{ port: number; connections: () => number; bytes: () => Buffer; close: () => Promise<void> }> {
  let count = 0;
  const chunks: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    count++;
    sockets.add(s);
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', () => undefined);
    // Hang up soon, so a client that does connect fails quickly.
    setTimeout(() => s.destroy(), 200);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => count,
    bytes: () => Buffer.concat(chunks),
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

interface SavedProfile {
  id: string;
  name: string;
  amqpUrl: string;
  managementUrl?: string;
  readOnly?: boolean;
  tls?: { insecureSkipVerify?: boolean };
}

function userConnections(): SavedProfile[] {
  return vscode.workspace.getConfiguration('rabbitmq').inspect<SavedProfile[]>('connections')?.globalValue ?? [];
}

/** Changes one saved connection in the user settings, as an edit of settings.json would. */
async function editSetting(id: string, change: (p: SavedProfile) => SavedProfile): Promise<void> {
  const next = userConnections().map((p) => (p.id === id ? change({ ...p }) : p));
  await vscode.workspace.getConfiguration('rabbitmq').update('connections', next, vscode.ConfigurationTarget.Global);
}

function row(id: string): vscode.TreeItem {
  const node = api.explorer.connectionNode(id);
  assert.ok(node, 'connection row missing');
  return api.explorer.getTreeItem(node) as vscode.TreeItem;
}

/** The tooltip as plain text (MarkdownString.appendText escapes spaces and punctuation). */
function tooltip(item: vscode.TreeItem): string {
  const t = item.tooltip;
  const text = typeof t === 'string' ? t : (t?.value ?? '');
  return text.replace(/&nbsp;/g, ' ').replace(/\\([\\`*_{}[\]()#+\-.!<>|~])/g, '$1');
}

function withPort(url: string, port: number): string {
  const u = new URL(url);
  u.port = String(port);
  return u.toString();
}

describe('connections', function () {
  this.timeout(120_000);
  let v: TestVhost;
  const created: string[] = [];
  const names = (prefix: string) => `${prefix}-${Math.random().toString(16).slice(2, 8)}`;

  before(async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext, 'extension not installed');
    api = await ext.activate();
    v = await createTestVhost('connections');
  });

  after(async () => {
    for (const id of created) await run('rabbitmq.removeConnection', { id, confirm: true }).catch(() => undefined);
    await v?.delete();
  });

  async function add(extra: Record<string, unknown>): Promise<SavedProfile> {
    const saved = await run<SavedProfile>('rabbitmq.addConnection', { name: names('conn'), amqpUrl: v.profileUrl, managementUrl: MGMT_URL, password: PASSWORD, ...extra });
    created.push(saved.id);
    return saved;
  }

  describe('Add Connection tries AMQP and the management API', () => {
    it('names AMQP when its port is closed, saves nothing, and saves with saveAnyway', async () => {
      const port = await closedPort();
      const name = names('amqp-down');
      const amqpUrl = withPort(v.profileUrl, port);
      const err = await rejectsWith(run('rabbitmq.addConnection', { name, amqpUrl, managementUrl: MGMT_URL, password: PASSWORD }), 'UNREACHABLE');
      assert.match(err.message, new RegExp(`AMQP \\(amqp://[^)]*:${port}/[^)]*\\) failed`));
      assert.match(err.message, /Management API \([^)]*\): OK\./);
      assert.match(err.message, /Nothing was saved/);
      assert.equal(userConnections().some((p) => p.name === name), false, 'a failed try must not save');

      const saved = await run<SavedProfile>('rabbitmq.addConnection', { name, amqpUrl, managementUrl: MGMT_URL, password: PASSWORD, saveAnyway: true });
      created.push(saved.id);
      assert.ok(userConnections().some((p) => p.id === saved.id && p.name === name), 'saved anyway');
      assert.equal(await api.connections.store.getPassword(saved.id), PASSWORD);
      assert.notEqual(api.connections.statusOf(saved.id).state, 'connected', 'a broker that is down is not shown connected');
    });

    it('names the management API when only it fails', async () => {
      const port = await closedPort();
      const name = names('mgmt-down');
      const err = await rejectsWith(run('rabbitmq.addConnection', { name, amqpUrl: v.profileUrl, managementUrl: `http://127.0.0.1:${port}`, password: PASSWORD }), /^(UNREACHABLE|MANAGEMENT_UNAVAILABLE)$/);
      assert.match(err.message, new RegExp(`Management API \\(http://127\\.0\\.0\\.1:${port}\\) failed`));
      assert.match(err.message, /AMQP \([^)]*\): OK\./);
      assert.equal(userConnections().some((p) => p.name === name), false);
    });

    it('names AMQP when the password is wrong there and refuses a non-boolean saveAnyway', async () => {
      await rejectsWith(run('rabbitmq.addConnection', { name: names('x'), amqpUrl: v.profileUrl, managementUrl: MGMT_URL, password: PASSWORD, saveAnyway: 'yes' }), 'INVALID_INPUT');
      const err = await rejectsWith(run('rabbitmq.addConnection', { name: names('bad-pass'), amqpUrl: v.profileUrl, managementUrl: MGMT_URL, password: `${PASSWORD}-wrong` }), /^(AUTH_FAILED|ACCESS_REFUSED)$/);
      assert.match(err.message, /AMQP \([^)]*\) failed/);
      assert.match(err.message, /Management API \([^)]*\) failed/);
    });
  });

  describe('credentials stay with their host', () => {
    it('refuses to send the password to a changed host without confirmation; nothing reaches the new host', async () => {
      const conn = await add({});
      assert.equal(api.connections.statusOf(conn.id).state, 'connected');
      const witness = await startWitness();
      try {
        const original = userConnections().find((p) => p.id === conn.id)!;
        // A shared settings file now names another host (here: the test's own listener) for AMQP and management.
        await editSetting(conn.id, (p) => ({ ...p, amqpUrl: withPort(p.amqpUrl, witness.port), managementUrl: `http://127.0.0.1:${witness.port}` }));
        await waitFor('the live connection dropped', () => api.connections.statusOf(conn.id).state === 'disconnected');
        const err = await rejectsWith(run('rabbitmq.connect', { id: conn.id }), 'TARGET_CHANGED', /Nothing was sent/);
        assert.match(err.message, /AMQP port/);
        assert.match(err.message, new RegExp(`:${witness.port}`));
        // Other ways in are refused the same way (the explorer, a session for a command).
        await rejectsWith(api.connections.session(conn.id, v.name).then((s) => s.connect()), 'TARGET_CHANGED');
        await new Promise((r) => setTimeout(r, 300));
        assert.equal(witness.connections(), 0, 'no connection (and so no credentials) reached the new host');

        // With the explicit confirmation the password goes there (the listener sees the connection) and is rebound.
        await assert.rejects(run('rabbitmq.connect', { id: conn.id, confirmNewTarget: true }));
        await waitFor('the confirmed connect reached the new host', () => witness.connections() > 0);
        const bound = await api.connections.credentialTargets(conn.id);
        assert.equal(bound.saved?.amqp.port, witness.port, 'the password is now bound to the confirmed target');

        // Back to the original host: that is a change again, so it is asked again.
        await api.connections.disconnect(conn.id);
        await editSetting(conn.id, () => original);
        await rejectsWith(run('rabbitmq.connect', { id: conn.id }), 'TARGET_CHANGED');
        await run('rabbitmq.connect', { id: conn.id, confirmNewTarget: true });
        assert.equal(api.connections.statusOf(conn.id).state, 'connected');
        await run('rabbitmq.connect', { id: conn.id });
      } finally {
        await witness.close();
      }
    });

    it('asks again when TLS verification is turned off, and the row and tooltip say so', async () => {
      const port = await closedPort();
      // amqps: verification matters (nothing listens there; saved anyway).
      const conn = await add({ amqpUrl: `amqps://guest@127.0.0.1:${port}/%2F`, managementUrl: `https://127.0.0.1:${port}`, saveAnyway: true });
      const before = await api.connections.credentialTargets(conn.id);
      assert.equal(before.saved?.tlsVerify, true);
      await editSetting(conn.id, (p) => ({ ...p, tls: { insecureSkipVerify: true } }));
      await waitFor('row updated', () => String(row(conn.id).description ?? '').includes('TLS verification off'));
      assert.match(tooltip(row(conn.id)), /TLS verification off/);
      await rejectsWith(run('rabbitmq.connect', { id: conn.id }), 'TARGET_CHANGED', /TLS verification/);
    });

    it('does not pin the default management URL: switching to amqps moves management to https', async () => {
      const port = await closedPort();
      const conn = await add({ amqpUrl: `amqp://guest@127.0.0.1:${port}/%2F`, managementUrl: 'http://127.0.0.1:15672', saveAnyway: true });
      assert.equal(userConnections().find((p) => p.id === conn.id)?.managementUrl, undefined, 'the default management URL is not stored');
      await run('rabbitmq.editConnection', { id: conn.id, amqpUrl: `amqps://guest@127.0.0.1:${port}/%2F`, saveAnyway: true });
      assert.equal(userConnections().find((p) => p.id === conn.id)?.managementUrl, undefined);
      assert.equal(api.connections.resolved(conn.id).management.baseUrl, 'https://127.0.0.1:15671');
      // The edit was the user's own choice of target: the kept password is bound to it.
      const t = await api.connections.credentialTargets(conn.id);
      assert.equal(t.saved?.amqp.scheme, 'amqps');
      assert.equal(t.saved?.management.scheme, 'https');
    });
  });

  describe('a read-only flip in settings', () => {
    it('closes the live sessions and open consume panels at once; unacked messages go back', async () => {
      const conn = await add({});
      const raw = await amqp.connect(v.amqpUrl);
      try {
        const ch = await raw.createChannel();
        await ch.assertQueue('flip', { durable: true });
        for (let i = 0; i < 3; i++) ch.sendToQueue('flip', Buffer.from(`m${i}`));
        await waitFor('3 ready', async () => (await ch.checkQueue('flip')).messageCount === 3);
        const { panel, consumer } = await run<ConsumeCommandResult>('rabbitmq.consume', { connectionId: conn.id, vhost: v.name, queue: 'flip', prefetch: 3 });
        await waitFor('3 deliveries', () => panel.messages.length === 3);
        const session = await api.connections.session(conn.id, v.name);
        let disposed = false;
        panel.onDidDispose(() => (disposed = true));

        await editSetting(conn.id, (p) => ({ ...p, readOnly: true }));
        await waitFor('the consume panel closed', () => disposed);
        await waitFor('the session closed', () => session.isClosed);
        await waitFor('the consumer stopped', () => !consumer.active);
        await waitFor('the 3 unacked messages back in the queue', async () => (await ch.checkQueue('flip')).messageCount === 3);
        await assert.rejects(run('rabbitmq.consume', { connectionId: conn.id, vhost: v.name, queue: 'flip' }), (e: { code?: string }) => e.code === 'READ_ONLY');
        // A new session (for what read-only allows) is a fresh one.
        const again = await api.connections.session(conn.id, v.name);
        assert.notEqual(again, session);
      } finally {
        await raw.close().catch(() => undefined);
      }
    });
  });

  describe('the connection row shows the AMQP sessions', () => {
    let proxy: FaultProxy;
    before(async () => {
      proxy = await startFaultProxy({ host: AMQP_HOST, port: AMQP_PORT });
    });
    after(async () => {
      await proxy?.close();
    });

    it('shows reconnecting with attempt and countdown, Retry Now, then recovers', async () => {
      const conn = await add({ amqpUrl: withPort(v.profileUrl, proxy.port) });
      const session = await api.connections.session(conn.id, v.name);
      await session.connect();
      assert.equal(proxy.connections(), 1);
      assert.equal(String(row(conn.id).description ?? '').includes('reconnecting'), false);

      proxy.refuse(true);
      proxy.cut();
      await waitFor('attempt 2 shown with a countdown', () => /reconnecting, attempt ([2-9]|\d\d), next in \d+ s/.test(String(row(conn.id).description ?? '')));
      assert.match(row(conn.id).contextValue ?? '', /:reconnecting/, 'the row offers Retry Now');
      assert.match(api.explorerView.statusBar.item.text, /reconnecting, attempt \d+/);
      const statusCommand = api.explorerView.statusBar.item.command as vscode.Command;
      assert.equal(statusCommand.command, 'rabbitmq.retryNow');
      const attemptBefore = api.connections.amqpSummary(conn.id).attempt ?? 0;
      const acceptedBefore = proxy.accepted();
      await assert.rejects(run('rabbitmq.retryNow', { id: conn.id }), 'refused while the proxy refuses');
      assert.ok(proxy.accepted() > acceptedBefore, 'Retry Now made an attempt at once');
      await waitFor('the next attempt counted', () => (api.connections.amqpSummary(conn.id).attempt ?? 0) > attemptBefore);

      proxy.refuse(false);
      await run('rabbitmq.retryNow', { id: conn.id });
      assert.equal(session.state, 'connected');
      await waitFor('the row recovered', () => !String(row(conn.id).description ?? '').includes('reconnecting'));
      assert.doesNotMatch(row(conn.id).contextValue ?? '', /reconnecting/);
      assert.doesNotMatch(api.explorerView.statusBar.item.text, /reconnecting/);
    });

    it('shows "blocked: <reason>" while the broker blocks publishers', async () => {
      const conn = await add({ amqpUrl: withPort(v.profileUrl, proxy.port) });
      const session = await api.connections.session(conn.id, v.name);
      await session.connect();
      proxy.block('low on memory (test)');
      try {
        await waitFor('blocked shown', () => String(row(conn.id).description ?? '').includes('blocked: low on memory (test)'));
        assert.match(tooltip(row(conn.id)), /blocking publishers: low on memory \(test\)/);
        assert.match(api.explorerView.statusBar.item.text, /blocked: low on memory \(test\)/);
      } finally {
        proxy.unblock();
      }
      await waitFor('blocked cleared', () => !String(row(conn.id).description ?? '').includes('blocked'));
    });
  });
});
