/** Small helpers the integration tests share. */
import { expect } from 'vitest';
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import superjson from 'superjson';
import type { AppRouter } from '../src/trpc/routers/_app.js';
import type { TestServer } from './harness.js';

/** The docs' error body. */
export interface ErrorBody {
  success: false;
  code: string;
  message: string;
  field?: string;
  requiredPermission?: string;
}

/** An instant as the API shows it: ISO 8601 UTC with milliseconds. */
export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** A new key of the admin key's organization holding only `permissions`. */
export async function keyWith(
  server: TestServer,
  adminKey: string,
  permissions: string[],
): Promise<string> {
  const res = await server.call<{ key: string }>(
    'POST',
    '/api/keys',
    { name: 'limited', permissions },
    { key: adminKey },
  );
  expect(res.status).toBe(201);
  return res.body.key;
}

export async function policyVersion(server: TestServer, orgId: string): Promise<number> {
  const [row] = await server.sql<{ v: string }>(
    'select policy_version as v from organization where id = ?',
    [orgId],
  );
  return Number(row?.v);
}

/** A new organization with one docs-dialect daily block cap over the whole org. */
export async function cappedOrg(
  server: TestServer,
  name: string,
  limitCents: number,
): Promise<{ orgId: string; key: string; ruleId: string }> {
  const org = await server.newOrg(name);
  const rule = await server.call<{ id: string }>(
    'POST',
    '/api/policy-rules',
    {
      name: `Daily cap of ${String(limitCents)} cents`,
      priority: 10,
      conditions: { timeWindow: 'daily' },
      action: 'block',
      actionConfig: { limitCents, per: 'org', message: 'Daily cap reached' },
    },
    { key: org.key },
  );
  expect(rule.status).toBe(201);
  return { ...org, ruleId: rule.body.id };
}

/** A typed tRPC client of the test server, with `key` as its Bearer token (null: none). */
export function trpcClient(server: TestServer, key: string | null) {
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${server.url}/trpc`,
        transformer: superjson,
        headers: () => (key ? { authorization: `Bearer ${key}` } : {}),
      }),
    ],
  });
}

/** Runs `fn` with `server`'s clock pinned at `iso`, then hands the real clock back. */
export async function atTime<T>(server: TestServer, iso: string, fn: () => Promise<T>): Promise<T> {
  server.clock.set(iso);
  try {
    return await fn();
  } finally {
    server.clock.set(null);
  }
}
