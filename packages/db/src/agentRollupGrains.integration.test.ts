/**
 * The agent-grains migration on a database whose rollups were kept before it: the day and month
 * rows by agent alone are the sums of the hourly ones, so every total read from them agrees with
 * the hours' (and the rollups stay at their cursor).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestOrm } from './testing.js';

// Not migrated: the test migrates up to the migration before the one it tests.
const db = useTestOrm('agent_rollup_grains', { beforeAll, afterAll }, { migrate: false });

async function sql<T = Record<string, unknown>>(query: string, params: unknown[] = []) {
  const rows: unknown = await db.orm.em.fork().getConnection().execute(query, params, 'all');
  return rows as T[];
}

describe('Migration20261203150500_agent_rollup_grains', () => {
  it('sums the hourly agent rows into day and month rows by agent', async () => {
    const orm = db.orm;
    await orm.migrator.up({ to: 'Migration20261203123619_list_indexes' });
    await sql(`insert into organization (id, name) values ('org_g', 'Before the grains')`);
    // Hours over two months and two agents, with full-grain rows beside them (not summed).
    const hours: [string, string, number, number][] = [
      ['2026-04-30T22:00:00Z', 'a', 3, 300],
      ['2026-04-30T23:00:00Z', 'a', 2, 250],
      ['2026-05-01T00:00:00Z', 'a', 5, 100],
      ['2026-05-01T00:00:00Z', 'b', 1, 7],
      ['2026-05-17T13:00:00Z', 'b', 4, 40],
    ];
    for (const [at, agent, requests, cents] of hours) {
      await sql(
        `insert into spend_rollup (org_id, grain, bucket, agent_id, vendor, model, user_id, team_id,
            project_id, action, requests, spend_cents, spend_micros)
         values ('org_g', 'a1h', ?::timestamptz, ?, '', '', '', '', '', '', ?, ?, ? * 10000),
                ('org_g', '15m', ?::timestamptz, ?, 'openai', 'gpt-4o', 'u', '', '', 'pass', ?, ?, ? * 10000)`,
        [at, agent, requests, cents, cents, at, agent, requests, cents, cents],
      );
    }
    const applied = await orm.migrator.up();
    expect(applied.map((m) => m.name)).toContain('Migration20261203150500_agent_rollup_grains');
    const rows = await sql<{
      grain: string;
      bucket: string;
      agent_id: string;
      n: string;
      c: string;
    }>(
      `select grain, to_char(bucket at time zone 'UTC', 'YYYY-MM-DD') as bucket, agent_id,
              requests::text as n, spend_cents::text as c
         from spend_rollup where org_id = 'org_g' and grain in ('a1d', 'a1m')
        order by grain, bucket, agent_id`,
    );
    expect(rows).toEqual([
      { grain: 'a1d', bucket: '2026-04-30', agent_id: 'a', n: '5', c: '550' },
      { grain: 'a1d', bucket: '2026-05-01', agent_id: 'a', n: '5', c: '100' },
      { grain: 'a1d', bucket: '2026-05-01', agent_id: 'b', n: '1', c: '7' },
      { grain: 'a1d', bucket: '2026-05-17', agent_id: 'b', n: '4', c: '40' },
      { grain: 'a1m', bucket: '2026-04-01', agent_id: 'a', n: '5', c: '550' },
      { grain: 'a1m', bucket: '2026-05-01', agent_id: 'a', n: '5', c: '100' },
      { grain: 'a1m', bucket: '2026-05-01', agent_id: 'b', n: '5', c: '47' },
    ]);
    const [dims] = await sql<{ n: string }>(
      `select count(*)::text as n from spend_rollup where grain in ('a1d', 'a1m')
          and (vendor, model, user_id, team_id, project_id, action) <> ('', '', '', '', '', '')`,
    );
    expect(dims?.n).toBe('0');
  });
});
