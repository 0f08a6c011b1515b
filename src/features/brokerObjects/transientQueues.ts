/**
 * Transient queues that are not exclusive: deprecated since RabbitMQ 4.0 (`transient_nonexcl_queues`), and a
 * broker that denies the feature answers such a declare by closing the whole connection (541). Declare queue
 * never offers one silently: it warns where the broker still permits them, and refuses them, in the broker's
 * own words with the durable / exclusive alternative, once the broker has said it denies them.
 */
import * as vscode from 'vscode';
import { RabbitError } from '../../core/errors';
import type { DeclareQueueOptions } from '../../core/operations';

/** The broker's name of the deprecated feature. */
export const TRANSIENT_NONEXCL_FEATURE = 'transient_nonexcl_queues';

/** True for a classic queue declared neither durable nor exclusive (quorum queues and streams are always durable). */
export function isTransientNonExclusive(spec: DeclareQueueOptions): boolean {
  const classic = spec.type === undefined || spec.type === 'classic';
  return classic && spec.durable === false && spec.exclusive !== true;
}

/**
 * The broker's words when an error is its refusal of transient non-exclusive queues, else undefined. Looks at
 * the broker's text, the message and the causes (amqplib wraps the close frame: `… 541 (INTERNAL-ERROR) with
 * message "INTERNAL_ERROR - Feature `transient_nonexcl_queues` is deprecated. …"`).
 */
export function deniedTransientWords(error: unknown): string | undefined {
  let cur: unknown = error;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 6; depth++) {
    const e = cur as { brokerText?: unknown; message?: unknown; cause?: unknown };
    for (const t of [e.brokerText, e.message]) {
      if (typeof t === 'string' && t.includes(TRANSIENT_NONEXCL_FEATURE)) return brokerWords(t);
    }
    cur = e.cause;
  }
  return undefined;
}

function brokerWords(text: string): string {
  const framed = /with message "([\s\S]*)"\s*$/.exec(text);
  const reply = framed ? framed[1] : text;
  const at = reply.indexOf('Feature `');
  return (at >= 0 ? reply.slice(at) : reply.replace(/^[A-Z_]+ - /, '')).trim();
}

/** What to do instead, for messages and refusals. */
export function transientAlternative(): string {
  return vscode.l10n.t('Declare it durable (durable: true), or exclusive (exclusive: true) if only the connection that declares it uses it: an exclusive queue is deleted when that connection closes.');
}

/** The refusal once the broker has said it denies transient non-exclusive queues (INVALID_INPUT naming durable). */
export function deniedTransientError(queue: string, words: string, cause?: unknown): RabbitError {
  return new RabbitError('INVALID_INPUT', vscode.l10n.t('durable: the broker refuses the transient, non-exclusive queue "{0}". It said: {1}', queue, words), {
    field: 'durable',
    hint: transientAlternative(),
    brokerText: words,
    replyCode: 541,
    ...(cause !== undefined ? { cause } : {}),
  });
}

/** The warning where the broker still permits them (RabbitMQ 3.x, or 4.x permitting the deprecated feature). */
export function transientWarning(queue: string): string {
  return vscode.l10n.t('Queue "{0}" is transient and not exclusive: RabbitMQ 4 deprecates such queues, and a broker that denies them closes the whole connection instead of declaring one.', queue);
}

/**
 * Per connection: what its broker said when it refused a transient non-exclusive queue. Forgotten when the
 * connection is disconnected or edited (the broker's configuration may have changed by then).
 */
export class TransientQueuePolicy {
  private readonly denied = new Map<string, string>();

  deniedBy(connectionId: string): string | undefined {
    return this.denied.get(connectionId);
  }

  remember(connectionId: string, words: string): void {
    this.denied.set(connectionId, words);
  }

  forget(connectionId: string): void {
    this.denied.delete(connectionId);
  }
}
