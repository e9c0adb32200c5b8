/**
 * A golden vector as an organization on a test server: its settings, agent, role, team and project
 * budgets, channels and
 * rules created over the API (at the vectors' createdAt), its window totals as counter rows.
 * Used by the server's HTTP vector test and by the SDK's local-evaluation test.
 */
import { isModelKnown, MICROS_PER_CENT, windowBounds, windowKey } from '@reins/engine';
import { vectorInput, type Vector } from '@reins/engine/vectors';
import type { TestServer } from './harness.js';

/** Why a vector cannot go through HTTP yet, or null when it can. */
export function unsupportedOverHttp(v: Vector): string | null {
  for (const budgets of Object.values(v.ctx.budgets?.agents ?? {})) {
    if (Object.keys(budgets ?? {}).some((period) => period !== 'monthly'))
      return 'the agent registry holds monthly budgets only';
  }
  const ties = new Set(
    v.rules.map(
      (r) => `${JSON.stringify((r.body as { priority?: unknown }).priority)}|${r.createdAt}`,
    ),
  );
  if (ties.size < v.rules.length)
    return 'rules tied on priority and createdAt are ordered by id, which the server assigns';
  const input = vectorInput(v);
  const known = isModelKnown(input.vendor, input.model, v.ctx.now);
  if (input.modelKnown !== undefined && input.modelKnown !== known)
    return 'the vector states a price-table answer the server derives itself';
  return null;
}

export interface SeededVector {
  orgId: string;
  key: string;
  /** The vector's `now`, epoch ms. */
  now: number;
  /** A server rule id → the vector's rule id. */
  mapId: (id: string | null) => string | null;
}

export async function seedVector(s: TestServer, v: Vector): Promise<SeededVector> {
  const org = await s.newOrg(v.name.slice(0, 60), {
    timeZone: v.ctx.timeZone ?? 'UTC',
    defaultAction: v.ctx.defaultAction ?? 'pass',
    hourlyBudgetCents: v.ctx.budgets?.org?.hourly ?? null,
    dailyBudgetCents: v.ctx.budgets?.org?.daily ?? null,
    weeklyBudgetCents: v.ctx.budgets?.org?.weekly ?? null,
    monthlyBudgetCents: v.ctx.budgets?.org?.monthly ?? null,
  });
  const opts = { key: org.key };

  // Agent budgets through the agent registry.
  for (const [agentId, budgets] of Object.entries(v.ctx.budgets?.agents ?? {})) {
    const res = await s.call(
      'POST',
      '/api/agents',
      { agentId, name: agentId, monthlyBudgetCents: budgets?.monthly ?? null },
      opts,
    );
    if (res.status !== 201) throw new Error(`agent ${agentId}: ${res.text}`);
  }
  // Role, team and project budgets through /api/budgets.
  const kinds = {
    roles: v.ctx.budgets?.roles,
    teams: v.ctx.budgets?.teams,
    projects: v.ctx.budgets?.projects,
  };
  for (const [kind, map] of Object.entries(kinds)) {
    for (const [id, budgets] of Object.entries(map ?? {})) {
      const body = Object.fromEntries(
        Object.entries(budgets ?? {}).map(([period, cents]) => [`${period}BudgetCents`, cents]),
      );
      const res = await s.call('PUT', `/api/budgets/${kind}/${encodeURIComponent(id)}`, body, opts);
      if (res.status !== 200) throw new Error(`budget ${kind}/${id}: ${res.text}`);
    }
  }
  // Notification channels the rules name, created for real (the server assigns their ids).
  const channelIds = new Map<string, string>();
  const withChannels = (body: unknown): unknown => {
    const b = body as Record<string, Record<string, unknown> | undefined>;
    const field = b.actionConfig ? 'actionConfig' : 'action_config';
    const config = b[field];
    const channels = config?.channels as string[] | undefined;
    if (!config || !channels) return body;
    return {
      ...b,
      [field]: { ...config, channels: channels.map((c) => channelIds.get(c) ?? c) },
    };
  };
  for (const r of v.rules) {
    const body = r.body as {
      actionConfig?: { channels?: string[] };
      action_config?: { channels?: string[] };
    };
    for (const c of [
      ...(body.actionConfig?.channels ?? []),
      ...(body.action_config?.channels ?? []),
    ]) {
      if (channelIds.has(c)) continue;
      const res = await s.call<{ channel: { id: string } }>(
        'POST',
        '/api/notification-channels',
        { name: c, type: 'webhook', url: 'https://hooks.example.com/reins' },
        opts,
      );
      if (res.status !== 201) throw new Error(`channel ${c}: ${res.text}`);
      channelIds.set(c, res.body.channel.id);
    }
  }

  // Rules, each created at its vector createdAt (order of equal priorities), ids mapped back.
  const toVectorId = new Map<string, string>();
  for (const r of [...v.rules].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt))) {
    s.clock.set(r.createdAt);
    const path = r.dialect === 'docs' ? '/api/policy-rules' : '/api/v1/rules';
    const res = await s.call<{ id: string }>('POST', path, withChannels(r.body), opts);
    if (res.status !== 201) throw new Error(`create ${r.id}: ${res.text}`);
    toVectorId.set(res.body.id, r.id);
  }
  const mapId = (id: string | null) => (id === null ? null : (toVectorId.get(id) ?? id));

  // Window totals as counter rows.
  const now = typeof v.ctx.now === 'number' ? v.ctx.now : Date.parse(v.ctx.now);
  const tz = v.ctx.timeZone ?? 'UTC';
  for (const w of v.windows ?? []) {
    const b = windowBounds(w.period, now, tz);
    await s.sql(
      `insert into window_counter (org_id, key, period, per, group_value, window_start,
         window_end, cost_micros, tokens_in, tokens_out, requests)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        org.orgId,
        windowKey(w.period, w.per, b.startIso, w.group),
        w.period,
        w.per,
        w.group,
        b.startIso,
        b.endIso,
        w.costMicros ?? (w.costCents ?? 0) * MICROS_PER_CENT,
        w.tokensIn ?? 0,
        w.tokensOut ?? 0,
        w.requests ?? 0,
      ],
    );
  }
  return { orgId: org.orgId, key: org.key, now, mapId };
}

/** The vector's transaction as a client sends it (JSON body of POST /api/v1/transactions). */
export function vectorBody(v: Vector): Record<string, unknown> {
  const input = vectorInput(v);
  const body: Record<string, unknown> = { vendor: input.vendor, amountMicros: input.amountMicros };
  for (const k of ['model', 'agentId', 'userId', 'teamId', 'projectId'] as const) {
    if (input[k] !== undefined && input[k] !== null) body[k] = input[k];
  }
  if (input.userRoles) body.userRoles = input.userRoles;
  if (input.tokensIn !== undefined) body.tokensIn = input.tokensIn;
  if (input.tokensOut !== undefined) body.tokensOut = input.tokensOut;
  if (input.metadata) body.metadata = input.metadata;
  return body;
}
