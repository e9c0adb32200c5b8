import { describe, expect, it } from 'vitest';
import { TRPCClientError } from '@trpc/client';
import { estimateCost, PRICE_DATA_VERSION } from '@reins/engine';
import type { AppRouter } from '../src/trpc/routers/_app.js';
import { loadPriceOverrides, VENDORS } from '../src/services/vendors.js';
import { useTestServer } from './harness.js';
import { type ErrorBody, keyWith, policyVersion, trpcClient, atTime } from './helpers.js';

const t = useTestServer('vendors');

interface VendorView {
  vendor: string;
  name: string;
  enabled: boolean;
  rateLimitRpm: number | null;
  updatedAt: string | null;
}

interface OverrideView {
  id: string;
  vendor: string;
  model: string;
  inputPerMtokUsd: number | null;
  outputPerMtokUsd: number | null;
  cacheReadPerMtokUsd: number | null;
  cacheWritePerMtokUsd: number | null;
  perRequestUsd: number | null;
  effectiveFrom: string;
  effectiveTo: string | null;
  createdAt: string;
}

interface ModelRow {
  model: string;
  inputPerMtokUsd: number | null;
  outputPerMtokUsd: number | null;
  cacheReadPerMtokUsd?: number;
  cacheWritePerMtokUsd?: number;
  source: string;
  overriddenBy: string | null;
}

interface PricesBody {
  success: boolean;
  vendor: string;
  at: string;
  priceVersion: string;
  models: ModelRow[];
  overrides: (OverrideView & { source: string })[];
}

const SIX = [
  ['openai', 'OpenAI'],
  ['anthropic', 'Anthropic'],
  ['google', 'Google'],
  ['cohere', 'Cohere'],
  ['mistral', 'Mistral'],
  ['perplexity', 'Perplexity'],
];

async function org(name: string) {
  const o = await t().newOrg(name);
  const [k] = await t().sql<{ id: string }>('select id from api_key where org_id = ?', [o.orgId]);
  return { ...o, keyId: k?.id ?? '' };
}

async function auditEvents(orgId: string, entityType: string) {
  return t().sql<{
    event_type: string;
    actor: string;
    entity_id: string;
    metadata: Record<string, unknown>;
  }>(
    `select event_type, actor, entity_id, metadata from audit_event
      where org_id = ? and entity_type = ? order by occurred_at, event_type`,
    [orgId, entityType],
  );
}

/** Runs `fn` with the server clock pinned at `iso`. */
const at = <T>(iso: string, fn: () => Promise<T>) => atTime(t(), iso, fn);

async function createOverride(key: string, vendor: string, body: Record<string, unknown>) {
  return t().call<{ success: boolean; override: OverrideView }>(
    'POST',
    `/api/vendors/${vendor}/price-overrides`,
    body,
    { key },
  );
}

function trpc(key: string) {
  return trpcClient(t(), key);
}

function reinsError(err: unknown): ErrorBody {
  expect(err).toBeInstanceOf(TRPCClientError);
  return ((err as TRPCClientError<AppRouter>).data as { reins: ErrorBody }).reins;
}

describe('GET /api/vendors', () => {
  it('lists the six vendors, enabled and unlimited until configured', async () => {
    const { key } = await org('list');
    const res = await t().call<{ success: boolean; vendors: VendorView[]; count: number }>(
      'GET',
      '/api/vendors',
      undefined,
      { key },
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      success: true,
      vendors: SIX.map(([vendor, name]) => ({
        vendor,
        name,
        enabled: true,
        rateLimitRpm: null,
        updatedAt: null,
      })),
      count: 6,
    });
    expect(VENDORS.map((v) => [v.id, v.name])).toEqual(SIX);
  });

  it('shows the org’s own settings and not another org’s', async () => {
    const a = await org('list a');
    const b = await org('list b');
    await at('2026-05-05T08:00:00.000Z', () =>
      t().call('PUT', '/api/vendors/mistral', { enabled: false, rateLimitRpm: 60 }, { key: a.key }),
    );
    const list = async (key: string) =>
      (await t().call<{ vendors: VendorView[] }>('GET', '/api/vendors', undefined, { key })).body
        .vendors;
    expect((await list(a.key)).find((v) => v.vendor === 'mistral')).toEqual({
      vendor: 'mistral',
      name: 'Mistral',
      enabled: false,
      rateLimitRpm: 60,
      updatedAt: '2026-05-05T08:00:00.000Z',
    });
    expect((await list(b.key)).find((v) => v.vendor === 'mistral')).toMatchObject({
      enabled: true,
      rateLimitRpm: null,
      updatedAt: null,
    });
  });

  it('answers a key without policies:read with 403 FORBIDDEN', async () => {
    const { key } = await org('list forbidden');
    const agentsOnly = await keyWith(t(), key, ['agents:read']);
    const res = await t().call<ErrorBody>('GET', '/api/vendors', undefined, { key: agentsOnly });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'FORBIDDEN', requiredPermission: 'policies:read' });
  });
});

describe('GET /api/vendors/:vendor', () => {
  it('answers one vendor, named case-insensitively', async () => {
    const { key } = await org('get');
    const res = await t().call('GET', '/api/vendors/Anthropic', undefined, { key });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      success: true,
      vendor: {
        vendor: 'anthropic',
        name: 'Anthropic',
        enabled: true,
        rateLimitRpm: null,
        updatedAt: null,
      },
    });
  });

  it('answers 404 NOT_FOUND for a vendor that is not one of the six', async () => {
    const { key } = await org('get unknown');
    const res = await t().call<ErrorBody>('GET', '/api/vendors/acme', undefined, { key });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ success: false, code: 'NOT_FOUND' });
  });
});

describe('PUT /api/vendors/:vendor', () => {
  it('stores a rate limit and a disabled flag and answers the vendor', async () => {
    const { key } = await org('put');
    const res = await at('2026-05-05T09:00:00.000Z', () =>
      t().call('PUT', '/api/vendors/openai', { enabled: false, rateLimitRpm: 120 }, { key }),
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      success: true,
      vendor: {
        vendor: 'openai',
        name: 'OpenAI',
        enabled: false,
        rateLimitRpm: 120,
        updatedAt: '2026-05-05T09:00:00.000Z',
      },
    });
    const got = await t().call<{ vendor: VendorView }>('GET', '/api/vendors/openai', undefined, {
      key,
    });
    expect(got.body.vendor).toEqual((res.body as { vendor: VendorView }).vendor);
  });

  it('changes only what is sent, and null lifts the rate limit', async () => {
    const { key } = await org('put partial');
    await t().call('PUT', '/api/vendors/google', { rateLimitRpm: 10 }, { key });
    await t().call('PUT', '/api/vendors/google', { enabled: false }, { key });
    const both = await t().call<{ vendor: VendorView }>('GET', '/api/vendors/google', undefined, {
      key,
    });
    expect(both.body.vendor).toMatchObject({ enabled: false, rateLimitRpm: 10 });
    const lifted = await t().call<{ vendor: VendorView }>(
      'PUT',
      '/api/vendors/google',
      { rateLimitRpm: null },
      { key },
    );
    expect(lifted.body.vendor).toMatchObject({ enabled: false, rateLimitRpm: null });
  });

  it('audits vendor.updated with before and after and bumps the policy version on each write', async () => {
    const { key, orgId, keyId } = await org('put audit');
    const v0 = await policyVersion(t(), orgId);
    await at('2026-05-05T09:00:00.000Z', () =>
      t().call('PUT', '/api/vendors/cohere', { rateLimitRpm: 30 }, { key }),
    );
    expect(await policyVersion(t(), orgId)).toBe(v0 + 1);
    await at('2026-05-05T09:01:00.000Z', () =>
      t().call('PUT', '/api/vendors/cohere', { enabled: false }, { key }),
    );
    expect(await policyVersion(t(), orgId)).toBe(v0 + 2);
    const events = await auditEvents(orgId, 'vendor');
    expect(events).toEqual([
      {
        event_type: 'vendor.updated',
        actor: `key:${keyId}`,
        entity_id: 'cohere',
        metadata: {
          vendor: 'cohere',
          before: { enabled: true, rateLimitRpm: null },
          after: { enabled: true, rateLimitRpm: 30 },
        },
      },
      {
        event_type: 'vendor.updated',
        actor: `key:${keyId}`,
        entity_id: 'cohere',
        metadata: {
          vendor: 'cohere',
          before: { enabled: true, rateLimitRpm: 30 },
          after: { enabled: false, rateLimitRpm: 30 },
        },
      },
    ]);
  });

  it('writes nothing for a PUT that changes nothing', async () => {
    const { key, orgId } = await org('put noop');
    const v0 = await policyVersion(t(), orgId);
    const res = await t().call<{ vendor: VendorView }>(
      'PUT',
      '/api/vendors/perplexity',
      { enabled: true, rateLimitRpm: null },
      { key },
    );
    expect(res.status).toBe(200);
    expect(res.body.vendor).toMatchObject({ enabled: true, rateLimitRpm: null, updatedAt: null });
    expect(await policyVersion(t(), orgId)).toBe(v0);
    expect(await auditEvents(orgId, 'vendor')).toEqual([]);
    expect(await t().sql('select 1 from vendor_setting where org_id = ?', [orgId])).toEqual([]);
  });

  it('serializes concurrent updates: each audit event’s before is the previous one’s after', async () => {
    const { key, orgId } = await org('put race');
    const limits = [11, 12, 13, 14, 15];
    const results = await Promise.all(
      limits.map((rpm) => t().call('PUT', '/api/vendors/openai', { rateLimitRpm: rpm }, { key })),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const events = await t().sql<{ metadata: { before: { rateLimitRpm: number | null } } }>(
      `select metadata from audit_event where org_id = ? and entity_type = 'vendor'`,
      [orgId],
    );
    const befores = events.map((e) => e.metadata.before.rateLimitRpm);
    // One write started from nothing, every other from a value another write left.
    expect(befores.filter((b) => b === null)).toHaveLength(1);
    expect(new Set(befores).size).toBe(limits.length);
  });

  it.each([
    [{ rateLimitRpm: 0 }, 'rateLimitRpm'],
    [{ rateLimitRpm: 1_000_001 }, 'rateLimitRpm'],
    [{ rateLimitRpm: 2.5 }, 'rateLimitRpm'],
    [{ rateLimitRpm: '60' }, 'rateLimitRpm'],
    [{ enabled: 'no' }, 'enabled'],
    [{ name: 'OpenAI 2' }, 'name'],
  ])('refuses %j with 422 naming %s', async (body, field) => {
    const { key, orgId } = await org('put validation');
    const res = await t().call<ErrorBody>('PUT', '/api/vendors/openai', body, { key });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: 'VALIDATION_ERROR', field });
    expect(await t().sql('select 1 from vendor_setting where org_id = ?', [orgId])).toEqual([]);
  });

  it('answers 404 for an unknown vendor', async () => {
    const { key } = await org('put unknown');
    const res = await t().call<ErrorBody>('PUT', '/api/vendors/acme', { enabled: false }, { key });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('NOT_FOUND');
  });

  it('answers a key with only policies:read with 403 FORBIDDEN', async () => {
    const { key, orgId } = await org('put forbidden');
    const readOnly = await keyWith(t(), key, ['policies:read']);
    const res = await t().call<ErrorBody>(
      'PUT',
      '/api/vendors/openai',
      { enabled: false },
      { key: readOnly },
    );
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'FORBIDDEN', requiredPermission: 'policies:write' });
    expect(await t().sql('select 1 from vendor_setting where org_id = ?', [orgId])).toEqual([]);
  });
});

describe('price overrides', () => {
  it('creates an override with its prices and dates, and lists it', async () => {
    const { key } = await org('override create');
    const res = await at('2026-05-05T10:00:00.000Z', () =>
      createOverride(key, 'openai', {
        model: 'gpt-4o*',
        inputPerMtokUsd: 1.5,
        outputPerMtokUsd: 6,
        effectiveFrom: '2026-06-01',
        effectiveTo: '2026-07-01T00:00:00+02:00',
      }),
    );
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      success: true,
      override: {
        id: expect.stringMatching(/^po_[A-Za-z0-9]{16}$/) as unknown,
        vendor: 'openai',
        model: 'gpt-4o*',
        inputPerMtokUsd: 1.5,
        outputPerMtokUsd: 6,
        cacheReadPerMtokUsd: null,
        cacheWritePerMtokUsd: null,
        perRequestUsd: null,
        effectiveFrom: '2026-06-01T00:00:00.000Z',
        effectiveTo: '2026-06-30T22:00:00.000Z',
        createdAt: '2026-05-05T10:00:00.000Z',
      },
    });
    const list = await t().call('GET', '/api/vendors/openai/price-overrides', undefined, { key });
    expect(list.status).toBe(200);
    expect(list.body).toEqual({
      success: true,
      vendor: 'openai',
      overrides: [res.body.override],
      count: 1,
    });
    const other = await t().call<{ count: number }>(
      'GET',
      '/api/vendors/anthropic/price-overrides',
      undefined,
      { key },
    );
    expect(other.body.count).toBe(0);
  });

  it('starts an override now when effectiveFrom is omitted', async () => {
    const { key } = await org('override default from');
    const res = await at('2026-05-05T10:00:00.000Z', () =>
      createOverride(key, 'mistral', { model: 'in-house-7b', perRequestUsd: 0.01 }),
    );
    expect(res.body.override).toMatchObject({
      effectiveFrom: '2026-05-05T10:00:00.000Z',
      effectiveTo: null,
      perRequestUsd: 0.01,
    });
  });

  it.each([
    [{ inputPerMtokUsd: 1 }, 'model'],
    [{ model: '', inputPerMtokUsd: 1 }, 'model'],
    [{ model: 'gpt-4o' }, 'inputPerMtokUsd'],
    [{ model: 'gpt-4o', inputPerMtokUsd: -1 }, 'inputPerMtokUsd'],
    [{ model: 'gpt-4o', outputPerMtokUsd: '2' }, 'outputPerMtokUsd'],
    [{ model: 'gpt-4o', cacheReadPerMtokUsd: 1e9 }, 'cacheReadPerMtokUsd'],
    [{ model: 'gpt-4o', inputPerMtokUsd: 1, effectiveFrom: 'soon' }, 'effectiveFrom'],
    [{ model: 'gpt-4o', inputPerMtokUsd: 1, effectiveFrom: '2026-02-30' }, 'effectiveFrom'],
    [
      {
        model: 'gpt-4o',
        inputPerMtokUsd: 1,
        effectiveFrom: '2026-06-01',
        effectiveTo: '2026-06-01',
      },
      'effectiveTo',
    ],
    [{ model: 'gpt-4o', inputPerMtokUsd: 1, currency: 'EUR' }, 'currency'],
  ])('refuses %j with 422 naming %s', async (body, field) => {
    const { key, orgId } = await org('override validation');
    const res = await createOverride(key, 'openai', body);
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: 'VALIDATION_ERROR', field });
    expect(await t().sql('select 1 from price_override where org_id = ?', [orgId])).toEqual([]);
  });

  it('answers 404 for an unknown vendor', async () => {
    const { key } = await org('override unknown vendor');
    const res = await createOverride(key, 'acme', { model: 'x', inputPerMtokUsd: 1 });
    expect(res.status).toBe(404);
    const list = await t().call('GET', '/api/vendors/acme/price-overrides', undefined, { key });
    expect(list.status).toBe(404);
  });

  it('answers keys without policies:write / policies:read with 403 FORBIDDEN', async () => {
    const { key } = await org('override forbidden');
    const readOnly = await keyWith(t(), key, ['policies:read']);
    const created = await createOverride(readOnly, 'openai', { model: 'x', inputPerMtokUsd: 1 });
    expect(created.status).toBe(403);
    expect(created.body).toMatchObject({ requiredPermission: 'policies:write' });
    const agentsOnly = await keyWith(t(), key, ['agents:read']);
    const list = await t().call<ErrorBody>(
      'GET',
      '/api/vendors/openai/price-overrides',
      undefined,
      { key: agentsOnly },
    );
    expect(list.status).toBe(403);
    expect(list.body).toMatchObject({ code: 'FORBIDDEN', requiredPermission: 'policies:read' });
  });

  it('deletes an override and answers id and deleted', async () => {
    const { key } = await org('override delete');
    const { override } = (await createOverride(key, 'openai', { model: 'x', inputPerMtokUsd: 1 }))
      .body;
    const res = await t().call(
      'DELETE',
      `/api/vendors/openai/price-overrides/${override.id}`,
      undefined,
      { key },
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true, id: override.id, deleted: true });
    const list = await t().call<{ count: number }>(
      'GET',
      '/api/vendors/openai/price-overrides',
      undefined,
      { key },
    );
    expect(list.body.count).toBe(0);
    const again = await t().call(
      'DELETE',
      `/api/vendors/openai/price-overrides/${override.id}`,
      undefined,
      { key },
    );
    expect(again.status).toBe(404);
  });

  it('answers 404 for another org’s override, or under another vendor, deleting nothing', async () => {
    const a = await org('override delete a');
    const b = await org('override delete b');
    const { override } = (await createOverride(a.key, 'openai', { model: 'x', inputPerMtokUsd: 1 }))
      .body;
    const cross = await t().call<ErrorBody>(
      'DELETE',
      `/api/vendors/openai/price-overrides/${override.id}`,
      undefined,
      { key: b.key },
    );
    expect(cross.status).toBe(404);
    expect(cross.body.code).toBe('NOT_FOUND');
    const wrongVendor = await t().call(
      'DELETE',
      `/api/vendors/anthropic/price-overrides/${override.id}`,
      undefined,
      { key: a.key },
    );
    expect(wrongVendor.status).toBe(404);
    const readOnly = await keyWith(t(), a.key, ['policies:read']);
    const forbidden = await t().call(
      'DELETE',
      `/api/vendors/openai/price-overrides/${override.id}`,
      undefined,
      { key: readOnly },
    );
    expect(forbidden.status).toBe(403);
    expect(await t().sql('select 1 from price_override where id = ?', [override.id])).toHaveLength(
      1,
    );
  });

  it('audits price_override.created and .deleted and bumps the policy version on each', async () => {
    const { key, orgId, keyId } = await org('override audit');
    const v0 = await policyVersion(t(), orgId);
    const { override } = (
      await createOverride(key, 'anthropic', { model: 'claude-*', outputPerMtokUsd: 10 })
    ).body;
    expect(await policyVersion(t(), orgId)).toBe(v0 + 1);
    await t().call('DELETE', `/api/vendors/anthropic/price-overrides/${override.id}`, undefined, {
      key,
    });
    expect(await policyVersion(t(), orgId)).toBe(v0 + 2);
    const events = await auditEvents(orgId, 'price_override');
    expect(events.map((e) => [e.event_type, e.actor, e.entity_id])).toEqual([
      ['price_override.created', `key:${keyId}`, override.id],
      ['price_override.deleted', `key:${keyId}`, override.id],
    ]);
    for (const e of events) {
      expect(e.metadata).toMatchObject({
        vendor: 'anthropic',
        model: 'claude-*',
        outputPerMtokUsd: 10,
      });
    }
  });

  it('loads the org’s overrides in the engine’s form, which estimateCost then applies', async () => {
    const { key, orgId } = await org('override engine');
    await createOverride(key, 'openai', {
      model: 'gpt-4o*',
      inputPerMtokUsd: 1,
      outputPerMtokUsd: 2,
      effectiveFrom: '2026-06-01T00:00:00Z',
    });
    await createOverride(key, 'openai', {
      model: 'gpt-4o*',
      inputPerMtokUsd: 0.5,
      effectiveFrom: '2026-09-01T00:00:00Z',
      effectiveTo: '2026-10-01T00:00:00Z',
    });
    const em = t().server.core.orm.em.fork();
    const overrides = await loadPriceOverrides(em, orgId);
    expect(overrides).toEqual([
      {
        vendor: 'openai',
        model: 'gpt-4o*',
        effectiveFrom: '2026-06-01T00:00:00.000Z',
        effectiveTo: null,
        inputPerMtokUsd: 1,
        outputPerMtokUsd: 2,
      },
      {
        vendor: 'openai',
        model: 'gpt-4o*',
        effectiveFrom: '2026-09-01T00:00:00.000Z',
        effectiveTo: '2026-10-01T00:00:00.000Z',
        inputPerMtokUsd: 0.5,
      },
    ]);
    const cost = (when: string) =>
      estimateCost('openai', 'gpt-4o', { inputTokens: 1_000_000 }, { at: when, overrides })
        .costMicros;
    expect(cost('2026-07-01T00:00:00Z')).toBe(100 * 1_000_000);
    expect(cost('2026-09-15T00:00:00Z')).toBe(50 * 1_000_000);
    expect(cost('2026-10-15T00:00:00Z')).toBe(100 * 1_000_000);
    expect(await loadPriceOverrides(em, (await org('override engine other')).orgId)).toEqual([]);
  });
});

describe('GET /api/vendors/:vendor/prices', () => {
  it('lists the vendor’s models from the pinned price data with their per-Mtok prices', async () => {
    const { key } = await org('prices');
    const res = await t().call<PricesBody>(
      'GET',
      '/api/vendors/openai/prices?at=2026-05-05T00:00:00Z',
      undefined,
      { key },
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      success: true,
      vendor: 'openai',
      at: '2026-05-05T00:00:00.000Z',
      priceVersion: PRICE_DATA_VERSION,
      overrides: [],
    });
    expect(res.body.models.length).toBeGreaterThan(10);
    expect(res.body.models.find((m) => m.model === 'gpt-4o-mini')).toMatchObject({
      inputPerMtokUsd: 0.15,
      outputPerMtokUsd: 0.6,
      cacheReadPerMtokUsd: 0.075,
      source: PRICE_DATA_VERSION,
      overriddenBy: null,
    });
  });

  it('shows the price table at the instant asked for, defaulting to now', async () => {
    const { key } = await org('prices at');
    const price = async (query: string) =>
      (
        await t().call<PricesBody>('GET', `/api/vendors/mistral/prices${query}`, undefined, {
          key,
        })
      ).body.models.find((m) => m.model === 'ministral-8b-latest')?.inputPerMtokUsd;
    expect(await price('?at=2025-12-01')).toBe(0.1);
    expect(await price('?at=2025-12-02')).toBe(0.15);
    const now = await at('2025-11-01T00:00:00.000Z', () =>
      t().call<PricesBody>('GET', '/api/vendors/mistral/prices', undefined, { key }),
    );
    expect(now.body.at).toBe('2025-11-01T00:00:00.000Z');
  });

  it('adds the org’s overrides in force at that instant, and marks the models they price', async () => {
    const { key } = await org('prices overrides');
    const old = (
      await createOverride(key, 'openai', {
        model: 'gpt-4o*',
        inputPerMtokUsd: 1,
        effectiveFrom: '2026-01-01T00:00:00Z',
      })
    ).body.override;
    const newer = (
      await createOverride(key, 'openai', {
        model: 'gpt-4o-mini',
        inputPerMtokUsd: 0.1,
        effectiveFrom: '2026-03-01T00:00:00Z',
      })
    ).body.override;
    await createOverride(key, 'openai', {
      model: '*',
      inputPerMtokUsd: 9,
      effectiveFrom: '2027-01-01T00:00:00Z',
    });
    const res = await t().call<PricesBody>(
      'GET',
      '/api/vendors/openai/prices?at=2026-04-01T00:00:00Z',
      undefined,
      { key },
    );
    expect(res.body.overrides).toEqual([
      { ...newer, source: 'override' },
      { ...old, source: 'override' },
    ]);
    const row = (id: string) => res.body.models.find((m) => m.model === id);
    // The latest override that started wins, as in estimateCost.
    expect(row('gpt-4o-mini')?.overriddenBy).toBe(newer.id);
    expect(row('gpt-4o')?.overriddenBy).toBe(old.id);
    expect(row('gpt-4.1')?.overriddenBy ?? null).toBeNull();
    // The table rows themselves stay the genai-prices figures.
    expect(row('gpt-4o-mini')).toMatchObject({ inputPerMtokUsd: 0.15, source: PRICE_DATA_VERSION });
    const before = await t().call<PricesBody>(
      'GET',
      '/api/vendors/openai/prices?at=2025-12-31T23:59:59Z',
      undefined,
      { key },
    );
    expect(before.body.overrides).toEqual([]);
  });

  it('refuses a bad instant or an unknown parameter with 422, and an unknown vendor with 404', async () => {
    const { key } = await org('prices bad');
    const bad = await t().call<ErrorBody>(
      'GET',
      '/api/vendors/openai/prices?at=yesterday',
      undefined,
      {
        key,
      },
    );
    expect(bad.status).toBe(422);
    expect(bad.body.field).toBe('at');
    const unknown = await t().call<ErrorBody>(
      'GET',
      '/api/vendors/openai/prices?model=x',
      undefined,
      {
        key,
      },
    );
    expect(unknown.status).toBe(422);
    expect(unknown.body.field).toBe('model');
    const vendor = await t().call<ErrorBody>('GET', '/api/vendors/acme/prices', undefined, { key });
    expect(vendor.status).toBe(404);
  });

  it('answers a key without policies:read with 403 FORBIDDEN', async () => {
    const { key } = await org('prices forbidden');
    const agentsOnly = await keyWith(t(), key, ['agents:read']);
    const res = await t().call<ErrorBody>('GET', '/api/vendors/openai/prices', undefined, {
      key: agentsOnly,
    });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('FORBIDDEN');
  });
});

describe('vendors over tRPC', () => {
  it('reads and writes settings, prices and overrides through the same services as REST', async () => {
    const { key, orgId } = await org('trpc');
    const client = trpc(key);
    expect((await client.vendors.list.query()).count).toBe(6);
    const updated = await client.vendors.update.mutate({ vendor: 'openai', rateLimitRpm: 5 });
    expect(updated.vendor).toMatchObject({ vendor: 'openai', rateLimitRpm: 5, enabled: true });
    expect((await client.vendors.get.query({ vendor: 'openai' })).vendor.rateLimitRpm).toBe(5);
    const { override } = await client.vendors.createOverride.mutate({
      vendor: 'openai',
      model: 'gpt-4o',
      inputPerMtokUsd: 2,
      effectiveFrom: '2026-01-01T00:00:00Z',
    });
    expect((await client.vendors.listOverrides.query({ vendor: 'openai' })).overrides).toEqual([
      override,
    ]);
    const prices = await client.vendors.prices.query({
      vendor: 'openai',
      at: '2026-02-01T00:00:00Z',
    });
    expect(prices.models.find((m) => m.model === 'gpt-4o')?.overriddenBy).toBe(override.id);
    expect(
      await client.vendors.deleteOverride.mutate({ vendor: 'openai', id: override.id }),
    ).toEqual({ id: override.id, deleted: true });
    expect((await auditEvents(orgId, 'price_override')).map((e) => e.event_type)).toEqual([
      'price_override.created',
      'price_override.deleted',
    ]);
  });

  it('carries VALIDATION_ERROR naming the field, and NOT_FOUND for an unknown vendor', async () => {
    const { key } = await org('trpc errors');
    const client = trpc(key);
    const bad = await client.vendors.update
      .mutate({ vendor: 'openai', rateLimitRpm: 0 })
      .catch((e: unknown) => e);
    expect(reinsError(bad)).toMatchObject({ code: 'VALIDATION_ERROR', field: 'rateLimitRpm' });
    const unknown = await client.vendors.get
      .query({ vendor: 'acme' as 'openai' })
      .catch((e: unknown) => e);
    expect(reinsError(unknown)).toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('prompt-cache tokens', () => {
  const cost = (usage: Parameters<typeof estimateCost>[2]) => {
    const est = estimateCost('anthropic', 'claude-sonnet-4-6', usage, { at: Date.now() });
    if (!est.known) throw new Error('claude-sonnet-4-6 has no price');
    return est.costMicros;
  };

  it('prices cache reads and writes at their own rates, on submit and on settle', async () => {
    const s = t();
    const org = await s.newOrg('cache-tokens');
    const usage = { inputTokens: 10_000, outputTokens: 500, cacheReadTokens: 8_000 };
    const res = await s.call<{ id: string; amountMicros?: number }>(
      'POST',
      '/api/v1/transactions',
      {
        vendor: 'anthropic',
        model: 'claude-sonnet-4-6',
        tokensIn: 10_000,
        tokensOut: 500,
        cacheReadTokens: 8_000,
      },
      { key: org.key },
    );
    expect(res.status, res.text).toBe(202);
    const tx = await s.call<{ transaction: { amountMicros: number } }>(
      'GET',
      `/api/v1/transactions/${res.body.id}`,
      undefined,
      { key: org.key },
    );
    expect(tx.body.transaction.amountMicros).toBe(cost(usage));
    expect(tx.body.transaction.amountMicros).toBeLessThan(
      cost({ inputTokens: 10_000, outputTokens: 500 }),
    );

    const reserved = await s.call<{ id: string }>(
      'POST',
      '/api/v1/transactions',
      {
        vendor: 'anthropic',
        model: 'claude-sonnet-4-6',
        tokensIn: 10_000,
        tokensOut: 1000,
        phase: 'reserve',
      },
      { key: org.key },
    );
    expect(reserved.status, reserved.text).toBe(202);
    const written = { inputTokens: 10_000, outputTokens: 400, cacheWriteTokens: 6_000 };
    const settled = await s.call<{ amountMicros: number }>(
      'POST',
      `/api/v1/transactions/${reserved.body.id}/settle`,
      { tokensIn: 10_000, tokensOut: 400, cacheWriteTokens: 6_000 },
      { key: org.key },
    );
    expect(settled.status, settled.text).toBe(200);
    const after = await s.call<{ transaction: { amountMicros: number } }>(
      'GET',
      `/api/v1/transactions/${reserved.body.id}`,
      undefined,
      { key: org.key },
    );
    expect(after.body.transaction.amountMicros).toBe(cost(written));
  });

  it('refuses more cache tokens than input tokens, naming the field', async () => {
    const s = t();
    const org = await s.newOrg('cache-tokens-invalid');
    const res = await s.call<ErrorBody>(
      'POST',
      '/api/v1/transactions',
      { vendor: 'openai', model: 'gpt-4o', tokensIn: 100, tokensOut: 10, cacheReadTokens: 200 },
      { key: org.key },
    );
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: 'VALIDATION_ERROR', field: 'cacheReadTokens' });
  });
});
