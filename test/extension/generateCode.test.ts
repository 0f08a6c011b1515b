// rabbitmq.generateCode in a real VS Code: from a tree-node-like argument or a plain object, into a new
// untitled editor of the language or into the active editor; invalid input is refused.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { Commands } from '../../src/platform/commandIds';

interface Result {
  uri: string;
  language: string;
  text: string;
}

describe('rabbitmq.generateCode', () => {
  before(async () => {
    await vscode.extensions.getExtension('rabbitmq-workbench.rabbitmq-workbench')?.activate();
  });
  afterEach(async () => {
    // Revert first: closing a dirty untitled editor would ask whether to save it.
    for (let i = 0; i < 20 && vscode.window.activeTextEditor; i++) await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('opens a new Python editor with a consumer for the queue, its type and arguments, and no password', async () => {
    const r = await vscode.commands.executeCommand<Result>(Commands.generateCode, {
      kind: 'queue',
      vhost: 'orders-vhost',
      name: 'orders',
      type: 'quorum',
      durable: true,
      arguments: { 'x-delivery-limit': 5 },
      language: 'python',
      role: 'consumer',
      amqpUrl: 'amqp://app@rabbit.example:5672/orders-vhost',
      insertInto: 'new',
    });
    const editor = vscode.window.activeTextEditor;
    assert.ok(editor);
    assert.equal(editor.document.languageId, 'python');
    assert.equal(editor.document.uri.toString(), r.uri);
    const text = editor.document.getText();
    assert.match(text, /QUEUE = 'orders'/);
    assert.match(text, /'x-queue-type': 'quorum'/);
    assert.match(text, /'x-delivery-limit': 5/);
    assert.match(text, /BROKER_URL = 'amqp:\/\/app@rabbit\.example:5672\/orders-vhost'/);
    assert.match(text, /RABBITMQ_PASSWORD/);
  });

  it('takes an explorer node (row) and inserts into the active editor of the same language', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'typescript', content: '' });
    await vscode.window.showTextDocument(doc);
    const r = await vscode.commands.executeCommand<Result>(Commands.generateCode, {
      connectionId: undefined,
      vhost: '/',
      row: { name: 'audit', type: 'topic', flags: 1 },
      role: 'consumer',
      language: 'typescript',
      bindingKeys: ['audit.#'],
    });
    assert.equal(r.uri, doc.uri.toString());
    const text = doc.getText();
    assert.match(text, /import \* as amqp from 'amqplib';/);
    assert.match(text, /assertExchange\(EXCHANGE, 'topic', \{ durable: true \}\)/);
    assert.match(text, /\['audit\.#'\]/);
    assert.match(text, /BROKER_URL = 'amqps?:\/\/[^':@]+@[^']+\/%2F'/);
  });

  it('refuses a URL with a password, naming the field, without putting the password anywhere', async () => {
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand(Commands.generateCode, {
        kind: 'exchange',
        name: 'logs',
        type: 'fanout',
        language: 'javascript',
        role: 'producer',
        amqpUrl: 'amqp://app:s3cret@localhost/',
      })),
      (e: unknown) => e instanceof Error && /amqpUrl/.test(e.message) && !e.message.includes('s3cret'),
    );
  });
});
