/**
 * The hot path: evaluates and records transactions in per-organization batches.
 *
 * Requests of one organization queue up while that organization's previous batch is being
 * written; the next batch takes everything waiting (up to `batchMax`) and, in ONE database
 * transaction: reads the org's settings and policy version, creates-and-locks every window
 * counter the batch touches in key order (`INSERT … ORDER BY key ON CONFLICT DO UPDATE …
 * RETURNING`), evaluates the transactions in arrival order against the locked totals (each sees
 * the ones before it), inserts them, writes the new counter values and the audit events.
 *
 * Because totals are read under the row locks and every writer takes the locks in the same key
 * order, concurrent batches — in this or any other server process — serialize on the counters
 * they share, never deadlock, and can never together push a window past a block limit.
 */
import type { Orm } from '@reins/db';
import {
  MICROS_PER_CENT,
  estimateCost,
  decide as engineDecide,
  groupValue,
  isModelKnown,
  requiredWindows,
  windowBounds,
  type Decision,
  type EvaluationContext,
  type Period,
  type TransactionInput,
  type WindowRef,
  type WindowTotals,
} from '@reins/engine';
import { Conflict, NotFound, RateLimited, ValidationError, type DomainError } from '../errors.js';
import { idempotencyConflict, type StoredResponse } from './idempotency.js';
import { newId } from '../lib/ids.js';
import type { Phase } from '../schemas/transactions.js';
import { dollarQuote, plainSql, results, withConnection, type RawConnection } from '../lib/sql.js';
import {
  SETTINGS_SELECT,
  parseSettings,
  sameSettings,
  type LoadedPolicy,
  type OrgSettings,
  type PolicyCache,
  type SettingsRow,
} from './policyCache.js';

/** What is stored besides the engine's input. */
export interface TxRecordFields {
  id: string;
  vendor: string;
  model: string | null;
  agentId: string;
  userId: string | null;
  userRoles: string[];
  teamId: string | null;
  projectId: string | null;
  amountMicros: number;
  amountCents: number;
  tokensIn: number;
  tokensOut: number;
  prompt: string | null;
  response: string | null;
  metadata: Record<string, unknown>;
  /** The caller's timestamp (ISO), or the server time. Windows use the server time. */
  occurredAt: string;
  priceSource: string | null;
  priceVersion: string | null;
}

export interface TxRequest {
  orgId: string;
  input: TransactionInput;
  record: TxRecordFields;
  /**
   * `reserve`: an admitted transaction holds its (estimated) amount until settled or voided.
   * `observed`: the call already happened; it is counted whatever the decision (`counts`).
   */
  phase: Phase;
  /** How long a reservation's hold counts toward limits. */
  ttlMs: number;
  /** No amount was given: cost the tokens with the price table (org overrides first). */
  priceFromTokens: boolean;
  /** Of the input tokens, those read from / written to the prompt cache (priced as such). */
  cacheReadTokens: number;
  cacheWriteTokens: number;
  idempotency: {
    key: string;
    hash: string;
    route: string;
    /** The response this outcome answers with, stored with the transaction for replays. */
    respond: (o: TxOutcome) => StoredResponse;
  } | null;
}

export interface TxOutcome {
  id: string;
  decision: Decision;
  evaluatedAt: string;
  countedWindows: string[];
  /** Set for reservations: when the hold stops counting. */
  expiresAt: string | null;
  /** What the transaction was costed at (after pricing from tokens). */
  amountMicros: number;
}

/** What the recorder answers for one request. */
export type TxResult =
  | { kind: 'recorded'; outcome: TxOutcome }
  /** An earlier request with the same idempotency key: its stored answer. */
  | { kind: 'replay'; response: StoredResponse }
  /** Refused before anything was written for it (rate limit, key conflict, unpriced model). */
  | { kind: 'refused'; error: DomainError };

interface Pending {
  req: TxRequest;
  resolve: (o: TxResult) => void;
  reject: (e: unknown) => void;
}

interface OrgQueue {
  items: Pending[];
  /** Batches of this org being written (at most PIPELINE_DEPTH). */
  inFlight: number;
  /** A batch has started but does not hold its counter locks yet. */
  starting: boolean;
}

/**
 * Batches of one organization in flight at once. The next batch starts as soon as the previous
 * one holds its counter locks: its BEGIN, settings read and lock request overlap the previous
 * batch's evaluation, writes and commit, and it takes the locks right after that commit — in
 * arrival order, because it asked for them only after its predecessor had them.
 */
const PIPELINE_DEPTH = 2;
/**
 * A second batch starts only once this many transactions wait: under light load a lone second
 * batch would only sit on the locks (and add a connection's work to a busy machine).
 */
const PIPELINE_MIN_WAITING = 8;

/**
 * Serialization failures and deadlocks, and unique violations: another process recorded the
 * same idempotency key between this batch's lookup and its insert — the retry finds it.
 */
const RETRYABLE = new Set(['40001', '40P01', '23505']);

/** Agent id → budgets by period, as the engine takes them (the registry has monthly budgets). */
export type AgentBudgets = Record<string, Partial<Record<Period, number>>>;

export function agentBudgetsOf(monthly: Readonly<Record<string, number>>): AgentBudgets {
  const out: AgentBudgets = {};
  for (const [agent, cents] of Object.entries(monthly)) out[agent] = { monthly: cents };
  return out;
}

export function evaluationContext(
  settings: Pick<OrgSettings, 'timeZone' | 'defaultAction' | 'budgets'>,
  nowMs: number,
  trace: boolean,
  agents: AgentBudgets = {},
): EvaluationContext {
  return {
    now: nowMs,
    timeZone: settings.timeZone,
    defaultAction: settings.defaultAction,
    budgets: { org: settings.budgets, agents },
    trace,
  };
}

/** The per-minute request counter of a vendor's rate limit (a window counter like the others). */
function rateLimitRef(vendor: string, nowMs: number): WindowRef {
  const start = Math.floor(nowMs / 60_000) * 60_000;
  const startIso = new Date(start).toISOString();
  return {
    key: `ratelimit|minute|${startIso}|${vendor}`,
    period: 'minute' as Period,
    per: 'vendor',
    group: vendor,
    start: startIso,
    end: new Date(start + 60_000).toISOString(),
  };
}

/**
 * Stored with each transaction: what the engine was given besides the transaction. With the
 * policy snapshot of `policyVersion` it replays the evaluation exactly (`GET …/trace`), so the
 * hot path evaluates without building a trace and stores a few hundred bytes instead of a
 * rendered trace of every rule.
 */
export interface StoredEvaluation {
  policyVersion: number;
  timeZone: string;
  defaultAction: 'pass' | 'block';
  budgets: OrgSettings['budgets'];
  modelKnown: boolean | null;
  /** Totals before this transaction: key → [costMicros, tokensIn, tokensOut, requests]. */
  windows: Record<string, [number, number, number, number]>;
  /** The agent registry's budgets of this transaction's agent, when it has any. */
  agentBudgets?: AgentBudgets;
  /** Refused because the organization disabled the vendor (no rule decided). */
  vendorDisabled?: true;
}

export class Recorder {
  private readonly queues = new Map<string, OrgQueue>();
  /** Batches written, and transactions in them (for the benchmark's report). */
  readonly stats = { batches: 0, transactions: 0, dbMs: 0 };

  constructor(
    private readonly orm: Orm,
    private readonly policies: PolicyCache,
    private readonly clock: () => number,
    private readonly batchMax: number,
  ) {}

  submit(req: TxRequest): Promise<TxResult> {
    return new Promise<TxResult>((resolve, reject) => {
      let q = this.queues.get(req.orgId);
      if (!q) this.queues.set(req.orgId, (q = { items: [], inFlight: 0, starting: false }));
      q.items.push({ req, resolve, reject });
      this.pump(req.orgId, q);
    });
  }

  /** Starts the next batch of `q` if the pipeline has room and no batch is still locking. */
  private pump(orgId: string, q: OrgQueue): void {
    if (q.starting || q.inFlight >= PIPELINE_DEPTH) return;
    if (q.inFlight > 0 && q.items.length < PIPELINE_MIN_WAITING) return;
    if (q.items.length === 0) {
      if (q.inFlight === 0) this.queues.delete(orgId);
      return;
    }
    const batch = q.items.splice(0, this.batchMax);
    q.inFlight += 1;
    q.starting = true;
    let locked = false;
    const onLocked = () => {
      if (locked) return;
      locked = true;
      q.starting = false;
      this.pump(orgId, q);
    };
    void this.runBatch(orgId, batch, onLocked).finally(() => {
      q.inFlight -= 1;
      onLocked();
      this.pump(orgId, q);
    });
  }

  private async runBatch(orgId: string, batch: Pending[], onLocked: () => void): Promise<void> {
    try {
      const outcomes = await this.writeWithRetry(orgId, batch, onLocked);
      batch.forEach((p, i) => {
        p.resolve(outcomes[i] as TxResult);
      });
    } catch (err) {
      if (batch.length === 1) (batch[0] as Pending).reject(err);
      // One bad row must not fail its neighbours: write them one by one, in order.
      else for (const p of batch) await this.writeAlone(orgId, p);
    }
  }

  private async writeAlone(orgId: string, p: Pending): Promise<void> {
    try {
      const [outcome] = await this.writeWithRetry(orgId, [p], () => undefined);
      p.resolve(outcome as TxResult);
    } catch (err) {
      p.reject(err);
    }
  }

  private async writeWithRetry(
    orgId: string,
    batch: Pending[],
    onLocked: () => void,
  ): Promise<TxResult[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.writeBatch(orgId, batch, onLocked);
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (attempt >= 3 || typeof code !== 'string' || !RETRYABLE.has(code)) throw err;
      }
    }
  }

  /** Settings this process last saw per org; every batch checks them under its locks. */
  private readonly settingsSeen = new Map<string, OrgSettings>();

  private async writeBatch(
    orgId: string,
    batch: Pending[],
    onLocked: () => void,
  ): Promise<TxResult[]> {
    const started = performance.now();
    const reqs = batch.map((p) => p.req);
    for (let attempt = 1; ; attempt++) {
      let settings = this.settingsSeen.get(orgId);
      // Settings and policy are (re)loaded outside the batch's transaction: a policy version this
      // process caches must have its snapshot committed whatever becomes of the batch.
      const plain = plainSql(this.orm);
      if (!settings) {
        settings = (await this.policies.settings(plain, orgId)) ?? undefined;
        if (!settings) throw new NotFound('Organization', orgId);
        this.settingsSeen.set(orgId, settings);
      }
      const loaded = await this.policies.current(plain, orgId, settings.policyVersion);
      const ctx = evaluationContext(
        settings,
        this.clock(),
        false,
        agentBudgetsOf(loaded.agentBudgets),
      );
      const result = await withConnection(this.orm, (conn) =>
        recordBatch(conn, orgId, { ...settings, ...loaded }, ctx, reqs, onLocked),
      );
      if ('stale' in result) {
        // Rules or settings changed since this process last looked: the batch was rolled back
        // before anything was written; evaluate it again with what the database has now.
        if (!result.stale) throw new NotFound('Organization', orgId);
        this.settingsSeen.set(orgId, result.stale);
        if (attempt < 5) continue;
        throw new Error(`organization ${orgId}: settings kept changing under the batch`);
      }
      this.stats.batches += 1;
      this.stats.transactions += batch.length;
      this.stats.dbMs += performance.now() - started;
      return result.outcomes;
    }
  }
}

/** A `window_counter` row as the driver returns it (bigints as strings). */
export interface CounterRow {
  key: string;
  cost_micros: string | number;
  tokens_in: string | number;
  tokens_out: string | number;
  requests: string | number;
}

export function toTotals(r: CounterRow): WindowTotals {
  return {
    costMicros: Number(r.cost_micros),
    tokensIn: Number(r.tokens_in),
    tokensOut: Number(r.tokens_out),
    requests: Number(r.requests),
  };
}

const zero = (): WindowTotals => ({ costMicros: 0, tokensIn: 0, tokensOut: 0, requests: 0 });

/**
 * Locks the counters, evaluates in order and writes everything, inside the caller's database
 * transaction (`sql` must run in one). Three statements whatever the batch size: settings and
 * policy are read before, counters are created-and-locked, then one statement writes the
 * transactions, the counters and the audit events.
 */
export async function recordBatch(
  conn: RawConnection,
  orgId: string,
  org: LoadedPolicy & OrgSettings,
  ctx: EvaluationContext,
  reqs: TxRequest[],
  onLocked: () => void = () => undefined,
): Promise<{ outcomes: TxResult[] } | { stale: OrgSettings | null }> {
  try {
    return await recordLocked(conn, orgId, org, ctx, reqs, onLocked);
  } catch (err) {
    // The transaction is aborted (or already over, if COMMIT itself failed): end it, keep the
    // connection clean for the pool, report the original error.
    await conn.query('rollback').catch(() => undefined);
    throw err;
  }
}

/**
 * The holds of `org`'s expired, unsettled reservations summed by counter key (`org` and `at` are
 * SQL expressions: literals on the hot path, placeholders in the dry run). Limits ignore them
 * (SPEC §4) until the worker releases them from the counters.
 */
export function expiredHoldsQuery(org: string, at: string): string {
  return `select k.key, sum((t.hold->>'amountMicros')::bigint) as cost_micros,
            sum((t.hold->>'tokensIn')::bigint) as tokens_in,
            sum((t.hold->>'tokensOut')::bigint) as tokens_out, count(*) as requests
       from transaction_record t
            cross join lateral jsonb_array_elements_text(t.counted_windows) as k(key)
      where t.org_id = ${org} and t.status = 'reserved' and t.expires_at <= ${at}::timestamptz
      group by k.key`;
}

/**
 * Takes expired holds (rows of `expiredHoldsQuery`) out of `totals`; returns what it took, by
 * key, for the counters to be written back with it.
 */
export function withoutExpiredHolds(
  totals: Record<string, WindowTotals>,
  holds: readonly CounterRow[],
): Record<string, WindowTotals> {
  const taken: Record<string, WindowTotals> = {};
  for (const r of holds) {
    const t = totals[r.key];
    if (!t) continue;
    const h = toTotals(r);
    taken[r.key] = h;
    t.costMicros -= h.costMicros;
    t.tokensIn -= h.tokensIn;
    t.tokensOut -= h.tokensOut;
    t.requests -= h.requests;
  }
  return taken;
}

/**
 * Whether a transaction goes into the window counters (and the vendor's rate-limit counter) and
 * is recorded as spend rather than `blocked`: when the decision admits it, or when it is
 * `observed` — the call already happened, so refusing it would only make the totals lie.
 */
export function counts(phase: Phase, d: Pick<Decision, 'admitted'>): boolean {
  return d.admitted || phase === 'observed';
}

/** The decision: a vendor the organization disabled is refused before any rule is read. */
export function decide(
  org: Pick<LoadedPolicy, 'policy' | 'vendors'>,
  input: TransactionInput,
  totals: Record<string, WindowTotals>,
  ctx: EvaluationContext,
): Decision {
  return engineDecide(org.policy, org.vendors, input, totals, ctx);
}

interface IdempotencyRow {
  key: string;
  request_hash: string;
  status_code: number | null;
  response_body: string | null;
}

/**
 * Costs a transaction given without an amount from its tokens (org overrides first), and settles
 * whether the price table knows its model; mutates `req`. A validation error when it cannot be
 * costed.
 */
export function priceRequest(
  req: TxRequest,
  overrides: LoadedPolicy['overrides'],
  nowMs: number,
): ValidationError | null {
  const { input, record } = req;
  input.modelKnown = isModelKnown(input.vendor, input.model, nowMs, overrides);
  if (!req.priceFromTokens) return null;
  const est = estimateCost(
    input.vendor,
    input.model ?? '',
    {
      inputTokens: input.tokensIn ?? 0,
      outputTokens: input.tokensOut ?? 0,
      cacheReadTokens: req.cacheReadTokens,
      cacheWriteTokens: req.cacheWriteTokens,
    },
    { at: nowMs, overrides },
  );
  if (!est.known) {
    return ValidationError.of(
      'amount',
      `is required: the price table has no price for ${input.vendor} model ` +
        `"${input.model ?? '(none)'}" (${est.reason})`,
    );
  }
  input.amountMicros = est.costMicros;
  record.amountMicros = est.costMicros;
  record.amountCents = Math.ceil(est.costMicros / MICROS_PER_CENT);
  record.priceSource = est.price.source;
  record.priceVersion = est.price.version;
  return null;
}

async function recordLocked(
  conn: RawConnection,
  orgId: string,
  org: LoadedPolicy & OrgSettings,
  ctx: EvaluationContext,
  reqs: TxRequest[],
  onLocked: () => void,
): Promise<{ outcomes: TxResult[] } | { stale: OrgSettings | null }> {
  const policy = org.policy;
  const q = dollarQuote;
  const nowMs = Number(ctx.now);
  const evaluatedAt = new Date(nowMs).toISOString();

  const refs = reqs.map((r) => requiredWindows(policy, r.input, ctx));
  const rateRefs = reqs.map((r) => {
    const rpm = org.vendors[r.input.vendor]?.rateLimitRpm ?? null;
    return rpm === null ? null : { ref: rateLimitRef(r.input.vendor, nowMs), rpm };
  });
  const all = new Map<string, WindowRef>();
  for (const list of refs) for (const ref of list) all.set(ref.key, ref);
  for (const r of rateRefs) if (r) all.set(r.ref.key, r.ref);
  const sorted = [...all.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const idemKeys = reqs.flatMap((r) => (r.idempotency ? [r.idempotency.key] : []));

  // Round trip 1: open the transaction, read the settings, create-and-lock the counters, and read
  // what else the evaluation depends on: expired holds on those counters, stored idempotent
  // answers.
  const statements = ['begin', `${SETTINGS_SELECT} where id = ${q(orgId)}`];
  let countersAt = -1;
  let holdsAt = -1;
  let idemAt = -1;
  if (sorted.length > 0) {
    countersAt = statements.length;
    statements.push(`insert into window_counter (org_id, key, period, per, group_value,
            window_start, window_end)
         select ${q(orgId)}, x.key, x.period, x.per, x.group_value, x.window_start, x.window_end
           from jsonb_to_recordset(${q(
             JSON.stringify(
               sorted.map((w) => ({
                 key: w.key,
                 period: w.period,
                 per: w.per,
                 group_value: w.group,
                 window_start: w.start,
                 window_end: w.end,
               })),
             ),
           )}::jsonb) as x(key text, period text, per text, group_value text,
                          window_start timestamptz, window_end timestamptz)
          order by x.key
         on conflict (org_id, key) do update set updated_at = window_counter.updated_at
         returning key, cost_micros, tokens_in, tokens_out, requests`);
    holdsAt = statements.length;
    statements.push(expiredHoldsQuery(q(orgId), q(evaluatedAt)));
  }
  if (idemKeys.length > 0) {
    idemAt = statements.length;
    // `= any (array(…))`, not `in (select …)`: the semi-join form scans every key of the org.
    statements.push(`select key, request_hash, status_code, response_body from idempotency_record
      where org_id = ${q(orgId)}
        and key = any (array(select jsonb_array_elements_text(${q(JSON.stringify(idemKeys))}::jsonb)))`);
  }
  const res = results(await conn.query(`${statements.join(';\n')};`));
  const settingsRow = res[1]?.rows[0] as SettingsRow | undefined;
  const now = settingsRow ? parseSettings(settingsRow) : null;
  if (!now || !sameSettings(now, org)) {
    await conn.query('rollback');
    return { stale: now };
  }
  const totals: Record<string, WindowTotals> = {};
  if (countersAt >= 0) {
    for (const r of res[countersAt]?.rows as unknown as CounterRow[]) totals[r.key] = toTotals(r);
  }
  // Expired holds still sit in the counters (the worker releases them); limits must not see
  // them. `expired` is added back when the counters are written.
  const expired =
    holdsAt >= 0 ? withoutExpiredHolds(totals, res[holdsAt]?.rows as unknown as CounterRow[]) : {};

  const stored = new Map<string, IdempotencyRow>();
  if (idemAt >= 0) {
    for (const r of res[idemAt]?.rows as unknown as IdempotencyRow[]) stored.set(r.key, r);
  }
  // This batch now holds every counter it reads: the next one may ask for them.
  onLocked();

  const dirty = new Set<string>();
  const outcomes: TxResult[] = [];
  const txRows: Record<string, unknown>[] = [];
  const auditRows: Record<string, unknown>[] = [];
  const alertRows: Record<string, unknown>[] = [];
  const idemRows: Record<string, unknown>[] = [];
  /** Idempotency keys answered earlier in this batch. */
  const answered = new Map<string, { hash: string; response: StoredResponse }>();

  reqs.forEach((req, i) => {
    const idem = req.idempotency;
    if (idem) {
      const prior = answered.get(idem.key) ?? storedAnswer(stored.get(idem.key));
      if (prior) {
        outcomes.push(
          prior.hash !== idem.hash
            ? { kind: 'refused', error: idempotencyConflict(idem.key) }
            : prior.response === null
              ? { kind: 'refused', error: inProgress(idem.key) }
              : { kind: 'replay', response: prior.response },
        );
        return;
      }
    }
    const r = req.record;
    const input = req.input;
    const unpriced = priceRequest(req, org.overrides, nowMs);
    if (unpriced) {
      outcomes.push({ kind: 'refused', error: unpriced });
      return;
    }

    const agentBudget = ctx.budgets?.agents?.[input.agentId ?? ''];
    const evaluation: StoredEvaluation = {
      policyVersion: org.version,
      timeZone: org.timeZone,
      defaultAction: org.defaultAction,
      budgets: org.budgets,
      modelKnown: input.modelKnown ?? null,
      windows: {},
      ...(agentBudget ? { agentBudgets: { [input.agentId ?? '']: agentBudget } } : {}),
    };
    for (const ref of refs[i] ?? []) {
      const t = totals[ref.key];
      evaluation.windows[ref.key] = t
        ? [t.costMicros, t.tokensIn, t.tokensOut, t.requests]
        : [0, 0, 0, 0];
    }
    const disabled = org.vendors[input.vendor]?.enabled === false;
    if (disabled) evaluation.vendorDisabled = true;
    const decision = decide(org, input, totals, ctx);
    const counted = counts(req.phase, decision);

    // A vendor's per-minute limit counts the calls it lets through to the provider (an observed
    // call went through already: it is counted, never refused).
    const rate = rateRefs[i];
    if (counted && rate) {
      const t = totals[rate.ref.key] ?? (totals[rate.ref.key] = zero());
      if (req.phase !== 'observed' && t.requests + 1 > rate.rpm) {
        const retryAfter = Math.max(1, Math.ceil((Date.parse(rate.ref.end) - nowMs) / 1000));
        outcomes.push({ kind: 'refused', error: new RateLimited(retryAfter, input.vendor) });
        return;
      }
      t.requests += 1;
      dirty.add(rate.ref.key);
    }

    const countedIn: string[] = [];
    if (counted) {
      for (const ref of refs[i] ?? []) {
        const t = totals[ref.key] ?? (totals[ref.key] = zero());
        t.costMicros += input.amountMicros;
        t.tokensIn += input.tokensIn ?? 0;
        t.tokensOut += input.tokensOut ?? 0;
        t.requests += 1;
        dirty.add(ref.key);
        countedIn.push(ref.key);
      }
    }
    const reserve = req.phase === 'reserve';
    const expiresAt =
      reserve && decision.admitted ? new Date(nowMs + req.ttlMs).toISOString() : null;
    const policyResult = {
      action: decision.action,
      ruleId: decision.ruleId,
      ruleName: decision.ruleName,
      message: decision.message,
      details: decision.details,
      shadow: decision.shadow,
    };
    txRows.push({
      id: r.id,
      vendor: r.vendor,
      model: r.model,
      agent_id: r.agentId,
      user_id: r.userId,
      user_roles: r.userRoles,
      team_id: r.teamId,
      project_id: r.projectId,
      amount_micros: r.amountMicros,
      amount_cents: r.amountCents,
      tokens_in: r.tokensIn,
      tokens_out: r.tokensOut,
      prompt: r.prompt,
      response: r.response,
      metadata: r.metadata,
      occurred_at: r.occurredAt,
      created_at: evaluatedAt,
      action: decision.action,
      admitted: decision.admitted,
      rule_id: decision.ruleId,
      policy_result: policyResult,
      evaluation,
      counted_windows: countedIn,
      price_source: r.priceSource,
      price_version: r.priceVersion,
      phase: req.phase,
      // An observed transaction the policy would have blocked is `recorded` (it counts) with the
      // decision's action and `admitted: false`: the audit trail shows what the server decided.
      status: !counted ? 'blocked' : reserve ? 'reserved' : 'recorded',
      idempotency_key: idem?.key ?? null,
      hold: reserve
        ? { amountMicros: r.amountMicros, tokensIn: r.tokensIn, tokensOut: r.tokensOut }
        : null,
      expires_at: expiresAt,
    });
    auditRows.push({
      id: newId('evt'),
      event_type: transactionEventType(decision, req.phase),
      occurred_at: evaluatedAt,
      actor: `agent:${r.agentId}`,
      entity_type: 'transaction',
      entity_id: r.id,
      metadata: {
        vendor: r.vendor,
        model: r.model,
        amountCents: r.amountCents,
        amountMicros: r.amountMicros,
        ruleId: decision.ruleId,
        ruleName: decision.ruleName,
        action: decision.action,
        ...(reserve ? { phase: 'reserve', expiresAt } : {}),
        ...(req.phase === 'observed' ? { phase: 'observed' } : {}),
      },
    });
    if (decision.action === 'log' && decision.ruleId !== null) {
      auditRows.push({
        id: newId('evt'),
        event_type: 'rule_triggered',
        occurred_at: evaluatedAt,
        actor: `agent:${r.agentId}`,
        entity_type: 'policy_rule',
        entity_id: decision.ruleId,
        metadata: { transactionId: r.id, ruleName: decision.ruleName, message: decision.message },
      });
    }
    const alert = alertOf(policy, decision, input, r.id, nowMs, org.timeZone);
    if (alert) alertRows.push(alert);
    const outcome: TxOutcome = {
      id: r.id,
      decision,
      evaluatedAt,
      countedWindows: countedIn,
      expiresAt,
      amountMicros: r.amountMicros,
    };
    if (idem) {
      const response = idem.respond(outcome);
      answered.set(idem.key, { hash: idem.hash, response });
      idemRows.push({
        key: idem.key,
        route: idem.route,
        request_hash: idem.hash,
        status_code: response.status,
        response_body: response.body,
      });
    }
    outcomes.push({ kind: 'recorded', outcome });
  });

  if (txRows.length === 0 && dirty.size === 0) {
    await conn.query('commit');
    return { outcomes };
  }
  const counters = [...dirty].map((key) => {
    const t = totals[key] ?? zero();
    const x = expired[key] ?? zero();
    return {
      key,
      cost_micros: t.costMicros + x.costMicros,
      tokens_in: t.tokensIn + x.tokensIn,
      tokens_out: t.tokensOut + x.tokensOut,
      requests: t.requests + x.requests,
    };
  });
  // Round trip 2: every write of the batch in one statement (data-modifying CTEs), and COMMIT.
  await conn.query(
    `with tx as (
       insert into transaction_record (id, org_id, vendor, model, agent_id, user_id, user_roles,
          team_id, project_id, amount_micros, amount_cents, tokens_in, tokens_out, prompt,
          response, metadata, occurred_at, created_at, action, admitted, rule_id, policy_result,
          evaluation, counted_windows, price_source, price_version, phase, status,
          idempotency_key, hold, expires_at)
       select x.id, ${q(orgId)}, x.vendor, x.model, x.agent_id, x.user_id, x.user_roles,
          x.team_id, x.project_id, x.amount_micros, x.amount_cents, x.tokens_in, x.tokens_out,
          x.prompt, x.response, x.metadata, x.occurred_at, x.created_at, x.action, x.admitted,
          x.rule_id, x.policy_result, x.evaluation, x.counted_windows, x.price_source,
          x.price_version, x.phase, x.status, x.idempotency_key, x.hold, x.expires_at
         from jsonb_to_recordset(${q(JSON.stringify(txRows))}::jsonb) as x(id text,
          vendor text, model text, agent_id text, user_id text, user_roles jsonb, team_id text,
          project_id text, amount_micros bigint, amount_cents bigint, tokens_in bigint,
          tokens_out bigint, prompt text, response text, metadata jsonb, occurred_at timestamptz,
          created_at timestamptz, action text, admitted boolean, rule_id text,
          policy_result jsonb, evaluation jsonb, counted_windows jsonb, price_source text,
          price_version text, phase text, status text, idempotency_key text, hold jsonb,
          expires_at timestamptz)
     ), counters as (
       update window_counter c
          set cost_micros = x.cost_micros, tokens_in = x.tokens_in, tokens_out = x.tokens_out,
              requests = x.requests, updated_at = ${q(evaluatedAt)}::timestamptz
         from jsonb_to_recordset(${q(JSON.stringify(counters))}::jsonb) as x(key text,
          cost_micros bigint, tokens_in bigint, tokens_out bigint, requests bigint)
        where c.org_id = ${q(orgId)} and c.key = x.key
     ), audit as (
       insert into audit_event (id, org_id, event_type, occurred_at, actor, entity_type,
          entity_id, metadata)
       select x.id, ${q(orgId)}, x.event_type, x.occurred_at, x.actor, x.entity_type,
          x.entity_id, x.metadata
         from jsonb_to_recordset(${q(JSON.stringify(auditRows))}::jsonb) as x(id text,
          event_type text, occurred_at timestamptz, actor text, entity_type text,
          entity_id text, metadata jsonb)
     )${idemRows.length > 0 ? idempotencyCte(q(orgId), q(JSON.stringify(idemRows)), evaluatedAt) : ''}${
       alertRows.length > 0 ? alertCtes(q(orgId), q(JSON.stringify(alertRows))) : ''
     }
     select 1; commit;`,
  );
  return { outcomes };
}

function storedAnswer(
  row: IdempotencyRow | undefined,
): { hash: string; response: StoredResponse | null } | null {
  if (!row) return null;
  return {
    hash: row.request_hash,
    response:
      row.status_code === null || row.response_body === null
        ? null
        : { status: row.status_code, body: row.response_body },
  };
}

function inProgress(key: string): Conflict {
  return new Conflict(
    'IDEMPOTENCY_IN_PROGRESS',
    `A request with idempotency key "${key}" is still being processed; retry shortly`,
    { idempotencyKey: key },
  );
}

function idempotencyCte(orgId: string, rows: string, at: string): string {
  return `, idem as (
       insert into idempotency_record (org_id, key, route, request_hash, status_code,
          response_body, created_at, completed_at)
       select ${orgId}, x.key, x.route, x.request_hash, x.status_code, x.response_body,
          ${dollarQuote(at)}::timestamptz, ${dollarQuote(at)}::timestamptz
         from jsonb_to_recordset(${rows}::jsonb) as x(key text, route text, request_hash text,
          status_code int, response_body text)
     )`;
}

/**
 * New alerts (one per dedup key: a repeat is dropped by the unique index) and, for `notify`,
 * one outbox row per enabled channel the rule names — only for alerts this batch created.
 */
function alertCtes(orgId: string, rows: string): string {
  return `, alert_src as (
       select * from jsonb_to_recordset(${rows}::jsonb) as x(id text, rule_id text,
          rule_name text, action text, message text, dedup_key text, transaction_id text,
          agent_id text, group_value text, time_window text, window_start timestamptz,
          threshold_pct int, limit_value bigint, current_value bigint, unit text,
          created_at timestamptz, channels jsonb)
     ), alerts as (
       insert into policy_alert (id, org_id, rule_id, rule_name, action, message, dedup_key,
          transaction_id, agent_id, group_value, time_window, window_start, threshold_pct,
          limit_value, current_value, unit, created_at)
       select s.id, ${orgId}, s.rule_id, s.rule_name, s.action, s.message, s.dedup_key,
          s.transaction_id, s.agent_id, s.group_value, s.time_window, s.window_start,
          s.threshold_pct, s.limit_value, s.current_value, s.unit, s.created_at
         from alert_src s
       on conflict (org_id, dedup_key) do nothing
       returning id
     ), outbox as (
       insert into notification_outbox (id, org_id, alert_id, channel_id, payload)
       select 'ntf_' || md5(s.id || '|' || c.id), ${orgId}, s.id, c.id,
          jsonb_build_object('alertId', s.id, 'ruleId', s.rule_id, 'ruleName', s.rule_name,
            'action', s.action, 'message', s.message, 'transactionId', s.transaction_id,
            'agentId', s.agent_id, 'timeWindow', s.time_window, 'limit', s.limit_value,
            'current', s.current_value, 'unit', s.unit, 'createdAt', s.created_at)
         from alerts a
         join alert_src s on s.id = a.id
         cross join lateral jsonb_array_elements_text(s.channels) as ch(id)
         join notification_channel c on c.id = ch.id and c.org_id = ${orgId} and c.enabled
     )`;
}

/**
 * The alert a `warn` or `notify` decision raises, deduplicated per rule, group, window and
 * threshold: the first transaction past the threshold raises it, later ones in the same window
 * find it there. A rule without a window raises one alert per group per day.
 */
function alertOf(
  policy: LoadedPolicy['policy'],
  d: Decision,
  input: TransactionInput,
  txId: string,
  nowMs: number,
  timeZone: string,
): Record<string, unknown> | null {
  if (!d.admitted || (d.action !== 'warn' && d.action !== 'notify') || d.ruleId === null) {
    return null;
  }
  const cr = policy.rules.find((c) => c.rule.id === d.ruleId);
  if (!cr) return null;
  const w = cr.window;
  const per = w ? w.group : 'agent';
  const group = groupValue(per, input);
  const period: Period = w ? w.period : 'daily';
  const start = windowBounds(period, nowMs, timeZone).startIso;
  const threshold = w ? w.thresholdPct : null;
  return {
    id: newId('alert'),
    rule_id: d.ruleId,
    rule_name: d.ruleName ?? '',
    action: d.action,
    message: d.message,
    dedup_key: `${d.ruleId}|${period}|${start}|${per}:${group}|${String(threshold)}`,
    transaction_id: txId,
    agent_id: input.agentId ?? null,
    group_value: group,
    time_window: w ? w.period : null,
    window_start: start,
    threshold_pct: threshold,
    limit_value: d.details.limit,
    current_value: d.details.current,
    unit: d.details.unit,
    created_at: new Date(nowMs).toISOString(),
    channels: cr.rule.actionConfig.channels ?? [],
  };
}

export function transactionEventType(d: Decision, phase: Phase = 'final'): string {
  // Whatever the decision (`metadata.action` keeps it): the call happened and was counted.
  if (phase === 'observed') return 'transaction.observed';
  if (!d.admitted) return 'transaction.blocked';
  if (phase === 'reserve') return 'transaction.reserved';
  if (d.action === 'flag') return 'transaction.flagged';
  if (d.action === 'warn') return 'transaction.warned';
  return 'transaction.recorded';
}
