/**
 * `pnpm bench:verify` (server): verification of the audit hash chain at 1,000,000 events (issue
 * 22), on a real PostgreSQL.
 *
 * 1. Creates a fresh database `reins_bench_verify_<random>`, migrates it, creates one
 *    organization and inserts --events audit events (default 1,000,000) with `insert … select …
 *    from generate_series` (250,000 rows a statement); seals them with the ledger's `sealOrg`
 *    (then `sealCurrent`, which waits for the sealing horizon).
 * 2. The first verify: no checkpoint yet, so a walk from the genesis (what every verify cost
 *    before checkpoints), then the checkpoint.
 * 3. Inserts and seals --new events (default 100,000), then the incremental verify: what
 *    `GET /api/v1/audit-log/verify` runs (`sealCurrent`, `readCheckpoint`, `verifyChain` from it,
 *    `advanceCheckpoint`). Then --repeat (default 5) verifies with nothing new (median).
 * 4. A full verification by the `audit-verify` job (queued as the API does, run in this
 *    process): links/s.
 * 5. Prints a summary and drops the database — also on failure.
 *
 * PostgreSQL: TEST_DATABASE_URL or DATABASE_URL if set (its server), else
 * postgres://postgres@127.0.0.1:5432/postgres.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import {
  createDatabase,
  dropDatabase,
  initOrm,
  migrateUp,
  testServerUrl,
  type Orm,
} from '@reins/db';
import { auditVerifyJob, type JobContext } from '@reins/jobs';
import {
  advanceCheckpoint,
  newId,
  plainSql,
  readCheckpoint,
  sealCurrent,
  sealOrg,
  verifyChain,
} from '@reins/ledger';

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    events: { type: 'string', default: '1000000' },
    new: { type: 'string', default: '100000' },
    repeat: { type: 'string', default: '5' },
  },
});

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000).toLocaleString('en-US');
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const out = await fn();
  return [out, performance.now() - t0];
}

/** `n` events of `orgId` numbered from `from`, as the services write them (unsealed). */
async function insertEvents(orm: Orm, orgId: string, from: number, n: number): Promise<void> {
  const sql = plainSql(orm);
  const STEP = 250_000;
  for (let i = from; i < from + n; i += STEP) {
    const to = Math.min(from + n, i + STEP) - 1;
    await sql(
      `insert into audit_event (id, org_id, event_type, occurred_at, actor, entity_type, entity_id, metadata)
       select 'evt_b' || i, ?, 'transaction.recorded',
              timestamptz '2026-01-01' + i * interval '10 millisecond', 'agent:bulk-' || (i % 50),
              'transaction', 'txn_' || i,
              jsonb_build_object('vendor', 'openai', 'model', 'gpt-4o', 'amountCents', i % 1000,
                                 'action', 'pass', 'ruleId', null)
         from generate_series(?::int, ?::int) as s(i)`,
      [orgId, i, to],
    );
  }
  await sql('analyze audit_event');
}

/**
 * Seals every event of the org: in batches of 5,000, then waiting for the sealing horizon (a
 * long transaction of another session on the same PostgreSQL holds it back) up to 10 minutes.
 */
async function sealEverything(orm: Orm, orgId: string): Promise<number> {
  const headSeq = async () => {
    const [row] = await plainSql(orm)<{ seq: string }>(
      'select seq from audit_chain_head where org_id = ?',
      [orgId],
    );
    return Number(row?.seq ?? 0);
  };
  const before = await headSeq();
  await sealOrg(orm, orgId, { batchSize: 5000 });
  if (!(await sealCurrent(orm, orgId, 600_000))) throw new Error('could not seal everything');
  return (await headSeq()) - before;
}

/** What the verify route runs after the caller's checks, and how long each part took (ms). */
async function verifyLikeTheRoute(orm: Orm, orgId: string) {
  const t0 = performance.now();
  await sealCurrent(orm, orgId);
  const t1 = performance.now();
  const sql = plainSql(orm);
  const from = await readCheckpoint(sql, orgId);
  const r = await verifyChain(sql, orgId, { from });
  if (!r.valid) throw new Error(`chain broken: ${JSON.stringify(r.firstBrokenLink)}`);
  const t2 = performance.now();
  if (r.head && r.checked > (r.metCheckpoint ? 1 : 0)) {
    await advanceCheckpoint(orm, orgId, r.head, {
      actor: 'bench',
      at: new Date(),
      from: r.from,
      checked: r.checked,
    });
  }
  const t3 = performance.now();
  return { ...r, parts: { seal: t1 - t0, walk: t2 - t1, checkpoint: t3 - t2 } };
}

const parts = (p: { seal: number; walk: number; checkpoint: number }) =>
  `sealCurrent ${fmt(p.seal)} + walk ${fmt(p.walk)} + checkpoint ${fmt(p.checkpoint)}`;

async function main(): Promise<void> {
  const events = Number(args.events);
  const added = Number(args.new);
  const repeat = Number(args.repeat);
  const serverUrl = testServerUrl() ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const database = `reins_bench_verify_${randomBytes(4).toString('hex')}`;
  const databaseUrl = await createDatabase(serverUrl, database);
  let orm: Orm | undefined;
  try {
    orm = await initOrm(databaseUrl, { maxConnections: 4 });
    await migrateUp(orm);
    const orgId = newId('org');
    await plainSql(orm)('insert into organization (id, name) values (?, ?)', [orgId, 'bench']);

    const [, loadMs] = await timed(() => insertEvents(orm as Orm, orgId, 1, events));
    console.log(`loaded ${events.toLocaleString('en-US')} events in ${fmt(loadMs)}`);
    const [sealed, sealMs] = await timed(() => sealEverything(orm as Orm, orgId));
    console.log(
      `sealed ${sealed.toLocaleString('en-US')} in ${fmt(sealMs)} (${rate(sealed, sealMs)}/s)`,
    );

    const [first, firstMs] = await timed(() => verifyLikeTheRoute(orm as Orm, orgId));
    console.log(
      `first verify (from the genesis): ${first.checked.toLocaleString('en-US')} links in ${fmt(firstMs)} (${rate(first.checked, firstMs)}/s; ${parts(first.parts)})`,
    );

    await insertEvents(orm, orgId, events + 1, added);
    const [newSealed, newSealMs] = await timed(() => sealEverything(orm as Orm, orgId));
    console.log(`sealed ${newSealed.toLocaleString('en-US')} new events in ${fmt(newSealMs)}`);
    const [inc, incMs] = await timed(() => verifyLikeTheRoute(orm as Orm, orgId));
    console.log(
      `incremental verify: from ${inc.from}, ${inc.checked.toLocaleString('en-US')} links in ${fmt(incMs)} (${parts(inc.parts)})`,
    );

    const noop: number[] = [];
    let noopChecked = 0;
    for (let i = 0; i < repeat; i++) {
      const [r, ms] = await timed(() => verifyLikeTheRoute(orm as Orm, orgId));
      noop.push(ms);
      noopChecked = r.checked;
      console.log(`  no-op ${fmt(ms)}: ${parts(r.parts)}`);
    }
    noop.sort((a, b) => a - b);
    const noopMedian = noop[Math.floor(noop.length / 2)] ?? 0;
    console.log(`no-op verify: ${noopChecked} link, median ${fmt(noopMedian)} of ${repeat}`);

    const id = newId('ver');
    await plainSql(orm)('insert into audit_verification (id, org_id) values (?, ?)', [id, orgId]);
    const job = auditVerifyJob(0);
    const ctx: JobContext = {
      orm,
      now: () => new Date(),
      signal: new AbortController().signal,
      log: { info: () => undefined, warn: () => undefined, error: console.error },
    };
    const [, fullMs] = await timed(() => job.run(ctx));
    const [row] = await plainSql(orm)<{ status: string; checked: string; result: unknown }>(
      'select status, checked, result from audit_verification where id = ?',
      [id],
    );
    const fullChecked = Number(row?.checked ?? 0);
    console.log(
      `full job: ${row?.status} ${fullChecked.toLocaleString('en-US')} links in ${fmt(fullMs)} (${rate(fullChecked, fullMs)} links/s)`,
    );

    console.log('\nsummary');
    console.log(`| measure | figure |\n| --- | ---: |`);
    console.log(`| events loaded (SQL) | ${events.toLocaleString('en-US')} in ${fmt(loadMs)} |`);
    console.log(`| sealed (sealOrg, batches of 5,000) | ${rate(sealed, sealMs)} events/s |`);
    console.log(
      `| first verify, from the genesis (${first.checked.toLocaleString('en-US')} links) | ${fmt(firstMs)} |`,
    );
    console.log(
      `| incremental verify after ${added.toLocaleString('en-US')} new events (${inc.checked.toLocaleString('en-US')} links) | ${fmt(incMs)} |`,
    );
    console.log(`| no-op verify (median of ${repeat}) | ${fmt(noopMedian)} |`);
    console.log(
      `| full job (${fullChecked.toLocaleString('en-US')} links) | ${fmt(fullMs)}, ${rate(fullChecked, fullMs)} links/s |`,
    );
  } finally {
    await orm?.close().catch(() => undefined);
    await dropDatabase(serverUrl, database);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
