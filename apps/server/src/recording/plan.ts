/**
 * The batch planner: given the totals a batch read under its counter locks and the answers stored
 * under its idempotency keys, decides every transaction of the batch in arrival order (each sees
 * the ones before it) and says what to write. Pure: no database, no clock (`now` is in `ctx`).
 */
import {
  formatMicros,
  groupValue,
  requiredWindows,
  windowBounds,
  type Decision,
  type EvaluationContext,
  type Period,
  type TransactionInput,
  type WindowRef,
} from '@reins/engine';
import {
  auditRow,
  countersToWrite,
  judge,
  newId,
  rateLimitRef,
  withinExact,
  zeroTotals,
  MAX_EXACT_TOTAL,
  type AuditRow,
  type CounterWrite,
  type EvaluatedTotals,
  type Prior,
  type RecordedAnswer,
  type StoredAnswer,
  type StoredResponse,
} from '@reins/ledger';
import {
  RateLimited,
  ValidationError,
  idempotencyConflict,
  idempotencyInProgress,
  type DomainError,
} from '../errors.js';
import type { LoadedPolicy, OrgSettings } from '../machinery/policyCache.js';
import {
  budgetsOfTransaction,
  counts,
  decide,
  priceRequest,
  transactionEventType,
  type StoredEvaluation,
} from './evaluation.js';
import type { TxOutcome, TxRequest, TxResult } from './types.js';

/** What an organization's batch evaluates with: its policy of one version and its settings. */
export type BatchPolicy = LoadedPolicy & OrgSettings;

/** The counters a batch reads and the idempotency keys it looks up, before it plans. */
export interface BatchNeeds {
  /** Per request: the windows it counts in (`requiredWindows`). */
  refs: WindowRef[][];
  /** Per request: its vendor's per-minute counter and limit, if the vendor has one. */
  rateRefs: ({ ref: WindowRef; rpm: number } | null)[];
  /** Every counter of the batch, each once, in key order (the order they are locked in). */
  counters: WindowRef[];
  idempotencyKeys: string[];
}

export function batchNeeds(
  org: BatchPolicy,
  ctx: EvaluationContext,
  reqs: readonly TxRequest[],
): BatchNeeds {
  const nowMs = Number(ctx.now);
  const refs = reqs.map((r) => requiredWindows(org.policy, r.input, ctx));
  const rateRefs = reqs.map((r) => {
    const rpm = org.vendors[r.input.vendor]?.rateLimitRpm ?? null;
    return rpm === null ? null : { ref: rateLimitRef(r.input.vendor, nowMs), rpm };
  });
  const all = new Map<string, WindowRef>();
  for (const list of refs) for (const ref of list) all.set(ref.key, ref);
  for (const r of rateRefs) if (r) all.set(r.ref.key, r.ref);
  const counters = [...all.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const idempotencyKeys = reqs.flatMap((r) => (r.idempotency ? [r.idempotency.key] : []));
  return { refs, rateRefs, counters, idempotencyKeys };
}

/** A `transaction_record` row as the batch inserts it. */
export type TransactionRow = Record<string, unknown> & { id: string };

/** A `policy_alert` row, with the channels its notifications go to. */
export interface AlertRow {
  id: string;
  rule_id: string;
  rule_name: string;
  action: string;
  message: string;
  dedup_key: string;
  transaction_id: string;
  agent_id: string | null;
  group_value: string;
  time_window: Period | null;
  window_start: string;
  threshold_pct: number | null;
  limit_value: number | null;
  current_value: number | null;
  unit: string | null;
  created_at: string;
  channels: string[];
}

export interface BatchPlan {
  /** One per request, in order. */
  outcomes: TxResult[];
  transactions: TransactionRow[];
  audit: AuditRow[];
  alerts: AlertRow[];
  /** The counters' new values (only those that changed). */
  counters: CounterWrite[];
}

export interface BatchState {
  orgId: string;
  org: BatchPolicy;
  ctx: EvaluationContext;
  reqs: readonly TxRequest[];
  needs: BatchNeeds;
  /** The locked counters as an evaluation sees them (the planner adds the batch's spend). */
  evaluated: EvaluatedTotals;
  /** Stored answers of the batch's idempotency keys. */
  answers: ReadonlyMap<string, StoredAnswer>;
}

export function planBatch(s: BatchState): BatchPlan {
  const { orgId, org, ctx, reqs, needs } = s;
  const nowMs = Number(ctx.now);
  const evaluatedAt = new Date(nowMs).toISOString();
  const totals = s.evaluated.totals;
  const plan: BatchPlan = {
    outcomes: [],
    transactions: [],
    audit: [],
    alerts: [],
    counters: [],
  };
  const dirty = new Set<string>();
  /** Idempotency keys answered earlier in this batch. */
  const answered = new Map<string, StoredAnswer>();

  reqs.forEach((req, i) => {
    const idem = req.idempotency;
    if (idem) {
      const prior = judge(answered.get(idem.key) ?? s.answers.get(idem.key), idem.hash);
      if (prior.kind !== 'none') {
        plan.outcomes.push(priorOutcome(idem.key, prior, idem.respond));
        return;
      }
    }
    const r = req.record;
    const input = req.input;
    const unpriced = priceRequest(req, org.overrides, nowMs);
    if (unpriced) {
      plan.outcomes.push({ kind: 'refused', error: unpriced });
      return;
    }

    const refs = needs.refs[i] ?? [];
    const evaluation: StoredEvaluation = {
      policyVersion: org.version,
      timeZone: org.timeZone,
      defaultAction: org.defaultAction,
      budgets: org.budgets,
      modelKnown: input.modelKnown ?? null,
      windows: {},
      ...budgetsOfTransaction(ctx.budgets, input),
    };
    for (const ref of refs) {
      const t = totals[ref.key];
      evaluation.windows[ref.key] = t
        ? [t.costMicros, t.tokensIn, t.tokensOut, t.requests]
        : [0, 0, 0, 0];
    }
    if (org.vendors[input.vendor]?.enabled === false) evaluation.vendorDisabled = true;
    const decision = decide(org, input, totals, ctx);
    const counted = counts(req.phase, decision);
    const spend = {
      costMicros: input.amountMicros,
      tokensIn: input.tokensIn ?? 0,
      tokensOut: input.tokensOut ?? 0,
      requests: 1,
    };
    if (counted && !refs.every((ref) => withinExact(totals[ref.key], spend))) {
      plan.outcomes.push({ kind: 'refused', error: pastExact() });
      return;
    }

    // A vendor's per-minute limit counts the calls it lets through to the provider (an observed
    // call went through already: it is counted, never refused).
    const rate = needs.rateRefs[i];
    if (counted && rate) {
      const t = totals[rate.ref.key] ?? (totals[rate.ref.key] = zeroTotals());
      if (req.phase !== 'observed' && t.requests + 1 > rate.rpm) {
        const retryAfter = Math.max(1, Math.ceil((Date.parse(rate.ref.end) - nowMs) / 1000));
        plan.outcomes.push({ kind: 'refused', error: new RateLimited(retryAfter, input.vendor) });
        return;
      }
      t.requests += 1;
      dirty.add(rate.ref.key);
    }

    const countedIn: string[] = [];
    if (counted) {
      for (const ref of refs) {
        const t = totals[ref.key] ?? (totals[ref.key] = zeroTotals());
        t.costMicros += spend.costMicros;
        t.tokensIn += spend.tokensIn;
        t.tokensOut += spend.tokensOut;
        t.requests += 1;
        dirty.add(ref.key);
        countedIn.push(ref.key);
      }
    }
    const reserve = req.phase === 'reserve';
    const expiresAt =
      reserve && decision.admitted ? new Date(nowMs + req.ttlMs).toISOString() : null;
    plan.transactions.push({
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
      policy_result: storedDecision(decision),
      evaluation,
      counted_windows: countedIn,
      price_source: r.priceSource,
      price_version: r.priceVersion,
      phase: req.phase,
      // An observed transaction the policy would have blocked is `recorded` (it counts) with the
      // decision's action and `admitted: false`: the audit trail shows what the server decided.
      status: !counted ? 'blocked' : reserve ? 'reserved' : 'recorded',
      idempotency_key: idem?.key ?? null,
      // The key's replays are answered from this row: no stored answer (idempotency.ts).
      request_hash: idem?.hash ?? null,
      hold: reserve
        ? { amountMicros: r.amountMicros, tokensIn: r.tokensIn, tokensOut: r.tokensOut }
        : null,
      expires_at: expiresAt,
      // `flag` records the transaction normally and puts it in the manual review queue.
      review_state: decision.action === 'flag' ? 'open' : null,
    });
    plan.audit.push(
      auditRow({
        orgId,
        eventType: transactionEventType(decision, req.phase),
        occurredAt: evaluatedAt,
        actor: `agent:${r.agentId}`,
        entityType: 'transaction',
        entityId: r.id,
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
      }),
    );
    if (decision.action === 'log' && decision.ruleId !== null) {
      plan.audit.push(
        auditRow({
          orgId,
          eventType: 'rule_triggered',
          occurredAt: evaluatedAt,
          actor: `agent:${r.agentId}`,
          entityType: 'policy_rule',
          entityId: decision.ruleId,
          metadata: { transactionId: r.id, ruleName: decision.ruleName, message: decision.message },
        }),
      );
    }
    const alert = alertOf(org.policy, decision, input, r.id, nowMs, org.timeZone);
    if (alert) plan.alerts.push(alert);
    const outcome: TxOutcome = {
      id: r.id,
      decision,
      evaluatedAt,
      countedWindows: countedIn,
      expiresAt,
      amountMicros: r.amountMicros,
    };
    if (idem) answered.set(idem.key, { hash: idem.hash, response: null, recorded: kept(outcome) });
    plan.outcomes.push({ kind: 'recorded', outcome });
  });

  plan.counters = countersToWrite(s.evaluated, dirty);
  return plan;
}

/** A transaction that would take a window's total past what Reins counts exactly. */
export function pastExact(): DomainError {
  return ValidationError.of(
    'amount',
    `would take a window's total past ${formatMicros(MAX_EXACT_TOTAL)} (or ` +
      `${String(MAX_EXACT_TOTAL)} tokens or requests), the most Reins counts exactly`,
  );
}

function priorOutcome(
  key: string,
  prior: Exclude<Prior, { kind: 'none' }>,
  respond: (o: TxOutcome) => StoredResponse,
): TxResult {
  switch (prior.kind) {
    case 'replay':
      return { kind: 'replay', response: prior.response };
    case 'recorded':
      return { kind: 'replay', response: respond(outcomeOf(prior.recorded)) };
    case 'conflict':
      return { kind: 'refused', error: idempotencyConflict(key) };
    case 'in-progress':
      return { kind: 'refused', error: idempotencyInProgress(key) };
  }
}

type StoredDecision = Pick<
  Decision,
  'action' | 'ruleId' | 'ruleName' | 'message' | 'details' | 'shadow'
>;

/** A decision as `transaction_record.policy_result` keeps it. */
function storedDecision(d: Decision): StoredDecision {
  return {
    action: d.action,
    ruleId: d.ruleId,
    ruleName: d.ruleName,
    message: d.message,
    details: d.details,
    shadow: d.shadow,
  };
}

/** What a transaction's row keeps of its outcome (see `outcomeOf`). */
function kept(o: TxOutcome): RecordedAnswer {
  return {
    id: o.id,
    policyResult: { ...storedDecision(o.decision) },
    admitted: o.decision.admitted,
    createdAt: o.evaluatedAt,
    countedWindows: o.countedWindows,
    expiresAt: o.expiresAt,
    amountMicros: o.amountMicros,
  };
}

/**
 * The outcome a transaction recorded under an idempotency key was answered with, from its row:
 * its answer (`TxRequest.idempotency.respond`) reads the decision's action, rule, message and
 * details, whether it was admitted, the hold's expiry and the amount — all stored, none changed
 * afterwards (settling changes the amount; the row's answer reads the hold's, as recorded). The
 * trace is not stored: no answer shows it.
 */
export function outcomeOf(r: RecordedAnswer): TxOutcome {
  const p = r.policyResult as unknown as StoredDecision;
  return {
    id: r.id,
    decision: {
      action: p.action,
      admitted: r.admitted,
      ruleId: p.ruleId,
      ruleName: p.ruleName,
      message: p.message,
      details: p.details,
      shadow: p.shadow,
      trace: [],
    },
    evaluatedAt: r.createdAt,
    countedWindows: r.countedWindows,
    expiresAt: r.expiresAt,
    amountMicros: r.amountMicros,
  };
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
): AlertRow | null {
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
