/**
 * Budget leases in one server process (issue 18; the accounting is the ledger's leases.ts).
 *
 * An org-wide window counter (`per: 'org'`) is read by every batch of its organization, so
 * without leases every batch, in every process, locks it FOR UPDATE: one organization's batches
 * serialize on one row. With leases (REINS_BUDGET_LEASES=on), a batch whose possible spend on
 * such a counter fits what is left of this process's lease on it decides against the lease
 * without locking the counter: it adds its spend to the lease row's `used` (a row only this
 * process writes). Otherwise the batch locks the counter as before, takes back this process's
 * lease (and any lease expired, whoever held it), decides against the counter, and is granted a
 * new lease from the headroom that is left (`grantSize`).
 *
 * What the engine sees for a leased counter: its evaluated total when the lease was granted,
 * less the grant, plus what this process spent under the lease since. Every capped metric of it
 * stays within the cap as long as the spend fits the grant, so the engine never blocks on that
 * counter what the lease covers; what other processes spent since the grant is not seen, so
 * warn and notify thresholds lag by up to one lease (docs/operations.md, "Budget leases").
 *
 * Memory is only a cache of the database: a batch that fails or goes stale drops the lease here
 * (the row stays, counted in the counter, until this process's next locked batch on the counter
 * or shutdown takes it back, or it expires and anyone's locked batch does).
 */
import {
  MICROS_PER_CENT,
  readsBudget,
  type TransactionInput,
  type WindowRef,
  type WindowTotals,
} from '@reins/engine';
import {
  addTotals,
  capOf,
  fitsLease,
  newId,
  noCaps,
  tighten,
  zeroTotals,
  type CounterCaps,
} from '@reins/ledger';
import { priceRequest } from './evaluation.js';
import type { BatchNeeds, BatchPolicy } from './plan.js';
import type { TxRequest } from './types.js';

export interface LeaseSettings {
  /** Off: every batch locks every counter it reads, as before leases. */
  enabled: boolean;
  /** Percent of a counter's headroom one grant takes. */
  percent: number;
  /** How long a grant lives; it is renewed once less than a third of this is left. */
  ttlMs: number;
}

/**
 * The caps of org-wide counter `ref` under `org`'s policy: per metric, the most the counter may
 * reach before an enforced block rule reading it matches (the tightest such rule; its threshold
 * applied). Null when the counter cannot be leased: a block rule on it counts `tokens_total`,
 * a sum of two metrics a per-metric grant cannot bound.
 */
export function counterCaps(org: BatchPolicy, ref: Pick<WindowRef, 'period'>): CounterCaps | null {
  const caps = noCaps();
  for (const cr of org.policy.rules) {
    const w = cr.window;
    if (!w || w.group !== 'org' || w.period !== ref.period) continue;
    if (cr.rule.action !== 'block' || cr.rule.mode === 'shadow') continue;
    const limit = w.limit ?? (readsBudget(w) ? (org.budgets[w.period] ?? null) : null);
    if (limit !== null) {
      switch (w.metric) {
        case 'cost_cents':
          tighten(caps, 'costMicros', capOf(limit, MICROS_PER_CENT, w.thresholdPct));
          break;
        case 'tokens_in':
          tighten(caps, 'tokensIn', capOf(limit, 1, w.thresholdPct));
          break;
        case 'tokens_out':
          tighten(caps, 'tokensOut', capOf(limit, 1, w.thresholdPct));
          break;
        case 'requests':
          tighten(caps, 'requests', capOf(limit, 1, w.thresholdPct));
          break;
        case 'tokens_total':
          return null;
      }
    }
    if (w.maxTransactions !== null) {
      tighten(caps, 'requests', capOf(w.maxTransactions, 1, w.thresholdPct));
    }
  }
  return caps;
}

/** What one batch could add to a counter: every request counting in it, at its full amount. */
export function possibleSpend(
  org: BatchPolicy,
  reqs: readonly TxRequest[],
  needs: BatchNeeds,
  key: string,
  nowMs: number,
): WindowTotals {
  const t = zeroTotals();
  reqs.forEach((req, i) => {
    if (!(needs.refs[i] ?? []).some((r) => r.key === key)) return;
    // Costed from tokens here as the planner will cost it (same inputs, same price); one that
    // cannot be costed is refused and counts nowhere.
    if (req.priceFromTokens && priceRequest(req, org.overrides, nowMs)) return;
    const input: TransactionInput = req.input;
    t.costMicros += input.amountMicros;
    t.tokensIn += input.tokensIn ?? 0;
    t.tokensOut += input.tokensOut ?? 0;
    t.requests += 1;
  });
  return t;
}

/** A lease this process holds, as far as it knows. */
interface Held {
  id: string;
  granted: WindowTotals;
  /** Spent under it: by batches committed and by batches in flight (deducted when planned). */
  used: WindowTotals;
  /** The counter's evaluated total at the grant, without the grant. */
  base: WindowTotals;
  expiresAt: number;
  /** The policy it was sized under (a change of limits needs a new grant). */
  policyKey: string;
}

interface Slot {
  held: Held | null;
  /** The batch of this process that locks the counter to renew the lease: done when it ends. */
  renewal: { done: Promise<void>; end: () => void } | null;
  /** The last renewal granted nothing (too little headroom): until then, lock as without. */
  noGrantUntil: number;
}

/** How one batch goes for each leasable counter it reads. */
export interface LeasePlan {
  /** Decided under this process's lease: the lease, and the total the engine is given. */
  leased: Map<string, { id: string; estimate: WindowTotals }>;
  /** Locked, its leases taken back and a new one granted: the counter's caps. Counters in
   * neither map are locked as without leases. */
  locked: Map<string, CounterCaps>;
  /** Locked as without leases (no renewal): the counter's caps. */
  plain: Map<string, CounterCaps>;
  /** The policy the batch is decided with (its grants are sized under it). */
  policyKey: string;
}

/** A lease a committed batch granted. */
export interface Granted {
  key: string;
  id: string;
  granted: WindowTotals;
  base: WindowTotals;
  expiresAt: number;
}

export const policyKey = (org: BatchPolicy): string =>
  `${String(org.version)}|${org.timeZone}|${org.defaultAction}|${JSON.stringify(org.budgets)}`;

const slotKey = (orgId: string, key: string) => `${orgId}\n${key}`;

export class LeaseBook {
  /** This process, as the holder of its leases (new at every start). */
  readonly holder = newId('holder');
  private readonly slots = new Map<string, Slot>();

  constructor(readonly settings: LeaseSettings) {}

  private slot(orgId: string, key: string): Slot {
    const k = slotKey(orgId, key);
    let s = this.slots.get(k);
    if (!s) this.slots.set(k, (s = { held: null, renewal: null, noGrantUntil: 0 }));
    return s;
  }

  /**
   * Decides, for each org-wide counter of the batch, whether it goes under this process's lease
   * (then its possible spend is deducted from the lease now, before any other batch plans), or
   * locked renewing the lease, or locked as without leases (`plain`: the last renewal granted
   * nothing, a third of a TTL ago at most). Answers `wait` while another batch of this
   * process renews a lease the batch reads: plan again once it is done — a batch that locked
   * the counter meanwhile would count this process's unused grant as spent (a false block in
   * one process), and one that renewed too would make every pipelined batch a renewal.
   */
  plan(
    orgId: string,
    org: BatchPolicy,
    reqs: readonly TxRequest[],
    needs: BatchNeeds,
    nowMs: number,
  ): LeasePlan | { wait: Promise<void> } {
    const pk = policyKey(org);
    const plan: LeasePlan = {
      leased: new Map(),
      locked: new Map(),
      plain: new Map(),
      policyKey: pk,
    };
    if (!this.settings.enabled) return plan;
    const leasable: { ref: WindowRef; caps: CounterCaps; slot: Slot }[] = [];
    for (const ref of needs.counters) {
      if (ref.per !== 'org') continue;
      const caps = counterCaps(org, ref);
      if (!caps) continue;
      const slot = this.slot(orgId, ref.key);
      if (slot.renewal) return { wait: slot.renewal.done };
      leasable.push({ ref, caps, slot });
    }
    for (const { ref, caps, slot } of leasable) {
      const h = slot.held;
      const need = possibleSpend(org, reqs, needs, ref.key, nowMs);
      if (
        h &&
        h.policyKey === pk &&
        h.expiresAt - nowMs > this.settings.ttlMs / 3 &&
        fitsLease(h.granted, h.used, need)
      ) {
        plan.leased.set(ref.key, { id: h.id, estimate: addTotals(h.base, h.used) });
        h.used = addTotals(h.used, need);
      } else if (!h && nowMs < slot.noGrantUntil) {
        plan.plain.set(ref.key, caps);
      } else {
        let end: () => void = () => undefined;
        const done = new Promise<void>((resolve) => {
          end = resolve;
        });
        slot.renewal = { done, end };
        plan.locked.set(ref.key, caps);
      }
    }
    return plan;
  }

  /**
   * After the batch: committed (`granted`: the leases it granted) or not (null: every lease it
   * touched is forgotten here; the database keeps the truth and the next locked batch reads it).
   */
  finish(orgId: string, plan: LeasePlan, granted: readonly Granted[] | null, nowMs: number): void {
    if (granted === null) {
      for (const key of plan.leased.keys()) this.slot(orgId, key).held = null;
    }
    for (const key of plan.locked.keys()) {
      const slot = this.slot(orgId, key);
      const g = granted?.find((x) => x.key === key);
      slot.held =
        g && g.expiresAt > nowMs
          ? {
              id: g.id,
              granted: g.granted,
              used: zeroTotals(),
              base: g.base,
              expiresAt: g.expiresAt,
              policyKey: plan.policyKey,
            }
          : null;
      // Committed without a grant: too little headroom; try again a third of a TTL later.
      slot.noGrantUntil = granted !== null && !g ? nowMs + this.settings.ttlMs / 3 : 0;
      const renewal = slot.renewal;
      slot.renewal = null;
      renewal?.end();
    }
  }
}

/** A leased counter's lease was taken back under the batch: it is retried (locking it). */
export class LeaseLost extends Error {
  readonly code = 'lease_lost';
  constructor() {
    super('a budget lease the batch spent was taken back; the batch is retried');
    this.name = 'LeaseLost';
  }
}
