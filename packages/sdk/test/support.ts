/**
 * What the SDK's integration tests share: a real Reins server on its own database, an org per
 * test, the transactions it recorded, and a switchable path to the server (a real outage:
 * connections refused while it is down).
 */
import { createServer, Socket, type Server } from 'node:net';
import { estimateCost, MICROS_PER_CENT } from '@reins/engine';
import type { TestServer } from '@reins/server/testing';

/** What `promise` rejected with, or null when it resolved. */
export const rejectionOf = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => null,
    (e: unknown) => e,
  );

export interface StoredTx {
  id: string;
  amount: number;
  amountMicros: number;
  vendor: string;
  model: string | null;
  agentId: string;
  userId: string | null;
  tokensIn: number;
  tokensOut: number;
  action: string;
  status: string;
  phase: string;
  metadata: Record<string, unknown>;
}

/** Every transaction of the org of `key`, oldest first. */
export async function transactionsOf(s: TestServer, key: string): Promise<StoredTx[]> {
  const res = await s.call<{ transactions: StoredTx[] }>(
    'GET',
    '/api/v1/transactions?limit=500',
    undefined,
    { key },
  );
  if (res.status !== 200) throw new Error(`list transactions: ${res.status} ${res.text}`);
  return [...res.body.transactions].reverse();
}

export async function createRule(s: TestServer, key: string, body: unknown): Promise<string> {
  const res = await s.call<{ id: string }>('POST', '/api/policy-rules', body, { key });
  if (res.status !== 201) throw new Error(`create rule: ${res.status} ${res.text}`);
  return res.body.id;
}

/** The cost the price table gives for this usage now, in microcents. */
export function priceOf(
  vendor: string,
  model: string,
  usage: { inputTokens: number; outputTokens: number; cacheReadTokens?: number },
): number {
  const est = estimateCost(vendor, model, usage, { at: Date.now() });
  if (!est.known) throw new Error(`no price for ${vendor}/${model}`);
  return est.costMicros;
}

export const cents = (micros: number): number => Math.ceil(micros / MICROS_PER_CENT);

/** A TCP relay to `target` that can be taken down (connections refused) and brought back. */
export interface Relay {
  url: string;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startRelay(target: string): Promise<Relay> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let listenPort = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const srv = createServer((client) => {
        const upstream = new Socket();
        sockets.add(client);
        sockets.add(upstream);
        upstream.connect(Number(port), hostname, () => {
          client.pipe(upstream).pipe(client);
        });
        const end = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', end).on('close', end);
        upstream.on('error', end).on('close', end);
      });
      srv.once('error', reject);
      srv.listen(listenPort, '127.0.0.1', () => {
        const addr = srv.address();
        if (addr && typeof addr === 'object') listenPort = addr.port;
        server = srv;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      sockets.clear();
      if (!server) {
        resolve();
        return;
      }
      server.close(() => {
        resolve();
      });
      server = null;
    });
  await listen();
  return {
    url: `http://127.0.0.1:${String(listenPort)}`,
    down: stop,
    up: listen,
    close: stop,
  };
}
