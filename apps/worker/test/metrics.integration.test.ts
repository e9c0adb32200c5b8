/**
 * A `pnpm worker` process with REINS_METRICS_PORT serves its metrics on that port: its jobs' runs
 * and lag, the notification outbox and the unsealed audit events of the database, its pool. Needs
 * a PostgreSQL server (the embedded database admits one process).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testServerUrl, useTestOrm } from '@reins/db';
import { newId, plainSql } from '@reins/ledger';
import { spawnWorker } from './processes.js';

const db = useTestOrm('worker_metrics', { beforeAll, afterAll });

function value(text: string, sample: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

describe.skipIf(!testServerUrl())('pnpm worker: metrics', () => {
  it('serves its jobs, the backlogs and its pool on REINS_METRICS_PORT, then stops on SIGTERM', async () => {
    // A backlog for the gauges: a pending notification due now, to a channel nobody polls for
    // (REINS_NOTIFY_MS=0), and two audit events the sealer is off for (REINS_AUDIT_SEAL_MS=0).
    const sql = plainSql(db.orm);
    const orgId = newId('org');
    const channelId = newId('chan');
    await sql(`insert into organization (id, name) values (?, 'Metrics')`, [orgId]);
    await sql(
      `insert into notification_channel (id, org_id, name, type, config)
       values (?, ?, 'hook', 'webhook', '{"url":"http://127.0.0.1:9/","secret":"whsec_metrics_0123456789"}'::jsonb)`,
      [channelId, orgId],
    );
    await sql(
      `insert into notification_outbox (id, org_id, channel_id, payload, next_attempt_at)
       values (?, ?, ?, '{"message":"m"}'::jsonb, now() - interval '30 seconds')`,
      [newId('ntf'), orgId, channelId],
    );
    for (const entity of ['a', 'b']) {
      await sql(
        `insert into audit_event (id, org_id, event_type, occurred_at, actor, entity_type, entity_id)
         values (?, ?, 'agent.created', now() - interval '5 seconds', 'test', 'agent', ?)`,
        [newId('evt'), orgId, entity],
      );
    }
    const worker = await spawnWorker({
      DATABASE_URL: db.url,
      REINS_DB_POOL: '2',
      REINS_METRICS_PORT: '0',
      REINS_NOTIFY_MS: '0',
      REINS_AUDIT_SEAL_MS: '0',
      REINS_ROLLUP_MS: '50',
    });
    try {
      const url = /"metrics":"(http:\/\/127\.0\.0\.1:\d+\/metrics)"/.exec(worker.output())?.[1];
      expect(url).toBeDefined();
      // The rollup job (every 50 ms) has run a few times.
      let text = '';
      for (let i = 0; i < 100; i++) {
        const res = await fetch(url ?? '');
        expect(res.status).toBe(200);
        text = await res.text();
        if (
          (value(text, 'reins_job_runs_total{job="rollups",outcome="ok",app="worker"}') ?? 0) >= 2
        )
          break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(
        value(text, 'reins_job_runs_total{job="rollups",outcome="ok",app="worker"}'),
      ).toBeGreaterThanOrEqual(2);
      expect(value(text, 'reins_job_lag_seconds{job="rollups",app="worker"}')).toBeLessThan(30);
      expect(value(text, 'reins_job_run_duration_seconds_count{app="worker",job="rollups"}')).toBe(
        value(text, 'reins_job_runs_total{job="rollups",outcome="ok",app="worker"}'),
      );
      // Jobs switched off are not reported.
      expect(text).not.toContain('job="audit-seal"');
      expect(value(text, 'reins_notification_outbox_pending{app="worker"}')).toBe(1);
      expect(value(text, 'reins_notification_outbox_due{app="worker"}')).toBe(1);
      expect(
        value(text, 'reins_notification_outbox_oldest_due_seconds{app="worker"}'),
      ).toBeGreaterThanOrEqual(29);
      expect(value(text, 'reins_audit_unsealed_events{app="worker"}')).toBe(2);
      expect(
        value(text, 'reins_audit_unsealed_oldest_seconds{app="worker"}'),
      ).toBeGreaterThanOrEqual(4);
      expect(value(text, 'reins_backlog_read_ok{app="worker"}')).toBe(1);
      expect(value(text, 'reins_db_pool_max{app="worker"}')).toBe(2);
      expect(value(text, 'reins_db_pool_connections{state="waiting",app="worker"}')).toBe(0);
    } finally {
      expect(await worker.stop()).toBe(0);
    }
  });
});
