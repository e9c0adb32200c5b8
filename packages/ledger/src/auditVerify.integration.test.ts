/**
 * Verifying the audit chain on a real database: a walk in chunks is the walk in one go, the
 * checkpoint (an event sealed into the chain, and the pointer to it) and what it proves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestOrm } from '@reins/db';
import { insertAuditSql, auditRow } from './audit.js';
import { sealCurrent } from './auditChain.js';
import {
  advanceCheckpoint,
  beginVerify,
  CHECKPOINT_EVENT,
  endVerify,
  readCheckpoint,
  verifyChain,
  walkLinks,
} from './auditVerify.js';
import { newId } from './ids.js';
import { connectionOf, plainSql } from './sql.js';

const db = useTestOrm('ledger_verify', { beforeAll, afterAll });

async function newOrg(events: number): Promise<string> {
  const id = newId('org');
  const sql = plainSql(db.orm);
  await sql(`insert into organization (id, name) values (?, 'verify test')`, [id]);
  await sql(
    `insert into audit_event (id, org_id, event_type, occurred_at, actor, entity_type, entity_id, metadata)
     select ? || '_' || i, ?, 'alert.read', timestamptz '2026-07-01' + i * interval '1 second',
            'key:test', 'alert', 'alr_' || i, jsonb_build_object('i', i)
       from generate_series(1, ?::int) as s(i)`,
    [id, id, events],
  );
  expect(await sealCurrent(db.orm, id, 30_000)).toBe(true);
  return id;
}

const at = new Date('2026-07-02T00:00:00Z');

describe('walkLinks', () => {
  it('walks in chunks of any size to the same end as one walk', async () => {
    const orgId = await newOrg(137);
    const sql = plainSql(db.orm);
    const whole = await verifyChain(sql, orgId);
    expect(whole).toMatchObject({ valid: true, checked: 137, headSeq: 137, from: 0 });
    for (const [limit, chunk] of [
      [1, 2000],
      [10, 3],
      [50, 7],
    ] as const) {
      const begun = await beginVerify(sql, orgId);
      if (begun.broken) throw new Error('broken');
      let steps = 0;
      while (begun.state.seq < begun.head.seq) {
        expect(await walkLinks(sql, orgId, begun.state, begun.head.seq, { limit, chunk })).toBe(
          null,
        );
        steps += 1;
      }
      expect(steps).toBe(Math.ceil(137 / limit));
      expect(begun.state).toMatchObject({ seq: 137, checked: 137, hash: whole.head?.hash });
      expect(await endVerify(sql, orgId, begun.head, begun.state, null)).toBe(null);
    }
  });
});

describe('checkpoints', () => {
  it('records one in the chain, never moves it back, and starts the next walk after it', async () => {
    const orgId = await newOrg(20);
    const sql = plainSql(db.orm);
    const first = await verifyChain(sql, orgId);
    if (!first.head) throw new Error('no head');
    const cp = await advanceCheckpoint(db.orm, orgId, first.head, {
      actor: 'test',
      at,
      from: 0,
      checked: 20,
    });
    expect(cp).toMatchObject({ seq: 20, hash: first.head.hash });
    // An older head (a verify that began before) does not move it back, nor write an event.
    const older = { ...first.head, seq: 10 };
    expect(
      (await advanceCheckpoint(db.orm, orgId, older, { actor: 'test', at, from: 0, checked: 10 }))
        ?.seq,
    ).toBe(20);
    const [events] = await sql<{ n: number; metadata: Record<string, unknown> }>(
      `select count(*)::int as n, min(metadata::text)::jsonb as metadata from audit_event
        where org_id = ? and event_type = ?`,
      [orgId, CHECKPOINT_EVENT],
    );
    expect(events?.n).toBe(1);
    expect(events?.metadata).toMatchObject({
      seq: 20,
      hash: first.head.hash,
      from: 0,
      checked: 20,
    });

    expect(await sealCurrent(db.orm, orgId, 30_000)).toBe(true);
    const from = await readCheckpoint(sql, orgId);
    const next = await verifyChain(sql, orgId, { from });
    // Only link 21: the checkpoint's own event, met and re-hashed.
    expect(next).toMatchObject({
      valid: true,
      from: 20,
      checked: 1,
      headSeq: 21,
      metCheckpoint: true,
    });
  });

  it('names a forged checkpoint event whose claim the chain does not hold', async () => {
    const orgId = await newOrg(5);
    // Appended with a new transaction id, it is sealed like any event (the chain's limit) — but
    // its claim (link 3 has this hash) is checked by every walk that meets it.
    const forged = auditRow({
      orgId,
      eventType: CHECKPOINT_EVENT,
      actor: 'mallory',
      entityType: 'audit_chain',
      entityId: orgId,
      occurredAt: at,
      metadata: { seq: 3, hash: 'f'.repeat(64), xid: '1', pos: 1 },
    });
    await connectionOf(db.orm.em.fork()).query(insertAuditSql([forged]));
    expect(await sealCurrent(db.orm, orgId, 30_000)).toBe(true);
    expect((await verifyChain(plainSql(db.orm), orgId)).firstBrokenLink).toEqual({
      seq: 6,
      eventId: forged.id,
      reason: 'checkpoint_mismatch',
    });
  });
});
