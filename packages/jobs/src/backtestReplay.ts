/**
 * The pure half of a backtest: recorded transactions in, in the order they were recorded, through
 * the engine with a draft rule set; what the rules would have decided, and how that differs from
 * what did happen, out. No database, no clock: the backtest job reads the rows (`backtest.ts`)
 * and feeds them here in chunks.
 *
 * Windows are recomputed from scratch, as the hot path keeps them: a transaction counts in every
 * window family the draft rules read, at its recording time (`created_at`), when the draft
 * decision admits it (or it was `observed`: the call happened whatever the decision), and never
 * when it was voided or its hold expired. So a transaction the draft rules block does not count
 * toward later totals, as in reality. Windows that began before the period need the earlier
 * transactions of that window: the replay starts at `replayFrom` (the earliest start of a window
 * open at the period's start), counting those transactions without reporting them.
 */
import {
  compile,
  evaluate,
  groupValue,
  microsToCentsCeil,
  windowBounds,
  windowKey,
  type Action,
  type Budgets,
  type EvaluationContext,
  type GroupBy,
  type Period,
  type Policy,
  type Rule,
  type RuleMode,
  type TransactionInput,
  type WindowTotals,
} from '@reins/engine';

/** What evaluations read besides the rules (the organization's, when the backtest was asked). */
export interface BacktestSettings {
  timeZone: string;
  defaultAction: 'pass' | 'block';
  budgets: Budgets;
}

/** How a recorded transaction counts in the replay's windows. */
export const COUNTS_IF_ADMITTED = 0;
/** `observed`: the call happened, whatever the decision. */
export const COUNTS_ALWAYS = 1;
/** Voided, or a hold that expired: never spent. */
export const COUNTS_NEVER = 2;

/**
 * A chunk of recorded transactions, column by column (one array per column, not one object per
 * row: the read allocates a few arrays per chunk), ordered by (created_at, id).
 */
export interface ReplayChunk {
  /** Recording time, epoch ms (`created_at`): the evaluation's `now`. */
  at: number[];
  id: string[];
  vendor: string[];
  model: (string | null)[];
  agent: (string | null)[];
  user: (string | null)[];
  team: (string | null)[];
  project: (string | null)[];
  /** Microcents. */
  amount: number[];
  tin: number[];
  tout: number[];
  /** What was decided when it was recorded. */
  action: string[];
  admitted: boolean[];
  /** COUNTS_IF_ADMITTED | COUNTS_ALWAYS | COUNTS_NEVER */
  counts: number[];
  /** Only when a draft rule names user roles: `user_roles`, `metadata.userRole(s)`. */
  roles?: (string[] | null)[] | undefined;
  metaRole?: (unknown[] | null)[] | undefined;
  /** Only when a draft rule reads it: whether the price table knew the model then. */
  known?: (boolean | null)[] | undefined;
}

/** A count of transactions and their spend. */
export interface Tally {
  transactions: number;
  /** Integer cents (the sum in microcents, rounded up). */
  spendCents: number;
}

export interface TallyWithExamples extends Tally {
  /** A few transaction ids (the first ones, in recording order). */
  examples: string[];
}

export interface BacktestRuleResult extends TallyWithExamples {
  /** Position in the request's `rules`. */
  index: number;
  name: string;
  action: Action;
  mode: RuleMode;
  priority: number;
  enabled: boolean;
}

export interface BacktestResult {
  /** ISO instants: the period reported, [periodStart, periodEnd). */
  periodStart: string;
  periodEnd: string;
  /** Where the replay began: windows open at periodStart were filled from here on. */
  replayedFrom: string;
  /** Transactions of the period, and their recorded spend. */
  transactions: number;
  spendCents: number;
  /** Transactions before the period replayed only to fill the windows (not reported). */
  warmupTransactions: number;
  /**
   * Per draft rule (in the request's order): the transactions it would have decided (shadow
   * rules: matched) and their spend, by the rule's action.
   */
  rules: BacktestRuleResult[];
  /** What the draft rule set would have decided, by action (`pass`: no rule matched). */
  wouldHave: Partial<Record<Action, Tally>>;
  /** What was decided when they were recorded, by action. */
  actually: Partial<Record<string, Tally>>;
  difference: {
    /** Admitted then, blocked by the draft rules: the spend they would have prevented. */
    newlyBlocked: TallyWithExamples;
    /** Blocked then, admitted by the draft rules. */
    newlyAdmitted: TallyWithExamples;
    /** Any other decision than the recorded one (e.g. pass → warn). */
    actionChanged: TallyWithExamples;
    /** Spend admitted then that the draft rules would have blocked (= newlyBlocked's). */
    preventedSpendCents: number;
    /** Spend blocked then that the draft rules would have admitted (= newlyAdmitted's). */
    addedSpendCents: number;
  };
}

/** Examples kept per tally. */
export const EXAMPLES = 5;

interface Acc {
  transactions: number;
  micros: number;
  examples: string[];
}
const acc = (): Acc => ({ transactions: 0, micros: 0, examples: [] });
function add(a: Acc, id: string, micros: number): void {
  a.transactions++;
  a.micros += micros;
  if (a.examples.length < EXAMPLES) a.examples.push(id);
}
const tally = (a: Acc): Tally => ({
  transactions: a.transactions,
  spendCents: microsToCentsCeil(a.micros),
});
const withExamples = (a: Acc): TallyWithExamples => ({ ...tally(a), examples: [...a.examples] });

/** A window total with the end of its window (so that finished windows can be dropped). */
interface Counter extends WindowTotals {
  end: number;
}

/** Draft rules get these ids: `draft-000`, … (request order breaks priority ties). */
export function draftRuleId(index: number): string {
  return `draft-${String(index).padStart(3, '0')}`;
}

/**
 * The earliest start of a window the policy reads that is open at `startMs`: a replay from
 * there sees every window total at the period's start as it was.
 */
export function replayStart(policy: Policy, startMs: number, timeZone: string): number {
  let from = startMs;
  for (const { period } of policy.windowPairs) {
    from = Math.min(from, windowBounds(period, startMs, timeZone).start);
  }
  return from;
}

export class Replay {
  readonly policy: Policy;
  readonly replayFrom: number;
  /** Which optional columns the rules read (the job selects only those). */
  readonly needsRoles: boolean;
  readonly needsModelKnown: boolean;

  private readonly ctx: EvaluationContext;
  private readonly input: TransactionInput;
  private readonly pairs: readonly { period: Period; per: GroupBy }[];
  private totals: Record<string, Counter> = {};
  private readonly ruleIndex = new Map<string, number>();
  private readonly ruleAcc: Acc[];
  private readonly wouldHave = new Map<Action, Acc>();
  private readonly actually = new Map<string, Acc>();
  private readonly all = acc();
  private readonly newlyBlocked = acc();
  private readonly newlyAdmitted = acc();
  private readonly actionChanged = acc();
  /** Per window family (`pairs` index): the window the last counted row fell in. */
  private readonly current: ({ start: number; end: number; prefix: string } | undefined)[] = [];
  private warmup = 0;
  private lastAt = -Infinity;
  private nextSweep = -Infinity;

  /**
   * `rules`: the draft rules, canonical, in request order (ids from `draftRuleId`). The period
   * reported is [startMs, endMs).
   */
  constructor(
    private readonly rules: readonly Rule[],
    private readonly settings: BacktestSettings,
    private readonly startMs: number,
    private readonly endMs: number,
  ) {
    this.policy = compile(rules);
    this.pairs = this.policy.windowPairs;
    this.replayFrom = replayStart(this.policy, startMs, settings.timeZone);
    this.needsRoles = rules.some((r) => r.enabled && r.match.userRoles.length > 0);
    this.needsModelKnown = rules.some((r) => r.enabled && r.match.unknownModel);
    this.ruleAcc = rules.map(() => acc());
    rules.forEach((r, i) => this.ruleIndex.set(r.id, i));
    this.ctx = {
      now: startMs,
      timeZone: settings.timeZone,
      defaultAction: settings.defaultAction,
      budgets: settings.budgets,
      trace: false,
    };
    // One input object, refilled for every row.
    this.input = { vendor: '', amountMicros: 0 };
  }

  /**
   * Feeds the next rows, in (created_at, id) order, from `replayFrom` on: rows [from, to) of
   * `c` (default all), so that a host can replay a chunk in slices between other work.
   */
  feed(c: ReplayChunk, from = 0, to = c.id.length): void {
    const input = this.input;
    const ctx = this.ctx;
    for (let i = from; i < to; i++) {
      const at = c.at[i] as number;
      if (at < this.lastAt) throw new RangeError('backtest rows out of order');
      this.lastAt = at;
      if (at >= this.endMs) return;
      input.vendor = c.vendor[i] ?? '';
      input.model = c.model[i] ?? null;
      input.agentId = c.agent[i] ?? null;
      input.userId = c.user[i] ?? null;
      input.teamId = c.team[i] ?? null;
      input.projectId = c.project[i] ?? null;
      input.amountMicros = c.amount[i] as number;
      input.tokensIn = c.tin[i];
      input.tokensOut = c.tout[i];
      if (this.needsRoles) {
        input.userRoles = c.roles?.[i] ?? undefined;
        const meta = c.metaRole?.[i];
        input.metadata = meta ? { userRoles: meta } : undefined;
      }
      input.modelKnown = this.needsModelKnown ? (c.known?.[i] ?? undefined) : undefined;
      ctx.now = at;
      const d = evaluate(this.policy, input, this.totals, ctx);
      const counts = c.counts[i];
      if (counts === COUNTS_ALWAYS || (counts === COUNTS_IF_ADMITTED && d.admitted)) {
        this.count(input, at);
      }
      if (at < this.startMs) {
        this.warmup++;
        continue;
      }
      const id = c.id[i] as string;
      const micros = input.amountMicros;
      add(this.all, id, micros);
      if (d.ruleId !== null) {
        const k = this.ruleIndex.get(d.ruleId);
        if (k !== undefined) add(this.ruleAcc[k] as Acc, id, micros);
      }
      for (const s of d.shadow) {
        const k = this.ruleIndex.get(s.ruleId);
        if (k !== undefined) add(this.ruleAcc[k] as Acc, id, micros);
      }
      let w = this.wouldHave.get(d.action);
      if (!w) this.wouldHave.set(d.action, (w = acc()));
      add(w, id, micros);
      const was = c.action[i] as string;
      let a = this.actually.get(was);
      if (!a) this.actually.set(was, (a = acc()));
      add(a, id, micros);
      const admittedThen = c.admitted[i] as boolean;
      if (admittedThen && !d.admitted) add(this.newlyBlocked, id, micros);
      else if (!admittedThen && d.admitted) add(this.newlyAdmitted, id, micros);
      else if (was !== d.action) add(this.actionChanged, id, micros);
    }
    this.sweep();
  }

  /** Transactions of the period fed so far. */
  get processed(): number {
    return this.all.transactions;
  }

  result(): BacktestResult {
    const byAction = <K extends string>(m: Map<K, Acc>) => {
      const out: Partial<Record<K, Tally>> = {};
      for (const k of [...m.keys()].sort()) out[k] = tally(m.get(k) as Acc);
      return out;
    };
    return {
      periodStart: new Date(this.startMs).toISOString(),
      periodEnd: new Date(this.endMs).toISOString(),
      replayedFrom: new Date(this.replayFrom).toISOString(),
      ...tally(this.all),
      warmupTransactions: this.warmup,
      rules: this.rules.map((r, index) => ({
        index,
        name: r.name,
        action: r.action,
        mode: r.mode,
        priority: r.priority,
        enabled: r.enabled,
        ...withExamples(this.ruleAcc[index] as Acc),
      })),
      wouldHave: byAction(this.wouldHave),
      actually: byAction(this.actually),
      difference: {
        newlyBlocked: withExamples(this.newlyBlocked),
        newlyAdmitted: withExamples(this.newlyAdmitted),
        actionChanged: withExamples(this.actionChanged),
        preventedSpendCents: microsToCentsCeil(this.newlyBlocked.micros),
        addedSpendCents: microsToCentsCeil(this.newlyAdmitted.micros),
      },
    };
  }

  /**
   * Adds the transaction to the window totals of every family the rules read. Rows come in time
   * order, so each family's current window (its bounds and key prefix, as `windowBounds` and
   * `windowKey` make them) is kept until a row falls outside it.
   */
  private count(input: TransactionInput, at: number): void {
    const tz = this.settings.timeZone;
    const pairs = this.pairs;
    for (let p = 0; p < pairs.length; p++) {
      const { period, per } = pairs[p] as { period: Period; per: GroupBy };
      let w = this.current[p];
      if (!w || at < w.start || at >= w.end) {
        const b = windowBounds(period, at, tz);
        w = { start: b.start, end: b.end, prefix: windowKey(period, per, b.startIso, '') };
        this.current[p] = w;
      }
      const key = w.prefix + groupValue(per, input);
      let t = this.totals[key];
      if (!t) {
        t = { costMicros: 0, tokensIn: 0, tokensOut: 0, requests: 0, end: w.end };
        this.totals[key] = t;
      }
      t.costMicros += input.amountMicros;
      t.tokensIn += input.tokensIn ?? 0;
      t.tokensOut += input.tokensOut ?? 0;
      t.requests += 1;
    }
  }

  /**
   * Drops the totals of windows that ended (memory stays bounded over a long period): the live
   * ones move to a fresh object, once per window end.
   */
  private sweep(): void {
    if (this.lastAt < this.nextSweep) return;
    let next = Infinity;
    const live: Record<string, Counter> = {};
    for (const key in this.totals) {
      const t = this.totals[key] as Counter;
      if (t.end <= this.lastAt) continue;
      live[key] = t;
      if (t.end < next) next = t.end;
    }
    this.totals = live;
    this.nextSweep = next;
  }
}
