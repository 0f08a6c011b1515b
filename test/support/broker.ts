/**
 * Test fixture for the real broker: each suite gets a fresh vhost (created and deleted through the
 * management API), so tests can share the broker with anything else running on it.
 */
import { randomBytes } from 'node:crypto';
import * as amqp from 'amqplib';

export const AMQP_HOST = process.env.RABBITMQ_HOST ?? '127.0.0.1';
export const AMQP_PORT = Number(process.env.RABBITMQ_PORT ?? 5672);
export const MGMT_URL = process.env.RABBITMQ_MGMT_URL ?? `http://${AMQP_HOST}:15672`;
export const USER = process.env.RABBITMQ_USER ?? 'guest';
export const PASSWORD = process.env.RABBITMQ_PASSWORD ?? 'guest';

const auth = 'Basic ' + Buffer.from(`${USER}:${PASSWORD}`).toString('base64');

export async function mgmt(method: string, path: string, body?: unknown): Promise<Response> {
  const res = await fetch(`${MGMT_URL}/api${path}`, {
    method,
    headers: { authorization: auth, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok && !(method === 'DELETE' && res.status === 404)) {
    throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  }
  return res;
}

export interface TestVhost {
  name: string;
  /** amqp URL with credentials for raw amqplib use in tests. */
  amqpUrl: string;
  /** amqp URL without the password (what a profile stores). */
  profileUrl: string;
  delete(): Promise<void>;
}

/** Creates `wb-test-<prefix>-<random>` with full permissions for the test user. */
export async function createTestVhost(prefix: string): Promise<TestVhost> {
  const name = `wb-test-${prefix}-${randomBytes(4).toString('hex')}`;
  const v = encodeURIComponent(name);
  await mgmt('PUT', `/vhosts/${v}`, {});
  await mgmt('PUT', `/permissions/${v}/${encodeURIComponent(USER)}`, { configure: '.*', write: '.*', read: '.*' });
  return {
    name,
    amqpUrl: `amqp://${encodeURIComponent(USER)}:${encodeURIComponent(PASSWORD)}@${AMQP_HOST}:${AMQP_PORT}/${v}`,
    profileUrl: `amqp://${encodeURIComponent(USER)}@${AMQP_HOST}:${AMQP_PORT}/${v}`,
    delete: async () => { await mgmt('DELETE', `/vhosts/${v}`); },
  };
}

let deniesTransient: Promise<boolean> | undefined;

/**
 * Whether the broker refuses transient (non-durable) queues that are not exclusive: RabbitMQ 4.x with the deprecated
 * feature transient_nonexcl_queues denied closes the connection with 541. Found out once per run with plain amqplib
 * on a throw-away connection in the given vhost (the probe queue is deleted again), independently of our code.
 */
export function brokerDeniesTransientQueues(vhost: TestVhost): Promise<boolean> {
  deniesTransient ??= (async () => {
    const conn = await amqp.connect(vhost.amqpUrl);
    let closedWith: number | undefined;
    conn.on('error', (e: { code?: unknown }) => {
      if (typeof e.code === 'number') closedWith = e.code;
    });
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    const probe = `wb-probe-transient-${randomBytes(4).toString('hex')}`;
    try {
      await ch.assertQueue(probe, { durable: false, exclusive: false });
      await ch.deleteQueue(probe);
      await conn.close();
      return false;
    } catch (e) {
      await new Promise((r) => setImmediate(r));
      if (closedWith === 541) return true;
      await conn.close().catch(() => undefined);
      throw e;
    }
  })();
  return deniesTransient;
}
