/**
 * The REST surface of the docs, declared once: the server registers these routes and the OpenAPI
 * document describes them from the same list. Every route calls the service layer that the tRPC
 * procedures call too.
 */
import type { z } from 'zod';
import { ruleSchemas } from '@reins/engine';
import type { Readable } from 'node:stream';
import type { Ctx } from '../core.js';
import type { ServerEnv } from '../env.js';
import { createKeyInput } from '../schemas/keys.js';
import { listDocsRulesInput } from '../schemas/rules.js';
import {
  bulkInput,
  listTransactionsInput,
  settleInput,
  transactionInput,
  voidInput,
} from '../schemas/transactions.js';
import { settleReservation, voidReservation } from '../services/reservations.js';
import { createKey, listKeys, revokeKey } from '../services/keys.js';
import { agentsRoutes } from './routes/agents.js';
import { vendorsRoutes } from './routes/vendors.js';
import { auditRoutes } from './routes/audit.js';
import { alertsRoutes } from './routes/alerts.js';
import { channelsRoutes } from './routes/channels.js';
import { sdkRoutes } from './routes/sdk.js';
import {
  createRule,
  deleteRule,
  getRule,
  listRules,
  present,
  updateRule,
} from '../services/rules.js';
import {
  dryRunEvaluate,
  getTransaction,
  getTransactionTrace,
  listTransactions,
  submitBulk,
  submitTransaction,
} from '../services/transactions.js';

export interface RouteInput {
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
}

export interface RouteDef {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  summary: string;
  tag: string;
  permission: string;
  /**
   * 'docs' answers `{success: true, ...result}`; 'plain' answers the result as is (typed API);
   * 'stream' sends a `StreamResult` (CSV exports) without buffering it.
   */
  envelope: 'docs' | 'plain' | 'stream';
  status: number;
  body?: z.ZodType;
  query?: z.ZodType;
  /** A larger body limit than the server's default (bulk uploads). */
  bodyLimit?: (env: ServerEnv) => number;
  run: (ctx: Ctx, input: RouteInput) => Promise<unknown>;
}

export interface StreamResult {
  contentType: string;
  /** Sent as `Content-Disposition: attachment; filename="…"`. */
  filename?: string;
  stream: Readable;
}

export const id = (i: RouteInput): string => i.params.id ?? '';

export const routes: RouteDef[] = [
  // Transactions (SPEC §4)
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
    method: 'GET',
    url: '/api/v1/transactions',
    summary: 'List transactions with filters and pagination',
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
  // Policy rules, docs dialect (SPEC §3)
  {
    method: 'POST',
    url: '/api/policy-rules/evaluate',
    summary: 'Dry run: the decision a transaction would get now; records nothing',
    tag: 'Policy rules',
    permission: 'policies:read',
    envelope: 'docs',
    status: 200,
    body: transactionInput,
    run: (ctx, i) => dryRunEvaluate(ctx, i.body),
  },
  {
    method: 'POST',
    url: '/api/policy-rules',
    summary: 'Create a policy rule (docs dialect)',
    tag: 'Policy rules',
    permission: 'policies:write',
    envelope: 'docs',
    status: 201,
    body: ruleSchemas.docs,
    run: async (ctx, i) => {
      const r = await createRule(ctx, 'docs', i.body);
      return {
        id: r.id,
        name: r.name,
        priority: r.priority,
        createdAt: r.createdAt,
        rule: present(r, 'docs'),
      };
    },
  },
  {
    method: 'GET',
    url: '/api/policy-rules',
    summary: 'List policy rules (filters enabled, action, vendor), in evaluation order',
    tag: 'Policy rules',
    permission: 'policies:read',
    envelope: 'docs',
    status: 200,
    query: listDocsRulesInput,
    run: async (ctx, i) => {
      const rules = (await listRules(ctx, i.query)).map((r) => present(r, 'docs'));
      return { rules, count: rules.length };
    },
  },
  {
    method: 'GET',
    url: '/api/policy-rules/:id',
    summary: 'Get a policy rule (docs dialect)',
    tag: 'Policy rules',
    permission: 'policies:read',
    envelope: 'docs',
    status: 200,
    run: async (ctx, i) => ({ rule: present(await getRule(ctx, id(i)), 'docs') }),
  },
  {
    method: 'PUT',
    url: '/api/policy-rules/:id',
    summary: 'Partially update a policy rule (docs dialect)',
    tag: 'Policy rules',
    permission: 'policies:write',
    envelope: 'docs',
    status: 200,
    run: async (ctx, i) => {
      const r = await updateRule(ctx, 'docs', id(i), i.body);
      return { id: r.id, updatedAt: r.updatedAt, rule: present(r, 'docs') };
    },
  },
  {
    method: 'DELETE',
    url: '/api/policy-rules/:id',
    summary: 'Delete a policy rule',
    tag: 'Policy rules',
    permission: 'policies:write',
    envelope: 'docs',
    status: 200,
    run: async (ctx, i) => {
      await deleteRule(ctx, id(i));
      return { id: id(i), deleted: true };
    },
  },
  // Rules, typed dialect (seed 003)
  {
    method: 'GET',
    url: '/api/v1/rules',
    summary: 'List rules (typed dialect)',
    tag: 'Rules (typed)',
    permission: 'policies:read',
    envelope: 'plain',
    status: 200,
    run: async (ctx) => ({
      object: 'list',
      data: (await listRules(ctx, {})).map((r) => present(r, 'typed')),
    }),
  },
  {
    method: 'GET',
    url: '/api/v1/rules/:id',
    summary: 'Get a rule (typed dialect)',
    tag: 'Rules (typed)',
    permission: 'policies:read',
    envelope: 'plain',
    status: 200,
    run: async (ctx, i) => present(await getRule(ctx, id(i)), 'typed'),
  },
  {
    method: 'POST',
    url: '/api/v1/rules',
    summary: 'Create a rule (typed dialect)',
    tag: 'Rules (typed)',
    permission: 'policies:write',
    envelope: 'plain',
    status: 201,
    body: ruleSchemas.typed,
    run: async (ctx, i) => present(await createRule(ctx, 'typed', i.body), 'typed'),
  },
  {
    method: 'PUT',
    url: '/api/v1/rules/:id',
    summary: 'Partially update a rule (typed dialect)',
    tag: 'Rules (typed)',
    permission: 'policies:write',
    envelope: 'plain',
    status: 200,
    run: async (ctx, i) => present(await updateRule(ctx, 'typed', id(i), i.body), 'typed'),
  },
  {
    method: 'DELETE',
    url: '/api/v1/rules/:id',
    summary: 'Delete a rule (typed dialect): 204',
    tag: 'Rules (typed)',
    permission: 'policies:write',
    envelope: 'plain',
    status: 204,
    run: async (ctx, i) => {
      await deleteRule(ctx, id(i));
      return undefined;
    },
  },
  // API keys (SPEC §2)
  {
    method: 'GET',
    url: '/api/keys',
    summary: 'List API keys (masked)',
    tag: 'API keys',
    permission: 'keys:admin',
    envelope: 'docs',
    status: 200,
    run: (ctx) => listKeys(ctx),
  },
  {
    method: 'POST',
    url: '/api/keys',
    summary: 'Create an API key: the key is shown once',
    tag: 'API keys',
    permission: 'keys:admin',
    envelope: 'docs',
    status: 201,
    body: createKeyInput,
    run: (ctx, i) => createKey(ctx, i.body),
  },
  {
    method: 'DELETE',
    url: '/api/keys/:id',
    summary: 'Revoke an API key',
    tag: 'API keys',
    permission: 'keys:admin',
    envelope: 'docs',
    status: 200,
    run: (ctx, i) => revokeKey(ctx, id(i)),
  },
  ...agentsRoutes,
  ...vendorsRoutes,
  ...auditRoutes,
  ...alertsRoutes,
  ...channelsRoutes,
  ...sdkRoutes,
];
