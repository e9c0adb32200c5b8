// One `defineEntity` per table. Column names follow MikroORM's underscore naming strategy
// (`orgId` → `org_id`); the server also writes raw SQL against these tables, so names are part of
// the contract — see the migration in ./migrations for the exact DDL.
//
// bigint columns map to JS `number` (mode 'number'): every value we store (micros, cents, token
// counts, sequence numbers) stays far below 2^53.
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** A timestamptz column (exactly `timestamptz`, not `timestamptz(6)`). */
const timestamptz = () => p.datetime().columnType('timestamptz');

/** `created_at` / `updated_at` filled by the database and kept current by the unit of work. */
const timestamps = {
  createdAt: timestamptz()
    .defaultRaw('now()')
    .onCreate(() => new Date()),
  updatedAt: timestamptz()
    .defaultRaw('now()')
    .onCreate(() => new Date())
    .onUpdate(() => new Date()),
};

/** App-generated text primary key (`org_…`, `key_…`, `rule_…`, `txn_…`, `evt_…`). */
const idProperty = { id: p.text().primary() };

export const Organization = defineEntity({
  name: 'Organization',
  tableName: 'organization',
  properties: {
    ...idProperty,
    name: p.text(),
    timeZone: p.text().default('UTC'),
    // Postgres: text + check (default_action in ('pass', 'block')).
    defaultAction: p.enum(['pass', 'block']).default('pass'),
    /** Org budgets per calendar window: the limit of org window rules that name none. */
    hourlyBudgetCents: p.bigint('number').nullable(),
    dailyBudgetCents: p.bigint('number').nullable(),
    weeklyBudgetCents: p.bigint('number').nullable(),
    monthlyBudgetCents: p.bigint('number').nullable(),
    policyVersion: p.bigint('number').default(0),
    ...timestamps,
  },
});
export type Organization = InferEntity<typeof Organization>;

/**
 * `org_id text not null references organization(id)`, typed as the organization's id (mapToPk), so
 * entities carry `orgId: string` rather than a reference. Keys and rules go with their
 * organization (`on delete cascade`); money and audit history do not (`no action`).
 */
const orgId = (onDelete: 'cascade' | 'no action') => () =>
  p
    .manyToOne(Organization)
    .mapToPk()
    .fieldName('org_id')
    .deleteRule(onDelete)
    .updateRule('no action');

/**
 * `id` and `org_id`, keyed `(org_id, id)` (`primaryKeys: ['orgId', 'id']`): every table of an
 * organization's rows leads its key with org_id, so the schema can be distributed by organization
 * on Citus, which needs the distribution column in every primary key, unique key and foreign key
 * between distributed tables (docs/operations.md, "Beyond one machine"). Ids stay random, so an id
 * alone still names one row.
 */
const orgScopedId = {
  orgId: () => orgId('cascade')().primary(),
  id: p.text().primary(),
};

export const ApiKey = defineEntity({
  name: 'ApiKey',
  tableName: 'api_key',
  properties: {
    ...orgScopedId,
    name: p.text(),
    /** Hex SHA-256 of the secret. */
    keyHash: p.text().unique(),
    keyMasked: p.text(),
    permissions: p.json<string[]>(),
    createdAt: timestamps.createdAt,
    lastUsedAt: timestamptz().nullable(),
    revokedAt: timestamptz().nullable(),
  },
  primaryKeys: ['orgId', 'id'],
});
export type ApiKey = InferEntity<typeof ApiKey>;

export const PolicyRule = defineEntity({
  name: 'PolicyRule',
  tableName: 'policy_rule',
  properties: {
    ...orgScopedId,
    /** The engine's canonical Rule object. */
    definition: p.json<Record<string, unknown>>(),
    enabled: p.boolean(),
    priority: p.integer(),
    action: p.text(),
    createdAt: timestamptz().onCreate(() => new Date()),
    updatedAt: timestamptz()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
  primaryKeys: ['orgId', 'id'],
});
export type PolicyRule = InferEntity<typeof PolicyRule>;

export const TransactionRecord = defineEntity({
  name: 'TransactionRecord',
  tableName: 'transaction_record',
  properties: {
    // Primary key (org_id, id, created_at): partitioned by month on created_at (docs/operations.md,
    // "Data volume"), and org_id leads every key and index, so that the table could be distributed
    // by organization.
    orgId: () => orgId('no action')().primary(),
    id: p.text().primary(),
    vendor: p.text(),
    model: p.text().nullable(),
    agentId: p.text(),
    userId: p.text().nullable(),
    userRoles: p.json<string[]>().defaultRaw(`'[]'`),
    teamId: p.text().nullable(),
    projectId: p.text().nullable(),
    amountMicros: p.bigint('number'),
    amountCents: p.bigint('number'),
    tokensIn: p.bigint('number').default(0),
    tokensOut: p.bigint('number').default(0),
    prompt: p.text().nullable(),
    response: p.text().nullable(),
    metadata: p.json<Record<string, unknown>>().defaultRaw(`'{}'`),
    occurredAt: timestamptz(),
    /** When the server recorded it: the partition key. */
    createdAt: timestamptz()
      .defaultRaw('now()')
      .onCreate(() => new Date())
      .primary(),
    action: p.text(),
    admitted: p.boolean(),
    ruleId: p.text().nullable(),
    policyResult: p.json<Record<string, unknown>>(),
    /**
     * What the engine was given besides the transaction itself (policy version, org settings,
     * model-known flag, the window totals before this transaction): enough to replay the
     * evaluation deterministically and render its full trace on request.
     */
    evaluation: p.json<Record<string, unknown>>(),
    countedWindows: p.json<unknown[]>().defaultRaw(`'[]'`),
    priceSource: p.text().nullable(),
    priceVersion: p.text().nullable(),
    phase: p.text().default('final'),
    /** recorded | blocked | reserved | settled | voided | expired */
    status: p.text().default('recorded'),
    idempotencyKey: p.text().nullable(),
    /**
     * The hash of the request that recorded it under `idempotencyKey` (its route and body): a
     * replay with the same hash is answered from this row (the answer is a function of the stored
     * decision), another request under the key is a conflict. Null for rows without a key, and
     * for rows recorded before it existed (their answers are in `idempotency_record`).
     */
    requestHash: p.text().nullable(),
    /** A reservation's hold (`{amountMicros, tokensIn, tokensOut}`) while it counts in windows. */
    hold: p.json<Record<string, number>>().nullable(),
    /** When an unsettled reservation stops counting toward limits. */
    expiresAt: timestamptz().nullable(),
    settledAt: timestamptz().nullable(),
    voidedAt: timestamptz().nullable(),
    /**
     * The manual review of a `flag` decision: `open` when recorded flagged (by the batch's insert),
     * then `approved` or `rejected` once, with the reviewing key, when, and a note. Null for every
     * transaction that was not flagged.
     */
    reviewState: p.enum(['open', 'approved', 'rejected']).nullable(),
    /** The id of the API key that reviewed it. */
    reviewedBy: p.text().nullable(),
    reviewedAt: timestamptz().nullable(),
    reviewNote: p.text().nullable(),
  },
  // Descending and partial indexes are raw SQL: MikroORM 6 index options have no column order or
  // WHERE clause. The schema comparator matches expression indexes by name.
  indexes: [
    {
      name: 'transaction_record_org_occurred_index',
      expression:
        'create index "transaction_record_org_occurred_index" on "transaction_record" ("org_id", "occurred_at" desc, "id" desc)',
    },
    // The list's filters (services/transactions.ts listTransactionsQueries), each leading the
    // list's order (occurred_at desc, id desc): a page, first or by cursor, is one range scan,
    // with or without startDate/endDate. agentId and userId replace indexes that ended at
    // occurred_at (same insert cost); action and review are partial, so that the dominant `pass`
    // (served by the org index above, where it is most rows) costs the hot path no insert.
    {
      name: 'transaction_record_org_agent_key_index',
      expression:
        'create index "transaction_record_org_agent_key_index" on "transaction_record" ("org_id", "agent_id", "occurred_at" desc, "id" desc)',
    },
    {
      name: 'transaction_record_org_user_key_index',
      expression:
        'create index "transaction_record_org_user_key_index" on "transaction_record" ("org_id", "user_id", "occurred_at" desc, "id" desc)',
    },
    {
      name: 'transaction_record_org_vendor_key_index',
      expression:
        'create index "transaction_record_org_vendor_key_index" on "transaction_record" ("org_id", "vendor", "occurred_at" desc, "id" desc)',
    },
    {
      name: 'transaction_record_org_action_key_index',
      expression:
        'create index "transaction_record_org_action_key_index" on "transaction_record" ("org_id", "action", "occurred_at" desc, "id" desc) where "action" <> \'pass\'',
    },
    {
      name: 'transaction_record_org_review_key_index',
      expression:
        'create index "transaction_record_org_review_key_index" on "transaction_record" ("org_id", "review_state", "occurred_at" desc, "id" desc) where "review_state" is not null',
    },
    {
      // A rule's hits over time (the dashboard's rule page): the transactions it decided, with
      // their amounts in the index. Partial: a pass no rule decided (most calls) adds no entry.
      name: 'transaction_record_org_rule_index',
      expression:
        'create index "transaction_record_org_rule_index" on "transaction_record" ("org_id", "rule_id", "occurred_at") include ("action", "amount_cents") where "rule_id" is not null',
    },
    {
      // Windows count a transaction by when it was recorded: a policy change that needs a new
      // family of counters builds them from the window's transactions (ledger's seed.ts).
      name: 'transaction_record_org_created_index',
      expression:
        'create index "transaction_record_org_created_index" on "transaction_record" ("org_id", "created_at")',
    },
    {
      // Not unique: a unique index of a partitioned table must hold the partition key. That a key
      // is recorded once per org is the batch's advisory lock on it (ledger's idempotency.ts).
      name: 'transaction_record_org_idempotency_key_index',
      expression:
        'create index "transaction_record_org_idempotency_key_index" on "transaction_record" ("org_id", "idempotency_key") where "idempotency_key" is not null',
    },
    {
      name: 'transaction_record_open_reservations_index',
      expression:
        'create index "transaction_record_open_reservations_index" on "transaction_record" ("org_id", "expires_at") where "status" = \'reserved\'',
    },
    {
      // The review queue: flagged transactions nobody has decided on yet.
      name: 'transaction_record_open_review_index',
      expression:
        'create index "transaction_record_open_review_index" on "transaction_record" ("org_id", "created_at") where "review_state" = \'open\'',
    },
  ],
  primaryKeys: ['orgId', 'id', 'createdAt'],
});
export type TransactionRecord = InferEntity<typeof TransactionRecord>;

/**
 * The enabled rules of an organization at one policy version, as the engine evaluated them.
 * Immutable; written once per version, read to replay an evaluation (transaction traces).
 */
export const PolicySnapshot = defineEntity({
  name: 'PolicySnapshot',
  tableName: 'policy_snapshot',
  properties: {
    orgId: () => orgId('cascade')().primary(),
    version: p.bigint('number').primary(),
    rules: p.json<unknown[]>(),
    createdAt: timestamps.createdAt,
  },
  primaryKeys: ['orgId', 'version'],
});
export type PolicySnapshot = InferEntity<typeof PolicySnapshot>;

export const WindowCounter = defineEntity({
  name: 'WindowCounter',
  tableName: 'window_counter',
  properties: {
    orgId: () => orgId('no action')().primary(),
    key: p.text().primary(),
    period: p.text(),
    per: p.text(),
    groupValue: p.text(),
    windowStart: timestamptz(),
    windowEnd: timestamptz(),
    costMicros: p.bigint('number').default(0),
    tokensIn: p.bigint('number').default(0),
    tokensOut: p.bigint('number').default(0),
    requests: p.bigint('number').default(0),
    updatedAt: timestamps.updatedAt,
  },
  primaryKeys: ['orgId', 'key'],
});
export type WindowCounter = InferEntity<typeof WindowCounter>;

/**
 * A budget lease (issue 18, off unless REINS_BUDGET_LEASES=on): a server process's reservation of
 * part of an org-wide window counter's remaining budget. Granting adds `granted` to the counter
 * (a lease is a hold); spend admitted under the lease adds to `used` here, not to the counter;
 * returning it takes `granted − used` back out of the counter. So a counter always equals its
 * ledger sum − Σ used + Σ granted of its open leases (apps/server/src/recording/leases.ts).
 */
export const BudgetLease = defineEntity({
  name: 'BudgetLease',
  tableName: 'budget_lease',
  properties: {
    orgId: () => orgId('no action')().primary(),
    /** One id per grant: a renewal is a new row, so a batch never spends another grant's budget. */
    id: p.text().primary(),
    counterKey: p.text(),
    /** The server process holding it (a random id per process). */
    holder: p.text(),
    grantedCostMicros: p.bigint('number').default(0),
    grantedTokensIn: p.bigint('number').default(0),
    grantedTokensOut: p.bigint('number').default(0),
    grantedRequests: p.bigint('number').default(0),
    usedCostMicros: p.bigint('number').default(0),
    usedTokensIn: p.bigint('number').default(0),
    usedTokensOut: p.bigint('number').default(0),
    usedRequests: p.bigint('number').default(0),
    expiresAt: timestamptz(),
    createdAt: timestamps.createdAt,
  },
  primaryKeys: ['orgId', 'id'],
  indexes: [
    { name: 'budget_lease_counter_index', properties: ['orgId', 'counterKey'] },
    { name: 'budget_lease_holder_index', properties: ['holder'] },
  ],
});
export type BudgetLease = InferEntity<typeof BudgetLease>;

export const AuditEvent = defineEntity({
  name: 'AuditEvent',
  tableName: 'audit_event',
  properties: {
    // Primary key (org_id, id, occurred_at): partitioned by month on occurred_at, which the
    // server sets (docs/operations.md, "Data volume").
    orgId: () => orgId('no action')().primary(),
    id: p.text().primary(),
    eventType: p.text(),
    occurredAt: timestamptz().primary(),
    actor: p.text(),
    entityType: p.text(),
    entityId: p.text(),
    metadata: p.json<Record<string, unknown>>().defaultRaw(`'{}'`),
    /** Insertion order (a sequence); with `xid`, the order the hash chain seals events in. */
    pos: p.bigint('number').autoincrement(),
    /**
     * The inserting transaction (`xid8`). Every event of a transaction older than the oldest
     * running one is committed or gone, so the sealer can take events in (xid, pos) order up
     * to that horizon and never see an earlier one appear later. Written as `reins_xid_now()`:
     * the id shifted past a restored history's (packages/db/src/xidShift.ts).
     */
    xid: p.string().columnType('xid8').defaultRaw('reins_xid_now()'),
  },
  indexes: [
    {
      name: 'audit_event_org_occurred_index',
      expression:
        'create index "audit_event_org_occurred_index" on "audit_event" ("org_id", "occurred_at" desc, "id" desc)',
    },
    // The list's filters (services/auditLog.ts listAuditQueries), each leading the list's order.
    // Partial: the event every governed call writes (`transaction.recorded`, entity type
    // `transaction`, no deciding rule) is in none of them, so the hot path pays no insert for
    // them; filtering on those dense values walks the org index above.
    {
      // Byte order (collate "C"), so that an event type's prefix (`action=api_key`: `api_key.*`)
      // is a range of it; the list's SQL compares event_type in that collation.
      name: 'audit_event_org_type_key_index',
      expression:
        'create index "audit_event_org_type_key_index" on "audit_event" ("org_id", "event_type" collate "C", "occurred_at" desc, "id" desc) where "event_type" collate "C" <> \'transaction.recorded\'',
    },
    {
      name: 'audit_event_org_entity_key_index',
      expression:
        'create index "audit_event_org_entity_key_index" on "audit_event" ("org_id", "entity_type", "occurred_at" desc, "id" desc) where "entity_type" <> \'transaction\'',
    },
    {
      // `action=policy_rule.<action>`: the events in which a policy rule took that action.
      name: 'audit_event_org_rule_action_key_index',
      expression:
        'create index "audit_event_org_rule_action_key_index" on "audit_event" ("org_id", ("metadata"->>\'action\'), "occurred_at" desc, "id" desc) where "metadata"->>\'ruleId\' is not null',
    },
    {
      name: 'audit_event_org_xid_pos_index',
      expression:
        'create index "audit_event_org_xid_pos_index" on "audit_event" ("org_id", "xid", "pos")',
    },
  ],
  primaryKeys: ['orgId', 'id', 'occurredAt'],
});
export type AuditEvent = InferEntity<typeof AuditEvent>;

/**
 * Each organization's SHA-256 hash chain over its audit events: `hash = sha256(prevHash ||
 * canonical(event with seq))`. Insert-only (trigger), written by the sealer after the events, so
 * events are never updated and recording never waits for the chain.
 */
export const AuditChain = defineEntity({
  name: 'AuditChain',
  tableName: 'audit_chain',
  properties: {
    orgId: () => orgId('no action')().primary(),
    seq: p.bigint('number').primary(),
    eventId: p.text(),
    prevHash: p.text(),
    hash: p.text(),
    sealedAt: timestamptz().defaultRaw('now()'),
  },
  primaryKeys: ['orgId', 'seq'],
});
export type AuditChain = InferEntity<typeof AuditChain>;

/**
 * Where each organization's audit hash chain ends, and how far the sealer has read
 * (`lastXid`, `lastPos`): the sealer locks this row, so chains are extended by one sealer at a
 * time per org while recording never waits for it.
 */
export const AuditChainHead = defineEntity({
  name: 'AuditChainHead',
  tableName: 'audit_chain_head',
  properties: {
    orgId: () => orgId('no action')().primary(),
    seq: p.bigint('number').default(0),
    hash: p.text(),
    lastXid: p.string().columnType('xid8').defaultRaw(`'0'`),
    lastPos: p.bigint('number').default(0),
    updatedAt: timestamps.updatedAt,
  },
});
export type AuditChainHead = InferEntity<typeof AuditChainHead>;

/**
 * Each organization's last verified checkpoint: the chain was found intact up to link `seq`
 * (whose hash is `hash`), with the head then at (`lastXid`, `lastPos`). Only a pointer: the
 * checkpoint itself is the `audit_chain.verified` event `eventId`, which carries the same values
 * and is sealed into the chain after `seq` — so an edit of it breaks the chain like an edit of
 * any event (see auditChain.ts, "Checkpoints").
 */
export const AuditCheckpoint = defineEntity({
  name: 'AuditCheckpoint',
  tableName: 'audit_checkpoint',
  properties: {
    orgId: () => orgId('cascade')().primary(),
    seq: p.bigint('number'),
    hash: p.text(),
    lastXid: p.string().columnType('xid8'),
    lastPos: p.bigint('number'),
    eventId: p.text(),
    verifiedAt: timestamptz(),
  },
});
export type AuditCheckpoint = InferEntity<typeof AuditCheckpoint>;

/**
 * A full verification of an organization's audit chain, run by the `audit-verify` job: claimed
 * with a lease (`locked_by`, `locked_until`); its position in the walk (`cursor_*`, `checked`)
 * is written after every chunk, so a worker that dies leaves a lease that expires and another
 * worker goes on from there.
 */
export const AuditVerification = defineEntity({
  name: 'AuditVerification',
  tableName: 'audit_verification',
  properties: {
    ...orgScopedId,
    /** queued | running | done | failed */
    status: p.text().default('queued'),
    /** Links walked so far, and the head's seq the walk goes to (null until it starts). */
    checked: p.bigint('number').default(0),
    total: p.bigint('number').nullable(),
    /** The head (and the chain's last link) when the walk began: what it verifies up to. */
    target: p.json<Record<string, unknown>>().nullable(),
    /** Where the walk is: the last link verified (seq 0 = the genesis). */
    cursorSeq: p.bigint('number').default(0),
    cursorHash: p.text().nullable(),
    cursorEventId: p.text().nullable(),
    result: p.json<Record<string, unknown>>().nullable(),
    error: p.text().nullable(),
    attempts: p.integer().default(0),
    lockedBy: p.text().nullable(),
    lockedUntil: timestamptz().nullable(),
    createdAt: timestamps.createdAt,
    startedAt: timestamptz().nullable(),
    finishedAt: timestamptz().nullable(),
  },
  indexes: [
    {
      name: 'audit_verification_claimable_index',
      expression:
        'create index "audit_verification_claimable_index" on "audit_verification" ("created_at") where "status" in (\'queued\', \'running\')',
    },
  ],
  primaryKeys: ['orgId', 'id'],
});
export type AuditVerification = InferEntity<typeof AuditVerification>;

/** The agent registry: per-agent monthly budgets and metadata. */
export const Agent = defineEntity({
  name: 'Agent',
  tableName: 'agent',
  properties: {
    orgId: () => orgId('cascade')().primary(),
    agentId: p.text().primary(),
    name: p.text(),
    description: p.text().nullable(),
    vendor: p.text().nullable(),
    monthlyBudgetCents: p.bigint('number').nullable(),
    metadata: p.json<Record<string, unknown>>().defaultRaw(`'{}'`),
    ...timestamps,
  },
  primaryKeys: ['orgId', 'agentId'],
});
export type Agent = InferEntity<typeof Agent>;

/**
 * Budgets of a user role, a team or a project, per period: the limits of window rules that name
 * none (a rule naming `userRoles` reads its role's budget per user; a team- or project-scoped
 * rule its team's or project's). Roles are stored lower case, as rules compare them.
 */
export const Budget = defineEntity({
  name: 'Budget',
  tableName: 'budget',
  properties: {
    orgId: () => orgId('cascade')().primary(),
    /** role | team | project */
    kind: p.enum(['role', 'team', 'project']).primary(),
    subject: p.text().primary(),
    hourlyBudgetCents: p.bigint('number').nullable(),
    dailyBudgetCents: p.bigint('number').nullable(),
    weeklyBudgetCents: p.bigint('number').nullable(),
    monthlyBudgetCents: p.bigint('number').nullable(),
    ...timestamps,
  },
  primaryKeys: ['orgId', 'kind', 'subject'],
});
export type Budget = InferEntity<typeof Budget>;

/** Per-org vendor settings; a vendor without a row is enabled and unlimited. */
export const VendorSetting = defineEntity({
  name: 'VendorSetting',
  tableName: 'vendor_setting',
  properties: {
    orgId: () => orgId('cascade')().primary(),
    vendor: p.text().primary(),
    enabled: p.boolean().default(true),
    /** Requests per minute for the whole organization; null = no limit. */
    rateLimitRpm: p.integer().nullable(),
    ...timestamps,
  },
  primaryKeys: ['orgId', 'vendor'],
});
export type VendorSetting = InferEntity<typeof VendorSetting>;

/** An org's own price for a vendor's model (glob), in force from `effectiveFrom`. */
export const PriceOverride = defineEntity({
  name: 'PriceOverride',
  tableName: 'price_override',
  properties: {
    ...orgScopedId,
    vendor: p.text(),
    model: p.text(),
    /** Dollars per million tokens / per request, as the engine's PriceOverride names them. */
    prices: p.json<Record<string, number>>(),
    effectiveFrom: timestamptz(),
    effectiveTo: timestamptz().nullable(),
    createdAt: timestamps.createdAt,
  },
  primaryKeys: ['orgId', 'id'],
});
export type PriceOverride = InferEntity<typeof PriceOverride>;

/**
 * A request made with an `Idempotency-Key` (or `metadata.requestId`): the first response, kept to
 * be replayed byte for byte. Written in the same database transaction as what it answers.
 */
export const IdempotencyRecord = defineEntity({
  name: 'IdempotencyRecord',
  tableName: 'idempotency_record',
  properties: {
    orgId: () => orgId('cascade')().primary(),
    key: p.text().primary(),
    /** `POST /api/v1/transactions` etc.: a key answers one kind of request. */
    route: p.text(),
    /** SHA-256 of the canonical request body: the same key with another body is a conflict. */
    requestHash: p.text(),
    statusCode: p.integer().nullable(),
    responseBody: p.text().nullable(),
    createdAt: timestamps.createdAt,
    completedAt: timestamptz().nullable(),
  },
  primaryKeys: ['orgId', 'key'],
  indexes: [{ name: 'idempotency_record_created_index', properties: ['createdAt'] }],
});
export type IdempotencyRecord = InferEntity<typeof IdempotencyRecord>;

/** A `warn`/`notify` alert: one per rule, group, window and threshold (`dedupKey`). */
export const PolicyAlert = defineEntity({
  name: 'PolicyAlert',
  tableName: 'policy_alert',
  properties: {
    ...orgScopedId,
    /** Null for alerts no rule raised (spend anomalies: `action` 'anomaly'). */
    ruleId: p.text().nullable(),
    ruleName: p.text(),
    action: p.text(),
    message: p.text(),
    dedupKey: p.text(),
    transactionId: p.text().nullable(),
    agentId: p.text().nullable(),
    groupValue: p.text().nullable(),
    timeWindow: p.text().nullable(),
    windowStart: timestamptz().nullable(),
    thresholdPct: p.integer().nullable(),
    limitValue: p.bigint('number').nullable(),
    currentValue: p.bigint('number').nullable(),
    unit: p.text().nullable(),
    read: p.boolean().default(false),
    readAt: timestamptz().nullable(),
    createdAt: timestamps.createdAt,
  },
  uniques: [{ name: 'policy_alert_org_dedup_unique', properties: ['orgId', 'dedupKey'] }],
  indexes: [
    {
      name: 'policy_alert_org_created_index',
      expression:
        'create index "policy_alert_org_created_index" on "policy_alert" ("org_id", "created_at" desc, "id" desc)',
    },
  ],
  primaryKeys: ['orgId', 'id'],
});
export type PolicyAlert = InferEntity<typeof PolicyAlert>;

/** Where an org's notifications go: a webhook (signed), a Slack incoming webhook or email. */
export const NotificationChannel = defineEntity({
  name: 'NotificationChannel',
  tableName: 'notification_channel',
  properties: {
    ...orgScopedId,
    name: p.text(),
    /** webhook | slack | email */
    type: p.text(),
    /** webhook: {url, secret}; slack: {url}; email: {addresses}. */
    config: p.json<Record<string, unknown>>(),
    enabled: p.boolean().default(true),
    ...timestamps,
  },
  primaryKeys: ['orgId', 'id'],
});
export type NotificationChannel = InferEntity<typeof NotificationChannel>;

/** Notifications waiting to be delivered (by the worker), one per alert and channel. */
export const NotificationOutbox = defineEntity({
  name: 'NotificationOutbox',
  tableName: 'notification_outbox',
  properties: {
    ...orgScopedId,
    alertId: p.text().nullable(),
    channelId: p.text(),
    /** pending | delivered | failed */
    status: p.text().default('pending'),
    attempts: p.integer().default(0),
    nextAttemptAt: timestamptz().defaultRaw('now()'),
    payload: p.json<Record<string, unknown>>(),
    lastError: p.text().nullable(),
    createdAt: timestamps.createdAt,
    deliveredAt: timestamptz().nullable(),
  },
  indexes: [
    {
      name: 'notification_outbox_pending_index',
      expression:
        'create index "notification_outbox_pending_index" on "notification_outbox" ("next_attempt_at") where "status" = \'pending\'',
    },
    // The alerts API reads a page of alerts' deliveries by alert id.
    { name: 'notification_outbox_alert_id_index', properties: ['alertId'] },
    // A channel's latest deliveries (the dashboard's channel page).
    {
      name: 'notification_outbox_channel_created_index',
      expression:
        'create index "notification_outbox_channel_created_index" on "notification_outbox" ("channel_id", "created_at" desc, "id" desc)',
    },
  ],
  primaryKeys: ['orgId', 'id'],
});
export type NotificationOutbox = InferEntity<typeof NotificationOutbox>;

/**
 * Spend rolled up per org × bucket × agent × vendor × model × user × team × project × decision,
 * in the grains `15m` (quarter hours: every time zone's midnight is one), `day` and `month` (UTC,
 * for long ranges), and by agent alone (every other dimension ''): `a1h`, `a1d`, `a1m` (UTC
 * hours, days, months: series, anomalies, and the totals and deep-page seeks of lists that filter
 * on nothing else). Absent dimensions are '' (part of the key). Kept by the worker from the audit stream (@reins/ledger's
 * rollups.ts); readers add the events it has not absorbed yet.
 */
export const SpendRollup = defineEntity({
  name: 'SpendRollup',
  tableName: 'spend_rollup',
  properties: {
    orgId: orgId('cascade')().primary(),
    grain: p.text().primary(),
    bucket: timestamptz().primary(),
    agentId: p.text().primary(),
    vendor: p.text().primary(),
    model: p.text().primary(),
    userId: p.text().primary(),
    teamId: p.text().primary(),
    projectId: p.text().primary(),
    /** The decision (`pass`, `warn`, … ; '' in the agent-only grain): list totals filter on it. */
    action: p.text().primary().default(''),
    spendMicros: p.bigint('number').default(0),
    spendCents: p.bigint('number').default(0),
    tokensIn: p.bigint('number').default(0),
    tokensOut: p.bigint('number').default(0),
    requests: p.bigint('number').default(0),
    blocked: p.bigint('number').default(0),
    flagged: p.bigint('number').default(0),
    warned: p.bigint('number').default(0),
    /** Transactions a shadow rule would have blocked / warned / flagged. */
    wouldBlock: p.bigint('number').default(0),
    wouldWarn: p.bigint('number').default(0),
    wouldFlag: p.bigint('number').default(0),
  },
  primaryKeys: [
    'orgId',
    'grain',
    'bucket',
    'agentId',
    'vendor',
    'model',
    'userId',
    'teamId',
    'projectId',
    'action',
  ],
});
export type SpendRollup = InferEntity<typeof SpendRollup>;

/**
 * Audit events counted per org × bucket × event type × entity type × the action of the policy
 * rule they report (`metadata.action` when `metadata.ruleId` is set, else ''), in the grains
 * `15m`, `day` and `month`: the audit log's `total` reads these. Kept with `spend_rollup`, by
 * the same cursor.
 */
export const AuditRollup = defineEntity({
  name: 'AuditRollup',
  tableName: 'audit_rollup',
  properties: {
    orgId: orgId('cascade')().primary(),
    grain: p.text().primary(),
    bucket: timestamptz().primary(),
    eventType: p.text().primary(),
    entityType: p.text().primary(),
    ruleAction: p.text().primary(),
    events: p.bigint('number').default(0),
  },
  primaryKeys: ['orgId', 'grain', 'bucket', 'eventType', 'entityType', 'ruleAction'],
});
export type AuditRollup = InferEntity<typeof AuditRollup>;

/** How far each org's rollups have absorbed its audit stream: events up to (xid, pos). */
export const RollupCursor = defineEntity({
  name: 'RollupCursor',
  tableName: 'rollup_cursor',
  properties: {
    orgId: orgId('cascade')().primary(),
    xid: p.string().columnType('xid8').defaultRaw(`'0'`),
    pos: p.bigint('number').default(0),
    updatedAt: timestamptz().defaultRaw('now()'),
  },
});
export type RollupCursor = InferEntity<typeof RollupCursor>;

/**
 * A backtest: a draft rule set replayed through the engine over a past period of an
 * organization's recorded transactions (by the `backtest` job). Claimed with a lease
 * (`locked_by`, `locked_until`): a worker that dies mid-replay leaves a lease that expires, and
 * another worker starts the replay again.
 */
export const Backtest = defineEntity({
  name: 'Backtest',
  tableName: 'backtest',
  properties: {
    ...orgScopedId,
    /** queued | running | done | failed */
    status: p.text().default('queued'),
    /** The draft rules, canonical (engine `Rule`s), in the order they were sent. */
    rules: p.json<unknown[]>(),
    /** What the evaluations read besides the rules: time zone, default action, budgets. */
    settings: p.json<Record<string, unknown>>(),
    periodStart: timestamptz(),
    periodEnd: timestamptz(),
    /** Transactions of the period replayed so far, and how many the period has. */
    processed: p.bigint('number').default(0),
    total: p.bigint('number').nullable(),
    result: p.json<Record<string, unknown>>().nullable(),
    error: p.text().nullable(),
    /** Claims so far (a run taken over after its lease expired is claimed again). */
    attempts: p.integer().default(0),
    lockedBy: p.text().nullable(),
    lockedUntil: timestamptz().nullable(),
    createdAt: timestamps.createdAt,
    startedAt: timestamptz().nullable(),
    finishedAt: timestamptz().nullable(),
  },
  indexes: [
    {
      name: 'backtest_org_created_index',
      expression:
        'create index "backtest_org_created_index" on "backtest" ("org_id", "created_at" desc, "id" desc)',
    },
    {
      name: 'backtest_claimable_index',
      expression:
        'create index "backtest_claimable_index" on "backtest" ("created_at") where "status" in (\'queued\', \'running\')',
    },
  ],
  primaryKeys: ['orgId', 'id'],
});
export type Backtest = InferEntity<typeof Backtest>;

/**
 * A person who signs in to the dashboard (email and password). Emails are unique across the
 * installation, compared case-insensitively (a unique index on `lower(email)`): signing in names
 * no organization. The password is an scrypt hash with its salt and parameters
 * (`scrypt$N$r$p$salt$hash`), null until the user redeems their first sign-in link.
 */
export const User = defineEntity({
  name: 'User',
  tableName: 'app_user',
  properties: {
    ...orgScopedId,
    email: p.text(),
    name: p.text().nullable(),
    /** admin | editor | viewer: mapped onto the permissions API keys carry. */
    role: p.enum(['admin', 'editor', 'viewer']),
    passwordHash: p.text().nullable(),
    disabledAt: timestamptz().nullable(),
    ...timestamps,
    lastSignInAt: timestamptz().nullable(),
  },
  indexes: [
    {
      name: 'app_user_email_unique',
      expression: 'create unique index "app_user_email_unique" on "app_user" (lower("email"))',
    },
  ],
  primaryKeys: ['orgId', 'id'],
});
export type User = InferEntity<typeof User>;

/**
 * A dashboard session: the SHA-256 (hex) of the cookie's random token is the key, the token
 * itself is never stored. Signed in as a user or with an API key (exactly one of the two); it
 * dies with the user's disabling or the key's revocation (rows deleted) and after `expires_at`
 * (absolute) or the idle timeout after `last_seen_at`.
 */
export const Session = defineEntity({
  name: 'Session',
  tableName: 'user_session',
  properties: {
    ...orgScopedId,
    /**
     * `[orgId, userId]`: the foreign key is `(org_id, user_id)`, sharing the session's own org_id
     * column, so that a session and its user are always of one organization (and on one shard).
     */
    user: () =>
      p
        .manyToOne(User)
        .mapToPk()
        .nullable()
        .joinColumns('org_id', 'user_id')
        .deleteRule('cascade')
        .updateRule('no action'),
    /** `[orgId, keyId]`, as `user`. */
    key: () =>
      p
        .manyToOne(ApiKey)
        .mapToPk()
        .nullable()
        .joinColumns('org_id', 'key_id')
        .deleteRule('cascade')
        .updateRule('no action'),
    /** Sent back as `x-reins-csrf` on every state-changing request of the session. */
    csrfToken: p.text(),
    createdAt: timestamps.createdAt,
    lastSeenAt: timestamptz(),
    expiresAt: timestamptz(),
  },
  primaryKeys: ['orgId', 'id'],
  indexes: [
    // A cookie names no organization: authenticating finds its session by id alone (on Citus, a
    // lookup on every shard).
    { name: 'user_session_id_index', properties: ['id'] },
    { name: 'user_session_user_id_index', properties: ['user'] },
    { name: 'user_session_key_id_index', properties: ['key'] },
  ],
  // Signed in as a user or with a key: exactly one of the two.
  checks: [
    {
      name: 'user_session_one_principal_check',
      expression: '("user_id" is null) <> ("key_id" is null)',
    },
  ],
});
export type Session = InferEntity<typeof Session>;

/**
 * A one-time sign-in link (first admin, invitation, password reset): the SHA-256 (hex) of its
 * token is the key. Redeemed once (`used_at`), before `expires_at`.
 */
export const SignInToken = defineEntity({
  name: 'SignInToken',
  tableName: 'sign_in_token',
  properties: {
    ...orgScopedId,
    /** `[orgId, userId]`: the foreign key `(org_id, user_id)` shares the token's org_id. */
    user: () =>
      p
        .manyToOne(User)
        .mapToPk()
        .joinColumns('org_id', 'user_id')
        .deleteRule('cascade')
        .updateRule('no action'),
    /** first_admin | invite | reset */
    purpose: p.enum(['first_admin', 'invite', 'reset']),
    createdAt: timestamps.createdAt,
    expiresAt: timestamptz(),
    usedAt: timestamptz().nullable(),
  },
  primaryKeys: ['orgId', 'id'],
  indexes: [
    // A sign-in link names no organization: redeeming finds its token by id alone.
    { name: 'sign_in_token_id_index', properties: ['id'] },
    { name: 'sign_in_token_user_id_index', properties: ['user'] },
  ],
});
export type SignInToken = InferEntity<typeof SignInToken>;

export const entities = [
  Organization,
  ApiKey,
  PolicyRule,
  TransactionRecord,
  PolicySnapshot,
  WindowCounter,
  BudgetLease,
  AuditEvent,
  AuditChain,
  AuditChainHead,
  AuditCheckpoint,
  AuditVerification,
  Agent,
  Budget,
  VendorSetting,
  PriceOverride,
  IdempotencyRecord,
  PolicyAlert,
  NotificationChannel,
  NotificationOutbox,
  SpendRollup,
  RollupCursor,
  AuditRollup,
  Backtest,
  User,
  Session,
  SignInToken,
] as const;
