// pika 0.x diagnostics and quick fixes in a real VS Code: Python files with tutorial code get warnings with
// source 'RabbitMQ', one quick fix per call, "fix all" and source.fixAll.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const OLD = [
  'import pika',
  '',
  'connection = pika.BlockingConnection(pika.ConnectionParameters(host=\'127.0.0.1\'))',
  'channel = connection.channel()',
  "channel.exchange_declare(exchange='logs', type='fanout')",
  'result = channel.queue_declare(exclusive=True)',
  'channel.basic_qos(prefetch_count=1)',
  '',
  'def callback(ch, method, properties, body):',
  '    print(body)',
  '',
  'channel.basic_consume(callback,',
  "                      queue=result.method.queue,",
  '                      no_ack=True)',
  'channel.start_consuming()',
  '',
].join('\n');

const NEW = [
  'import pika',
  '',
  'connection = pika.BlockingConnection(pika.ConnectionParameters(host=\'127.0.0.1\'))',
  'channel = connection.channel()',
  "channel.exchange_declare(exchange='logs', exchange_type='fanout')",
  "result = channel.queue_declare(queue='', exclusive=True)",
  'channel.basic_qos(prefetch_count=1)',
  '',
  'def callback(ch, method, properties, body):',
  '    print(body)',
  '',
  'channel.basic_consume(queue=result.method.queue,',
  '                      on_message_callback=callback,',
  '                      auto_ack=True)',
  'channel.start_consuming()',
  '',
].join('\n');

async function pikaDiagnostics(uri: vscode.Uri, count: number): Promise<vscode.Diagnostic[]> {
  const deadline = Date.now() + 10000;
  for (;;) {
    const ds = vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'RabbitMQ');
    if (ds.length === count) return ds;
    if (Date.now() > deadline) assert.fail(`expected ${count} RabbitMQ diagnostics, got ${ds.length}: ${ds.map((d) => String(d.code)).join(', ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function applyAction(action: vscode.CodeAction | undefined): Promise<void> {
  assert.ok(action?.edit, 'no code action with an edit');
  assert.equal(await vscode.workspace.applyEdit(action.edit), true);
}

describe('pika 0.x diagnostics and quick fixes', () => {
  before(async () => {
    await vscode.extensions.getExtension('rabbitmq-workbench.rabbitmq-workbench')?.activate();
  });
  afterEach(async () => {
    // Revert first: closing a dirty untitled editor would ask whether to save it.
    for (let i = 0; i < 20 && vscode.window.activeTextEditor; i++) await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('marks each pika 0.x call (multi-line too) with code and source', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'python', content: OLD });
    const ds = await pikaDiagnostics(doc.uri, 3);
    assert.deepEqual(ds.map((d) => d.code).sort(), ['pika-0x-basic-consume', 'pika-0x-exchange-type', 'pika-0x-queue-declare-queue']);
    const consume = ds.find((d) => d.code === 'pika-0x-basic-consume');
    assert.ok(consume);
    assert.equal(consume.range.start.line, 11);
    assert.equal(consume.range.end.line, 13);
    assert.equal(consume.severity, vscode.DiagnosticSeverity.Warning);
  });

  it('fixes one call with its quick fix, then the diagnostic goes away', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'python', content: OLD });
    await vscode.window.showTextDocument(doc);
    const ds = await pikaDiagnostics(doc.uri, 3);
    const typeDiag = ds.find((d) => d.code === 'pika-0x-exchange-type');
    assert.ok(typeDiag);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, typeDiag.range, vscode.CodeActionKind.QuickFix.value);
    await applyAction(actions.find((a) => a.title.includes('exchange_type')));
    assert.equal(doc.lineAt(4).text, "channel.exchange_declare(exchange='logs', exchange_type='fanout')");
    await pikaDiagnostics(doc.uri, 2);
  });

  it('"Fix all pika 0.x calls in file" and source.fixAll rewrite the whole file', async () => {
    for (const kind of ['quickfix', 'source.fixAll.rabbitmq']) {
      const doc = await vscode.workspace.openTextDocument({ language: 'python', content: OLD });
      await vscode.window.showTextDocument(doc);
      const ds = await pikaDiagnostics(doc.uri, 3);
      const range = kind === 'quickfix' ? ds[0].range : new vscode.Range(0, 0, doc.lineCount, 0);
      const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, range, kind);
      await applyAction(actions.find((a) => a.title === 'Fix all pika 0.x calls in file' || a.title === '修复文件中所有 pika 0.x 调用'));
      assert.equal(doc.getText(), NEW, kind);
      await pikaDiagnostics(doc.uri, 0);
    }
  });

  it('leaves other languages alone', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'plaintext', content: OLD });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(vscode.languages.getDiagnostics(doc.uri).filter((d) => d.source === 'RabbitMQ').length, 0);
  });
});
