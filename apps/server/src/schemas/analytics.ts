import { z } from 'zod';
import { ident } from './common.js';

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD (a day in the organization time zone)')
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s) && s >= '2000-01-01';
  }, 'is not a valid date (from 2000-01-01)');

const period = z.enum(['hourly', 'daily', 'weekly', 'monthly']);

export const summaryInput = z.strictObject({
  /** The calendar period (in the org's time zone) containing now; default monthly. */
  period: period.optional(),
  /** Instead of a period: these days, endDate included. */
  startDate: day.optional(),
  endDate: day.optional(),
  agentId: ident(200).optional(),
  /** A time series of the range as well, per local day or hour. */
  groupBy: z.enum(['day', 'hour']).optional(),
});
export type SummaryInput = z.output<typeof summaryInput>;

export const forecastInput = z.strictObject({
  period: period.optional(),
  agentId: ident(200).optional(),
});
export type ForecastInput = z.output<typeof forecastInput>;

export const anomaliesInput = z.strictObject({
  agentId: ident(200).optional(),
  /** Hours scored, up to now (default 24, at most a week). */
  hours: z.coerce.number().int().min(1).max(168).optional(),
});
export type AnomaliesInput = z.output<typeof anomaliesInput>;
