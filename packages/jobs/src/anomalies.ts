/**
 * Raises an alert for each spend or request-rate spike (@reins/ledger's `findAnomalies`), once:
 * the alert's dedup key names the agent, the metric and the hour.
 */
import {
  dollarQuote as lit,
  findAnomalies,
  newId,
  queryRows,
  withConnection,
  type Anomaly,
} from '@reins/ledger';
import type { Job } from './scheduler.js';

/** Hours scored each run: the current one and the one before (which may have ended unseen). */
const HOURS = 2;

export function anomalyMessage(a: Anomaly): string {
  const fmt = (v: number) =>
    a.metric === 'spend' ? `$${(v / 100).toFixed(2)}` : `${String(Math.round(v))} requests`;
  const what = a.metric === 'spend' ? 'spent' : 'made';
  return (
    `Agent ${a.agentId} ${what} ${fmt(a.observed)} in the hour from ${a.windowStart}; ` +
    `its usual for that hour is ${fmt(a.expected)} (robust z-score ${String(a.score)} over ` +
    `${String(a.baselineDays)} days)`
  );
}

export function anomalyJob(everyMs: number): Job {
  return {
    name: 'anomalies',
    everyMs,
    async run(ctx) {
      const now = ctx.now().getTime();
      const since = new Date(now - HOURS * 3_600_000).toISOString();
      const orgs = await withConnection(ctx.orm, (conn) =>
        queryRows<{ id: string }>(
          conn,
          // Recent audit events, not rollups: those may not have absorbed the newest yet.
          `select o.id from organization o
            where exists (select 1 from audit_event e
                           where e.org_id = o.id and e.occurred_at >= ${lit(since)}::timestamptz)`,
        ),
      );
      for (const { id: orgId } of orgs) {
        if (ctx.signal.aborted) return false;
        // Several workers may score the same org: the alerts' dedup keys keep one of each.
        const found = await findAnomalies(ctx.orm, orgId, now, { hours: HOURS });
        if (found.length === 0) continue;
        const values = found.map(
          (a) =>
            `(${[
              lit(newId('alert')),
              lit(orgId),
              lit(a.metric === 'spend' ? 'Spend anomaly' : 'Request-rate anomaly'),
              lit(anomalyMessage(a)),
              lit(`anomaly|${a.agentId}|${a.metric}|${a.windowStart}`),
              lit(a.agentId),
              `${lit(a.windowStart)}::timestamptz`,
              String(Math.round(a.expected)),
              String(Math.round(a.observed)),
              lit(a.metric === 'spend' ? 'cents' : 'requests'),
            ].join(', ')})`,
        );
        const raised = await withConnection(ctx.orm, (conn) =>
          queryRows(
            conn,
            `insert into policy_alert (id, org_id, rule_name, message, dedup_key, agent_id,
                window_start, limit_value, current_value, unit, action, time_window)
             select v.*, 'anomaly', 'hourly' from (values ${values.join(', ')}) as v
             on conflict (org_id, dedup_key) do nothing
             returning id`,
          ),
        );
        if (raised.length > 0) {
          ctx.log.info({ orgId, alerts: raised.length }, 'raised anomaly alerts');
        }
      }
      return false;
    },
  };
}
