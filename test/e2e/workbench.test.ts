// The packaged extension in a real VS Code (code-server) in Chromium: it installs, shows its activity-bar
// container and view, and its commands run from the palette. Screenshots: test-artifacts/e2e/*.png.
import * as assert from 'node:assert/strict';
import {
  type E2eServer, type Workbench, activityBarItem, openViewContainer, openWorkbench, outputText, runCommand, screenshot, startCodeServer, treeRows, viewMessage, viewPane, workbenchHooks,
} from './support/workbench';

describe('e2e: workbench', () => {
  let server: E2eServer;
  let wb: Workbench;

  before(async () => {
    server = await startCodeServer();
    wb = await openWorkbench(server);
  });

  workbenchHooks(() => ({ wb, server }));

  it('shows the RabbitMQ item in the activity bar', async () => {
    const item = activityBarItem(wb.page, 'RabbitMQ');
    await item.waitFor({ timeout: 60000 });
    assert.equal(await item.isVisible(), true);
    await screenshot(wb.page, '01-workbench');
  });

  it('opens the RabbitMQ container with its Explorer view', async () => {
    const sidebar = await openViewContainer(wb.page, 'RabbitMQ', 'workbench.view.extension.rabbitmq');
    const title = await sidebar.locator('.composite.title h2').innerText();
    assert.match(title, /RabbitMQ/i);
    const pane = viewPane(wb.page, 'Explorer');
    await pane.waitFor({ timeout: 30000 });
    assert.equal(await pane.isVisible(), true);
    // A fresh profile may have no saved connection: then the view shows its welcome message instead of rows
    // (test/e2e/explorer.test.ts checks the tree's rows). The view renders its rows or welcome message a moment after the pane appears: wait for either.
    let rows = await treeRows(wb.page, 'Explorer');
    let message = await viewMessage(wb.page, 'Explorer');
    for (let i = 0; i < 60 && rows.length === 0 && message.length === 0; i++) {
      await wb.page.waitForTimeout(500);
      rows = await treeRows(wb.page, 'Explorer');
      message = await viewMessage(wb.page, 'Explorer');
    }
    assert.ok(rows.length > 0 || message.length > 0, 'the Explorer view shows neither rows nor a message');
    await screenshot(wb.page, '02-rabbitmq-view');
  });

  it('runs "RabbitMQ: Show Log" from the command palette and shows the log channel', async () => {
    // Under load code-server has been seen to close the palette without showing the panel: run it again then.
    for (let attempt = 1; ; attempt++) {
      await runCommand(wb.page, 'RabbitMQ: Show Log');
      try {
        await wb.page.locator('.part.panel').waitFor({ state: 'visible', timeout: 10000 });
        break;
      } catch (err) {
        if (attempt >= 3) throw err;
      }
    }
    // The channel picker of the Output view names our channel.
    const picker = wb.page.locator('.part.panel select.monaco-select-box, .part.panel .monaco-select-box');
    await wb.page.waitForFunction(
      () => [...document.querySelectorAll('.part.panel .monaco-select-box')].some((e) => /RabbitMQ Workbench/.test((e as HTMLSelectElement).title || e.textContent || '')),
      undefined,
      { timeout: 30000 },
    ).catch(async () => assert.fail(`Output channel picker: ${(await picker.allInnerTexts()).join(' | ')}`));
    await wb.page.waitForFunction(() => /activated\sin/.test(document.querySelector('.part.panel .view-lines')?.textContent ?? ''), undefined, { timeout: 30000 });
    assert.match(await outputText(wb.page), /\[activate\] activated in [\d.]+ ms/);
    await screenshot(wb.page, '03-show-log');
  });
});
