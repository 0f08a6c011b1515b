/**
 * The broker for the editor's AI agent: language model tools over the user's saved connections, and an MCP
 * server definition per connection so that other agents in the editor see the broker too.
 *
 * The APIs are newer than the editor version the extension supports (language model tools 1.95, MCP
 * providers 1.101), so their shapes are declared here and each one is used only where it exists.
 * Registration is cheap: no network; a tool reaches the broker only when it is called.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DeliveryCountMemory } from '../../core/deliveryLimit';
import { invalidInput, isRabbitError } from '../../core/errors';
import { amqpConnectUrl, redactUrl } from '../../core/profile';
import { AGENT_TOOLS, describeAgentChange, runAgentTool, type AgentTool, type AgentToolContext } from '../../core/agentTools/tools';
import { logger } from '../../platform/log';
import type { ConnectionManager } from '../connections/connectionManager';
import type { FeatureContext } from '../context';
import { chooseConnection, editorToolName, LIST_CONNECTIONS_TOOL, MCP_PROVIDER_ID, mcpServerName } from './agentModel';

const log = logger('agent');

// ---------------------------------------------------------------------------------------------- API shapes

interface ToolInvocationOptions {
  input: unknown;
  toolInvocationToken?: unknown;
}

interface PreparedToolInvocation {
  invocationMessage?: string;
  confirmationMessages?: { title: string; message: string | vscode.MarkdownString };
}

interface LanguageModelToolImpl {
  invoke(options: ToolInvocationOptions, token: vscode.CancellationToken): Promise<unknown>;
  prepareInvocation?(options: ToolInvocationOptions, token: vscode.CancellationToken): Promise<PreparedToolInvocation>;
}

interface McpServerDefinitionProvider {
  onDidChangeMcpServerDefinitions?: vscode.Event<void>;
  provideMcpServerDefinitions(token: vscode.CancellationToken): Promise<unknown[]>;
  resolveMcpServerDefinition?(server: unknown, token: vscode.CancellationToken): Promise<unknown>;
}

interface LmApi {
  registerTool(name: string, tool: LanguageModelToolImpl): vscode.Disposable;
  registerMcpServerDefinitionProvider(id: string, provider: McpServerDefinitionProvider): vscode.Disposable;
}

interface McpStdioDefinition {
  label: string;
  env: Record<string, string | number | null>;
}

interface LmConstructors {
  LanguageModelToolResult?: new (content: unknown[]) => unknown;
  LanguageModelTextPart?: new (value: string) => unknown;
  McpStdioServerDefinition?: new (label: string, command: string, args?: string[], env?: Record<string, string | number | null>, version?: string) => McpStdioDefinition;
}

const lm = vscode.lm as unknown as Partial<LmApi>;
const ctors = vscode as unknown as LmConstructors;

// ---------------------------------------------------------------------------------------------- settings

function setting(key: 'allowChanges' | 'shareMessageContents'): boolean {
  return vscode.workspace.getConfiguration('rabbitmq').get<boolean>(`agent.${key}`, false) === true;
}

/** The connection a call means (input field `connection`), as the tools' context. */
class ToolContexts {
  private readonly counts = new Map<string, DeliveryCountMemory>();

  constructor(private readonly manager: ConnectionManager) {}

  connectionId(input: unknown): string {
    const named = typeof input === 'object' && input !== null ? (input as { connection?: unknown }).connection : undefined;
    if (named !== undefined && named !== null && (typeof named !== 'string' || named === '')) throw invalidInput('connection', 'must be the name of a saved connection');
    return chooseConnection(this.manager.store.list(), this.manager.activeProfileId, typeof named === 'string' ? named : undefined);
  }

  context(id: string, signal?: AbortSignal): AgentToolContext {
    const profile = this.manager.profile(id);
    let counts = this.counts.get(id);
    if (!counts) this.counts.set(id, (counts = new DeliveryCountMemory()));
    return {
      connectionName: profile.name,
      readOnly: profile.readOnly === true,
      allowChanges: setting('allowChanges'),
      shareMessageContents: setting('shareMessageContents'),
      defaultVhost: this.manager.resolved(id).amqp.vhost,
      management: () => this.manager.management(id),
      session: (vhost) => this.manager.session(id, vhost),
      deliveryCounts: counts,
      signal,
    };
  }
}

/** The input without the editor's `connection` field (the core tools do not know it). */
function coreInput(input: unknown): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  const { connection: _c, ...rest } = input as Record<string, unknown>;
  return rest;
}

function result(text: string): unknown {
  const { LanguageModelToolResult, LanguageModelTextPart } = ctors;
  if (!LanguageModelToolResult || !LanguageModelTextPart) throw new Error('Language model tools are not available in this editor.');
  return new LanguageModelToolResult([new LanguageModelTextPart(text)]);
}

/** A failure as the model should read it: what went wrong and what to do (input errors name the field). */
function toolError(tool: string, e: unknown): Error {
  const msg = e instanceof Error ? e.message : String(e);
  return new Error(isRabbitError(e, 'INVALID_INPUT') ? `Invalid input for ${tool}: ${msg}` : `${tool} failed: ${msg}`);
}

function signalOf(token: vscode.CancellationToken): AbortSignal {
  const ac = new AbortController();
  if (token.isCancellationRequested) ac.abort();
  else token.onCancellationRequested(() => ac.abort());
  return ac.signal;
}

function coreTool(contexts: ToolContexts, tool: AgentTool): LanguageModelToolImpl {
  const name = editorToolName(tool);
  return {
    // The confirmation of a mutating tool states exactly what will change (VS Code shows it before invoke).
    async prepareInvocation(options) {
      try {
        const id = contexts.connectionId(options.input);
        const ctx = contexts.context(id);
        if (!tool.mutating) return { invocationMessage: vscode.l10n.t('RabbitMQ: {0} on {1}', tool.title, ctx.connectionName) };
        const change = describeAgentChange(tool, coreInput(options.input), ctx) ?? tool.title;
        return {
          invocationMessage: vscode.l10n.t('RabbitMQ: {0}', change),
          confirmationMessages: { title: vscode.l10n.t('Change the RabbitMQ broker?'), message: new vscode.MarkdownString().appendText(change) },
        };
      } catch (e) {
        throw toolError(name, e);
      }
    },
    async invoke(options, token) {
      try {
        const id = contexts.connectionId(options.input);
        const text = await runAgentTool(tool, coreInput(options.input), contexts.context(id, signalOf(token)));
        return result(text);
      } catch (e) {
        log.warn(`${name}: ${e instanceof Error ? e.message : String(e)}`);
        throw toolError(name, e);
      }
    },
  };
}

function listConnectionsTool(manager: ConnectionManager): LanguageModelToolImpl {
  return {
    async invoke(options) {
      if (typeof options.input === 'object' && options.input !== null && Object.keys(options.input).length > 0) {
        throw new Error(`Invalid input for ${LIST_CONNECTIONS_TOOL}: ${Object.keys(options.input)[0]}: is not a field of this tool. This tool takes no input.`);
      }
      const rows = manager.store.list().map((p) => {
        let vhost = '';
        try {
          vhost = manager.resolved(p.id).amqp.vhost;
        } catch {
          vhost = '?';
        }
        const state = manager.statusOf(p.id).state + (manager.activeProfileId === p.id ? ' (in use)' : '');
        return `| ${p.name} | ${p.id} | ${redactUrl(p.amqpUrl)} | ${vhost} | ${p.readOnly ? 'yes' : 'no'} | ${state} |`;
      });
      const text = rows.length === 0
        ? 'No RabbitMQ connection is saved. The user can add one in the RabbitMQ view (RabbitMQ: Add Connection).'
        : [`Saved RabbitMQ connections (${rows.length}); changes by the agent are ${setting('allowChanges') ? 'allowed' : 'not allowed'}, message contents are ${setting('shareMessageContents') ? 'shared' : 'not shared'}:`,
          '| name | id | url | default vhost | read-only | state |', '| --- | --- | --- | --- | --- | --- |', ...rows].join('\n');
      return result(text);
    },
  };
}

// ---------------------------------------------------------------------------------------------- registration

function registerTools(ctx: FeatureContext): vscode.Disposable[] {
  const registerTool = lm.registerTool?.bind(vscode.lm);
  if (typeof registerTool !== 'function' || !ctors.LanguageModelToolResult || !ctors.LanguageModelTextPart) return [];
  const contexts = new ToolContexts(ctx.connections);
  const readOnly: vscode.Disposable[] = [registerTool(LIST_CONNECTIONS_TOOL, listConnectionsTool(ctx.connections))];
  for (const t of AGENT_TOOLS) if (!t.mutating) readOnly.push(registerTool(editorToolName(t), coreTool(contexts, t)));
  // Mutating tools exist only while the user allows changes.
  let mutating: vscode.Disposable[] = [];
  const syncMutating = (): void => {
    const allow = setting('allowChanges');
    if (allow && mutating.length === 0) mutating = AGENT_TOOLS.filter((t) => t.mutating).map((t) => registerTool(editorToolName(t), coreTool(contexts, t)));
    else if (!allow && mutating.length > 0) {
      for (const d of mutating) d.dispose();
      mutating = [];
    }
  };
  syncMutating();
  return [
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('rabbitmq.agent.allowChanges')) syncMutating();
    }),
    { dispose: () => { for (const d of [...readOnly, ...mutating]) d.dispose(); } },
  ];
}

function registerMcp(ctx: FeatureContext): vscode.Disposable[] {
  const register = lm.registerMcpServerDefinitionProvider?.bind(vscode.lm);
  const Definition = ctors.McpStdioServerDefinition;
  if (typeof register !== 'function' || !Definition) return [];
  const manager = ctx.connections;
  const changed = new vscode.EventEmitter<void>();
  const script = path.join(ctx.extension.extensionPath, 'dist', 'mcp.js');
  const version = String((ctx.extension.extension?.packageJSON as { version?: unknown } | undefined)?.version ?? '0.0.0');
  const byLabel = new Map<string, string>();
  const provider: McpServerDefinitionProvider = {
    onDidChangeMcpServerDefinitions: changed.event,
    // One server per saved connection, without secrets: the password is added when one is started.
    async provideMcpServerDefinitions() {
      byLabel.clear();
      return manager.store.list().map((p) => {
        const label = vscode.l10n.t('RabbitMQ: {0}', p.name);
        byLabel.set(label, p.id);
        // ELECTRON_RUN_AS_NODE makes the desktop editor's executable run the script as plain Node.
        const d = new Definition(label, process.execPath, [script], { ELECTRON_RUN_AS_NODE: '1' }, version);
        return d;
      });
    },
    // Just before it starts: the connection's URL with its password, only in the child's environment.
    async resolveMcpServerDefinition(server) {
      const d = server as McpStdioDefinition;
      const id = byLabel.get(d.label);
      if (!id) return server;
      const profile = manager.profile(id);
      const resolved = manager.resolved(id);
      const password = (await manager.store.getPassword(id)) ?? '';
      const env: Record<string, string> = {
        ELECTRON_RUN_AS_NODE: '1',
        RABBITMQ_URL: amqpConnectUrl(resolved, { username: resolved.amqp.username, password }),
        RABBITMQ_MANAGEMENT_URL: resolved.management.baseUrl,
        RABBITMQ_CONNECTION_NAME: profile.name,
        RABBITMQ_MCP_SERVER_NAME: mcpServerName(profile.name),
        RABBITMQ_ALLOW_CHANGES: setting('allowChanges') ? '1' : '0',
        RABBITMQ_SHARE_MESSAGE_CONTENTS: setting('shareMessageContents') ? '1' : '0',
        RABBITMQ_READ_ONLY: profile.readOnly ? '1' : '0',
      };
      if (profile.tls?.caFile) env.RABBITMQ_CA_FILE = profile.tls.caFile;
      if (profile.tls?.insecureSkipVerify) env.RABBITMQ_TLS_INSECURE = '1';
      d.env = { ...d.env, ...env };
      log.info(`starting the MCP server for ${profile.name} (${redactUrl(profile.amqpUrl)})`);
      return d;
    },
  };
  return [
    changed,
    register(MCP_PROVIDER_ID, provider),
    manager.store.onDidChange(() => changed.fire()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('rabbitmq.agent')) changed.fire();
    }),
  ];
}

export function register(ctx: FeatureContext): vscode.Disposable[] {
  return [...registerTools(ctx), ...registerMcp(ctx)];
}
