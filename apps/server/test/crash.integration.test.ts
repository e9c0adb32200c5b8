/**
 * Issue 18, crash safety: a server killed with SIGKILL under load and started again, and the
 * database cut away under load (a PostgreSQL restart, as the server sees it). Clients retry what
 * got no answer — or a 5xx — with the same idempotency key, on any server. Afterwards every answer
 * a client got has its transaction (the same id) and that transaction its audit event, nothing
 * was recorded twice, and every window counter equals the ledger. (A worker killed mid-delivery:
 * apps/worker/src/notify.integration.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, initOrm, testServerUrl, type Orm, type TestDatabase } from '@reins/db';
import { countersAndLedger } from './counts.js';
import { ADMIN_KEY, request } from './harness.js';
import { postWithRetries, spawnServer, sqlOn, type ServerProcess } from './processes.js';
import { Relay } from './relay.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Answer {
  key: string;
  status: number;
  id: string | null;
}

describe.skipIf(!testServerUrl())('crashes under load', () => {
  let db: TestDatabase;
  let relay: Relay;
  let relayedUrl = '';
  let orm: Orm;
  let orgId = '';
  const env = (url: string) => ({
    DATABASE_URL: url,
    REINS_BOOTSTRAP_KEY: ADMIN_KEY,
    REINS_RATE_LIMIT_RPS: '0',
    REINS_DB_POOL: '4',
  });

  beforeAll(async () => {
    db = await createTestDatabase('crash');
    const url = new URL(db.url);
    relay = new Relay({ host: url.hostname, port: Number(url.port || 5432) });
    await relay.up();
    url.hostname = '127.0.0.1';
    url.port = String(relay.port);
    relayedUrl = url.toString();
    orm = await initOrm(db.url, { maxConnections: 2 });
    // One server to migrate, bootstrap and hold the rules; stopped before the tests run theirs.
    const first = await spawnServer(env(db.url));
    const cap = await request<Record<string, unknown>>(first.url, 'POST', '/api/policy-rules', {
      name: 'Crash agents: $20 a day each',
      priority: 10,
      conditions: { agentIds: ['crash-*'], timeWindow: 'daily' },
      action: 'block',
      actionConfig: { limitCents: 2000, per: 'agent' },
    });
    expect(cap.status).toBe(201);
    await first.stop();
    const [row] = await sql<{ id: string }>('select id from organization limit 1');
    orgId = row?.id ?? '';
  }, 300_000);

  afterAll(async () => {
    await orm.close();
    await relay.down();
    await db.drop();
  }, 300_000);

  function sql<T = Record<string, string>>(q: string, p: unknown[] = []): Promise<T[]> {
    return sqlOn(orm)<T>(q, p);
  }

  /**
   * `clients` clients each sending `perClient` requests (transactions, and reservations settled
   * at once), to the servers `targets()` names at the time. A request that gets no answer or a
   * 5xx is sent again with its key, to the next server, until it is answered.
   */
  async function load(
    prefix: string,
    clients: number,
    perClient: number,
    targets: () => ServerProcess[],
    answers: Answer[] = [],
  ): Promise<{ answers: Answer[]; retried: number }> {
    let retried = 0;
    const send = (path: string, body: unknown, key: string, start: number) =>
      postWithRetries(targets, path, body, key, {
        attempts: 200,
        delayMs: () => 100,
        start,
        onRetry: () => (retried += 1),
      });
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        for (let i = 0; i < perClient; i++) {
          const key = `${prefix}-${String(c)}-${String(i)}`;
          const reserve = i % 3 === 2;
          const res = await send(
            '/api/v1/transactions',
            {
              amount: 5 + ((c * 31 + i * 7) % 60),
              vendor: 'openai',
              agentId: `crash-${prefix}-${String(c % 4)}`,
              ...(reserve ? { phase: 'reserve' } : {}),
            },
            key,
            c + i,
          );
          const id = typeof res.body.id === 'string' ? res.body.id : null;
          answers.push({ key, status: res.status, id });
          if (reserve && res.status === 202 && id !== null) {
            const settled = await send(
              `/api/v1/transactions/${id}/settle`,
              { amount: 3 },
              `${key}:settle`,
              c + i + 1,
            );
            expect(settled.status).toBe(200);
          }
        }
      }),
    );
    return { answers, retried };
  }

  /**
   * Until `answers` holds `n` (the load is under way), so that a fault lands mid-load however
   * fast the machine is — a fixed sleep let a quick run finish before the fault.
   */
  async function answered(answers: Answer[], n: number): Promise<void> {
    for (let waited = 0; answers.length < n; waited += 20) {
      if (waited > 60_000) throw new Error(`only ${String(answers.length)} answers in 60 s`);
      await sleep(20);
    }
  }

  /** Every answer has its row, every row its answer and its audit event; counters = ledger. */
  async function checkLedger(prefix: string, answers: Answer[]) {
    expect(answers.every((a) => a.status === 202 || a.status === 403)).toBe(true);
    const rows = await sql<{ idempotency_key: string; id: string; status: string }>(
      `select idempotency_key, id, status from transaction_record
        where org_id = ? and idempotency_key like ?`,
      [orgId, `${prefix}-%`],
    );
    expect(rows.length).toBe(answers.length);
    const byKey = new Map(rows.map((r) => [r.idempotency_key, r]));
    for (const a of answers) {
      const row = byKey.get(a.key);
      expect(row, a.key).toBeDefined();
      if (a.status === 202) expect(row?.id, a.key).toBe(a.id);
      else expect(row?.status, a.key).toBe('blocked');
    }
    const events = await sql<{ id: string; n: string }>(
      `select t.id, (select count(*) from audit_event e
                      where e.org_id = t.org_id and e.entity_id = t.id
                        and e.event_type <> 'transaction.settled')::text as n
         from transaction_record t where t.org_id = ? and t.idempotency_key like ?`,
      [orgId, `${prefix}-%`],
    );
    expect(events.filter((e) => e.n !== '1')).toEqual([]);
    const settled = await sql<{ n: string; events: string }>(
      `select count(*)::text as n,
              (select count(*) from audit_event e where e.org_id = ?
                  and e.event_type = 'transaction.settled'
                  and e.entity_id in (select id from transaction_record
                                       where org_id = ? and idempotency_key like ?))::text as events
         from transaction_record where org_id = ? and idempotency_key like ? and status = 'settled'`,
      [orgId, orgId, `${prefix}-%`, orgId, `${prefix}-%`],
    );
    expect(settled[0]?.events).toBe(settled[0]?.n);
    const counters = await countersAndLedger((q, p = []) => sql(q, p) as never, orgId);
    expect(counters.length).toBeGreaterThan(0);
    for (const r of counters) {
      expect({ key: r.key, ...r.counter }).toEqual({ key: r.key, ...r.ledger });
    }
  }

  it('a server killed with SIGKILL mid-load and started again: nothing lost, nothing twice', async () => {
    let servers: ServerProcess[] = await Promise.all([
      spawnServer(env(db.url)),
      spawnServer(env(db.url)),
    ]);
    try {
      const sofar: Answer[] = [];
      const running = load('kill', 40, 15, () => servers, sofar);
      await answered(sofar, 100);
      const [doomed, survivor] = servers as [ServerProcess, ServerProcess];
      doomed.child.kill('SIGKILL');
      await doomed.stop();
      servers = [survivor];
      const restarted = await spawnServer(env(db.url));
      servers = [survivor, restarted];
      const { answers, retried } = await running;
      // The kill did land mid-load: some requests had to be sent again.
      expect(retried).toBeGreaterThan(0);
      expect(answers.filter((a) => a.status === 403).length).toBeGreaterThan(0);
      await checkLedger('kill', answers);
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  }, 300_000);

  it('the database cut away mid-load and back: nothing lost, nothing twice', async () => {
    const server = await spawnServer(env(relayedUrl));
    try {
      const sofar: Answer[] = [];
      const running = load('cut', 30, 15, () => [server], sofar);
      await answered(sofar, 60);
      await relay.down();
      await sleep(1500);
      await relay.up();
      const { answers, retried } = await running;
      expect(retried).toBeGreaterThan(0);
      await checkLedger('cut', answers);
      const health = await request(server.url, 'GET', '/health', undefined);
      expect(health.status).toBe(200);
    } finally {
      await server.stop();
    }
  }, 300_000);
});
