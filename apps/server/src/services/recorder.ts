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
  evaluate,
  requiredWindows,
  type Decision,
  type EvaluationContext,
  type TransactionInput,
  type WindowRef,
  type WindowTotals,
} from '@reins/engine';
import { NotFound } from '../errors.js';
import { newId } from '../lib/ids.js';
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
}

export interface TxOutcome {
  id: string;
  decision: Decision;
  evaluatedAt: string;
  countedWindows: string[];
}

interface Pending {
  req: TxRequest;
  resolve: (o: TxOutcome) => void;
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

const RETRYABLE = new Set(['40001', '40P01']);

export function evaluationContext(
  settings: Pick<OrgSettings, 'timeZone' | 'defaultAction' | 'budgets'>,
  nowMs: number,
  trace: boolean,
): EvaluationContext {
  return {
    now: nowMs,
    timeZone: settings.timeZone,
    defaultAction: settings.defaultAction,
    budgets: { org: settings.budgets },
    trace,
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

  submit(req: TxRequest): Promise<TxOutcome> {
    return new Promise<TxOutcome>((resolve, reject) => {
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
        p.resolve(outcomes[i] as TxOutcome);
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
      p.resolve(outcome as TxOutcome);
    } catch (err) {
      p.reject(err);
    }
  }

  private async writeWithRetry(
    orgId: string,
    batch: Pending[],
    onLocked: () => void,
  ): Promise<TxOutcome[]> {
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
  ): Promise<TxOutcome[]> {
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
      const ctx = evaluationContext(settings, this.clock(), false);
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
): Promise<{ outcomes: TxOutcome[] } | { stale: OrgSettings | null }> {
  try {
    return await recordLocked(conn, orgId, org, ctx, reqs, onLocked);
  } catch (err) {
    // The transaction is aborted (or already over, if COMMIT itself failed): end it, keep the
    // connection clean for the pool, report the original error.
    await conn.query('rollback').catch(() => undefined);
    throw err;
  }
}

async function recordLocked(
  conn: RawConnection,
  orgId: string,
  org: LoadedPolicy & OrgSettings,
  ctx: EvaluationContext,
  reqs: TxRequest[],
  onLocked: () => void,
): Promise<{ outcomes: TxOutcome[] } | { stale: OrgSettings | null }> {
  const policy = org.policy;
  const q = dollarQuote;
  const evaluatedAt = new Date(ctx.now).toISOString();

  const refs = reqs.map((r) => requiredWindows(policy, r.input, ctx));
  const all = new Map<string, WindowRef>();
  for (const list of refs) for (const ref of list) all.set(ref.key, ref);
  const sorted = [...all.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

  // Round trip 1: open the transaction, read the settings, create-and-lock the counters.
  const lockCounters =
    sorted.length === 0
      ? ''
      : `insert into window_counter (org_id, key, period, per, group_value, window_start,
            window_end)
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
         returning key, cost_micros, tokens_in, tokens_out, requests;`;
  const [, settingsResult, countersResult] = results(
    await conn.query(`begin; ${SETTINGS_SELECT} where id = ${q(orgId)}; ${lockCounters}`),
  );
  const settingsRow = settingsResult?.rows[0] as SettingsRow | undefined;
  const now = settingsRow ? parseSettings(settingsRow) : null;
  if (!now || !sameSettings(now, org)) {
    await conn.query('rollback');
    return { stale: now };
  }
  const totals: Record<string, WindowTotals> = {};
  for (const r of (countersResult?.rows ?? []) as unknown as CounterRow[]) {
    totals[r.key] = toTotals(r);
  }
  // This batch now holds every counter it reads: the next one may ask for them.
  onLocked();

  const dirty = new Set<string>();
  const outcomes: TxOutcome[] = [];
  const txRows: Record<string, unknown>[] = [];
  const auditRows: Record<string, unknown>[] = [];
  reqs.forEach((req, i) => {
    const windowsBefore: StoredEvaluation['windows'] = {};
    for (const ref of refs[i] ?? []) {
      const t = totals[ref.key];
      windowsBefore[ref.key] = t
        ? [t.costMicros, t.tokensIn, t.tokensOut, t.requests]
        : [0, 0, 0, 0];
    }
    const evaluation: StoredEvaluation = {
      policyVersion: org.version,
      timeZone: org.timeZone,
      defaultAction: org.defaultAction,
      budgets: org.budgets,
      modelKnown: req.input.modelKnown ?? null,
      windows: windowsBefore,
    };
    const decision = evaluate(policy, req.input, totals, ctx);
    const counted: string[] = [];
    if (decision.admitted) {
      for (const ref of refs[i] ?? []) {
        const t = totals[ref.key] ?? (totals[ref.key] = zero());
        t.costMicros += req.input.amountMicros;
        t.tokensIn += req.input.tokensIn ?? 0;
        t.tokensOut += req.input.tokensOut ?? 0;
        t.requests += 1;
        dirty.add(ref.key);
        counted.push(ref.key);
      }
    }
    const r = req.record;
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
      counted_windows: counted,
      price_source: r.priceSource,
      price_version: r.priceVersion,
      status: decision.admitted ? 'recorded' : 'blocked',
    });
    auditRows.push({
      id: newId('evt'),
      event_type: transactionEventType(decision),
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
    outcomes.push({ id: r.id, decision, evaluatedAt, countedWindows: counted });
  });

  const counters = [...dirty].map((key) => {
    const t = totals[key] ?? zero();
    return {
      key,
      cost_micros: t.costMicros,
      tokens_in: t.tokensIn,
      tokens_out: t.tokensOut,
      requests: t.requests,
    };
  });
  // Round trip 2: every write of the batch in one statement (data-modifying CTEs), and COMMIT.
  await conn.query(
    `with tx as (
       insert into transaction_record (id, org_id, vendor, model, agent_id, user_id, user_roles,
          team_id, project_id, amount_micros, amount_cents, tokens_in, tokens_out, prompt,
          response, metadata, occurred_at, created_at, action, admitted, rule_id, policy_result,
          evaluation, counted_windows, price_source, price_version, status)
       select x.id, ${q(orgId)}, x.vendor, x.model, x.agent_id, x.user_id, x.user_roles,
          x.team_id, x.project_id, x.amount_micros, x.amount_cents, x.tokens_in, x.tokens_out,
          x.prompt, x.response, x.metadata, x.occurred_at, x.created_at, x.action, x.admitted,
          x.rule_id, x.policy_result, x.evaluation, x.counted_windows, x.price_source,
          x.price_version, x.status
         from jsonb_to_recordset(${q(JSON.stringify(txRows))}::jsonb) as x(id text,
          vendor text, model text, agent_id text, user_id text, user_roles jsonb, team_id text,
          project_id text, amount_micros bigint, amount_cents bigint, tokens_in bigint,
          tokens_out bigint, prompt text, response text, metadata jsonb, occurred_at timestamptz,
          created_at timestamptz, action text, admitted boolean, rule_id text,
          policy_result jsonb, evaluation jsonb, counted_windows jsonb, price_source text,
          price_version text, status text)
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
     )
     select 1; commit;`,
  );
  return { outcomes };
}

export function transactionEventType(d: Decision): string {
  if (!d.admitted) return 'transaction.blocked';
  if (d.action === 'flag') return 'transaction.flagged';
  if (d.action === 'warn') return 'transaction.warned';
  return 'transaction.recorded';
}
