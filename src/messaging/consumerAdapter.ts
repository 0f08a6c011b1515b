/**
 * The one place the consume panel talks to the core's consumer (src/core/consume.ts). Keeps the panel code
 * independent of the consumer's exact API.
 */
import { RabbitError } from '../core/errors';
import type { DecodedMessage } from '../core/message';
import type { AmqpSession } from '../core/session';
import type { SettleAction } from '../webviews/protocol/inspector';

export type ConsumerEnd = 'stopped' | 'cancelled' | 'timeout' | 'closed';

export interface ConsumerHandlers {
  onMessage(m: DecodedMessage): void;
  /** Called once when the consumer ends, for whatever reason. */
  onEnd(reason: ConsumerEnd, error?: RabbitError): void;
}

export interface ConsumerHandle {
  readonly active: boolean;
  settle(msgs: DecodedMessage[], action: SettleAction): Promise<void>;
  /** Stops; unacked messages go back to the queue. */
  stop(): Promise<void>;
}

export async function openConsumer(_session: AmqpSession, _queue: string, _prefetch: number, _handlers: ConsumerHandlers): Promise<ConsumerHandle> {
  throw new RabbitError('CHANNEL_CLOSED', 'Interactive consume needs src/core/consume.ts, which is not there yet.');
}
