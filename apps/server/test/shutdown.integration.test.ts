/**
 * Graceful shutdown of a real server process (`src/main.ts`) under load: SIGTERM mid-load, every
 * 2xx answered (before or after the signal) has its transaction, the requests in flight at the
 * signal are finished, and the process exits 0. Its JSON log lines carry the request id and never
 * the API key. Needs a PostgreSQL server (the test reads the database after the process is gone).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, initOrm, testServerUrl, type TestDatabase } from '@reins/db';
import { ADMIN_KEY } from './harness.js';
import { spawnServer, type ServerProcess } from './processes.js';

const CLIENTS = 24;

describe.skipIf(!testServerUrl())('graceful shutdown', () => {
  let db: TestDatabase;
  let server: ServerProcess;

  beforeAll(async () => {
    db = await createTestDatabase('shutdown');
    server = await spawnServer({
      DATABASE_URL: db.url,
      REINS_BOOTSTRAP_KEY: ADMIN_KEY,
      REINS_RATE_LIMIT_RPS: '0',
      REINS_DB_POOL: '4',
      REINS_SHUTDOWN_TIMEOUT_MS: '15000',
      // Request logging (one line as a request arrives, one as it is answered).
      LOG_LEVEL: 'debug',
    });
  }, 300_000);

  afterAll(async () => {
    await server.stop();
    await db.drop();
  }, 300_000);

  it('SIGTERM mid-load: in-flight requests finish, every 2xx is recorded, exit 0', async () => {
    const exited = new Promise<number | null>((resolve) => {
      server.child.once('exit', (code) => {
        resolve(code);
      });
    });
    let signalledAt = Infinity;
    const answered: { id: string; startedAt: number; answeredAt: number }[] = [];
    const otherStatuses = new Map<number, number>();
    let failures = 0;
    let sent = 0;

    const client = async (n: number) => {
      for (let i = 0; ; i++) {
        const startedAt = performance.now();
        sent++;
        try {
          const res = await fetch(`${server.url}/api/v1/transactions`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${ADMIN_KEY}`,
              'content-type': 'application/json',
              'x-request-id': `load-${String(n)}-${String(i)}`,
            },
            body: JSON.stringify({
              amount: 1 + (i % 5),
              vendor: 'openai',
              model: 'gpt-4o',
              agentId: `agent-${String(n % 4)}`,
            }),
          });
          const body = (await res.json()) as { id?: string };
          if (res.status >= 200 && res.status < 300) {
            expect(typeof body.id).toBe('string');
            answered.push({ id: body.id ?? '', startedAt, answeredAt: performance.now() });
          } else {
            otherStatuses.set(res.status, (otherStatuses.get(res.status) ?? 0) + 1);
            // 503 while closing: the server no longer takes requests.
            if (res.status === 503) return;
          }
        } catch {
          // Refused or reset once the listener is closed: this client is done.
          failures++;
          return;
        }
      }
    };

    const loads = Array.from({ length: CLIENTS }, (_, n) => client(n));
    // Under way: some answered, many in flight.
    while (answered.length < 300) await new Promise((resolve) => setTimeout(resolve, 5));
    signalledAt = performance.now();
    server.child.kill('SIGTERM');
    await Promise.all(loads);
    const code = await exited;

    expect(code).toBe(0);
    // Every client ended by being turned away (a 503 or a refused connection), nothing else.
    expect([...otherStatuses.keys()].every((s) => s === 503)).toBe(true);
    expect((otherStatuses.get(503) ?? 0) + failures).toBe(CLIENTS);
    // Requests already sent when the signal came were answered, not dropped.
    const finishedAfterSignal = answered.filter(
      (a) => a.startedAt < signalledAt && a.answeredAt > signalledAt,
    );
    expect(finishedAfterSignal.length).toBeGreaterThan(0);

    // Every 2xx has its transaction, once.
    const orm = await initOrm(db.url, { maxConnections: 1 });
    try {
      const ids = answered.map((a) => a.id);
      expect(new Set(ids).size).toBe(ids.length);
      const rows: { n: number }[] = await orm.em
        .fork()
        .getConnection()
        .execute(
          `select count(*)::int as n from transaction_record
            where id in (select jsonb_array_elements_text(?::jsonb))`,
          [JSON.stringify(ids)],
          'all',
        );
      expect(rows[0]?.n).toBe(ids.length);
    } finally {
      await orm.close();
    }

    // The process said what it did, in JSON lines.
    const lines = server
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const msgs = lines.map((l) => l.msg);
    expect(msgs).toContain('shutting down: no new requests, finishing those in flight');
    expect(msgs).toContain('stopped');
    expect(msgs).not.toContain('shutdown timed out: exiting with work unfinished');
    expect(sent).toBeGreaterThan(answered.length);
  }, 120_000);

  it('logged every line of a request with its request id, and never the key', () => {
    const lines = server
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const requestLines = lines.filter((l) => l.req !== undefined || l.res !== undefined);
    expect(requestLines.length).toBeGreaterThan(600);
    for (const line of requestLines) expect(typeof line.reqId).toBe('string');
    // The client's ids were kept: a request's arrival and answer carry the same one.
    const first = requestLines.filter((l) => l.reqId === 'load-0-0');
    expect(first.map((l) => l.msg)).toEqual(['incoming request', 'request completed']);
    // The key is printed once, in the first-start banner (not a log line); no log line has it.
    const logged = server
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'));
    expect(logged.length).toBe(lines.length);
    for (const line of logged) expect(line).not.toContain(ADMIN_KEY.slice(-16));
  });
});
