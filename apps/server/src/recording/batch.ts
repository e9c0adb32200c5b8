/**
 * One batch of one organization's transactions, in ONE database transaction and two round trips
 * (the second carries the COMMIT):
 *
 * 1. lock and read — BEGIN, the organization's policy lock (shared: see the ledger's seed.ts), its
 *    settings and policy version, what is kept under the batch's idempotency keys (locked first:
 *    ledger's `lockKeysSql`; stored answers and the transactions recorded under them), its
 *    window counters created-and-locked in key order, the expired holds on them;
 * 2. plan (plan.ts: pure) — every transaction decided in arrival order against the locked totals;
 * 3. write — the transactions (a keyed one with its request's hash: its replays are answered from
 *    its row), the counters' new totals, the audit events and the alerts in one statement, with
 *    them as bind parameters, and COMMIT behind it in the same message (commitBehind.ts).
 *
 * Because totals are read under the row locks and every writer takes the locks in the same key
 * order, concurrent batches — in this or any other server process — serialize on the counters
 * they share, never deadlock, and can never together push a window past a block limit.
 *
 * With budget leases on, an org-wide counter this process holds a lease on is neither locked nor
 * read: the batch decides against the lease and writes what it spent to the lease's row (locked
 * after every counter), and a counter it does lock gets its lease taken back and renewed in the
 * same transaction (recording/leases.ts; the ledger's leases.ts says why no window is overshot).
 */
import type { EvaluationContext } from '@reins/engine';
import {
  LEASE_LOST_SQLSTATE,
  Params,
  addTotals,
  asEvaluated,
  countersToWrite,
  grantLeasesSql,
  grantSize,
  leaseGuardSql,
  newId,
  overCaps,
  revokeLeasesSql,
  subTotals,
  sumByKey,
  takeLeasesSql,
  useLeasesSql,
  zeroTotals,
  dollarQuote,
  expiredHoldsSql,
  windowsSpan,
  insertAuditSql,
  lockCountersSql,
  lockKeysSql,
  lookupAnswersSql,
  parseAnswers,
  policyLockSharedSql,
  results,
  writeCountersSql,
  type CounterRow,
  type EvaluatedTotals,
  type LeaseGrant,
  type LeaseUse,
  type PooledConnection,
  type StoredAnswer,
} from '@reins/ledger';
import {
  SETTINGS_SELECT,
  parseSettings,
  sameSettings,
  type OrgSettings,
  type SettingsRow,
} from '../machinery/policyCache.js';
import {
  batchNeeds,
  planBatch,
  type AlertRow,
  type BatchNeeds,
  type BatchPlan,
  type BatchPolicy,
} from './plan.js';
import { statementThenCommit } from './commitBehind.js';
import { LeaseLost, type Granted, type LeaseBook, type LeasePlan } from './leases.js';
import type { TxRequest, TxResult } from './types.js';

const q = dollarQuote;

export interface BatchOptions {
  /** Called once the batch holds its counter locks. */
  onLocked?: () => void;
  /** Budget leases (on): org-wide counters this process holds a lease on are decided under it. */
  leases?: LeaseBook | undefined;
  /** Where the batch's time went (ms, added to): the benchmark's report. */
  timing?: BatchTiming | undefined;
}

/**
 * A batch's time from sending its first round trip: `readMs` until its answer is in hand (lock
 * waits, the statements, the wait for this event loop to take the answer), `planMs` the
 * decisions (synchronous JavaScript), `writeMs` from sending the write to its COMMIT's answer.
 */
export interface BatchTiming {
  readMs: number;
  planMs: number;
  writeMs: number;
}

/**
 * Records `reqs` of `orgId` on `conn` (a pooled connection in no transaction). `onLocked` is
 * called once the batch holds its counter locks. Answers `stale` — with the settings the database
 * has now, or null when the organization is gone — when the organization's settings or policy
 * are not those `org` was loaded with: the batch was rolled back before anything was written.
 * With `leases` (budget leases on), org-wide counters this process holds a lease on are decided
 * under the lease, unlocked (recording/leases.ts); a lease lost under the batch throws
 * `LeaseLost` (nothing was written: retry it).
 */
export async function recordBatch(
  conn: PooledConnection,
  orgId: string,
  org: BatchPolicy,
  ctx: EvaluationContext,
  reqs: TxRequest[],
  { onLocked = () => undefined, leases, timing }: BatchOptions = {},
): Promise<{ outcomes: TxResult[] } | { stale: OrgSettings | null }> {
  const nowMs = Number(ctx.now);
  const at = new Date(nowMs).toISOString();
  const needs = batchNeeds(org, ctx, reqs);
  let lplan: LeasePlan | null = null;
  while (leases && !lplan) {
    const p = leases.plan(orgId, org, reqs, needs, nowMs);
    // Another batch of this process is renewing a lease this one reads: after it, plan again.
    if ('wait' in p) await p.wait;
    else lplan = p;
  }
  let granted: Granted[] | null = null;
  let leaseUses = 0;
  try {
    const t0 = performance.now();
    const read = await lockAndRead(
      conn,
      orgId,
      org,
      needs,
      at,
      leases && lplan ? { holder: leases.holder, plan: lplan } : null,
    );
    if ('stale' in read) return read;
    const t1 = performance.now();
    // This batch now holds every counter it reads: the next one may ask for them.
    onLocked();
    if (lplan) for (const [key, l] of lplan.leased) read.evaluated.totals[key] = { ...l.estimate };
    const plan = planBatch({ orgId, org, ctx, reqs, needs, ...read });
    const lease = leases && lplan ? leaseWrites(read.evaluated, plan, lplan, leases, nowMs) : null;
    leaseUses = lease?.uses.length ?? 0;
    const t2 = performance.now();
    await write(conn, orgId, plan, at, lease);
    if (timing) {
      timing.readMs += t1 - t0;
      timing.planMs += t2 - t1;
      timing.writeMs += performance.now() - t2;
    }
    granted = lease?.granted ?? [];
    return { outcomes: plan.outcomes };
  } catch (err) {
    // The transaction is aborted (or already over, if COMMIT itself failed): end it, keep the
    // connection clean for the pool, report the original error.
    await conn.query('rollback').catch(() => undefined);
    if (leaseUses > 0 && (err as { code?: unknown }).code === LEASE_LOST_SQLSTATE) {
      throw new LeaseLost();
    }
    throw err;
  } finally {
    if (leases && lplan) leases.finish(orgId, lplan, granted, nowMs);
  }
}

interface LeaseWrites {
  holder: string;
  grants: LeaseGrant[];
  uses: LeaseUse[];
  granted: Granted[];
  /** Counters the batch took past a cap (observed calls): every lease on them is taken back. */
  revoke: string[];
}

/**
 * After planning: what the batch spent under each lease (taken out of the counter writes: the
 * counter is not locked), and the new grant on each counter it locked (added to its write).
 */
function leaseWrites(
  evaluated: EvaluatedTotals,
  plan: BatchPlan,
  lplan: LeasePlan,
  leases: LeaseBook,
  nowMs: number,
): LeaseWrites {
  const out: LeaseWrites = {
    holder: leases.holder,
    grants: [],
    uses: [],
    granted: [],
    revoke: [],
  };
  const keys = new Set(plan.counters.map((c) => c.key));
  for (const [key, l] of lplan.leased) {
    keys.delete(key);
    const used = subTotals(evaluated.totals[key] ?? zeroTotals(), l.estimate);
    if (used.costMicros || used.tokensIn || used.tokensOut || used.requests) {
      out.uses.push({ id: l.id, used });
    }
  }
  const expiresAt = nowMs + leases.settings.ttlMs;
  for (const [key, caps] of lplan.locked) {
    keys.add(key);
    const total = evaluated.totals[key] ?? zeroTotals();
    if (overCaps(caps, total)) out.revoke.push(key);
    const g = grantSize(caps, total, leases.settings.percent);
    evaluated.totals[key] = g ? addTotals(total, g) : total;
    if (!g) continue;
    const id = newId('lease');
    out.grants.push({ id, key, granted: g, expiresAt: new Date(expiresAt).toISOString() });
    out.granted.push({ key, id, granted: g, base: total, expiresAt });
  }
  for (const [key, caps] of lplan.plain) {
    if (overCaps(caps, evaluated.totals[key] ?? zeroTotals())) out.revoke.push(key);
  }
  plan.counters = countersToWrite(evaluated, [...keys].sort());
  return out;
}

type Read = Pick<Parameters<typeof planBatch>[0], 'evaluated' | 'answers'>;

/** Round trip 1: opens the transaction, checks the settings, locks and reads. */
async function lockAndRead(
  conn: PooledConnection,
  orgId: string,
  org: BatchPolicy,
  needs: BatchNeeds,
  at: string,
  lease: { holder: string; plan: LeasePlan } | null,
): Promise<Read | { stale: OrgSettings | null }> {
  // The policy lock, shared: a policy change waits for this batch, and this batch for a change
  // in progress, so the settings read next are the policy everything in the batch is counted by.
  const statements = [
    'begin',
    policyLockSharedSql(orgId),
    `${SETTINGS_SELECT} where id = ${q(orgId)}`,
  ];
  const settingsAt = 2;
  let countersAt = -1;
  let holdsAt = -1;
  let answersAt = -1;
  let leasesAt = -1;
  // The keys before the counters: every batch takes them in that order (and nothing else takes
  // key locks), so no two batches wait for each other in a cycle. What the keys hold is read
  // under their locks and before the counters': not while this batch holds the counters the
  // next batch of the organization waits for.
  if (needs.idempotencyKeys.length > 0) {
    statements.push(lockKeysSql(orgId, needs.idempotencyKeys));
    answersAt = statements.length;
    statements.push(lookupAnswersSql(orgId, needs.idempotencyKeys));
  }
  // Counters decided under a lease are not locked (nor read: the lease says what they hold).
  const counters = lease
    ? needs.counters.filter((c) => !lease.plan.leased.has(c.key))
    : needs.counters;
  if (counters.length > 0) {
    countersAt = statements.length;
    statements.push(lockCountersSql(orgId, counters));
    holdsAt = statements.length;
    statements.push(expiredHoldsSql(orgId, at, windowsSpan(counters)));
  }
  if (lease && lease.plan.locked.size > 0) {
    // After the counter locks, as every writer takes lease rows.
    leasesAt = statements.length;
    statements.push(takeLeasesSql(orgId, [...lease.plan.locked.keys()], lease.holder, at));
  }
  const res = results(await conn.query(`${statements.join(';\n')};`));
  const settingsRow = res[settingsAt]?.rows[0] as SettingsRow | undefined;
  const now = settingsRow ? parseSettings(settingsRow) : null;
  if (!now || !sameSettings(now, org)) {
    await conn.query('rollback');
    return { stale: now };
  }
  const rows = (i: number) => (i >= 0 ? (res[i]?.rows ?? []) : []) as unknown as CounterRow[];
  const evaluated = asEvaluated(rows(countersAt), rows(holdsAt));
  // The leases taken back leave the counters: what they did not use is spent no more.
  for (const [key, unused] of sumByKey(rows(leasesAt))) {
    const t = evaluated.totals[key];
    if (t) evaluated.totals[key] = subTotals(t, unused);
  }
  return {
    evaluated,
    answers:
      answersAt >= 0 ? parseAnswers(res[answersAt]?.rows ?? []) : new Map<string, StoredAnswer>(),
  };
}

/**
 * Round trip 2: every write of the batch in one statement (data-modifying CTEs), its rows as bind
 * parameters; then COMMIT (a statement with parameters cannot share a message with it).
 */
async function write(
  conn: PooledConnection,
  orgId: string,
  plan: BatchPlan,
  at: string,
  lease: LeaseWrites | null,
) {
  const grants = lease?.grants ?? [];
  const uses = lease?.uses ?? [];
  if (
    plan.transactions.length === 0 &&
    plan.counters.length === 0 &&
    grants.length === 0 &&
    uses.length === 0
  ) {
    await conn.query('commit');
    return;
  }
  const params = new Params();
  const ctes = [
    `tx as (${insertTransactionsSql(orgId, plan, params)})`,
    `counters as (${writeCountersSql(orgId, plan.counters, at, params)})`,
    `audit as (${insertAuditSql(plan.audit, params)})`,
  ];
  if (plan.alerts.length > 0) ctes.push(...alertCtes(orgId, plan.alerts, params));
  if (lease && grants.length > 0) {
    ctes.push(`lease_grant as (${grantLeasesSql(orgId, lease.holder, grants, params)})`);
  }
  // Spend under a lease must find its lease still there and within its grant, or the whole
  // statement fails (and the COMMIT behind it rolls back).
  if (uses.length > 0) ctes.push(`lease_use as (${useLeasesSql(orgId, uses, at, params)})`);
  const result = uses.length > 0 ? leaseGuardSql('lease_use', uses.length) : '1';
  const text = `with ${ctes.join(',\n')}\n select ${result}`;
  // A counter past a cap after the write: the leases on it go back (after the write, so that the
  // counter it takes their unused grants out of is the one just written), then COMMIT, each queued
  // behind the one before. Otherwise — every batch without leases — the write and its COMMIT go
  // as one message (commitBehind.ts). Either way, if the write fails nothing of the batch is
  // written and the write's error is thrown (the caller rolls the aborted transaction back).
  const revoke = lease?.revoke ?? [];
  if (revoke.length === 0) {
    await statementThenCommit(conn, text, params.values);
    return;
  }
  await Promise.all([
    conn.query(text, params.values),
    conn.query(revokeLeasesSql(orgId, revoke)),
    conn.query('commit'),
  ]);
}

function insertTransactionsSql(orgId: string, plan: BatchPlan, params: Params): string {
  return `insert into transaction_record (id, org_id, vendor, model, agent_id, user_id, user_roles,
          team_id, project_id, amount_micros, amount_cents, tokens_in, tokens_out, prompt,
          response, metadata, occurred_at, created_at, action, admitted, rule_id, policy_result,
          evaluation, counted_windows, price_source, price_version, phase, status,
          idempotency_key, request_hash, hold, expires_at, review_state)
       select x.id, ${q(orgId)}, x.vendor, x.model, x.agent_id, x.user_id, x.user_roles,
          x.team_id, x.project_id, x.amount_micros, x.amount_cents, x.tokens_in, x.tokens_out,
          x.prompt, x.response, x.metadata, x.occurred_at, x.created_at, x.action, x.admitted,
          x.rule_id, x.policy_result, x.evaluation, x.counted_windows, x.price_source,
          x.price_version, x.phase, x.status, x.idempotency_key, x.request_hash, x.hold,
          x.expires_at, x.review_state
         from jsonb_to_recordset(${params.json(plan.transactions)}) as x(id text,
          vendor text, model text, agent_id text, user_id text, user_roles jsonb, team_id text,
          project_id text, amount_micros bigint, amount_cents bigint, tokens_in bigint,
          tokens_out bigint, prompt text, response text, metadata jsonb, occurred_at timestamptz,
          created_at timestamptz, action text, admitted boolean, rule_id text,
          policy_result jsonb, evaluation jsonb, counted_windows jsonb, price_source text,
          price_version text, phase text, status text, idempotency_key text,
          request_hash text, hold jsonb,
          expires_at timestamptz, review_state text)`;
}

/**
 * New alerts (one per dedup key: a repeat is dropped by the unique index) and, for `notify`,
 * one outbox row per enabled channel the rule names — only for alerts this batch created.
 */
function alertCtes(orgId: string, alerts: readonly AlertRow[], params: Params): string[] {
  const org = q(orgId);
  return [
    `alert_src as (
       select * from jsonb_to_recordset(${params.json(alerts)}) as x(id text,
          rule_id text, rule_name text, action text, message text, dedup_key text,
          transaction_id text, agent_id text, group_value text, time_window text,
          window_start timestamptz, threshold_pct int, limit_value bigint, current_value bigint,
          unit text, created_at timestamptz, channels jsonb)
     )`,
    `alerts as (
       insert into policy_alert (id, org_id, rule_id, rule_name, action, message, dedup_key,
          transaction_id, agent_id, group_value, time_window, window_start, threshold_pct,
          limit_value, current_value, unit, created_at)
       select s.id, ${org}, s.rule_id, s.rule_name, s.action, s.message, s.dedup_key,
          s.transaction_id, s.agent_id, s.group_value, s.time_window, s.window_start,
          s.threshold_pct, s.limit_value, s.current_value, s.unit, s.created_at
         from alert_src s
       on conflict (org_id, dedup_key) do nothing
       returning id
     )`,
    `outbox as (
       insert into notification_outbox (id, org_id, alert_id, channel_id, payload)
       select 'ntf_' || md5(s.id || '|' || c.id), ${org}, s.id, c.id,
          jsonb_build_object('alertId', s.id, 'ruleId', s.rule_id, 'ruleName', s.rule_name,
            'action', s.action, 'message', s.message, 'transactionId', s.transaction_id,
            'agentId', s.agent_id, 'timeWindow', s.time_window, 'limit', s.limit_value,
            'current', s.current_value, 'unit', s.unit, 'createdAt', s.created_at)
         from alerts a
         join alert_src s on s.id = a.id
         cross join lateral jsonb_array_elements_text(s.channels) as ch(id)
         join notification_channel c on c.id = ch.id and c.org_id = ${org} and c.enabled
     )`,
  ];
}
