/**
 * The agent registry: per-org agents with a monthly budget and metadata. The hot path caches
 * agent budgets per policy version, so every write bumps it in the same database transaction.
 *
 * Transactions may name agents that were never registered (and `default` when they name none):
 * registering an agent adds a budget and a description, it is not a precondition for spending.
 */
import { Agent } from '@reins/db';
import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Ctx } from '../core.js';
import { Conflict, NotFound, ValidationError } from '../errors.js';
import { parseInput } from '../schemas/common.js';
import { createAgentInput, listAgentsInput, updateAgentInput } from '../schemas/agents.js';
import { audit } from './audit.js';
import { requirePermission } from './auth.js';
import { beginPolicyChange } from './policyChange.js';

export interface AgentView {
  agentId: string;
  name: string;
  description: string | null;
  vendor: string | null;
  monthlyBudgetCents: number | null;
  metadata: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export function agentView(a: Agent): AgentView {
  return {
    agentId: a.agentId,
    name: a.name,
    description: a.description ?? null,
    vendor: a.vendor ?? null,
    monthlyBudgetCents: a.monthlyBudgetCents ?? null,
    metadata: a.metadata,
    createdAt: a.createdAt.toISOString(),
    updatedAt: a.updatedAt.toISOString(),
  };
}

/** The fields a PUT may change, in the order the audit event lists them. */
const MUTABLE = ['name', 'description', 'vendor', 'monthlyBudgetCents', 'metadata'] as const;
type Mutable = (typeof MUTABLE)[number];

function alreadyExists(agentId: string): Conflict {
  return new Conflict('ALREADY_EXISTS', `Agent "${agentId}" already exists`, { agentId });
}

async function findAgent(em: EntityManager, orgId: string, agentId: string, lock = false) {
  const row = await em.findOne(
    Agent,
    { orgId, agentId },
    lock ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {},
  );
  if (!row) throw new NotFound('Agent', agentId);
  return row;
}

export async function createAgent(
  ctx: Ctx,
  raw: unknown,
): Promise<{ agentId: string; createdAt: string; agent: AgentView }> {
  requirePermission(ctx, 'agents:write');
  const input = parseInput(createAgentInput, raw);
  const now = new Date(ctx.core.clock());
  try {
    const agent = await ctx.em.transactional(async (em) => {
      const change = await beginPolicyChange(em, ctx.orgId, ctx.core.clock());
      if (await em.findOne(Agent, { orgId: ctx.orgId, agentId: input.agentId })) {
        throw alreadyExists(input.agentId);
      }
      const row = em.create(Agent, {
        orgId: ctx.orgId,
        agentId: input.agentId,
        name: input.name,
        description: input.description ?? null,
        vendor: input.vendor ?? null,
        monthlyBudgetCents: input.monthlyBudgetCents ?? null,
        metadata: input.metadata ?? {},
        createdAt: now,
        updatedAt: now,
      });
      const view = agentView(row);
      await audit(em, {
        orgId: ctx.orgId,
        eventType: 'agent.created',
        actor: ctx.actor,
        entityType: 'agent',
        entityId: row.agentId,
        occurredAt: now,
        metadata: {
          name: view.name,
          description: view.description,
          vendor: view.vendor,
          monthlyBudgetCents: view.monthlyBudgetCents,
          metadata: view.metadata,
        },
      });
      await change.commit();
      return view;
    });
    return { agentId: agent.agentId, createdAt: agent.createdAt, agent };
  } catch (err) {
    // Two concurrent registrations of one id: the loser's insert hits the primary key.
    if (err instanceof UniqueConstraintViolationException) throw alreadyExists(input.agentId);
    throw err;
  }
}

export async function listAgents(
  ctx: Ctx,
  raw: unknown = {},
): Promise<{ agents: AgentView[]; count: number }> {
  requirePermission(ctx, 'agents:read');
  const q = parseInput(listAgentsInput, raw);
  const rows = await ctx.em.find(
    Agent,
    { orgId: ctx.orgId, ...(q.vendor !== undefined ? { vendor: q.vendor } : {}) },
    { orderBy: { createdAt: 'asc', agentId: 'asc' } },
  );
  const agents = rows.map(agentView);
  return { agents, count: agents.length };
}

export async function getAgent(ctx: Ctx, agentId: string): Promise<{ agent: AgentView }> {
  requirePermission(ctx, 'agents:read');
  return { agent: agentView(await findAgent(ctx.em, ctx.orgId, agentId)) };
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export async function updateAgent(
  ctx: Ctx,
  agentId: string,
  raw: unknown,
): Promise<{ agentId: string; updatedAt: string; agent: AgentView }> {
  requirePermission(ctx, 'agents:write');
  const input = parseInput(updateAgentInput, raw);
  if (input.agentId !== undefined && input.agentId !== agentId) {
    throw ValidationError.of(
      'agentId',
      'cannot be changed; register a new agent and delete this one instead',
    );
  }
  const now = new Date(ctx.core.clock());
  const agent = await ctx.em.transactional(async (em) => {
    const change = await beginPolicyChange(em, ctx.orgId, ctx.core.clock());
    // Locked: two concurrent partial updates must not each overwrite the other's fields.
    const row = await findAgent(em, ctx.orgId, agentId, true);
    const before = agentView(row);
    const requested: Partial<Pick<AgentView, Mutable>> = {
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.vendor !== undefined ? { vendor: input.vendor } : {}),
      ...(input.monthlyBudgetCents !== undefined
        ? { monthlyBudgetCents: input.monthlyBudgetCents }
        : {}),
      ...(input.metadata !== undefined ? { metadata: input.metadata ?? {} } : {}),
    };
    const changes: Partial<Pick<AgentView, Mutable>> = {};
    const changed: Record<string, { before: unknown; after: unknown }> = {};
    for (const field of MUTABLE) {
      if (!(field in requested) || sameValue(requested[field], before[field])) continue;
      Object.assign(changes, { [field]: requested[field] });
      changed[field] = { before: before[field], after: requested[field] };
    }
    // Nothing to change is no change: no event, and caches keyed by the policy version stay warm.
    if (Object.keys(changes).length === 0) return before;
    // A native update, so that updatedAt is the server clock's (the unit of work would stamp it
    // with the wall clock) and the row is written once.
    await em.nativeUpdate(Agent, { orgId: ctx.orgId, agentId }, { ...changes, updatedAt: now });
    await audit(em, {
      orgId: ctx.orgId,
      eventType: 'agent.updated',
      actor: ctx.actor,
      entityType: 'agent',
      entityId: agentId,
      occurredAt: now,
      metadata: { changed },
    });
    await change.commit();
    return { ...before, ...changes, updatedAt: now.toISOString() };
  });
  return { agentId, updatedAt: agent.updatedAt, agent };
}

export async function deleteAgent(
  ctx: Ctx,
  agentId: string,
): Promise<{ agentId: string; deleted: true }> {
  requirePermission(ctx, 'agents:write');
  const now = new Date(ctx.core.clock());
  await ctx.em.transactional(async (em) => {
    const change = await beginPolicyChange(em, ctx.orgId, ctx.core.clock());
    const row = await findAgent(em, ctx.orgId, agentId, true);
    const { agentId: _id, ...was } = agentView(row);
    em.remove(row);
    await audit(em, {
      orgId: ctx.orgId,
      eventType: 'agent.deleted',
      actor: ctx.actor,
      entityType: 'agent',
      entityId: agentId,
      occurredAt: now,
      // What was deleted, so that the log alone can tell what budget stopped applying.
      metadata: was,
    });
    await change.commit();
  });
  return { agentId, deleted: true };
}
