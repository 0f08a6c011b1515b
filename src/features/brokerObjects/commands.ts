import * as vscode from 'vscode';
import { Commands } from '../../platform/commandIds';
import { registerCommand } from '../../platform/registerCommand';
import { invalidInput } from '../../core/errors';
import type { QueueType } from '../../core/model';
import * as ops from '../../core/operations';
import type { AmqpSession } from '../../core/session';
import { BindingNode } from '../explorer/nodes/bindingNode';
import { ExchangeNode } from '../explorer/nodes/exchangeNode';
import { QueueNode } from '../explorer/nodes/queueNode';
import type { ExplorerProvider } from '../explorer/provider';
import { cancelled, isObject, nameOf, vhostScopeOf } from '../../platform/pickers';
import { deniedQuestion, deniedTransientError, deniedTransientWords, isTransientNonExclusive, transientAlternative, transientQuestion, TransientQueuePolicy } from './transientQueues';

/** What the commands declare, bind or unbind (args objects use the same shapes). */
type DeclareQueueSpec = ops.DeclareQueueOptions;
/** What rabbitmq.declareQueue returns: the spec declared, with the warning shown for a transient non-exclusive queue. */
export type DeclareQueueResult = DeclareQueueSpec & { warning?: string };
type DeclareExchangeSpec = ops.DeclareExchangeOptions;
interface BindingSpec {
  source: string;
  destination: string;
  destinationType: 'queue' | 'exchange';
  routingKey?: string;
  arguments?: ops.AmqpTable;
}

/**
 * Declare / delete / purge / bind / unbind over AMQP (src/core/operations.ts on the vhost's session). Each takes a tree node (menus),
 * an args object (tests, scripts) or nothing (palette: quick picks). Read-only connections are refused first.
 */
export function registerBrokerObjectCommands(provider: ExplorerProvider): vscode.Disposable[] {
  const manager = provider.manager;
  const transient = new TransientQueuePolicy();
  // What a broker said is forgotten once its connection is dropped or edited (its configuration may change).
  const forgetting = manager.onDidChange((id) => {
    if (id !== undefined && manager.statusOf(id).state === 'disconnected') transient.forget(id);
  });

  /** The AMQP session of (connection, vhost), after refusing read-only connections. */
  async function session(connectionId: string, vhost: string, action: string): Promise<AmqpSession> {
    manager.assertWritable(connectionId, action);
    return manager.session(connectionId, vhost);
  }

  async function declareQueue(arg?: unknown): Promise<DeclareQueueResult> {
    const { connectionId, vhost } = await vhostScopeOf(manager, arg);
    manager.assertWritable(connectionId, vscode.l10n.t('declaring a queue'));
    const fromArgs = isObject(arg) && arg.name !== undefined;
    const spec = fromArgs ? (arg as unknown as DeclareQueueSpec) : await declareQueueUi(connectionId, vhost);
    if (typeof spec.name !== 'string' || spec.name === '') throw invalidInput('name', 'is empty', 'Give the queue a name.');
    if (!isTransientNonExclusive(spec)) {
      await ops.declareQueue(await session(connectionId, vhost, vscode.l10n.t('declaring a queue')), spec);
      await provider.refreshFolder(connectionId, vhost, 'queues');
      return spec;
    }
    const denied = transient.deniedBy(connectionId);
    if (denied !== undefined) throw deniedTransientError(spec.name, denied);
    // On a session of its own: a broker denying the feature closes that connection, not the shared one (its
    // consumers, peeks and RPC replies stay).
    const own = await manager.temporarySession(connectionId, vhost);
    let warning: string | undefined;
    try {
      warning = (await ops.declareQueue(own, spec)).warning;
    } catch (e) {
      const words = deniedTransientWords(e);
      if (words === undefined) throw e;
      transient.remember(connectionId, words);
      // Naming the field to change, as the refusals before sending do.
      throw deniedTransientError(spec.name, words, e);
    } finally {
      await own.close().catch(() => undefined);
    }
    // The page asked already (modal); an args object gets the warning in its result and as a notification.
    if (fromArgs && warning) void vscode.window.showWarningMessage(warning);
    await provider.refreshFolder(connectionId, vhost, 'queues');
    return { ...spec, ...(warning ? { warning } : {}) };
  }

  /** A transient classic queue asked for in the page: warned (or refused) first, with "durable" as the way out. */
  async function confirmTransient(connectionId: string, name: string): Promise<boolean> {
    const denied = transient.deniedBy(connectionId);
    const durable = vscode.l10n.t('Declare it durable');
    const keep = vscode.l10n.t('Declare it transient');
    const message = denied !== undefined ? deniedQuestion(name, denied) : transientQuestion(name);
    const choice = await vscode.window.showWarningMessage(message, { modal: true, detail: transientAlternative() }, ...(denied !== undefined ? [durable] : [durable, keep]));
    if (choice === undefined) throw cancelled();
    return choice === durable;
  }

  async function declareQueueUi(connectionId: string, vhost: string): Promise<DeclareQueueSpec> {
    const title = vscode.l10n.t('Declare a queue in {0}', vhost);
    const name = await vscode.window.showInputBox({ title, prompt: vscode.l10n.t('Queue name'), validateInput: (v) => (v.trim() === '' ? vscode.l10n.t('Enter a name.') : v.startsWith('amq.') ? vscode.l10n.t('Names starting with "amq." are reserved.') : undefined) });
    if (name === undefined) throw cancelled();
    const type = await vscode.window.showQuickPick(
      [
        { label: 'quorum', description: vscode.l10n.t('replicated, durable; recommended for most queues'), value: 'quorum' as QueueType },
        { label: 'classic', description: vscode.l10n.t('single node; can be transient, exclusive or auto-delete'), value: 'classic' as QueueType },
        { label: 'stream', description: vscode.l10n.t('append-only log, read by offset'), value: 'stream' as QueueType },
      ],
      { title, placeHolder: vscode.l10n.t('Queue type (x-queue-type)') },
    );
    if (!type) throw cancelled();
    let durable = true;
    let autoDelete = false;
    if (type.value === 'classic') {
      const flags = await vscode.window.showQuickPick(
        [
          { label: vscode.l10n.t('durable'), key: 'durable', picked: true },
          { label: vscode.l10n.t('auto-delete'), key: 'autoDelete', picked: false },
        ],
        { title, canPickMany: true, placeHolder: vscode.l10n.t('Options') },
      );
      if (!flags) throw cancelled();
      durable = flags.some((f) => f.key === 'durable');
      autoDelete = flags.some((f) => f.key === 'autoDelete');
      if (!durable) durable = await confirmTransient(connectionId, name);
    }
    const extras = await vscode.window.showQuickPick(
      [
        { label: vscode.l10n.t('Dead-letter exchange'), key: 'dlx' },
        { label: vscode.l10n.t('Message TTL'), key: 'ttl' },
        { label: vscode.l10n.t('Max length'), key: 'maxLength' },
        ...(type.value === 'quorum' ? [{ label: vscode.l10n.t('Delivery limit'), key: 'deliveryLimit' }] : []),
      ],
      { title, canPickMany: true, placeHolder: vscode.l10n.t('Optional arguments (none: press Enter)') },
    );
    if (!extras) throw cancelled();
    const spec: DeclareQueueSpec = { name, type: type.value, durable, autoDelete };
    const number = async (prompt: string): Promise<number> => {
      const v = await vscode.window.showInputBox({ title, prompt, validateInput: (t) => (/^\d+$/.test(t.trim()) ? undefined : vscode.l10n.t('Enter a whole number.')) });
      if (v === undefined) throw cancelled();
      return Number(v.trim());
    };
    for (const e of extras) {
      if (e.key === 'dlx') {
        const v = await vscode.window.showInputBox({ title, prompt: vscode.l10n.t('Dead-letter exchange (x-dead-letter-exchange; empty = default exchange)') });
        if (v === undefined) throw cancelled();
        spec.deadLetterExchange = v;
        const rk = await vscode.window.showInputBox({ title, prompt: vscode.l10n.t('Dead-letter routing key (optional)') });
        if (rk === undefined) throw cancelled();
        if (rk !== '') spec.deadLetterRoutingKey = rk;
      } else if (e.key === 'ttl') {
        spec.messageTtl = await number(vscode.l10n.t('Message TTL in milliseconds (x-message-ttl)'));
      } else if (e.key === 'deliveryLimit') {
        // -1: no limit (RabbitMQ 4.x; the core refuses it on older brokers, where it would drop at the first hand-back).
        const v = await vscode.window.showInputBox({
          title,
          prompt: vscode.l10n.t('Deliveries before a message is dead-lettered or dropped (x-delivery-limit; -1 = no limit on RabbitMQ 4.x, which otherwise applies 20)'),
          validateInput: (t) => (/^(-1|\d+)$/.test(t.trim()) ? undefined : vscode.l10n.t('Enter a whole number, or -1 for no limit.')),
        });
        if (v === undefined) throw cancelled();
        spec.deliveryLimit = Number(v.trim());
      } else {
        spec.maxLength = await number(vscode.l10n.t('Maximum number of messages (x-max-length)'));
      }
    }
    return spec;
  }

  async function declareExchange(arg?: unknown): Promise<DeclareExchangeSpec> {
    const { connectionId, vhost } = await vhostScopeOf(manager, arg);
    manager.assertWritable(connectionId, vscode.l10n.t('declaring an exchange'));
    let spec: DeclareExchangeSpec;
    if (isObject(arg) && arg.name !== undefined) {
      spec = arg as unknown as DeclareExchangeSpec;
    } else {
      const title = vscode.l10n.t('Declare an exchange in {0}', vhost);
      const name = await vscode.window.showInputBox({ title, prompt: vscode.l10n.t('Exchange name'), validateInput: (v) => (v.trim() === '' ? vscode.l10n.t('Enter a name.') : v.startsWith('amq.') ? vscode.l10n.t('Names starting with "amq." are reserved.') : undefined) });
      if (name === undefined) throw cancelled();
      const type = await vscode.window.showQuickPick(['direct', 'fanout', 'topic', 'headers'], { title, placeHolder: vscode.l10n.t('Exchange type') });
      if (!type) throw cancelled();
      const flags = await vscode.window.showQuickPick(
        [
          { label: vscode.l10n.t('durable'), key: 'durable', picked: true },
          { label: vscode.l10n.t('auto-delete'), key: 'autoDelete' },
          { label: vscode.l10n.t('internal'), key: 'internal', description: vscode.l10n.t('only other exchanges can publish to it') },
        ],
        { title, canPickMany: true, placeHolder: vscode.l10n.t('Options') },
      );
      if (!flags) throw cancelled();
      spec = { name, type, durable: flags.some((f) => f.key === 'durable'), autoDelete: flags.some((f) => f.key === 'autoDelete'), internal: flags.some((f) => f.key === 'internal') };
    }
    await ops.declareExchange(await session(connectionId, vhost, vscode.l10n.t('declaring an exchange')), spec);
    await provider.refreshFolder(connectionId, vhost, 'exchanges');
    return spec;
  }

  /** Deleting needs the name typed (or `confirmName` equal to it in the args object). */
  async function confirmByName(arg: unknown, kindLabel: string, name: string): Promise<void> {
    if (isObject(arg) && arg.confirmName !== undefined) {
      if (arg.confirmName !== name) throw invalidInput('confirmName', `does not match the ${kindLabel} name`, 'Pass the exact name to confirm the deletion.');
      return;
    }
    const typed = await vscode.window.showInputBox({
      title: vscode.l10n.t('Delete {0} "{1}"', kindLabel, name),
      prompt: vscode.l10n.t('This cannot be undone. Type the name "{0}" to confirm.', name),
      validateInput: (v) => (v === name ? undefined : vscode.l10n.t('Type the exact name to confirm.')),
      ignoreFocusOut: true,
    });
    if (typed !== name) throw cancelled();
  }

  async function deleteQueue(arg?: unknown): Promise<void> {
    const { connectionId, vhost } = await vhostScopeOf(manager, arg);
    manager.assertWritable(connectionId, vscode.l10n.t('deleting a queue'));
    const name = await nameOf(arg, vscode.l10n.t('Name of the queue to delete'));
    await confirmByName(arg, vscode.l10n.t('queue'), name);
    await ops.deleteQueue(await session(connectionId, vhost, vscode.l10n.t('deleting a queue')), name);
    await provider.refreshFolder(connectionId, vhost, 'queues');
  }

  async function deleteExchange(arg?: unknown): Promise<void> {
    const { connectionId, vhost } = await vhostScopeOf(manager, arg);
    manager.assertWritable(connectionId, vscode.l10n.t('deleting an exchange'));
    const name = await nameOf(arg, vscode.l10n.t('Name of the exchange to delete'));
    if (name === '' || name.startsWith('amq.')) throw invalidInput('name', `"${name || '(AMQP default)'}" is a built-in exchange and cannot be deleted`);
    await confirmByName(arg, vscode.l10n.t('exchange'), name);
    await ops.deleteExchange(await session(connectionId, vhost, vscode.l10n.t('deleting an exchange')), name);
    await provider.refreshFolder(connectionId, vhost, 'exchanges');
  }

  async function purgeQueue(arg?: unknown): Promise<{ purged: number }> {
    const { connectionId, vhost } = await vhostScopeOf(manager, arg);
    manager.assertWritable(connectionId, vscode.l10n.t('purging a queue'));
    const name = await nameOf(arg, vscode.l10n.t('Name of the queue to purge'));
    const amqp = await session(connectionId, vhost, vscode.l10n.t('purging a queue'));
    const { messageCount } = await ops.checkQueue(amqp, name); // current count (NOT_FOUND when gone)
    if (!(isObject(arg) && arg.confirm === true)) {
      const purge = vscode.l10n.t('Purge');
      const choice = await vscode.window.showWarningMessage(
        vscode.l10n.t('Purge {0} ready message(s) from queue "{1}"? This cannot be undone.', messageCount, name),
        { modal: true },
        purge,
      );
      if (choice !== purge) throw cancelled();
    }
    const purged = await ops.purgeQueue(amqp, name);
    await provider.refreshFolder(connectionId, vhost, 'queues');
    return { purged };
  }

  async function bind(arg?: unknown): Promise<BindingSpec> {
    const { connectionId, vhost } = await vhostScopeOf(manager, arg);
    manager.assertWritable(connectionId, vscode.l10n.t('binding'));
    let spec: BindingSpec;
    if (isObject(arg)) {
      spec = arg as unknown as BindingSpec;
    } else {
      const title = vscode.l10n.t('Add a binding in {0}', vhost);
      let source: string | undefined;
      let destination: string | undefined;
      let destinationType: 'queue' | 'exchange' = 'queue';
      if (arg instanceof QueueNode) {
        destination = arg.name;
      } else if (arg instanceof ExchangeNode) {
        source = arg.name;
        const t = await vscode.window.showQuickPick([{ label: vscode.l10n.t('to a queue'), v: 'queue' as const }, { label: vscode.l10n.t('to an exchange'), v: 'exchange' as const }], { title });
        if (!t) throw cancelled();
        destinationType = t.v;
      }
      source ??= await vscode.window.showInputBox({ title, prompt: vscode.l10n.t('Source exchange') });
      if (!source) throw cancelled();
      destination ??= await vscode.window.showInputBox({ title, prompt: destinationType === 'queue' ? vscode.l10n.t('Destination queue') : vscode.l10n.t('Destination exchange') });
      if (!destination) throw cancelled();
      const routingKey = await vscode.window.showInputBox({ title, prompt: vscode.l10n.t('Routing key (binding key)') });
      if (routingKey === undefined) throw cancelled();
      spec = { source, destination, destinationType, routingKey };
    }
    await bindOrUnbind(await session(connectionId, vhost, vscode.l10n.t('binding')), spec, 'bind');
    await refreshBindings(connectionId, vhost, arg);
    return spec;
  }

  async function unbind(arg?: unknown): Promise<void> {
    const { connectionId, vhost } = await vhostScopeOf(manager, arg);
    manager.assertWritable(connectionId, vscode.l10n.t('removing a binding'));
    let spec: BindingSpec;
    if (arg instanceof BindingNode) {
      const r = arg.row;
      spec = { source: r.source, destination: r.destination, destinationType: r.destinationType, routingKey: r.routingKey, arguments: r.args as ops.AmqpTable | undefined };
    } else if (isObject(arg)) {
      spec = arg as unknown as BindingSpec;
    } else {
      throw invalidInput('binding', 'is missing', 'Run "Unbind" on a binding in the explorer.');
    }
    await bindOrUnbind(await session(connectionId, vhost, vscode.l10n.t('removing a binding')), spec, 'unbind');
    await refreshBindings(connectionId, vhost, arg instanceof BindingNode ? arg.owner : undefined);
  }

  async function bindOrUnbind(amqp: AmqpSession, spec: BindingSpec, what: 'bind' | 'unbind'): Promise<void> {
    if (spec.source === '') {
      throw invalidInput('source', what === 'bind' ? 'the default exchange cannot be bound explicitly' : 'the default exchange\'s binding cannot be removed', 'Every queue is bound to the default exchange by its name.');
    }
    const opts: ops.BindOptions = { source: spec.source, destination: spec.destination, routingKey: spec.routingKey, arguments: spec.arguments };
    if (spec.destinationType === 'queue') await (what === 'bind' ? ops.bindQueue : ops.unbindQueue)(amqp, opts);
    else if (spec.destinationType === 'exchange') await (what === 'bind' ? ops.bindExchange : ops.unbindExchange)(amqp, opts);
    else throw invalidInput('destinationType', `"${String(spec.destinationType)}" is not "queue" or "exchange"`);
  }

  async function refreshBindings(connectionId: string, vhost: string, node: unknown): Promise<void> {
    if (node instanceof QueueNode || node instanceof ExchangeNode) await provider.refresh(node);
    else await Promise.all([provider.refreshFolder(connectionId, vhost, 'queues'), provider.refreshFolder(connectionId, vhost, 'exchanges')]);
  }

  return [
    forgetting,
    registerCommand(Commands.declareQueue, declareQueue),
    registerCommand(Commands.declareExchange, declareExchange),
    registerCommand(Commands.deleteQueue, deleteQueue),
    registerCommand(Commands.deleteExchange, deleteExchange),
    registerCommand(Commands.purgeQueue, purgeQueue),
    registerCommand(Commands.bind, bind),
    registerCommand(Commands.unbind, unbind),
  ];
}
