/**
 * The server's whole surface as tests see it: every route Fastify registered and every tRPC
 * procedure, read from the running server and the router (not retyped), and an explicit table of
 * how to make a valid call of each — who may make it and which record it names — so that the
 * matrix and fuzz tests cover a new route or procedure as soon as it is added, and fail until the
 * table says how to call it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTRPCUntypedClient, httpBatchStreamLink, TRPCClientError } from '@trpc/client';
import superjson from 'superjson';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import type { Permission } from '../src/lib/apiKeys.js';
import { appRouter, type AppRouter } from '../src/trpc/routers/_app.js';
import type { Reply, TestServer } from './harness.js';

// ---------------------------------------------------------------------------------------------
// What is registered

/**
 * Every `METHOD /url` Fastify has registered, read from `printRoutes` (the route tree, one node a
 * line: `├── api/agents (POST, GET, HEAD)` and its children `│   └── /:agentId (GET …)`). HEAD
 * routes Fastify adds for every GET are left out (they run the GET's handler).
 */
export function registeredRoutes(app: FastifyInstance): string[] {
  const tree = app.printRoutes({ commonPrefix: false });
  const stack: string[] = [];
  const out = new Set<string>();
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)[├└]── (\S+)(?: \(([A-Z, ]+)\))?$/u.exec(line);
    if (!m) {
      if (line.trim() !== '') throw new Error(`printRoutes line not understood: ${line}`);
      continue;
    }
    const depth = (m[1] ?? '').length / 4;
    const segment = m[2] ?? '';
    const parent = stack[depth - 1];
    // A child's segment carries its own leading slash, except under the root `/`.
    const path = parent === undefined ? segment : parent + segment;
    stack[depth] = path;
    stack.length = depth + 1;
    for (const method of (m[3] ?? '').split(', ').filter(Boolean)) {
      if (method !== 'HEAD') out.add(`${method} ${path}`);
    }
  }
  return [...out].sort();
}

/** Every tRPC procedure path (`transactions.submit`) and whether it is a query or a mutation. */
export function registeredProcedures(): Map<string, 'query' | 'mutation' | 'subscription'> {
  const out = new Map<string, 'query' | 'mutation' | 'subscription'>();
  for (const [path, proc] of Object.entries(appRouter._def.procedures)) {
    out.set(path, (proc as { _def: { type: 'query' | 'mutation' | 'subscription' } })._def.type);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Calls

export interface Org {
  orgId: string;
  /** Its admin key (`*`). */
  key: string;
}

/** A dashboard session: its cookie and its CSRF token. */
export interface Session {
  cookie: string;
  csrf: string;
}

/** How a call is authenticated: with a key, a session, or not at all. */
export type Credentials = { key: string } | { session: Session } | 'none';

export function authHeaders(creds: Credentials): Record<string, string> {
  if (creds === 'none') return {};
  if ('key' in creds) return { authorization: `Bearer ${creds.key}` };
  return { cookie: creds.session.cookie, 'x-reins-csrf': creds.session.csrf };
}

export interface RestCall {
  /** The path with its parameters filled in, and a query string if any. */
  path: string;
  body?: unknown;
  /** Credentials the call needs whatever the matrix does (a session for a password change). */
  credentials?: Credentials;
}

/** Sends a REST call with `creds` (null: the call's own credentials). */
export function sendRest<T = Record<string, unknown>>(
  t: TestServer,
  method: string,
  call: RestCall,
  creds: Credentials,
  extraHeaders: Record<string, string> = {},
): Promise<Reply<T>> {
  return t.call<T>(method, call.path, call.body, {
    key: null,
    headers: { ...authHeaders(creds), ...extraHeaders },
  });
}

/** A tRPC reply: `data` on success, else the error with the docs' body in `reins`. */
export interface TrpcReply {
  status: number;
  data: unknown;
  error: { code: string; httpStatus: number; reins: Record<string, unknown> } | null;
  text: string;
}

/**
 * superjson's envelope of `input`; for input superjson refuses to send (a `__proto__` key), the
 * envelope a client without that check would send.
 */
function serialize(input: unknown): unknown {
  try {
    return superjson.serialize(input);
  } catch {
    return { json: input };
  }
}

/** One tRPC call over HTTP, as `httpLink` sends it (superjson, no batching). */
export async function sendTrpc(
  t: TestServer,
  path: string,
  type: 'query' | 'mutation' | 'subscription',
  input: unknown,
  creds: Credentials,
  extraHeaders: Record<string, string> = {},
): Promise<TrpcReply> {
  const headers = { ...authHeaders(creds), ...extraHeaders };
  const encoded = input === undefined ? undefined : JSON.stringify(serialize(input));
  const res =
    type === 'mutation'
      ? await t.call('POST', `/trpc/${path}`, undefined, { key: null, headers, raw: encoded })
      : await t.call(
          'GET',
          `/trpc/${path}${encoded === undefined ? '' : `?input=${encodeURIComponent(encoded)}`}`,
          undefined,
          { key: null, headers },
        );
  return trpcReply(res);
}

/**
 * A call of a procedure that streams (its result is an async iterable), as `httpBatchStreamLink`
 * makes it: the chunks joined, or the error.
 */
export async function sendTrpcStream(
  t: TestServer,
  path: string,
  input: unknown,
  creds: Credentials,
): Promise<TrpcReply> {
  const client = createTRPCUntypedClient<AppRouter>({
    links: [
      httpBatchStreamLink({
        url: `${t.url}/trpc`,
        transformer: superjson,
        headers: authHeaders(creds),
      }),
    ],
  });
  try {
    let text = '';
    for await (const chunk of (await client.query(path, input)) as AsyncIterable<string>) {
      text += chunk;
    }
    return { status: 200, data: text, error: null, text };
  } catch (err) {
    if (!(err instanceof TRPCClientError)) throw err;
    const data = (err as TRPCClientError<AppRouter>).data as NonNullable<TrpcReply['error']>;
    return { status: data.httpStatus, data: undefined, error: data, text: err.message };
  }
}

export function trpcReply(res: Reply): TrpcReply {
  const body = res.body as
    | {
        result?: { data?: unknown };
        error?: {
          json?: { data?: { code: string; httpStatus: number; reins: Record<string, unknown> } };
        };
      }
    | undefined;
  const data = body?.result?.data;
  return {
    status: res.status,
    data:
      data === undefined
        ? undefined
        : superjson.deserialize(data as Parameters<typeof superjson.deserialize>[0]),
    error: body?.error?.json?.data ?? null,
    text: res.text,
  };
}

/**
 * A dashboard build of one page, so that the dashboard's routes answer as in production (an
 * unbuilt dashboard answers 503 with a page saying so).
 */
export function dashboardBuild(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'reins-test-web-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Reins</title>');
  return {
    dir,
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Records to call routes with: each helper makes a new one in `org`, through the API

let seq = 0;
const next = () => String(++seq);

export const PASSWORD = 'correct horse battery staple';

/** Fails the test with the reply when a fixture call does not succeed. */
function ok<T>(res: Reply<T>, what: string): T {
  expect(res.status, `${what}: ${res.text}`).toBeLessThan(300);
  return res.body;
}

export function makers(t: () => TestServer) {
  const post = async <T>(org: Org, path: string, body: unknown, what: string) =>
    ok(await t().call<T>('POST', path, body, { key: org.key }), what);
  const m = {
    agent: async (org: Org) =>
      (
        await post<{ agent: { agentId: string } }>(
          org,
          '/api/agents',
          { agentId: `agent-${next()}`, name: 'Matrix agent' },
          'agent',
        )
      ).agent.agentId,
    docsRule: async (org: Org) =>
      (
        await post<{ id: string }>(
          org,
          '/api/policy-rules',
          {
            name: `Warn on Perplexity ${next()}`,
            priority: 50,
            conditions: { vendors: ['perplexity'] },
            action: 'warn',
            actionConfig: { message: 'Perplexity spend is watched' },
          },
          'docs rule',
        )
      ).id,
    typedRule: async (org: Org) =>
      (
        await post<{ id: string }>(
          org,
          '/api/v1/rules',
          {
            name: `Typed daily warning ${next()}`,
            type: 'budget',
            condition: { window: 'daily', threshold: 1_000_000 },
            action: 'warn',
          },
          'typed rule',
        )
      ).id,
    transaction: async (org: Org, extra: Record<string, unknown> = {}) =>
      (
        await post<{ id: string }>(
          org,
          '/api/v1/transactions',
          { amount: 1, vendor: 'openai', model: 'gpt-4o', agentId: 'matrix', ...extra },
          'transaction',
        )
      ).id,
    reservation: (org: Org) => m.transaction(org, { phase: 'reserve' }),
    /** A flagged transaction (the org gets a rule flagging Cohere the first time). */
    flagged: async (org: Org) => {
      if (!flagging.has(org.orgId)) {
        flagging.add(org.orgId);
        await post(
          org,
          '/api/policy-rules',
          {
            name: 'Flag Cohere',
            priority: 1,
            conditions: { vendors: ['cohere'] },
            action: 'flag',
            actionConfig: { message: 'Cohere spend is reviewed by hand' },
          },
          'flag rule',
        );
      }
      return m.transaction(org, { vendor: 'cohere', model: 'command-r' });
    },
    /** An alert raised by a warn rule's threshold, crossed by a new agent's transaction. */
    alert: async (org: Org) => {
      if (!warning.has(org.orgId)) {
        warning.add(org.orgId);
        await post(
          org,
          '/api/policy-rules',
          {
            name: 'Warn at 80% of $10 a day per agent',
            priority: 2,
            conditions: { timeWindow: 'daily' },
            action: 'warn',
            actionConfig: { message: '80% used', limitCents: 1000, thresholdPct: 80, per: 'agent' },
          },
          'warn rule',
        );
      }
      const txId = await m.transaction(org, { amount: 900, agentId: `alerting-${next()}` });
      const list = ok(
        await t().call<{ alerts: { id: string; transactionId: string }[] }>(
          'GET',
          '/api/policy-alerts?limit=100',
          undefined,
          { key: org.key },
        ),
        'alerts',
      );
      const alert = list.alerts.find((a) => a.transactionId === txId);
      if (!alert) throw new Error(`no alert for ${txId}`);
      return alert.id;
    },
    channel: async (org: Org) =>
      (
        await post<{ channel: { id: string } }>(
          org,
          '/api/notification-channels',
          { name: `Matrix hook ${next()}`, type: 'webhook', url: 'http://127.0.0.1:9/hook' },
          'channel',
        )
      ).channel.id,
    backtest: async (org: Org) =>
      (
        await post<{ backtest: { id: string } }>(
          org,
          '/api/policy-rules/backtest',
          {
            rules: [
              {
                name: 'Draft',
                conditions: { vendors: ['openai'] },
                action: 'block',
                actionConfig: { message: 'off' },
              },
            ],
            startDate: '2026-01-01',
            endDate: '2026-01-02',
          },
          'backtest',
        )
      ).backtest.id,
    verification: async (org: Org) =>
      (
        await post<{ verification: { id: string } }>(
          org,
          '/api/v1/audit-log/verifications',
          {},
          'verification',
        )
      ).verification.id,
    priceOverride: async (org: Org) =>
      (
        await post<{ override: { id: string } }>(
          org,
          '/api/vendors/openai/price-overrides',
          { model: `matrix-model-${next()}`, inputPerMtokUsd: 1 },
          'price override',
        )
      ).override.id,
    /** A team budget; returns the team's name. */
    budget: async (org: Org) => {
      const team = `team-${next()}`;
      ok(
        await t().call(
          'PUT',
          `/api/budgets/teams/${team}`,
          { dailyBudgetCents: 100_000 },
          {
            key: org.key,
          },
        ),
        'budget',
      );
      return team;
    },
    /** A key holding `permissions`: its id and its value. */
    key: async (org: Org, permissions: string[]) => {
      const body = await post<{ id: string; key: string }>(
        org,
        '/api/keys',
        { name: `matrix ${next()}`, permissions },
        'key',
      );
      return { id: body.id, key: body.key };
    },
    /** A new dashboard user of `org`, with its one-time sign-in link's token. */
    user: async (org: Org, role: 'admin' | 'editor' | 'viewer' = 'viewer') => {
      const res = await sendTrpc(
        t(),
        'users.create',
        'mutation',
        { email: `user${next()}@example.com`, role },
        { key: org.key },
      );
      expect(res.status, res.text).toBe(200);
      const data = res.data as { user: { id: string; email: string }; signInLink: string };
      return {
        id: data.user.id,
        email: data.user.email,
        token: data.signInLink.split('#token=')[1] ?? '',
      };
    },
    /** A signed-in dashboard user of `org` whose password is PASSWORD. */
    session: async (org: Org, role: 'admin' | 'editor' | 'viewer' = 'viewer') => {
      const u = await m.user(org, role);
      const res = await t().call<{ session: { csrfToken: string } }>(
        'POST',
        '/api/auth/link',
        { token: u.token, password: PASSWORD },
        { key: null },
      );
      expect(res.status, res.text).toBe(200);
      const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      return { ...u, session: { cookie, csrf: res.body.session.csrfToken } };
    },
  };
  const flagging = new Set<string>();
  const warning = new Set<string>();
  return m;
}

export type Makers = ReturnType<typeof makers>;

// ---------------------------------------------------------------------------------------------
// The table

/**
 * Who may call: anyone (`public`, with why), any authenticated caller (`caller`, with why), or a
 * key holding `permission` (and `alsoNeeds`, which the call itself asks for: minting a key with
 * a permission needs that permission too).
 */
export type Access =
  { public: string } | { caller: string } | { permission: Permission; alsoNeeds?: Permission[] };

/**
 * What the call's path or input names: `'org'` — a record of the caller's organization, so that
 * another organization's key gets 404 — or, for a name that is not such a record, why not.
 * Absent when the call names no record.
 */
export type Names = 'org' | { notARecord: string };

export interface RestEntry {
  access: Access;
  names?: Names;
  /** The status of the valid call. */
  ok: number;
  build(org: Org, m: Makers): RestCall | Promise<RestCall>;
}

export interface TrpcEntry {
  access: Access;
  names?: Names;
  /** Its result is a stream of chunks: called as `httpBatchStreamLink` calls it. */
  stream?: true;
  build(org: Org, m: Makers): unknown;
}

const p = (permission: Permission, alsoNeeds?: Permission[]): Access =>
  alsoNeeds ? { permission, alsoNeeds } : { permission };
const r = (path: string, body?: unknown): RestCall =>
  body === undefined ? { path } : { path, body };
const VENDOR_NAME: Names = {
  notARecord: 'a vendor name (the six vendors are the same for every organization)',
};
const BUDGET_NAME: Names = {
  notARecord:
    "an upsert by a team's name: it writes the caller's own budget (GET and DELETE of the name are 404 in another organization)",
};
const VIEWER_PERMISSIONS: Permission[] = [
  'transactions:read',
  'policies:read',
  'agents:read',
  'audit:read',
  'alerts:read',
  'analytics:read',
];
const TX = { amount: 1, vendor: 'openai', model: 'gpt-4o' };
const DRAFT = {
  name: 'Draft',
  conditions: { vendors: ['openai'] },
  action: 'block',
  actionConfig: { message: 'off' },
};

/** Every REST route, `METHOD /url` as Fastify registers it. */
export const REST: Record<string, RestEntry> = {
  'GET /': { access: { public: 'the dashboard' }, ok: 200, build: () => r('/') },
  'GET /index.html': {
    access: { public: 'the dashboard' },
    ok: 200,
    build: () => r('/index.html'),
  },
  'GET /health': { access: { public: 'health checks' }, ok: 200, build: () => r('/health') },
  'GET /sdk/:file': {
    access: { public: 'the one-file SDK, copied by users' },
    names: { notARecord: 'a file of the SDK build, the same for every organization' },
    ok: 200,
    build: () => r('/sdk/reins.js'),
  },
  'GET /api/openapi.json': {
    access: { public: 'the API reference' },
    ok: 200,
    build: () => r('/api/openapi.json'),
  },
  'GET /api/docs': {
    access: { public: 'the API reference, rendered' },
    ok: 200,
    build: () => r('/api/docs'),
  },
  'GET /api/docs/scalar.js': {
    access: { public: "the API reference's renderer" },
    ok: 200,
    build: () => r('/api/docs/scalar.js'),
  },
  'POST /api/auth/login': {
    access: { public: 'signing in' },
    ok: 200,
    build: async (org, m) => {
      const u = await m.session(org);
      return r('/api/auth/login', { email: u.email, password: PASSWORD });
    },
  },
  'POST /api/auth/link': {
    access: { public: 'redeeming a one-time sign-in link' },
    ok: 200,
    build: async (org, m) =>
      r('/api/auth/link', { token: (await m.user(org)).token, password: PASSWORD }),
  },
  'POST /api/auth/logout': {
    access: { public: 'signing out is done even when the session has ended' },
    ok: 204,
    build: () => r('/api/auth/logout'),
  },
  'GET /api/auth/session': {
    access: { caller: 'what the caller itself is signed in as' },
    ok: 200,
    build: () => r('/api/auth/session'),
  },
  'POST /api/auth/password': {
    access: { caller: "a user's own password (a signed-in user; keys get 403 NOT_A_USER)" },
    ok: 204,
    build: async (org, m) => {
      const u = await m.session(org);
      return {
        ...r('/api/auth/password', { currentPassword: PASSWORD, newPassword: `${PASSWORD} 2` }),
        credentials: { session: u.session },
      };
    },
  },
  'GET /api/org': { access: p('policies:read'), ok: 200, build: () => r('/api/org') },
  'PUT /api/org': {
    access: p('org:admin'),
    ok: 200,
    build: () => r('/api/org', { name: 'Matrix org' }),
  },
  'POST /api/agents': {
    access: p('agents:write'),
    ok: 201,
    build: () => r('/api/agents', { agentId: `new-${String(Date.now())}-${next()}`, name: 'A' }),
  },
  'GET /api/agents': { access: p('agents:read'), ok: 200, build: () => r('/api/agents') },
  'GET /api/agents/:agentId': {
    access: p('agents:read'),
    names: 'org',
    ok: 200,
    build: async (org, m) => r(`/api/agents/${await m.agent(org)}`),
  },
  'PUT /api/agents/:agentId': {
    access: p('agents:write'),
    names: 'org',
    ok: 200,
    build: async (org, m) => r(`/api/agents/${await m.agent(org)}`, { name: 'Renamed' }),
  },
  'DELETE /api/agents/:agentId': {
    access: p('agents:write'),
    names: 'org',
    ok: 200,
    build: async (org, m) => r(`/api/agents/${await m.agent(org)}`),
  },
  'GET /api/analytics/summary': {
    access: p('analytics:read'),
    ok: 200,
    build: () => r('/api/analytics/summary'),
  },
  'GET /api/analytics/forecast': {
    access: p('analytics:read'),
    ok: 200,
    build: () => r('/api/analytics/forecast'),
  },
  'GET /api/analytics/anomalies': {
    access: p('analytics:read'),
    ok: 200,
    build: () => r('/api/analytics/anomalies'),
  },
  'POST /api/v1/transactions': {
    access: p('transactions:write'),
    ok: 202,
    build: () => r('/api/v1/transactions', TX),
  },
  'GET /api/v1/transactions': {
    access: p('transactions:read'),
    ok: 200,
    build: () => r('/api/v1/transactions'),
  },
  'POST /api/v1/transactions/bulk': {
    access: p('transactions:write'),
    ok: 200,
    build: () => r('/api/v1/transactions/bulk', { transactions: [TX, TX] }),
  },
  'GET /api/v1/transactions/:id': {
    access: p('transactions:read'),
    names: 'org',
    ok: 200,
    build: async (org, m) => r(`/api/v1/transactions/${await m.transaction(org)}`),
  },
  'GET /api/v1/transactions/:id/trace': {
    access: p('transactions:read'),
    names: 'org',
    ok: 200,
    build: async (org, m) => r(`/api/v1/transactions/${await m.transaction(org)}/trace`),
  },
  'POST /api/v1/transactions/:id/settle': {
    access: p('transactions:write'),
    names: 'org',
    ok: 200,
    build: async (org, m) =>
      r(`/api/v1/transactions/${await m.reservation(org)}/settle`, { amount: 1 }),
  },
  'POST /api/v1/transactions/:id/void': {
    access: p('transactions:write'),
    names: 'org',
    ok: 200,
    build: async (org, m) => r(`/api/v1/transactions/${await m.reservation(org)}/void`, {}),
  },
  'POST /api/v1/transactions/:id/review': {
    access: p('transactions:review'),
    names: 'org',
    ok: 200,
    build: async (org, m) =>
      r(`/api/v1/transactions/${await m.flagged(org)}/review`, { decision: 'approved' }),
  },
  'GET /api/v1/rules': {
    access: p('policies:read'),
    ok: 200,
    build: () => r('/api/v1/rules'),
  },
  'POST /api/v1/rules': {
    access: p('policies:write'),
    ok: 201,
    build: () =>
      r('/api/v1/rules', {
        name: 'Typed',
        type: 'budget',
        condition: { window: 'daily', threshold: 1_000_000 },
        action: 'warn',
      }),
  },
  'GET /api/v1/rules/:id': {
    access: p('policies:read'),
    names: 'org',
    ok: 200,
    build: async (org, m) => r(`/api/v1/rules/${await m.typedRule(org)}`),
  },
  'PUT /api/v1/rules/:id': {
    access: p('policies:write'),
    names: 'org',
    ok: 200,
    build: async (org, m) => r(`/api/v1/rules/${await m.typedRule(org)}`, { enabled: false }),
  },
  'DELETE /api/v1/rules/:id': {
    access: p('policies:write'),
    names: 'org',
    ok: 204,
    build: async (org, m) => r(`/api/v1/rules/${await m.typedRule(org)}`),
  },
  'GET /api/v1/audit-log': {
    access: p('audit:read'),
    ok: 200,
    build: () => r('/api/v1/audit-log'),
  },
  'GET /api/v1/audit-log/csv': {
    access: p('audit:read'),
    ok: 200,
    build: () => r('/api/v1/audit-log/csv'),
  },
  'GET /api/v1/audit-log/verify': {
    access: p('audit:read'),
    ok: 200,
    build: () => r('/api/v1/audit-log/verify'),
  },
  'POST /api/v1/audit-log/verifications': {
    access: p('audit:read'),
    ok: 202,
    build: () => r('/api/v1/audit-log/verifications', {}),
  },
  'GET /api/v1/audit-log/verifications/:id': {
    access: p('audit:read'),
    names: 'org',
    ok: 200,
    build: async (org, m) => r(`/api/v1/audit-log/verifications/${await m.verification(org)}`),
  },
  'GET /api/v1/sdk/state': {
    access: p('policies:read'),
    ok: 200,
    build: () => r('/api/v1/sdk/state'),
  },
  'GET /api/vendors': { access: p('policies:read'), ok: 200, build: () => r('/api/vendors') },
  'GET /api/vendors/:vendor': {
    access: p('policies:read'),
    names: VENDOR_NAME,
    ok: 200,
    build: () => r('/api/vendors/openai'),
  },
  'PUT /api/vendors/:vendor': {
    access: p('policies:write'),
    names: VENDOR_NAME,
    ok: 200,
    build: () => r('/api/vendors/mistral', { rateLimitRpm: 100_000 }),
  },
  'GET /api/vendors/:vendor/prices': {
    access: p('policies:read'),
    names: VENDOR_NAME,
    ok: 200,
    build: () => r('/api/vendors/openai/prices'),
  },
  'GET /api/vendors/:vendor/price-overrides': {
    access: p('policies:read'),
    names: VENDOR_NAME,
    ok: 200,
    build: () => r('/api/vendors/openai/price-overrides'),
  },
  'POST /api/vendors/:vendor/price-overrides': {
    access: p('policies:write'),
    names: VENDOR_NAME,
    ok: 201,
    build: () =>
      r('/api/vendors/openai/price-overrides', {
        model: `matrix-new-${next()}`,
        inputPerMtokUsd: 2,
      }),
  },
  'DELETE /api/vendors/:vendor/price-overrides/:id': {
    access: p('policies:write'),
    names: 'org',
    ok: 200,
    build: async (org, m) => r(`/api/vendors/openai/price-overrides/${await m.priceOverride(org)}`),
  },
  'POST /api/policy-rules': {
    access: p('policies:write'),
    ok: 201,
    build: () =>
      r('/api/policy-rules', {
        name: 'Docs rule',
        conditions: { vendors: ['perplexity'] },
        action: 'warn',
        actionConfig: { message: 'watched' },
      }),
  },
  'GET /api/policy-rules': {
    access: p('policies:read'),
    ok: 200,
    build: () => r('/api/policy-rules'),
  },
  'POST /api/policy-rules/evaluate': {
    access: p('policies:read'),
    ok: 200,
    build: () => r('/api/policy-rules/evaluate', TX),
  },
  'POST /api/policy-rules/backtest': {
    access: p('policies:write'),
    ok: 202,
    build: () =>
      r('/api/policy-rules/backtest', {
        rules: [DRAFT],
        startDate: '2026-01-01',
        endDate: '2026-01-02',
      }),
  },
  'GET /api/policy-rules/backtest/:id': {
    access: p('policies:read'),
    names: 'org',
    ok: 200,
    build: async (org, m) => r(`/api/policy-rules/backtest/${await m.backtest(org)}`),
  },
  'GET /api/policy-rules/:id': {
    access: p('policies:read'),
    names: 'org',
    ok: 200,
    build: async (org, m) => r(`/api/policy-rules/${await m.docsRule(org)}`),
  },
  'PUT /api/policy-rules/:id': {
    access: p('policies:write'),
    names: 'org',
    ok: 200,
    build: async (org, m) => r(`/api/policy-rules/${await m.docsRule(org)}`, { enabled: false }),
  },
  'DELETE /api/policy-rules/:id': {
    access: p('policies:write'),
    names: 'org',
    ok: 200,
    build: async (org, m) => r(`/api/policy-rules/${await m.docsRule(org)}`),
  },
  'GET /api/policy-rules/:id/hits': {
    access: p('policies:read'),
    names: 'org',
    ok: 200,
    build: async (org, m) => r(`/api/policy-rules/${await m.docsRule(org)}/hits`),
  },
  'GET /api/policy-alerts': {
    access: p('alerts:read'),
    ok: 200,
    build: () => r('/api/policy-alerts'),
  },
  'GET /api/policy-alerts/:id': {
    access: p('alerts:read'),
    names: 'org',
    ok: 200,
    build: async (org, m) => r(`/api/policy-alerts/${await m.alert(org)}`),
  },
  'PUT /api/policy-alerts/:id/read': {
    access: p('alerts:write'),
    names: 'org',
    ok: 200,
    build: async (org, m) => r(`/api/policy-alerts/${await m.alert(org)}/read`),
  },
  'GET /api/keys': { access: p('keys:admin'), ok: 200, build: () => r('/api/keys') },
  'POST /api/keys': {
    access: p('keys:admin'),
    ok: 201,
    build: () => r('/api/keys', { name: 'minted', permissions: ['keys:admin'] }),
  },
  'DELETE /api/keys/:id': {
    access: p('keys:admin'),
    names: 'org',
    ok: 200,
    // A key may revoke only keys whose permissions it holds itself.
    build: async (org, m) => r(`/api/keys/${(await m.key(org, ['keys:admin'])).id}`),
  },
  'GET /api/budgets': { access: p('policies:read'), ok: 200, build: () => r('/api/budgets') },
  'GET /api/budgets/usage': {
    access: p('policies:read'),
    ok: 200,
    build: () => r('/api/budgets/usage'),
  },
  'GET /api/budgets/:kind/:id': {
    access: p('policies:read'),
    names: 'org',
    ok: 200,
    build: async (org, m) => r(`/api/budgets/teams/${await m.budget(org)}`),
  },
  'PUT /api/budgets/:kind/:id': {
    access: p('policies:write'),
    names: BUDGET_NAME,
    ok: 200,
    build: async (org, m) =>
      r(`/api/budgets/teams/${await m.budget(org)}`, { dailyBudgetCents: 5000 }),
  },
  'DELETE /api/budgets/:kind/:id': {
    access: p('policies:write'),
    names: 'org',
    ok: 200,
    build: async (org, m) => r(`/api/budgets/teams/${await m.budget(org)}`),
  },
  'POST /api/notification-channels': {
    access: p('alerts:write'),
    ok: 201,
    build: () =>
      r('/api/notification-channels', {
        name: 'New hook',
        type: 'webhook',
        url: 'http://127.0.0.1:9/new',
      }),
  },
  'GET /api/notification-channels': {
    access: p('alerts:read'),
    ok: 200,
    build: () => r('/api/notification-channels'),
  },
  'GET /api/notification-channels/:id': {
    access: p('alerts:read'),
    names: 'org',
    ok: 200,
    build: async (org, m) => r(`/api/notification-channels/${await m.channel(org)}`),
  },
  'PUT /api/notification-channels/:id': {
    access: p('alerts:write'),
    names: 'org',
    ok: 200,
    build: async (org, m) =>
      r(`/api/notification-channels/${await m.channel(org)}`, { enabled: false }),
  },
  'DELETE /api/notification-channels/:id': {
    access: p('alerts:write'),
    names: 'org',
    ok: 200,
    build: async (org, m) => r(`/api/notification-channels/${await m.channel(org)}`),
  },
  'POST /api/notification-channels/:id/test': {
    access: p('alerts:write'),
    names: 'org',
    ok: 202,
    build: async (org, m) => r(`/api/notification-channels/${await m.channel(org)}/test`),
  },
  'GET /api/notification-channels/:id/deliveries': {
    access: p('alerts:read'),
    names: 'org',
    ok: 200,
    build: async (org, m) => r(`/api/notification-channels/${await m.channel(org)}/deliveries`),
  },
};

/** Routes served by an adapter whose own table is elsewhere: tRPC's, below. */
export const ADAPTER_ROUTES: Record<string, string> = Object.fromEntries(
  ['GET', 'TRACE', 'DELETE', 'OPTIONS', 'PATCH', 'PUT', 'POST', 'QUERY'].map((m) => [
    `${m} /trpc/:path`,
    'the tRPC adapter: every procedure is in the TRPC table',
  ]),
);

const id = (v: string) => ({ id: v });

/** Every tRPC procedure. */
export const TRPC: Record<string, TrpcEntry> = {
  health: { access: { public: 'health checks' }, build: () => undefined },
  'transactions.submit': { access: p('transactions:write'), build: () => TX },
  'transactions.bulk': {
    access: p('transactions:write'),
    build: () => ({ transactions: [TX] }),
  },
  'transactions.settle': {
    access: p('transactions:write'),
    names: 'org',
    build: async (org, m) => ({ id: await m.reservation(org), body: { amount: 1 } }),
  },
  'transactions.void': {
    access: p('transactions:write'),
    names: 'org',
    build: async (org, m) => id(await m.reservation(org)),
  },
  'transactions.review': {
    access: p('transactions:review'),
    names: 'org',
    build: async (org, m) => ({ id: await m.flagged(org), body: { decision: 'rejected' } }),
  },
  'transactions.list': { access: p('transactions:read'), build: () => ({}) },
  'transactions.get': {
    access: p('transactions:read'),
    names: 'org',
    build: async (org, m) => id(await m.transaction(org)),
  },
  'transactions.trace': {
    access: p('transactions:read'),
    names: 'org',
    build: async (org, m) => id(await m.transaction(org)),
  },
  'policyRules.evaluate': { access: p('policies:read'), build: () => TX },
  'policyRules.create': {
    access: p('policies:write'),
    build: () => ({ ...DRAFT, action: 'warn', conditions: { vendors: ['perplexity'] } }),
  },
  'policyRules.list': { access: p('policies:read'), build: () => ({}) },
  'policyRules.get': {
    access: p('policies:read'),
    names: 'org',
    build: async (org, m) => id(await m.docsRule(org)),
  },
  'policyRules.update': {
    access: p('policies:write'),
    names: 'org',
    build: async (org, m) => ({ id: await m.docsRule(org), patch: { enabled: false } }),
  },
  'policyRules.delete': {
    access: p('policies:write'),
    names: 'org',
    build: async (org, m) => id(await m.docsRule(org)),
  },
  'policyRules.startBacktest': {
    access: p('policies:write'),
    build: () => ({ rules: [DRAFT], startDate: '2026-01-01', endDate: '2026-01-02' }),
  },
  'policyRules.getBacktest': {
    access: p('policies:read'),
    names: 'org',
    build: async (org, m) => id(await m.backtest(org)),
  },
  'policyRules.hits': {
    access: p('policies:read'),
    names: 'org',
    build: async (org, m) => id(await m.docsRule(org)),
  },
  'rules.list': { access: p('policies:read'), build: () => undefined },
  'rules.get': {
    access: p('policies:read'),
    names: 'org',
    build: async (org, m) => id(await m.typedRule(org)),
  },
  'rules.create': {
    access: p('policies:write'),
    build: () => ({
      name: 'Typed',
      type: 'budget',
      condition: { window: 'daily', threshold: 1_000_000 },
      action: 'warn',
    }),
  },
  'rules.update': {
    access: p('policies:write'),
    names: 'org',
    build: async (org, m) => ({ id: await m.typedRule(org), patch: { enabled: false } }),
  },
  'rules.delete': {
    access: p('policies:write'),
    names: 'org',
    build: async (org, m) => id(await m.typedRule(org)),
  },
  'keys.list': { access: p('keys:admin'), build: () => undefined },
  'keys.create': {
    access: p('keys:admin'),
    build: () => ({ name: 'minted', permissions: ['keys:admin'] }),
  },
  'keys.revoke': {
    access: p('keys:admin'),
    names: 'org',
    build: async (org, m) => id((await m.key(org, ['keys:admin'])).id),
  },
  'agents.create': {
    access: p('agents:write'),
    build: () => ({ agentId: `trpc-${next()}`, name: 'A' }),
  },
  'agents.list': { access: p('agents:read'), build: () => ({}) },
  'agents.get': {
    access: p('agents:read'),
    names: 'org',
    build: async (org, m) => ({ agentId: await m.agent(org) }),
  },
  'agents.update': {
    access: p('agents:write'),
    names: 'org',
    build: async (org, m) => ({ agentId: await m.agent(org), name: 'Renamed' }),
  },
  'agents.delete': {
    access: p('agents:write'),
    names: 'org',
    build: async (org, m) => ({ agentId: await m.agent(org) }),
  },
  'org.get': { access: p('policies:read'), build: () => undefined },
  'org.update': { access: p('org:admin'), build: () => ({ name: 'Matrix org' }) },
  'budgets.usage': { access: p('policies:read'), build: () => undefined },
  'budgets.list': { access: p('policies:read'), build: () => ({}) },
  'budgets.get': {
    access: p('policies:read'),
    names: 'org',
    build: async (org, m) => ({ kind: 'teams', id: await m.budget(org) }),
  },
  'budgets.set': {
    access: p('policies:write'),
    names: BUDGET_NAME,
    build: async (org, m) => ({ kind: 'teams', id: await m.budget(org), dailyBudgetCents: 7000 }),
  },
  'budgets.delete': {
    access: p('policies:write'),
    names: 'org',
    build: async (org, m) => ({ kind: 'teams', id: await m.budget(org) }),
  },
  'vendors.list': { access: p('policies:read'), build: () => undefined },
  'vendors.get': {
    access: p('policies:read'),
    names: VENDOR_NAME,
    build: () => ({ vendor: 'openai' }),
  },
  'vendors.update': {
    access: p('policies:write'),
    names: VENDOR_NAME,
    build: () => ({ vendor: 'mistral', rateLimitRpm: 90_000 }),
  },
  'vendors.prices': {
    access: p('policies:read'),
    names: VENDOR_NAME,
    build: () => ({ vendor: 'openai' }),
  },
  'vendors.listOverrides': {
    access: p('policies:read'),
    names: VENDOR_NAME,
    build: () => ({ vendor: 'openai' }),
  },
  'vendors.createOverride': {
    access: p('policies:write'),
    names: VENDOR_NAME,
    build: () => ({ vendor: 'openai', model: `trpc-model-${next()}`, inputPerMtokUsd: 3 }),
  },
  'vendors.deleteOverride': {
    access: p('policies:write'),
    names: 'org',
    build: async (org, m) => ({ vendor: 'openai', id: await m.priceOverride(org) }),
  },
  'auditLog.list': { access: p('audit:read'), build: () => ({}) },
  'auditLog.csv': { access: p('audit:read'), stream: true, build: () => ({}) },
  'auditLog.verify': { access: p('audit:read'), build: () => undefined },
  'auditLog.startVerification': { access: p('audit:read'), build: () => ({}) },
  'auditLog.getVerification': {
    access: p('audit:read'),
    names: 'org',
    build: async (org, m) => id(await m.verification(org)),
  },
  'alerts.list': { access: p('alerts:read'), build: () => ({}) },
  'alerts.get': {
    access: p('alerts:read'),
    names: 'org',
    build: async (org, m) => id(await m.alert(org)),
  },
  'alerts.markRead': {
    access: p('alerts:write'),
    names: 'org',
    build: async (org, m) => id(await m.alert(org)),
  },
  'analytics.summary': { access: p('analytics:read'), build: () => ({}) },
  'analytics.forecast': { access: p('analytics:read'), build: () => ({}) },
  'analytics.anomalies': { access: p('analytics:read'), build: () => ({}) },
  'notificationChannels.create': {
    access: p('alerts:write'),
    build: () => ({ name: 'tRPC hook', type: 'webhook', url: 'http://127.0.0.1:9/trpc' }),
  },
  'notificationChannels.list': { access: p('alerts:read'), build: () => undefined },
  'notificationChannels.get': {
    access: p('alerts:read'),
    names: 'org',
    build: async (org, m) => id(await m.channel(org)),
  },
  'notificationChannels.update': {
    access: p('alerts:write'),
    names: 'org',
    build: async (org, m) => ({ id: await m.channel(org), patch: { enabled: false } }),
  },
  'notificationChannels.delete': {
    access: p('alerts:write'),
    names: 'org',
    build: async (org, m) => id(await m.channel(org)),
  },
  'notificationChannels.test': {
    access: p('alerts:write'),
    names: 'org',
    build: async (org, m) => id(await m.channel(org)),
  },
  'notificationChannels.deliveries': {
    access: p('alerts:read'),
    names: 'org',
    build: async (org, m) => id(await m.channel(org)),
  },
  'sdk.state': { access: p('policies:read'), build: () => undefined },
  'users.list': { access: p('users:admin'), build: () => undefined },
  'users.create': {
    access: p('users:admin', VIEWER_PERMISSIONS),
    build: () => ({ email: `trpc${next()}@example.com`, role: 'viewer' }),
  },
  'users.update': {
    access: p('users:admin', VIEWER_PERMISSIONS),
    names: 'org',
    build: async (org, m) => ({ id: (await m.user(org)).id, name: 'Renamed' }),
  },
  'users.resetPassword': {
    access: p('users:admin', VIEWER_PERMISSIONS),
    names: 'org',
    build: async (org, m) => id((await m.user(org)).id),
  },
  'users.me': {
    access: { caller: 'what the caller itself is signed in as' },
    build: () => undefined,
  },
};
