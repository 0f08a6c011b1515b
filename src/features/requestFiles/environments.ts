/**
 * Environments of request files: the `rabbitmq.environments` setting (name → variables, with a `$shared` set
 * every environment sees), the one chosen from the status bar (kept per workspace), and `.env` files next to
 * a request file for {{$dotenv NAME}}.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { parseDotenv } from '../../core/requestTemplates';
import { Commands } from '../../platform/commandIds';

const STATE_KEY = 'rabbitmq.requestFiles.environment';
export const SHARED = '$shared';

export type EnvironmentSettings = Record<string, Record<string, string>>;

export function environmentSettings(): EnvironmentSettings {
  const raw = vscode.workspace.getConfiguration('rabbitmq').get<unknown>('environments', {});
  const out: EnvironmentSettings = {};
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return out;
  for (const [name, vars] of Object.entries(raw as Record<string, unknown>)) {
    if (!vars || typeof vars !== 'object' || Array.isArray(vars)) continue;
    const values: Record<string, string> = {};
    for (const [k, v] of Object.entries(vars as Record<string, unknown>)) if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') values[k] = String(v);
    out[name] = values;
  }
  return out;
}

/** The chosen environment and the status bar item that shows it while a request file is in front. */
export class Environments implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('rabbitmq.requestEnvironment', vscode.StatusBarAlignment.Right, 90);
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly state: vscode.Memento) {
    this.item.name = vscode.l10n.t('RabbitMQ Request Environment');
    this.item.command = Commands.selectRequestEnvironment;
    this.subscriptions.push(
      vscode.window.onDidChangeActiveTextEditor(() => this.update()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('rabbitmq.environments')) this.update();
      }),
    );
    this.update();
  }

  /** The chosen environment's name, when it still exists in the settings. */
  get selected(): string | undefined {
    const name = this.state.get<string>(STATE_KEY);
    return name && name !== SHARED && environmentSettings()[name] ? name : undefined;
  }

  async select(name: string | undefined): Promise<void> {
    await this.state.update(STATE_KEY, name);
    this.update();
  }

  /** Values for templates: the chosen environment and `$shared`. */
  values(): { environment?: Record<string, string>; environmentName?: string; shared?: Record<string, string> } {
    const all = environmentSettings();
    const name = this.selected;
    return { environment: name ? all[name] : undefined, environmentName: name, shared: all[SHARED] };
  }

  /** rabbitmq.selectRequestEnvironment: a quick pick, or `{ name }` (null for none). */
  async command(arg?: unknown): Promise<string | undefined> {
    if (arg && typeof arg === 'object' && 'name' in arg) {
      const name = (arg as { name: unknown }).name;
      if (name !== null && (typeof name !== 'string' || !environmentSettings()[name] || name === SHARED)) {
        throw new Error(vscode.l10n.t('Environment "{0}" is not in the rabbitmq.environments setting.', String(name)));
      }
      await this.select(name === null ? undefined : (name as string));
      return this.selected;
    }
    const names = Object.keys(environmentSettings()).filter((n) => n !== SHARED);
    const none = vscode.l10n.t('No environment');
    const picked = await vscode.window.showQuickPick([{ label: none, value: undefined as string | undefined }, ...names.map((n) => ({ label: n, value: n as string | undefined, description: n === this.selected ? vscode.l10n.t('current') : undefined }))], {
      placeHolder: names.length ? vscode.l10n.t('Environment for request files') : vscode.l10n.t('No environments yet: add them in the rabbitmq.environments setting'),
    });
    if (!picked) return this.selected;
    await this.select(picked.value);
    return this.selected;
  }

  private update(): void {
    const editor = vscode.window.activeTextEditor;
    if (editor?.document.languageId !== 'rabbitmq') {
      this.item.hide();
      return;
    }
    const name = this.selected;
    this.item.text = `$(symbol-variable) ${name ?? vscode.l10n.t('No environment')}`;
    this.item.tooltip = vscode.l10n.t('Environment of request files (rabbitmq.environments). Click to change.');
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
    for (const d of this.subscriptions) d.dispose();
  }
}

/** The `.env` next to a saved request file, if any. */
export async function dotenvFor(uri: vscode.Uri): Promise<Record<string, string> | undefined> {
  if (uri.scheme !== 'file') return undefined;
  try {
    return parseDotenv(await readFile(join(dirname(uri.fsPath), '.env'), 'utf8'));
  } catch {
    return undefined;
  }
}
