/**
 * `evaluate(policy, input, windows, ctx)`: pure, synchronous, deterministic. The first matching
 * enforce-mode rule decides; shadow rules are traced and reported, never decide.
 */
import { projectedOver } from './analytics.js';
import { readsBudget, resolveLimit } from './budgets.js';
import { compile, type CompiledRule, type CompiledWindow, type Policy } from './compile.js';
import { listMatches } from './glob.js';
import {
  compareProducts,
  formatCents,
  formatInteger,
  formatMicros,
  MICROS_PER_CENT,
  microsToCentsCeil,
} from './money.js';
import { isModelKnown } from './prices.js';
import { localClock, parseInstant, windowBounds } from './time.js';
import type {
  Decision,
  DecisionDetails,
  EvaluationContext,
  GroupBy,
  Metric,
  Period,
  Rule,
  ShadowHit,
  TraceEntry,
  TraceFigures,
  TransactionInput,
  WindowRef,
  WindowTotals,
  WindowTotalsMap,
} from './types.js';

export const DEFAULT_AGENT = 'default';
export const NO_GROUP = '(none)';
const ZERO: WindowTotals = { costMicros: 0, tokensIn: 0, tokensOut: 0, requests: 0 };
const NO_DETAILS: DecisionDetails = {
  ruleId: null,
  limit: null,
  current: null,
  unit: null,
  timeWindow: null,
  resetsAt: null,
};

/** The transaction and context, normalized once per evaluation. */
interface Tx {
  input: TransactionInput;
  vendor: string;
  model: string;
  agentId: string;
  roles: string[];
  nowMs: number;
  timeZone: string;
  ctx: EvaluationContext;
  tokensIn: number;
  tokensOut: number;
  modelKnown: boolean | undefined;
}

/** The transaction's user roles, lower case: `userRoles` and the docs' `metadata.userRole(s)`. */
export function transactionRoles(input: TransactionInput): string[] {
  const roles: string[] = [];
  for (const r of input.userRoles ?? []) roles.push(r.toLowerCase());
  const meta = input.metadata;
  if (meta) {
    const one = meta.userRole;
    if (typeof one === 'string') roles.push(one.toLowerCase());
    const many = meta.userRoles;
    if (Array.isArray(many))
      for (const r of many) if (typeof r === 'string') roles.push(r.toLowerCase());
  }
  return roles;
}

function normalize(input: TransactionInput, ctx: EvaluationContext): Tx {
  const nowMs = parseInstant(ctx.now);
  if (!Number.isFinite(nowMs))
    throw new RangeError(`ctx.now is not a valid instant: ${String(ctx.now)}`);
  return {
    input,
    vendor: input.vendor.toLowerCase(),
    model: (input.model ?? '').toLowerCase(),
    agentId: input.agentId || DEFAULT_AGENT,
    roles: transactionRoles(input),
    nowMs,
    timeZone: ctx.timeZone ?? 'UTC',
    ctx,
    tokensIn: input.tokensIn ?? 0,
    tokensOut: input.tokensOut ?? 0,
    modelKnown: input.modelKnown,
  };
}

/** The group value of a transaction for a window total. */
export function groupValue(per: GroupBy, input: TransactionInput): string {
  switch (per) {
    case 'org':
      return '*';
    case 'agent':
      return input.agentId || DEFAULT_AGENT;
    case 'user':
      return input.userId || NO_GROUP;
    case 'team':
      return input.teamId || NO_GROUP;
    case 'project':
      return input.projectId || NO_GROUP;
    case 'vendor':
      return input.vendor.toLowerCase();
    case 'model':
      return input.model ? input.model.toLowerCase() : NO_GROUP;
  }
}

export function windowKey(period: Period, per: GroupBy, startIso: string, group: string): string {
  return `${period}|${per}|${startIso}|${group}`;
}

const list = (values: Iterable<string>) => `[${[...values].join(', ')}]`;
const orNone = (v: string | null | undefined) => (v ? v : '(none)');

/** Null when the rule's conditions (other than its window) hold; else why not. */
function staticMismatch(cr: CompiledRule, tx: Tx): string | null {
  const r = cr.rule;
  const input = tx.input;
  if (r.scope !== 'org') {
    const actual =
      r.scope === 'user' ? input.userId : r.scope === 'team' ? input.teamId : input.projectId;
    if (actual !== r.scopeId)
      return `Scope ${r.scope} ${orNone(r.scopeId)}: transaction ${r.scope} is ${orNone(actual)}`;
  }
  if (cr.vendors && !cr.vendors.has(tx.vendor))
    return `Vendor ${tx.vendor} not in ${list(r.match.vendors)}`;
  if (cr.models && (tx.model === '' || !listMatches(cr.models, tx.model))) {
    return `Model ${orNone(input.model)} not in ${list(r.match.models)}`;
  }
  if (cr.excludeModels && tx.model !== '' && listMatches(cr.excludeModels, tx.model)) {
    return `Model ${orNone(input.model)} is allowed (in ${list(r.match.excludeModels)})`;
  }
  if (cr.agents && !listMatches(cr.agents, tx.agentId))
    return `Agent ${tx.agentId} not in ${list(r.match.agentIds)}`;
  if (cr.users && !(input.userId && cr.users.has(input.userId))) {
    return `User ${orNone(input.userId)} not in ${list(r.match.userIds)}`;
  }
  if (cr.roles && !tx.roles.some((role) => cr.roles?.has(role))) {
    return `User roles ${list(tx.roles)} not in ${list(r.match.userRoles)}`;
  }
  if (cr.teams && !(input.teamId && cr.teams.has(input.teamId))) {
    return `Team ${orNone(input.teamId)} not in ${list(r.match.teamIds)}`;
  }
  if (cr.projects && !(input.projectId && cr.projects.has(input.projectId))) {
    return `Project ${orNone(input.projectId)} not in ${list(r.match.projectIds)}`;
  }
  // A window rule's amount range bounds the window's spend (evaluateWindow), not this amount.
  const amount = cr.window ? null : amountMismatch(cr, input.amountMicros, 'Amount');
  if (amount !== null) return amount;
  if (cr.schedule) {
    const { dayOfWeek, minutes } = localClock(tx.timeZone, tx.nowMs);
    const dayOk = !cr.schedule.days || cr.schedule.days.has(dayOfWeek);
    const hourOk =
      cr.schedule.ranges.length === 0 ||
      cr.schedule.ranges.some(([from, to]) =>
        from < to ? minutes >= from && minutes < to : minutes >= from || minutes < to,
      );
    if (!dayOk || !hourOk)
      return `Outside schedule (${DAY_LABELS[dayOfWeek] ?? ''} ${hhmm(minutes)} ${tx.timeZone})`;
  }
  const m = r.match;
  if (m.requireProjectId || m.unknownModel) {
    const missingProject = m.requireProjectId && !input.projectId;
    const unknown = m.unknownModel && !modelKnown(tx);
    if (!missingProject && !unknown) {
      const parts: string[] = [];
      if (m.requireProjectId) parts.push(`transaction has project ${input.projectId ?? ''}`);
      if (m.unknownModel) parts.push(`model ${orNone(input.model)} is priced`);
      return capitalize(parts.join(' and '));
    }
  }
  return null;
}

/** Null when `micros` is within the rule's amount range; else why not. */
function amountMismatch(cr: CompiledRule, micros: number, what: string): string | null {
  if (cr.minMicros !== null && micros < cr.minMicros) {
    return `${what} ${formatMicros(micros)} below minimum ${formatMicros(cr.minMicros)}`;
  }
  if (cr.maxMicros !== null && micros > cr.maxMicros) {
    return `${what} ${formatMicros(micros)} above maximum ${formatMicros(cr.maxMicros)}`;
  }
  return null;
}

function modelKnown(tx: Tx): boolean {
  tx.modelKnown ??= isModelKnown(tx.vendor, tx.input.model, tx.nowMs, tx.ctx.priceOverrides);
  return tx.modelKnown;
}

const DAY_LABELS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const hhmm = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** What the rule matched on, for the trace of a matching rule. */
function matchSummary(cr: CompiledRule, tx: Tx): string {
  const r = cr.rule;
  const parts: string[] = [];
  if (r.scope !== 'org') parts.push(`${r.scope} ${orNone(r.scopeId)}`);
  if (cr.vendors) parts.push(`vendor ${tx.vendor}`);
  if (cr.models) parts.push(`model ${orNone(tx.input.model)} in ${list(r.match.models)}`);
  if (cr.excludeModels)
    parts.push(`model ${orNone(tx.input.model)} not in ${list(r.match.excludeModels)}`);
  if (cr.agents) parts.push(`agent ${tx.agentId}`);
  if (cr.users) parts.push(`user ${orNone(tx.input.userId)}`);
  if (cr.roles) parts.push(`user roles ${list(tx.roles)}`);
  if (cr.teams) parts.push(`team ${orNone(tx.input.teamId)}`);
  if (cr.projects) parts.push(`project ${orNone(tx.input.projectId)}`);
  if (cr.minMicros !== null || cr.maxMicros !== null)
    parts.push(`amount ${formatMicros(tx.input.amountMicros)}`);
  if (cr.schedule) parts.push('within schedule');
  if (r.match.requireProjectId && !tx.input.projectId) parts.push('no project id');
  if (r.match.unknownModel && !modelKnown(tx))
    parts.push(`model ${orNone(tx.input.model)} has no price`);
  return parts.length === 0 ? 'Matched: no conditions' : `Matched: ${parts.join(', ')}`;
}

const PERIOD_LABEL: Record<Period, string> = {
  hourly: 'Hourly',
  daily: 'Daily',
  weekly: 'Weekly',
  monthly: 'Monthly',
};
const METRIC_LABEL: Record<Metric, string> = {
  cost_cents: 'spend',
  tokens_in: 'input tokens',
  tokens_out: 'output tokens',
  tokens_total: 'tokens',
  requests: 'requests',
};

interface WindowOutcome {
  matched: boolean;
  reason: string;
  details: DecisionDetails;
  figures: TraceFigures | undefined;
}

function metricValues(
  w: CompiledWindow,
  totals: WindowTotals,
  tx: Tx,
): { before: number; add: number } {
  switch (w.metric) {
    case 'cost_cents':
      return { before: totals.costMicros, add: tx.input.amountMicros };
    case 'tokens_in':
      return { before: totals.tokensIn, add: tx.tokensIn };
    case 'tokens_out':
      return { before: totals.tokensOut, add: tx.tokensOut };
    case 'tokens_total':
      return { before: totals.tokensIn + totals.tokensOut, add: tx.tokensIn + tx.tokensOut };
    case 'requests':
      return { before: totals.requests, add: 1 };
  }
}

/** -1 below, 0 at, 1 over `pct` percent of the limit. */
function against(current: number, limitUnits: number, scale: number, pct: number): -1 | 0 | 1 {
  return compareProducts(current, 100, limitUnits, pct * scale);
}

const relation = (cmp: number) => (cmp > 0 ? 'over' : cmp < 0 ? 'below' : 'at');
const pctOf = (pct: number) => (pct === 100 ? '' : `${pct}% of `);

function evaluateWindow(
  cr: CompiledRule,
  w: CompiledWindow,
  tx: Tx,
  windows: WindowTotalsMap,
  wantReason: boolean,
): WindowOutcome {
  const bounds = windowBounds(w.period, tx.nowMs, tx.timeZone);
  const group = groupValue(w.group, tx.input);
  const key = windowKey(w.period, w.group, bounds.startIso, group);
  const totals = windows[key] ?? ZERO;
  const resolved =
    w.limit !== null || readsBudget(w)
      ? resolveLimit(cr, w, tx.ctx.budgets, {
          agentId: tx.agentId,
          roles: tx.roles,
          teamId: tx.input.teamId,
          projectId: tx.input.projectId,
        })
      : null;
  const limit = resolved && 'limit' in resolved ? resolved.limit : null;
  const label = PERIOD_LABEL[w.period];
  const ruleId = cr.rule.id;
  const at = (
    limit: number | null,
    current: number | null,
    unit: DecisionDetails['unit'],
  ): DecisionDetails => ({
    ruleId,
    limit,
    current,
    unit,
    timeWindow: w.period,
    resetsAt: bounds.endIso,
  });
  if (limit === null && w.maxTransactions === null) {
    const missing = resolved && 'missing' in resolved ? resolved.missing : 'set a limit';
    return {
      matched: false,
      reason: wantReason ? `No limit for this ${w.period} window: ${missing}` : '',
      details: at(null, null, null),
      figures: undefined,
    };
  }
  // The amount range of a window rule bounds what the window spent, this transaction included.
  const outside = amountMismatch(cr, totals.costMicros + tx.input.amountMicros, `${label} spend`);
  if (outside !== null) {
    return { matched: false, reason: outside, details: at(null, null, null), figures: undefined };
  }
  const reasons: string[] = [];
  let matched = false;
  let details: DecisionDetails | null = null;
  let figures: TraceFigures | undefined;
  if (limit !== null) {
    const { before, add } = metricValues(w, totals, tx);
    const current = before + add;
    const money = w.metric === 'cost_cents';
    const scale = money ? MICROS_PER_CENT : 1;
    const cmp = against(current, limit, scale, w.thresholdPct);
    let forecastHit = false;
    let projected: number | undefined;
    if (w.forecastPct !== null) {
      const f = projectedOver(current, limit * scale, w.forecastPct, bounds, tx.nowMs);
      forecastHit = f.over;
      projected = f.projected;
    }
    const unit = money ? 'cents' : w.metric === 'requests' ? 'requests' : 'tokens';
    const shown = money ? microsToCentsCeil(current) : current;
    details = at(limit, shown, unit);
    matched = cmp > 0 || forecastHit;
    if (wantReason) {
      const fmt = money ? formatMicros : formatInteger;
      const fmtLimit = money ? formatCents(limit) : formatInteger(limit);
      let text = `${label} ${METRIC_LABEL[w.metric]} ${fmt(current)} ${relation(cmp)} ${pctOf(w.thresholdPct)}${fmtLimit} limit`;
      if (w.forecastPct !== null && projected !== undefined) {
        const fmtProjected = money ? formatMicros(projected) : formatInteger(projected);
        text += `; projected ${fmtProjected} ${forecastHit ? 'over' : 'within'} ${w.forecastPct}% of ${fmtLimit}`;
      }
      reasons.push(text);
      figures = {
        metric: w.metric,
        per: w.group,
        group,
        windowKey: key,
        before,
        current,
        limit: limit * scale,
        thresholdPct: w.thresholdPct,
        ...(w.forecastPct !== null ? { projected, forecastPct: w.forecastPct } : {}),
      };
    }
  }
  if (w.maxTransactions !== null) {
    const current = totals.requests + 1;
    const cmp = against(current, w.maxTransactions, 1, w.thresholdPct);
    // The details name the limit that was crossed; money first when both were.
    if (!details || (cmp > 0 && !matched)) {
      details = at(w.maxTransactions, current, 'requests');
    }
    matched = matched || cmp > 0;
    if (wantReason) {
      const text = `${label} requests ${formatInteger(current)} ${relation(cmp)} ${pctOf(w.thresholdPct)}${formatInteger(w.maxTransactions)} limit`;
      reasons.push(reasons.length > 0 ? text.charAt(0).toLowerCase() + text.slice(1) : text);
      figures ??= {
        metric: 'requests',
        per: w.group,
        group,
        windowKey: key,
        before: totals.requests,
        current,
        limit: w.maxTransactions,
        thresholdPct: w.thresholdPct,
      };
    }
  }
  return {
    matched,
    reason: reasons.join('; '),
    details: details ?? at(null, null, null),
    figures,
  };
}

interface RuleOutcome {
  matched: boolean;
  reason: string;
  details: DecisionDetails;
  figures: TraceFigures | undefined;
}

function amountDetails(cr: CompiledRule, tx: Tx): DecisionDetails {
  return {
    ruleId: cr.rule.id,
    limit: null,
    current: microsToCentsCeil(tx.input.amountMicros),
    unit: 'cents',
    timeWindow: null,
    resetsAt: null,
  };
}

function evaluateRule(
  cr: CompiledRule,
  tx: Tx,
  windows: WindowTotalsMap,
  wantReason: boolean,
): RuleOutcome {
  const miss = staticMismatch(cr, tx);
  if (miss !== null) {
    return { matched: false, reason: miss, details: NO_DETAILS, figures: undefined };
  }
  if (cr.window) return evaluateWindow(cr, cr.window, tx, windows, wantReason);
  return {
    matched: true,
    reason: wantReason ? matchSummary(cr, tx) : '',
    details: amountDetails(cr, tx),
    figures: undefined,
  };
}

/** Merges sorted order lists into one ascending, de-duplicated list of candidate rules. */
function candidates(policy: Policy, agentId: string): number[] {
  const exact = policy.byAgent.get(agentId);
  const lists = [policy.anyAgent, policy.agentGlobs, exact ?? []].filter((l) => l.length > 0);
  if (lists.length === 1) return lists[0] as number[];
  const out: number[] = [];
  for (const l of lists) for (const o of l) out.push(o);
  out.sort((a, b) => a - b);
  let w = 0;
  for (let i = 0; i < out.length; i++)
    if (i === 0 || out[i] !== out[i - 1]) out[w++] = out[i] as number;
  out.length = w;
  return out;
}

export function evaluate(
  policy: Policy,
  input: TransactionInput,
  windows: WindowTotalsMap,
  ctx: EvaluationContext,
): Decision {
  const tx = normalize(input, ctx);
  const wantTrace = ctx.trace !== false;
  const trace: TraceEntry[] = [];
  const shadow: ShadowHit[] = [];
  let decisive: CompiledRule | null = null;
  let decisiveDetails: DecisionDetails = NO_DETAILS;

  const rules = policy.rules;
  const order = wantTrace ? null : candidates(policy, tx.agentId);
  const count = order ? order.length : rules.length;
  for (let i = 0; i < count; i++) {
    const cr = rules[order ? (order[i] as number) : i] as CompiledRule;
    const rule = cr.rule;
    if (decisive) {
      if (!wantTrace) break;
      trace.push(
        entry(rule, false, false, false, `Not reached: "${decisive.rule.name}" decided first`),
      );
      continue;
    }
    const out = evaluateRule(cr, tx, windows, wantTrace);
    if (out.matched && rule.mode === 'shadow') {
      shadow.push({
        ruleId: rule.id,
        ruleName: rule.name,
        action: rule.action,
        details: out.details,
      });
      if (wantTrace) {
        trace.push(
          entry(
            rule,
            true,
            true,
            false,
            `Shadow, would ${rule.action}: ${out.reason}`,
            out.figures,
          ),
        );
      }
      continue;
    }
    if (out.matched) {
      decisive = cr;
      decisiveDetails = out.details;
    }
    if (wantTrace) trace.push(entry(rule, true, out.matched, out.matched, out.reason, out.figures));
  }

  if (decisive) {
    return {
      action: decisive.rule.action,
      admitted: decisive.rule.action !== 'block',
      ruleId: decisive.rule.id,
      ruleName: decisive.rule.name,
      message: decisive.message,
      details: decisiveDetails,
      shadow,
      trace,
    };
  }
  const deny = ctx.defaultAction === 'block';
  return {
    action: deny ? 'block' : 'pass',
    admitted: !deny,
    ruleId: null,
    ruleName: null,
    message: deny ? 'No rules matched; the default action is block' : 'No rules matched',
    details: NO_DETAILS,
    shadow,
    trace,
  };
}

/** An organization's switch for a vendor; a vendor without one is enabled. */
export interface VendorSwitch {
  enabled: boolean;
}

/** The decision for a vendor the organization disabled: refused before any rule is read. */
export function vendorDisabledDecision(vendor: string): Decision {
  return {
    action: 'block',
    admitted: false,
    ruleId: null,
    ruleName: null,
    message: `Vendor "${vendor}" is disabled for this organization`,
    details: { ...NO_DETAILS },
    shadow: [],
    trace: [],
  };
}

/**
 * The organization's decision: a disabled vendor blocks, else the rules decide. What the server
 * and the SDK's local mode both call.
 */
export function decide(
  policy: Policy,
  vendors: Readonly<Record<string, VendorSwitch | undefined>>,
  input: TransactionInput,
  windows: WindowTotalsMap,
  ctx: EvaluationContext,
): Decision {
  const vendor = input.vendor.toLowerCase();
  return vendors[vendor]?.enabled === false
    ? vendorDisabledDecision(vendor)
    : evaluate(policy, input, windows, ctx);
}

function entry(
  rule: Rule,
  reached: boolean,
  matched: boolean,
  decisive: boolean,
  reason: string,
  figures?: TraceFigures,
): TraceEntry {
  const e: TraceEntry = {
    ruleId: rule.id,
    ruleName: rule.name,
    priority: rule.priority,
    action: rule.action,
    mode: rule.mode,
    reached,
    matched,
    decisive,
    reason,
  };
  if (figures) e.figures = figures;
  return e;
}

/**
 * Every window counter the transaction touches: one per (period, per) pair any enabled rule
 * reads, for this transaction's group, sorted by key — the order the server locks them in.
 */
export function requiredWindows(
  policy: Policy,
  input: TransactionInput,
  ctx: EvaluationContext,
): WindowRef[] {
  const nowMs = parseInstant(ctx.now);
  const timeZone = ctx.timeZone ?? 'UTC';
  const refs: WindowRef[] = [];
  for (const { period, per } of policy.windowPairs) {
    const b = windowBounds(period, nowMs, timeZone);
    const group = groupValue(per, input);
    refs.push({
      key: windowKey(period, per, b.startIso, group),
      period,
      per,
      group,
      start: b.startIso,
      end: b.endIso,
    });
  }
  return refs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Compiles and evaluates in one call (tests, one-off dry runs). */
export function evaluateRules(
  rules: readonly Rule[],
  input: TransactionInput,
  windows: WindowTotalsMap,
  ctx: EvaluationContext,
): Decision {
  return evaluate(compile(rules), input, windows, ctx);
}
