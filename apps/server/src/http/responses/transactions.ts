import { z } from 'zod';
import { PHASES } from '../../schemas/transactions.js';
import {
  BlockDetails,
  PolicyResult,
  cents,
  docs,
  instant,
  jsonObject,
  nextCursor,
} from './common.js';

const ACTION = z.enum(['pass', 'warn', 'flag', 'block', 'log', 'notify']);

/** The decision of an admitted transaction, with the deciding rule's window figures. */
export const AdmittedPolicyResult = PolicyResult.extend({ details: BlockDetails }).meta({
  id: 'AdmittedPolicyResult',
  description: 'The decision and the window figures of the rule that took it',
});

/** `202` of POST /api/v1/transactions (and a bulk item's success). */
const submitted = {
  id: z.string(),
  action: ACTION,
  policyResult: AdmittedPolicyResult,
  status: z.literal('reserved').optional().describe('Reservations: the amount is held'),
  expiresAt: instant.optional().describe('Reservations: when an unsettled hold is released'),
  amount: cents.optional().describe('Costed from tokens: the amount the price table gave'),
  amountMicros: z.number().int().optional(),
};
export const SubmittedTransaction = docs(submitted).meta({ id: 'SubmittedTransaction' });

/** A trace entry: one enabled rule, in evaluation order. */
export const EvaluatedRule = z
  .object({
    ruleId: z.string(),
    ruleName: z.string(),
    matched: z.boolean(),
    reason: z.string(),
    reached: z.boolean(),
    decisive: z.boolean(),
    priority: z.number().int(),
    action: ACTION,
    mode: z.enum(['enforce', 'shadow']),
    figures: jsonObject.optional().describe('The window figures the rule compared'),
  })
  .meta({ id: 'EvaluatedRule' });

/** The stored decision of a transaction. */
const StoredPolicyResult = z
  .looseObject({
    action: ACTION,
    ruleId: z.string().nullable(),
    ruleName: z.string().nullable(),
    message: z.string(),
    details: BlockDetails.optional(),
    shadow: z.array(jsonObject).optional(),
  })
  .meta({ id: 'StoredPolicyResult' });

const Review = z
  .object({
    state: z.enum(['open', 'approved', 'rejected']),
    reviewedBy: z.string().nullable(),
    reviewedAt: instant.nullable(),
    note: z.string().nullable(),
  })
  .meta({ id: 'Review', description: "A flagged transaction's review" });

export const Transaction = z
  .object({
    id: z.string(),
    amount: cents,
    amountMicros: z.number().int(),
    vendor: z.string(),
    model: z.string().nullable(),
    agentId: z.string(),
    userId: z.string().nullable(),
    userRoles: z.array(z.string()),
    teamId: z.string().nullable(),
    projectId: z.string().nullable(),
    tokensIn: z.number().int(),
    tokensOut: z.number().int(),
    prompt: z.string().nullable(),
    response: z.string().nullable(),
    metadata: jsonObject,
    timestamp: instant,
    createdAt: instant,
    action: ACTION,
    ruleId: z.string().nullable(),
    status: z.enum(['recorded', 'blocked', 'reserved', 'settled', 'voided', 'expired']),
    phase: z.enum(PHASES),
    policyResult: StoredPolicyResult,
    priceSource: z.string().nullable(),
    priceVersion: z.string().nullable(),
    review: Review.nullable(),
  })
  .meta({ id: 'Transaction' });

export const TransactionList = docs({
  transactions: z.array(Transaction),
  count: z.number().int(),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  nextCursor,
});

export const OneTransaction = docs({ transaction: Transaction });

const BulkItem = z.union([
  z.object({ index: z.number().int(), success: z.literal(true), ...submitted }),
  z.looseObject({
    index: z.number().int(),
    success: z.literal(false),
    code: z.string(),
    message: z.string(),
  }),
]);

export const BulkResult = docs({
  results: z.array(BulkItem),
  count: z.number().int(),
  recorded: z.number().int(),
  blocked: z.number().int(),
  failed: z.number().int(),
});

export const Settled = docs({
  id: z.string(),
  status: z.literal('settled'),
  amount: cents,
  amountMicros: z.number().int(),
  tokensIn: z.number().int(),
  tokensOut: z.number().int(),
  estimatedAmount: cents,
  estimatedAmountMicros: z.number().int(),
  settledAt: instant,
});

export const Voided = docs({
  id: z.string(),
  status: z.literal('voided'),
  releasedAmountMicros: z.number().int(),
  voidedAt: instant,
});

export const Trace = docs({
  traceId: z.string(),
  transactionId: z.string(),
  evaluatedRules: z.array(EvaluatedRule),
  finalAction: ACTION,
  policyResult: StoredPolicyResult,
  evaluatedAt: instant,
});

export const DryRun = docs({
  result: AdmittedPolicyResult,
  shadow: z.array(jsonObject),
  evaluatedRules: z.array(EvaluatedRule),
  evaluatedAt: instant,
});
