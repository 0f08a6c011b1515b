// The explorer in a real VS Code (code-server) in Chromium: a localhost connection seeded in user settings
// (no password stored) is connected with "Connect to localhost", and the tree shows vhost → Queues/Exchanges.
// Screenshot: test-artifacts/e2e/explorer-tree.png.
import * as assert from 'node:assert/strict';
import { createTestVhost, mgmt, type TestVhost } from '../support/broker';
import {
  type E2eServer, type Workbench, openViewContainer, openWorkbench, runCommand, screenshot, startCodeServer, treeRows, waitForTreeRow, workbenchHooks,
} from './support/workbench';

describe('e2e: explorer', () => {
  let server: E2eServer;
  let wb: Workbench;
  let v: TestVhost;

  before(async () => {
    v = await createTestVhost('e2e-explorer');
    const enc = encodeURIComponent(v.name);
    await mgmt('PUT', `/exchanges/${enc}/orders`, { type: 'topic', durable: true });
    for (const q of ['orders.created', 'orders.paid', 'orders.dead']) await mgmt('PUT', `/queues/${enc}/${q}`, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await mgmt('POST', `/bindings/${enc}/e/orders/q/orders.created`, { routing_key: 'order.created' });
    server = await startCodeServer({
      settings: {
        // A team-shared definition: no password anywhere; "Connect to localhost" uses guest/guest.
        'rabbitmq.connections': [{ id: 'e2e-localhost', name: 'localhost', amqpUrl: 'amqp://guest@127.0.0.1:5672/%2F' }],
        'rabbitmq.explorer.refreshInterval': 0,
      },
    });
    wb = await openWorkbench(server, { width: 1280, height: 900 });
  });

  workbenchHooks(() => ({ wb, server }), () => v?.delete());

  it('shows the seeded connection, connects to localhost and draws vhost → Exchanges / Queues', async () => {
    await openViewContainer(wb.page, 'RabbitMQ', 'workbench.view.extension.rabbitmq');
    await waitForTreeRow(wb.page, 'Explorer', 'localhost', 60000);
    await runCommand(wb.page, 'RabbitMQ: Connect to localhost (guest)');
    // Connected: the description shows the broker version.
    await waitForTreeRow(wb.page, 'Explorer', 'RabbitMQ 3', 30000);
    const conn = await waitForTreeRow(wb.page, 'Explorer', 'localhost');
    if ((await conn.getAttribute('aria-expanded')) !== 'true') await conn.click();
    const vhostRow = await waitForTreeRow(wb.page, 'Explorer', v.name, 30000);
    await vhostRow.click();
    const queuesRow = await waitForTreeRow(wb.page, 'Explorer', 'Queues');
    const exchangesRow = await waitForTreeRow(wb.page, 'Explorer', 'Exchanges');
    await queuesRow.click();
    await waitForTreeRow(wb.page, 'Explorer', 'orders.created');
    await exchangesRow.click();
    await waitForTreeRow(wb.page, 'Explorer', '(AMQP default)');
    const orders = await waitForTreeRow(wb.page, 'Explorer', 'topic · durable');
    // Expanding an exchange right after its folder drew: its outgoing binding (routing key as the label).
    await orders.click();
    await waitForTreeRow(wb.page, 'Explorer', 'order.created', 30000);
    const labels = (await treeRows(wb.page, 'Explorer')).map((r) => r.label);
    for (const want of ['Exchanges', 'Queues', 'orders.created', 'orders.paid', 'orders.dead', '(AMQP default)', 'order.created']) {
      assert.ok(labels.some((l) => l.includes(want)), `row "${want}" missing; rows: ${labels.join(' | ')}`);
    }
    await wb.page.mouse.move(5, 5); // no hover tooltip over the tree in the picture
    await screenshot(wb.page, 'explorer-tree');
  });
});
