import { z } from 'zod';
import { ACTIONS } from '@reins/engine';
import { isoEndExclusive, isoInstant, queryBool } from './common.js';

export const listDocsRulesInput = z.strictObject({
  enabled: queryBool.optional(),
  action: z.enum(ACTIONS).optional(),
  vendor: z.string().max(40).optional(),
  /** Only the rules that wait for a budget (true), or only those that do not (false). */
  waiting: queryBool.optional(),
});
export type ListDocsRulesInput = z.output<typeof listDocsRulesInput>;

/** Draft rules one backtest may replay; each is parsed by `parseRuleOfEitherDialect`. */
export const MAX_BACKTEST_RULES = 100;
/** The longest period a backtest replays (and so about the longest one runs). */
export const MAX_BACKTEST_DAYS = 366;

/** The most days of a rule's hits one request reads. */
export const MAX_HIT_DAYS = 366;

export const ruleHitsInput = z.strictObject({
  /** The last `days` days in the organization's time zone, today included (default 30). */
  days: z.coerce.number().int().min(1).max(MAX_HIT_DAYS).default(30),
});
export type RuleHitsInput = z.output<typeof ruleHitsInput>;

export const startBacktestInput = z.strictObject({
  rules: z.array(z.unknown()).min(1).max(MAX_BACKTEST_RULES),
  /** Inclusive. */
  startDate: isoInstant,
  /** Exclusive; a plain date includes that whole day (UTC). */
  endDate: isoEndExclusive,
});
export type StartBacktestInput = z.output<typeof startBacktestInput>;
