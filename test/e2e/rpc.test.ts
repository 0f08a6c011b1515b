// The RPC panel in a real VS Code in Chromium: opened from the command palette against a fresh vhost where a real
// amqplib fib server (prefetch 1) consumes rpc_queue. Invalid JSON is refused in the page before sending; a call
// shows its pretty JSON reply, round trip and a "replied" history row; a call to a silent queue times out and
// says so. Screenshot after the successful call: test-artifacts/e2e/rpc-panel.png.
import * as assert from 'node:assert/strict';
import * as amqp from 'amqplib';
import type { Frame } from 'playwright-core';
import { createTestVhost, type TestVhost } from '../support/broker';
import {
  type E2eServer, type Workbench, activityBarItem, findWebviewFrame, openWorkbench, runCommand, screenshot, startCodeServer, waitForNotification, workbenchHooks, answerQuickInput,
} from './support/workbench';

function fib(n: number): number {
  let a = 0;
  let b = 1;
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
}

describe('e2e: RPC panel', function () {
  this.timeout(240_000);
  let server: E2eServer;
  let wb: Workbench;
  let v: TestVhost;
  let rpcServer: amqp.ChannelModel;
  let requests = 0;

  before(async () => {
    v = await createTestVhost('e2e-rpc');
    rpcServer = await amqp.connect(v.amqpUrl, { noDelay: true });
    rpcServer.on('error', () => undefined);
    const ch = await rpcServer.createChannel();
    await ch.assertQueue('rpc_queue', { durable: false });
    await ch.assertQueue('silent_queue', { durable: false });
    await ch.prefetch(1);
    await ch.consume('rpc_queue', (m) => {
      if (!m) return;
      requests++;
      const n = Number(JSON.parse(m.content.toString()).n);
      ch.sendToQueue(String(m.properties.replyTo), Buffer.from(JSON.stringify({ n, fib: fib(n), by: 'node fib server' })), {
        correlationId: m.properties.correlationId,
        contentType: 'application/json',
        headers: { server: 'amqplib' },
      });
      ch.ack(m);
    });
    server = await startCodeServer();
    wb = await openWorkbench(server, { width: 1400, height: 900 });
  });

  workbenchHooks(
    () => ({ wb, server }),
    async () => {
      await rpcServer?.close().catch(() => undefined);
      await v?.delete();
    },
  );

  const pick = (text: string): Promise<void> => answerQuickInput(wb.page, text, { pickRow: true });

  async function fill(frame: Frame, id: string, value: string): Promise<void> {
    const inner = frame.locator(`#${id}`).locator('input, textarea').first();
    await inner.fill(value);
  }

  it('sends a request from the panel and shows the reply, round trip and history', async () => {
    // The extension's contributions (activity-bar item, commands) are registered once its host has started.
    await activityBarItem(wb.page, 'RabbitMQ').waitFor({ timeout: 90000 });
    await runCommand(wb.page, 'RabbitMQ: Connect to localhost (guest)');
    await waitForNotification(wb.page, 'localhost').catch(() => undefined);
    // Saved and connected: the status bar names the active connection.
    await wb.page.locator('.part.statusbar .statusbar-item').filter({ hasText: 'localhost' }).first().waitFor({ timeout: 60000 });
    // The command goes straight on to a vhost pick (the palette input stays open), so drive the palette here.
    await wb.page.keyboard.press('F1');
    const input = wb.page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 30000 });
    await input.fill('>RabbitMQ: RPC Call…');
    await wb.page.locator('.quick-input-widget .monaco-list-row').filter({ hasText: 'RabbitMQ: RPC Call' }).first().waitFor({ timeout: 30000 });
    await wb.page.keyboard.press('Enter');
    await wb.page.locator('.quick-input-widget input[aria-label="Choose a vhost"]').waitFor({ timeout: 30000 });
    await pick(v.name);
    const frame = await findWebviewFrame(wb.page, '#send', 60000);
    assert.ok((await frame.locator('#scope').innerText()).includes(v.name));

    // Invalid JSON: refused with the field named, nothing sent, no history row.
    await fill(frame, 'queue', 'rpc_queue');
    await fill(frame, 'body', '{"n": ');
    await frame.locator('#body-hint').filter({ hasText: /\S/ }).waitFor({ timeout: 10000 });
    await frame.locator('#send').click();
    await frame.locator('#status.error').waitFor({ timeout: 30000 });
    assert.match(await frame.locator('#status').innerText(), /body/);
    assert.equal(requests, 0);
    assert.equal(await frame.locator('#history .row.call').count(), 0);

    // A good call.
    await fill(frame, 'body', '{"n": 20}');
    await frame.locator('#send').click();
    await frame.locator('#history .row.call[data-state="ok"]').first().waitFor({ timeout: 30000 });
    await frame.locator('#reply-json').waitFor({ timeout: 10000 });
    const json = await frame.locator('#reply-json').innerText();
    assert.ok(json.includes(String(fib(20))), `reply JSON not shown: ${json}`);
    const reply = await frame.locator('#reply').innerText();
    assert.match(reply, /\d+\.\d+ ms/, 'round trip not shown');
    assert.ok(reply.includes('amqplib'), 'reply headers not shown');
    assert.equal(requests, 1);
    await screenshot(wb.page, 'rpc-panel');

    // A server that never answers: the row ends as TIMEOUT and the reply pane says what happened.
    await fill(frame, 'queue', 'silent_queue');
    await fill(frame, 'timeoutMs', '500');
    await frame.locator('#send').click();
    await frame.locator('#history .row.call[data-state="error"]').first().waitFor({ timeout: 30000 });
    assert.ok((await frame.locator('#history .row.call[data-state="error"]').first().innerText()).includes('TIMEOUT'));
    assert.match(await frame.locator('#call-error').innerText(), /No reply/);
    assert.equal(await frame.locator('#history .row.call').count(), 2);
  });
});
