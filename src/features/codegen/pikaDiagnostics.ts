import * as vscode from 'vscode';
import { Disposable } from '../../platform/lifecycle';
import { findPikaIssues, type PikaFinding } from '../../core/pikaMigration';

/** Diagnostics source and the code-action kind of "fix all". */
export const PIKA_SOURCE = 'RabbitMQ';
export const PIKA_FIX_ALL_KIND = vscode.CodeActionKind.SourceFixAll.append('rabbitmq');

/** The anonymous pika 0.x queue_declare() whose fix also makes the queue exclusive (it would be transient and shared). */
function alsoExclusive(f: PikaFinding): boolean {
  return f.code === 'pika-0x-queue-declare-queue' && f.madeExclusive === true;
}

function transientServerNamed(): string {
  return vscode.l10n.t('A server-named queue that is neither durable nor exclusive is a transient non-exclusive queue, a deprecated feature: RabbitMQ 4.x brokers that deny it close the connection (541). Declare it exclusive=True (private to this connection, deleted with it).');
}

function message(f: PikaFinding): string {
  if (alsoExclusive(f)) return `${queueDeclareMessage()} ${transientServerNamed()}`;
  switch (f.code) {
    case 'pika-0x-basic-consume':
      return vscode.l10n.t('pika 0.x call: basic_consume(callback, queue=…, no_ack=…) was removed in pika 1.0 and fails with a TypeError. Use basic_consume(queue=…, on_message_callback=callback, auto_ack=…).');
    case 'pika-0x-no-ack':
      return vscode.l10n.t('pika 0.x argument: no_ack= was renamed auto_ack= in pika 1.0 (no_ack= fails with a TypeError).');
    case 'pika-0x-exchange-type':
      return vscode.l10n.t('pika 0.x argument: exchange_declare(type=…) was renamed exchange_type= in pika 1.0 (type= fails with a TypeError).');
    case 'pika-0x-queue-declare-queue':
      return queueDeclareMessage();
    case 'pika-0x-immediate':
      return vscode.l10n.t('pika 0.x argument: basic_publish(immediate=…) was removed in pika 1.0 (RabbitMQ never supported it).');
    case 'pika-0x-add-timeout':
      return vscode.l10n.t('pika 0.x call: connection.add_timeout(…) was renamed call_later(…) in pika 1.0.');
    case 'pika-transient-queue':
      return vscode.l10n.t('queue_declare() without durable=True or exclusive=True declares a transient non-exclusive queue, a deprecated feature: RabbitMQ 4.x brokers that deny it close the connection (541). Declare it durable=True (or exclusive=True if only this connection uses it).');
    case 'pika-transient-server-named-queue':
      return transientServerNamed();
    case 'pika-0x-all-channels':
      return vscode.l10n.t('pika 0.x argument: basic_qos(all_channels=…) was removed in pika 1.0 (it fails with a TypeError). Its pika 1.x name, global_qos=True, is a deprecated feature that RabbitMQ 4.x brokers denying it refuse by closing the connection (541): the prefetch applies to each consumer, which is the same for one consumer per channel.');
    case 'pika-global-qos':
      return vscode.l10n.t('basic_qos(global_qos=True) asks for global QoS, a deprecated feature: RabbitMQ 4.x brokers that deny it close the connection (541). Leave global_qos out: the prefetch then applies to each consumer, which is the same for one consumer per channel.');
  }
}

function queueDeclareMessage(): string {
  return vscode.l10n.t("pika 0.x call: queue_declare() without a queue name fails in pika 1.x (queue is required). Pass queue='' to let the broker name the queue.");
}

function fixTitle(f: PikaFinding): string {
  if (alsoExclusive(f)) return vscode.l10n.t("Add queue='' and exclusive=True (private server-named queue)");
  switch (f.code) {
    case 'pika-0x-basic-consume':
      return vscode.l10n.t('Rewrite as pika 1.x basic_consume(queue=…, on_message_callback=…)');
    case 'pika-0x-no-ack':
      return vscode.l10n.t('Rename no_ack= to auto_ack=');
    case 'pika-0x-exchange-type':
      return vscode.l10n.t('Rename type= to exchange_type=');
    case 'pika-0x-queue-declare-queue':
      return vscode.l10n.t("Add queue='' (server-named queue)");
    case 'pika-0x-immediate':
      return vscode.l10n.t('Remove immediate=');
    case 'pika-0x-add-timeout':
      return vscode.l10n.t('Rename add_timeout to call_later');
    case 'pika-transient-queue':
      return vscode.l10n.t('Declare the queue durable (durable=True)');
    case 'pika-transient-server-named-queue':
      return vscode.l10n.t('Make the queue exclusive (exclusive=True)');
    case 'pika-0x-all-channels':
      return vscode.l10n.t('Remove all_channels= (per-consumer prefetch)');
    case 'pika-global-qos':
      return vscode.l10n.t('Remove global_qos=True (per-consumer prefetch)');
  }
}

function toRange(f: PikaFinding): vscode.Range {
  return new vscode.Range(f.range.start.line, f.range.start.character, f.range.end.line, f.range.end.character);
}

/** pika 0.x findings of a document (cheap when the file does not mention pika). */
export function pikaFindings(document: vscode.TextDocument): PikaFinding[] {
  if (document.languageId !== 'python') return [];
  const text = document.getText();
  if (!text.includes('pika') && !text.includes('basic_consume') && !text.includes('_declare')) return [];
  return findPikaIssues(text);
}

export function toDiagnostic(f: PikaFinding): vscode.Diagnostic {
  const d = new vscode.Diagnostic(toRange(f), message(f), vscode.DiagnosticSeverity.Warning);
  d.source = PIKA_SOURCE;
  d.code = f.code;
  return d;
}

/** Diagnostics for open Python files, refreshed on open/change (debounced) and cleared on close. */
export class PikaDiagnostics extends Disposable {
  readonly collection = this.register(vscode.languages.createDiagnosticCollection('rabbitmq-pika'));
  private readonly pending = new Map<string, ReturnType<typeof setTimeout>>();

  constructor() {
    super();
    this.register(vscode.workspace.onDidOpenTextDocument((d) => this.update(d)));
    this.register(vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document)));
    this.register(
      vscode.workspace.onDidCloseTextDocument((d) => {
        this.collection.delete(d.uri);
        this.cancel(d.uri.toString());
      }),
    );
    for (const d of vscode.workspace.textDocuments) this.update(d);
  }

  update(document: vscode.TextDocument): void {
    if (document.languageId !== 'python') {
      this.collection.delete(document.uri);
      return;
    }
    this.collection.set(document.uri, pikaFindings(document).map(toDiagnostic));
  }

  private schedule(document: vscode.TextDocument): void {
    const key = document.uri.toString();
    this.cancel(key);
    this.pending.set(key, setTimeout(() => {
      this.pending.delete(key);
      this.update(document);
    }, 250));
  }

  private cancel(key: string): void {
    const t = this.pending.get(key);
    if (t) clearTimeout(t);
    this.pending.delete(key);
  }

  override dispose(): void {
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
    super.dispose();
  }
}

/** Quick fixes: one per pika 0.x call, "fix all in file", and source.fixAll. */
export class PikaCodeActions implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = {
    providedCodeActionKinds: [vscode.CodeActionKind.QuickFix, PIKA_FIX_ALL_KIND],
  };

  provideCodeActions(document: vscode.TextDocument, range: vscode.Range | vscode.Selection, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const wantsFixAll = !context.only || PIKA_FIX_ALL_KIND.contains(context.only) || context.only.contains(PIKA_FIX_ALL_KIND);
    const wantsQuickFix = !context.only || vscode.CodeActionKind.QuickFix.intersects(context.only);
    const findings = pikaFindings(document);
    if (findings.length === 0) return [];
    const actions: vscode.CodeAction[] = [];
    if (wantsQuickFix) {
      for (const f of findings) {
        const r = toRange(f);
        if (!r.intersection(range)) continue;
        const action = new vscode.CodeAction(fixTitle(f), vscode.CodeActionKind.QuickFix);
        action.edit = new vscode.WorkspaceEdit();
        action.edit.replace(document.uri, r, f.replacement);
        action.diagnostics = context.diagnostics.filter((d) => d.source === PIKA_SOURCE && d.code === f.code && d.range.isEqual(r));
        action.isPreferred = true;
        actions.push(action);
      }
      if (actions.length > 0 && findings.length > 1) actions.push(fixAll(document, findings, vscode.CodeActionKind.QuickFix));
    }
    if (wantsFixAll && context.only) actions.push(fixAll(document, findings, PIKA_FIX_ALL_KIND));
    return actions;
  }
}

function fixAll(document: vscode.TextDocument, findings: PikaFinding[], kind: vscode.CodeActionKind): vscode.CodeAction {
  const action = new vscode.CodeAction(vscode.l10n.t('Fix all pika 0.x calls in file'), kind);
  action.edit = new vscode.WorkspaceEdit();
  let end = -1;
  for (const f of [...findings].sort((a, b) => a.startOffset - b.startOffset)) {
    if (f.startOffset < end) continue; // overlapping (nested) call: fixed on the next run
    action.edit.replace(document.uri, toRange(f), f.replacement);
    end = f.endOffset;
  }
  return action;
}

/** Registers diagnostics and code actions for Python files. */
export function registerPikaMigration(): vscode.Disposable[] {
  return [
    new PikaDiagnostics(),
    vscode.languages.registerCodeActionsProvider({ language: 'python' }, new PikaCodeActions(), PikaCodeActions.metadata),
  ];
}
