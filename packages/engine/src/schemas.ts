/**
 * `@reins/engine/schemas`: the rule schemas and the vocabulary they use, for code that validates
 * rules without evaluating them (the dashboard's forms). Nothing here imports the price table
 * (`prices.ts`, `@pydantic/genai-prices`), so a browser bundle that imports this subpath does not
 * carry it; apps/web checks that on every `bench:bundle` run.
 */
export {
  ACTIONS,
  GROUPS,
  METRICS,
  PERIODS,
  RULE_TYPES,
  SCOPES,
  VENDORS,
  type Action,
  type GroupBy,
  type Metric,
  type Period,
  type RuleType,
  type Scope,
  type Vendor,
} from './types.js';
export {
  ruleSchemas,
  zodIssues,
  docsRuleIssues,
  dialectOf,
  type DocsRule,
  type DocsRuleInput,
  type TypedRule,
  type TypedRuleInput,
  type ValidationIssue,
} from './dialects.js';
export {
  MICROS_PER_CENT,
  MICROS_PER_DOLLAR,
  formatCents,
  formatInteger,
  formatMicros,
} from './money.js';
