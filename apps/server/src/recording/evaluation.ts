/**
 * What an evaluation is given besides the transaction and the window totals, how the decision is
 * reached, and what the hot path stores of it so that the evaluation can be replayed exactly.
 */
import {
  MICROS_PER_CENT,
  decide as engineDecide,
  formatCents,
  formatMicros,
  estimateCost,
  isModelKnown,
  transactionRoles,
  type BudgetMap,
  type Budgets,
  type Decision,
  type EvaluationContext,
  type PeriodBudgets,
  type TransactionInput,
  type WindowTotals,
} from '@reins/engine';
import { ValidationError } from '../errors.js';
import type { LoadedPolicy, OrgSettings } from '../machinery/policyCache.js';
import { MAX_AMOUNT_CENTS, type Phase } from '../schemas/transactions.js';
import type { TxRequest } from './types.js';

/** Agent id → budgets by period, as the engine takes them (the registry has monthly budgets). */
export type AgentBudgets = Record<string, PeriodBudgets>;

export function agentBudgetsOf(monthly: Readonly<Record<string, number>>): AgentBudgets {
  const out: AgentBudgets = {};
  for (const [agent, cents] of Object.entries(monthly)) out[agent] = { monthly: cents };
  return out;
}

/** The budgets besides the organization's: agents', roles', teams' and projects'. */
export type OtherBudgets = Omit<Budgets, 'org'>;

/** What an evaluation reads besides the organization's settings, from a loaded policy. */
export function policyBudgets(
  loaded: Pick<LoadedPolicy, 'agentBudgets' | 'subjectBudgets'>,
): OtherBudgets {
  return { agents: agentBudgetsOf(loaded.agentBudgets), ...loaded.subjectBudgets };
}

export function evaluationContext(
  settings: Pick<OrgSettings, 'timeZone' | 'defaultAction' | 'budgets'>,
  nowMs: number,
  trace: boolean,
  budgets: OtherBudgets = {},
): EvaluationContext {
  return {
    now: nowMs,
    timeZone: settings.timeZone,
    defaultAction: settings.defaultAction,
    budgets: { ...budgets, org: settings.budgets },
    trace,
  };
}

/** The entries of `map` for `ids` (undefined when none has one). */
function pick(map: BudgetMap | undefined, ids: readonly (string | null | undefined)[]) {
  let out: Record<string, PeriodBudgets> | undefined;
  for (const id of ids) {
    const b = id ? map?.[id] : undefined;
    if (id && b) (out ??= {})[id] = b;
  }
  return out;
}

/**
 * The budgets of the transaction's own subjects (its agent, roles, team and project): all that a
 * replay of its evaluation needs of the organization's budgets besides the org's.
 */
export function budgetsOfTransaction(
  budgets: Budgets | undefined,
  input: TransactionInput,
): Pick<StoredEvaluation, 'agentBudgets' | 'roleBudgets' | 'teamBudgets' | 'projectBudgets'> {
  const agents = pick(budgets?.agents, [input.agentId ?? '']);
  const roles = pick(budgets?.roles, transactionRoles(input));
  const teams = pick(budgets?.teams, [input.teamId]);
  const projects = pick(budgets?.projects, [input.projectId]);
  return {
    ...(agents ? { agentBudgets: agents } : {}),
    ...(roles ? { roleBudgets: roles } : {}),
    ...(teams ? { teamBudgets: teams } : {}),
    ...(projects ? { projectBudgets: projects } : {}),
  };
}

/** The budgets a stored evaluation was given (for its replay). */
export function storedBudgets(ev: StoredEvaluation): OtherBudgets {
  return {
    agents: ev.agentBudgets ?? {},
    roles: ev.roleBudgets ?? {},
    teams: ev.teamBudgets ?? {},
    projects: ev.projectBudgets ?? {},
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
  /** The budgets of this transaction's user roles, team and project that exist. */
  roleBudgets?: Record<string, PeriodBudgets>;
  teamBudgets?: Record<string, PeriodBudgets>;
  projectBudgets?: Record<string, PeriodBudgets>;
  /** Refused because the organization disabled the vendor (no rule decided). */
  vendorDisabled?: true;
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

/**
 * The cost Reins computed from tokens, held to the same cap as a stated amount: a price
 * override times a billion tokens must not become a $2 billion call (or a counter past what
 * JavaScript numbers hold exactly).
 */
export function checkComputedCost(costMicros: number): ValidationError | null {
  if (costMicros <= MAX_AMOUNT_CENTS * MICROS_PER_CENT) return null;
  return ValidationError.of(
    'amount',
    `would be ${formatMicros(costMicros)} as computed from the tokens, over the per-call maximum ` +
      `of ${formatCents(MAX_AMOUNT_CENTS)}`,
  );
}

/**
 * Costs a transaction given without an amount from its tokens (org overrides first), and settles
 * whether the price table knows its model; mutates `req`. A validation error when it cannot be
 * costed, or costs more than any call may.
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
  const tooMuch = checkComputedCost(est.costMicros);
  if (tooMuch) return tooMuch;
  input.amountMicros = est.costMicros;
  record.amountMicros = est.costMicros;
  record.amountCents = Math.ceil(est.costMicros / MICROS_PER_CENT);
  record.priceSource = est.price.source;
  record.priceVersion = est.price.version;
  return null;
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
