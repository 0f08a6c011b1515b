/**
 * The stdio MCP server (bundled as dist/mcp.js): the same agent tools as the editor's language model tools,
 * for any MCP client. Runs on its own (`node dist/mcp.js`) or started by the editor through its MCP server
 * provider, which passes the chosen connection in the environment:
 *
 * - RABBITMQ_URL: AMQP URL, credentials allowed (default amqp://guest:guest@localhost:5672/%2F);
 * - RABBITMQ_MANAGEMENT_URL: management API base URL (default: the AMQP host on 15672, 15671 for amqps);
 * - RABBITMQ_ALLOW_CHANGES=1: also offer the mutating tools (off by default);
 * - RABBITMQ_SHARE_MESSAGE_CONTENTS=1: peeked bodies and headers go into results (off: properties and sizes);
 * - RABBITMQ_READ_ONLY=1: the connection is read-only (mutating tools are refused);
 * - RABBITMQ_CONNECTION_NAME, RABBITMQ_CA_FILE, RABBITMQ_TLS_INSECURE=1: display name and TLS options;
 * - RABBITMQ_MCP_SERVER_NAME: the server name clients see (default rabbitmq-workbench; the editor sets one per
 *   connection, so tools of two connections do not clash).
 *
 * stdout carries the protocol: diagnostics go to stderr, and never contain the password.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { version } from '../../package.json';
import { AGENT_TOOLS, runAgentTool, type AgentToolContext } from '../core/agentTools/tools';
import { DeliveryCountMemory } from '../core/deliveryLimit';
import { RabbitError } from '../core/errors';
import { ManagementClient } from '../core/management';
import { redactUrl, resolveProfile, type Credentials, type ResolvedProfile } from '../core/profile';
import { AmqpSession } from '../core/session';

const DEFAULT_SERVER_NAME = 'rabbitmq-workbench';

interface McpConfig {
  resolved: ResolvedProfile;
  credentials: Credentials;
  allowChanges: boolean;
  shareMessageContents: boolean;
  readOnly: boolean;
}

const on = (v: string | undefined): boolean => v === '1' || v === 'true';

function configFromEnv(env: NodeJS.ProcessEnv): McpConfig {
  const text = env.RABBITMQ_URL?.trim() || 'amqp://guest:guest@localhost:5672/%2F';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RabbitError('INVALID_INPUT', `RABBITMQ_URL: "${redactUrl(text)}" is not a valid URL.`, { field: 'RABBITMQ_URL', hint: 'Use the form amqp://user:password@host:5672/vhost.' });
  }
  const password = url.password ? decodeURIComponent(url.password) : url.username ? '' : 'guest';
  url.password = '';
  const readOnly = on(env.RABBITMQ_READ_ONLY);
  const resolved = resolveProfile({
    id: 'mcp',
    name: env.RABBITMQ_CONNECTION_NAME?.trim() || `${url.hostname}:${url.port || (url.protocol === 'amqps:' ? 5671 : 5672)}`,
    amqpUrl: url.toString(),
    managementUrl: env.RABBITMQ_MANAGEMENT_URL?.trim() || undefined,
    readOnly,
    tls: env.RABBITMQ_CA_FILE || on(env.RABBITMQ_TLS_INSECURE) ? { caFile: env.RABBITMQ_CA_FILE || undefined, insecureSkipVerify: on(env.RABBITMQ_TLS_INSECURE) || undefined } : undefined,
  });
  return {
    resolved,
    credentials: { username: resolved.amqp.username, password },
    allowChanges: on(env.RABBITMQ_ALLOW_CHANGES),
    shareMessageContents: on(env.RABBITMQ_SHARE_MESSAGE_CONTENTS),
    readOnly,
  };
}

function errorResult(tool: string, e: unknown): CallToolResult {
  const msg = e instanceof Error ? e.message : String(e);
  const text = e instanceof RabbitError && e.code === 'INVALID_INPUT' ? `Invalid arguments for tool ${tool}: ${msg}` : `${tool} failed: ${msg}`;
  return { isError: true, content: [{ type: 'text', text }] };
}

async function main(): Promise<void> {
  const config = configFromEnv(process.env);
  const management = new ManagementClient(config.resolved, config.credentials);
  const sessions = new Map<string, AmqpSession>();
  const ctx: AgentToolContext = {
    connectionName: config.resolved.profile.name,
    readOnly: config.readOnly,
    allowChanges: config.allowChanges,
    shareMessageContents: config.shareMessageContents,
    defaultVhost: config.resolved.amqp.vhost,
    management: async () => management,
    session: async (vhost) => {
      let s = sessions.get(vhost);
      if (!s) {
        s = new AmqpSession({ ...config.resolved, amqp: { ...config.resolved.amqp, vhost } }, config.credentials, { connectionName: 'RabbitMQ Workbench MCP' });
        sessions.set(vhost, s);
      }
      return s;
    },
    deliveryCounts: new DeliveryCountMemory(),
  };
  const tools = AGENT_TOOLS.filter((t) => !t.mutating || config.allowChanges);

  const server = new Server({ name: process.env.RABBITMQ_MCP_SERVER_NAME?.trim() || DEFAULT_SERVER_NAME, title: 'RabbitMQ Workbench', version }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: tools.map((t) => ({
      name: t.name,
      title: t.title,
      description: t.description,
      inputSchema: t.inputSchema as unknown as { type: 'object'; properties?: Record<string, object>; required?: string[] },
      annotations: { title: t.title, readOnlyHint: !t.mutating, destructiveHint: t.name === 'purge_queue' || t.name === 'unbind', openWorldHint: false },
    })),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (req): Promise<CallToolResult> => {
    const name = req.params.name;
    const tool = tools.find((t) => t.name === name);
    if (!tool) {
      const why = AGENT_TOOLS.some((t) => t.name === name) ? ' (it changes the broker: start the server with RABBITMQ_ALLOW_CHANGES=1 to offer it)' : '';
      return { isError: true, content: [{ type: 'text', text: `Tool ${name} not found${why}. The tools are: ${tools.map((t) => t.name).join(', ')}.` }] };
    }
    try {
      return { content: [{ type: 'text', text: await runAgentTool(tool, req.params.arguments ?? {}, ctx) }] };
    } catch (e) {
      return errorResult(name, e);
    }
  });

  const transport = new StdioServerTransport();
  let closing = false;
  const close = async (): Promise<void> => {
    if (closing) return;
    closing = true;
    management.dispose();
    await Promise.allSettled([...sessions.values()].map((s) => s.close()));
    process.exit(0);
  };
  transport.onclose = () => void close();
  process.stdin.on('end', () => void close());
  process.on('SIGTERM', () => void close());
  process.on('SIGINT', () => void close());
  await server.connect(transport);
  process.stderr.write(`RabbitMQ Workbench MCP server ${version}: ${redactUrl(config.resolved.profile.amqpUrl)}, management ${config.resolved.management.baseUrl}, ${tools.length} tools${config.allowChanges ? ' (changes allowed)' : ''}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`rabbitmq-workbench MCP server: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
