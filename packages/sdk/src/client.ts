/**
 * `reins()`: the docs' REST client. One method per documented route, each answering the server's
 * body (`success` included). A policy block is a result, never a throw: `submitTransaction`
 * answers `{ success: false, code: 'POLICY_VIOLATION', action: 'block', policyResult, ... }`.
 * Every other non-2xx answer throws `ReinsError` with the server's code; no answer at all throws
 * `ReinsError` with status 0 (`NETWORK_ERROR`, `TIMEOUT`).
 *
 * No runtime dependency: `fetch` (Node ≥ 18) through `http.ts`.
 */
import { ReinsError } from './errors.js';
import {
  DEFAULT_TIMEOUT_MS,
  createTransport,
  toError,
  type RequestOptions,
  type TransportOptions,
} from './http.js';
import type {
  AgentCreatedResponse,
  AgentDeletedResponse,
  AgentFilters,
  AgentListResponse,
  AgentPatch,
  AgentResponse,
  AgentUpdatedResponse,
  AlertFilters,
  AlertListResponse,
  AlertReadResponse,
  AlertResponse,
  AnalyticsSummaryFilters,
  AnomalyFilters,
  AnalyticsSummaryResponse,
  AnomaliesResponse,
  ApiKeyCreatedResponse,
  ApiKeyListResponse,
  ApiKeyRevokedResponse,
  AuditFilters,
  AuditListFilters,
  AuditEvent,
  AuditListResponse,
  AuditVerifyResponse,
  AuditVerificationResponse,
  BulkItemResult,
  BulkSubmitResponse,
  EvaluatePolicyResponse,
  ForecastFilters,
  ForecastResponse,
  HealthResponse,
  Instant,
  NewAgent,
  OrganizationPatch,
  OrganizationResponse,
  BudgetDeletedResponse,
  BudgetKindPath,
  BudgetListResponse,
  BudgetPatch,
  BudgetResponse,
  NewApiKey,
  NewBacktest,
  BacktestResponse,
  NewPolicyRule,
  NewTransaction,
  PolicyRulePatch,
  RuleCreatedResponse,
  RuleDeletedResponse,
  RuleFilters,
  RuleListResponse,
  RuleResponse,
  RuleUpdatedResponse,
  SettleResponse,
  ReviewTransaction,
  ReviewTransactionResponse,
  SettleTransaction,
  SubmitTransactionResult,
  TransactionAccepted,
  TransactionBlocked,
  TransactionFilters,
  Transaction,
  TransactionListResponse,
  TransactionResponse,
  TransactionTraceResponse,
  VendorListResponse,
  VendorPatch,
  VendorPricesResponse,
  VendorResponse,
  VoidResponse,
  VoidTransaction,
} from './types.js';

/** `reins()`'s options: `apiKey` defaults to `REINS_API_KEY`, `baseUrl` to `REINS_BASE_URL`. */
export type ReinsOptions = TransportOptions;

/** Per call: cancel it, or give it its own timeout (ms). */
export interface CallOptions {
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
}

/**
 * Writes that Reins keys by `Idempotency-Key`: retried with the same key, the request answers the
 * first response and records nothing twice; the same key with another body is a 409.
 */
export interface WriteOptions extends CallOptions {
  idempotencyKey?: string | undefined;
}

export interface ReinsClient {
  /** The base URL requests go to (no trailing slash). */
  readonly baseUrl: string;

  // Transactions
  /**
   * `POST /api/v1/transactions`. Admitted: the 202 body (`success: true`). Blocked by a rule: the
   * 403 body with `action: 'block'` added — returned, not thrown. Other errors throw `ReinsError`.
   */
  submitTransaction(tx: NewTransaction, opts?: WriteOptions): Promise<SubmitTransactionResult>;
  /**
   * `POST /api/v1/transactions/bulk`: up to 1,000, evaluated in order; one result per item (a
   * blocked item carries `action: 'block'`). With `idempotencyKey`, item i is keyed `<key>#<i>`.
   */
  submitBulk(
    transactions: readonly NewTransaction[],
    opts?: WriteOptions,
  ): Promise<BulkSubmitResponse>;
  /** `POST /api/v1/transactions/:id/settle`: a reservation's actual cost replaces its hold. */
  settleTransaction(
    id: string,
    body: SettleTransaction,
    opts?: WriteOptions,
  ): Promise<SettleResponse>;
  /** `POST /api/v1/transactions/:id/void`: a reservation's hold is released. */
  voidTransaction(id: string, body?: VoidTransaction, opts?: WriteOptions): Promise<VoidResponse>;
  /** `POST /api/policy-rules/evaluate`: the decision `tx` would get now; records nothing. */
  evaluatePolicy(tx: NewTransaction, opts?: CallOptions): Promise<EvaluatePolicyResponse>;
  /** `GET /api/v1/transactions`: newest first, with the docs' filters and pagination. */
  listTransactions(
    filters?: TransactionFilters,
    opts?: CallOptions,
  ): Promise<TransactionListResponse>;
  /**
   * Every transaction that matches `filters`, newest first, read page by page with the cursor
   * (`limit` rows a request): each exactly once, transactions recorded meanwhile not included.
   */
  iterateTransactions(
    filters?: Omit<TransactionFilters, 'offset' | 'cursor'>,
    opts?: CallOptions,
  ): AsyncGenerator<Transaction, void, undefined>;
  /** `GET /api/v1/transactions/:id`. */
  getTransaction(id: string, opts?: CallOptions): Promise<TransactionResponse>;
  /** `GET /api/v1/transactions/:id/trace`: every rule's verdict, replayed. */
  getTrace(id: string, opts?: CallOptions): Promise<TransactionTraceResponse>;
  /**
   * `POST /api/v1/transactions/:id/review`: approves or rejects a flagged transaction (needs
   * `transactions:review`). Throws `ReinsError` 409 `NOT_FLAGGED` or `ALREADY_REVIEWED`.
   */
  reviewTransaction(
    id: string,
    body: ReviewTransaction,
    opts?: CallOptions,
  ): Promise<ReviewTransactionResponse>;

  // Policy rules (docs dialect)
  /** `GET /api/policy-rules`, in evaluation order. */
  listRules(filters?: RuleFilters, opts?: CallOptions): Promise<RuleListResponse>;
  /** `GET /api/policy-rules/:id`. */
  getRule(id: string, opts?: CallOptions): Promise<RuleResponse>;
  /** `POST /api/policy-rules`. */
  createRule(body: NewPolicyRule, opts?: CallOptions): Promise<RuleCreatedResponse>;
  /** `PUT /api/policy-rules/:id`: a merge patch (`null` removes a field). */
  updateRule(id: string, patch: PolicyRulePatch, opts?: CallOptions): Promise<RuleUpdatedResponse>;
  /** `DELETE /api/policy-rules/:id`. */
  deleteRule(id: string, opts?: CallOptions): Promise<RuleDeletedResponse>;
  /**
   * `POST /api/policy-rules/backtest`: queues a replay of draft rules (either dialect) over a past
   * period; answers at once (202) with the backtest to poll with `getBacktest`.
   */
  startBacktest(body: NewBacktest, opts?: CallOptions): Promise<BacktestResponse>;
  /** `GET /api/policy-rules/backtest/:id`: status, progress and, when done, the result. */
  getBacktest(id: string, opts?: CallOptions): Promise<BacktestResponse>;

  // The organization and budgets
  /** `GET /api/org`: name, time zone, default action, budgets per period. */
  getOrg(opts?: CallOptions): Promise<OrganizationResponse>;
  /** `PUT /api/org` (permission `org:admin`). */
  updateOrg(patch: OrganizationPatch, opts?: CallOptions): Promise<OrganizationResponse>;
  /** `GET /api/budgets`: the budgets of user roles, teams and projects. */
  listBudgets(filters?: { kind?: BudgetKindPath }, opts?: CallOptions): Promise<BudgetListResponse>;
  /** `GET /api/budgets/:kind/:id`. */
  getBudget(kind: BudgetKindPath, id: string, opts?: CallOptions): Promise<BudgetResponse>;
  /** `PUT /api/budgets/:kind/:id`, e.g. `setBudget('roles', 'free', { dailyBudgetCents: 500 })`. */
  setBudget(
    kind: BudgetKindPath,
    id: string,
    patch: BudgetPatch,
    opts?: CallOptions,
  ): Promise<BudgetResponse>;
  /** `DELETE /api/budgets/:kind/:id`. */
  deleteBudget(
    kind: BudgetKindPath,
    id: string,
    opts?: CallOptions,
  ): Promise<BudgetDeletedResponse>;

  // Agents
  /** `POST /api/agents`. */
  registerAgent(body: NewAgent, opts?: CallOptions): Promise<AgentCreatedResponse>;
  /** Alias of `registerAgent`. */
  createAgent(body: NewAgent, opts?: CallOptions): Promise<AgentCreatedResponse>;
  /** `GET /api/agents`, oldest first. */
  listAgents(filters?: AgentFilters, opts?: CallOptions): Promise<AgentListResponse>;
  /** `GET /api/agents/:agentId`. */
  getAgent(agentId: string, opts?: CallOptions): Promise<AgentResponse>;
  /** `PUT /api/agents/:agentId`: the fields given change. */
  updateAgent(
    agentId: string,
    patch: AgentPatch,
    opts?: CallOptions,
  ): Promise<AgentUpdatedResponse>;
  /** `DELETE /api/agents/:agentId`: its past transactions stay recorded. */
  deleteAgent(agentId: string, opts?: CallOptions): Promise<AgentDeletedResponse>;

  // Vendors
  /** `GET /api/vendors`: the six vendors with this organization's settings. */
  listVendors(opts?: CallOptions): Promise<VendorListResponse>;
  /** `GET /api/vendors/:vendor`. */
  getVendor(vendor: string, opts?: CallOptions): Promise<VendorResponse>;
  /** `PUT /api/vendors/:vendor`: enable or disable it, set its requests-per-minute limit. */
  updateVendor(vendor: string, body: VendorPatch, opts?: CallOptions): Promise<VendorResponse>;
  /** `GET /api/vendors/:vendor/prices`: the price table at `at` (default now). */
  listPrices(
    vendor: string,
    filters?: { at?: Instant },
    opts?: CallOptions,
  ): Promise<VendorPricesResponse>;

  // Policy alerts
  /** `GET /api/policy-alerts`, newest first. */
  listAlerts(filters?: AlertFilters, opts?: CallOptions): Promise<AlertListResponse>;
  /** `GET /api/policy-alerts/:id`. */
  getAlert(id: string, opts?: CallOptions): Promise<AlertResponse>;
  /** `PUT /api/policy-alerts/:id/read` (idempotent). */
  markAlertRead(id: string, opts?: CallOptions): Promise<AlertReadResponse>;

  // Analytics
  /** `GET /api/analytics/summary?period=` (or `startDate`/`endDate`, `agentId`, `groupBy`). */
  getAnalyticsSummary(
    filters?: AnalyticsSummaryFilters,
    opts?: CallOptions,
  ): Promise<AnalyticsSummaryResponse>;
  /** `GET /api/analytics/forecast` (`period`, `agentId`). */
  getForecast(filters?: ForecastFilters, opts?: CallOptions): Promise<ForecastResponse>;
  /** `GET /api/analytics/anomalies` (`agentId`, `hours`). */
  getAnomalies(filters?: AnomalyFilters, opts?: CallOptions): Promise<AnomaliesResponse>;

  // Audit log
  /** `GET /api/v1/audit-log`, newest first. */
  listAuditEvents(filters?: AuditListFilters, opts?: CallOptions): Promise<AuditListResponse>;
  /** Every audit event that matches `filters`, newest first, paged with the cursor. */
  iterateAuditEvents(
    filters?: Omit<AuditListFilters, 'offset' | 'cursor'>,
    opts?: CallOptions,
  ): AsyncGenerator<AuditEvent, void, undefined>;
  /**
   * `GET /api/v1/audit-log/csv` as one string (header
   * `id,eventType,occurredAt,actor,entityType,entityId,vendor,action`, CRLF line ends). The
   * timeout covers the whole download; use `streamAuditCsv` for large exports.
   */
  downloadAuditCsv(filters?: AuditFilters, opts?: CallOptions): Promise<string>;
  /**
   * `GET /api/v1/audit-log/csv` as the response's byte stream, for exports of any size: the
   * timeout covers only the wait for the response to start, `signal` cancels the download. In
   * Node, `Readable.fromWeb(stream)` pipes it to a file.
   */
  streamAuditCsv(filters?: AuditFilters, opts?: CallOptions): Promise<ReadableStream<Uint8Array>>;
  /**
   * `GET /api/v1/audit-log/verify`: seals pending events, then verifies the hash chain from the
   * last verified checkpoint (links before it are not read again: see `startAuditVerification`).
   */
  verifyAuditLog(opts?: CallOptions): Promise<AuditVerifyResponse>;
  /**
   * `POST /api/v1/audit-log/verifications`: queues a full verification of the hash chain, from
   * its start (a background job); answers at once (202) with it, to poll with
   * `getAuditVerification`. While one is queued or running, answers that one.
   */
  startAuditVerification(opts?: CallOptions): Promise<AuditVerificationResponse>;
  /** `GET /api/v1/audit-log/verifications/:id`: status, progress and, when done, the result. */
  getAuditVerification(id: string, opts?: CallOptions): Promise<AuditVerificationResponse>;

  // API keys
  /** `GET /api/keys` (masked). */
  listKeys(opts?: CallOptions): Promise<ApiKeyListResponse>;
  /** `POST /api/keys`: the full key is in this answer only. */
  createKey(body: NewApiKey, opts?: CallOptions): Promise<ApiKeyCreatedResponse>;
  /** `DELETE /api/keys/:id`. */
  revokeKey(id: string, opts?: CallOptions): Promise<ApiKeyRevokedResponse>;

  /** `GET /health`: 200 when the server and its database answer; a 503 throws `ReinsError`. */
  health(opts?: CallOptions): Promise<HealthResponse>;
}

/** Node's timers hold at most 2^31 - 1 ms; a longer delay would fire at once. */
const NO_TIMEOUT_MS = 2_147_483_647;

type QueryValue = string | number | boolean | Date | null | undefined;

/** The items of every page, following `nextCursor` until it is null. */
async function* paged<P extends { nextCursor: string | null }, T>(
  page: (cursor: string | undefined) => Promise<P>,
  items: (p: P) => T[],
): AsyncGenerator<T, void, undefined> {
  let cursor: string | undefined;
  for (;;) {
    const p = await page(cursor);
    yield* items(p);
    if (p.nextCursor === null) return;
    cursor = p.nextCursor;
  }
}

/** Filters as query parameters: `Date`s as ISO 8601, absent values left out. */
function queryOf(filters: object | undefined): RequestOptions['query'] {
  if (!filters) return undefined;
  const out: NonNullable<RequestOptions['query']> = {};
  for (const [k, v] of Object.entries(filters as Record<string, QueryValue>)) {
    out[k] = v instanceof Date ? v.toISOString() : v;
  }
  return out;
}

/**
 * One path segment. Empty, `.` and `..` are refused: URL parsing would turn them (even encoded)
 * into another route. Methods are `async`, so this is a rejection, not a synchronous throw.
 */
function seg(value: string, name: string): string {
  if (typeof value !== 'string' || value === '' || value === '.' || value === '..') {
    throw new TypeError(`${name} must be a non-empty string other than "." and ".."`);
  }
  return encodeURIComponent(value);
}

function callOpts(opts: WriteOptions | undefined): RequestOptions {
  return { signal: opts?.signal, timeoutMs: opts?.timeoutMs, idempotencyKey: opts?.idempotencyKey };
}

type BlockedBody = Omit<TransactionBlocked, 'action'>;

function isPolicyViolation(status: number, body: unknown): body is BlockedBody {
  return (
    status === 403 &&
    typeof body === 'object' &&
    body !== null &&
    (body as { code?: unknown }).code === 'POLICY_VIOLATION'
  );
}

/** The server's 403 body with the docs' `action: 'block'` (the server sends it only inside `policyResult`). */
function blocked<B extends BlockedBody>(body: B): B & { action: 'block' } {
  return { ...body, action: 'block' };
}

function bulkItem(item: BulkItemResult): BulkItemResult {
  return !item.success && item.code === 'POLICY_VIOLATION'
    ? blocked(item as { index: number } & BlockedBody)
    : item;
}

export function reins(options: ReinsOptions = {}): ReinsClient {
  const http = createTransport(options);
  const defaultTimeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  const get = <T>(path: string, opts?: CallOptions, query?: object): Promise<T> =>
    http.ok<T>('GET', path, { ...callOpts(opts), query: queryOf(query) });
  const send = <T>(
    method: 'POST' | 'PUT' | 'DELETE',
    path: string,
    body: unknown,
    opts?: WriteOptions,
  ): Promise<T> => http.ok<T>(method, path, { ...callOpts(opts), body });

  async function submitTransaction(
    tx: NewTransaction,
    opts?: WriteOptions,
  ): Promise<SubmitTransactionResult> {
    const path = '/api/v1/transactions';
    const res = await http.request<unknown>('POST', path, { ...callOpts(opts), body: tx });
    if (res.status >= 200 && res.status < 300) return res.body as TransactionAccepted;
    if (isPolicyViolation(res.status, res.body)) return blocked(res.body);
    throw toError('POST', path, res.status, res.body, res.headers);
  }

  async function streamAuditCsv(
    filters?: AuditFilters,
    opts?: CallOptions,
  ): Promise<ReadableStream<Uint8Array>> {
    // The transport's timeout would also cut the body off mid-export: here it bounds only the
    // wait for the response headers, and the caller's signal alone can stop the body.
    const timeoutMs = opts?.timeoutMs ?? defaultTimeoutMs;
    const path = '/api/v1/audit-log/csv';
    const headers = new AbortController();
    const timer = setTimeout(() => {
      headers.abort();
    }, timeoutMs);
    const signal = opts?.signal ? AbortSignal.any([opts.signal, headers.signal]) : headers.signal;
    try {
      const res = await http.stream(path, {
        query: queryOf(filters),
        signal,
        timeoutMs: NO_TIMEOUT_MS,
      });
      return (
        res.body ??
        new ReadableStream<Uint8Array>({
          start(c) {
            c.close();
          },
        })
      );
    } catch (err) {
      if (headers.signal.aborted && !opts?.signal?.aborted) {
        throw new ReinsError(`Reins did not answer GET ${path} within ${timeoutMs} ms`, {
          code: 'TIMEOUT',
          status: 0,
          cause: err,
        });
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  async function downloadAuditCsv(filters?: AuditFilters, opts?: CallOptions): Promise<string> {
    const path = '/api/v1/audit-log/csv';
    const res = await http.stream(path, { ...callOpts(opts), query: queryOf(filters) });
    try {
      return await res.text();
    } catch (err) {
      if (opts?.signal?.aborted) throw err;
      const timedOut = (err as { name?: unknown } | null)?.name === 'TimeoutError';
      throw new ReinsError(
        timedOut
          ? `Reins did not finish GET ${path} within ${opts?.timeoutMs ?? defaultTimeoutMs} ms`
          : `Reins's answer to GET ${path} was cut off`,
        { code: timedOut ? 'TIMEOUT' : 'NETWORK_ERROR', status: 0, cause: err },
      );
    }
  }

  const registerAgent = async (body: NewAgent, opts?: CallOptions) =>
    send<AgentCreatedResponse>('POST', '/api/agents', body, opts);

  return {
    baseUrl: http.baseUrl,

    submitTransaction,
    async submitBulk(transactions, opts) {
      const res = await send<BulkSubmitResponse>(
        'POST',
        '/api/v1/transactions/bulk',
        { transactions },
        opts,
      );
      return { ...res, results: res.results.map(bulkItem) };
    },
    settleTransaction: async (id, body, opts) =>
      send('POST', `/api/v1/transactions/${seg(id, 'id')}/settle`, body, opts),
    voidTransaction: async (id, body, opts) =>
      send('POST', `/api/v1/transactions/${seg(id, 'id')}/void`, body ?? {}, opts),
    evaluatePolicy: async (tx, opts) => send('POST', '/api/policy-rules/evaluate', tx, opts),
    listTransactions: async (filters, opts) => get('/api/v1/transactions', opts, filters),
    iterateTransactions: (filters, opts) =>
      paged(
        (cursor) =>
          get<TransactionListResponse>('/api/v1/transactions', opts, { ...filters, cursor }),
        (page) => page.transactions,
      ),
    getTransaction: async (id, opts) => get(`/api/v1/transactions/${seg(id, 'id')}`, opts),
    getTrace: async (id, opts) => get(`/api/v1/transactions/${seg(id, 'id')}/trace`, opts),
    reviewTransaction: async (id, body, opts) =>
      send('POST', `/api/v1/transactions/${seg(id, 'id')}/review`, body, opts),

    listRules: async (filters, opts) => get('/api/policy-rules', opts, filters),
    getRule: async (id, opts) => get(`/api/policy-rules/${seg(id, 'id')}`, opts),
    createRule: async (body, opts) => send('POST', '/api/policy-rules', body, opts),
    updateRule: async (id, patch, opts) =>
      send('PUT', `/api/policy-rules/${seg(id, 'id')}`, patch, opts),
    startBacktest: async (body, opts) => send('POST', '/api/policy-rules/backtest', body, opts),
    getBacktest: async (id, opts) => get(`/api/policy-rules/backtest/${seg(id, 'id')}`, opts),
    deleteRule: async (id, opts) =>
      send('DELETE', `/api/policy-rules/${seg(id, 'id')}`, undefined, opts),

    getOrg: async (opts) => get('/api/org', opts),
    updateOrg: async (patch, opts) => send('PUT', '/api/org', patch, opts),
    listBudgets: async (filters, opts) => get('/api/budgets', opts, filters),
    getBudget: async (kind, id, opts) =>
      get(`/api/budgets/${seg(kind, 'kind')}/${seg(id, 'id')}`, opts),
    setBudget: async (kind, id, patch, opts) =>
      send('PUT', `/api/budgets/${seg(kind, 'kind')}/${seg(id, 'id')}`, patch, opts),
    deleteBudget: async (kind, id, opts) =>
      send('DELETE', `/api/budgets/${seg(kind, 'kind')}/${seg(id, 'id')}`, undefined, opts),

    registerAgent,
    createAgent: registerAgent,
    listAgents: async (filters, opts) => get('/api/agents', opts, filters),
    getAgent: async (agentId, opts) => get(`/api/agents/${seg(agentId, 'agentId')}`, opts),
    updateAgent: async (agentId, patch, opts) =>
      send('PUT', `/api/agents/${seg(agentId, 'agentId')}`, patch, opts),
    deleteAgent: async (agentId, opts) =>
      send('DELETE', `/api/agents/${seg(agentId, 'agentId')}`, undefined, opts),

    listVendors: async (opts) => get('/api/vendors', opts),
    getVendor: async (vendor, opts) => get(`/api/vendors/${seg(vendor, 'vendor')}`, opts),
    updateVendor: async (vendor, body, opts) =>
      send('PUT', `/api/vendors/${seg(vendor, 'vendor')}`, body, opts),
    listPrices: async (vendor, filters, opts) =>
      get(`/api/vendors/${seg(vendor, 'vendor')}/prices`, opts, filters),

    listAlerts: async (filters, opts) => get('/api/policy-alerts', opts, filters),
    getAlert: async (id, opts) => get(`/api/policy-alerts/${seg(id, 'id')}`, opts),
    markAlertRead: async (id, opts) =>
      send('PUT', `/api/policy-alerts/${seg(id, 'id')}/read`, undefined, opts),

    getAnalyticsSummary: async (filters, opts) => get('/api/analytics/summary', opts, filters),
    getForecast: async (filters, opts) => get('/api/analytics/forecast', opts, filters),
    getAnomalies: async (filters, opts) => get('/api/analytics/anomalies', opts, filters),

    listAuditEvents: async (filters, opts) => get('/api/v1/audit-log', opts, filters),
    iterateAuditEvents: (filters, opts) =>
      paged(
        (cursor) => get<AuditListResponse>('/api/v1/audit-log', opts, { ...filters, cursor }),
        (page) => page.events,
      ),
    downloadAuditCsv,
    streamAuditCsv,
    verifyAuditLog: async (opts) => get('/api/v1/audit-log/verify', opts),
    startAuditVerification: async (opts) =>
      send('POST', '/api/v1/audit-log/verifications', {}, opts),
    getAuditVerification: async (id, opts) =>
      get(`/api/v1/audit-log/verifications/${seg(id, 'id')}`, opts),

    listKeys: async (opts) => get('/api/keys', opts),
    createKey: async (body, opts) => send('POST', '/api/keys', body, opts),
    revokeKey: async (id, opts) => send('DELETE', `/api/keys/${seg(id, 'id')}`, undefined, opts),

    health: async (opts) => get('/health', opts),
  };
}
