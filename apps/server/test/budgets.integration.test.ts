/**
 * The organization's settings (`GET|PUT /api/org`) and the budgets of roles, teams and projects
 * (`/api/budgets/:kind/:id`): validation, permissions, audit, policy versions, and the rules that
 * read them.
 */
import type { inferRouterOutputs } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import type { AppRouter } from '../src/trpc/routers/_app.js';
import { countersAndLedger, rowCounts } from './counts.js';
import { useTestServer } from './harness.js';
import { keyWith, policyVersion, trpcClient, type ErrorBody } from './helpers.js';

const t = useTestServer('budgets');

type Out = inferRouterOutputs<AppRouter>;
type OrgBody = Out['org']['get'];
type BudgetBody = Out['budgets']['get'];

async function auditTypes(orgId: string): Promise<string[]> {
  const rows = await t().sql<{ event_type: string }>(
    'select event_type from audit_event where org_id = ? order by pos',
    [orgId],
  );
  return rows.map((r) => r.event_type);
}

describe('GET|PUT /api/org', () => {
  it("shows the caller's organization and changes what the body names, audited, with a new policy version", async () => {
    const { orgId, key } = await t().newOrg('Acme', { monthlyBudgetCents: 100_000 });
    const got = await t().call<OrgBody>('GET', '/api/org', undefined, { key });
    expect(got.status).toBe(200);
    expect(got.body.org).toMatchObject({
      id: orgId,
      name: 'Acme',
      timeZone: 'UTC',
      defaultAction: 'pass',
      monthlyBudgetCents: 100_000,
      dailyBudgetCents: null,
    });
    const version = await policyVersion(t(), orgId);
    const put = await t().call<OrgBody>(
      'PUT',
      '/api/org',
      {
        name: 'Acme Inc',
        dailyBudgetCents: 10_000,
        monthlyBudgetCents: null,
        defaultAction: 'block',
      },
      { key },
    );
    expect(put.status).toBe(200);
    expect(put.body.org).toMatchObject({
      name: 'Acme Inc',
      defaultAction: 'block',
      dailyBudgetCents: 10_000,
      monthlyBudgetCents: null,
      policyVersion: version + 1,
    });
    expect((await t().call<OrgBody>('GET', '/api/org', undefined, { key })).body.org).toEqual(
      put.body.org,
    );
    const [event] = await t().sql<{ actor: string; metadata: Record<string, unknown> }>(
      "select actor, metadata from audit_event where org_id = ? and event_type = 'organization.updated'",
      [orgId],
    );
    expect(event?.metadata).toEqual({
      changed: ['name', 'defaultAction', 'dailyBudgetCents', 'monthlyBudgetCents'],
      before: {
        name: 'Acme',
        defaultAction: 'pass',
        dailyBudgetCents: null,
        monthlyBudgetCents: 100_000,
      },
      after: {
        name: 'Acme Inc',
        defaultAction: 'block',
        dailyBudgetCents: 10_000,
        monthlyBudgetCents: null,
      },
    });
    expect(event?.actor).toMatch(/^key:key_/);
  });

  it('writes nothing for a change that changes nothing', async () => {
    const { orgId, key } = await t().newOrg('Same', { dailyBudgetCents: 500 });
    const before = await rowCounts(t());
    const version = await policyVersion(t(), orgId);
    const same = await t().call<OrgBody>('PUT', '/api/org', { dailyBudgetCents: 500 }, { key });
    expect(same.status).toBe(200);
    expect(await rowCounts(t())).toEqual(before);
    expect(await policyVersion(t(), orgId)).toBe(version);
  });

  it('refuses bad settings with 422 naming the field, and writes nothing', async () => {
    const { orgId, key } = await t().newOrg('Strict');
    const cases: [Record<string, unknown>, string][] = [
      [{ timeZone: 'Mars/Olympus' }, 'timeZone'],
      [{ dailyBudgetCents: -1 }, 'dailyBudgetCents'],
      [{ dailyBudgetCents: 1.5 }, 'dailyBudgetCents'],
      [{ weeklyBudgetCents: 10_000_000_000_001 }, 'weeklyBudgetCents'],
      [{ defaultAction: 'deny' }, 'defaultAction'],
      [{ name: '' }, 'name'],
      [{ monthlyBudget: 5 }, 'monthlyBudget'],
      [{ id: 'org_someone_else' }, 'id'],
    ];
    const before = await rowCounts(t());
    for (const [body, field] of cases) {
      const res = await t().call<ErrorBody>('PUT', '/api/org', body, { key });
      expect({ status: res.status, code: res.body.code, field: res.body.field }).toEqual({
        status: 422,
        code: 'VALIDATION_ERROR',
        field,
      });
    }
    expect(await rowCounts(t())).toEqual(before);
    expect(await auditTypes(orgId)).not.toContain('organization.updated');
  });

  it('needs org:admin to change it and policies:read to see it', async () => {
    const { key } = await t().newOrg('Perms');
    const reader = await keyWith(t(), key, ['policies:read']);
    const writer = await keyWith(t(), key, ['policies:write']);
    const admin = await keyWith(t(), key, ['org:admin']);
    expect((await t().call('GET', '/api/org', undefined, { key: reader })).status).toBe(200);
    expect((await t().call('GET', '/api/org', undefined, { key: admin })).status).toBe(403);
    const denied = await t().call<ErrorBody>('PUT', '/api/org', { name: 'x' }, { key: writer });
    expect({ status: denied.status, code: denied.body.code }).toEqual({
      status: 403,
      code: 'FORBIDDEN',
    });
    expect((await t().call('PUT', '/api/org', { name: 'x' }, { key: admin })).status).toBe(200);
  });

  it('is the same service over tRPC', async () => {
    const { key } = await t().newOrg('tRPC org');
    const trpc = trpcClient(t(), key);
    const updated = await trpc.org.update.mutate({ weeklyBudgetCents: 7_000 });
    expect(updated.org.weeklyBudgetCents).toBe(7_000);
    expect((await trpc.org.get.query()).org).toEqual(updated.org);
  });

  it("moves every window into a new time zone, counting what was spent in the new zone's current windows", async () => {
    const { orgId, key } = await t().newOrg('Moving');
    const rule = await t().call(
      'POST',
      '/api/policy-rules',
      {
        name: '$10 a day',
        conditions: { timeWindow: 'daily' },
        action: 'block',
        actionConfig: { limitCents: 1_000 },
      },
      { key },
    );
    expect(rule.status).toBe(201);
    t().clock.set('2026-05-05T20:00:00Z');
    try {
      // $9 on the UTC day 2026-05-05 …
      expect(
        (await t().call('POST', '/api/v1/transactions', { amount: 900, vendor: 'openai' }, { key }))
          .status,
      ).toBe(202);
      // … which in Tokyo (UTC+9) is the day 2026-05-06, begun at 15:00 UTC: it counts there too.
      const put = await t().call<OrgBody>('PUT', '/api/org', { timeZone: 'Asia/Tokyo' }, { key });
      expect(put.status).toBe(200);
      const res = await t().call<{ details: { current: number; resetsAt: string } }>(
        'POST',
        '/api/v1/transactions',
        { amount: 200, vendor: 'openai' },
        { key },
      );
      expect(res.status).toBe(403);
      expect(res.body.details).toMatchObject({
        current: 1_100,
        resetsAt: '2026-05-06T15:00:00.000Z',
      });
    } finally {
      t().clock.set(null);
    }
    const rows = await countersAndLedger((q, p) => t().sql(q, p), orgId);
    expect(rows.map((r) => r.key)).toEqual(['daily|org|2026-05-05T15:00:00.000Z|*']);
    for (const r of rows) expect(r.counter).toEqual(r.ledger);
  });
});

describe('/api/budgets/:kind/:id', () => {
  it('sets a role budget per period, shows it, lists it, and removes it', async () => {
    const { orgId, key } = await t().newOrg('Roles');
    const version = await policyVersion(t(), orgId);
    const put = await t().call<BudgetBody>(
      'PUT',
      '/api/budgets/roles/Free',
      { dailyBudgetCents: 500 },
      { key },
    );
    expect(put.status).toBe(200);
    // Roles compare case-insensitively: stored lower case.
    expect(put.body.budget).toMatchObject({
      kind: 'role',
      id: 'free',
      dailyBudgetCents: 500,
      monthlyBudgetCents: null,
    });
    expect(await policyVersion(t(), orgId)).toBe(version + 1);
    const more = await t().call<BudgetBody>(
      'PUT',
      '/api/budgets/roles/free',
      { monthlyBudgetCents: 5_000 },
      { key },
    );
    expect(more.body.budget).toMatchObject({ dailyBudgetCents: 500, monthlyBudgetCents: 5_000 });
    await t().call('PUT', '/api/budgets/teams/search', { weeklyBudgetCents: 20_000 }, { key });
    await t().call('PUT', '/api/budgets/projects/p-1', { hourlyBudgetCents: 100 }, { key });

    const got = await t().call<BudgetBody>('GET', '/api/budgets/roles/FREE', undefined, { key });
    expect(got.body.budget).toEqual(more.body.budget);
    const list = await t().call<{ budgets: { kind: string; id: string }[]; count: number }>(
      'GET',
      '/api/budgets',
      undefined,
      { key },
    );
    expect(list.body.budgets.map((b) => `${b.kind}:${b.id}`)).toEqual([
      'project:p-1',
      'role:free',
      'team:search',
    ]);
    const teams = await t().call<{ count: number }>('GET', '/api/budgets?kind=teams', undefined, {
      key,
    });
    expect(teams.body.count).toBe(1);

    // Clearing its last period removes it.
    await t().call('PUT', '/api/budgets/projects/p-1', { hourlyBudgetCents: null }, { key });
    expect((await t().call('GET', '/api/budgets/projects/p-1', undefined, { key })).status).toBe(
      404,
    );
    const del = await t().call('DELETE', '/api/budgets/teams/search', undefined, { key });
    expect(del.body).toEqual({ success: true, kind: 'team', id: 'search', deleted: true });
    expect((await t().call('DELETE', '/api/budgets/teams/search', undefined, { key })).status).toBe(
      404,
    );
    expect(await auditTypes(orgId)).toEqual(
      expect.arrayContaining(['budget.updated', 'budget.deleted']) as unknown,
    );
  });

  it('refuses a bad kind, id or body with 422 naming the field, and writes nothing', async () => {
    const { key } = await t().newOrg('Bad budgets');
    const before = await rowCounts(t());
    const cases: [string, unknown, string][] = [
      ['/api/budgets/users/u1', { dailyBudgetCents: 1 }, 'kind'],
      ['/api/budgets/roles/free-*', { dailyBudgetCents: 1 }, 'id'],
      ['/api/budgets/roles/free', {}, 'body'],
      ['/api/budgets/roles/free', { dailyBudgetCents: -5 }, 'dailyBudgetCents'],
      ['/api/budgets/roles/free', { daily: 5 }, 'daily'],
      ['/api/budgets/roles/free', { id: 'trial', dailyBudgetCents: 5 }, 'id'],
    ];
    for (const [path, body, field] of cases) {
      const res = await t().call<ErrorBody>('PUT', path, body, { key });
      expect({ path, status: res.status, code: res.body.code, field: res.body.field }).toEqual({
        path,
        status: 422,
        code: 'VALIDATION_ERROR',
        field,
      });
    }
    expect(await rowCounts(t())).toEqual(before);
  });

  it('keeps organizations apart and needs policies:write to change one', async () => {
    const a = await t().newOrg('A');
    const b = await t().newOrg('B');
    await t().call('PUT', '/api/budgets/teams/shared', { dailyBudgetCents: 1 }, { key: a.key });
    expect(
      (await t().call('GET', '/api/budgets/teams/shared', undefined, { key: b.key })).status,
    ).toBe(404);
    const reader = await keyWith(t(), a.key, ['policies:read']);
    expect(
      (await t().call('GET', '/api/budgets/teams/shared', undefined, { key: reader })).status,
    ).toBe(200);
    const denied = await t().call<ErrorBody>(
      'PUT',
      '/api/budgets/teams/shared',
      { dailyBudgetCents: 2 },
      { key: reader },
    );
    expect(denied.status).toBe(403);
  });

  it('is the same service over tRPC', async () => {
    const { key } = await t().newOrg('tRPC budgets');
    const trpc = trpcClient(t(), key);
    const set = await trpc.budgets.set.mutate({ kind: 'teams', id: 'ml', dailyBudgetCents: 900 });
    expect(set.budget).toMatchObject({ kind: 'team', id: 'ml', dailyBudgetCents: 900 });
    expect((await trpc.budgets.get.query({ kind: 'teams', id: 'ml' })).budget).toEqual(set.budget);
    expect((await trpc.budgets.list.query({})).count).toBe(1);
    expect(await trpc.budgets.delete.mutate({ kind: 'teams', id: 'ml' })).toEqual({
      kind: 'team',
      id: 'ml',
      deleted: true,
    });
  });

  it('moves the rules that read it: a team rule waits for its budget, then caps the team', async () => {
    const { key } = await t().newOrg('Team rule');
    const created = await t().call<{ warnings: { kind: string; id: string; message: string }[] }>(
      'POST',
      '/api/v1/rules',
      {
        name: 'Search team monthly budget',
        type: 'budget',
        scope: 'team',
        scope_id: 'search',
        condition: { window: 'monthly', metric: 'cost_usd', threshold: 10 },
        action: 'block',
      },
      { key },
    );
    // A typed budget rule carries its threshold: nothing to wait for.
    expect(created.body.warnings).toEqual([]);
    const docs = await t().call<{ id: string; warnings: { kind: string; id: string }[] }>(
      'POST',
      '/api/policy-rules',
      {
        name: 'Per project, daily',
        conditions: { timeWindow: 'daily' },
        action: 'block',
        actionConfig: { per: 'project', message: 'Project budget spent' },
      },
      { key },
    );
    expect(docs.body.warnings).toEqual([
      expect.objectContaining({ code: 'BUDGET_MISSING', kind: 'project', id: null }) as unknown,
    ]);
    const tx = { amount: 300, vendor: 'openai', projectId: 'p-9' };
    expect((await t().call('POST', '/api/v1/transactions', tx, { key })).status).toBe(202);
    await t().call('PUT', '/api/budgets/projects/p-9', { dailyBudgetCents: 500 }, { key });
    const listed = await t().call<{ rules: { id: string; warnings: unknown[] }[] }>(
      'GET',
      '/api/policy-rules?waiting=false',
      undefined,
      { key },
    );
    expect(listed.body.rules.map((r) => r.id)).toContain(docs.body.id);
    const over = await t().call<{ policyResult: { message: string }; details: { limit: number } }>(
      'POST',
      '/api/v1/transactions',
      tx,
      { key },
    );
    expect(over.status).toBe(403);
    expect(over.body.details.limit).toBe(500);
    expect(over.body.policyResult.message).toBe('Project budget spent');
    // Another project has no budget: the rule does not apply to it.
    expect(
      (await t().call('POST', '/api/v1/transactions', { ...tx, projectId: 'p-1' }, { key })).status,
    ).toBe(202);
  });

  it('replays the trace of a transaction decided by a role budget after the budget changed', async () => {
    const { key } = await t().newOrg('Trace replay');
    await t().call('PUT', '/api/budgets/roles/free', { dailyBudgetCents: 500 }, { key });
    await t().call(
      'POST',
      '/api/policy-rules',
      {
        name: 'Free: $5/day',
        conditions: { userRoles: ['free'], timeWindow: 'daily' },
        action: 'block',
      },
      { key },
    );
    const blocked = await t().call<{ id: string }>(
      'POST',
      '/api/v1/transactions',
      { amount: 600, vendor: 'openai', userId: 'u', userRoles: ['free'] },
      { key },
    );
    expect(blocked.status).toBe(403);
    await t().call('PUT', '/api/budgets/roles/free', { dailyBudgetCents: 100_000 }, { key });
    const trace = await t().call<{ evaluatedRules: { matched: boolean; reason: string }[] }>(
      'GET',
      `/api/v1/transactions/${blocked.body.id}/trace`,
      undefined,
      { key },
    );
    expect(trace.body.evaluatedRules[0]).toMatchObject({
      matched: true,
      reason: 'Daily spend $6.00 over $5.00 limit',
    });
  });
});

describe('GET /api/budgets/usage', () => {
  it('sums what the org, each team, project and agent spent in the current windows of its time zone', async () => {
    // Tokyo (UTC+9, no DST): now is Wednesday 2026-06-10 10:30 local.
    const { key } = await t().newOrg('usage', { timeZone: 'Asia/Tokyo' });
    const calls: [string, number, Record<string, string>][] = [
      ['2026-06-10T01:10:00Z', 100, { teamId: 'core', projectId: 'p1' }], // this hour (10:10)
      ['2026-06-09T22:00:00Z', 200, { teamId: 'core' }], // today (07:00)
      ['2026-06-08T03:00:00Z', 400, { projectId: 'p1' }], // this week (Mon 12:00)
      ['2026-06-01T00:00:00Z', 800, { teamId: 'ml' }], // this month (06-01 09:00)
      ['2026-05-31T14:00:00Z', 1600, { teamId: 'core' }], // last month (05-31 23:00)
    ];
    for (const [at, amount, dims] of calls) {
      t().clock.set(Date.parse(at));
      const res = await t().call(
        'POST',
        '/api/v1/transactions',
        { amount, vendor: 'openai', agentId: 'bot', ...dims },
        { key },
      );
      expect(res.status, res.text).toBeLessThan(300);
    }
    t().clock.set(Date.parse('2026-06-10T01:30:00Z'));
    const res = await t().call<{
      usage: {
        timeZone: string;
        windows: Record<string, { startDate: string; endDate: string }>;
        org: Record<string, number>;
        teams: Record<string, Record<string, number>>;
        projects: Record<string, Record<string, number>>;
        agents: Record<string, Record<string, number>>;
      };
    }>('GET', '/api/budgets/usage', undefined, { key });
    expect(res.status, res.text).toBe(200);
    const u = res.body.usage;
    expect(u.timeZone).toBe('Asia/Tokyo');
    expect(u.windows.hourly).toEqual({
      startDate: '2026-06-10T01:00:00.000Z',
      endDate: '2026-06-10T02:00:00.000Z',
    });
    expect(u.windows.monthly?.startDate).toBe('2026-05-31T15:00:00.000Z');
    expect(u.org).toEqual({ hourly: 100, daily: 300, weekly: 700, monthly: 1500 });
    expect(u.teams).toEqual({
      core: { hourly: 100, daily: 300, weekly: 300, monthly: 300 },
      ml: { hourly: 0, daily: 0, weekly: 0, monthly: 800 },
    });
    expect(u.projects).toEqual({ p1: { hourly: 100, daily: 100, weekly: 500, monthly: 500 } });
    expect(u.agents).toEqual({ bot: { hourly: 100, daily: 300, weekly: 700, monthly: 1500 } });

    const viaTrpc = await trpcClient(t(), key).budgets.usage.query();
    expect(viaTrpc.org).toEqual(u.org);
  });
});
