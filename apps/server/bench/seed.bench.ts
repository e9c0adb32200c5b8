/**
 * `pnpm --filter @reins/server bench:seed`: what counting the spend already in a window costs.
 *
 * A counter family first needed mid-window (a new rule, a rule enabled again, a new time zone) is
 * built from the window's transactions by the policy change itself (ledger's seed.ts): the cost
 * is on the rule's creation, not on the hot path. This measures, on the local PostgreSQL, with an
 * in-process server:
 *
 * 1. `POST /api/policy-rules` for a daily cap (per org, per user, per agent) over a day that already
 *    holds N transactions (N = 0, 10,000, 100,000, 1,000,000 — loaded with SQL, 1,000 users and
 *    20 agents), median of 5 creations (each rule deleted again, so each creation seeds);
 * 2. the same with the family already needed by another rule (nothing to seed);
 * 3. a transaction whose counter does not exist yet (a new user's first of the day under a per-user
 *    rule: the counter row is inserted) against one whose counter exists (updated), alternating,
 *    median of 200 each.
 *
 * Options: --quick (N up to 10,000, 50 transactions), --out <file>.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createDatabase, dropDatabase, initOrm, migrateUp, testServerUrl } from '@reins/db';
import { defaultEnv } from '../src/env.js';
import { startServer } from '../src/server.js';
import { createOrganization } from '../src/services/orgs.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: { quick: { type: 'boolean', default: false }, out: { type: 'string' } },
});

const SIZES = args.quick ? [0, 10_000] : [0, 10_000, 100_000, 1_000_000];
const CREATIONS = args.quick ? 3 : 5;
const TX_SAMPLES = args.quick ? 50 : 200;
const NOW = Date.parse('2026-05-05T18:00:00Z');
const DAY_START = '2026-05-05T00:00:00Z';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : (s[Math.floor((s.length - 1) / 2)] as number);
};
const ms = (x: number) => Math.round(x * 100) / 100;

async function main() {
  const serverUrl = testServerUrl() ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const database = `reins_bench_seed_${randomBytes(4).toString('hex')}`;
  const url = await createDatabase(serverUrl, database);
  const orm = await initOrm(url, { maxConnections: 4 });
  const results: Record<string, unknown>[] = [];
  try {
    await migrateUp(orm);
    const server = await startServer(
      defaultEnv({ PORT: 0, LOG_LEVEL: 'silent', REINS_RATE_LIMIT_RPS: 0, REINS_AUDIT_SEAL_MS: 0 }),
      { clock: () => NOW, db: { orm, mode: 'postgres', close: () => Promise.resolve() } },
    );
    const call = async (key: string, method: string, path: string, body?: unknown) => {
      const started = performance.now();
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
      return { status: res.status, json, ms: performance.now() - started };
    };
    const sql = (q: string) => orm.em.fork().getConnection().execute(q, [], 'all');

    for (const n of SIZES) {
      const org = await createOrganization(
        orm.em.fork(),
        { name: `seed ${String(n)}` },
        { keyEnv: 'test', actor: 'bench', now: new Date(NOW) },
      );
      const key = org.key.key;
      if (n > 0) {
        const load = performance.now();
        await sql(`insert into transaction_record (id, org_id, vendor, model, agent_id, user_id,
            amount_micros, amount_cents, tokens_in, tokens_out, occurred_at, created_at, action,
            admitted, policy_result, evaluation, status, phase)
          select 'txn_seed_${String(n)}_' || g, '${org.orgId}', 'openai', 'gpt-4o',
                 'agent-' || (g % 20), 'user-' || (g % 1000), 1000000, 1, 10, 5,
                 t, t, 'pass', true, '{}', '{}', 'recorded', 'final'
            from generate_series(1, ${String(n)}) g,
                 lateral (select '${DAY_START}'::timestamptz
                                 + (g * interval '1 second' * 64800 / ${String(n)}) as t) s`);
        await sql('analyze transaction_record');
        console.log(
          `seed bench: ${n.toLocaleString('en-US')} transactions loaded in ${ms((performance.now() - load) / 1000)} s`,
        );
      }
      for (const per of ['org', 'user', 'agent'] as const) {
        const times: number[] = [];
        let counters = 0;
        for (let i = 0; i < CREATIONS; i++) {
          const created = await call(key, 'POST', '/api/policy-rules', {
            name: `cap per ${per}`,
            conditions: { timeWindow: 'daily' },
            action: 'block',
            actionConfig: { limitCents: 1_000_000_000, per },
          });
          if (created.status !== 201) throw new Error(JSON.stringify(created.json));
          times.push(created.ms);
          const [row] = (await sql(
            `select count(*)::int as n from window_counter where org_id = '${org.orgId}'`,
          )) as { n: number }[];
          counters = row?.n ?? 0;
          const deleted = await call(key, 'DELETE', `/api/policy-rules/${String(created.json.id)}`);
          if (deleted.status !== 200) throw new Error(JSON.stringify(deleted.json));
        }
        // The family already needed: a second rule on it seeds nothing.
        const keep = await call(key, 'POST', '/api/policy-rules', {
          name: `kept cap per ${per}`,
          conditions: { timeWindow: 'daily' },
          action: 'block',
          actionConfig: { limitCents: 1_000_000_000, per },
        });
        const again: number[] = [];
        for (let i = 0; i < CREATIONS; i++) {
          const created = await call(key, 'POST', '/api/policy-rules', {
            name: `second cap per ${per}`,
            conditions: { timeWindow: 'daily' },
            action: 'warn',
            actionConfig: { limitCents: 1_000_000_000, per },
          });
          again.push(created.ms);
          await call(key, 'DELETE', `/api/policy-rules/${String(created.json.id)}`);
        }
        await call(key, 'DELETE', `/api/policy-rules/${String(keep.json.id)}`);
        const r = {
          transactions: n,
          per,
          countersSeeded: counters,
          createMs: ms(median(times)),
          createNoSeedMs: ms(median(again)),
        };
        results.push(r);
        console.log(
          `seed bench: N=${n.toLocaleString('en-US')} per ${per}: rule creation ${String(r.createMs)} ms ` +
            `(${String(counters)} counters seeded); family already needed: ${String(r.createNoSeedMs)} ms`,
        );
      }
    }

    // A first-of-window counter on the hot path: inserted at zero, against one that exists.
    const org = await createOrganization(
      orm.em.fork(),
      { name: 'first of window' },
      { keyEnv: 'test', actor: 'bench', now: new Date(NOW) },
    );
    const key = org.key.key;
    await call(key, 'POST', '/api/policy-rules', {
      name: 'per user cap',
      conditions: { timeWindow: 'daily' },
      action: 'block',
      actionConfig: { limitCents: 1_000_000_000, per: 'user' },
    });
    await call(key, 'POST', '/api/v1/transactions', {
      amount: 1,
      vendor: 'openai',
      userId: 'u-old',
    });
    const fresh: number[] = [];
    const existing: number[] = [];
    for (let i = 0; i < TX_SAMPLES * 2 + 20; i++) {
      const isNew = i % 2 === 0;
      const res = await call(key, 'POST', '/api/v1/transactions', {
        amount: 1,
        vendor: 'openai',
        userId: isNew ? `u-${String(i)}` : 'u-old',
      });
      if (res.status !== 202) throw new Error(JSON.stringify(res.json));
      if (i < 20) continue; // warm-up
      (isNew ? fresh : existing).push(res.ms);
    }
    const hot = {
      firstOfWindowMs: ms(median(fresh)),
      existingCounterMs: ms(median(existing)),
      samples: TX_SAMPLES,
    };
    console.log(
      `seed bench: one transaction, counter created: ${String(hot.firstOfWindowMs)} ms; ` +
        `counter existing: ${String(hot.existingCounterMs)} ms (medians of ${String(TX_SAMPLES)})`,
    );
    await server.close();
    const out =
      args.out ??
      join(
        here,
        'results',
        `seed-${new Date().toISOString().replace(/[:.]/g, '').slice(0, 15)}Z.json`,
      );
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(
      out,
      `${JSON.stringify({ at: new Date().toISOString(), creations: results, hot }, null, 2)}\n`,
    );
    console.log(`seed bench: results in ${out}`);
  } finally {
    await orm.close();
    await dropDatabase(serverUrl, database);
  }
}

await main();
