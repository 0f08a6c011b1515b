/**
 * rabbitmq.tap / rabbitmq.stopTap: copies of the messages passing through an exchange, streamed live into
 * the message inspector. The tap owns a temporary exclusive auto-delete queue (src/core/tap.ts); stopping
 * (the command, closing the inspector, disconnecting, deactivation) deletes it with its bindings.
 */
import * as vscode from 'vscode';
import type { ConnectionManager } from '../connections/connectionManager';
import { invalidInput, RabbitError } from '../../core/errors';
import { parseJsonObject } from '../../core/json';
import type { DecodedMessage } from '../../core/message';
import { startTap, type TapHandle } from '../../core/tap';
import { cancelled, isObject, isVhostScoped, vhostScopeOf } from '../../platform/pickers';
import { INSPECTOR_DECODE } from '../messaging/inspectorModel';
import { logger } from '../../platform/log';
import { InspectorPanel, type InspectorController } from '../messaging/inspectorPanel';

const log = logger('tap');

/** The inspector keeps at most this many tapped messages (the tap goes on; the count is shown). */
export const TAP_DISPLAY_LIMIT = 5000;

export interface TapArgs {
  connectionId?: string;
  vhost?: string;
  exchange?: string;
  /** direct / plugin types: keys to copy (default: the keys the exchange's bindings use). topic: default ['#']. */
  routingKeys?: string[];
  /** headers: match any of these (default {}: every message). */
  headers?: Record<string, unknown>;
}

/** One running tap: its queue, its inspector and how to stop it. */
export interface TapSession {
  readonly id: number;
  readonly connectionId: string;
  readonly vhost: string;
  readonly exchange: string;
  readonly queue: string;
  readonly handle: TapHandle;
  readonly panel: InspectorPanel;
  stop(): Promise<void>;
}

export class TapRegistry implements vscode.Disposable {
  private readonly taps = new Map<number, TapSession>();
  private seq = 0;

  constructor(
    private readonly manager: ConnectionManager,
    private readonly extensionUri: vscode.Uri,
  ) {}

  /** Running taps. */
  get active(): TapSession[] {
    return [...this.taps.values()];
  }

  /** rabbitmq.tap */
  async startCommand(arg?: unknown): Promise<TapSession> {
    const args: TapArgs = isObject(arg) ? (arg as TapArgs) : {};
    const { connectionId, vhost } = isObject(arg) && typeof args.connectionId === 'string' && typeof args.vhost === 'string'
      ? { connectionId: args.connectionId, vhost: args.vhost }
      : await vhostScopeOf(this.manager, isVhostScoped(arg) ? arg : isObject(arg) ? arg : undefined);
    const nodeExchange = isVhostScoped(arg) && 'isDefault' in arg ? (arg as unknown as { name: string }).name : undefined;
    const interactive = !isObject(arg);
    if (args.exchange !== undefined && typeof args.exchange !== 'string') throw invalidInput('exchange', 'must be a string');
    if (args.routingKeys !== undefined && (!Array.isArray(args.routingKeys) || args.routingKeys.some((k) => typeof k !== 'string'))) throw invalidInput('routingKeys', 'must be an array of strings');
    if (args.headers !== undefined && (args.headers === null || typeof args.headers !== 'object' || Array.isArray(args.headers))) throw invalidInput('headers', 'must be an object of header names to values');
    assertCanTap(this.manager, connectionId);
    const client = await this.manager.management(connectionId);
    let exchange = args.exchange ?? nodeExchange;
    if (exchange === undefined) {
      if (!interactive) throw invalidInput('exchange', 'is missing', 'Pass { exchange }.');
      const page = await client.listExchanges(vhost, { pageSize: 500, stats: false, sort: 'name' });
      const picked = await vscode.window.showQuickPick(
        page.items.filter((x) => x.name !== '').map((x) => ({ label: x.name, description: x.type, name: x.name })),
        { title: vscode.l10n.t('Tap an exchange'), placeHolder: vscode.l10n.t('Exchange whose messages to copy') },
      );
      if (!picked) throw cancelled();
      exchange = picked.name;
    }
    if (exchange === '') throw invalidInput('exchange', 'is the default exchange, which cannot be bound', vscode.l10n.t('Tap a named exchange, or peek the queue instead.'));
    const info = await client.getExchange(vhost, exchange);
    let routingKeys = args.routingKeys;
    let headers = args.headers;
    if (info.type === 'direct' || !['fanout', 'topic', 'headers'].includes(info.type)) {
      if (!routingKeys) {
        const used = [...new Set((await client.exchangeBindings(vhost, exchange, 'source')).map((b) => b.routingKey))].sort();
        if (interactive) {
          const text = await vscode.window.showInputBox({
            title: vscode.l10n.t('Tap {0}', exchange),
            prompt: vscode.l10n.t('Routing keys to copy, separated by commas (a direct exchange routes by exact key)'),
            value: used.join(', '),
            ignoreFocusOut: true,
            validateInput: (v) => (v.split(',').map((k) => k.trim()).filter(Boolean).length === 0 ? vscode.l10n.t('Enter at least one routing key.') : undefined),
          });
          if (text === undefined) throw cancelled();
          routingKeys = text.split(',').map((k) => k.trim()).filter(Boolean);
        } else {
          routingKeys = used;
        }
        if (routingKeys.length === 0) throw invalidInput('routingKeys', `are needed: "${exchange}" has no bindings to copy keys from`, 'Pass { routingKeys }.');
      }
    } else if (info.type === 'headers' && headers === undefined && interactive) {
      const text = await vscode.window.showInputBox({
        title: vscode.l10n.t('Tap {0}', exchange),
        prompt: vscode.l10n.t('Copy messages having any of these headers (JSON object); leave empty to copy every message'),
        placeHolder: '{"format": "pdf"}',
        ignoreFocusOut: true,
      });
      if (text === undefined) throw cancelled();
      headers = parseJsonObject('headers', text, '{"format": "pdf"}');
    }
    return this.start(connectionId, vhost, exchange, info.type, routingKeys, headers);
  }

  /** Starts a tap and opens its inspector. */
  async start(connectionId: string, vhost: string, exchange: string, exchangeType: string, routingKeys?: string[], headers?: Record<string, unknown>): Promise<TapSession> {
    const session = await this.manager.session(connectionId, vhost);
    const profile = this.manager.profile(connectionId);
    const ui: { panel?: InspectorPanel; shown: number; dropped: number } = { shown: 0, dropped: 0 };
    const pending: DecodedMessage[] = [];
    const id = ++this.seq;
    const status = (extra?: string) =>
      ui.panel?.status('info', `${vscode.l10n.t('Tapping {0}: {1} message(s) copied.', exchange, handleRef.h?.count ?? 0)}${extra ? ` ${extra}` : ''}`, handleRef.h?.active ?? false);
    const handleRef: { h?: TapHandle } = {};
    const management = await this.manager.management(connectionId);
    const handle = await startTap(session, { vhost, exchange, management, routingKeys, headers, decode: INSPECTOR_DECODE }, {
      onMessage: (m) => {
        if (!ui.panel) {
          pending.push(m);
          return;
        }
        if (ui.shown >= TAP_DISPLAY_LIMIT) {
          ui.dropped++;
          if (ui.dropped === 1) status(vscode.l10n.t('Only the first {0} are shown.', TAP_DISPLAY_LIMIT));
          return;
        }
        ui.shown++;
        ui.panel.append(m);
      },
      onEnd: (reason, error) => {
        log.info(`tap ${handle.queue} on ${exchange} ended (${reason})`);
        this.taps.delete(id);
        if (ui.panel) {
          ui.panel.status(reason === 'stopped' ? 'info' : 'error', reason === 'stopped' ? vscode.l10n.t('Tap stopped: its queue and bindings were deleted ({0} message(s) copied).', handle.count) : vscode.l10n.t('The tap ended: {0}', error?.message ?? reason), false);
        }
      },
    });
    handleRef.h = handle;
    // Forgotten at once (not when the broker confirmed), so a second stop does not find a tap being stopped.
    const stop = async () => {
      this.taps.delete(id);
      await handle.stop();
    };
    log.info(`tap on ${exchange} (${exchangeType}) in ${vhost}: queue ${handle.queue}, bindings ${JSON.stringify(handle.bindings)}`);
    const keys = handle.bindings.map((b) => (b.arguments ? JSON.stringify(b.arguments) : b.routingKey === '' ? '""' : b.routingKey)).join(', ');
    const controller: InspectorController = {
      mode: 'view',
      source: { connectionName: profile.name, vhost, label: vscode.l10n.t('Tap on exchange {0}', exchange) },
      notices: [
        vscode.l10n.t('Live copies of the messages passing through "{0}" ({1}), from the temporary queue {2}. Other consumers still get every message.', exchange, keys, handle.queue),
        vscode.l10n.t('Closing this panel (or "RabbitMQ: Stop Tap") deletes the temporary queue and its bindings.'),
      ],
      canPublish: false,
      dispose: () => stop(),
    };
    let panel: InspectorPanel;
    try {
      panel = new InspectorPanel(this.extensionUri, vscode.l10n.t('Tap: {0}', exchange), controller);
    } catch (e) {
      await handle.stop();
      throw e;
    }
    ui.panel = panel;
    status();
    for (const m of pending.splice(0)) {
      ui.shown++;
      panel.append(m);
    }
    const tap: TapSession = {
      id, connectionId, vhost, exchange, queue: handle.queue, handle, panel,
      stop,
    };
    this.taps.set(id, tap);
    return tap;
  }

  /** rabbitmq.stopTap: { queue } or { exchange } or the only/picked running tap. Resolves the stopped taps' queues. */
  async stopCommand(arg?: unknown): Promise<string[]> {
    let list = this.active;
    if (isObject(arg)) {
      const a = arg as { queue?: unknown; exchange?: unknown; all?: unknown };
      if (a.all === true) {
        // every tap
      } else if (typeof a.queue === 'string') list = list.filter((t) => t.queue === a.queue);
      else if (typeof a.exchange === 'string') list = list.filter((t) => t.exchange === a.exchange);
      else throw invalidInput('queue', 'is missing', 'Pass { queue }, { exchange } or { all: true }.');
    } else if (isVhostScoped(arg) && 'isDefault' in arg) {
      const name = (arg as unknown as { name: string }).name;
      list = list.filter((t) => t.exchange === name && t.connectionId === arg.connectionId && t.vhost === arg.vhost);
    } else if (list.length > 1) {
      const picked = await vscode.window.showQuickPick(
        list.map((t) => ({ label: t.exchange, description: `${t.vhost} · ${t.queue} · ${vscode.l10n.t('{0} message(s) copied', t.handle.count)}`, tap: t })),
        { title: vscode.l10n.t('Stop a tap'), canPickMany: true },
      );
      if (!picked || picked.length === 0) throw cancelled();
      list = picked.map((p) => p.tap);
    }
    if (list.length === 0) throw new RabbitError('NOT_FOUND', vscode.l10n.t('No tap is running.'), { hint: vscode.l10n.t('Start one with "RabbitMQ: Tap Exchange (Live Copies)".') });
    await Promise.all(list.map((t) => t.stop()));
    return list.map((t) => t.queue);
  }

  /** Deactivation / window close: stop every tap (best effort; the exclusive queues also die with the connection). */
  dispose(): void {
    for (const t of this.active) void t.stop().catch(() => undefined);
  }
}

function assertCanTap(manager: ConnectionManager, connectionId: string): void {
  manager.assertWritable(connectionId, vscode.l10n.t('tapping an exchange (it declares a temporary queue)'));
}
