/** Helpers for AMQP core tests: a session on a test vhost, and a TCP proxy that can cut connections. */
import * as net from 'node:net';
import { AmqpSession, type AmqpSessionOptions } from '../../src/core/session';
import { resolveProfile } from '../../src/core/profile';
import { AMQP_HOST, AMQP_PORT, PASSWORD, USER, type TestVhost } from './broker';

export function sessionFor(vhost: TestVhost | string, options?: AmqpSessionOptions, port = AMQP_PORT): AmqpSession {
  const name = typeof vhost === 'string' ? vhost : vhost.name;
  const resolved = resolveProfile({
    id: 'test',
    name: 'test',
    amqpUrl: `amqp://${encodeURIComponent(USER)}@${AMQP_HOST}:${port}/${encodeURIComponent(name)}`,
  });
  return new AmqpSession(resolved, { username: USER, password: PASSWORD }, options);
}

/** A TCP proxy to the broker; `cut()` destroys every open client/upstream socket pair. */
export interface CuttableProxy {
  port: number;
  connections(): number;
  cut(): void;
  close(): Promise<void>;
}

export interface ProxyOptions {
  /**
   * Forward broker → client data in pieces of at most this many bytes, one piece per event-loop turn. The client
   * (in this process) is then never more than about one piece ahead of what it has handled, so a cut made while it
   * handles a delivery reliably lands before the deliveries that follow (without it, the whole rest may already
   * sit in the client's socket buffer and be handled before the cut is seen).
   */
  trickleBytes?: number;
}

export async function startProxy(opts: ProxyOptions = {}): Promise<CuttableProxy> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  const server = net.createServer((client) => {
    const upstream = net.connect(AMQP_PORT, AMQP_HOST);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.pipe(upstream);
    const piece = opts.trickleBytes;
    if (piece === undefined) upstream.pipe(client);
    else {
      const pending: Buffer[] = [];
      let scheduled = false;
      const forwardOne = (): void => {
        scheduled = false;
        if (client.destroyed || pending.length === 0) return;
        const head = pending[0];
        if (head.length > piece) pending[0] = head.subarray(piece);
        else pending.shift();
        client.write(head.subarray(0, piece));
        if (pending.length > 0) schedule();
      };
      const schedule = (): void => {
        if (scheduled) return;
        scheduled = true;
        setImmediate(forwardOne);
      };
      upstream.on('data', (d: Buffer) => {
        pending.push(d);
        schedule();
      });
    }
    const done = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', done);
    upstream.on('error', done);
    client.on('close', done);
    upstream.on('close', done);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    connections: () => pairs.size,
    cut: () => {
      for (const [a, b] of [...pairs]) {
        a.destroy();
        b.destroy();
      }
      pairs.clear();
    },
    close: async () => {
      for (const [a, b] of [...pairs]) {
        a.destroy();
        b.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function waitFor<T>(register: (resolve: (v: T) => void) => void, timeoutMs = 10_000, what = 'event'): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
    register((v) => {
      clearTimeout(t);
      resolve(v);
    });
  });
}
