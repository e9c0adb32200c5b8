/**
 * The `partitions` job: months created ahead of time (idempotent, with several workers at once),
 * a month whose rows are in the default partition already left there, and retention dropping a
 * whole month of transactions while newer months, and every audit event with its chain, stay.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionName, testServerUrl, useTestOrm } from '@reins/db';
import { plainSql, sealCurrent, verifyChain, withConnection } from '@reins/ledger';
import { dropExpiredTransactions, ensurePartitions, partitionsJob } from './partitions.js';
import type { JobContext } from './scheduler.js';

const db = useTestOrm('partitions_job', { beforeAll, afterAll });

const warned: object[] = [];
const log = {
  info: () => undefined,
  warn: (o: object) => void warned.push(o),
  error: () => undefined,
};
const ctx = (now: string): JobContext => ({
  orm: db.orm,
  now: () => new Date(now),
  signal: new AbortController().signal,
  log,
});

const sql = () => plainSql(db.orm);

async function partitions(table: string): Promise<string[]> {
  const rows = await sql()<{ name: string }>(
    `select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = ?::regclass order by 1`,
    [table],
  );
  return rows.map((r) => r.name);
}

async function insertTx(orgId: string, id: string, createdAt: string) {
  await sql()(
    `insert into transaction_record (id, org_id, vendor, agent_id, amount_micros, amount_cents,
        occurred_at, created_at, action, admitted, policy_result, evaluation)
     values (?, ?, 'openai', 'bot', 1000, 0, ?, ?, 'pass', true, '{}', '{}')`,
    [id, orgId, createdAt, createdAt],
  );
}

async function insertEvent(orgId: string, id: string, at: string) {
  await sql()(
    `insert into audit_event (id, org_id, event_type, occurred_at, actor, entity_type, entity_id)
     values (?, ?, 'transaction.recorded', ?, 'key:test', 'transaction', ?)`,
    [`evt_${id}`, orgId, at, id],
  );
}

describe('ensurePartitions', () => {
  it('creates the month and three ahead for both tables, once, with four workers at once', async () => {
    const now = new Date('2031-05-10T12:00:00Z');
    const stuck = await Promise.all(Array.from({ length: 4 }, () => ensurePartitions(db.orm, now)));
    expect(stuck).toEqual([[], [], [], []]);
    const months = ['203105', '203106', '203107', '203108'];
    for (const table of ['transaction_record', 'audit_event']) {
      const names = await partitions(table);
      for (const m of months) expect(names).toContain(`${table}_p${m}`);
      expect(names).not.toContain(`${table}_p203109`);
    }
    const before = await partitions('transaction_record');
    expect(await ensurePartitions(db.orm, now)).toEqual([]);
    expect(await partitions('transaction_record')).toEqual(before);
    // A new month of audit events refuses TRUNCATE like the table (statement triggers are not
    // inherited).
    await expect(sql()('truncate audit_event_p203107')).rejects.toThrow();
  });

  it('leaves a month whose rows are already in the default partition there, and creates the next', async () => {
    await sql()(`insert into organization (id, name) values ('org_default', 'default')`);
    await insertTx('org_default', 'txn_early', '2032-03-05T00:00:00Z');
    const [where] = await sql()<{ part: string }>(
      `select tableoid::regclass::text as part from transaction_record where id = 'txn_early'`,
    );
    expect(where?.part).toBe('transaction_record_default');
    warned.length = 0;
    await partitionsJob(60_000, 0).run(ctx('2032-03-01T00:00:00Z'));
    expect(warned).toEqual([{ partitions: ['transaction_record_p203203'] }]);
    const names = await partitions('transaction_record');
    expect(names).not.toContain('transaction_record_p203203');
    expect(names).toContain('transaction_record_p203204');
    expect(await partitions('audit_event')).toContain('audit_event_p203203');
    // The row is where it was, found by the table; new rows of that month join it.
    await insertTx('org_default', 'txn_later', '2032-03-20T00:00:00Z');
    const rows = await sql()<{ id: string }>(
      `select id from transaction_record where org_id = 'org_default' order by id`,
    );
    expect(rows.map((r) => r.id)).toEqual(['txn_early', 'txn_later']);
  });
});

// Two connections at once: a real server (embedded PGlite is one connection).
describe.skipIf(testServerUrl() === undefined)('ensurePartitions behind a long reader', () => {
  it('gives up a month after its lock timeout instead of stalling the table, and makes it next run', async () => {
    const now = new Date('2034-06-01T00:00:00Z');
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let holding: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (holding = resolve));
    // A reader of the default partition (a long export, say) in a transaction that stays open.
    const reader = withConnection(db.orm, async (conn) => {
      await conn.query('begin; select count(*) from transaction_record_default');
      holding();
      await released;
      await conn.query('commit');
    });
    await held;
    const started = Date.now();
    const missing = await ensurePartitions(db.orm, now, 0);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(missing).toContain('transaction_record_p203406');
    release();
    await reader;
    expect(await ensurePartitions(db.orm, now, 0)).toEqual([]);
  });
});

describe('retention', () => {
  it('drops whole months of transactions past it and keeps newer months, the audit log and its chain', async () => {
    const org = 'org_retain';
    await sql()(`insert into organization (id, name) values (?, 'retention')`, [org]);
    await ensurePartitions(db.orm, new Date('2033-01-01T00:00:00Z'));
    const months = ['2033-01', '2033-02', '2033-03', '2033-04'];
    for (const m of months) {
      for (const day of ['01T00:00:00.000', '15T12:00:00.000', '28T23:59:59.999']) {
        const at = `${m}-${day}Z`;
        await insertTx(org, `txn_${m}_${day.slice(0, 2)}`, at);
        await insertEvent(org, `txn_${m}_${day.slice(0, 2)}`, at);
      }
    }
    // One recorded long ago, before any month partition: in the default partition, deleted from
    // there by retention.
    await insertTx(org, 'txn_ancient', '2001-01-01T00:00:00Z');
    expect(await sealCurrent(db.orm, org, 30_000)).toBe(true);

    // Kept for ever unless a retention is set.
    await partitionsJob(60_000, 0).run(ctx('2033-04-10T00:00:00Z'));
    expect(await partitions('transaction_record')).toContain('transaction_record_p203301');

    // Two months besides the current: on April 10th, February and March stay, January goes.
    await partitionsJob(60_000, 2).run(ctx('2033-04-10T00:00:00Z'));
    const names = await partitions('transaction_record');
    expect(names).not.toContain('transaction_record_p203301');
    for (const m of ['203302', '203303', '203304'])
      expect(names).toContain(`transaction_record_p${m}`);
    // Older months created before (2031, 2032) went too; the default partition stays.
    const cutoff = partitionName('transaction_record', new Date('2033-02-01'));
    expect(names.filter((n) => /_p\d{6}$/.test(n) && n < cutoff)).toEqual([]);
    expect(names).toContain('transaction_record_default');

    const left = await sql()<{ id: string }>(
      `select id from transaction_record where org_id = ? order by id`,
      [org],
    );
    expect(left.map((r) => r.id)).toEqual(
      months.slice(1).flatMap((m) => ['01', '15', '28'].map((d) => `txn_${m}_${d}`)),
    );

    // Audit events are never dropped: all twelve are there, and the chain verifies.
    expect(await partitions('audit_event')).toContain('audit_event_p203301');
    const [events] = await sql()<{ n: number }>(
      'select count(*)::int as n from audit_event where org_id = ?',
      [org],
    );
    expect(events?.n).toBe(12);
    expect(await verifyChain(sql(), org)).toMatchObject({ valid: true, checked: 12 });

    // Again: nothing more to drop.
    expect(await dropExpiredTransactions(db.orm, new Date('2033-04-10T00:00:00Z'), 2)).toEqual({
      partitions: [],
      deleted: 0,
    });
  });
});
