import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey, AuditEvent, Organization, PolicyRule, WindowCounter } from './entities.js';
import { checkMigrations, migrateUp } from './orm.js';
import { useTestOrm } from './testing.js';

const db = useTestOrm('schema', { beforeAll, afterAll });

/** The SQLSTATE of a failed query (MikroORM wraps driver errors but keeps the code). */
async function sqlState(run: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await run();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  throw new Error('expected the statement to fail');
}

async function insertOrg(id: string) {
  const em = db.orm.em.fork();
  em.create(Organization, { id, name: `Org ${id}` });
  await em.flush();
}

describe('migrations', () => {
  it('leave nothing pending on a freshly migrated database', async () => {
    expect(await migrateUp(db.orm)).toEqual([]);
    expect(await checkMigrations(db.orm)).toEqual({ pending: false, diff: [] });
  });

  it('produce exactly the schema the entities describe', async () => {
    expect(await db.orm.schema.getUpdateSchemaSQL({ wrap: false })).toBe('');
  });
});

describe('entities', () => {
  it('round-trip an organization, an API key and a rule with jsonb and bigint', async () => {
    const em = db.orm.em.fork();
    em.create(Organization, { id: 'org_rt', name: 'Acme', monthlyBudgetCents: 2 ** 40 });
    em.create(ApiKey, {
      id: 'key_rt',
      orgId: 'org_rt',
      name: 'ci',
      keyHash: 'a'.repeat(64),
      keyMasked: 'rk_…abcd',
      permissions: ['transactions:write', 'policies:read'],
    });
    const definition = { id: 'rule_rt', when: { vendor: ['openai'] }, limit: { costCents: 500 } };
    em.create(PolicyRule, {
      id: 'rule_rt',
      orgId: 'org_rt',
      definition,
      enabled: true,
      priority: 10,
      action: 'block',
    });
    await em.flush();

    const read = db.orm.em.fork();
    const org = await read.findOneOrFail(Organization, 'org_rt');
    expect(org).toMatchObject({
      name: 'Acme',
      timeZone: 'UTC',
      defaultAction: 'pass',
      monthlyBudgetCents: 2 ** 40,
      policyVersion: 0,
    });
    expect(typeof org.monthlyBudgetCents).toBe('number');
    expect(org.createdAt).toBeInstanceOf(Date);
    const key = await read.findOneOrFail(ApiKey, { orgId: 'org_rt', id: 'key_rt' });
    expect(key.orgId).toBe('org_rt');
    expect(key.permissions).toEqual(['transactions:write', 'policies:read']);
    expect(key.revokedAt).toBeNull();
    const rule = await read.findOneOrFail(PolicyRule, { orgId: 'org_rt', id: 'rule_rt' });
    expect(rule.definition).toEqual(definition);
    expect(rule.priority).toBe(10);
  });

  it('refuses a default action other than pass or block', async () => {
    const em = db.orm.em.fork();
    expect(
      await sqlState(() =>
        em.execute(`insert into organization (id, name, default_action) values (?, ?, ?)`, [
          'org_bad',
          'Bad',
          'maybe',
        ]),
      ),
    ).toBe('23514');
  });

  it('deletes keys and rules with their organization', async () => {
    await insertOrg('org_gone');
    const em = db.orm.em.fork();
    em.create(ApiKey, {
      id: 'key_gone',
      orgId: 'org_gone',
      name: 'k',
      keyHash: 'b'.repeat(64),
      keyMasked: 'rk_…',
      permissions: [],
    });
    await em.flush();
    await em.execute(`delete from organization where id = ?`, ['org_gone']);
    expect(await db.orm.em.fork().count(ApiKey, { orgId: 'org_gone' })).toBe(0);
  });
});

describe('window_counter', () => {
  it('has one row per (org_id, key)', async () => {
    await insertOrg('org_wc');
    const em = db.orm.em.fork();
    const start = new Date('2025-01-01T00:00:00Z');
    const end = new Date('2025-01-01T01:00:00Z');
    em.create(WindowCounter, {
      orgId: 'org_wc',
      key: 'hour:agent:a1',
      period: 'hour',
      per: 'agent',
      groupValue: 'a1',
      windowStart: start,
      windowEnd: end,
      costMicros: 1_500_000,
    });
    await em.flush();

    const insertSame = `insert into window_counter (org_id, key, period, per, group_value, window_start, window_end)
      values ('org_wc', 'hour:agent:a1', 'hour', 'agent', 'a1', now(), now())`;
    expect(await sqlState(() => db.orm.em.fork().execute(insertSame))).toBe('23505');

    const row = await db.orm.em.fork().findOneOrFail(WindowCounter, {
      orgId: 'org_wc',
      key: 'hour:agent:a1',
    });
    expect(row).toMatchObject({ costMicros: 1_500_000, requests: 0, tokensIn: 0, tokensOut: 0 });
    expect(row.windowStart.toISOString()).toBe(start.toISOString());
  });
});

describe('audit_event is append-only', () => {
  beforeAll(async () => {
    await insertOrg('org_audit');
    const em = db.orm.em.fork();
    for (const id of ['evt_1', 'evt_2', 'evt_3']) {
      em.create(AuditEvent, {
        id,
        orgId: 'org_audit',
        eventType: 'policy.updated',
        occurredAt: new Date('2025-01-01T00:00:00Z'),
        actor: 'key_admin',
        entityType: 'policy_rule',
        entityId: 'rule_1',
        metadata: { version: 1 },
      });
    }
    await em.flush();
  });

  it('refuses every UPDATE, even one that changes nothing', async () => {
    const em = db.orm.em.fork();
    for (const change of [
      `actor = 'mallory'`,
      `metadata = '{}'`,
      `occurred_at = occurred_at + interval '1 microsecond'`,
      `actor = actor`,
    ]) {
      expect(
        await sqlState(() => em.execute(`update audit_event set ${change} where id = 'evt_1'`)),
        change,
      ).toBe('42501');
    }
  });

  it('gives events their insertion position and transaction, the order the chain seals in', async () => {
    const rows = await db.orm.em
      .fork()
      .execute<{ id: string; pos: string; xid: string }[]>(
        `select id, pos, xid::text as xid from audit_event where org_id = 'org_audit' order by pos`,
      );
    expect(rows.map((r) => r.id)).toEqual(['evt_1', 'evt_2', 'evt_3']);
    // One flush, one transaction.
    expect(new Set(rows.map((r) => r.xid)).size).toBe(1);
  });

  it('keeps the chain table append-only too', async () => {
    const em = db.orm.em.fork();
    await em.execute(
      `insert into audit_chain (org_id, seq, event_id, prev_hash, hash)
       values ('org_audit', 1, 'evt_1', repeat('0', 64), 'h1')`,
    );
    expect(
      await sqlState(() => em.execute(`update audit_chain set hash = 'forged' where seq = 1`)),
    ).toBe('42501');
    expect(await sqlState(() => em.execute(`delete from audit_chain where seq = 1`))).toBe('42501');
    expect(await sqlState(() => em.execute(`truncate audit_chain`))).toBe('42501');
  });

  it('refuses DELETE', async () => {
    const em = db.orm.em.fork();
    expect(await sqlState(() => em.execute(`delete from audit_event where id = 'evt_2'`))).toBe(
      '42501',
    );
    expect(await sqlState(() => em.execute(`delete from audit_event where id = 'evt_1'`))).toBe(
      '42501',
    );
  });

  it('refuses TRUNCATE', async () => {
    const em = db.orm.em.fork();
    expect(await sqlState(() => em.execute(`truncate audit_event`))).toBe('42501');
    expect(await db.orm.em.fork().count(AuditEvent, { orgId: 'org_audit' })).toBe(3);
  });
});
