export * from './types.js';
export {
  compile,
  compareRules,
  defaultPer,
  type CompiledRule,
  type Policy,
  type WindowPair,
} from './compile.js';
export {
  budgetNeeds,
  readsBudget,
  resolveLimit,
  type BudgetNeed,
  type BudgetSubject,
  type ResolvedLimit,
} from './budgets.js';
export {
  decide,
  evaluate,
  evaluateRules,
  vendorDisabledDecision,
  type VendorSwitch,
  requiredWindows,
  groupValue,
  transactionRoles,
  windowKey,
  DEFAULT_AGENT,
  NO_GROUP,
} from './evaluate.js';
export {
  parseDocsRule,
  parseTypedRule,
  toDocsRule,
  toTypedRule,
  patchDocsRule,
  patchTypedRule,
  mergePatch,
  inferType,
  zodIssues,
  ruleSchemas,
  type DocsRule,
  type DocsRuleInput,
  type TypedRule,
  type TypedRuleInput,
  type ParseResult,
  type RuleIdentity,
  type ValidationIssue,
} from './dialects.js';
export {
  MICROS_PER_CENT,
  MICROS_PER_DOLLAR,
  centsToMicros,
  microsToCentsCeil,
  formatMicros,
  formatCents,
  formatInteger,
} from './money.js';
export {
  estimateCost,
  isModelKnown,
  listModelPrices,
  dollarsToMicros,
  findOverride,
  PRICE_DATA_VERSION,
  type CostEstimate,
  type EstimateOptions,
  type ModelPrice,
  type PriceRef,
  type PriceTier,
  type Usage,
} from './prices.js';
export {
  windowBounds,
  isValidTimeZone,
  fromLocal,
  toLocal,
  offsetAt,
  type Bounds,
} from './time.js';
export {
  projectSpend,
  projectedOver,
  scoreAnomaly,
  type AnomalyOptions,
  type AnomalyScore,
  type Projection,
} from './analytics.js';
