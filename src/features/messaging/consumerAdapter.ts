/**
 * The one place the consume panel talks to the core's consumer (src/core/consume.ts). Keeps the panel code
 * independent of the consumer's exact API.
 */
import { RabbitError } from '../../core/errors';
import type { DecodedMessage } from '../../core/message';
import { ConsumeSession } from '../../core/consume';
import type { AmqpSession } from '../../core/session';
import type { SettleAction } from './inspectorProtocol';
import { INSPECTOR_DECODE } from './inspectorModel';

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

/** Starts the core's ConsumeSession on `queue` and maps its events and settle calls for the panel. */
export async function openConsumer(session: AmqpSession, queue: string, prefetch: number, handlers: ConsumerHandlers): Promise<ConsumerHandle> {
  const cs = new ConsumeSession(session, { decode: INSPECTOR_DECODE });
  let ended = false;
  const end = (reason: ConsumerEnd, error?: RabbitError): void => {
    if (ended) return;
    ended = true;
    handlers.onEnd(reason, error);
  };
  cs.on('message', (m) => handlers.onMessage(m.decoded));
  cs.on('cancelled', (info) => {
    // Give the unacked ones back now, so the panel's "requeued" is true.
    void cs.stop().finally(() => end('cancelled', new RabbitError('CANCELLED', info.reason)));
  });
  cs.on('closed', (info) => {
    const timeout = info.error?.code === 'PRECONDITION_FAILED' && /acknowledg|ack timeout|timed out/i.test(info.error.message);
    end(timeout ? 'timeout' : 'closed', info.error);
  });
  await cs.start(queue, { prefetch });
  const tagOf = (m: DecodedMessage): number => {
    const tag = m.fields.deliveryTag;
    if (tag === undefined) throw new RabbitError('INVALID_INPUT', 'This message has no delivery tag (it was not delivered to this consumer).', { field: 'tag' });
    return tag;
  };
  return {
    get active() {
      return cs.active;
    },
    async settle(msgs, action) {
      const tags = msgs.map(tagOf);
      if (action === 'ack') cs.ack(tags);
      else {
        for (const t of tags) {
          if (action === 'nack') cs.nack(t, true);
          else cs.reject(t, false);
        }
      }
    },
    async stop() {
      await cs.stop();
      end('stopped');
    },
  };
}
