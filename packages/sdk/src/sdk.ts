/**
 * `new ReinsSDK(options).wrap(client)`: every `chat.completions.create` / `responses.create`
 * (OpenAI) and `messages.create` (Anthropic) is checked against the org's policy before the
 * provider is called, and its actual cost recorded after. Remote mode reserves the estimate on
 * the server (two-phase: reserve → settle/void), and the server prices the tokens. Local mode
 * (reins-sdk/local, src/local.ts) decides in-process with synced rules and totals and reports in
 * the background. Reins being down never stops a call unless `strictMode` is set.
 *
 * This module is the root entry's: no dependency, no Node built-in (`fetch`, `AbortSignal`,
 * `globalThis.crypto`; `process` only when it exists), so that it runs on Node, Deno, Bun and
 * edge runtimes.
 */
import { ReinsBlockedError, ReinsError, type PolicyResult } from './errors.js';
import {
  DEFAULT_MAX_OUTPUT_TOKENS,
  estimateRequest,
  tokensOfText,
  usageOf,
  type Api,
  type Estimate,
} from './estimate.js';
import { createTransport, type Transport } from './http.js';
import { BoundedQueue, type QueueStats } from './queue.js';

/** Who a call is made for: the fields policy rules scope on. */
export interface CallContext {
  agentId?: string | undefined;
  userId?: string | undefined;
  userRoles?: string[] | undefined;
  teamId?: string | undefined;
  projectId?: string | undefined;
  /** Recorded with every transaction (merged over the SDK's own). */
  metadata?: Record<string, unknown> | undefined;
}

/** Reins refused the key itself (401, or 403 for a missing permission): not an outage. */
export function keyRefused(err: unknown): err is ReinsError {
  return (
    err instanceof ReinsError &&
    (err.status === 401 || (err.status === 403 && err.code !== 'POLICY_VIOLATION'))
  );
}

/** What `onWarn` / `onFlag` receive. */
export interface PolicyEvent {
  action: PolicyResult['action'];
  policyResult: PolicyResult;
  /** The reservation (remote mode); null in local mode or when failing open. */
  transactionId: string | null;
  vendor: 'openai' | 'anthropic';
  model: string;
  /** The estimate the decision was made on, in microcents (1 cent = 1,000,000). */
  estimatedCostMicros: number | null;
}

export interface ReinsSDKOptions extends CallContext {
  apiKey?: string | undefined;
  baseUrl?: string | undefined;
  /** Budget for the pre-call check (and each background request); default 1,000 ms. */
  timeoutMs?: number | undefined;
  /** Fail closed: when Reins cannot answer, throw instead of letting the call through. */
  strictMode?: boolean | undefined;
  /**
   * A key Reins refuses (401: wrong or revoked; 403: lacking a permission) is not an outage: by
   * default calls then throw `ReinsError` (`UNAUTHORIZED` / `FORBIDDEN`) and never reach the
   * provider, so that a revoked key cannot silently ungovern them. `true` lets them through
   * unchecked, with a warning, as an outage would.
   */
  failOpenOnKeyError?: boolean | undefined;
  onWarn?: ((event: PolicyEvent) => void) | undefined;
  onFlag?: ((event: PolicyEvent) => void) | undefined;
  /**
   * `remote` (default): a reservation on the server per call. `local`: decide in-process, with
   * the `ReinsSDK` of `reins-sdk/local` (the root entry's throws: it has no engine).
   */
  mode?: 'remote' | 'local' | undefined;
  /** Local mode: how often the rules and totals are re-read; default 2,000 ms. */
  syncIntervalMs?: number | undefined;
  /** Local mode: how often recorded calls are sent (in bulk); default 500 ms. */
  reportIntervalMs?: number | undefined;
  /** Records kept while Reins is unreachable; the oldest are dropped past it. Default 10,000. */
  maxQueueSize?: number | undefined;
  /** First retry delay for undelivered records (doubles up to 60 s); default 2,000 ms. */
  retryIntervalMs?: number | undefined;
  /** How long a reservation holds if this process dies before settling; server default 600 s. */
  reservationTtlSeconds?: number | undefined;
  /** Output bound for requests that set no max tokens; default 4,096. */
  defaultMaxOutputTokens?: number | undefined;
  /** Where fail-open warnings go; default `console`. */
  logger?: { warn(message: string): void } | undefined;
  fetch?: typeof fetch | undefined;
  /** The clock local decisions use (tests); default `Date.now`. */
  clock?: (() => number) | undefined;
}

export interface SDKStats extends QueueStats {
  /** Calls let through because Reins could not answer (fail-open). */
  failedOpen: number;
  /** Calls stopped by a block decision. */
  blocked: number;
}

export type Vendor = 'openai' | 'anthropic';

/** A call's pre-check outcome. */
export type Pre =
  | { kind: 'reserved'; id: string; key: string; priced: boolean }
  | { kind: 'local'; id: string; priced: boolean }
  | { kind: 'open'; deliver: boolean };

/** What is sent later: a transaction (bulk), or a settle/void of a reservation. */
export interface Outgoing {
  path: string;
  body: Record<string, unknown>;
  key: string;
  /** Local hold to acknowledge once delivered. */
  localId?: string;
}

const TX_PATH = '/api/v1/transactions';
const BULK_MAX = 500;
/** Settles, voids and reports are off the call path: they may take longer than the pre-check. */
const BACKGROUND_TIMEOUT_MS = 10_000;
const MAX_RETRY_MS = 60_000;
const SDK_TAG = 'reins-sdk';

type AnyFn = (...args: unknown[]) => unknown;
interface APIPromiseLike {
  _thenUnwrap(fn: (data: unknown) => unknown): APIPromiseLike;
  then: Promise<unknown>['then'];
  responsePromise?: Promise<unknown>;
}

export class ReinsSDK {
  protected readonly transport: Transport;
  protected readonly options: ReinsSDKOptions;
  protected readonly timeoutMs: number;
  protected readonly clock: () => number;
  private readonly logger: { warn(message: string): void };
  private readonly queue: BoundedQueue<Outgoing>;
  private readonly background = new Set<Promise<unknown>>();
  protected readonly counts = { sent: 0, rejected: 0, failedOpen: 0, blocked: 0 };
  private retryMs: number;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private flushing: Promise<void> | null = null;
  private closed = false;
  private exitHook = false;

  constructor(options: ReinsSDKOptions = {}) {
    if (options.mode === 'local' && !this.localSupported()) {
      throw new Error(
        "reins-sdk: mode: 'local' decides in-process with the policy engine and the price table, " +
          "which the root entry leaves out to stay dependency-free and small: import { ReinsSDK } from 'reins-sdk/local'",
      );
    }
    this.options = options;
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.clock = options.clock ?? Date.now;
    this.logger = options.logger ?? console;
    this.transport = createTransport({
      apiKey: options.apiKey,
      baseUrl: options.baseUrl,
      timeoutMs: this.timeoutMs,
      fetch: options.fetch,
    });
    this.queue = new BoundedQueue(options.maxQueueSize ?? 10_000);
    this.retryMs = options.retryIntervalMs ?? 2000;
  }

  /**
   * The same client, governed: returns `client` behind a proxy whose create methods are checked
   * and recorded; everything else is the client's own. `context` scopes this wrapper's calls
   * (agent, user, team…) over the SDK's defaults.
   */
  wrap<T extends object>(client: T, context: CallContext = {}): T {
    const vendor = detect(client);
    const ctx: CallContext = {
      agentId: context.agentId ?? this.options.agentId,
      userId: context.userId ?? this.options.userId,
      userRoles: context.userRoles ?? this.options.userRoles,
      teamId: context.teamId ?? this.options.teamId,
      projectId: context.projectId ?? this.options.projectId,
      metadata: { ...this.options.metadata, ...context.metadata },
    };
    const deferred = new DeferredPosts(client as Record<string, unknown>);
    const call = this.governedCall.bind(this);
    const governed = (resource: object, method: string, api: Api): object => {
      // The resource as its own method sees it: `this._client` is the deferring client.
      const view = Object.create(resource, { _client: { value: deferred.client } }) as object;
      const original = Reflect.get(resource, method, resource) as AnyFn;
      const governedMethod = (params: Record<string, unknown>, options?: unknown) =>
        call(api, vendor, ctx, deferred, view, original, params, options);
      return new Proxy(resource, {
        get(target, prop, receiver) {
          if (prop === '_client') return wrapped;
          if (prop === method) return governedMethod;
          return Reflect.get(target, prop, receiver) as unknown;
        },
      });
    };
    const cache = new Map<PropertyKey, unknown>();
    const wrapped: T = new Proxy(client, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target) as unknown;
        if (typeof value !== 'object' || value === null) {
          return typeof value === 'function' ? (value as AnyFn).bind(target) : value;
        }
        if (cache.has(prop)) return cache.get(prop);
        let out: unknown = value;
        if (vendor === 'openai' && prop === 'chat') {
          const chat = value as Record<string, unknown>;
          const completions = governed(chat.completions as object, 'create', 'openai.chat');
          out = new Proxy(chat, {
            get: (t, p, r) =>
              p === 'completions'
                ? completions
                : p === '_client'
                  ? wrapped
                  : (Reflect.get(t, p, r) as unknown),
          });
        } else if (vendor === 'openai' && prop === 'responses') {
          out = governed(value, 'create', 'openai.responses');
        } else if (vendor === 'anthropic' && prop === 'messages') {
          out = governed(value, 'create', 'anthropic.messages');
        }
        cache.set(prop, out);
        return out;
      },
    });
    return wrapped;
  }

  /** Sends what is queued now; resolves when background settles are done and the queue is empty or Reins is unreachable. */
  async flush(): Promise<SDKStats> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
    await this.deliver();
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
    return this.stats();
  }

  /** Stops background timers after a last flush. */
  async close(): Promise<SDKStats> {
    const stats = await this.flush();
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    return stats;
  }

  stats(): SDKStats {
    return {
      pending: this.queue.size,
      sent: this.counts.sent,
      dropped: this.queue.dropped,
      rejected: this.counts.rejected,
      failedOpen: this.counts.failedOpen,
      blocked: this.counts.blocked,
    };
  }

  // --- what local mode (reins-sdk/local) overrides ---------------------------------------

  /** Whether this class can decide in-process (`mode: 'local'`); the root entry's cannot. */
  protected localSupported(): boolean {
    return false;
  }

  /**
   * The cost of an observed call in microcents, when this process prices it; null lets Reins
   * price the tokens with the org's overrides (remote mode: the price table is the server's).
   */
  protected observedCostMicros(
    _pre: Pre,
    _vendor: Vendor,
    _model: string,
    _usage: UsageFigures,
  ): number | null {
    return null;
  }

  /** Reins recorded what a local hold counts. */
  protected acknowledged(_localId: string): void {
    // Remote mode holds nothing locally.
  }

  /** What a local hold counts will never reach Reins, or the call did not happen. */
  protected released(_localId: string): void {
    // Remote mode holds nothing locally.
  }

  /** How long recorded calls wait to be sent together. */
  protected reportDelayMs(): number {
    return 0;
  }

  // --- one governed call -------------------------------------------------------------------

  private governedCall(
    api: Api,
    vendor: Vendor,
    ctx: CallContext,
    deferred: DeferredPosts,
    view: object,
    original: AnyFn,
    params: Record<string, unknown>,
    options: unknown,
  ): unknown {
    const est = estimateRequest(
      api,
      params,
      this.options.defaultMaxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS,
    );
    const stream = params.stream === true;
    // Usage in a chat stream comes only when asked for; the chunk that carries it is hidden
    // from a caller who did not ask.
    let sent = params;
    let hideUsageChunk = false;
    if (api === 'openai.chat' && stream) {
      const so = params.stream_options as Record<string, unknown> | null | undefined;
      if (so?.include_usage !== true) {
        sent = { ...params, stream_options: { ...so, include_usage: true } };
        hideUsageChunk = true;
      }
    }
    const ready = this.precheck(vendor, est, ctx);
    // A block reaches the caller through the request it fails; flush() waits for pre-checks.
    this.track(ready.catch(() => undefined));
    const settleOnce = once((usage: UsageFigures | null, failed: unknown) => {
      void ready.then(
        (pre) => {
          this.after(pre, vendor, est, ctx, usage, failed);
        },
        () => undefined,
      );
    });
    let promise: APIPromiseLike;
    try {
      promise = deferred.run(ready, original, view, [sent, options]) as APIPromiseLike;
    } catch (err) {
      // The client refused the request before sending it (e.g. Anthropic: streaming required).
      settleOnce(null, err);
      throw err;
    }
    // A failed provider call (or a blocked pre-check) rejects the response promise.
    const failure = promise.responsePromise ?? promise;
    failure.then(undefined, (err: unknown) => {
      settleOnce(null, err);
    });
    return promise._thenUnwrap((data: unknown) => {
      if (stream && isAsyncIterable(data)) {
        return wrapStream(data, api, est, hideUsageChunk, (usage) => {
          settleOnce(usage, null);
        });
      }
      const usage = usageOf(api, (data as { usage?: unknown } | null)?.usage);
      settleOnce(usage ?? estimateUsage(est), null);
      return data;
    });
  }

  /** Reserves on Reins; resolves when the provider may be called. */
  protected async precheck(vendor: Vendor, est: Estimate, ctx: CallContext): Promise<Pre> {
    const body: Record<string, unknown> = {
      ...this.txFields(vendor, est.model, ctx),
      tokensIn: est.tokensIn,
      tokensOut: est.tokensOut,
      phase: 'reserve',
      ...(this.options.reservationTtlSeconds
        ? { reservationTtlSeconds: this.options.reservationTtlSeconds }
        : {}),
    };
    // Reins costs the tokens with the org's price overrides first. A model neither the price
    // table nor an override knows (Reins answers 422, "no price") is reserved at $0, so that
    // unknownModel rules still see it.
    let priced = true;
    let key = uuid();
    let res;
    try {
      res = await this.transport.request<Record<string, unknown>>('POST', TX_PATH, {
        body,
        idempotencyKey: key,
      });
      if (res.status === 422 && unpricedAnswer(res.body)) {
        priced = false;
        key = uuid();
        res = await this.transport.request<Record<string, unknown>>('POST', TX_PATH, {
          body: { ...body, amount: 0 },
          idempotencyKey: key,
        });
      }
    } catch (err) {
      return this.failOpen(err);
    }
    const b = res.body;
    if (res.status === 202) {
      this.notify(
        b.policyResult as PolicyResult,
        typeof b.id === 'string' ? b.id : null,
        vendor,
        est.model,
        typeof b.amountMicros === 'number' ? b.amountMicros : null,
      );
      return { kind: 'reserved', id: b.id as string, key, priced };
    }
    if (res.status === 403 && b.code === 'POLICY_VIOLATION') {
      this.counts.blocked++;
      throw new ReinsBlockedError(
        b.policyResult as PolicyResult,
        (b.details as Record<string, unknown> | undefined) ?? null,
        typeof b.id === 'string' ? b.id : null,
      );
    }
    if (res.status === 429 && typeof b.vendor === 'string') {
      // The org's per-minute limit for this vendor: a decision, not an outage.
      this.counts.blocked++;
      throw new ReinsBlockedError(
        { action: 'block', ruleId: null, ruleName: null, message: String(b.message) },
        { retryAfter: Number(res.headers.get('retry-after')) || null, vendor: b.vendor },
        null,
      );
    }
    return this.failOpen(
      new ReinsError(typeof b.message === 'string' ? b.message : `Reins answered ${res.status}`, {
        code: typeof b.code === 'string' ? b.code : 'HTTP_ERROR',
        status: res.status,
      }),
    );
  }

  protected failOpen(err: unknown): Pre {
    if (keyRefused(err) && !this.options.failOpenOnKeyError) {
      throw new ReinsError(
        `Reins refused this API key (${err.code}: ${err.message}); calls are refused until the ` +
          'key is fixed (failOpenOnKeyError lets them through unchecked)',
        { code: err.code, status: err.status, body: err.body, cause: err },
      );
    }
    if (this.options.strictMode) {
      throw err instanceof ReinsError
        ? err
        : new ReinsError(message(err), { code: 'NETWORK_ERROR', status: 0, cause: err });
    }
    this.counts.failedOpen++;
    const unavailable =
      !(err instanceof ReinsError) || err.unavailable || err.code === 'RATE_LIMITED';
    this.warn(
      `Reins: policy check failed (${message(err)}); the call goes through unchecked` +
        (unavailable ? ' and will be recorded when Reins answers again' : ''),
    );
    return { kind: 'open', deliver: unavailable };
  }

  /** After the provider answered (`usage`: reported, or estimated) or failed (`usage` null). */
  private after(
    pre: Pre,
    vendor: Vendor,
    est: Estimate,
    ctx: CallContext,
    u: UsageFigures | null,
    failed: unknown,
  ): void {
    if (u === null) {
      if (pre.kind === 'reserved') {
        this.send({
          path: `${TX_PATH}/${encodeURIComponent(pre.id)}/void`,
          body: { reason: `provider call failed: ${message(failed).slice(0, 500)}` },
          key: `${pre.key}:void`,
        });
      } else if (pre.kind === 'local') {
        this.released(pre.id);
      }
      return;
    }
    const tokens: Record<string, number> = { tokensIn: u.inputTokens, tokensOut: u.outputTokens };
    if (u.cacheReadTokens > 0) tokens.cacheReadTokens = u.cacheReadTokens;
    if (u.cacheWriteTokens > 0) tokens.cacheWriteTokens = u.cacheWriteTokens;
    if (pre.kind === 'reserved') {
      this.send({
        path: `${TX_PATH}/${encodeURIComponent(pre.id)}/settle`,
        body: { ...tokens, ...(pre.priced ? {} : { amount: 0 }) },
        key: `${pre.key}:settle`,
      });
      return;
    }
    if (pre.kind === 'open' && !pre.deliver) return;
    // Without an amount Reins prices the tokens itself (org overrides first); a model it has no
    // price for is re-sent at $0 (postBulk).
    const costMicros = this.observedCostMicros(pre, vendor, est.model, u);
    const requestId = uuid();
    const body: Record<string, unknown> = {
      ...this.txFields(vendor, est.model, ctx),
      ...tokens,
      ...(costMicros === null
        ? {}
        : { amountMicros: costMicros, amount: Math.ceil(costMicros / MICROS_PER_CENT) }),
      phase: 'observed',
      timestamp: new Date(this.clock()).toISOString(),
    };
    (body.metadata as Record<string, unknown>).requestId = requestId;
    this.enqueue({
      path: TX_PATH,
      body,
      key: requestId,
      ...(pre.kind === 'local' ? { localId: pre.id } : {}),
    });
  }

  private txFields(vendor: Vendor, model: string, ctx: CallContext): Record<string, unknown> {
    const f: Record<string, unknown> = { vendor, model };
    if (ctx.agentId) f.agentId = ctx.agentId;
    if (ctx.userId) f.userId = ctx.userId;
    if (ctx.userRoles?.length) f.userRoles = ctx.userRoles;
    if (ctx.teamId) f.teamId = ctx.teamId;
    if (ctx.projectId) f.projectId = ctx.projectId;
    f.metadata = { source: SDK_TAG, ...ctx.metadata };
    return f;
  }

  protected notify(
    result: PolicyResult | undefined,
    transactionId: string | null,
    vendor: Vendor,
    model: string,
    estimatedCostMicros: number | null,
  ): void {
    if (!result) return;
    const cb =
      result.action === 'warn' || result.action === 'notify'
        ? this.options.onWarn
        : result.action === 'flag'
          ? this.options.onFlag
          : undefined;
    if (!cb) return;
    try {
      cb({
        action: result.action,
        policyResult: result,
        transactionId,
        vendor,
        model,
        estimatedCostMicros,
      });
    } catch (err) {
      this.warn(
        `Reins: the on${result.action === 'flag' ? 'Flag' : 'Warn'} callback threw: ${message(err)}`,
      );
    }
  }

  // --- background delivery -----------------------------------------------------------------

  /** A settle or void, sent now in the background; queued if Reins cannot take it. */
  private send(item: Outgoing): void {
    this.track(
      this.post(item).then((outcome) => {
        if (outcome === 'retry') this.enqueue(item);
      }),
    );
  }

  private enqueue(item: Outgoing): void {
    const dropped = this.queue.push(item);
    // A record that will never reach Reins must not be held against the budget forever.
    if (dropped?.localId) this.released(dropped.localId);
    this.installExitHook();
    this.schedule(this.reportDelayMs());
  }

  private schedule(delayMs: number): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.track(this.deliver());
    }, delayMs);
    unref(this.timer);
  }

  private track(p: Promise<unknown>): void {
    this.background.add(p);
    void p.finally(() => this.background.delete(p));
  }

  /** Sends the queue in order until it is empty or Reins stops answering. */
  private deliver(): Promise<void> {
    this.flushing ??= (async () => {
      while (this.queue.size > 0) {
        const [first] = this.queue.peek(1);
        if (!first) break;
        let ok: boolean;
        if (first.path === TX_PATH) {
          const batch: Outgoing[] = [];
          for (const item of this.queue.peek(BULK_MAX)) {
            if (item.path !== TX_PATH) break;
            batch.push(item);
          }
          ok = await this.postBulk(batch);
          if (ok) this.queue.drop(batch.length);
        } else {
          const outcome = await this.post(first);
          ok = outcome !== 'retry';
          if (ok) this.queue.drop(1);
        }
        if (!ok) {
          this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
          if (this.timer) clearTimeout(this.timer);
          this.timer = null;
          this.schedule(this.retryMs);
          return;
        }
        this.retryMs = this.options.retryIntervalMs ?? 2000;
      }
    })().finally(() => {
      // Cleared in a callback: with an empty queue the body finishes synchronously, and a
      // `finally` inside it would run before `??=` stores the promise — and never again.
      this.flushing = null;
    });
    return this.flushing;
  }

  private async post(item: Outgoing): Promise<'ok' | 'rejected' | 'retry'> {
    try {
      await this.transport.ok('POST', item.path, {
        body: item.body,
        idempotencyKey: item.key,
        timeoutMs: Math.max(this.timeoutMs, BACKGROUND_TIMEOUT_MS),
      });
      this.counts.sent++;
      if (item.localId) this.acknowledged(item.localId);
      return 'ok';
    } catch (err) {
      if (err instanceof ReinsError && !err.unavailable && err.code !== 'RATE_LIMITED') {
        this.counts.rejected++;
        if (item.localId) this.released(item.localId);
        this.warn(`Reins refused ${item.path} (${err.code}: ${err.message}); not retried`);
        return 'rejected';
      }
      return 'retry';
    }
  }

  /** Transactions in one bulk request, each idempotent by its metadata.requestId. */
  private async postBulk(batch: Outgoing[]): Promise<boolean> {
    let res;
    try {
      res = await this.transport.request<{
        results?: { success: boolean; code?: string; message?: string }[];
      }>('POST', `${TX_PATH}/bulk`, {
        body: { transactions: batch.map((b) => b.body) },
        timeoutMs: Math.max(this.timeoutMs, BACKGROUND_TIMEOUT_MS),
      });
    } catch {
      return false;
    }
    if (res.status >= 500 || res.status === 429) return false;
    const results = res.body.results;
    if (res.status !== 200 || !results) {
      this.counts.rejected += batch.length;
      for (const item of batch) if (item.localId) this.released(item.localId);
      this.warn(`Reins refused ${batch.length} recorded calls (${res.status}); not retried`);
      return true;
    }
    for (const [i, r] of results.entries()) {
      const item = batch[i];
      if (r.success) {
        this.counts.sent++;
        if (item?.localId) this.acknowledged(item.localId);
      } else if (item && unpricedAnswer(r) && !('amount' in item.body)) {
        // Reins has no price for the model: recorded at $0 (as a reservation would be), so that
        // the call is counted and unknownModel rules see it. Refused before anything was
        // written, it keeps its requestId.
        this.queue.push({ ...item, body: { ...item.body, amount: 0 } });
      } else {
        this.counts.rejected++;
        if (item?.localId) this.released(item.localId);
        this.warn(
          `Reins refused a recorded call (${r.code ?? '?'}: ${r.message ?? ''}); not retried`,
        );
      }
    }
    return true;
  }

  /** On a natural exit, one last attempt to deliver what is queued. */
  private installExitHook(): void {
    if (this.exitHook || typeof process === 'undefined' || typeof process.once !== 'function')
      return;
    this.exitHook = true;
    let attempted = false;
    process.once('beforeExit', () => {
      if (attempted || this.queue.size === 0) return;
      attempted = true;
      void this.deliver();
    });
  }

  protected warn(text: string): void {
    try {
      this.logger.warn(text);
    } catch {
      // A broken logger must not break the call it reports on.
    }
  }
}

// --- helpers ---------------------------------------------------------------------------------

export interface UsageFigures {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

function estimateUsage(est: Estimate): UsageFigures {
  return {
    inputTokens: est.tokensIn,
    outputTokens: est.tokensOut,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
  };
}

/** A 422 saying the amount is needed because the price table has no price for the model. */
function unpricedAnswer(body: unknown): boolean {
  const b = body as { code?: unknown; field?: unknown; message?: unknown } | null;
  return (
    b?.code === 'VALIDATION_ERROR' &&
    b.field === 'amount' &&
    typeof b.message === 'string' &&
    b.message.includes('price table')
  );
}

function detect(client: object): Vendor {
  const c = client as {
    chat?: { completions?: { create?: unknown } };
    responses?: { create?: unknown };
    messages?: { create?: unknown };
  };
  if (typeof c.chat?.completions?.create === 'function') return 'openai';
  if (typeof c.messages?.create === 'function') return 'anthropic';
  throw new TypeError(
    'ReinsSDK.wrap() takes an OpenAI client (chat.completions.create) or an Anthropic client (messages.create)',
  );
}

/**
 * The raw client as the governed methods see it: the `post()` a method makes while `run()` calls
 * it receives its options as a promise that resolves when the pre-check admits the call (both
 * SDKs await the options before sending), so a block fails the request unsent. One per wrapped
 * client: a call costs no new proxy.
 */
class DeferredPosts {
  readonly client: object;
  private ready: Promise<unknown> | null = null;

  constructor(raw: Record<string, unknown>) {
    const bound = new Map<PropertyKey, unknown>();
    const post = raw.post as AnyFn;
    const deferredPost = (path: string, opts: unknown): unknown => {
      const ready = this.ready;
      this.ready = null;
      if (!ready) {
        // Only a governed method reaches this client, and only synchronously inside run().
        throw new Error(
          'reins-sdk: this client version sends requests in a way wrap() cannot govern',
        );
      }
      return post.call(
        raw,
        path,
        ready.then(() => opts),
      );
    };
    this.client = new Proxy(raw, {
      get(target, prop) {
        if (prop === 'post') return deferredPost;
        const value = Reflect.get(target, prop, target) as unknown;
        if (typeof value !== 'function') return value;
        let fn = bound.get(prop);
        if (fn === undefined) {
          fn = (value as AnyFn).bind(target);
          bound.set(prop, fn);
        }
        return fn;
      },
    });
  }

  /** Calls `method` on `view` with its request waiting for `ready`. */
  run(ready: Promise<unknown>, method: AnyFn, view: object, args: unknown[]): unknown {
    this.ready = ready;
    try {
      return method.apply(view, args);
    } finally {
      this.ready = null;
    }
  }
}

function isAsyncIterable(
  v: unknown,
): v is AsyncIterable<unknown> & { controller: AbortController } {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as Record<symbol, unknown>)[Symbol.asyncIterator] === 'function'
  );
}

/**
 * The provider's stream, re-made with the same class (so `tee()`, `toReadableStream()` and
 * `controller` work), observing the usage it carries and the text it delivers; `done` runs once,
 * when the stream ends, fails or is abandoned.
 */
function wrapStream(
  stream: AsyncIterable<unknown> & { controller: AbortController },
  api: Api,
  est: Estimate,
  hideUsageChunk: boolean,
  done: (usage: UsageFigures) => void,
): unknown {
  const Ctor = stream.constructor as new (
    iterator: () => AsyncIterator<unknown>,
    controller: AbortController,
  ) => unknown;
  let input: number | null = null;
  let output: number | null = null;
  let cacheRead = 0;
  let cacheWrite = 0;
  let chars = 0;
  async function* observed(): AsyncGenerator {
    try {
      for await (const item of stream) {
        const it = item as Record<string, unknown>;
        if (api === 'openai.chat') {
          const u = usageOf(api, it.usage);
          if (u) {
            input = u.inputTokens;
            output = u.outputTokens;
            cacheRead = u.cacheReadTokens;
          }
          const choices = it.choices as { delta?: { content?: unknown } }[] | undefined;
          for (const c of choices ?? [])
            if (typeof c.delta?.content === 'string') chars += c.delta.content.length;
          if (hideUsageChunk && u && (!choices || choices.length === 0)) continue;
        } else if (api === 'openai.responses') {
          if (it.type === 'response.output_text.delta' && typeof it.delta === 'string')
            chars += it.delta.length;
          const resp = it.response as { usage?: unknown } | undefined;
          const u = usageOf(api, resp?.usage);
          if (u) {
            input = u.inputTokens;
            output = u.outputTokens;
            cacheRead = u.cacheReadTokens;
          }
        } else {
          if (it.type === 'message_start') {
            const u = usageOf(api, (it.message as { usage?: unknown } | undefined)?.usage);
            if (u) {
              input = u.inputTokens;
              cacheRead = u.cacheReadTokens;
              cacheWrite = u.cacheWriteTokens;
            }
          } else if (it.type === 'message_delta') {
            const u = it.usage as { output_tokens?: unknown } | undefined;
            if (typeof u?.output_tokens === 'number') output = u.output_tokens;
          } else if (it.type === 'content_block_delta') {
            const d = it.delta as { text?: unknown; partial_json?: unknown } | undefined;
            if (typeof d?.text === 'string') chars += d.text.length;
            else if (typeof d?.partial_json === 'string') chars += d.partial_json.length;
          }
        }
        yield item;
      }
    } finally {
      // Ended, failed or abandoned: what was received is what is owed.
      done({
        inputTokens: input ?? est.tokensIn,
        outputTokens: output ?? tokensOfText(chars),
        cacheReadTokens: cacheRead,
        cacheWriteTokens: cacheWrite,
      });
    }
  }
  return new Ctor(() => observed(), stream.controller);
}

/** 1 cent = 1,000,000 microcents (the engine's unit; not imported: the root entry has no engine). */
export const MICROS_PER_CENT = 1_000_000;

/** A v4 UUID from the Web Crypto API (Node ≥ 19, Deno, Bun, browsers, edge runtimes). */
export function uuid(): string {
  return globalThis.crypto.randomUUID();
}

/** Lets Node exit while a timer is pending; other runtimes' timers are numbers. */
export function unref(timer: unknown): void {
  (timer as { unref?: () => void } | null)?.unref?.();
}

function once<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
  let called = false;
  return (...args: A) => {
    if (called) return;
    called = true;
    fn(...args);
  };
}

export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
