/**
 * `compile(rules)` builds a policy once: enabled rules in evaluation order, precompiled matchers,
 * and an index by agent so that evaluation skips rules scoped to other agents.
 */
import { compileList, type ListMatcher } from './glob.js';
import { MICROS_PER_CENT } from './money.js';
import type { GroupBy, Period, Rule, RuleWindow } from './types.js';

export interface CompiledSchedule {
  days: ReadonlySet<number> | null;
  /** [start, end) in minutes since local midnight; end < start wraps midnight. */
  ranges: ReadonlyArray<readonly [number, number]>;
}

export interface CompiledWindow extends RuleWindow {
  /** `per` with its default resolved. */
  group: GroupBy;
}

export interface CompiledRule {
  readonly rule: Rule;
  /** Position in evaluation order. */
  readonly order: number;
  readonly vendors: ReadonlySet<string> | null;
  readonly models: ListMatcher | null;
  readonly excludeModels: ListMatcher | null;
  readonly agents: ListMatcher | null;
  readonly users: ReadonlySet<string> | null;
  readonly roles: ReadonlySet<string> | null;
  readonly teams: ReadonlySet<string> | null;
  readonly projects: ReadonlySet<string> | null;
  readonly minMicros: number | null;
  readonly maxMicros: number | null;
  readonly schedule: CompiledSchedule | null;
  readonly window: CompiledWindow | null;
  readonly message: string;
}

export interface WindowPair {
  period: Period;
  per: GroupBy;
}

export interface Policy {
  /** Enabled rules in evaluation order. */
  readonly rules: readonly CompiledRule[];
  /** Rule orders by exact agent id. */
  readonly byAgent: ReadonlyMap<string, readonly number[]>;
  /** Orders of rules whose agent list has globs (they are tested one by one). */
  readonly agentGlobs: readonly number[];
  /** Orders of rules with no agent condition. */
  readonly anyAgent: readonly number[];
  /** Every (period, per) pair any enabled rule reads: the counters a transaction touches. */
  readonly windowPairs: readonly WindowPair[];
}

/** Priority descending, then createdAt ascending, then id. */
export function compareRules(a: Rule, b: Rule): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.createdAt !== b.createdAt) {
    const ta = Date.parse(a.createdAt);
    const tb = Date.parse(b.createdAt);
    if (ta !== tb) return ta - tb;
  }
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The group a window total is kept per when the rule does not say. */
export function defaultPer(rule: Rule): GroupBy {
  const m = rule.match;
  if (m.agentIds.length > 0) return 'agent';
  if (
    rule.type === 'user_limit' ||
    rule.scope === 'user' ||
    m.userIds.length > 0 ||
    m.userRoles.length > 0
  ) {
    return 'user';
  }
  if (rule.scope === 'team') return 'team';
  if (rule.scope === 'project') return 'project';
  return 'org';
}

function setOrNull(values: readonly string[], lower = false): ReadonlySet<string> | null {
  return values.length === 0 ? null : new Set(lower ? values.map((v) => v.toLowerCase()) : values);
}

function listOrNull(values: readonly string[], caseInsensitive: boolean): ListMatcher | null {
  return values.length === 0 ? null : compileList(values, caseInsensitive);
}

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}

function compileSchedule(rule: Rule): CompiledSchedule | null {
  const s = rule.match.schedule;
  if (!s) return null;
  return {
    days: s.daysOfWeek.length > 0 ? new Set(s.daysOfWeek) : null,
    ranges: s.hours.map((range) => {
      const [from = '00:00', to = '24:00'] = range.split('-');
      return [minutes(from), minutes(to)] as const;
    }),
  };
}

export const PERIOD_ORDER: readonly Period[] = ['hourly', 'daily', 'weekly', 'monthly'];
const GROUP_ORDER: readonly GroupBy[] = [
  'org',
  'agent',
  'user',
  'team',
  'project',
  'vendor',
  'model',
];

export function compileRule(rule: Rule, order: number): CompiledRule {
  const m = rule.match;
  return {
    rule,
    order,
    vendors: setOrNull(m.vendors, true),
    models: listOrNull(m.models, true),
    excludeModels: listOrNull(m.excludeModels, true),
    agents: listOrNull(m.agentIds, false),
    users: setOrNull(m.userIds),
    roles: setOrNull(m.userRoles, true),
    teams: setOrNull(m.teamIds),
    projects: setOrNull(m.projectIds),
    minMicros: m.amountCents?.min !== undefined ? m.amountCents.min * MICROS_PER_CENT : null,
    maxMicros: m.amountCents?.max !== undefined ? m.amountCents.max * MICROS_PER_CENT : null,
    schedule: compileSchedule(rule),
    window: rule.window ? { ...rule.window, group: rule.window.per ?? defaultPer(rule) } : null,
    message: rule.actionConfig.message ?? `Rule "${rule.name}" matched`,
  };
}

export function compile(rules: readonly Rule[]): Policy {
  const sorted = rules.filter((r) => r.enabled).sort(compareRules);
  const compiled = sorted.map((r, i) => compileRule(r, i));
  const byAgent = new Map<string, number[]>();
  const agentGlobs: number[] = [];
  const anyAgent: number[] = [];
  const pairs = new Set<string>();
  for (const cr of compiled) {
    if (!cr.agents) anyAgent.push(cr.order);
    else {
      if (cr.agents.patterns.length > 0) agentGlobs.push(cr.order);
      for (const id of cr.agents.exact) {
        let list = byAgent.get(id);
        if (!list) byAgent.set(id, (list = []));
        list.push(cr.order);
      }
    }
    if (cr.window)
      pairs.add(
        `${PERIOD_ORDER.indexOf(cr.window.period)}|${GROUP_ORDER.indexOf(cr.window.group)}`,
      );
  }
  const windowPairs = [...pairs].sort().map((p) => {
    const [period, per] = p.split('|').map(Number);
    return { period: PERIOD_ORDER[period ?? 0] ?? 'daily', per: GROUP_ORDER[per ?? 0] ?? 'org' };
  });
  // A rule with both exact ids and globs is in two lists: candidates are de-duplicated by order.
  return { rules: compiled, byAgent, agentGlobs, anyAgent, windowPairs };
}
