import { Migration } from '@mikro-orm/migrations';

const MEASURES = [
  'spend_micros',
  'spend_cents',
  'tokens_in',
  'tokens_out',
  'requests',
  'blocked',
  'flagged',
  'warned',
  'would_block',
  'would_warn',
  'would_flag',
];

export class Migration20261203150500_agent_rollup_grains extends Migration {
  override up(): void {
    // The day and month grains by agent alone (`a1d`, `a1m`), summed from the hourly ones
    // (`a1h`): the same events, so the rollups stay at the cursor they were at. No schema change.
    this.addSql(
      `insert into "spend_rollup" ("org_id", "grain", "bucket", "agent_id", "vendor", "model", "user_id", "team_id", "project_id", "action", ${MEASURES.map((m) => `"${m}"`).join(', ')})
       select r.org_id, g.grain,
              case g.grain when 'a1d' then date_trunc('day', r.bucket, 'UTC')
                           else date_trunc('month', r.bucket, 'UTC') end,
              r.agent_id, '', '', '', '', '', '', ${MEASURES.map((m) => `sum(r."${m}")`).join(', ')}
         from "spend_rollup" r cross join (values ('a1d'), ('a1m')) as g(grain)
        where r.grain = 'a1h'
        group by 1, 2, 3, 4
       on conflict do nothing;`,
    );
  }

  override down(): void {
    this.addSql(`delete from "spend_rollup" where "grain" in ('a1d', 'a1m');`);
  }
}
