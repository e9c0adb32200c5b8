/**
 * A policy rule's hits over time: the transactions it decided, per day of the organization's time
 * zone, with their amounts (what it blocked would have cost). Read from the partial index
 * `transaction_record_org_rule_index` (org, rule, occurred_at) — the rule's own rows only.
 */
import { Organization } from '@reins/db';
import { fromLocal, toLocal } from '@reins/engine';
import { sqlOf } from '@reins/ledger';
import type { Ctx } from '../core.js';
import { NotFound } from '../errors.js';
import { parseInput } from '../schemas/common.js';
import { ruleHitsInput } from '../schemas/rules.js';
import { requirePermission } from './auth.js';
import { getRule } from './rules.js';

const DAY = 86_400_000;

export interface RuleHitsDay {
  /** The day, YYYY-MM-DD in the organization's time zone. */
  date: string;
  hits: number;
  /** Of which by decision. */
  blocked: number;
  flagged: number;
  warned: number;
  /** The amounts of those transactions, in cents. */
  amountCents: number;
}

export interface RuleHits {
  ruleId: string;
  timeZone: string;
  /** First day's local midnight and the end (exclusive), ISO 8601. */
  startDate: string;
  endDate: string;
  /** Every day of the range, oldest first (days without a hit are zeros). */
  days: RuleHitsDay[];
  totals: Omit<RuleHitsDay, 'date'>;
}

export async function ruleHits(ctx: Ctx, id: string, raw: unknown = {}): Promise<RuleHits> {
  requirePermission(ctx, 'policies:read');
  const q = parseInput(ruleHitsInput, raw);
  const rule = await getRule(ctx, id);
  const org = await ctx.em.findOne(Organization, { id: ctx.orgId });
  if (!org) throw new NotFound('organization', ctx.orgId);
  const tz = org.timeZone;
  // Local calendar days: today's local date, back `days - 1` days, each from its local midnight.
  const today = new Date(toLocal(tz, ctx.core.clock())).toISOString().slice(0, 10);
  const dates: string[] = [];
  for (let i = q.days - 1; i >= 0; i--) {
    dates.push(new Date(Date.parse(`${today}T00:00:00Z`) - i * DAY).toISOString().slice(0, 10));
  }
  const first = dates[0] ?? today;
  const from = fromLocal(tz, Date.parse(`${first}T00:00:00Z`));
  const to = fromLocal(tz, Date.parse(`${today}T00:00:00Z`) + DAY);
  const rows = await sqlOf(ctx.em)<{
    day: string;
    hits: string;
    blocked: string;
    flagged: string;
    warned: string;
    cents: string;
  }>(
    `select to_char(occurred_at at time zone ?, 'YYYY-MM-DD') as day, count(*)::text as hits,
            count(*) filter (where action = 'block')::text as blocked,
            count(*) filter (where action = 'flag')::text as flagged,
            count(*) filter (where action = 'warn')::text as warned,
            coalesce(sum(amount_cents), 0)::text as cents
       from transaction_record
      where org_id = ? and rule_id = ? and occurred_at >= ? and occurred_at < ?
      group by 1`,
    [tz, ctx.orgId, rule.id, new Date(from), new Date(to)],
  );
  const byDay = new Map(rows.map((r) => [r.day, r]));
  const totals = { hits: 0, blocked: 0, flagged: 0, warned: 0, amountCents: 0 };
  const days = dates.map((date): RuleHitsDay => {
    const r = byDay.get(date);
    const d = {
      date,
      hits: Number(r?.hits ?? 0),
      blocked: Number(r?.blocked ?? 0),
      flagged: Number(r?.flagged ?? 0),
      warned: Number(r?.warned ?? 0),
      amountCents: Number(r?.cents ?? 0),
    };
    totals.hits += d.hits;
    totals.blocked += d.blocked;
    totals.flagged += d.flagged;
    totals.warned += d.warned;
    totals.amountCents += d.amountCents;
    return d;
  });
  return {
    ruleId: rule.id,
    timeZone: tz,
    startDate: new Date(from).toISOString(),
    endDate: new Date(to).toISOString(),
    days,
    totals,
  };
}
