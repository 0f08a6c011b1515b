// The message inspector in a real VS Code in Chromium: a queue whose name, message body and headers are full of
// HTML/script payloads is peeked from the command palette; everything must show as inert text: no payload
// script runs (no marker on the console, window.__pwned unset) and no element is injected into the webview.
// Screenshot: test-artifacts/e2e/inspector.png.
import * as assert from 'node:assert/strict';
import * as amqp from 'amqplib';
import type { Frame } from 'playwright-core';
import { createTestVhost, type TestVhost } from '../support/broker';
import {
  type E2eServer, type Workbench, findWebviewFrame, openViewContainer, openWorkbench, runCommand, screenshot, startCodeServer, waitForTreeRow, workbenchHooks, answerQuickInput,
} from './support/workbench';

const MARKER = 'PWNED-MARKER-7f3a';
const IMG = `<img src=x onerror="window.__pwned=1;console.error('${MARKER}')">`;
const SCRIPT = `<script>window.__pwned=1;console.error('${MARKER}')</script>`;
const QUEUE = `q${IMG}`.slice(0, 200);

describe('e2e: message inspector renders untrusted data as text', function () {
  this.timeout(240_000);
  let server: E2eServer;
  let wb: Workbench;
  let v: TestVhost;
  const consoleHits: string[] = [];

  before(async () => {
    v = await createTestVhost('e2e-inspector');
    const conn = await amqp.connect(v.amqpUrl, { noDelay: true });
    try {
      const ch = await conn.createConfirmChannel();
      await ch.assertQueue(QUEUE, { durable: true });
      ch.sendToQueue(QUEUE, Buffer.from(`${SCRIPT}${IMG} plain text after`), {
        contentType: 'text/html',
        messageId: IMG,
        headers: { [`h${IMG}`]: SCRIPT, nested: { deep: IMG, list: [SCRIPT] } },
      });
      ch.sendToQueue(QUEUE, Buffer.from(JSON.stringify({ html: IMG, script: SCRIPT })), { contentType: 'application/json' });
      await ch.waitForConfirms();
    } finally {
      await conn.close();
    }
    server = await startCodeServer();
    wb = await openWorkbench(server);
    wb.page.on('console', (m) => {
      if (m.text().includes(MARKER)) consoleHits.push(m.text());
    });
    wb.page.on('pageerror', (e) => {
      if (String(e.message).includes(MARKER)) consoleHits.push(e.message);
    });
  });

  workbenchHooks(() => ({ wb, server }), () => v?.delete());

  const pick = (text: string): Promise<void> => answerQuickInput(wb.page, text, { pickRow: true });

  it('peeks from the palette and shows payloads as text, with nothing injected and no script run', async () => {
    await openViewContainer(wb.page, 'RabbitMQ', 'workbench.view.extension.rabbitmq');
    await runCommand(wb.page, 'RabbitMQ: Connect to localhost (guest)');
    await waitForTreeRow(wb.page, 'Explorer', 'RabbitMQ 3', 60000);
    // Not runCommand(): it waits for the palette to close, but this command opens its own quick picks at once.
    await wb.page.keyboard.press('F1');
    const input = wb.page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 30000 });
    await input.fill('>RabbitMQ: Peek Messages');
    await wb.page.locator('.quick-input-widget .monaco-list-row[aria-label^="RabbitMQ: Peek Messages"]').first().click();
    await wb.page.locator('.quick-input-widget input[aria-label="Choose a vhost"]').waitFor({ timeout: 30000 });
    await pick(v.name);
    await pick(QUEUE);
    const frame: Frame = await findWebviewFrame(wb.page, '#list .row', 60000);
    await frame.locator('#list .row').first().click();
    await frame.locator('#detail table.kv').first().waitFor({ timeout: 30000 });

    // The queue name, header names/values and the body are shown verbatim as text.
    assert.ok((await frame.locator('#source-name').innerText()).includes(QUEUE), 'queue name not shown as text');
    const detail = await frame.locator('#detail').innerText();
    assert.ok(detail.includes(`h${IMG}`), 'header name not shown as text');
    assert.ok(detail.includes(SCRIPT), 'header value not shown as text');
    assert.ok((await frame.locator('#body-text').innerText()).includes(`${SCRIPT}${IMG}`), 'body not shown as text');

    // The JSON message: its pretty tree holds the payloads as text too.
    await frame.locator('#list .row').nth(1).click();
    await frame.locator('.json-tree').waitFor({ timeout: 30000 });
    assert.ok((await frame.locator('.json-tree').innerText()).includes('onerror'), 'JSON tree lost the payload text');

    // Nothing injected, nothing ran.
    const found = await frame.evaluate(() => ({
      imgs: document.querySelectorAll('img').length,
      scripts: [...document.querySelectorAll('script')].map((s) => s.getAttribute('src') ?? `inline:${s.textContent ?? ''}`),
      pwned: (window as unknown as { __pwned?: unknown }).__pwned,
    }));
    assert.equal(found.imgs, 0, 'an <img> was injected');
    // Our bundle, plus the inline bootstrap VS Code itself injects into every webview (acquireVsCodeApi): nothing else.
    assert.ok(found.scripts.some((x) => /\/dist\/webview\/inspector\.js$/.test(x)), `our script is missing: ${found.scripts.join(', ')}`);
    const others = found.scripts.filter((x) => !/\/dist\/webview\/inspector\.js$/.test(x));
    assert.ok(others.length <= 1 && others.every((x) => x.includes('acquireVsCodeApi')), `unexpected scripts: ${others.map((x) => x.slice(0, 80)).join(' | ')}`);
    assert.ok(!found.scripts.some((x) => x.includes(MARKER)), 'a payload script was injected');
    assert.equal(found.pwned, undefined);
    for (const f of wb.page.frames()) {
      const pwned = await f.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned).catch(() => undefined);
      assert.equal(pwned, undefined, `window.__pwned set in ${f.url()}`);
    }
    // Give an onerror handler time to fire if one had been injected.
    await wb.page.waitForTimeout(500);
    assert.deepEqual(consoleHits, []);
    await frame.locator('#list .row').first().click();
    await screenshot(wb.page, 'inspector');
  });
});
