/**
 * A logical restore into another cluster: the stored audit history carries transaction ids the
 * new cluster has not reached. Without the shift, new events would sort before the chain head
 * and never be sealed; opening the database raises the shift past them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alignXidShift, useTestOrm, xidShiftFunctionSql } from '@reins/db';
import { sealCurrent, unsealedBacklog } from './auditChain.js';
import { verifyChain } from './auditVerify.js';
import { newId } from './ids.js';
import { plainSql } from './sql.js';

const db = useTestOrm('ledger_xid_shift', { beforeAll, afterAll });

/** The old cluster's lead over this one: its history's ids are this far ahead. */
const LEAD = 1_000_000_000n;

const setShift = (shift: bigint) => plainSql(db.orm)(xidShiftFunctionSql(shift));

async function addEvents(orgId: string, from: number, n: number): Promise<void> {
  await plainSql(db.orm)(
    `insert into audit_event (id, org_id, event_type, occurred_at, actor, entity_type, entity_id, metadata)
     select ? || '_' || i, ?, 'alert.read', timestamptz '2026-07-01' + i * interval '1 second',
            'key:test', 'alert', 'alr_' || i, jsonb_build_object('i', i)
       from generate_series(?::int, ?::int) as s(i)`,
    [orgId, orgId, from, from + n - 1],
  );
}

async function headXid(orgId: string): Promise<bigint> {
  const [row] = await plainSql(db.orm)<{ xid: string }>(
    'select last_xid::text as xid from audit_chain_head where org_id = ?',
    [orgId],
  );
  return BigInt(row?.xid ?? '0');
}

async function nextXid(): Promise<bigint> {
  const [row] = await plainSql(db.orm)<{ xid: string }>('select reins_xid_now()::text as xid');
  return BigInt(row?.xid ?? '0');
}

describe('the audit xid shift', () => {
  it('comes with its migration, which goes down to the unshifted default and up again', async () => {
    const xidDefault = async () =>
      (
        await plainSql(db.orm)<{ def: string; fns: number }>(
          `select pg_get_expr(d.adbin, d.adrelid) as def,
                  (select count(*)::int from pg_proc
                    where proname in ('reins_xid_shift', 'reins_xid_now', 'reins_xid_horizon')) as fns
             from pg_attrdef d
             join pg_attribute a on a.attrelid = d.adrelid and a.attnum = d.adnum
            where d.adrelid = 'audit_event'::regclass and a.attname = 'xid'`,
        )
      )[0];
    expect(await xidDefault()).toEqual({ def: 'reins_xid_now()', fns: 3 });
    await db.orm.migrator.down(); // the last one: this
    expect(await xidDefault()).toEqual({ def: 'pg_current_xact_id()', fns: 0 });
    await db.orm.migrator.up();
    expect(await xidDefault()).toEqual({ def: 'reins_xid_now()', fns: 3 });
  });

  it('stays 0 on a database whose ids are its cluster’s own', async () => {
    const orgId = newId('org');
    await plainSql(db.orm)(`insert into organization (id, name) values (?, 'own')`, [orgId]);
    await addEvents(orgId, 1, 3);
    expect(await sealCurrent(db.orm, orgId, 30_000)).toBe(true);
    expect(await alignXidShift(db.orm)).toBe(null);
    const [row] = await plainSql(db.orm)<{ shift: string }>(
      'select reins_xid_shift()::text as shift',
    );
    expect(row?.shift).toBe('0');
  });

  it('after a restore, moves new events past the restored chain, and they are sealed', async () => {
    const orgId = newId('org');
    await plainSql(db.orm)(`insert into organization (id, name) values (?, 'restored')`, [orgId]);
    // The history as the old cluster wrote and sealed it, LEAD ids ahead of this one …
    await setShift(LEAD);
    await addEvents(orgId, 1, 20);
    expect(await sealCurrent(db.orm, orgId, 30_000)).toBe(true);
    const restoredHead = await headXid(orgId);
    expect(restoredHead).toBeGreaterThan(LEAD);
    // … restored here: this cluster's own ids, no shift.
    await setShift(0n);
    expect(await nextXid()).toBeLessThan(restoredHead);

    // Opening the database (as every process does, under the migration lock) shifts the ids.
    const shifted = await alignXidShift(db.orm);
    expect(shifted?.from).toBe(0n);
    expect(shifted?.to).toBeGreaterThan(0n);
    expect(await nextXid()).toBeGreaterThan(restoredHead);
    // Once is enough: the next open finds nothing to do.
    expect(await alignXidShift(db.orm)).toBe(null);

    await addEvents(orgId, 21, 5);
    expect((await unsealedBacklog(plainSql(db.orm))).events).toBe(5);
    expect(await sealCurrent(db.orm, orgId, 30_000)).toBe(true);
    expect(await headXid(orgId)).toBeGreaterThan(restoredHead);
    const verified = await verifyChain(plainSql(db.orm), orgId);
    expect(verified).toMatchObject({ valid: true, checked: 25, headSeq: 25 });
    const [last] = await plainSql(db.orm)<{ event_id: string }>(
      'select event_id from audit_chain where org_id = ? order by seq desc limit 1',
      [orgId],
    );
    expect(last?.event_id).toBe(`${orgId}_25`);
  });

  it('takes the rollup cursor into account, though the events it read were deleted', async () => {
    // A cursor (or a head) can be all that is left of a history: retention, a partial restore.
    const orgId = newId('org');
    await plainSql(db.orm)(`insert into organization (id, name) values (?, 'cursor')`, [orgId]);
    const ahead = (await nextXid()) + 2n * LEAD;
    await plainSql(db.orm)(
      'insert into rollup_cursor (org_id, xid, pos) values (?, ?::text::xid8, 1)',
      [orgId, ahead.toString()],
    );
    expect((await alignXidShift(db.orm))?.to).toBeGreaterThan(LEAD);
    expect(await nextXid()).toBeGreaterThan(ahead);
  });
});
