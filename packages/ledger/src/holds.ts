/**
 * Releasing the holds of reservations that expired unsettled (SPEC §4: "released by the
 * worker"). An evaluation already ignores an expired hold (`asEvaluated`); releasing it takes it
 * out of the counters for good, marks the reservation `expired` and audits it. A reservation
 * settled after its release adds its whole actual cost back (see the server's settle).
 */
import type { WindowTotals } from '@reins/engine';
import { insertAuditSql, auditRow } from './audit.js';
import { adjustCountersBy, zeroTotals, type CounterWrite } from './counters.js';
import { dollarQuote, queryRows, type RawConnection } from './sql.js';

const lit = dollarQuote;

interface ExpiredRow {
  id: string;
  hold: { amountMicros: number; tokensIn: number; tokensOut: number };
  counted_windows: string[];
  agent_id: string;
  expires_at: string | Date;
}

/**
 * Releases up to `limit` of `orgId`'s reservations whose hold expired by `at`, inside the
 * caller's transaction: their rows locked first (rows a settle, a void or another releaser holds
 * are skipped — they will be done or found again), then the counters in key order, as every
 * writer locks them. Returns the ids released.
 */
export async function releaseExpiredHolds(
  conn: RawConnection,
  orgId: string,
  at: string,
  opts: { limit?: number; actor?: string } = {},
): Promise<string[]> {
  const rows = await queryRows<ExpiredRow>(
    conn,
    `select id, hold, counted_windows, agent_id, expires_at from transaction_record
      where org_id = ${lit(orgId)} and status = 'reserved'
        and expires_at <= ${lit(at)}::timestamptz
      order by id
      limit ${String(opts.limit ?? 1000)}
        for update skip locked`,
  );
  if (rows.length === 0) return [];
  const byKey = new Map<string, WindowTotals>();
  for (const r of rows) {
    for (const key of r.counted_windows) {
      const t = byKey.get(key) ?? zeroTotals();
      t.costMicros -= r.hold.amountMicros;
      t.tokensIn -= r.hold.tokensIn;
      t.tokensOut -= r.hold.tokensOut;
      t.requests -= 1;
      byKey.set(key, t);
    }
  }
  const deltas: CounterWrite[] = [...byKey.entries()].map(([key, totals]) => ({ key, totals }));
  await adjustCountersBy(conn, orgId, deltas);
  const ids = rows.map((r) => r.id);
  const events = rows.map((r) =>
    auditRow({
      orgId,
      eventType: 'transaction.expired',
      actor: opts.actor ?? 'system:worker',
      entityType: 'transaction',
      entityId: r.id,
      occurredAt: at,
      metadata: {
        agentId: r.agent_id,
        releasedAmountMicros: r.hold.amountMicros,
        expiresAt: new Date(r.expires_at).toISOString(),
      },
    }),
  );
  await conn.query(
    `update transaction_record set status = 'expired'
      where org_id = ${lit(orgId)}
        and id = any (array(select jsonb_array_elements_text(${lit(JSON.stringify(ids))}::jsonb)));
     ${insertAuditSql(events)}`,
  );
  return ids;
}
