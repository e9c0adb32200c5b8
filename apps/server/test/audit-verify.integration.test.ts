/**
 * Verification of the audit hash chain that does not grow with history (issue 22): the inline
 * verify walks from the last verified checkpoint; a full verification from the genesis runs as
 * the `audit-verify` job, with progress, resumable by another worker after a lease expires.
 */
import type { inferRouterOutputs } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { auditVerifyJob, claimVerification, type JobContext } from '@reins/jobs';
import { sealCurrent, sqlOf, verifyChain } from '@reins/ledger';
import type { AppRouter } from '../src/trpc/routers/_app.js';
import { useTestServer } from './harness.js';
import { keyWith, trpcClient, type ErrorBody } from './helpers.js';

// The job runs only when a test asks (`runNow`): its timer would fire after an hour.
const t = useTestServer('audit-verify', { REINS_WORKER: 'on', REINS_AUDIT_VERIFY_MS: 3_600_000 });

type Verify = inferRouterOutputs<AppRouter>['auditLog']['verify'];
type Verification = inferRouterOutputs<AppRouter>['auditLog']['getVerification'];

async function verify(key: string): Promise<Verify> {
  const res = await t().call<Verify & { success: true }>(
    'GET',
    '/api/v1/audit-log/verify',
    undefined,
    { key },
  );
  expect(res.status).toBe(200);
  const { success, ...body } = res.body;
  expect(success).toBe(true);
  return body;
}

/** `n` events of `orgId` inserted as the services write them (unsealed). */
async function addEvents(orgId: string, tag: string, n: number): Promise<void> {
  await t().sql(
    `insert into audit_event (id, org_id, event_type, occurred_at, actor, entity_type, entity_id, metadata)
     select 'evt_' || ? || '_' || i, ?, 'transaction.recorded',
            timestamptz '2026-07-01' + i * interval '1 second', 'key:test', 'transaction',
            'txn_' || i, jsonb_build_object('amountCents', i)
       from generate_series(1, ?::int) as s(i)`,
    [tag, orgId, n],
  );
}

/** Seals what is committed, as the sealer would (waiting for the horizon, as verify does). */
async function seal(orgId: string): Promise<void> {
  expect(await sealCurrent(t().server.core.orm, orgId, 30_000)).toBe(true);
}

/** Changes a row behind the application's back, as the table owner can. */
async function tamper(
  statement: string,
  params: unknown[] = [],
  table: 'audit_event' | 'audit_chain' = 'audit_event',
): Promise<void> {
  await t().sql(`alter table ${table} disable trigger ${table}_append_only_row`);
  try {
    await t().sql(statement, params);
  } finally {
    await t().sql(`alter table ${table} enable trigger ${table}_append_only_row`);
  }
}

async function linkAt(orgId: string, seq: number) {
  const [link] = await t().sql<{ event_id: string; hash: string }>(
    'select event_id, hash from audit_chain where org_id = ? and seq = ?',
    [orgId, seq],
  );
  if (!link) throw new Error(`no link ${String(seq)}`);
  return link;
}

/** What a verify from the genesis (no checkpoint) says: the old inline verify. */
const fromGenesis = async (orgId: string) => {
  const {
    head: _h,
    metCheckpoint: _m,
    ...r
  } = await verifyChain(sqlOf(t().server.core.orm.em.fork()), orgId);
  return r;
};

async function startFull(key: string): Promise<Verification> {
  const res = await t().call<{ success: true; verification: Verification }>(
    'POST',
    '/api/v1/audit-log/verifications',
    {},
    { key },
  );
  expect(res.status).toBe(202);
  return res.body.verification;
}

async function getFull(key: string, id: string): Promise<Verification> {
  const res = await t().call<{ success: true; verification: Verification }>(
    'GET',
    `/api/v1/audit-log/verifications/${id}`,
    undefined,
    { key },
  );
  expect(res.status).toBe(200);
  return res.body.verification;
}

/** Runs the job until `id` is finished (other tests' verifications may be queued before it). */
async function finishFull(key: string, id: string): Promise<Verification> {
  for (let i = 0; i < 20; i++) {
    const v = await getFull(key, id);
    if (v.status === 'done' || v.status === 'failed') return v;
    await t().server.jobs?.runNow('audit-verify');
  }
  throw new Error(`verification ${id} did not finish`);
}

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const jobContext = (now = () => new Date(), signal = new AbortController().signal): JobContext => ({
  orm: t().server.core.orm,
  now,
  signal,
  log: quiet,
});

describe('the incremental verify', () => {
  it('walks only the links after the last checkpoint, and moves it to the head', async () => {
    const { orgId, key } = await t().newOrg('incremental');
    await addEvents(orgId, 'inc_a', 50);
    const first = await verify(key);
    expect(first).toMatchObject({ valid: true, from: 0, checked: 52, headSeq: 52 });
    expect(first.checkpoint).toMatchObject({ seq: 52, hash: (await linkAt(orgId, 52)).hash });

    await addEvents(orgId, 'inc_b', 30);
    const second = await verify(key);
    // The first checkpoint's own event (seq 53), then the 30 new ones.
    expect(second).toMatchObject({ valid: true, from: 52, checked: 31, headSeq: 83 });
    expect(second.checkpoint?.seq).toBe(83);
    expect((await linkAt(orgId, 53)).event_id).toMatch(/^evt_/);

    // Nothing new: one link (the last checkpoint's event), and no new checkpoint for it.
    for (let i = 0; i < 2; i++) {
      expect(await verify(key)).toMatchObject({
        valid: true,
        from: 83,
        checked: 1,
        headSeq: 84,
        checkpoint: { seq: 83 },
      });
    }
    // The checkpoints are in the log like any other event.
    const [events] = await t().sql<{ n: number }>(
      `select count(*)::int as n from audit_event
        where org_id = ? and event_type = 'audit_chain.verified'`,
      [orgId],
    );
    expect(events?.n).toBe(2);
  });

  it('sees tampering after the checkpoint, and then does not move it', async () => {
    const { orgId, key } = await t().newOrg('after checkpoint');
    await addEvents(orgId, 'after_a', 10);
    expect((await verify(key)).checkpoint?.seq).toBe(12);
    await addEvents(orgId, 'after_b', 10);
    await verify(key);
    await addEvents(orgId, 'after_c', 5);
    const sealed = await verify(key);
    expect(sealed.valid).toBe(true);
    const cp = sealed.checkpoint?.seq ?? 0;
    await addEvents(orgId, 'after_d', 5);
    // Sealed (by the sealer, as in the background) but not verified yet.
    await seal(orgId);
    const [row] = await t().sql<{ seq: string }>(
      'select seq from audit_chain_head where org_id = ?',
      [orgId],
    );
    const head = Number(row?.seq);
    expect(head).toBe(cp + 1 + 5);
    const victim = await linkAt(orgId, head);
    await tamper(`update audit_event set metadata = '{"amountCents": 999}' where id = ?`, [
      victim.event_id,
    ]);
    const broken = await verify(key);
    expect(broken).toMatchObject({
      valid: false,
      from: cp,
      firstBrokenLink: { seq: head, eventId: victim.event_id, reason: 'hash_mismatch' },
      checkpoint: { seq: cp },
    });
  });

  it('does not see tampering before the checkpoint; the full verification does', async () => {
    const { orgId, key } = await t().newOrg('before checkpoint');
    await addEvents(orgId, 'before', 40);
    expect((await verify(key)).checkpoint?.seq).toBe(42);
    const victim = await linkAt(orgId, 10);
    await tamper(`update audit_event set metadata = '{"amountCents": 999}' where id = ?`, [
      victim.event_id,
    ]);
    // The trade-off: the incremental verify never reads link 10 again.
    expect(await verify(key)).toMatchObject({ valid: true, from: 42, checked: 1 });

    const started = await startFull(key);
    expect(started).toMatchObject({
      status: 'queued',
      progress: { checked: 0, total: null, pct: null },
      result: null,
    });
    const done = await finishFull(key, started.id);
    const expected = { seq: 10, eventId: victim.event_id, reason: 'hash_mismatch' };
    expect(done).toMatchObject({
      status: 'done',
      result: { valid: false, from: 0, checked: 10, firstBrokenLink: expected, checkpoint: null },
    });
    // The same link and reason as a verify from the genesis.
    expect((await fromGenesis(orgId)).firstBrokenLink).toEqual(expected);
    // A broken chain does not move the checkpoint.
    expect((await verify(key)).checkpoint?.seq).toBe(42);
  });
});

describe('the checkpoint is tamper-evident', () => {
  /** An org verified twice (checkpoint at 22, the first checkpoint's event sealed at 13), with
   * ten more links sealed after it and an edited event among them. */
  async function checkpointed(name: string) {
    const org = await t().newOrg(name);
    const tag = name.replace(/\W/g, '');
    await addEvents(org.orgId, `${tag}_a`, 10);
    await verify(org.key);
    await addEvents(org.orgId, `${tag}_b`, 9);
    expect((await verify(org.key)).checkpoint?.seq).toBe(22);
    await addEvents(org.orgId, `${tag}_c`, 10);
    // Sealed (seq 23–33: the checkpoint's event, then the ten), not verified.
    await seal(org.orgId);
    const victim = await linkAt(org.orgId, 30);
    await tamper(`update audit_event set metadata = '{"amountCents": 999}' where id = ?`, [
      victim.event_id,
    ]);
    const [cp] = await t().sql<{ event_id: string }>(
      'select event_id from audit_checkpoint where org_id = ?',
      [org.orgId],
    );
    return { ...org, victim, cpEvent: cp?.event_id ?? '' };
  }

  it('names a checkpoint whose hash was changed', async () => {
    const o = await checkpointed('cp hash');
    await t().sql(`update audit_checkpoint set hash = repeat('a', 64) where org_id = ?`, [o.orgId]);
    expect(await verify(o.key)).toMatchObject({
      valid: false,
      firstBrokenLink: { seq: 22, eventId: o.cpEvent, reason: 'checkpoint_mismatch' },
    });
  });

  it('names a checkpoint moved forward over tampered links', async () => {
    const o = await checkpointed('cp moved');
    // Past the edited link 30, with link 31's real hash.
    const to = await linkAt(o.orgId, 31);
    await t().sql('update audit_checkpoint set seq = 31, hash = ? where org_id = ?', [
      to.hash,
      o.orgId,
    ]);
    expect(await verify(o.key)).toMatchObject({
      valid: false,
      firstBrokenLink: { seq: 31, eventId: o.cpEvent, reason: 'checkpoint_mismatch' },
    });
  });

  it('names a checkpoint moved forward with its event edited to match', async () => {
    const o = await checkpointed('cp event edited');
    const to = await linkAt(o.orgId, 31);
    const [pos] = await t().sql<{ xid: string; pos: string }>(
      `select xid::text as xid, pos from audit_event where id = ?`,
      [to.event_id],
    );
    await t().sql(
      'update audit_checkpoint set seq = 31, hash = ?, last_xid = ?::xid8, last_pos = ? where org_id = ?',
      [to.hash, pos?.xid, pos?.pos, o.orgId],
    );
    await tamper(
      `update audit_event set metadata = metadata || jsonb_build_object('seq', 31, 'hash', ?::text,
          'xid', ?::text, 'pos', ?::bigint) where id = ?`,
      [to.hash, pos?.xid, pos?.pos, o.cpEvent],
    );
    // The checkpoint's event is sealed at 23, before the seq it now claims: the walk from 31
    // cannot meet it (and a walk that did would find its hash broken).
    expect(await verify(o.key)).toMatchObject({
      valid: false,
      firstBrokenLink: { seq: 31, eventId: o.cpEvent, reason: 'checkpoint_mismatch' },
    });
    // The full verification names the first edit: link 23 (the checkpoint event) or 30.
    const done = await finishFull(o.key, (await startFull(o.key)).id);
    expect(done.result?.firstBrokenLink).toMatchObject({ seq: 23, reason: 'hash_mismatch' });
  });

  it('walks from the genesis when the checkpoint was deleted: that hides nothing', async () => {
    const o = await checkpointed('cp deleted');
    await t().sql('delete from audit_checkpoint where org_id = ?', [o.orgId]);
    expect(await verify(o.key)).toMatchObject({
      valid: false,
      from: 0,
      firstBrokenLink: { seq: 30, eventId: o.victim.event_id, reason: 'hash_mismatch' },
    });
  });
});

describe('the full verification job', () => {
  it('reports progress chunk by chunk, and goes on where a stopped run left it', async () => {
    const { orgId, key } = await t().newOrg('progress');
    await addEvents(orgId, 'progress', 45);
    await verify(key);
    // Seal verify's checkpoint event now (the sealer would, at a time of its own): the job's
    // target is the head when it begins, 47 links and that event.
    await seal(orgId);
    const started = await startFull(key);
    // One chunk of 10 links, then the host stops: the verification is queued again.
    const stop = new AbortController();
    const job = auditVerifyJob(0, { chunkSize: 10, workerId: 'stopping' });
    stop.abort();
    // Other tests' verifications may be queued first: run until ours has moved.
    for (let i = 0; i < 10 && (await getFull(key, started.id)).progress.checked === 0; i++) {
      await job.run(jobContext(() => new Date(), stop.signal));
    }
    const partial = await getFull(key, started.id);
    expect(partial).toMatchObject({
      status: 'queued',
      progress: { checked: 10, total: 48, pct: 20 },
      result: null,
    });
    const done = await finishFull(key, started.id);
    expect(done).toMatchObject({
      status: 'done',
      progress: { checked: 48, total: 48, pct: 100 },
      result: { valid: true, from: 0, checked: 48, headSeq: 48, firstBrokenLink: null },
    });
    // An intact chain moves the checkpoint (verify left it at 47).
    expect(done.result?.checkpoint?.seq).toBe(48);
  });

  it('names what the inline verify names: deleted event, removed link, slipped-in event', async () => {
    const cases: [string, (orgId: string) => Promise<void>][] = [
      [
        'deleted',
        async (orgId) =>
          tamper('delete from audit_event where id = ?', [(await linkAt(orgId, 5)).event_id]),
      ],
      [
        'link removed',
        async (orgId) =>
          tamper('delete from audit_chain where org_id = ? and seq = 7', [orgId], 'audit_chain'),
      ],
      [
        'slipped in',
        async (orgId) => {
          await t().sql(
            `insert into audit_event (id, org_id, event_type, occurred_at, actor, entity_type,
                entity_id, metadata, xid)
             values ('evt_slipped_full', ?, 'api_key.revoked', '2026-06-01T00:00:00Z', 'key:x',
                'api_key', 'key_x', '{}', '1'::xid8)`,
            [orgId],
          );
        },
      ],
    ];
    for (const [name, edit] of cases) {
      const { orgId, key } = await t().newOrg(`full ${name}`);
      await addEvents(orgId, `full_${name.replace(/\W/g, '')}`, 10);
      await seal(orgId);
      expect((await fromGenesis(orgId)).valid).toBe(true);
      await edit(orgId);
      const inline = await fromGenesis(orgId);
      expect({ name, valid: inline.valid }).toEqual({ name, valid: false });
      const done = await finishFull(key, (await startFull(key)).id);
      expect({ name, broken: done.result?.firstBrokenLink }).toEqual({
        name,
        broken: inline.firstBrokenLink,
      });
    }
  });

  it('is taken over by another worker when its lease expired', async () => {
    const { orgId, key } = await t().newOrg('lease');
    await addEvents(orgId, 'lease', 20);
    await verify(key);
    const started = await startFull(key);
    // A worker claimed it two minutes ago with a one-minute lease, and died.
    const past = () => new Date(Date.now() - 120_000);
    let claimed = null;
    for (let i = 0; i < 10 && claimed?.id !== started.id; i++) {
      claimed = await claimVerification(jobContext(past), 'dead-worker', 60_000);
    }
    expect(claimed?.id).toBe(started.id);
    const [row] = await t().sql<{ locked_by: string; attempts: number }>(
      'select locked_by, attempts from audit_verification where id = ?',
      [started.id],
    );
    expect(row).toEqual({ locked_by: 'dead-worker', attempts: 1 });
    expect((await getFull(key, started.id)).status).toBe('running');

    const done = await finishFull(key, started.id);
    expect(done).toMatchObject({ status: 'done', result: { valid: true, checked: 22 } });
    const [after] = await t().sql<{ locked_by: string | null; attempts: number }>(
      'select locked_by, attempts from audit_verification where id = ?',
      [started.id],
    );
    expect(after).toEqual({ locked_by: null, attempts: 2 });
  });

  it('answers the pending one while one is queued, 404 to another org, 403 without audit:read', async () => {
    const a = await t().newOrg('full tenancy a');
    const b = await t().newOrg('full tenancy b');
    const first = await startFull(a.key);
    expect((await startFull(a.key)).id).toBe(first.id);
    const other = await t().call<ErrorBody>(
      'GET',
      `/api/v1/audit-log/verifications/${first.id}`,
      undefined,
      { key: b.key },
    );
    expect(other.status).toBe(404);
    const writer = await keyWith(t(), a.key, ['transactions:write']);
    for (const [method, path] of [
      ['POST', '/api/v1/audit-log/verifications'],
      ['GET', `/api/v1/audit-log/verifications/${first.id}`],
    ] as const) {
      const res = await t().call<ErrorBody>(method, path, method === 'POST' ? {} : undefined, {
        key: writer,
      });
      expect({ path, status: res.status, p: res.body.requiredPermission }).toEqual({
        path,
        status: 403,
        p: 'audit:read',
      });
    }
    await finishFull(a.key, first.id);
  });

  it('is there over tRPC too', async () => {
    const { key } = await t().newOrg('full trpc');
    const client = trpcClient(t(), key);
    const v = await client.auditLog.verify.query();
    expect(v).toMatchObject({ valid: true, from: 0, checked: 2, checkpoint: { seq: 2 } });
    const started = await client.auditLog.startVerification.mutate();
    await finishFull(key, started.id);
    const done = await client.auditLog.getVerification.query({ id: started.id });
    expect(done).toMatchObject({ status: 'done', result: { valid: true } });
  });
});
