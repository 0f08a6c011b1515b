/**
 * Creates many queues fast over AMQP (amqplib, noDelay, several channels, parallel batches) for scale
 * tests and the benchmark. Queues are durable classic queues (brokers may deny transient non-exclusive ones);
 * deleting the vhost removes them.
 */
import * as amqp from 'amqplib';

export async function createQueues(amqpUrl: string, names: string[], channels = 8, batch = 250): Promise<void> {
  const conn = await amqp.connect(amqpUrl, { noDelay: true });
  conn.on('error', () => undefined);
  try {
    const chans = await Promise.all(Array.from({ length: channels }, () => conn.createChannel()));
    for (const ch of chans) ch.on('error', () => undefined);
    let next = 0;
    await Promise.all(
      chans.map(async (ch) => {
        while (next < names.length) {
          const slice = names.slice(next, (next += batch));
          await Promise.all(slice.map((n) => ch.assertQueue(n, { durable: true })));
        }
      }),
    );
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/** q-00000 … q-09999 style names, sorted as the broker sorts them. */
export function queueNames(count: number, prefix = 'q-'): string[] {
  const width = String(count - 1).length + 1;
  return Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(width, '0')}`);
}
