/**
 * Changing an organization's policy: everything an evaluation reads besides the transaction and
 * the window totals (rules, settings and budgets, agent budgets, vendor settings, price
 * overrides). Every change runs as:
 *
 *   const change = await beginPolicyChange(em, orgId, nowMs);   // first, in its transaction
 *   … write the change …
 *   await change.commit();                                       // last
 *
 * `begin` takes the organization's policy lock exclusively — it waits for batches evaluating with
 * the current policy, and batches wait for the change — and notes which counter families the
 * policy reads. `commit` writes the change, brings the counters in line with the new policy
 * (families no rule reads any more are dropped; new ones are built from the transactions already
 * recorded in their current windows, so that a cap created mid-month counts the month), and bumps
 * `policy_version`: every process sees the change on its next batch.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { compile, type Rule } from '@reins/engine';
import {
  connectionOf,
  dollarQuote,
  dropCounters,
  familyId,
  lockPolicy,
  onFamilies,
  queryRows,
  seedCounters,
  takeBackLeases,
  type CounterFamily,
  type RawConnection,
} from '@reins/ledger';

/** What of a policy decides which window counters exist. */
interface CounterShape {
  timeZone: string;
  families: CounterFamily[];
  /** Vendors with a per-minute limit (each has its rate-limit counter). */
  rateLimited: string[];
}

async function readShape(conn: RawConnection, orgId: string): Promise<CounterShape> {
  const [row] = await queryRows<{ time_zone: string; rules: Rule[]; limited: string[] }>(
    conn,
    `select o.time_zone,
            coalesce((select jsonb_agg(r.definition) from policy_rule r
                       where r.org_id = o.id and r.enabled), '[]'::jsonb) as rules,
            coalesce((select jsonb_agg(v.vendor order by v.vendor) from vendor_setting v
                       where v.org_id = o.id and v.rate_limit_rpm is not null),
                     '[]'::jsonb) as limited
       from organization o where o.id = ${dollarQuote(orgId)}`,
  );
  if (!row) return { timeZone: 'UTC', families: [], rateLimited: [] };
  return {
    timeZone: row.time_zone,
    families: compile(row.rules).windowPairs.map((p) => ({ period: p.period, per: p.per })),
    rateLimited: row.limited,
  };
}

const minus = (a: CounterFamily[], b: CounterFamily[]) => {
  const ids = new Set(b.map(familyId));
  return a.filter((f) => !ids.has(familyId(f)));
};

function rateFamily(vendors: string[]): CounterFamily[] {
  return vendors.length > 0 ? [{ period: 'minute', per: 'vendor', only: vendors }] : [];
}

export interface PolicyChange {
  /** Brings the counters in line with the written change and bumps the policy version. */
  commit(): Promise<void>;
}

export async function beginPolicyChange(
  em: EntityManager,
  orgId: string,
  nowMs: number,
): Promise<PolicyChange> {
  const conn = connectionOf(em);
  await lockPolicy(conn, orgId);
  const before = await readShape(conn, orgId);
  return {
    async commit() {
      await em.flush();
      const after = await readShape(conn, orgId);
      // A new time zone moves every window: all counters are new.
      const moved = after.timeZone !== before.timeZone;
      const dropped = moved ? before.families : minus(before.families, after.families);
      const added = moved ? after.families : minus(after.families, before.families);
      const unlimited = before.rateLimited.filter((v) => !after.rateLimited.includes(v));
      const limited = after.rateLimited.filter((v) => !before.rateLimited.includes(v));
      // Budget leases on counters about to be dropped or rebuilt from the ledger go back first
      // (no batch runs meanwhile: this holds the policy lock).
      await takeBackLeases(conn, orgId, onFamilies([...dropped, ...added].map(familyId)));
      await dropCounters(conn, orgId, [...dropped, ...rateFamily(unlimited)], nowMs);
      await seedCounters(conn, orgId, [...added, ...rateFamily(limited)], {
        timeZone: after.timeZone,
        at: nowMs,
      });
      await conn.query(
        `update organization set policy_version = policy_version + 1, updated_at = now()
          where id = ${dollarQuote(orgId)}`,
      );
    },
  };
}
