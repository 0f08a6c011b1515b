/**
 * A plain amqplib RPC server (an independent implementation of the pattern, not our core): consumes `queue`
 * and answers each request at its reply_to with the same correlation id. Shared by the core RPC tests and the
 * benchmarks' raw baselines.
 */
import type * as amqp from 'amqplib';

export interface RawRpcServerOptions {
  prefetch?: number;
  /**
   * Answers one request: `send(body)` replies (and acks). Default: echo the body with its content type.
   * May reply later, or send extra messages on `ch` first.
   */
  respond?: (m: amqp.ConsumeMessage, send: (body: Buffer, props?: amqp.Options.Publish) => void, ch: amqp.Channel) => void;
}

export async function startRawRpcServer(conn: amqp.ChannelModel, queue: string, opts: RawRpcServerOptions = {}): Promise<amqp.Channel> {
  const ch = await conn.createChannel();
  ch.on('error', () => undefined);
  // Durable: brokers that deny transient non-exclusive queues (RabbitMQ 4 option) close the connection otherwise.
  await ch.assertQueue(queue, { durable: true });
  await ch.prefetch(opts.prefetch ?? 1);
  const respond = opts.respond ?? ((m, send) => send(m.content, { contentType: m.properties.contentType }));
  await ch.consume(queue, (m) => {
    if (!m) return;
    respond(
      m,
      (body, props) => {
        ch.sendToQueue(String(m.properties.replyTo), body, { ...props, correlationId: m.properties.correlationId });
        ch.ack(m);
      },
      ch,
    );
  });
  return ch;
}
