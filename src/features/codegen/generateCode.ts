import * as vscode from 'vscode';
import { CODE_ROLES, generateCode, type CodeRole, type ExchangeTarget, type GenerateCodeOptions, type QueueTarget } from '../../core/codegen';
import { RabbitError, invalidInput } from '../../core/errors';
import { PATTERN_LANGUAGES, type ExchangeKind, type PatternLanguage } from '../../core/patterns';
import { resolveProfile, type ConnectionProfile } from '../../core/profile';

/**
 * What `rabbitmq.generateCode` accepts: an explorer tree node (QueueNode / ExchangeNode: `row`,
 * `connectionId`, `vhost`), or a plain object `{ kind, vhost, name, …info }`. Missing pieces are prompted
 * for. `language`, `role`, `bindingKeys` and `insertInto` let callers (and tests) skip the prompts.
 */
export interface GenerateCodeArgs {
  kind?: 'queue' | 'exchange';
  connectionId?: string;
  vhost?: string;
  name?: string;
  type?: string;
  durable?: boolean;
  autoDelete?: boolean;
  exclusive?: boolean;
  arguments?: Record<string, unknown>;
  /** Tree node shape: the compact row (flags: 1 durable, 2 auto-delete, 4 exclusive). */
  row?: { name: string; type: string; flags?: number; args?: Readonly<Record<string, unknown>> };
  language?: PatternLanguage;
  role?: CodeRole;
  bindingKeys?: string[];
  /** amqp URL without password; default: the connection's URL with the node's vhost. */
  amqpUrl?: string;
  /** 'active': into the active editor; 'new': a new untitled editor. Default: active when its language matches. */
  insertInto?: 'active' | 'new';
}

export interface GenerateCodeResult {
  uri: string;
  language: PatternLanguage;
  text: string;
}

/** Where the connection URL comes from: the saved profiles (the explorer's connection manager). */
export interface ProfileSource {
  profile(id: string): ConnectionProfile;
  list?(): ConnectionProfile[];
}

const QUEUE_TYPES = ['classic', 'quorum', 'stream'];
const EXCHANGE_TYPES: ExchangeKind[] = ['direct', 'fanout', 'topic', 'headers'];

function cancelled(): RabbitError {
  return new RabbitError('CANCELLED', 'Cancelled.');
}

async function pick<T extends string>(items: { label: string; value: T; description?: string }[], placeHolder: string): Promise<T> {
  const picked = await vscode.window.showQuickPick(items, { placeHolder, ignoreFocusOut: true });
  if (!picked) throw cancelled();
  return picked.value;
}

export async function generateCodeCommand(profiles: ProfileSource | undefined, raw?: unknown): Promise<GenerateCodeResult> {
  const arg = (raw && typeof raw === 'object' ? raw : {}) as GenerateCodeArgs;
  const target = await resolveTarget(arg);
  const editor = vscode.window.activeTextEditor;
  const editorLanguage = editor && (PATTERN_LANGUAGES as readonly string[]).includes(editor.document.languageId) ? (editor.document.languageId as PatternLanguage) : undefined;

  const language =
    arg.language ??
    (await pick(
      (editorLanguage ? [editorLanguage, ...PATTERN_LANGUAGES.filter((l) => l !== editorLanguage)] : [...PATTERN_LANGUAGES]).map((l) => ({
        label: LANGUAGE_LABEL[l],
        value: l,
        description: l === editorLanguage ? vscode.l10n.t('active editor') : undefined,
      })),
      vscode.l10n.t('Language of the generated code'),
    ));
  if (!PATTERN_LANGUAGES.includes(language)) throw invalidInput('language', `"${String(language)}" is not supported`, 'Use python, javascript or typescript.');

  const roles = CODE_ROLES.filter((r) => target.kind === 'queue' ? !(r === 'rpc-server' && target.type === 'stream') : r !== 'rpc-server');
  const role = arg.role ?? (await pick(roles.map((r) => ({ label: roleLabel(r), value: r })), vscode.l10n.t('What should the code do?')));

  let bindingKeys = arg.bindingKeys;
  if (!bindingKeys && target.kind === 'exchange' && target.type !== 'fanout' && !arg.role) {
    const typed = await vscode.window.showInputBox({
      prompt: target.type === 'headers' ? vscode.l10n.t('Headers to match, as name=value, separated by commas') : vscode.l10n.t('Binding / routing keys, separated by commas (empty: a default)'),
      ignoreFocusOut: true,
    });
    if (typed === undefined) throw cancelled();
    bindingKeys = typed.split(',').map((k) => k.trim()).filter((k) => k.length > 0);
  }

  const options: GenerateCodeOptions = { language, role, target, bindingKeys, amqpUrl: arg.amqpUrl ?? connectionUrl(profiles, arg) };
  const text = generateCode(options);

  if (editor && editor.document.languageId === language && arg.insertInto !== 'new') {
    const ok = await editor.edit((b) => b.replace(editor.selection, text));
    if (!ok) throw new RabbitError('CANCELLED', 'The editor refused the edit.');
    return { uri: editor.document.uri.toString(), language, text };
  }
  const doc = await vscode.workspace.openTextDocument({ language, content: text });
  await vscode.window.showTextDocument(doc, { preview: false });
  return { uri: doc.uri.toString(), language, text };
}

const LANGUAGE_LABEL: Record<PatternLanguage, string> = { python: 'Python (pika)', javascript: 'JavaScript (amqplib)', typescript: 'TypeScript (amqplib)' };

function roleLabel(r: CodeRole): string {
  switch (r) {
    case 'producer':
      return vscode.l10n.t('Producer (publish messages)');
    case 'consumer':
      return vscode.l10n.t('Consumer (receive and acknowledge)');
    case 'rpc-server':
      return vscode.l10n.t('RPC server (answer requests)');
    case 'rpc-client':
      return vscode.l10n.t('RPC client (send a request, wait for the reply)');
  }
}

async function resolveTarget(arg: GenerateCodeArgs): Promise<QueueTarget | ExchangeTarget> {
  // A tree node: its row tells queue (classic/quorum/stream) from exchange.
  if (arg.row && typeof arg.row.name === 'string') {
    const r = arg.row;
    const flags = r.flags ?? 1;
    if (QUEUE_TYPES.includes(r.type) && arg.kind !== 'exchange') {
      return { kind: 'queue', name: r.name, type: r.type as QueueTarget['type'], durable: (flags & 1) !== 0, autoDelete: (flags & 2) !== 0, exclusive: (flags & 4) !== 0, arguments: { ...(r.args ?? {}) } };
    }
    return { kind: 'exchange', name: r.name, type: exchangeType(r.type), durable: (flags & 1) !== 0, autoDelete: (flags & 2) !== 0 };
  }
  let kind = arg.kind;
  kind ??= await pick(
    [
      { label: vscode.l10n.t('Queue'), value: 'queue' as const },
      { label: vscode.l10n.t('Exchange'), value: 'exchange' as const },
    ],
    vscode.l10n.t('Generate code for a queue or an exchange?'),
  );
  let name = arg.name;
  if (name === undefined) {
    name = await vscode.window.showInputBox({ prompt: kind === 'queue' ? vscode.l10n.t('Queue name') : vscode.l10n.t('Exchange name'), ignoreFocusOut: true });
    if (name === undefined) throw cancelled();
  }
  if (kind === 'queue') {
    const type = arg.type ?? (typeof arg.arguments?.['x-queue-type'] === 'string' ? (arg.arguments['x-queue-type'] as string) : undefined) ?? (await pick(QUEUE_TYPES.map((t) => ({ label: t, value: t })), vscode.l10n.t('Queue type')));
    return { kind: 'queue', name, type: type as QueueTarget['type'], durable: arg.durable, autoDelete: arg.autoDelete, exclusive: arg.exclusive, arguments: arg.arguments };
  }
  const type = arg.type ?? (await pick(EXCHANGE_TYPES.map((t) => ({ label: t, value: t })), vscode.l10n.t('Exchange type')));
  return { kind: 'exchange', name, type: exchangeType(type), durable: arg.durable, autoDelete: arg.autoDelete };
}

function exchangeType(t: string): ExchangeKind {
  if ((EXCHANGE_TYPES as string[]).includes(t)) return t as ExchangeKind;
  throw invalidInput('type', `exchange type "${t}" has no code template`, 'Code can be generated for direct, fanout, topic and headers exchanges.');
}

/** The profile's URL (never with a password) pointed at the node's vhost; localhost when there is none. */
function connectionUrl(profiles: ProfileSource | undefined, arg: GenerateCodeArgs): string {
  let profile: ConnectionProfile | undefined;
  if (arg.connectionId && profiles) profile = profiles.profile(arg.connectionId);
  else profile = profiles?.list?.()[0];
  if (!profile) return `amqp://guest@localhost:5672/${encodeURIComponent(arg.vhost ?? '/')}`;
  const { protocol, hostname, port, username, vhost } = resolveProfile(profile).amqp;
  const host = hostname.includes(':') ? `[${hostname}]` : hostname;
  return `${protocol}://${encodeURIComponent(username)}@${host}:${port}/${encodeURIComponent(arg.vhost ?? vhost)}`;
}
