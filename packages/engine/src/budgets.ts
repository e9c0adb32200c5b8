/**
 * Budgets: where a money window rule that names no limit takes one. By the window's group:
 *
 * - `org`: the organization's budget for the window's period;
 * - `agent`: the transaction's agent's (the agent registry keeps monthly budgets);
 * - `user`, when the rule names `userRoles`: the budget of the transaction's role among them
 *   (each user of the role has that much); a user with several of those roles gets the smallest;
 * - `team`, `project`: the transaction's team's or project's;
 * - otherwise (`user` without roles, `vendor`, `model`) none: the rule must carry its own limit.
 *
 * A limit that cannot be resolved never matches; the trace says which budget to set, and the
 * rule's `budgetNeeds` name it when the rule is written (the server answers them as warnings).
 */
import { defaultPer, type CompiledRule, type CompiledWindow } from './compile.js';
import type { Budgets, GroupBy, Period, Rule } from './types.js';

/** The parts of a transaction a budget is looked up by (roles lower case). */
export interface BudgetSubject {
  agentId: string;
  roles: readonly string[];
  teamId: string | null | undefined;
  projectId: string | null | undefined;
}

export type ResolvedLimit = { limit: number } | { missing: string };

/** Whether `w` takes its limit from budgets: a money window without a limit of its own. */
export function readsBudget(w: {
  limit: number | null;
  metric: string;
  maxTransactions: number | null;
}): boolean {
  return w.limit === null && w.metric === 'cost_cents' && w.maxTransactions === null;
}

const ROLE_LIMIT_ONLY =
  'set a limit (a per-user window takes a budget only from a user role the rule names)';

/** The limit of window `w` of `cr` for a transaction, or what is missing. */
export function resolveLimit(
  cr: CompiledRule,
  w: CompiledWindow,
  budgets: Budgets | undefined,
  s: BudgetSubject,
): ResolvedLimit {
  if (w.limit !== null) return { limit: w.limit };
  const period = w.period;
  const none = (what: string): ResolvedLimit => ({ missing: `${what} has no ${period} budget` });
  if (!readsBudget(w)) return { missing: 'set a limit' };
  switch (w.group) {
    case 'org': {
      const v = budgets?.org?.[period];
      return v === undefined ? none('the organization') : { limit: v };
    }
    case 'agent': {
      const v = budgets?.agents?.[s.agentId]?.[period];
      return v === undefined ? none(`agent ${s.agentId}`) : { limit: v };
    }
    case 'user': {
      if (!cr.roles) return { missing: ROLE_LIMIT_ONLY };
      const roles = [...new Set(s.roles.filter((r) => cr.roles?.has(r)))].sort();
      let limit: number | null = null;
      for (const role of roles) {
        const v = budgets?.roles?.[role]?.[period];
        if (v !== undefined && (limit === null || v < limit)) limit = v;
      }
      if (limit !== null) return { limit };
      return roles.length === 1
        ? none(`role ${roles[0] ?? ''}`)
        : { missing: `roles [${roles.join(', ')}] have no ${period} budget` };
    }
    case 'team':
    case 'project': {
      const id = w.group === 'team' ? s.teamId : s.projectId;
      if (!id) return { missing: `the transaction has no ${w.group}` };
      const v = (w.group === 'team' ? budgets?.teams : budgets?.projects)?.[id]?.[period];
      return v === undefined ? none(`${w.group} ${id}`) : { limit: v };
    }
    case 'vendor':
    case 'model':
      return {
        missing: `set a limit (budgets apply per organization, agent, user role, team or project, not per ${w.group})`,
      };
  }
}

/** A budget a rule waits for. */
export interface BudgetNeed {
  /** The budget to set (`id` null: of every subject the rule covers), or `limit`: the rule's own. */
  kind: 'org' | 'agent' | 'role' | 'team' | 'project' | 'limit';
  id: string | null;
  period: Period;
  message: string;
}

const field = (period: Period) => `${period}BudgetCents`;

/**
 * The budgets `rule` reads that are not set in `budgets`: empty when the rule has its own limit,
 * no window, or every budget it names exists. Subjects the rule does not name (an agent glob, a
 * per-team window over all teams) are needed only when no subject of that kind has one.
 */
export function budgetNeeds(rule: Rule, budgets: Budgets): BudgetNeed[] {
  const w = rule.window;
  if (!w || !readsBudget(w)) return [];
  const period = w.period;
  const group: GroupBy = w.per ?? defaultPer(rule);
  const limit = (why: string): BudgetNeed[] => [
    { kind: 'limit', id: null, period, message: `Set this rule's own limit: ${why}` },
  ];
  const named = (
    kind: 'agent' | 'role' | 'team' | 'project',
    ids: readonly string[],
    have: Budgets['agents'],
    set: (id: string) => string,
    anyWord: string,
  ): BudgetNeed[] => {
    if (ids.length === 0) {
      const anySet = Object.values(have ?? {}).some((b) => b?.[period] !== undefined);
      return anySet
        ? []
        : [{ kind, id: null, period, message: `Waiting for a ${period} budget on ${anyWord}` }];
    }
    return [...new Set(ids)]
      .filter((id) => have?.[id]?.[period] === undefined)
      .map((id) => ({ kind, id, period, message: `Waiting for ${set(id)}` }));
  };
  switch (group) {
    case 'org':
      return budgets.org?.[period] === undefined
        ? [
            {
              kind: 'org',
              id: null,
              period,
              message: `Waiting for the organization's ${period} budget: PUT /api/org {"${field(period)}": …}`,
            },
          ]
        : [];
    case 'agent':
      if (period !== 'monthly') {
        return limit(`agent budgets are monthly, and this window is ${period}`);
      }
      // Agents named only by globs (or not at all): some agent must have a budget.
      return named(
        'agent',
        rule.match.agentIds.filter((id) => !id.includes('*')),
        budgets.agents,
        (id) => `agent ${id}'s monthly budget: PUT /api/agents/${id} {"monthlyBudgetCents": …}`,
        'the agents this rule covers (monthlyBudgetCents in /api/agents)',
      );
    case 'user':
      if (rule.match.userRoles.length === 0) {
        return limit('a per-user window takes a budget only from a user role the rule names');
      }
      return named(
        'role',
        rule.match.userRoles.map((r) => r.toLowerCase()),
        budgets.roles,
        (role) =>
          `the ${period} budget of role ${role}: PUT /api/budgets/roles/${role} {"${field(period)}": …}`,
        'the roles this rule names',
      );
    case 'team':
    case 'project': {
      const ids =
        rule.scope === group && rule.scopeId !== null
          ? [rule.scopeId]
          : group === 'team'
            ? rule.match.teamIds
            : rule.match.projectIds;
      return named(
        group,
        ids,
        group === 'team' ? budgets.teams : budgets.projects,
        (id) =>
          `the ${period} budget of ${group} ${id}: PUT /api/budgets/${group}s/${id} {"${field(period)}": …}`,
        `the ${group}s this rule covers (/api/budgets/${group}s)`,
      );
    }
    case 'vendor':
    case 'model':
      return limit(
        `budgets apply per organization, agent, user role, team or project, not per ${group}`,
      );
  }
}
