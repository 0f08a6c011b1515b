/**
 * Results of request blocks: the latest one of each block shown inline after its request line, and every run
 * of a file, newest first, in one read-only results document per file (opened beside the file). Results are
 * plain text: a message body never becomes markup.
 */
import * as vscode from 'vscode';

export const RESULTS_SCHEME = 'rabbitmq-results';
const HISTORY_LIMIT = 200;

export interface ResultEntry {
  at: Date;
  /** Title of the block. */
  title: string;
  /** 0-based request line. */
  line: number;
  ok: boolean;
  /** One line, shown inline too. */
  summary: string;
  /** More lines for the results document (message bodies, reply, declared names). */
  details: string[];
  connection: string;
  vhost: string;
}

export class Results implements vscode.Disposable, vscode.TextDocumentContentProvider {
  private readonly history = new Map<string, ResultEntry[]>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly decoration = vscode.window.createTextEditorDecorationType({
    after: { margin: '0 0 0 2em', color: new vscode.ThemeColor('editorCodeLens.foreground') },
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  });
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor() {
    this.subscriptions.push(
      vscode.workspace.registerTextDocumentContentProvider(RESULTS_SCHEME, this),
      vscode.window.onDidChangeVisibleTextEditors((editors) => editors.forEach((e) => this.decorate(e))),
      vscode.workspace.onDidChangeTextDocument((e) => {
        // Lines move while typing: results of an edited file stay in the document, not inline.
        if (e.document.languageId === 'rabbitmq' && e.contentChanges.length) this.inline.delete(e.document.uri.toString());
      }),
    );
  }

  /** Latest result per request line, per file (cleared when the file changes). */
  private readonly inline = new Map<string, Map<number, ResultEntry>>();

  /** The results document of a request file. */
  static uriFor(file: vscode.Uri): vscode.Uri {
    return vscode.Uri.from({ scheme: RESULTS_SCHEME, path: `/${file.path.split('/').pop() ?? 'request'}.results`, query: file.toString() });
  }

  entries(file: vscode.Uri): readonly ResultEntry[] {
    return this.history.get(file.toString()) ?? [];
  }

  add(file: vscode.Uri, entry: ResultEntry): void {
    const key = file.toString();
    const list = this.history.get(key) ?? [];
    list.unshift(entry);
    if (list.length > HISTORY_LIMIT) list.length = HISTORY_LIMIT;
    this.history.set(key, list);
    let lines = this.inline.get(key);
    if (!lines) this.inline.set(key, (lines = new Map()));
    lines.set(entry.line, entry);
    for (const e of vscode.window.visibleTextEditors) if (e.document.uri.toString() === key) this.decorate(e);
    this.changed.fire(Results.uriFor(file));
  }

  private decorate(editor: vscode.TextEditor): void {
    if (editor.document.languageId !== 'rabbitmq') return;
    const lines = this.inline.get(editor.document.uri.toString());
    const options: vscode.DecorationOptions[] = [];
    for (const [line, e] of lines ?? []) {
      if (line >= editor.document.lineCount) continue;
      const end = editor.document.lineAt(line).range.end;
      options.push({ range: new vscode.Range(end, end), renderOptions: { after: { contentText: `${e.ok ? '✓' : '✗'} ${e.summary}` } } });
    }
    editor.setDecorations(this.decoration, options);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const file = vscode.Uri.parse(uri.query);
    const list = this.entries(file);
    if (!list.length) return vscode.l10n.t('No results yet. Run a block of {0}.', file.path.split('/').pop() ?? '') + '\n';
    const out: string[] = [];
    for (const e of list) {
      out.push(`${e.ok ? '✓' : '✗'} ${e.at.toISOString()}  ${vscode.l10n.t('line {0}', e.line + 1)}  ${e.title}  (${e.connection} · ${e.vhost})`);
      out.push(`  ${e.summary}`);
      for (const d of e.details) out.push(...d.split('\n').map((l) => `    ${l}`));
      out.push('');
    }
    return out.join('\n');
  }

  async show(file: vscode.Uri): Promise<vscode.TextDocument> {
    const doc = await vscode.workspace.openTextDocument(Results.uriFor(file));
    await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true, preview: true });
    return doc;
  }

  dispose(): void {
    this.decoration.dispose();
    this.changed.dispose();
    for (const d of this.subscriptions) d.dispose();
  }
}
