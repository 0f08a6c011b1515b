/**
 * Transient queues that are not exclusive: deprecated since RabbitMQ 4.0 (`transient_nonexcl_queues`), and a
 * broker that denies the feature answers such a declare by closing the whole connection (541). Declare queue
 * never offers one silently: the page asks first, core's declare warns where the broker still permits them
 * and reports the broker's words where it refuses them; the refusal is remembered per connection here
 * (the declare runs on a session of its own, whose memory ends with it).
 */
import * as vscode from 'vscode';
import { deprecatedFeatureAlternative, deprecatedFeatureOf } from '../../core/amqpErrors';
import { isRabbitError, RabbitError } from '../../core/errors';
import { queueArguments, TRANSIENT_NONEXCL_QUEUES, type DeclareQueueOptions } from '../../core/operations';

/** True for a queue declared neither durable nor exclusive (quorum queues and streams are always durable). */
export function isTransientNonExclusive(spec: DeclareQueueOptions): boolean {
  const { options } = queueArguments(spec);
  return options.durable === false && options.exclusive !== true;
}

/** The broker's words when an error is its refusal of transient non-exclusive queues, else undefined. */
export function deniedTransientWords(error: unknown): string | undefined {
  if (!isRabbitError(error, 'DEPRECATED_FEATURE') || !error.brokerText) return undefined;
  return deprecatedFeatureOf(error.brokerText) === TRANSIENT_NONEXCL_QUEUES ? error.brokerText.replace(/^[A-Z_]+ - /, '') : undefined;
}

/** The refusal in the broker's words, naming the field (the shape of core's refusal before sending). */
export function deniedTransientError(queue: string, words: string, cause?: unknown): RabbitError {
  return new RabbitError('DEPRECATED_FEATURE', `Could not declare queue "${queue}": the broker refuses transient queues that are not exclusive (it closed the connection with 541: ${words})`, {
    replyCode: 541,
    brokerText: words,
    field: 'durable',
    hint: deprecatedFeatureAlternative(TRANSIENT_NONEXCL_QUEUES),
    ...(cause !== undefined ? { cause } : {}),
  });
}

/** The page's question before a transient classic queue is declared (the broker may still permit them). */
export function transientQuestion(queue: string): string {
  return vscode.l10n.t('Queue "{0}" is transient and not exclusive: RabbitMQ 4 deprecates such queues, and a broker that denies them closes the whole connection instead of declaring one.', queue);
}

/** The page's question once the broker has refused them, in the broker's words. */
export function deniedQuestion(queue: string, words: string): string {
  return vscode.l10n.t('The broker refuses transient queues that are not exclusive, so "{0}" cannot be declared transient. It said: {1}', queue, words);
}

/** What to do instead, in the page. */
export function transientAlternative(): string {
  return vscode.l10n.t('Declare it durable (it survives a restart), or exclusive if only the connection that declares it uses it (it is deleted when that connection closes).');
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
