/**
 * The editor's side of the agent tools, without `vscode`: tool names (`rabbitmq_<tool>`), the `connection`
 * field every editor tool adds (the user's saved connections), the connection listing tool, and the
 * `languageModelTools` contributions package.json must carry (a core test compares them).
 */
import { invalidInput } from '../../core/errors';
import { AGENT_TOOLS, type AgentTool } from '../../core/agentTools/tools';
import type { ObjectSchema, PropertySchema } from '../../core/agentTools/schema';

export const EDITOR_TOOL_PREFIX = 'rabbitmq_';
export const LIST_CONNECTIONS_TOOL = `${EDITOR_TOOL_PREFIX}list_connections`;
/** The MCP server definition provider id (package.json `mcpServerDefinitionProviders`). */
export const MCP_PROVIDER_ID = 'rabbitmq.mcp';
/** The context key of the `when` clause on the mutating tools: the setting rabbitmq.agent.allowChanges. */
export const ALLOW_CHANGES_WHEN = 'config.rabbitmq.agent.allowChanges';

const CONNECTION: PropertySchema = {
  type: 'string',
  description: 'Name (or id) of one of the user\'s saved RabbitMQ connections; see rabbitmq_list_connections. Default: the connection in use (or the only one).',
  minLength: 1,
};

export const LIST_CONNECTIONS_DESCRIPTION = 'Lists the user\'s saved RabbitMQ connections (name, broker URL without password, default vhost, read-only or not, connected or not). The other rabbitmq_ tools take one of these names as connection.';

export function editorToolName(tool: AgentTool): string {
  return EDITOR_TOOL_PREFIX + tool.name;
}

/** The tool's schema with the `connection` field first. */
export function editorSchema(tool: AgentTool): ObjectSchema {
  return { ...tool.inputSchema, properties: { connection: CONNECTION, ...tool.inputSchema.properties } };
}

function camel(name: string): string {
  return name.replace(/_(\w)/g, (_m, c: string) => c.toUpperCase());
}

export interface ToolContribution {
  name: string;
  displayName: string;
  toolReferenceName: string;
  canBeReferencedInPrompt: boolean;
  userDescription: string;
  modelDescription: string;
  tags: string[];
  inputSchema: ObjectSchema;
  when?: string;
}

/** What package.json's `contributes.languageModelTools` holds (display strings through package.nls.json). */
export function languageModelToolContributions(): ToolContribution[] {
  const listConnections: ToolContribution = {
    name: LIST_CONNECTIONS_TOOL,
    displayName: '%agent.tool.list_connections.displayName%',
    toolReferenceName: 'rabbitmqConnections',
    canBeReferencedInPrompt: true,
    userDescription: '%agent.tool.list_connections.userDescription%',
    modelDescription: LIST_CONNECTIONS_DESCRIPTION,
    tags: ['rabbitmq'],
    inputSchema: { type: 'object', properties: {}, additionalProperties: false },
  };
  return [
    listConnections,
    ...AGENT_TOOLS.map((t) => ({
      name: editorToolName(t),
      displayName: `%agent.tool.${t.name}.displayName%`,
      toolReferenceName: camel(`rabbitmq_${t.name}`),
      canBeReferencedInPrompt: true,
      userDescription: `%agent.tool.${t.name}.userDescription%`,
      modelDescription: t.description,
      tags: t.mutating ? ['rabbitmq', 'rabbitmq-changes'] : ['rabbitmq'],
      inputSchema: editorSchema(t),
      ...(t.mutating ? { when: ALLOW_CHANGES_WHEN } : {}),
    })),
  ];
}

export interface ConnectionChoice {
  id: string;
  name: string;
}

/**
 * The saved connection a tool call means: the one named (by name, case-insensitively, or by id), else the
 * connection in use, else the only one. Anything else is an error that lists the names to choose from.
 */
export function chooseConnection(profiles: readonly ConnectionChoice[], activeId: string | undefined, named: string | undefined): string {
  const names = profiles.map((p) => `"${p.name}"`).join(', ');
  if (profiles.length === 0) throw invalidInput('connection', 'no RabbitMQ connection is saved', 'Ask the user to add one in the RabbitMQ view (RabbitMQ: Add Connection).');
  if (named !== undefined) {
    const byId = profiles.find((p) => p.id === named);
    if (byId) return byId.id;
    const byName = profiles.filter((p) => p.name.toLowerCase() === named.toLowerCase());
    if (byName.length === 1) return byName[0].id;
    if (byName.length > 1) throw invalidInput('connection', `${byName.length} connections are named "${named}"`, `Pass the id instead: ${byName.map((p) => p.id).join(', ')}.`);
    throw invalidInput('connection', `"${named}" is not a saved connection`, `The saved connections are: ${names}.`);
  }
  if (activeId && profiles.some((p) => p.id === activeId)) return activeId;
  if (profiles.length === 1) return profiles[0].id;
  throw invalidInput('connection', `is required: ${profiles.length} connections are saved and none is in use`, `Pass one of: ${names}.`);
}

/** A server name MCP clients can tell apart per connection: `rabbitmq-<connection name>`, lower-case and dashed. */
export function mcpServerName(connectionName: string): string {
  const slug = connectionName.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
  return slug ? `rabbitmq-${slug}` : 'rabbitmq-workbench';
}
