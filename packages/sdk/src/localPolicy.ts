/**
 * Local evaluation (`mode: 'local'`): the org's rules, settings and current window totals, synced
 * from `GET /api/v1/sdk/state`, decided in-process by the same engine as the server. Spend this
 * process admitted since the last sync is added on top of the synced totals until a sync that
 * started after Reins acknowledged it — so a process sees its own spend at once, and every
 * process sees the others' within one sync interval.
 */
import {
  compile,
  decide,
  isModelKnown,
  requiredWindows,
  type Decision,
  type EvaluationContext,
  type Period,
  type Policy,
  type PriceOverride,
  type Rule,
  type TransactionInput,
  type WindowRef,
  type WindowTotals,
} from '@reins/engine';
import type { Transport } from './http.js';
import { unref } from './sdk.js';

export interface SdkStateWindow extends WindowTotals {
  key: string;
}

/** The body of `GET /api/v1/sdk/state`. */
export interface SdkState {
  success: true;
  version: number;
  serverTime: string;
  org: {
    timeZone: string;
    defaultAction: 'pass' | 'block';
    budgets: Partial<Record<Period, number>>;
  };
  rules: Rule[];
  agentBudgets: Record<string, number>;
  /** The budgets of user roles, teams and projects, by id. */
  budgets: {
    roles: Record<string, Partial<Record<Period, number>> | undefined>;
    teams: Record<string, Partial<Record<Period, number>> | undefined>;
    projects: Record<string, Partial<Record<Period, number>> | undefined>;
  };
  vendors: Record<string, { enabled: boolean; rateLimitRpm: number | null }>;
  overrides: PriceOverride[];
  windows: SdkStateWindow[];
  /** More current windows than the server sends (10,000): the rest count as empty here. */
  truncated: boolean;
  /** This minute's requests per vendor that has a per-minute limit. */
  rateLimits: { vendor: string; start: string; end: string; requests: number }[];
  priceDataVersion: string;
}

interface Held {
  keys: string[];
  totals: WindowTotals;
  /** Local clock when Reins acknowledged the record; null while not yet. */
  ackedAt: number | null;
}

const ZERO: WindowTotals = { costMicros: 0, tokensIn: 0, tokensOut: 0, requests: 0 };

function add(a: WindowTotals | undefined, b: WindowTotals | undefined): WindowTotals | undefined {
  if (!b) return a;
  const x = a ?? ZERO;
  return {
    costMicros: x.costMicros + b.costMicros,
    tokensIn: x.tokensIn + b.tokensIn,
    tokensOut: x.tokensOut + b.tokensOut,
    requests: x.requests + b.requests,
  };
}

export interface LocalDecision {
  decision: Decision;
  /** The windows the transaction counts in (for the local hold). */
  refs: WindowRef[];
  modelKnown: boolean;
}

export class LocalPolicy {
  private state: SdkState | null = null;
  private policy: Policy | null = null;
  private synced = new Map<string, WindowTotals>();
  private readonly held = new Map<string, Held>();
  /** The sum of what `held` holds, by key: a decision reads it in O(1) per window. */
  private readonly pending = new Map<string, WindowTotals>();
  private inflight: Promise<void> | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  /** Local clock when the last successful sync started. */
  lastSyncAt: number | null = null;
  /** The last sync's failure and when it happened; cleared by a successful sync. */
  lastFailure: { at: number; error: unknown } | null = null;

  constructor(
    private readonly transport: Transport,
    private readonly clock: () => number,
    private readonly timeoutMs: number,
  ) {}

  get ready(): boolean {
    return this.state !== null;
  }

  get version(): number | null {
    return this.state?.version ?? null;
  }

  /** Fetches the state now (one fetch at a time; concurrent callers share it). */
  sync(): Promise<void> {
    this.inflight ??= this.fetchState()
      .then(
        () => {
          this.lastFailure = null;
        },
        (error: unknown) => {
          this.lastFailure = { at: this.clock(), error };
          throw error;
        },
      )
      .finally(() => {
        this.inflight = null;
      });
    return this.inflight;
  }

  private async fetchState(): Promise<void> {
    const startedAt = this.clock();
    const state = await this.transport.ok<SdkState>('GET', '/api/v1/sdk/state', {
      timeoutMs: this.timeoutMs,
    });
    if (!this.state || this.state.version !== state.version) this.policy = compile(state.rules);
    this.state = state;
    const synced = new Map<string, WindowTotals>();
    for (const w of state.windows) synced.set(w.key, w);
    for (const r of state.rateLimits) {
      synced.set(rateKey(r.vendor, Date.parse(r.start)), { ...ZERO, requests: r.requests });
    }
    this.synced = synced;
    // What Reins acknowledged before this fetch started is in the totals just read.
    for (const [id, h] of this.held)
      if (h.ackedAt !== null && h.ackedAt < startedAt) this.release(id);
    this.lastSyncAt = startedAt;
  }

  /** Syncs every `intervalMs` in the background (the timer does not keep the process alive). */
  start(intervalMs: number, onError: (err: unknown) => void): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.sync().catch(onError);
    }, intervalMs);
    unref(this.timer);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The decision the server would reach now, from the synced state and this process's spend. */
  decide(input: TransactionInput, trace = false): LocalDecision {
    const state = this.state;
    const policy = this.policy;
    if (!state || !policy) throw new Error('local policy not synced yet');
    const nowMs = this.clock();
    const modelKnown = isModelKnown(input.vendor, input.model, nowMs, state.overrides);
    const tx: TransactionInput = { ...input, modelKnown };
    const agentBudget = state.agentBudgets[input.agentId ?? ''];
    const ctx: EvaluationContext = {
      now: nowMs,
      timeZone: state.org.timeZone,
      defaultAction: state.org.defaultAction,
      budgets: {
        org: state.org.budgets,
        agents:
          agentBudget === undefined ? {} : { [input.agentId ?? '']: { monthly: agentBudget } },
        roles: state.budgets.roles,
        teams: state.budgets.teams,
        projects: state.budgets.projects,
      },
      trace,
    };
    const refs = requiredWindows(policy, tx, ctx);
    const totals: Record<string, WindowTotals> = {};
    for (const ref of refs) {
      let t = this.synced.get(ref.key);
      t = add(t, this.pending.get(ref.key));
      if (t) totals[ref.key] = t;
    }
    const decision = decide(policy, state.vendors, tx, totals, ctx);
    return { decision, refs, modelKnown };
  }

  /**
   * Whether the org's per-minute limit for this vendor is reached (this minute's requests, with
   * this process's own): the server would answer 429. Seconds until the minute ends, or null.
   */
  rateLimited(vendor: string): number | null {
    const limit = this.state?.vendors[vendor]?.rateLimitRpm;
    if (limit === null || limit === undefined) return null;
    const nowMs = this.clock();
    const key = rateKey(vendor, nowMs);
    let used = this.synced.get(key)?.requests ?? 0;
    used += this.pending.get(key)?.requests ?? 0;
    if (used < limit) return null;
    return Math.max(1, Math.ceil((minuteStart(nowMs) + 60_000 - nowMs) / 1000));
  }

  /** Counts `totals` in `refs` (and this minute's vendor requests) for this process until Reins has acknowledged it. */
  hold(id: string, vendor: string, refs: readonly WindowRef[], totals: WindowTotals): void {
    const keys = refs.map((r) => r.key);
    keys.push(rateKey(vendor, this.clock()));
    this.held.set(id, { keys, totals, ackedAt: null });
    this.count(keys, totals, 1);
  }

  /** The actual figures replace the estimate held. */
  update(id: string, totals: WindowTotals): void {
    const h = this.held.get(id);
    if (!h) return;
    this.count(h.keys, h.totals, -1);
    h.totals = totals;
    this.count(h.keys, totals, 1);
  }

  release(id: string): void {
    const h = this.held.get(id);
    if (!h) return;
    this.count(h.keys, h.totals, -1);
    this.held.delete(id);
  }

  private count(keys: readonly string[], t: WindowTotals, sign: 1 | -1): void {
    for (const key of keys) {
      const p = this.pending.get(key) ?? { ...ZERO };
      p.costMicros += sign * t.costMicros;
      p.tokensIn += sign * t.tokensIn;
      p.tokensOut += sign * t.tokensOut;
      p.requests += sign * t.requests;
      // Every hold counts one request: none left means nothing is held under this key.
      if (p.requests <= 0) this.pending.delete(key);
      else this.pending.set(key, p);
    }
  }

  /** Reins recorded it: the next sync that starts from now on includes it. */
  ack(id: string): void {
    const h = this.held.get(id);
    if (h) h.ackedAt = this.clock();
  }

  priceOverrides(): readonly PriceOverride[] {
    return this.state?.overrides ?? [];
  }
}

const minuteStart = (ms: number): number => Math.floor(ms / 60_000) * 60_000;
const rateKey = (vendor: string, ms: number): string =>
  `ratelimit|${new Date(minuteStart(ms)).toISOString()}|${vendor}`;
