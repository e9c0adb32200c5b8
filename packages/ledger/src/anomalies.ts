/**
 * Spend and request-rate spikes per agent, against the agent's own history: each UTC hour of
 * the window is scored (the engine's `scoreAnomaly`: robust z-score) against the same hour on
 * up to 14 earlier days (a seasonal baseline: a support bot busy at 9:00 every day is not
 * anomalous at 9:00). Read from the rollups, so it costs the same at any history size.
 */
import { scoreAnomaly, type AnomalyOptions } from '@reins/engine';
import { readSeries } from './rollups.js';
import type { Orm } from '@reins/db';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Days of history each hour is compared with. */
export const BASELINE_DAYS = 14;

export type AnomalyMetric = 'spend' | 'requests';

/** Thresholds per metric: spend in cents (a spread of at least $1), requests in calls. */
export const ANOMALY_OPTIONS: Record<AnomalyMetric, AnomalyOptions> = {
  spend: { threshold: 3.5, minHistory: 7, minScale: 100 },
  requests: { threshold: 3.5, minHistory: 7, minScale: 5 },
};

export interface Anomaly {
  agentId: string;
  metric: AnomalyMetric;
  /** The hour scored: [windowStart, windowEnd). */
  windowStart: string;
  windowEnd: string;
  observed: number;
  expected: number;
  score: number;
  /** How many earlier days the baseline had. */
  baselineDays: number;
}

/**
 * Anomalies of the `hours` hours up to the one containing `nowMs` (the current hour so far
 * included: a spike shows before its hour ends), newest first.
 */
export async function findAnomalies(
  orm: Orm,
  orgId: string,
  nowMs: number,
  opts: { hours: number; agentId?: string | undefined },
): Promise<Anomaly[]> {
  const lastHour = Math.floor(nowMs / HOUR) * HOUR;
  const firstScored = lastHour - (opts.hours - 1) * HOUR;
  const from = firstScored - BASELINE_DAYS * DAY;
  const points = await readSeries(
    orm,
    orgId,
    { from: new Date(from), to: new Date(lastHour + HOUR) },
    'hour',
    'UTC',
    { agentId: opts.agentId, perAgent: true, measures: ['spend_cents', 'requests'] },
  );
  const byAgent = new Map<string, Map<number, { spend: number; requests: number }>>();
  const firstSeen = new Map<string, number>();
  for (const p of points) {
    const agent = p.agentId ?? '';
    const t = p.start.getTime();
    let hours = byAgent.get(agent);
    if (!hours) {
      hours = new Map<number, { spend: number; requests: number }>();
      byAgent.set(agent, hours);
    }
    hours.set(t, { spend: p.spend_cents, requests: p.requests });
    firstSeen.set(agent, Math.min(firstSeen.get(agent) ?? t, t));
  }
  const found: Anomaly[] = [];
  for (const [agentId, hours] of byAgent) {
    const since = firstSeen.get(agentId) ?? lastHour;
    for (let h = lastHour; h >= firstScored; h -= HOUR) {
      const now = hours.get(h);
      if (!now) continue;
      for (const metric of ['spend', 'requests'] as const) {
        const history: number[] = [];
        for (let d = 1; d <= BASELINE_DAYS; d++) {
          const past = h - d * DAY;
          // Days before the agent's first activity in the range are not its history.
          if (past < since) break;
          history.push(hours.get(past)?.[metric] ?? 0);
        }
        const s = scoreAnomaly(history, now[metric], ANOMALY_OPTIONS[metric]);
        if (!s.anomalous) continue;
        found.push({
          agentId,
          metric,
          windowStart: new Date(h).toISOString(),
          windowEnd: new Date(h + HOUR).toISOString(),
          observed: s.observed,
          expected: s.expected,
          score: s.score,
          baselineDays: history.length,
        });
      }
    }
  }
  found.sort((a, b) => b.windowStart.localeCompare(a.windowStart) || b.score - a.score);
  return found;
}
