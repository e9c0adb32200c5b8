/**
 * A busy customer's history, loaded with SQL for the benchmarks that read at scale (the list
 * routes, the dashboard's overview): one org's transactions, every 40th blocked and every 97th
 * flagged, 20 agents, 200 users, 4 teams, 3 vendors, evenly over a period, with their audit
 * events (`insert … select generate_series`, a million rows a statement, not through the API),
 * then the rollups absorbed by the worker's own `rollOrg`.
 */
import { initOrm, type Orm } from '@reins/db';
import { inTransaction, rollOrg, rollupLag, sealOrg, withConnection } from '@reins/ledger';

const CHUNK = 1_000_000;

export interface HistoryOptions {
  /** Transactions to load. */
  n: number;
  /** The period they spread over: [start, start + seconds). */
  start: Date;
  seconds: number;
  log?: (line: string) => void;
}

const exec = (orm: Orm, q: string) => orm.em.fork().getConnection().execute(q, [], 'all');

/** Loads the transactions and their audit events; the seconds it took. */
export async function loadHistory(orm: Orm, orgId: string, o: HistoryOptions): Promise<number> {
  const t0 = performance.now();
  const start = o.start.toISOString();
  for (let from = 1; from <= o.n; from += CHUNK) {
    const to = Math.min(o.n, from + CHUNK - 1);
    await exec(
      orm,
      `insert into transaction_record (id, org_id, vendor, model, agent_id, user_id, team_id,
          amount_micros, amount_cents, tokens_in, tokens_out, occurred_at, created_at, action,
          admitted, policy_result, evaluation, status, phase)
       select 'txn_l' || g, '${orgId}', (array['openai','anthropic','google'])[1 + g % 3],
              (array['gpt-4o','claude-sonnet-4','gemini-2.5-pro'])[1 + g % 3],
              'agent-' || (g % 200) % 20, 'user-' || g % 200, 'team-' || g % 4,
              (1 + g % 500) * 10000, 1 + g % 500, 100, 50, t, t,
              case when g % 40 = 0 then 'block' when g % 97 = 0 then 'flag' else 'pass' end,
              g % 40 <> 0, '{}', '{}',
              case when g % 40 = 0 then 'blocked' else 'recorded' end, 'final'
         from generate_series(${String(from)}, ${String(to)}) g,
              lateral (select timestamptz '${start}'
                        + interval '1 second' * (g::bigint * ${String(o.seconds)} / ${String(o.n)}) as t) s`,
    );
    await exec(
      orm,
      `insert into audit_event (id, org_id, event_type, occurred_at, actor, entity_type, entity_id, metadata)
       select 'evt_l' || substr(t.id, 6), t.org_id,
              case t.action when 'block' then 'transaction.blocked'
                            when 'flag' then 'transaction.flagged' else 'transaction.recorded' end,
              t.occurred_at, 'agent:' || t.agent_id, 'transaction', t.id,
              jsonb_build_object('vendor', t.vendor, 'amountMicros', t.amount_micros,
                                 'amountCents', t.amount_cents, 'action', t.action,
                                 'ruleId', case when t.action = 'pass' then null else 'rule_bench' end)
         from transaction_record t
        where t.org_id = '${orgId}' and t.id in (
          select 'txn_l' || g from generate_series(${String(from)}, ${String(to)}) g)`,
    );
    o.log?.(`${to.toLocaleString('en-US')} transactions loaded`);
  }
  await exec(orm, 'analyze');
  return (performance.now() - t0) / 1000;
}

/** Runs the rollups until they have absorbed every audit event: events and seconds. */
export async function absorbRollups(
  orm: Orm,
  orgId: string,
): Promise<{ events: number; seconds: number }> {
  const t0 = performance.now();
  let events = 0;
  for (;;) {
    const n = (await inTransaction(orm, (c) => rollOrg(c, orgId, 200_000))) ?? 0;
    events += n;
    if (n === 0 && (await withConnection(orm, (c) => rollupLag(c, orgId))).events === 0) break;
  }
  const seconds = (performance.now() - t0) / 1000;
  await exec(orm, 'analyze');
  return { events, seconds };
}

/**
 * The whole history for a database a server has already bootstrapped (its one organization):
 * loaded, absorbed, sealed, vacuumed, and the figures of each step.
 */
export async function seedHistory(
  databaseUrl: string,
  o: HistoryOptions,
): Promise<{
  orgId: string;
  loadSeconds: number;
  rollups: { events: number; seconds: number };
  sealed: { events: number; seconds: number };
}> {
  const orm = await initOrm(databaseUrl, { maxConnections: 2 });
  try {
    const orgs = (await exec(orm, 'select id from organization')) as { id: string }[];
    const orgId = orgs[0]?.id;
    if (!orgId || orgs.length !== 1) throw new Error('expected one bootstrapped organization');
    const loadSeconds = await loadHistory(orm, orgId, o);
    const rollups = await absorbRollups(orm, orgId);
    // A steady org, not a fresh load: its audit chain sealed (else the server's sealer would
    // work through the whole history during the measurements that follow), its tables vacuumed
    // (else autovacuum would, and the visibility map is what index-only scans read).
    const t0 = performance.now();
    const sealed = await sealOrg(orm, orgId);
    const sealSeconds = (performance.now() - t0) / 1000;
    await exec(orm, 'vacuum (analyze)');
    return { orgId, loadSeconds, rollups, sealed: { events: sealed, seconds: sealSeconds } };
  } finally {
    await orm.close();
  }
}
