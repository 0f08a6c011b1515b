import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chooseConnection, languageModelToolContributions, MCP_PROVIDER_ID, mcpServerName } from '../../src/features/agent/agentModel';

const root = join(__dirname, '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  contributes: { languageModelTools: unknown[]; mcpServerDefinitionProviders: { id: string }[]; configuration: { properties: Record<string, { default?: unknown }> } };
};

describe('agent: editor contributions and connection choice (pure)', () => {
  it('package.json contributes exactly the tools the code implements, schemas included', () => {
    assert.deepEqual(pkg.contributes.languageModelTools, languageModelToolContributions());
  });

  it('contributes the MCP provider and both settings, off by default', () => {
    assert.deepEqual(pkg.contributes.mcpServerDefinitionProviders.map((p) => p.id), [MCP_PROVIDER_ID]);
    assert.equal(pkg.contributes.configuration.properties['rabbitmq.agent.allowChanges']?.default, false);
    assert.equal(pkg.contributes.configuration.properties['rabbitmq.agent.shareMessageContents']?.default, false);
  });

  it('mutating tools are enabled only by the allowChanges setting', () => {
    const tools = languageModelToolContributions();
    const gated = tools.filter((t) => t.when).map((t) => t.name);
    assert.deepEqual(gated, ['rabbitmq_publish_message', 'rabbitmq_declare_queue', 'rabbitmq_declare_exchange', 'rabbitmq_bind', 'rabbitmq_unbind', 'rabbitmq_purge_queue']);
    assert.ok(tools.filter((t) => t.when).every((t) => t.when === 'config.rabbitmq.agent.allowChanges'));
    assert.ok(tools.filter((t) => t.name !== 'rabbitmq_list_connections').every((t) => 'connection' in t.inputSchema.properties));
  });

  it('chooses the named connection, else the one in use, else the only one; otherwise says which to pass', () => {
    const two = [{ id: 'a1', name: 'Local' }, { id: 'b2', name: 'Prod' }];
    assert.equal(chooseConnection(two, undefined, 'prod'), 'b2');
    assert.equal(chooseConnection(two, undefined, 'a1'), 'a1');
    assert.equal(chooseConnection(two, 'b2', undefined), 'b2');
    assert.equal(chooseConnection([two[0]], undefined, undefined), 'a1');
    assert.throws(() => chooseConnection(two, undefined, undefined), /connection: is required: 2 connections are saved and none is in use\. Pass one of: "Local", "Prod"\./);
    assert.throws(() => chooseConnection(two, undefined, 'staging'), /connection: "staging" is not a saved connection\. The saved connections are: "Local", "Prod"\./);
    assert.throws(() => chooseConnection([], undefined, undefined), /connection: no RabbitMQ connection is saved/);
    assert.throws(() => chooseConnection([...two, { id: 'c3', name: 'prod' }], undefined, 'PROD'), /2 connections are named "PROD"\. Pass the id instead: b2, c3/);
  });

  it('names MCP servers per connection', () => {
    assert.equal(mcpServerName('Local Broker (dev)'), 'rabbitmq-local-broker-dev');
    assert.equal(mcpServerName('生产'), 'rabbitmq-workbench');
  });
});
