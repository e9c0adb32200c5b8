/**
 * The policy-rule form's state → a docs-dialect rule body, validated as the user types with the
 * engine's own schema (`ruleSchemas.docs` from `@reins/engine/schemas`): the messages are the
 * ones the server would answer with, keyed by the same dotted paths.
 */
import { docsRuleIssues, ruleSchemas, zodIssues, type DocsRuleInput } from '@reins/engine/schemas';

export interface RuleFormState {
  name: string;
  action: string;
  priority: string;
  mode: string;
  vendors: string;
  models: string;
  agentIds: string;
  timeWindow: string;
  limitCents: string;
  message: string;
}

export const EMPTY_RULE: RuleFormState = {
  name: '',
  action: 'block',
  priority: '100',
  mode: 'enforce',
  vendors: '',
  models: '',
  agentIds: '',
  timeWindow: '',
  limitCents: '',
  message: '',
};

const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** A number when the text is one (else the text itself, for the schema to refuse). */
const numeric = (s: string): unknown =>
  s.trim() !== '' && !Number.isNaN(Number(s)) ? Number(s) : s;

export function ruleBody(f: RuleFormState): Record<string, unknown> {
  const conditions: Record<string, unknown> = {};
  if (list(f.vendors).length) conditions.vendors = list(f.vendors);
  if (list(f.models).length) conditions.models = list(f.models);
  if (list(f.agentIds).length) conditions.agentIds = list(f.agentIds);
  if (f.timeWindow) conditions.timeWindow = f.timeWindow;
  const actionConfig: Record<string, unknown> = {};
  if (f.limitCents.trim()) actionConfig.limitCents = numeric(f.limitCents);
  if (f.message.trim()) actionConfig.message = f.message;
  return {
    name: f.name,
    action: f.action,
    mode: f.mode,
    ...(f.priority.trim() ? { priority: numeric(f.priority) } : {}),
    ...(Object.keys(conditions).length ? { conditions } : {}),
    ...(Object.keys(actionConfig).length ? { actionConfig } : {}),
  };
}

export type RuleCheck =
  | { ok: true; body: DocsRuleInput; errors: Record<string, string> }
  | { ok: false; errors: Record<string, string> };

/** The form's errors by dotted path (first message per path). */
export function checkRule(f: RuleFormState): RuleCheck {
  const parsed = ruleSchemas.docs.safeParse(ruleBody(f));
  const issues = parsed.success ? docsRuleIssues(parsed.data) : zodIssues(parsed.error);
  if (parsed.success && issues.length === 0) return { ok: true, body: parsed.data, errors: {} };
  const errors: Record<string, string> = {};
  for (const issue of issues) errors[issue.path] ??= issue.message;
  return { ok: false, errors };
}

const strings = (v: unknown): string =>
  Array.isArray(v) ? v.filter((x) => typeof x === 'string').join(', ') : '';
const text = (v: unknown): string =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';

/** A listed docs-dialect rule as the form shows it (fields the form has no input for are kept). */
export function formOf(rule: {
  name: string;
  action: string;
  priority: number;
  mode: string;
  conditions: Record<string, unknown>;
  actionConfig?: Record<string, unknown>;
}): RuleFormState {
  const c = rule.conditions;
  const a = rule.actionConfig ?? {};
  return {
    name: rule.name,
    action: rule.action,
    priority: String(rule.priority),
    mode: rule.mode,
    vendors: strings(c.vendors),
    models: strings(c.models),
    agentIds: strings(c.agentIds),
    timeWindow: text(c.timeWindow),
    limitCents: text(a.limitCents),
    message: text(a.message),
  };
}

/**
 * The `policyRules.update` patch of an edited rule (a JSON merge patch): the form's fields, and
 * null for each emptied one so the server removes it; conditions the form does not show stay.
 */
export function rulePatch(f: RuleFormState): Record<string, unknown> {
  const body = ruleBody(f);
  const conditions = (body.conditions ?? {}) as Record<string, unknown>;
  const actionConfig = (body.actionConfig ?? {}) as Record<string, unknown>;
  const orNull = (o: Record<string, unknown>, keys: string[]) =>
    Object.fromEntries(keys.map((k) => [k, o[k] ?? null]));
  return {
    ...body,
    conditions: orNull(conditions, ['vendors', 'models', 'agentIds', 'timeWindow']),
    actionConfig: orNull(actionConfig, ['limitCents', 'message']),
  };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `patch` applied to `base` as a JSON merge patch (RFC 7386): null removes, objects merge. */
export function mergePatch(
  base: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const out = Object.fromEntries(Object.entries(base).filter(([k]) => patch[k] !== null));
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) continue;
    const was = out[k];
    out[k] = isObject(v) && isObject(was) ? mergePatch(was, v) : v;
  }
  return out;
}

/**
 * A stored docs-dialect rule as a backtest draft: read-only extras dropped, the dialect named
 * (a listed rule carries `type`, which alone would read as the typed dialect), and enabled —
 * a disabled rule replays to nothing, and the question asked is what it would do switched on.
 */
export function storedAsDraft(rule: { warnings?: unknown }): Record<string, unknown> {
  const { warnings: _warnings, ...body } = rule;
  return { ...body, enabled: true, dialect: 'docs' };
}

/**
 * The form's rule as a backtest draft, before it is saved: a new rule's body, or the edited rule
 * with the form's changes merged in as `policyRules.update` would (fields the form does not show
 * are kept). Null while the form is not a valid rule.
 */
export function draftOf(f: RuleFormState, editing?: { warnings?: unknown }): unknown[] | null {
  const check = checkRule(f);
  if (!check.ok) return null;
  if (!editing) return [{ ...check.body, dialect: 'docs' }];
  return [mergePatch(storedAsDraft(editing), rulePatch(f))];
}
