/**
 * Policy rules in both dialects over one store: `/api/policy-rules` (docs dialect) and
 * `/api/v1/rules` (typed dialect) read and write the same canonical rules. Every change bumps the
 * organization's policy version in the same database transaction (see PolicyCache).
 */
import { PolicyRule } from '@reins/db';
import {
  budgetNeeds,
  compareRules,
  parseDocsRule,
  parseTypedRule,
  patchDocsRule,
  patchTypedRule,
  toDocsRule,
  toTypedRule,
  type BudgetNeed,
  type Budgets,
  type ParseResult,
  type Period,
  type Rule,
} from '@reins/engine';
import { sqlOf } from '@reins/ledger';
import { LockMode, type EntityManager } from '@mikro-orm/postgresql';
import type { Ctx } from '../core.js';
import { NotFound, ValidationError } from '../errors.js';
import { newId } from '@reins/ledger';
import { parseInput } from '../schemas/common.js';
import { listDocsRulesInput } from '../schemas/rules.js';
import { audit } from './audit.js';
import { assertChannelsExist } from './channels.js';
import { beginPolicyChange } from './policyChange.js';
import { requirePermission } from './auth.js';
import { policyBudgets } from '../recording/evaluation.js';

export type Dialect = 'docs' | 'typed';

/** Where each dialect carries a rule's notification channel ids. */
const CHANNELS_FIELD = { docs: 'actionConfig.channels', typed: 'action_config.channels' } as const;

function unwrap(r: ParseResult<Rule>): Rule {
  if (!r.ok) throw new ValidationError(r.issues);
  return r.value;
}

function ruleOf(row: PolicyRule): Rule {
  return row.definition as unknown as Rule;
}

/** A rule that waits for a budget (or needs a limit of its own) to ever match. */
export interface RuleWarning {
  code: 'BUDGET_MISSING' | 'LIMIT_MISSING';
  /** The budget to set: `org`, `agent`, `role`, `team`, `project`; `limit`: the rule's own. */
  kind: BudgetNeed['kind'];
  /** Whose budget (null: the organization's, or every subject the rule covers). */
  id: string | null;
  period: Period;
  message: string;
}

export function ruleWarnings(rule: Rule, budgets: Budgets): RuleWarning[] {
  return budgetNeeds(rule, budgets).map((n) => ({
    code: n.kind === 'limit' ? 'LIMIT_MISSING' : 'BUDGET_MISSING',
    kind: n.kind,
    id: n.id,
    period: n.period,
    message: n.message,
  }));
}

/** Every budget evaluations read now: the organization's, agents', roles', teams', projects'. */
export async function currentBudgets(ctx: Ctx): Promise<Budgets> {
  const org = await ctx.core.policies.now(sqlOf(ctx.em), ctx.orgId);
  if (!org) throw new NotFound('Organization', ctx.orgId);
  return { ...policyBudgets(org.loaded), org: org.settings.budgets };
}

/** A rule in `dialect`, with the budgets it waits for (`warnings`, empty when none). */
export function present(rule: Rule, dialect: Dialect, budgets: Budgets) {
  const view = dialect === 'docs' ? toDocsRule(rule) : toTypedRule(rule);
  return { ...view, warnings: ruleWarnings(rule, budgets) };
}

/** One rule in `dialect`, with its warnings against the budgets of now. */
export async function presentRule(ctx: Ctx, rule: Rule, dialect: Dialect) {
  return present(rule, dialect, await currentBudgets(ctx));
}

/** `rules` in `dialect`, with their warnings against the budgets of now. */
export async function presentRules(ctx: Ctx, rules: readonly Rule[], dialect: Dialect) {
  const budgets = await currentBudgets(ctx);
  return rules.map((r) => present(r, dialect, budgets));
}

function rowFields(rule: Rule) {
  return {
    definition: rule as unknown as Record<string, unknown>,
    enabled: rule.enabled,
    priority: rule.priority,
    action: rule.action,
    updatedAt: new Date(rule.updatedAt),
  };
}

export async function createRule(ctx: Ctx, dialect: Dialect, body: unknown): Promise<Rule> {
  requirePermission(ctx, 'policies:write');
  const now = new Date(ctx.core.clock()).toISOString();
  const who = { id: newId('rule'), createdAt: now, updatedAt: now };
  const rule = unwrap(dialect === 'docs' ? parseDocsRule(body, who) : parseTypedRule(body, who));
  // An org-scoped rule names its organization (shown, never compared: SPEC §3).
  if (rule.scope === 'org' && rule.scopeId === null) rule.scopeId = ctx.orgId;
  await ctx.em.transactional(async (em) => {
    const change = await beginPolicyChange(em, ctx.orgId, ctx.core.clock());
    await assertChannelsExist(em, ctx.orgId, rule.actionConfig.channels, CHANNELS_FIELD[dialect]);
    em.create(PolicyRule, {
      id: rule.id,
      orgId: ctx.orgId,
      createdAt: new Date(rule.createdAt),
      ...rowFields(rule),
    });
    await audit(em, {
      orgId: ctx.orgId,
      eventType: 'policy_rule.created',
      actor: ctx.actor,
      entityType: 'policy_rule',
      entityId: rule.id,
      occurredAt: new Date(now),
      metadata: { ruleName: rule.name, action: rule.action, enabled: rule.enabled, dialect },
    });
    await change.commit();
  });
  return rule;
}

export async function listRules(ctx: Ctx, raw: unknown = {}): Promise<Rule[]> {
  requirePermission(ctx, 'policies:read');
  const q = parseInput(listDocsRulesInput, raw);
  const rows = await ctx.em.find(PolicyRule, {
    orgId: ctx.orgId,
    ...(q.enabled !== undefined ? { enabled: q.enabled } : {}),
    ...(q.action !== undefined ? { action: q.action } : {}),
  });
  let rules = rows.map(ruleOf);
  if (q.waiting !== undefined) {
    const budgets = await currentBudgets(ctx);
    rules = rules.filter((r) => budgetNeeds(r, budgets).length > 0 === q.waiting);
  }
  const vendor = q.vendor?.trim().toLowerCase();
  if (vendor) {
    // Rules that apply to this vendor: those naming it, and those naming no vendor (all).
    rules = rules.filter((r) => {
      const list = r.match.vendors;
      return list.length === 0 || list.some((v) => v.toLowerCase() === vendor);
    });
  }
  return rules.sort(compareRules);
}

async function findRule(
  ctx: Ctx,
  em: EntityManager,
  id: string,
  lock = false,
): Promise<PolicyRule> {
  const row = await em.findOne(
    PolicyRule,
    { id, orgId: ctx.orgId },
    lock ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {},
  );
  if (!row) throw new NotFound('Policy rule', id);
  return row;
}

export async function getRule(ctx: Ctx, id: string): Promise<Rule> {
  requirePermission(ctx, 'policies:read');
  return ruleOf(await findRule(ctx, ctx.em, id));
}

export async function updateRule(
  ctx: Ctx,
  dialect: Dialect,
  id: string,
  patch: unknown,
): Promise<Rule> {
  requirePermission(ctx, 'policies:write');
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    throw ValidationError.of('body', 'must be a JSON object');
  }
  const now = new Date(ctx.core.clock()).toISOString();
  return ctx.em.transactional(async (em) => {
    const change = await beginPolicyChange(em, ctx.orgId, ctx.core.clock());
    // Locked: two concurrent partial updates must not each overwrite the other's fields.
    const row = await findRule(ctx, em, id, true);
    const before = ruleOf(row);
    const rule = unwrap(
      dialect === 'docs' ? patchDocsRule(before, patch, now) : patchTypedRule(before, patch, now),
    );
    if (rule.scope === 'org' && rule.scopeId === null) rule.scopeId = ctx.orgId;
    await assertChannelsExist(em, ctx.orgId, rule.actionConfig.channels, CHANNELS_FIELD[dialect]);
    em.assign(row, rowFields(rule));
    const eventType =
      before.enabled !== rule.enabled
        ? rule.enabled
          ? 'policy_rule.enabled'
          : 'policy_rule.disabled'
        : 'policy_rule.updated';
    await audit(em, {
      orgId: ctx.orgId,
      eventType,
      actor: ctx.actor,
      entityType: 'policy_rule',
      entityId: id,
      occurredAt: new Date(now),
      metadata: { ruleName: rule.name, changed: Object.keys(patch), dialect },
    });
    await change.commit();
    return rule;
  });
}

export async function deleteRule(ctx: Ctx, id: string): Promise<void> {
  requirePermission(ctx, 'policies:write');
  const now = new Date(ctx.core.clock());
  await ctx.em.transactional(async (em) => {
    const change = await beginPolicyChange(em, ctx.orgId, ctx.core.clock());
    const row = await findRule(ctx, em, id);
    const rule = ruleOf(row);
    em.remove(row);
    await audit(em, {
      orgId: ctx.orgId,
      eventType: 'policy_rule.deleted',
      actor: ctx.actor,
      entityType: 'policy_rule',
      entityId: id,
      occurredAt: now,
      metadata: { ruleName: rule.name, action: rule.action, definition: rule },
    });
    await change.commit();
  });
}
