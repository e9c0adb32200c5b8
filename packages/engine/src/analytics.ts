/**
 * The arithmetic of analytics, pure: the end-of-period projection (the same one a rule's
 * `forecastPct` condition uses) and the anomaly score of an hour against its own history.
 */
const DAY = 86_400_000;

export interface Projection {
  /** What the period has spent so far. */
  spent: number;
  /** End-of-period spend at the burn rate so far. */
  projected: number;
  /** Spend per day at that rate (rounded). */
  burnPerDay: number;
  budget: number | null;
  /** projected ÷ budget in percent, one decimal; null without a budget. */
  utilizationPct: number | null;
  /** When the budget runs out at that rate, if before the period ends and not already. */
  runsOutAtMs: number | null;
  /** The period has already spent its budget. */
  exhausted: boolean;
}

/**
 * Linear projection: spent × length ÷ elapsed, elapsed counted from the period's start and at
 * least 1/24 of the period (an hour into a day, a day and a bit into a month: one early call
 * does not project a fortune). Exact in BigInt; `projected × 100 > limit × pct` is what a rule's
 * `forecastPct` tests.
 */
export function projectSpend(
  spent: number,
  bounds: { start: number; end: number },
  nowMs: number,
  budget: number | null = null,
): Projection {
  const length = bounds.end - bounds.start;
  const elapsed = Math.min(length, Math.max(nowMs - bounds.start, Math.ceil(length / 24)));
  const projected = Number((BigInt(spent) * BigInt(length)) / BigInt(elapsed));
  const burnPerDay = Math.round((spent * DAY) / elapsed);
  let runsOutAtMs: number | null = null;
  const exhausted = budget !== null && spent >= budget;
  if (budget !== null && !exhausted && spent > 0) {
    const at = Math.max(nowMs, bounds.start + elapsed) + ((budget - spent) * elapsed) / spent;
    if (at < bounds.end) runsOutAtMs = Math.ceil(at);
  }
  return {
    spent,
    projected,
    burnPerDay,
    budget,
    utilizationPct:
      budget === null || budget <= 0 ? null : Math.round((projected * 1000) / budget) / 10,
    runsOutAtMs,
    exhausted,
  };
}

/** The projection test of a `forecastPct` condition: projected × 100 > limit × pct, exactly. */
export function projectedOver(
  spent: number,
  limit: number,
  pct: number,
  bounds: { start: number; end: number },
  nowMs: number,
): { over: boolean; projected: number } {
  const length = bounds.end - bounds.start;
  const elapsed = Math.max(nowMs - bounds.start, Math.ceil(length / 24));
  const num = BigInt(spent) * BigInt(length);
  const over = num * 100n > BigInt(limit) * BigInt(pct) * BigInt(elapsed);
  return { over, projected: Number(num / BigInt(elapsed)) };
}

export interface AnomalyOptions {
  /** Robust z-score at or above which an hour is a spike. */
  threshold: number;
  /** Fewest past values the baseline needs. */
  minHistory: number;
  /** Smallest spread assumed (a flat history would make any change infinite). */
  minScale: number;
}

export interface AnomalyScore {
  /** The baseline: the median of the history. */
  expected: number;
  observed: number;
  /** (observed − median) ÷ (1.4826 × MAD), the spread at least `minScale`. */
  score: number;
  anomalous: boolean;
}

function median(sorted: readonly number[]): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const mid = n >> 1;
  return n % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/**
 * Robust z-score of `observed` against `history` (the same hour of day on earlier days: a
 * seasonal baseline, zeros included): median and median absolute deviation, which a past spike
 * or two do not drag. Only spikes (observed above the baseline) are anomalous.
 */
export function scoreAnomaly(
  history: readonly number[],
  observed: number,
  opts: AnomalyOptions,
): AnomalyScore {
  const sorted = [...history].sort((a, b) => a - b);
  const expected = median(sorted);
  const deviations = sorted.map((v) => Math.abs(v - expected)).sort((a, b) => a - b);
  const scale = Math.max(1.4826 * median(deviations), opts.minScale);
  const score = Math.round(((observed - expected) / scale) * 100) / 100;
  return {
    expected,
    observed,
    score,
    anomalous: history.length >= opts.minHistory && score >= opts.threshold,
  };
}
