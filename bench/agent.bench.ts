/**
 * The MCP server with 10,000 queues in one vhost:
 * - mcp_list_queues_10k_ms: p50 of the list_queues tool's first page called from an MCP client over stdio
 *   (dist/mcp.js as an MCP client starts it: request, validation, the management page, the text table, the reply);
 * - raw_agent_page_ms: p50 of one raw fetch (+ JSON.parse) of exactly the page the tool asks for (the baseline),
 *   interleaved with the above.
 * Exported for the bench runner; it does not run by itself.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { LIST_QUEUE_COLUMNS } from '../src/core/agentTools/tools';
import { MGMT_URL, PASSWORD, USER, createTestVhost } from '../test/support/broker';
import { createQueues, queueNames } from '../test/support/bulkQueues';

const QUEUES = 10_000;
const PAGE_SIZE = 50; // the tool's default
const RUNS = 9;

function p50(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const round = (n: number): number => Math.round(n * 100) / 100;

export async function benchAgent(): Promise<Record<string, number>> {
  const tv = await createTestVhost('bench-agent');
  const client = new Client({ name: 'bench', version: '1.0.0' });
  try {
    await createQueues(tv.amqpUrl, queueNames(QUEUES));
    const server = join(__dirname, '..', '..', 'dist', 'mcp.js');
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [server], env: { RABBITMQ_URL: tv.amqpUrl, RABBITMQ_MANAGEMENT_URL: MGMT_URL }, stderr: 'ignore' }));
    const auth = 'Basic ' + Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
    const rawUrl = `${MGMT_URL}/api/queues/${encodeURIComponent(tv.name)}?${new URLSearchParams({ page: '1', page_size: String(PAGE_SIZE), columns: LIST_QUEUE_COLUMNS.join(','), sort: 'name' }).toString()}`;
    const rawPage = async (): Promise<void> => {
      const body = (await (await fetch(rawUrl, { headers: { authorization: auth, accept: 'application/json' } })).json()) as { items: unknown[] };
      if (body.items.length !== PAGE_SIZE) throw new Error(`raw page has ${body.items.length} items`);
    };
    const toolPage = async (): Promise<void> => {
      const r = (await client.callTool({ name: 'list_queues', arguments: {} })) as { isError?: boolean; content: { text?: string }[] };
      const text = r.content[0]?.text ?? '';
      if (r.isError || !text.includes(`(${PAGE_SIZE} shown, ${QUEUES} in all)`)) throw new Error(`list_queues: ${text.slice(0, 200)}`);
    };
    await rawPage();
    await toolPage();
    const raw: number[] = [];
    const mcp: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      let t = performance.now();
      await rawPage();
      raw.push(performance.now() - t);
      t = performance.now();
      await toolPage();
      mcp.push(performance.now() - t);
    }
    return { mcp_list_queues_10k_ms: round(p50(mcp)), raw_agent_page_ms: round(p50(raw)) };
  } finally {
    await client.close().catch(() => undefined);
    // A loaded broker may answer the delete of a vhost this large only after the management API gave up on the
    // request (it goes on deleting): try once more, then keep the figures and say so.
    await tv.delete().catch(() => tv.delete()).catch((e: unknown) => console.error(`[bench] agent: deleting ${tv.name} did not answer (${String(e)}); the broker goes on deleting it`));
  }
}
