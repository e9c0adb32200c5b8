/**
 * Vendors: the six AI providers, each org's settings for them (enabled, requests per minute), the
 * pinned price table and the org's own price overrides. This module stores and serves settings;
 * the transaction hot path enforces them (it caches them per policy version, so every write here
 * bumps the version in the same database transaction).
 */
import { PriceOverride as PriceOverrideRow, VendorSetting } from '@reins/db';
import {
  findOverride,
  listModelPrices,
  PRICE_DATA_VERSION,
  VENDORS as VENDOR_IDS,
  type ModelPrice,
  type PriceOverride,
  type Vendor,
} from '@reins/engine';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Ctx } from '../core.js';
import { NotFound, ValidationError } from '../errors.js';
import { randomBase62 } from '@reins/ledger';
import { parseInput } from '../schemas/common.js';
import {
  createPriceOverrideInput,
  PRICE_FIELDS,
  updateVendorInput,
  vendorPricesInput,
  type PriceField,
} from '../schemas/vendors.js';
import { audit } from './audit.js';
import { requirePermission } from './auth.js';
import { beginPolicyChange } from './policyChange.js';

const NAMES: Readonly<Record<Vendor, string>> = {
  openai: 'OpenAI',
  anthropic: 'Anthropic',
  google: 'Google',
  cohere: 'Cohere',
  mistral: 'Mistral',
  perplexity: 'Perplexity',
};

/** The six vendors, always present whether or not an org has settings for them. */
export const VENDORS: readonly { readonly id: Vendor; readonly name: string }[] = VENDOR_IDS.map(
  (id) => ({ id, name: NAMES[id] }),
);

export interface VendorView {
  vendor: Vendor;
  name: string;
  enabled: boolean;
  /** Requests per minute for the whole organization; null = unlimited. */
  rateLimitRpm: number | null;
  /** null: never configured (enabled, unlimited). */
  updatedAt: string | null;
}

/** A vendor named in a path: case-insensitive; one that is not among the six is not found. */
function vendorOf(raw: string): Vendor {
  const v = raw.trim().toLowerCase();
  const found = VENDOR_IDS.find((id) => id === v);
  if (!found) throw new NotFound('Vendor', raw);
  return found;
}

function vendorView(vendor: Vendor, row: VendorSetting | null): VendorView {
  return {
    vendor,
    name: NAMES[vendor],
    enabled: row ? row.enabled : true,
    rateLimitRpm: row?.rateLimitRpm ?? null,
    updatedAt: row ? row.updatedAt.toISOString() : null,
  };
}

export async function listVendors(ctx: Ctx): Promise<{ vendors: VendorView[]; count: number }> {
  requirePermission(ctx, 'policies:read');
  const rows = await ctx.em.find(VendorSetting, { orgId: ctx.orgId });
  const byVendor = new Map(rows.map((r) => [r.vendor, r]));
  const vendors = VENDORS.map((v) => vendorView(v.id, byVendor.get(v.id) ?? null));
  return { vendors, count: vendors.length };
}

export async function getVendor(ctx: Ctx, rawVendor: string): Promise<{ vendor: VendorView }> {
  requirePermission(ctx, 'policies:read');
  const vendor = vendorOf(rawVendor);
  const row = await ctx.em.findOne(VendorSetting, { orgId: ctx.orgId, vendor });
  return { vendor: vendorView(vendor, row) };
}

export async function updateVendor(
  ctx: Ctx,
  rawVendor: string,
  raw: unknown,
): Promise<{ vendor: VendorView }> {
  requirePermission(ctx, 'policies:write');
  const vendor = vendorOf(rawVendor);
  const input = parseInput(updateVendorInput, raw);
  const now = new Date(ctx.core.clock());
  const view = await ctx.em.transactional(async (em) => {
    const change = await beginPolicyChange(em, ctx.orgId, ctx.core.clock());
    // Make sure the row exists, then lock it: concurrent first updates serialize on the row
    // instead of racing to insert it, and each audits the state it actually replaced.
    const inserted = await em.getConnection().execute<{ vendor: string }[]>(
      `insert into vendor_setting (org_id, vendor, enabled, rate_limit_rpm, created_at, updated_at)
         values (?, ?, true, null, ?, ?) on conflict do nothing returning vendor`,
      [ctx.orgId, vendor, now, now],
      'all',
      em.getTransactionContext(),
    );
    const row = await em.findOneOrFail(
      VendorSetting,
      { orgId: ctx.orgId, vendor },
      { lockMode: LockMode.PESSIMISTIC_WRITE },
    );
    const before = vendorView(vendor, inserted.length === 1 ? null : row);
    const after: VendorView = {
      ...before,
      ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
      ...(input.rateLimitRpm !== undefined ? { rateLimitRpm: input.rateLimitRpm } : {}),
    };
    if (after.enabled === before.enabled && after.rateLimitRpm === before.rateLimitRpm) {
      // Nothing changes: no event, no new policy version, and no row where there was none.
      if (inserted.length === 1) await em.nativeDelete(VendorSetting, { orgId: ctx.orgId, vendor });
      return before;
    }
    // Native, so that updatedAt is the server clock's rather than the unit of work's wall clock.
    await em.nativeUpdate(
      VendorSetting,
      { orgId: ctx.orgId, vendor },
      { enabled: after.enabled, rateLimitRpm: after.rateLimitRpm, updatedAt: now },
    );
    const changed = { ...after, updatedAt: now.toISOString() };
    await audit(em, {
      orgId: ctx.orgId,
      eventType: 'vendor.updated',
      actor: ctx.actor,
      entityType: 'vendor',
      entityId: vendor,
      occurredAt: now,
      metadata: {
        vendor,
        before: { enabled: before.enabled, rateLimitRpm: before.rateLimitRpm },
        after: { enabled: after.enabled, rateLimitRpm: after.rateLimitRpm },
      },
    });
    await change.commit();
    return changed;
  });
  return { vendor: view };
}

// ---------------------------------------------------------------------------------------------
// Price overrides

export interface PriceOverrideView {
  id: string;
  vendor: string;
  model: string;
  /** Dollars per million tokens / per request; null = not overridden (see `estimateCost`). */
  inputPerMtokUsd: number | null;
  outputPerMtokUsd: number | null;
  cacheReadPerMtokUsd: number | null;
  cacheWritePerMtokUsd: number | null;
  perRequestUsd: number | null;
  effectiveFrom: string;
  effectiveTo: string | null;
  createdAt: string;
}

function priceOf(row: PriceOverrideRow, field: PriceField): number | null {
  const v = row.prices[field];
  return typeof v === 'number' ? v : null;
}

function overrideView(row: PriceOverrideRow): PriceOverrideView {
  return {
    id: row.id,
    vendor: row.vendor,
    model: row.model,
    inputPerMtokUsd: priceOf(row, 'inputPerMtokUsd'),
    outputPerMtokUsd: priceOf(row, 'outputPerMtokUsd'),
    cacheReadPerMtokUsd: priceOf(row, 'cacheReadPerMtokUsd'),
    cacheWritePerMtokUsd: priceOf(row, 'cacheWritePerMtokUsd'),
    perRequestUsd: priceOf(row, 'perRequestUsd'),
    effectiveFrom: row.effectiveFrom.toISOString(),
    effectiveTo: row.effectiveTo ? row.effectiveTo.toISOString() : null,
    createdAt: row.createdAt.toISOString(),
  };
}

/** An override row in the engine's form: prices only where the org set them. */
function toEngine(row: PriceOverrideRow): PriceOverride {
  const o: PriceOverride = {
    vendor: row.vendor,
    model: row.model,
    effectiveFrom: row.effectiveFrom.toISOString(),
    effectiveTo: row.effectiveTo ? row.effectiveTo.toISOString() : null,
  };
  for (const f of PRICE_FIELDS) {
    const v = priceOf(row, f);
    if (v !== null) o[f] = v;
  }
  return o;
}

function findOverrideRows(
  em: EntityManager,
  orgId: string,
  vendor?: Vendor,
): Promise<PriceOverrideRow[]> {
  return em.find(
    PriceOverrideRow,
    { orgId, ...(vendor ? { vendor } : {}) },
    { orderBy: { effectiveFrom: 'asc', createdAt: 'asc', id: 'asc' } },
  );
}

/**
 * The org's price overrides in the engine's form, for `estimateCost(…, {overrides})`: all of
 * them, past and future (the engine picks the one in force at a transaction's own instant).
 */
export async function loadPriceOverrides(
  em: EntityManager,
  orgId: string,
): Promise<PriceOverride[]> {
  return (await findOverrideRows(em, orgId)).map(toEngine);
}

export async function listPriceOverrides(
  ctx: Ctx,
  rawVendor: string,
): Promise<{ vendor: Vendor; overrides: PriceOverrideView[]; count: number }> {
  requirePermission(ctx, 'policies:read');
  const vendor = vendorOf(rawVendor);
  const overrides = (await findOverrideRows(ctx.em, ctx.orgId, vendor)).map(overrideView);
  return { vendor, overrides, count: overrides.length };
}

/**
 * Creates an override. It prices transactions recorded from now on whose own instant falls in
 * [effectiveFrom, effectiveTo) — a back-dated one included. Transactions already recorded keep
 * the cost and price reference stored with them: a price change never rewrites the past.
 */
export async function createPriceOverride(
  ctx: Ctx,
  rawVendor: string,
  raw: unknown,
): Promise<{ override: PriceOverrideView }> {
  requirePermission(ctx, 'policies:write');
  const vendor = vendorOf(rawVendor);
  const input = parseInput(createPriceOverrideInput, raw);
  const now = new Date(ctx.core.clock());
  const effectiveFrom = input.effectiveFrom ? new Date(input.effectiveFrom) : now;
  const effectiveTo = input.effectiveTo ? new Date(input.effectiveTo) : null;
  if (effectiveTo && effectiveTo <= effectiveFrom) {
    throw ValidationError.of(
      'effectiveTo',
      `must be after effectiveFrom (${effectiveFrom.toISOString()})`,
    );
  }
  const prices: Partial<Record<PriceField, number>> = {};
  for (const f of PRICE_FIELDS) {
    const v = input[f];
    if (v !== undefined) prices[f] = v;
  }
  const override = await ctx.em.transactional(async (em) => {
    const change = await beginPolicyChange(em, ctx.orgId, ctx.core.clock());
    const row = em.create(PriceOverrideRow, {
      // `newId` has no prefix for overrides; the same 16 base62 characters (~95 bits).
      id: `po_${randomBase62(16)}`,
      orgId: ctx.orgId,
      vendor,
      model: input.model,
      prices,
      effectiveFrom,
      effectiveTo,
      createdAt: now,
    });
    const view = overrideView(row);
    await audit(em, {
      orgId: ctx.orgId,
      eventType: 'price_override.created',
      actor: ctx.actor,
      entityType: 'price_override',
      entityId: row.id,
      occurredAt: now,
      metadata: { ...view },
    });
    await change.commit();
    return view;
  });
  return { override };
}

export async function deletePriceOverride(
  ctx: Ctx,
  rawVendor: string,
  id: string,
): Promise<{ id: string; deleted: true }> {
  requirePermission(ctx, 'policies:write');
  const vendor = vendorOf(rawVendor);
  const now = new Date(ctx.core.clock());
  await ctx.em.transactional(async (em) => {
    const change = await beginPolicyChange(em, ctx.orgId, ctx.core.clock());
    const row = await em.findOne(PriceOverrideRow, { id, orgId: ctx.orgId, vendor });
    if (!row) throw new NotFound('Price override', id);
    const view = overrideView(row);
    em.remove(row);
    await audit(em, {
      orgId: ctx.orgId,
      eventType: 'price_override.deleted',
      actor: ctx.actor,
      entityType: 'price_override',
      entityId: id,
      occurredAt: now,
      // Deleting stops future pricing only; what was charged under it stays as recorded.
      metadata: { ...view },
    });
    await change.commit();
  });
  return { id, deleted: true };
}

// ---------------------------------------------------------------------------------------------
// The price table

export interface ModelPriceView extends ModelPrice {
  /** The id of the org override that prices this model instead at `at`, if any. */
  overriddenBy: string | null;
}

/**
 * The vendor's price table at `at` (default now) from the pinned price data, and the org's
 * overrides in force then. A model's `overriddenBy` names the override `estimateCost` would use
 * for a request naming exactly that model id.
 */
export async function getVendorPrices(
  ctx: Ctx,
  rawVendor: string,
  raw: unknown = {},
): Promise<{
  vendor: Vendor;
  at: string;
  priceVersion: string;
  models: ModelPriceView[];
  overrides: (PriceOverrideView & { source: 'override' })[];
}> {
  requirePermission(ctx, 'policies:read');
  const vendor = vendorOf(rawVendor);
  const q = parseInput(vendorPricesInput, raw);
  const at = q.at ?? new Date(ctx.core.clock()).toISOString();
  const atMs = Date.parse(at);
  const rows = await findOverrideRows(ctx.em, ctx.orgId, vendor);
  const inForce = rows.filter(
    (r) => r.effectiveFrom.getTime() <= atMs && (!r.effectiveTo || atMs < r.effectiveTo.getTime()),
  );
  const engineForm = new Map(inForce.map((r) => [toEngine(r), r.id]));
  const overrides = [...engineForm.keys()];
  const models = listModelPrices(vendor, atMs).map((m) => {
    const hit = findOverride(overrides, vendor, m.model, atMs);
    return { ...m, overriddenBy: hit ? (engineForm.get(hit) ?? null) : null };
  });
  return {
    vendor,
    at,
    priceVersion: PRICE_DATA_VERSION,
    models,
    // Latest start first: where two overlap for a model, the first listed wins (`findOverride`).
    overrides: inForce.map((r) => ({ ...overrideView(r), source: 'override' as const })).reverse(),
  };
}
