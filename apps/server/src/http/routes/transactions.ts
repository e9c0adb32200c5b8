import {
  bulkInput,
  listTransactionsInput,
  reviewInput,
  settleInput,
  transactionInput,
  voidInput,
} from '../../schemas/transactions.js';
import { settleReservation, voidReservation } from '../../services/reservations.js';
import { reviewTransaction } from '../../services/review.js';
import {
  getTransaction,
  getTransactionTrace,
  listTransactions,
  floorTransaction,
  submitBulk,
  submitTransaction,
} from '../../services/transactions.js';
import { id, type RouteDef } from '../routeTypes.js';

/** Transactions (SPEC §4): the hot path, bulk uploads, reservations, reads, the dry run. */
export const transactionsRoutes: RouteDef[] = [
  {
    method: 'POST',
    url: '/api/v1/transactions',
    summary: 'Record a transaction: evaluate the policy, record it, answer 202 or 403',
    tag: 'Transactions',
    permission: 'transactions:write',
    envelope: 'docs',
    status: 202,
    body: transactionInput,
    run: (ctx, i) => submitTransaction(ctx, i.body),
  },
  {
    method: 'POST',
    url: '/api/v1/transactions/bulk',
    summary:
      'Record up to 1,000 transactions in order (each sees the ones before it); one result per item',
    tag: 'Transactions',
    permission: 'transactions:write',
    envelope: 'docs',
    status: 200,
    body: bulkInput,
    bodyLimit: (env) => Math.max(env.REINS_BULK_BODY_LIMIT_BYTES, env.REINS_BODY_LIMIT_BYTES),
    run: (ctx, i) => submitBulk(ctx, i.body),
  },
  {
    method: 'POST',
    url: '/api/v1/transactions/:id/settle',
    summary: 'Settle a reservation: the actual cost replaces the hold in every window',
    tag: 'Transactions',
    permission: 'transactions:write',
    envelope: 'docs',
    status: 200,
    body: settleInput,
    run: (ctx, i) => settleReservation(ctx, id(i), i.body),
  },
  {
    method: 'POST',
    url: '/api/v1/transactions/:id/void',
    summary: 'Void a reservation: its hold is released',
    tag: 'Transactions',
    permission: 'transactions:write',
    envelope: 'docs',
    status: 200,
    body: voidInput,
    run: (ctx, i) => voidReservation(ctx, id(i), i.body),
  },
  {
    method: 'POST',
    url: '/api/v1/transactions/:id/review',
    summary:
      'Approve or reject a flagged transaction (once: 409 NOT_FLAGGED / ALREADY_REVIEWED otherwise)',
    tag: 'Transactions',
    permission: 'transactions:review',
    envelope: 'docs',
    status: 200,
    body: reviewInput,
    run: (ctx, i) => reviewTransaction(ctx, id(i), i.body),
  },
  {
    method: 'GET',
    url: '/api/v1/transactions',
    summary: 'List transactions with filters (review=open: the review queue) and pagination',
    tag: 'Transactions',
    permission: 'transactions:read',
    envelope: 'docs',
    status: 200,
    query: listTransactionsInput,
    run: (ctx, i) => listTransactions(ctx, i.query),
  },
  {
    method: 'GET',
    url: '/api/v1/transactions/:id',
    summary: 'Get one transaction',
    tag: 'Transactions',
    permission: 'transactions:read',
    envelope: 'docs',
    status: 200,
    run: (ctx, i) => getTransaction(ctx, id(i)),
  },
  {
    method: 'GET',
    url: '/api/v1/transactions/:id/trace',
    summary: 'The evaluation trace of a transaction',
    tag: 'Transactions',
    permission: 'transactions:read',
    envelope: 'docs',
    status: 200,
    run: (ctx, i) => getTransactionTrace(ctx, id(i)),
  },
];

/** The benchmark's floor route, registered only with REINS_BENCH_FLOOR=on (never documented). */
export const benchFloorRoute: RouteDef = {
  method: 'POST',
  url: '/api/v1/bench/floor',
  summary: 'The HTTP benchmark’s floor: a transaction body authenticated and parsed, not recorded',
  tag: 'Transactions',
  permission: 'transactions:write',
  envelope: 'docs',
  status: 202,
  body: transactionInput,
  run: (ctx, i) => Promise.resolve(floorTransaction(ctx, i.body)),
};
