/**
 * A window counts what was spent in it, whenever the rule that reads it arrived (SPEC §3): a
 * counter first needed mid-window starts from the transactions and open holds already recorded
 * in that window, for every group and metric, through both dialects.
 */
import { describe, expect, it } from 'vitest';
import { countersAndLedger } from './counts.js';
import { useTestServer } from './harness.js';
import { atTime } from './helpers.js';

const t = useTestServer('windows_from_ledger');

const AT = '2026-05-05T10:00:00Z';
const LATER = '2026-05-05T10:30:00Z';

interface Answer {
  id: string;
  code?: string;
  action?: string;
  details?: { limit: number; current: number };
  policyResult: { action: string; ruleId: string | null };
}

/** Runs `fn` with the server clock pinned at `iso`. */
const at = <T>(iso: string, fn: () => Promise<T>) => atTime(t(), iso, fn);

const submit = (key: string, body: Record<string, unknown>) =>
  t().call<Answer>('POST', '/api/v1/transactions', body, { key });

async function docsRule(key: string, body: Record<string, unknown>): Promise<string> {
  const res = await t().call<{ id: string }>('POST', '/api/policy-rules', body, { key });
  expect(res.status).toBe(201);
  return res.body.id;
}

async function typedRule(key: string, body: Record<string, unknown>): Promise<string> {
  const res = await t().call<{ id: string }>('POST', '/api/v1/rules', body, { key });
  expect(res.status).toBe(201);
  return res.body.id;
}

/** A $10 daily cap over the whole organization. */
const DAILY_CAP = {
  name: '$10 a day',
  conditions: { timeWindow: 'daily' },
  action: 'block',
  actionConfig: { limitCents: 1000 },
};

/** Two transactions' worth of group fields: every group differs between `one` and `two`. */
const one = {
  agentId: 'agent-1',
  userId: 'user-1',
  teamId: 'team-1',
  projectId: 'project-1',
  vendor: 'openai',
  model: 'gpt-4o',
};
const two = {
  agentId: 'agent-2',
  userId: 'user-2',
  teamId: 'team-2',
  projectId: 'project-2',
  vendor: 'anthropic',
  model: 'claude-3-haiku',
};

/** Every counter of the org equals the ledger's sum for its window and group. */
async function expectCountersExact(orgId: string) {
  const rows = await countersAndLedger((q, p) => t().sql(q, p), orgId);
  expect(rows.length).toBeGreaterThan(0);
  for (const r of rows) expect({ key: r.key, ...r.counter }).toEqual({ key: r.key, ...r.ledger });
}

describe('a daily cap created after spending', () => {
  for (const per of ['org', 'agent', 'user', 'team', 'project', 'vendor', 'model'] as const) {
    it(`counts the day's earlier spend of its group (per ${per})`, async () => {
      const { orgId, key } = await t().newOrg(`cap per ${per}`);
      await at(AT, async () => {
        expect((await submit(key, { ...one, amount: 900 })).status).toBe(202);
        expect((await submit(key, { ...two, amount: 500 })).status).toBe(202);
      });
      const ruleId = await at(LATER, () =>
        docsRule(key, {
          name: `$10 a day per ${per}`,
          conditions: { timeWindow: 'daily' },
          action: 'block',
          actionConfig: { limitCents: 1000, per },
        }),
      );
      await at(LATER, async () => {
        const over = await submit(key, { ...one, amount: 200 });
        expect(over.status).toBe(403);
        expect(over.body.policyResult.ruleId).toBe(ruleId);
        // $9 already spent (with the other group's $5 when the whole org is the group)
        expect(over.body.details?.current).toBe(per === 'org' ? 1600 : 1100);
        const other = await submit(key, { ...two, amount: 200 });
        expect(other.status).toBe(per === 'org' ? 403 : 202);
      });
      await expectCountersExact(orgId);
    });
  }

  it('counts through the typed dialect: a team budget, a project budget, a per-user limit', async () => {
    const { orgId, key } = await t().newOrg('typed caps');
    await at(AT, async () => {
      expect((await submit(key, { ...one, amount: 900 })).status).toBe(202);
    });
    const team = await at(LATER, () =>
      typedRule(key, {
        name: 'Team 1: $10 a day',
        type: 'budget',
        scope: 'team',
        scope_id: 'team-1',
        condition: { window: 'daily', metric: 'cost_usd', threshold: 10 },
        action: 'block',
      }),
    );
    await at(LATER, async () => {
      const res = await submit(key, { ...one, amount: 200 });
      expect(res.body.policyResult.ruleId).toBe(team);
    });
    const { key: key2, orgId: org2 } = await t().newOrg('typed project and user');
    await at(AT, async () => {
      expect((await submit(key2, { ...one, amount: 900 })).status).toBe(202);
    });
    const project = await at(LATER, () =>
      typedRule(key2, {
        name: 'Project 1: $10 a day',
        type: 'budget',
        scope: 'project',
        scope_id: 'project-1',
        priority: 2,
        condition: { window: 'daily', metric: 'cost_usd', threshold: 10 },
        action: 'block',
      }),
    );
    const user = await at(LATER, () =>
      typedRule(key2, {
        name: '$9.50 a day per user',
        type: 'user_limit',
        scope: 'org',
        priority: 1,
        condition: { window: 'daily', metric: 'cost_usd', per_user: 9.5 },
        action: 'block',
      }),
    );
    await at(LATER, async () => {
      expect((await submit(key2, { ...one, amount: 200 })).body.policyResult.ruleId).toBe(project);
      // another project, the same user: the user's $9 counts
      const sameUser = await submit(key2, { ...one, projectId: 'project-9', amount: 100 });
      expect(sameUser.body.policyResult.ruleId).toBe(user);
    });
    await expectCountersExact(orgId);
    await expectCountersExact(org2);
  });
});

describe('every metric', () => {
  for (const metric of ['tokens_in', 'tokens_out', 'tokens_total'] as const) {
    it(`counts earlier ${metric} when a token budget arrives`, async () => {
      const { orgId, key } = await t().newOrg(`tokens ${metric}`);
      await at(AT, async () => {
        expect(
          (await submit(key, { ...one, amount: 1, tokensIn: 500, tokensOut: 400 })).status,
        ).toBe(202);
      });
      const limit = metric === 'tokens_total' ? 1000 : metric === 'tokens_in' ? 600 : 500;
      await at(LATER, () =>
        typedRule(key, {
          name: `${String(limit)} ${metric} a day`,
          type: 'budget',
          scope: 'org',
          condition: { window: 'daily', metric, threshold: limit },
          action: 'block',
        }),
      );
      await at(LATER, async () => {
        const res = await submit(key, { ...one, amount: 1, tokensIn: 101, tokensOut: 101 });
        expect(res.status).toBe(403);
        const before = metric === 'tokens_in' ? 500 : metric === 'tokens_out' ? 400 : 900;
        const add = metric === 'tokens_total' ? 202 : 101;
        expect(res.body.details?.current).toBe(before + add);
      });
      await expectCountersExact(orgId);
    });
  }

  it('counts earlier requests when a request limit arrives', async () => {
    const { key } = await t().newOrg('requests');
    await at(AT, async () => {
      for (let i = 0; i < 3; i++)
        expect((await submit(key, { ...one, amount: 1 })).status).toBe(202);
    });
    await at(LATER, () =>
      docsRule(key, {
        name: '3 an hour',
        conditions: { timeWindow: 'hourly' },
        action: 'block',
        actionConfig: { maxTransactions: 3 },
      }),
    );
    const res = await at(LATER, () => submit(key, { ...one, amount: 1 }));
    expect({ status: res.status, current: res.body.details?.current }).toEqual({
      status: 403,
      current: 4,
    });
  });
});

describe('reservations recorded before the rule', () => {
  it('count with their hold, and release it into the new counter when voided', async () => {
    const { orgId, key } = await t().newOrg('hold then void');
    const hold = await at(AT, () =>
      submit(key, { ...one, amount: 500, phase: 'reserve', reservationTtlSeconds: 7200 }),
    );
    expect(hold.status).toBe(202);
    await at(LATER, () => docsRule(key, DAILY_CAP));
    await at(LATER, async () => {
      expect((await submit(key, { ...one, amount: 600 })).status).toBe(403);
      const voided = await t().call(
        'POST',
        `/api/v1/transactions/${hold.body.id}/void`,
        {},
        { key },
      );
      expect(voided.status).toBe(200);
      expect((await submit(key, { ...one, amount: 600 })).status).toBe(202);
    });
    const [row] = await t().sql<{ counted_windows: string[] }>(
      'select counted_windows from transaction_record where id = ?',
      [hold.body.id],
    );
    expect(row?.counted_windows).toContain('daily|org|2026-05-05T00:00:00.000Z|*');
    await expectCountersExact(orgId);
  });

  it('replace their hold in the new counter with the settled amount', async () => {
    const { orgId, key } = await t().newOrg('hold then settle');
    const hold = await at(AT, () =>
      submit(key, { ...one, amount: 500, phase: 'reserve', reservationTtlSeconds: 7200 }),
    );
    await at(LATER, () => docsRule(key, DAILY_CAP));
    await at(LATER, async () => {
      const settled = await t().call(
        'POST',
        `/api/v1/transactions/${hold.body.id}/settle`,
        { amount: 200 },
        { key },
      );
      expect(settled.status).toBe(200);
      expect((await submit(key, { ...one, amount: 800 })).status).toBe(202); // $10.00 exactly
      expect((await submit(key, { ...one, amount: 1 })).status).toBe(403);
    });
    await expectCountersExact(orgId);
  });
});

describe('rules that come back, budgets that come later', () => {
  it('counts what was spent while the only rule reading the window was disabled', async () => {
    const { orgId, key } = await t().newOrg('disabled gap');
    const ruleId = await at(AT, () => docsRule(key, DAILY_CAP));
    await at(AT, () => submit(key, { ...one, amount: 600 }));
    await at(AT, () => t().call('PUT', `/api/policy-rules/${ruleId}`, { enabled: false }, { key }));
    await at(AT, () => submit(key, { ...one, amount: 300 }));
    await at(LATER, () =>
      t().call('PUT', `/api/policy-rules/${ruleId}`, { enabled: true }, { key }),
    );
    const res = await at(LATER, () => submit(key, { ...one, amount: 200 }));
    expect({ status: res.status, current: res.body.details?.current }).toEqual({
      status: 403,
      current: 1100,
    });
    await expectCountersExact(orgId);
  });

  it("counts an agent's spend from before its budget was set, in either order", async () => {
    const rule = {
      name: 'Agent monthly budget',
      conditions: { agentIds: ['agent-1'], timeWindow: 'monthly' },
      action: 'block',
    };
    const budget = { agentId: 'agent-1', name: 'Agent 1', monthlyBudgetCents: 1000 };
    // rule (waiting for a budget) → spend → budget
    const a = await t().newOrg('rule first');
    await at(AT, () => docsRule(a.key, rule));
    expect((await at(AT, () => submit(a.key, { ...one, amount: 900 }))).status).toBe(202);
    await at(LATER, () => t().call('POST', '/api/agents', budget, { key: a.key }));
    expect((await at(LATER, () => submit(a.key, { ...one, amount: 200 }))).status).toBe(403);
    // spend → rule → budget
    const b = await t().newOrg('spend first');
    expect((await at(AT, () => submit(b.key, { ...one, amount: 900 }))).status).toBe(202);
    await at(LATER, () => docsRule(b.key, rule));
    await at(LATER, () => t().call('POST', '/api/agents', budget, { key: b.key }));
    expect((await at(LATER, () => submit(b.key, { ...one, amount: 200 }))).status).toBe(403);
    await expectCountersExact(a.orgId);
    await expectCountersExact(b.orgId);
  });

  it("counts the organization's spend from before its budget was set", async () => {
    const { orgId, key } = await t().newOrg('org budget later');
    await at(AT, () =>
      docsRule(key, {
        name: 'Organization monthly cap',
        conditions: { timeWindow: 'monthly' },
        action: 'block',
      }),
    );
    expect((await at(AT, () => submit(key, { ...one, amount: 900 }))).status).toBe(202);
    const put = await at(LATER, () =>
      t().call('PUT', '/api/org', { monthlyBudgetCents: 1000 }, { key }),
    );
    expect(put.status).toBe(200);
    const res = await at(LATER, () => submit(key, { ...two, amount: 200 }));
    expect({ status: res.status, current: res.body.details?.current }).toEqual({
      status: 403,
      current: 1100,
    });
    await expectCountersExact(orgId);
  });

  it('counts the calls of the minute before a vendor got its per-minute limit', async () => {
    const { key } = await t().newOrg('rate limit later');
    await at(AT, async () => {
      for (let i = 0; i < 3; i++)
        expect((await submit(key, { ...one, amount: 1 })).status).toBe(202);
      const put = await t().call('PUT', '/api/vendors/openai', { rateLimitRpm: 4 }, { key });
      expect(put.status).toBe(200);
      expect((await submit(key, { ...one, amount: 1 })).status).toBe(202);
      expect((await submit(key, { ...one, amount: 1 })).status).toBe(429);
      // another vendor's calls were not this one's
      expect((await submit(key, { ...two, amount: 1 })).status).toBe(202);
    });
  });

  it('shows the seeded totals in a dry run', async () => {
    const { key } = await t().newOrg('dry run');
    await at(AT, () => submit(key, { ...one, amount: 900 }));
    await at(LATER, () => docsRule(key, DAILY_CAP));
    const dry = await at(LATER, () =>
      t().call<{ result: { action: string; details: { current: number } } }>(
        'POST',
        '/api/policy-rules/evaluate',
        { ...one, amount: 200 },
        { key },
      ),
    );
    expect(dry.body.result).toMatchObject({ action: 'block', details: { current: 1100 } });
  });

  it('drops the counters no rule reads any more', async () => {
    const { orgId, key } = await t().newOrg('dropped');
    const ruleId = await at(AT, () =>
      docsRule(key, {
        name: '$10 a day per user',
        conditions: { timeWindow: 'daily' },
        action: 'block',
        actionConfig: { limitCents: 1000, per: 'user' },
      }),
    );
    await at(AT, () => submit(key, { ...one, amount: 100 }));
    expect((await countersAndLedger((q, p) => t().sql(q, p), orgId)).map((r) => r.key)).toEqual([
      'daily|user|2026-05-05T00:00:00.000Z|user-1',
    ]);
    await at(AT, () => t().call('DELETE', `/api/policy-rules/${ruleId}`, undefined, { key }));
    expect(await countersAndLedger((q, p) => t().sql(q, p), orgId)).toEqual([]);
  });
});
