/**
 * The REST bodies of the Reins API as the server sends them (apps/server/src/services/*.ts), with
 * `success` kept as the docs show it. Requests are typed as the server's schemas accept them.
 *
 * Only types. The engine's vocabulary (actions, vendors, trace entries, price rows) is the
 * engine's own, re-exported: the build inlines it into the published `.d.ts`, which needs nothing
 * from the workspace. The server's shapes are restated, and `test/client.integration.test.ts`
 * checks them against the server's own types, so they cannot drift apart unnoticed.
 */
import type {
  Action,
  DecisionDetails,
  GroupBy,
  Metric,
  ModelPrice,
  Period,
  RuleMode,
  RuleType,
  Scope,
  ShadowHit,
  TraceEntry as EvaluatedRule,
  Vendor,
} from '@reins/engine';
import type { PolicyResult } from './errors.js';

// ---------------------------------------------------------------------------------------------
// The engine's vocabulary: vendors, actions, rule fields, shadow hits, trace entries, price rows.

export type {
  Action,
  EvaluatedRule,
  GroupBy,
  Metric,
  ModelPrice,
  Period,
  RuleMode,
  RuleType,
  Scope,
  ShadowHit,
  Vendor,
};
export type { PriceTier, TraceFigures } from '@reins/engine';

/**
 * The engine's block details (`limit`, `current`, `timeWindow`, with reset, unit and rule), as a
 * type literal: unlike the engine's interface it is assignable to `Record<string, unknown>`,
 * which is how the server's tRPC outputs type a policy result's details.
 */
export type PolicyDetails = { [K in keyof DecisionDetails]: DecisionDetails[K] };

/** A vendor as requests may name it: one of the six (any case), refused otherwise. */
export type VendorName = Vendor | (string & {});

/** An instant in a request: ISO 8601 (a plain date is midnight UTC), or a `Date`. */
export type Instant = string | Date;

/** One invalid field of a 422 `VALIDATION_ERROR`. */
export interface ValidationIssue {
  /** Dotted path of the field, e.g. `conditions.amountCents.min`; `body` for the whole body. */
  path: string;
  message: string;
}

// ---------------------------------------------------------------------------------------------
// Transactions

/** `POST /api/v1/transactions`: the docs' fields plus the server's documented extensions. */
export interface NewTransaction {
  /** Cents (1 = $0.01). Omit it to have the server cost `model` + tokens from its price table. */
  amount?: number;
  /** The cost in microcents (1 cent = 1,000,000); with `amount`, both must agree. */
  amountMicros?: number;
  vendor: VendorName;
  model?: string | null;
  /** Absent: the default agent. */
  agentId?: string | null;
  userId?: string | null;
  userRoles?: readonly string[];
  teamId?: string | null;
  projectId?: string | null;
  /** Kept truncated to 1,000 characters. */
  prompt?: string | null;
  /** Kept truncated to 1,000 characters. */
  response?: string | null;
  /** `metadata.requestId` is an idempotency key when no `Idempotency-Key` header is sent. */
  metadata?: Record<string, unknown>;
  /** Defaults to server time; at most 5 minutes in the future. */
  timestamp?: Instant;
  tokensIn?: number;
  tokensOut?: number;
  /**
   * `final` (default): recorded and counted if admitted. `reserve`: hold the (estimated) amount
   * until `settleTransaction` or `voidTransaction`. `observed`: the call already happened; it is
   * recorded with the policy's decision and always counted, never refused (answered 202).
   */
  phase?: TransactionPhase;
  /** `reserve` only: how long an unsettled hold counts (default 600 s, at most a day). */
  reservationTtlSeconds?: number;
}

/** The decision of a recorded or evaluated transaction, with its details. */
export type DecidedPolicyResult = PolicyResult & { details: PolicyDetails };

export type TransactionPhase = 'final' | 'reserve' | 'observed';

/** 202: the transaction was admitted and recorded. */
export interface TransactionAccepted {
  success: true;
  id: string;
  /** Never `block`, except for `phase: 'observed'` (the call already happened: recorded anyway). */
  action: Action;
  policyResult: DecidedPolicyResult;
  /** Reservations: `reserved`, until `expiresAt`. */
  status?: 'reserved';
  expiresAt?: string;
  /** Costed from tokens: the amount the price table gave. */
  amount?: number;
  amountMicros?: number;
}

/**
 * 403 `POLICY_VIOLATION`: a rule blocked the transaction; it was recorded with action `block`.
 * The REST client returns this body instead of throwing. The server's body has no top-level
 * `action`; the client adds `action: 'block'` so that `result.action === 'block'` works as in the
 * docs' examples.
 */
export interface TransactionBlocked {
  success: false;
  code: 'POLICY_VIOLATION';
  /** `Policy violation: <rule message>`. */
  message: string;
  /** Added by the SDK. */
  action: 'block';
  /** The recorded (blocked) transaction. */
  id: string;
  policyResult: PolicyResult;
  details: PolicyDetails;
}

/**
 * `submitTransaction`'s result, discriminated on `success`. `action === 'block'` is true of every
 * blocked result (and of an admitted `observed` transaction that a rule would have blocked).
 */
export type SubmitTransactionResult = TransactionAccepted | TransactionBlocked;

/** A bulk item that was neither recorded nor blocked (invalid, rate limited, conflicting key). */
export interface BulkItemFailed {
  index: number;
  success: false;
  code: string;
  message: string;
  /** Never `block`: blocked items are `TransactionBlocked`. */
  action?: undefined;
  /** 422: the invalid field, named by its place in the body (`transactions.3.amount`). */
  field?: string;
  issues?: ValidationIssue[];
  [field: string]: unknown;
}

/** One result per submitted item, in order; blocked items carry `action: 'block'` (SDK-added). */
export type BulkItemResult =
  | ({ index: number } & TransactionAccepted)
  | ({ index: number } & TransactionBlocked)
  | BulkItemFailed;

export interface BulkSubmitResponse {
  success: true;
  results: BulkItemResult[];
  count: number;
  recorded: number;
  blocked: number;
  failed: number;
}

/** `POST /api/v1/transactions/:id/settle`: the actual cost (an amount, or tokens to price). */
export interface SettleTransaction {
  amount?: number;
  amountMicros?: number;
  tokensIn?: number;
  tokensOut?: number;
  response?: string | null;
  /** Merged into the transaction's metadata. */
  metadata?: Record<string, unknown>;
}

export interface SettleResponse {
  success: true;
  id: string;
  status: 'settled';
  amount: number;
  amountMicros: number;
  tokensIn: number;
  tokensOut: number;
  estimatedAmount: number;
  estimatedAmountMicros: number;
  settledAt: string;
}

export interface VoidTransaction {
  reason?: string;
}

export interface VoidResponse {
  success: true;
  id: string;
  status: 'voided';
  /** 0 when the hold had already expired. */
  releasedAmountMicros: number;
  voidedAt: string;
}

/** `POST /api/policy-rules/evaluate`: the decision the transaction would get now; nothing recorded. */
export interface EvaluatePolicyResponse {
  success: true;
  result: DecidedPolicyResult;
  /** Shadow rules that matched before the decision: what they would have done. */
  shadow: ShadowHit[];
  evaluatedRules: EvaluatedRule[];
  evaluatedAt: string;
}

export type TransactionStatus =
  'recorded' | 'blocked' | 'reserved' | 'settled' | 'voided' | 'expired';

/** The policy result stored with a transaction. */
export type StoredPolicyResult = DecidedPolicyResult & { shadow?: ShadowHit[] };

/** A recorded transaction. */
export interface Transaction {
  id: string;
  /** Cents, rounded up from `amountMicros`. */
  amount: number;
  amountMicros: number;
  vendor: string;
  model: string | null;
  agentId: string;
  userId: string | null;
  userRoles: string[];
  teamId: string | null;
  projectId: string | null;
  tokensIn: number;
  tokensOut: number;
  prompt: string | null;
  response: string | null;
  metadata: Record<string, unknown>;
  /** When the call happened (the request's `timestamp`, else the server's time). */
  timestamp: string;
  createdAt: string;
  action: Action;
  ruleId: string | null;
  status: TransactionStatus;
  phase: TransactionPhase;
  policyResult: StoredPolicyResult;
  /** `caller` (the request stated the amount), or the price table / override that costed it. */
  priceSource: string | null;
  priceVersion: string | null;
  /** The manual review of a `flag` decision; null for a transaction that was not flagged. */
  review: TransactionReview | null;
}

/** `open` until a key holding `transactions:review` approves or rejects it (once: final). */
export type ReviewState = 'open' | 'approved' | 'rejected';

export interface TransactionReview {
  state: ReviewState;
  /** The id of the API key that decided; null while open. */
  reviewedBy: string | null;
  reviewedAt: string | null;
  note: string | null;
}

/** `POST /api/v1/transactions/:id/review`. */
export interface ReviewTransaction {
  decision: 'approved' | 'rejected';
  /** At most 2,000 characters. */
  note?: string;
}

export interface ReviewTransactionResponse {
  success: true;
  transaction: Transaction;
}

/** `GET /api/v1/transactions` filters (the docs' table). */
export interface TransactionFilters {
  /** 1–500, default 50. */
  limit?: number;
  /** Rows to skip (default 0). Not with `cursor`: a deep offset reads every row it skips. */
  offset?: number;
  /** The `nextCursor` of the previous page: any page costs what the first does. */
  cursor?: string;
  vendor?: string;
  agentId?: string;
  userId?: string;
  /** Inclusive. */
  startDate?: Instant;
  /** A plain date includes that whole day (UTC). */
  endDate?: Instant;
  action?: Action;
  /** `open`: the review queue of flagged transactions awaiting a decision. */
  review?: ReviewState;
}

export interface TransactionListResponse {
  success: true;
  transactions: Transaction[];
  count: number;
  total: number;
  limit: number;
  offset: number;
  /** Pass as `cursor` for the next page; `null` on the last page. */
  nextCursor: string | null;
}

export interface TransactionResponse {
  success: true;
  transaction: Transaction;
}

export interface TransactionTraceResponse {
  success: true;
  traceId: string;
  transactionId: string;
  evaluatedRules: EvaluatedRule[];
  finalAction: Action;
  policyResult: StoredPolicyResult;
  evaluatedAt: string;
}

// ---------------------------------------------------------------------------------------------
// Policy rules (docs dialect)

export interface RuleSchedule {
  /** 0 = Sunday … 6 = Saturday (requests may also name days: `mon`, `friday`). */
  daysOfWeek?: readonly (number | string)[];
  /** `"HH:MM-HH:MM"` in the organization's time zone. */
  hours?: readonly string[];
}

// Type aliases, not interfaces: the server types these as records, and only aliases convert.
export type RuleConditions = {
  vendors?: readonly VendorName[];
  /** `*` globs: `gpt-4*`. */
  models?: readonly string[];
  excludeModels?: readonly string[];
  /** `*` globs: `free-tier-*`. */
  agentIds?: readonly string[];
  userIds?: readonly string[];
  userRoles?: readonly string[];
  teamIds?: readonly string[];
  projectIds?: readonly string[];
  /** Inclusive, cents. */
  amountCents?: { min?: number; max?: number };
  timeWindow?: Period;
  schedule?: RuleSchedule;
  forecastPct?: number;
  unknownModel?: boolean;
  requireProjectId?: boolean;
};

export type RuleActionConfig = {
  message?: string;
  redirectUrl?: string;
  /** Notification channel ids. */
  channels?: readonly string[];
  thresholdPct?: number;
  limitCents?: number;
  /** Alias of `limitCents`. */
  budgetCents?: number;
  limitTokens?: number;
  maxTransactions?: number;
  per?: GroupBy;
  metric?: Metric;
};

/** A policy rule as `/api/policy-rules` shows it. */
export interface PolicyRule {
  id: string;
  name: string;
  description: string | null;
  enabled: boolean;
  priority: number;
  mode: RuleMode;
  type: RuleType;
  scope: Scope;
  scopeId: string | null;
  conditions: RuleConditions;
  action: Action;
  actionConfig: RuleActionConfig;
  createdAt: string;
  updatedAt: string;
  /** The budgets the rule waits for to ever match (empty when it needs none). */
  warnings: RuleWarning[];
}

/**
 * A window rule that names no limit takes it from a budget (the organization's, its agent's,
 * its user role's, team's or project's); until that budget is set it never matches.
 */
export interface RuleWarning {
  code: 'BUDGET_MISSING' | 'LIMIT_MISSING';
  /** The budget to set; `limit`: the rule needs a limit of its own. */
  kind: 'org' | 'agent' | 'role' | 'team' | 'project' | 'limit';
  /** Whose budget (null: the organization's, or every subject the rule covers). */
  id: string | null;
  period: Period;
  message: string;
}

/** `POST /api/policy-rules` (the docs' body). */
export interface NewPolicyRule {
  name: string;
  description?: string | null;
  enabled?: boolean;
  /** Evaluated highest first; the first match wins. */
  priority?: number;
  /** `shadow`: evaluated and traced, never decides. */
  mode?: RuleMode;
  type?: RuleType;
  scope?: Scope;
  scopeId?: string | null;
  conditions?: RuleConditions;
  action: Action;
  actionConfig?: RuleActionConfig;
}

type Nullable<T> = { [K in keyof T]?: T[K] | null };

/**
 * `PUT /api/policy-rules/:id`, a merge patch: fields given replace the rule's, `null` removes one,
 * and `conditions` / `actionConfig` merge key by key.
 */
export type PolicyRulePatch = Omit<Partial<NewPolicyRule>, 'conditions' | 'actionConfig'> & {
  conditions?: Nullable<RuleConditions>;
  actionConfig?: Nullable<RuleActionConfig>;
};

export interface RuleFilters {
  enabled?: boolean;
  action?: Action;
  /** Rules that apply to this vendor (naming it, or naming no vendor). */
  vendor?: string;
  /** Only rules waiting for a budget (true), or only those that are not (false). */
  waiting?: boolean;
}

export interface RuleListResponse {
  success: true;
  /** In evaluation order. */
  rules: PolicyRule[];
  count: number;
}

export interface RuleResponse {
  success: true;
  rule: PolicyRule;
}

export interface RuleCreatedResponse {
  success: true;
  id: string;
  name: string;
  priority: number;
  createdAt: string;
  rule: PolicyRule;
  /** The rule's `warnings`: budgets to set before it can match. */
  warnings: RuleWarning[];
}

export interface RuleUpdatedResponse {
  success: true;
  id: string;
  updatedAt: string;
  rule: PolicyRule;
  warnings: RuleWarning[];
}

export interface RuleDeletedResponse {
  success: true;
  id: string;
  deleted: true;
}

// ---------------------------------------------------------------------------------------------
// Backtests

/**
 * `POST /api/policy-rules/backtest`: draft rules in either dialect (a docs-dialect body as
 * `NewPolicyRule`, a typed one as `/api/v1/rules` takes it; `dialect` may say which), replayed
 * over [startDate, endDate) of the organization's recorded transactions.
 */
export interface NewBacktest {
  /** 1–100 draft rules. */
  rules: readonly (NewPolicyRule | Record<string, unknown>)[];
  /** ISO 8601 instant, or a date (midnight UTC); inclusive. */
  startDate: Instant;
  /** ISO 8601 instant (exclusive), or a date (that whole day included); at most 366 days on. */
  endDate: Instant;
}

export type BacktestStatus = 'queued' | 'running' | 'done' | 'failed';

/** A count of transactions and their spend in cents (the microcent sum, rounded up). */
export interface BacktestTally {
  transactions: number;
  spendCents: number;
}

export interface BacktestTallyWithExamples extends BacktestTally {
  /** The first few transaction ids. */
  examples: string[];
}

/** What one draft rule would have decided (a shadow rule: matched). */
export interface BacktestRuleResult extends BacktestTallyWithExamples {
  /** Position in the request's `rules`. */
  index: number;
  name: string;
  action: Action;
  mode: RuleMode;
  priority: number;
  enabled: boolean;
}

export interface BacktestResult {
  periodStart: string;
  periodEnd: string;
  /** Where the replay began: windows open at periodStart were filled from here on. */
  replayedFrom: string;
  transactions: number;
  spendCents: number;
  /** Transactions before the period replayed only to fill windows (not reported). */
  warmupTransactions: number;
  rules: BacktestRuleResult[];
  /** The draft rule set's decisions by action (`pass` when no rule matched). */
  wouldHave: Partial<Record<Action, BacktestTally>>;
  /** The decisions recorded at the time, by action. */
  actually: Partial<Record<string, BacktestTally>>;
  difference: {
    /** Admitted then, blocked by the draft rules. */
    newlyBlocked: BacktestTallyWithExamples;
    /** Blocked then, admitted by the draft rules. */
    newlyAdmitted: BacktestTallyWithExamples;
    /** Another action than the recorded one, admitted both ways (e.g. pass → warn). */
    actionChanged: BacktestTallyWithExamples;
    preventedSpendCents: number;
    addedSpendCents: number;
  };
}

export interface Backtest {
  id: string;
  status: BacktestStatus;
  startDate: string;
  endDate: string;
  ruleCount: number;
  progress: { processed: number; total: number | null; pct: number | null };
  /** Set when `status` is `done`. */
  result: BacktestResult | null;
  /** Set when `status` is `failed`. */
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface BacktestResponse {
  success: true;
  backtest: Backtest;
}

// ---------------------------------------------------------------------------------------------
// The organization and budgets

/** Budgets in cents by period; null: none for that period. */
export interface PeriodBudgetFields {
  hourlyBudgetCents: number | null;
  dailyBudgetCents: number | null;
  weeklyBudgetCents: number | null;
  monthlyBudgetCents: number | null;
}

/** The caller's organization (`GET /api/org`). */
export interface Organization extends PeriodBudgetFields {
  id: string;
  name: string;
  /** IANA time zone of its calendar windows. */
  timeZone: string;
  /** What happens when no rule matches. */
  defaultAction: 'pass' | 'block';
  /** Bumped by every change of what evaluations read. */
  policyVersion: number;
  createdAt: string;
  updatedAt: string;
}

/** `PUT /api/org` (permission `org:admin`): the fields given change; null clears a budget. */
export interface OrganizationPatch extends Partial<PeriodBudgetFields> {
  name?: string;
  timeZone?: string;
  defaultAction?: 'pass' | 'block';
}

export interface OrganizationResponse {
  success: true;
  org: Organization;
}

/** Whose budget: a user role (per user of the role), a team or a project. */
export type BudgetKind = 'role' | 'team' | 'project';
/** The path segment of a budget kind. */
export type BudgetKindPath = 'roles' | 'teams' | 'projects';

export interface Budget extends PeriodBudgetFields {
  kind: BudgetKind;
  /** The role (lower case), team or project id. */
  id: string;
  /** Null once the budget is removed (a PUT that cleared every period). */
  createdAt: string | null;
  updatedAt: string | null;
}

/** `PUT /api/budgets/:kind/:id`: the periods given change (null clears one); at least one. */
export type BudgetPatch = Partial<PeriodBudgetFields>;

export interface BudgetResponse {
  success: true;
  budget: Budget;
}

export interface BudgetListResponse {
  success: true;
  budgets: Budget[];
  count: number;
}

export interface BudgetDeletedResponse {
  success: true;
  kind: BudgetKind;
  id: string;
  deleted: true;
}

// ---------------------------------------------------------------------------------------------
// Agents

export interface Agent {
  agentId: string;
  name: string;
  description: string | null;
  vendor: Vendor | null;
  monthlyBudgetCents: number | null;
  metadata: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

/** `POST /api/agents`. */
export interface NewAgent {
  /** Letters, digits and `._:-/@`. */
  agentId: string;
  name: string;
  description?: string | null;
  vendor?: VendorName | null;
  monthlyBudgetCents?: number | null;
  metadata?: Record<string, unknown> | null;
}

/** `PUT /api/agents/:agentId`: the fields given change; `agentId` may be repeated, not changed. */
export type AgentPatch = Partial<NewAgent>;

export interface AgentFilters {
  vendor?: VendorName;
}

export interface AgentCreatedResponse {
  success: true;
  agentId: string;
  createdAt: string;
  agent: Agent;
}

export interface AgentListResponse {
  success: true;
  /** Oldest first. */
  agents: Agent[];
  count: number;
}

export interface AgentResponse {
  success: true;
  agent: Agent;
}

export interface AgentUpdatedResponse {
  success: true;
  agentId: string;
  updatedAt: string;
  agent: Agent;
}

export interface AgentDeletedResponse {
  success: true;
  agentId: string;
  deleted: true;
}

// ---------------------------------------------------------------------------------------------
// Vendors and prices

export interface VendorSettings {
  vendor: Vendor;
  name: string;
  enabled: boolean;
  /** Requests per minute for the whole organization; null = unlimited. */
  rateLimitRpm: number | null;
  /** null: never configured (enabled, unlimited). */
  updatedAt: string | null;
}

export interface VendorPatch {
  enabled?: boolean;
  rateLimitRpm?: number | null;
}

export interface VendorListResponse {
  success: true;
  vendors: VendorSettings[];
  count: number;
}

export interface VendorResponse {
  success: true;
  vendor: VendorSettings;
}

/** An organization's price override for a vendor's model (dollars per million tokens). */
export interface VendorPriceOverride {
  id: string;
  vendor: string;
  /** An exact model id or a `*` glob. */
  model: string;
  inputPerMtokUsd: number | null;
  outputPerMtokUsd: number | null;
  cacheReadPerMtokUsd: number | null;
  cacheWritePerMtokUsd: number | null;
  perRequestUsd: number | null;
  effectiveFrom: string;
  effectiveTo: string | null;
  createdAt: string;
}

/** A model of the price table, and the override that prices it instead, if any. */
export type ModelPriceRow = ModelPrice & { overriddenBy: string | null };

export interface VendorPricesResponse {
  success: true;
  vendor: Vendor;
  at: string;
  priceVersion: string;
  models: ModelPriceRow[];
  /** The overrides in force at `at`, latest start first. */
  overrides: (VendorPriceOverride & { source: 'override' })[];
}

// ---------------------------------------------------------------------------------------------
// Policy alerts

export interface PolicyAlert {
  id: string;
  ruleId: string;
  ruleName: string;
  action: Action;
  message: string;
  transactionId: string;
  agentId: string | null;
  groupValue: string | null;
  timeWindow: Period | null;
  windowStart: string | null;
  thresholdPct: number | null;
  limit: number | null;
  current: number | null;
  unit: 'cents' | 'tokens' | 'requests' | null;
  read: boolean;
  readAt: string | null;
  createdAt: string;
  /** Where a `notify` alert was sent and how that went; empty for `warn`. */
  deliveries: AlertDelivery[];
}

/** One notification of an alert to one channel (docs/notifications.md). */
export interface AlertDelivery {
  /** The idempotency id every attempt carries (`X-Reins-Delivery`, the webhook body's `id`). */
  id: string;
  channelId: string;
  /** `failed`: dead-lettered (refused, or out of attempts). */
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastError: string | null;
  deliveredAt: string | null;
  /** While pending: the next attempt, or the end of the running attempt's lease. */
  nextAttemptAt: string | null;
}

export interface AlertFilters {
  read?: boolean;
  ruleId?: string;
  /** Default 50, at most 500. */
  limit?: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
}

export interface AlertListResponse {
  success: true;
  /** Newest first. */
  alerts: PolicyAlert[];
  count: number;
  total: number;
  nextCursor: string | null;
}

export interface AlertResponse {
  success: true;
  alert: PolicyAlert;
}

export interface AlertReadResponse {
  success: true;
  id: string;
  read: true;
}

// ---------------------------------------------------------------------------------------------
// Audit log

export interface AuditEvent {
  id: string;
  /** `transaction.blocked`, `policy_rule.created`, `api_key.revoked`, … */
  eventType: string;
  occurredAt: string;
  /** `key:<id>`, `system`, … */
  actor: string;
  entityType: string;
  entityId: string;
  metadata: Record<string, unknown>;
}

/** The filters of the audit list and of the CSV export. */
export interface AuditFilters {
  /**
   * An event type (`transaction.blocked`), a prefix (`policy_rule`), or `policy_rule.<action>`:
   * the events in which a policy rule took that action.
   */
  action?: string;
  /** `transaction`, `policy_rule`, `api_key`, … */
  entityType?: string;
  /** Inclusive. */
  startDate?: Instant;
  /** A plain date includes that whole day (UTC). */
  endDate?: Instant;
}

export interface AuditListFilters extends AuditFilters {
  /** Default 50, at most 500. */
  limit?: number;
  /** Rows to skip (default 0). Not with `cursor`. */
  offset?: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
}

export interface AuditListResponse {
  success: true;
  /** Newest first. */
  events: AuditEvent[];
  count: number;
  total: number;
  limit: number;
  offset: number;
  /** Pass as `cursor` for the next page; `null` on the last page. */
  nextCursor: string | null;
}

export type AuditBrokenReason =
  | 'hash_mismatch'
  | 'prev_hash_mismatch'
  | 'event_missing'
  | 'seq_gap'
  | 'head_mismatch'
  | 'head_missing'
  | 'event_inserted'
  | 'checkpoint_mismatch';

/** Where the chain was last found intact: links up to `seq`, whose hash is `hash`. */
export interface AuditCheckpoint {
  seq: number;
  hash: string;
  verifiedAt: string;
}

export interface AuditVerifyResponse {
  success: true;
  valid: boolean;
  /** Links checked by this verify: those after `from`. */
  checked: number;
  headSeq: number;
  /** The walk started after this seq: the last checkpoint's (0: from the chain's start). */
  from: number;
  firstBrokenLink: null | { seq: number; eventId: string | null; reason: AuditBrokenReason };
  /** False when events committed before the request could not be sealed in time. */
  complete: boolean;
  /** The checkpoint after this verify (moved to the head when the chain was found intact). */
  checkpoint: AuditCheckpoint | null;
}

/** A full verification of the audit chain (a background job), as `getAuditVerification` shows it. */
export interface AuditVerification {
  id: string;
  status: 'queued' | 'running' | 'done' | 'failed';
  progress: {
    /** Links verified so far. */
    checked: number;
    /** The head's seq the walk goes to (null until it starts). */
    total: number | null;
    /** 0–100 (null until it starts). */
    pct: number | null;
  };
  /** Set when `status` is `done`: the inline verify's fields (from 0, the genesis). */
  result: null | {
    valid: boolean;
    checked: number;
    headSeq: number;
    from: number;
    firstBrokenLink: null | { seq: number; eventId: string | null; reason: AuditBrokenReason };
    checkpoint: AuditCheckpoint | null;
  };
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface AuditVerificationResponse {
  success: true;
  verification: AuditVerification;
}

// ---------------------------------------------------------------------------------------------
// API keys

export type Permission =
  | 'transactions:write'
  | 'transactions:read'
  | 'transactions:review'
  | 'policies:read'
  | 'policies:write'
  | 'agents:read'
  | 'agents:write'
  | 'audit:read'
  | 'alerts:read'
  | 'alerts:write'
  | 'analytics:read'
  | 'keys:admin'
  | 'org:admin'
  /** Manage dashboard users. */
  | 'users:admin'
  | '*';

export interface ApiKey {
  id: string;
  name: string;
  /** `rk_<env>_****<last4>`. */
  keyMasked: string;
  createdAt: string;
  lastUsedAt: string | null;
  isActive: boolean;
  revokedAt: string | null;
  permissions: Permission[];
}

/** `POST /api/keys`: a key can grant only permissions it holds itself. */
export interface NewApiKey {
  name: string;
  permissions: readonly Permission[];
  /** The `<env>` of `rk_<env>_…`; the server's default otherwise. */
  env?: string;
}

export interface ApiKeyListResponse {
  success: true;
  /** Oldest first. */
  keys: ApiKey[];
}

export interface ApiKeyCreatedResponse {
  success: true;
  id: string;
  name: string;
  /** The full key: shown once, never again. */
  key: string;
  keyMasked: string;
  createdAt: string;
  permissions: Permission[];
}

export interface ApiKeyRevokedResponse {
  success: true;
  id: string;
  isActive: false;
  revokedAt: string;
}

// ---------------------------------------------------------------------------------------------
// Analytics (the docs' shapes, and more)

export type AnalyticsPeriod = 'hourly' | 'daily' | 'weekly' | 'monthly';

export interface AnalyticsSummaryFilters {
  /** The calendar period containing now, in the org's time zone (default monthly). */
  period?: AnalyticsPeriod;
  /** Instead of a period: these days (YYYY-MM-DD in the org's time zone), endDate included. */
  startDate?: string;
  endDate?: string;
  agentId?: string;
  /** Adds a time series per local day or hour. */
  groupBy?: 'day' | 'hour';
}

export interface AnalyticsSeriesPoint {
  start: string;
  spendCents: number;
  transactionCount: number;
  blockedCount: number;
  flaggedCount: number;
  warnedCount: number;
}

export interface AnalyticsSummaryResponse {
  success: true;
  period: AnalyticsPeriod | 'custom';
  timeZone: string;
  /** The range as instants: startDate included, endDate excluded. */
  startDate: string;
  endDate: string;
  agentId?: string;
  totalSpendCents: number;
  totalSpendMicros: number;
  byVendor: Record<string, number>;
  byAgent: Record<string, number>;
  byModel: Record<string, number>;
  byUser: Record<string, number>;
  transactionCount: number;
  blockedCount: number;
  flaggedCount: number;
  warnedCount: number;
  tokensIn: number;
  tokensOut: number;
  shadow: { wouldBlock: number; wouldWarn: number; wouldFlag: number };
  groupBy?: 'day' | 'hour';
  series?: AnalyticsSeriesPoint[];
}

export interface ForecastFilters {
  period?: AnalyticsPeriod;
  agentId?: string;
}

export interface ForecastResponse {
  success: true;
  period: AnalyticsPeriod;
  agentId?: string;
  timeZone: string;
  periodStart: string;
  periodEnd: string;
  totalSpendCents: number;
  projectedSpendCents: number;
  budgetCents: number | null;
  budgetUtilizationPct: number | null;
  burnRateCentsPerDay: number;
  runsOutAt: string | null;
  budgetExhausted: boolean;
  method: 'linear';
}

export interface AnomalyFilters {
  agentId?: string;
  /** Hours scored up to now (default 24, at most 168). */
  hours?: number;
}

export interface Anomaly {
  agentId: string;
  metric: 'spend' | 'requests';
  windowStart: string;
  windowEnd: string;
  observed: number;
  expected: number;
  score: number;
  baselineDays: number;
}

export interface AnomaliesResponse {
  success: true;
  hours: number;
  method: 'robust-z-seasonal';
  anomalies: Anomaly[];
}

// ---------------------------------------------------------------------------------------------

export interface HealthResponse {
  success: true;
  status: 'ok';
  database: 'reachable';
}
