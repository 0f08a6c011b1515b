/**
 * Browser end-to-end helpers: the packaged extension (.vsix) installed into a fresh code-server (real VS Code,
 * WITHOUT the smoke-test driver so toasts show), driven in headless Chromium through playwright-core.
 *
 *   const server = await startCodeServer();               // installs $RMQWB_VSIX (made by scripts/test-e2e.mjs)
 *   const wb = await openWorkbench(server);               // Chromium page with the workbench loaded
 *   await openViewContainer(wb.page, 'RabbitMQ');         // click the activity-bar item
 *   const rows = await treeRows(wb.page, 'Explorer');     // rows of a tree view: label, level, expanded
 *   await runCommand(wb.page, 'RabbitMQ: Show Log');      // F1 + title + Enter
 *   await screenshot(wb.page, '03-show-log');             // test-artifacts/e2e/03-show-log.png
 *   const frame = await findWebviewFrame(wb.page, '#my-root');   // the webview frame holding a selector
 *   await wb.close(); await server.stop();                 // always, in after()
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Frame, Locator, Page } from 'playwright-core';
import * as host from '../../../scripts/lib/host.cjs';

export const ROOT = host.ROOT;
export const ARTIFACTS = join(ROOT, 'test-artifacts', 'e2e');
export const DEFAULT_VSIX = join(ROOT, 'rabbitmq-workbench.vsix');

export interface E2eServer extends host.RunningServer {
  /** A fresh, empty workspace folder the workbench opens. */
  workspace: string;
}

export interface StartOptions {
  /** The .vsix to install; default $RMQWB_VSIX or ./rabbitmq-workbench.vsix. Pass null to install nothing. */
  vsix?: string | null;
  /** Extra user settings (on top of the clean-screen ones). */
  settings?: Record<string, unknown>;
  /** Extra environment for the server and the extension host (e.g. RABBITMQ_*). */
  env?: Record<string, string>;
  /** Files to create in the workspace folder: relative path → content. */
  files?: Record<string, string>;
}

/** Installs the packaged extension into a fresh extensions folder and starts code-server (no smoke driver). */
export async function startCodeServer(opts: StartOptions = {}): Promise<E2eServer> {
  const tempRoot = host.mkTemp('rmqwb-e2e-');
  const extensionsDir = join(tempRoot, 'extensions');
  const userDataDir = join(tempRoot, 'user-data');
  mkdirSync(extensionsDir, { recursive: true });
  const vsix = opts.vsix === null ? undefined : (opts.vsix ?? process.env.RMQWB_VSIX ?? DEFAULT_VSIX);
  if (vsix) {
    if (!existsSync(vsix)) throw new Error(`${vsix} does not exist: run \`npm run package\` first (scripts/test-e2e.mjs does).`);
    host.installExtension(vsix, extensionsDir, userDataDir);
  }
  const workspace = mkdtempSync(join(tmpdir(), 'rmqwb-ws-'));
  for (const [rel, content] of Object.entries(opts.files ?? {})) {
    mkdirSync(join(workspace, rel, '..'), { recursive: true });
    writeFileSync(join(workspace, rel), content);
  }
  const server = await host.startCodeServer({
    tempRoot, extensionsDir, userDataDir, smokeDriver: false,
    settings: opts.settings, env: opts.env,
    extraArgs: ['--reconnection-grace-time', '30'],
  });
  return { ...server, workspace };
}

export interface Workbench {
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

/** Opens the workbench (on the server's workspace folder) in headless Chromium and waits until it is usable. */
export async function openWorkbench(server: E2eServer, opts: { width?: number; height?: number } = {}): Promise<Workbench> {
  const browser = await host.launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 } });
    await page.goto(`${server.url}/?folder=${encodeURIComponent(server.workspace)}`);
    await page.locator('.monaco-workbench .part.activitybar').waitFor({ timeout: 60000 });
    // The status bar shows once the workbench has restored its parts.
    await page.locator('.part.statusbar').waitFor({ timeout: 60000 });
    return { browser, page, close: () => browser.close() };
  } catch (err) {
    await browser.close();
    throw err;
  }
}

/** The activity-bar item whose label starts with `label` (e.g. "RabbitMQ", "Explorer"). */
export function activityBarItem(page: Page, label: string): Locator {
  return page.locator(`.part.activitybar .action-item a[aria-label^="${cssString(label)}"]`).first();
}

/** Clicks an activity-bar item and waits until its side-bar container is showing. */
export async function openViewContainer(page: Page, label: string, containerId?: string): Promise<Locator> {
  const item = activityBarItem(page, label);
  await item.waitFor({ timeout: 60000 });
  const sidebar = page.locator('.part.sidebar');
  const showing = containerId ? sidebar.locator(`[id="${cssString(containerId)}"]`) : sidebar;
  if (!(await sidebar.isVisible()) || !(await item.evaluate((a) => a.closest('.action-item')?.classList.contains('checked') ?? false))) {
    await item.click();
  }
  await showing.waitFor({ state: 'visible', timeout: 30000 });
  return sidebar;
}

/** The side-bar pane of a view, by its name (works also when a single view's header is merged into the title). */
export function viewPane(page: Page, viewName: string): Locator {
  return page.locator(`.part.sidebar .pane:has(> .pane-header[aria-label="${cssString(viewName)} Section"])`).first();
}

export interface TreeRow {
  label: string;
  /** 1 for top-level rows. */
  level: number;
  /** undefined for leaves. */
  expanded: boolean | undefined;
  /** The row itself, to click, hover or right-click. */
  locator: Locator;
}

/** The rendered rows of a tree view (only the visible ones: the list is virtualised). */
export async function treeRows(page: Page, viewName: string): Promise<TreeRow[]> {
  const rows = viewPane(page, viewName).locator('.monaco-list-row');
  const out: TreeRow[] = [];
  for (let i = 0; i < (await rows.count()); i++) {
    const r = rows.nth(i);
    const [label, level, expanded, text] = await Promise.all([
      r.getAttribute('aria-label'), r.getAttribute('aria-level'), r.getAttribute('aria-expanded'), r.innerText(),
    ]);
    out.push({ label: (label ?? text).trim(), level: Number(level ?? 1), expanded: expanded === null ? undefined : expanded === 'true', locator: r });
  }
  return out;
}

/** Waits until the tree view shows a row whose label contains `text`; returns it. */
export async function waitForTreeRow(page: Page, viewName: string, text: string, timeout = 30000): Promise<Locator> {
  const row = viewPane(page, viewName).locator('.monaco-list-row').filter({ hasText: text }).first();
  await row.waitFor({ timeout });
  return row;
}

/** The message a tree view shows instead of rows (e.g. "There is no data provider…"), or '' if none. */
export async function viewMessage(page: Page, viewName: string): Promise<string> {
  const pane = viewPane(page, viewName);
  const msg = pane.locator('.tree-explorer-viewlet-tree-view > .message:not(.hide), .welcome-view-content');
  const texts = await msg.allInnerTexts();
  return texts.map((t) => t.trim()).filter(Boolean).join('\n');
}

/** Runs a command from the palette by its full title ("Category: Title"), exactly like a user (F1, type, Enter). */
export async function runCommand(page: Page, title: string, timeout = 30000): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  for (let attempt = 0; ; attempt++) {
    await page.locator('.monaco-workbench').click({ position: { x: 640, y: 5 }, force: true }).catch(() => undefined);
    await page.keyboard.press('F1');
    try {
      await input.waitFor({ state: 'visible', timeout: 5000 });
      break;
    } catch (err) {
      if (attempt >= 2) throw err;
    }
  }
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-widget .monaco-list-row').filter({ hasText: title }).first();
  await row.waitFor({ timeout });
  // Pick the exact entry (the palette also lists fuzzy matches).
  const rows = page.locator('.quick-input-widget .monaco-list-row');
  const n = await rows.count();
  for (let i = 0; i < n; i++) {
    const label = (await rows.nth(i).getAttribute('aria-label')) ?? '';
    if (label === title || label.startsWith(`${title},`) || label.startsWith(`${title} `)) {
      await rows.nth(i).click();
      await input.waitFor({ state: 'hidden', timeout });
      return;
    }
  }
  await row.click();
  await input.waitFor({ state: 'hidden', timeout });
}

/** Waits for a notification toast containing `text`. */
export async function waitForNotification(page: Page, text: string, timeout = 30000): Promise<Locator> {
  const toast = page.locator('.notifications-toasts .notification-toast').filter({ hasText: text }).first();
  await toast.waitFor({ timeout });
  return toast;
}

/** Saves a full-page screenshot to test-artifacts/e2e/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, `${name.replace(/[^\w.-]+/g, '-')}.png`);
  await page.screenshot({ path: file });
  return file;
}

/**
 * The webview frame whose document contains `selector`. VS Code nests each webview in two iframes
 * (an outer host frame and the inner "active-frame" with the extension's HTML); this searches all frames.
 */
export async function findWebviewFrame(page: Page, selector: string, timeout = 30000): Promise<Frame> {
  const deadline = Date.now() + timeout;
  for (;;) {
    for (const frame of page.frames()) {
      if (frame === page.mainFrame()) continue;
      try {
        if ((await frame.locator(selector).count()) > 0) return frame;
      } catch {
        // The frame navigated or went away while we looked: try the others.
      }
    }
    if (Date.now() > deadline) throw new Error(`No webview frame contains ${selector} after ${timeout} ms.`);
    await host.sleep(250);
  }
}

/** The text of the Output panel's editor (the channel shown), e.g. after "RabbitMQ: Show Log". */
export async function outputText(page: Page): Promise<string> {
  const editor = page.locator('.part.panel .output-view .view-lines, .part.panel .monaco-editor .view-lines').first();
  await editor.waitFor({ timeout: 30000 });
  return (await editor.innerText()).replace(/\u00a0/g, ' ');
}

function cssString(s: string): string {
  return s.replace(/["\\]/g, '\\$&');
}

/**
 * The hooks every browser suite needs: a screenshot of each failed test, then closing the browser and
 * code-server and cleaning up (e.g. the suite's vhost). `get` reads the suite's variables when a hook runs.
 */
export function workbenchHooks(get: () => { wb?: Workbench; server?: E2eServer }, cleanup?: () => Promise<unknown> | undefined): void {
  afterEach(async function () {
    const { wb } = get();
    if (this.currentTest?.state === 'failed' && wb) await screenshot(wb.page, `failed-${this.currentTest.title}`);
  });
  after(async () => {
    const { wb, server } = get();
    await wb?.close();
    await server?.stop();
    await cleanup?.();
  });
}

/**
 * Answers the open quick input: types `text`, waits for a row showing it when `pickRow`, presses Enter.
 * `step` (text of that step's prompt) makes sure the previous step is gone first.
 */
export async function answerQuickInput(page: Page, text: string, opts: { pickRow?: boolean; step?: string } = {}): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 30000 });
  if (opts.step) await page.locator('.quick-input-widget', { hasText: opts.step }).first().waitFor({ state: 'visible', timeout: 30000 });
  await input.fill(text);
  if (opts.pickRow) await page.locator('.quick-input-widget .monaco-list-row').filter({ hasText: text.slice(0, 20) }).first().waitFor({ timeout: 30000 });
  await page.keyboard.press('Enter');
}
