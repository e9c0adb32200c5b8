import { describe, expect, it } from 'vitest';
import { TRPCClientError } from '@trpc/client';
import type { AppRouter } from '../src/trpc/routers/_app.js';
import { useTestServer } from './harness.js';
import { type ErrorBody, keyWith, policyVersion, trpcClient } from './helpers.js';

const t = useTestServer('agents');

interface AgentView {
  agentId: string;
  name: string;
  description: string | null;
  vendor: string | null;
  monthlyBudgetCents: number | null;
  metadata: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

/** The docs' agent registration body, verbatim. */
const SUPPORT_BOT = {
  agentId: 'support-bot-v2',
  name: 'Customer Support Bot v2',
  description: 'Handles Tier 1 customer support across email and chat',
  vendor: 'openai',
  monthlyBudgetCents: 50000,
  metadata: { team: 'support', tier: 'tier1', region: 'us-east' },
};

async function org(name: string) {
  const o = await t().newOrg(name);
  const [k] = await t().sql<{ id: string }>('select id from api_key where org_id = ?', [o.orgId]);
  return { ...o, keyId: k?.id ?? '' };
}

async function auditEvents(orgId: string, agentId: string) {
  return t().sql<{
    event_type: string;
    actor: string;
    entity_type: string;
    occurred_at: Date;
    metadata: Record<string, unknown>;
  }>(
    `select event_type, actor, entity_type, occurred_at, metadata from audit_event
      where org_id = ? and entity_id = ? order by occurred_at, event_type`,
    [orgId, agentId],
  );
}

async function create(key: string, body: Record<string, unknown>) {
  return t().call<{ success: boolean; agentId: string; createdAt: string; agent: AgentView }>(
    'POST',
    '/api/agents',
    body,
    { key },
  );
}

function trpc(key: string) {
  return trpcClient(t(), key);
}

describe('POST /api/agents', () => {
  it('registers the docs example and answers 201 with agentId, createdAt and the agent', async () => {
    const { key } = await org('create');
    t().clock.set('2026-03-15T10:30:00.000Z');
    try {
      const res = await create(key, SUPPORT_BOT);
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        success: true,
        agentId: 'support-bot-v2',
        createdAt: '2026-03-15T10:30:00.000Z',
        agent: {
          ...SUPPORT_BOT,
          createdAt: '2026-03-15T10:30:00.000Z',
          updatedAt: '2026-03-15T10:30:00.000Z',
        },
      });
    } finally {
      t().clock.set(null);
    }
  });

  it('fills what is omitted with nulls and an empty metadata object, and lowercases the vendor', async () => {
    const { key } = await org('defaults');
    const res = await create(key, {
      agentId: 'a.b_c:d-e/f@g',
      name: 'Minimal',
      vendor: 'AnThRoPiC',
    });
    expect(res.status).toBe(201);
    expect(res.body.agent).toMatchObject({
      agentId: 'a.b_c:d-e/f@g',
      description: null,
      vendor: 'anthropic',
      monthlyBudgetCents: null,
      metadata: {},
    });
  });

  it('allows registering the default agent that unnamed transactions are tracked under', async () => {
    const { key } = await org('default agent');
    const res = await create(key, { agentId: 'default', name: 'Everything else' });
    expect(res.status).toBe(201);
    expect(res.body.agentId).toBe('default');
  });

  it('refuses a second agent with the same id in the org with 409 ALREADY_EXISTS', async () => {
    const { key, orgId } = await org('duplicate');
    expect((await create(key, SUPPORT_BOT)).status).toBe(201);
    const version = await policyVersion(t(), orgId);
    const again = await create(key, { ...SUPPORT_BOT, name: 'Other' });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ success: false, code: 'ALREADY_EXISTS' });
    expect(await policyVersion(t(), orgId)).toBe(version);
    const events = await auditEvents(orgId, SUPPORT_BOT.agentId);
    expect(events.map((e) => e.event_type)).toEqual(['agent.created']);
  });

  it('answers concurrent registrations of one id with one 201 and 409s, never a 500', async () => {
    const { key } = await org('race');
    const results = await Promise.all(
      Array.from({ length: 5 }, () => create(key, { agentId: 'racer', name: 'Racer' })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409]);
  });

  it('lets another org register the same agentId', async () => {
    const a = await org('same id a');
    const b = await org('same id b');
    expect((await create(a.key, SUPPORT_BOT)).status).toBe(201);
    expect((await create(b.key, SUPPORT_BOT)).status).toBe(201);
  });

  it.each([
    [{ name: 'No id' }, 'agentId'],
    [{ agentId: '', name: 'x' }, 'agentId'],
    [{ agentId: 'has space', name: 'x' }, 'agentId'],
    [{ agentId: 'glob-*', name: 'x' }, 'agentId'],
    [{ agentId: 'é', name: 'x' }, 'agentId'],
    [{ agentId: 'a'.repeat(129), name: 'x' }, 'agentId'],
    [{ agentId: 'ok' }, 'name'],
    [{ agentId: 'ok', name: '' }, 'name'],
    [{ agentId: 'ok', name: 'n'.repeat(201) }, 'name'],
    [{ agentId: 'ok', name: 'x', vendor: 'acme' }, 'vendor'],
    [{ agentId: 'ok', name: 'x', monthlyBudgetCents: -1 }, 'monthlyBudgetCents'],
    [{ agentId: 'ok', name: 'x', monthlyBudgetCents: 1.5 }, 'monthlyBudgetCents'],
    [{ agentId: 'ok', name: 'x', monthlyBudgetCents: '100' }, 'monthlyBudgetCents'],
    [{ agentId: 'ok', name: 'x', metadata: ['a'] }, 'metadata'],
    [{ agentId: 'ok', name: 'x', metadata: 'team=support' }, 'metadata'],
    [{ agentId: 'ok', name: 'x', budget: 100 }, 'budget'],
  ])('refuses %j with 422 naming %s', async (body, field) => {
    const { key, orgId } = await org('validation');
    const res = await create(key, body);
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ success: false, code: 'VALIDATION_ERROR', field });
    expect(await t().sql('select 1 from agent where org_id = ?', [orgId])).toEqual([]);
  });

  it('answers a key without agents:write with 403 FORBIDDEN and registers nothing', async () => {
    const { key, orgId } = await org('forbidden create');
    const readOnly = await keyWith(t(), key, ['agents:read']);
    const res = await create(readOnly, SUPPORT_BOT);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({
      success: false,
      code: 'FORBIDDEN',
      requiredPermission: 'agents:write',
    });
    expect(await t().sql('select 1 from agent where org_id = ?', [orgId])).toEqual([]);
  });

  it('writes agent.created with the actor in the same transaction and bumps the policy version', async () => {
    const { key, orgId, keyId } = await org('audit create');
    const version = await policyVersion(t(), orgId);
    await create(key, SUPPORT_BOT);
    expect(await policyVersion(t(), orgId)).toBe(version + 1);
    const [event] = await auditEvents(orgId, SUPPORT_BOT.agentId);
    expect(event).toMatchObject({
      event_type: 'agent.created',
      actor: `key:${keyId}`,
      entity_type: 'agent',
      metadata: {
        name: SUPPORT_BOT.name,
        vendor: 'openai',
        monthlyBudgetCents: 50000,
        metadata: SUPPORT_BOT.metadata,
      },
    });
  });
});

describe('GET /api/agents', () => {
  it('lists the org’s agents oldest first, then by agentId, with a count', async () => {
    const { key } = await org('list');
    t().clock.set('2026-05-01T00:00:00.000Z');
    try {
      await create(key, { agentId: 'b', name: 'B', vendor: 'openai' });
      await create(key, { agentId: 'a', name: 'A', vendor: 'anthropic' });
      t().clock.set('2026-04-01T00:00:00.000Z');
      await create(key, { agentId: 'z', name: 'Z' });
    } finally {
      t().clock.set(null);
    }
    const res = await t().call<{ success: boolean; agents: AgentView[]; count: number }>(
      'GET',
      '/api/agents',
      undefined,
      { key },
    );
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    expect(res.body.agents.map((a) => a.agentId)).toEqual(['z', 'a', 'b']);
    expect(res.body.count).toBe(3);
  });

  it('filters by vendor, case-insensitively', async () => {
    const { key } = await org('list vendor');
    await create(key, { agentId: 'o1', name: 'O1', vendor: 'openai' });
    await create(key, { agentId: 'a1', name: 'A1', vendor: 'anthropic' });
    await create(key, { agentId: 'n1', name: 'N1' });
    const res = await t().call<{ agents: AgentView[]; count: number }>(
      'GET',
      '/api/agents?vendor=OpenAI',
      undefined,
      { key },
    );
    expect(res.body.agents.map((a) => a.agentId)).toEqual(['o1']);
    expect(res.body.count).toBe(1);
  });

  it('refuses an unknown filter or vendor with 422 naming it', async () => {
    const { key } = await org('list bad');
    const unknown = await t().call<ErrorBody>('GET', '/api/agents?team=x', undefined, { key });
    expect(unknown.status).toBe(422);
    expect(unknown.body.field).toBe('team');
    const vendor = await t().call<ErrorBody>('GET', '/api/agents?vendor=acme', undefined, { key });
    expect(vendor.status).toBe(422);
    expect(vendor.body.field).toBe('vendor');
  });

  it('never lists another org’s agents', async () => {
    const a = await org('list a');
    const b = await org('list b');
    await create(a.key, { agentId: 'mine', name: 'Mine' });
    const res = await t().call<{ agents: AgentView[]; count: number }>(
      'GET',
      '/api/agents',
      undefined,
      { key: b.key },
    );
    expect(res.body).toMatchObject({ agents: [], count: 0 });
  });

  it('answers a key without agents:read with 403 FORBIDDEN', async () => {
    const { key } = await org('list forbidden');
    const other = await keyWith(t(), key, ['transactions:read']);
    const res = await t().call<ErrorBody>('GET', '/api/agents', undefined, { key: other });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'FORBIDDEN', requiredPermission: 'agents:read' });
  });
});

describe('GET /api/agents/:agentId', () => {
  it('answers the agent view, also for ids with URL-escaped characters', async () => {
    const { key } = await org('get');
    const created = await create(key, { ...SUPPORT_BOT, agentId: 'team/pipeline@v3' });
    const res = await t().call<{ success: boolean; agent: AgentView }>(
      'GET',
      `/api/agents/${encodeURIComponent('team/pipeline@v3')}`,
      undefined,
      { key },
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true, agent: created.body.agent });
  });

  it('answers 404 for an unknown agent and for another org’s agent', async () => {
    const a = await org('get a');
    const b = await org('get b');
    await create(a.key, SUPPORT_BOT);
    for (const [key, id] of [
      [a.key, 'nobody'],
      [b.key, SUPPORT_BOT.agentId],
    ] as const) {
      const res = await t().call<ErrorBody>('GET', `/api/agents/${id}`, undefined, { key });
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ success: false, code: 'NOT_FOUND' });
    }
  });

  it('answers a key without agents:read with 403 FORBIDDEN', async () => {
    const { key } = await org('get forbidden');
    await create(key, SUPPORT_BOT);
    const writeOnly = await keyWith(t(), key, ['agents:write']);
    const res = await t().call<ErrorBody>('GET', `/api/agents/${SUPPORT_BOT.agentId}`, undefined, {
      key: writeOnly,
    });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('FORBIDDEN');
  });
});

describe('PUT /api/agents/:agentId', () => {
  it('changes only the fields sent and answers agentId, updatedAt and the agent', async () => {
    const { key } = await org('put');
    t().clock.set('2026-03-15T10:30:00.000Z');
    try {
      await create(key, SUPPORT_BOT);
      t().clock.set('2026-03-16T09:00:00.000Z');
      const res = await t().call<{
        success: boolean;
        agentId: string;
        updatedAt: string;
        agent: AgentView;
      }>('PUT', `/api/agents/${SUPPORT_BOT.agentId}`, { monthlyBudgetCents: 75000 }, { key });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        success: true,
        agentId: SUPPORT_BOT.agentId,
        updatedAt: '2026-03-16T09:00:00.000Z',
        agent: {
          ...SUPPORT_BOT,
          monthlyBudgetCents: 75000,
          createdAt: '2026-03-15T10:30:00.000Z',
          updatedAt: '2026-03-16T09:00:00.000Z',
        },
      });
      const got = await t().call<{ agent: AgentView }>(
        'GET',
        `/api/agents/${SUPPORT_BOT.agentId}`,
        undefined,
        { key },
      );
      expect(got.body.agent).toEqual(res.body.agent);
    } finally {
      t().clock.set(null);
    }
  });

  it('clears description, vendor, budget and metadata with null', async () => {
    const { key } = await org('put nulls');
    await create(key, SUPPORT_BOT);
    const res = await t().call<{ agent: AgentView }>(
      'PUT',
      `/api/agents/${SUPPORT_BOT.agentId}`,
      { description: null, vendor: null, monthlyBudgetCents: null, metadata: null },
      { key },
    );
    expect(res.status).toBe(200);
    expect(res.body.agent).toMatchObject({
      description: null,
      vendor: null,
      monthlyBudgetCents: null,
      metadata: {},
    });
  });

  it('refuses to change agentId with 422, but accepts it repeated unchanged', async () => {
    const { key } = await org('put id');
    await create(key, SUPPORT_BOT);
    const changed = await t().call<ErrorBody>(
      'PUT',
      `/api/agents/${SUPPORT_BOT.agentId}`,
      { agentId: 'renamed', name: 'x' },
      { key },
    );
    expect(changed.status).toBe(422);
    expect(changed.body).toMatchObject({ code: 'VALIDATION_ERROR', field: 'agentId' });
    const same = await t().call<{ agent: AgentView }>(
      'PUT',
      `/api/agents/${SUPPORT_BOT.agentId}`,
      { agentId: SUPPORT_BOT.agentId, name: 'Same id' },
      { key },
    );
    expect(same.status).toBe(200);
    expect(same.body.agent.name).toBe('Same id');
  });

  it.each([
    [{ name: '' }, 'name'],
    [{ vendor: 'acme' }, 'vendor'],
    [{ monthlyBudgetCents: -5 }, 'monthlyBudgetCents'],
    [{ metadata: 42 }, 'metadata'],
    [{ createdAt: '2020-01-01T00:00:00Z' }, 'createdAt'],
  ])('refuses %j with 422 naming %s and changes nothing', async (body, field) => {
    const { key } = await org('put validation');
    const created = await create(key, SUPPORT_BOT);
    const res = await t().call<ErrorBody>('PUT', `/api/agents/${SUPPORT_BOT.agentId}`, body, {
      key,
    });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: 'VALIDATION_ERROR', field });
    const got = await t().call<{ agent: AgentView }>(
      'GET',
      `/api/agents/${SUPPORT_BOT.agentId}`,
      undefined,
      { key },
    );
    expect(got.body.agent).toEqual(created.body.agent);
  });

  it('answers 404 for another org’s agent and leaves it unchanged', async () => {
    const a = await org('put a');
    const b = await org('put b');
    await create(a.key, SUPPORT_BOT);
    const res = await t().call<ErrorBody>(
      'PUT',
      `/api/agents/${SUPPORT_BOT.agentId}`,
      { name: 'Hijacked' },
      { key: b.key },
    );
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('NOT_FOUND');
    const [row] = await t().sql<{ name: string }>(
      'select name from agent where org_id = ? and agent_id = ?',
      [a.orgId, SUPPORT_BOT.agentId],
    );
    expect(row?.name).toBe(SUPPORT_BOT.name);
  });

  it('answers a key without agents:write with 403 FORBIDDEN', async () => {
    const { key } = await org('put forbidden');
    await create(key, SUPPORT_BOT);
    const readOnly = await keyWith(t(), key, ['agents:read']);
    const res = await t().call<ErrorBody>(
      'PUT',
      `/api/agents/${SUPPORT_BOT.agentId}`,
      { name: 'x' },
      { key: readOnly },
    );
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'FORBIDDEN', requiredPermission: 'agents:write' });
  });

  it('audits agent.updated with before and after of the changed fields, and bumps the policy version', async () => {
    const { key, orgId, keyId } = await org('put audit');
    await create(key, SUPPORT_BOT);
    const version = await policyVersion(t(), orgId);
    await t().call(
      'PUT',
      `/api/agents/${SUPPORT_BOT.agentId}`,
      { name: SUPPORT_BOT.name, monthlyBudgetCents: 1000, metadata: { team: 'ops' } },
      { key },
    );
    expect(await policyVersion(t(), orgId)).toBe(version + 1);
    const events = await auditEvents(orgId, SUPPORT_BOT.agentId);
    const updated = events.find((e) => e.event_type === 'agent.updated');
    expect(updated).toMatchObject({ actor: `key:${keyId}`, entity_type: 'agent' });
    // `name` was sent unchanged: it is not a change.
    expect(updated?.metadata).toEqual({
      changed: {
        monthlyBudgetCents: { before: 50000, after: 1000 },
        metadata: { before: SUPPORT_BOT.metadata, after: { team: 'ops' } },
      },
    });
  });

  it('writes nothing and keeps the policy version for a PUT that changes nothing', async () => {
    const { key, orgId } = await org('put noop');
    const created = await create(key, SUPPORT_BOT);
    const version = await policyVersion(t(), orgId);
    const res = await t().call<{ agent: AgentView; updatedAt: string }>(
      'PUT',
      `/api/agents/${SUPPORT_BOT.agentId}`,
      { name: SUPPORT_BOT.name, vendor: 'OPENAI' },
      { key },
    );
    expect(res.status).toBe(200);
    expect(res.body.agent).toEqual(created.body.agent);
    expect(await policyVersion(t(), orgId)).toBe(version);
    const events = await auditEvents(orgId, SUPPORT_BOT.agentId);
    expect(events.map((e) => e.event_type)).toEqual(['agent.created']);
  });
});

describe('DELETE /api/agents/:agentId', () => {
  it('deletes the agent, audits what it was and bumps the policy version', async () => {
    const { key, orgId, keyId } = await org('delete');
    await create(key, SUPPORT_BOT);
    const version = await policyVersion(t(), orgId);
    const res = await t().call('DELETE', `/api/agents/${SUPPORT_BOT.agentId}`, undefined, { key });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true, agentId: SUPPORT_BOT.agentId, deleted: true });
    expect(await policyVersion(t(), orgId)).toBe(version + 1);
    const gone = await t().call('GET', `/api/agents/${SUPPORT_BOT.agentId}`, undefined, { key });
    expect(gone.status).toBe(404);
    const events = await auditEvents(orgId, SUPPORT_BOT.agentId);
    expect(events.map((e) => e.event_type)).toEqual(['agent.created', 'agent.deleted']);
    expect(events[1]).toMatchObject({
      actor: `key:${keyId}`,
      entity_type: 'agent',
      metadata: { name: SUPPORT_BOT.name, monthlyBudgetCents: 50000 },
    });
    // The id is free again.
    expect((await create(key, SUPPORT_BOT)).status).toBe(201);
  });

  it('answers 404 for an unknown agent and for another org’s, deleting nothing', async () => {
    const a = await org('delete a');
    const b = await org('delete b');
    await create(a.key, SUPPORT_BOT);
    const other = await t().call<ErrorBody>(
      'DELETE',
      `/api/agents/${SUPPORT_BOT.agentId}`,
      undefined,
      { key: b.key },
    );
    expect(other.status).toBe(404);
    const unknown = await t().call<ErrorBody>('DELETE', '/api/agents/nobody', undefined, {
      key: a.key,
    });
    expect(unknown.status).toBe(404);
    expect(
      await t().sql('select 1 from agent where org_id = ? and agent_id = ?', [
        a.orgId,
        SUPPORT_BOT.agentId,
      ]),
    ).toHaveLength(1);
  });

  it('answers a key without agents:write with 403 FORBIDDEN', async () => {
    const { key } = await org('delete forbidden');
    await create(key, SUPPORT_BOT);
    const readOnly = await keyWith(t(), key, ['agents:read']);
    const res = await t().call<ErrorBody>(
      'DELETE',
      `/api/agents/${SUPPORT_BOT.agentId}`,
      undefined,
      { key: readOnly },
    );
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('FORBIDDEN');
  });
});

describe('agents over tRPC', () => {
  it('creates, lists, gets, updates and deletes through the same services as REST', async () => {
    const { key, orgId } = await org('trpc');
    const client = trpc(key);
    const created = await client.agents.create.mutate(SUPPORT_BOT);
    expect(created.agent).toMatchObject({ agentId: SUPPORT_BOT.agentId, vendor: 'openai' });
    const list = await client.agents.list.query({ vendor: 'openai' });
    expect(list.agents.map((a) => a.agentId)).toEqual([SUPPORT_BOT.agentId]);
    const updated = await client.agents.update.mutate({
      agentId: SUPPORT_BOT.agentId,
      monthlyBudgetCents: 1,
    });
    expect(updated.agent.monthlyBudgetCents).toBe(1);
    const rest = await t().call<{ agent: AgentView }>(
      'GET',
      `/api/agents/${SUPPORT_BOT.agentId}`,
      undefined,
      { key },
    );
    expect((await client.agents.get.query({ agentId: SUPPORT_BOT.agentId })).agent).toEqual(
      rest.body.agent,
    );
    expect(await client.agents.delete.mutate({ agentId: SUPPORT_BOT.agentId })).toEqual({
      agentId: SUPPORT_BOT.agentId,
      deleted: true,
    });
    const events = await auditEvents(orgId, SUPPORT_BOT.agentId);
    expect(events.map((e) => e.event_type)).toEqual([
      'agent.created',
      'agent.updated',
      'agent.deleted',
    ]);
  });

  it('carries the docs’ error codes: ALREADY_EXISTS, VALIDATION_ERROR, NOT_FOUND', async () => {
    const { key } = await org('trpc errors');
    const client = trpc(key);
    await client.agents.create.mutate({ agentId: 'x', name: 'X' });
    const codeOf = async (p: Promise<unknown>) => {
      const err = await p.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TRPCClientError);
      return ((err as TRPCClientError<AppRouter>).data as { reins: ErrorBody }).reins;
    };
    expect(await codeOf(client.agents.create.mutate({ agentId: 'x', name: 'X' }))).toMatchObject({
      code: 'ALREADY_EXISTS',
    });
    expect(
      await codeOf(client.agents.update.mutate({ agentId: 'x', monthlyBudgetCents: -1 })),
    ).toMatchObject({ code: 'VALIDATION_ERROR', field: 'monthlyBudgetCents' });
    expect(await codeOf(client.agents.get.query({ agentId: 'nope' }))).toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});
