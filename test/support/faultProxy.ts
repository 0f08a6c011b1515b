/**
 * A TCP proxy between our client and the broker that the tests control, so faults hit only our own
 * connections (the shared broker is never stopped or reconfigured):
 * - cut(): both sockets destroyed (a network cut / a killed peer);
 * - stall() / resume(): sockets stay open, nothing is forwarded either way (a hung link);
 * - slow(ms): every chunk is held back ms before it is forwarded (a slow link), slow(0) ends it;
 * - halfClose(): the client gets a FIN while the broker side stays open;
 * - refuse(true): new connections are closed at once (a broker that is down), refuse(false) ends it;
 * - block(reason) / unblock(): what a broker under a memory or disk alarm does to a publishing connection:
 *   it sends connection.blocked and stops reading the client's socket, then connection.unblocked.
 *   The frames are written between whole frames of the broker's stream (the proxy follows frame boundaries).
 */
import * as net from 'node:net';

export interface FaultProxy {
  port: number;
  /** Open client connections. */
  connections(): number;
  cut(): void;
  stall(): void;
  resume(): void;
  slow(delayMs: number): void;
  halfClose(): void;
  refuse(on: boolean): void;
  /** Connections accepted so far (refused ones included). */
  accepted(): number;
  block(reason: string): void;
  unblock(): void;
  close(): Promise<void>;
}

const FRAME_END = 0xce;

/** An AMQP 0-9-1 method frame on channel 0 (class 10 = connection). */
function connectionMethodFrame(methodId: number, args: Buffer): Buffer {
  const payload = Buffer.concat([Buffer.from([0, 10, methodId >> 8, methodId & 0xff]), args]);
  const header = Buffer.alloc(7);
  header.writeUInt8(1, 0); // method frame
  header.writeUInt16BE(0, 1);
  header.writeUInt32BE(payload.length, 3);
  return Buffer.concat([header, payload, Buffer.from([FRAME_END])]);
}

export function blockedFrame(reason: string): Buffer {
  const r = Buffer.from(reason, 'utf8').subarray(0, 255);
  return connectionMethodFrame(60, Buffer.concat([Buffer.from([r.length]), r]));
}

export function unblockedFrame(): Buffer {
  return connectionMethodFrame(61, Buffer.alloc(0));
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  /** Broker → client bytes not yet forwarded because they do not end a whole frame. */
  partial: Buffer;
  /** Client → broker bytes held while blocked or stalled. */
  heldUp: Buffer[];
  heldDown: Buffer[];
}

export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  const pairs = new Set<Pair>();
  let stalled = false;
  let blocked = false;
  let delayMs = 0;
  let refusing = false;
  let acceptedCount = 0;

  const later = (fn: () => void): void => {
    if (delayMs > 0) setTimeout(fn, delayMs);
    else fn();
  };

  /** Whole frames from the broker's stream; the rest waits for more bytes. */
  const wholeFrames = (pair: Pair, chunk: Buffer): Buffer => {
    const buf = pair.partial.length ? Buffer.concat([pair.partial, chunk]) : chunk;
    let at = 0;
    while (buf.length - at >= 7) {
      const size = buf.readUInt32BE(at + 3);
      if (buf.length - at < 8 + size) break;
      at += 8 + size;
    }
    pair.partial = buf.subarray(at);
    return buf.subarray(0, at);
  };

  const server = net.createServer((client) => {
    acceptedCount++;
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    const pair: Pair = { client, upstream, partial: Buffer.alloc(0), heldUp: [], heldDown: [] };
    pairs.add(pair);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    // Client → broker bytes (the protocol header first) are forwarded as they come.
    client.on('data', (d: Buffer) => {
      if (stalled || blocked) {
        pair.heldUp.push(d);
        return;
      }
      later(() => upstream.write(d));
    });
    upstream.on('data', (d: Buffer) => {
      const frames = wholeFrames(pair, d);
      if (frames.length === 0) return;
      if (stalled) {
        pair.heldDown.push(frames);
        return;
      }
      later(() => client.write(frames));
    });
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

  const flush = (): void => {
    for (const p of pairs) {
      if (!blocked) for (const d of p.heldUp.splice(0)) p.upstream.write(d);
      for (const d of p.heldDown.splice(0)) p.client.write(d);
    }
  };

  return {
    port,
    connections: () => pairs.size,
    cut: () => {
      for (const p of [...pairs]) {
        p.client.destroy();
        p.upstream.destroy();
      }
      pairs.clear();
    },
    stall: () => {
      stalled = true;
    },
    resume: () => {
      stalled = false;
      flush();
    },
    slow: (ms: number) => {
      delayMs = ms;
    },
    refuse: (on: boolean) => {
      refusing = on;
    },
    accepted: () => acceptedCount,
    halfClose: () => {
      for (const p of pairs) p.client.end();
    },
    block: (reason: string) => {
      blocked = true;
      for (const p of pairs) p.client.write(blockedFrame(reason));
    },
    unblock: () => {
      blocked = false;
      for (const p of pairs) p.client.write(unblockedFrame());
      flush();
    },
    close: async () => {
      for (const p of [...pairs]) {
        p.client.destroy();
        p.upstream.destroy();
      }
      pairs.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
