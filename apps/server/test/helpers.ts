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

/**
 * Expects `statement` — a search for the organizations with audit events left to process — not
 * to read an organization's processed past: the shared pages it reads (EXPLAIN ANALYZE, BUFFERS)
 * with 100 processed events and with 30,000 more (~700 more pages, which a scan would read)
 * differ by fewer than 50. Each time the past is processed first (`process`), then one new
 * event waits. `tag` keeps the events' ids apart from other tests'.
 */
export async function expectSearchSkipsThePast(
  server: TestServer,
  opts: { orgId: string; tag: string; statement: string; process: () => Promise<unknown> },
): Promise<void> {
  const addEvents = (from: number, n: number) =>
    server.sql(
      `insert into audit_event (id, org_id, event_type, occurred_at, actor, entity_type, entity_id, metadata)
       select ? || i, ?, 'alert.read', timestamptz '2026-07-01' + i * interval '1 second',
              'key:test', 'alert', 'alr_' || i, jsonb_build_object('i', i)
         from generate_series(?::int, ?::int) as s(i)`,
      [`evt_${opts.tag}_`, opts.orgId, from, from + n - 1],
    );
  type Explained = { 'QUERY PLAN': [{ Plan: Record<string, number> }] };
  const pagesRead = async (pending: number) => {
    await opts.process();
    await server.sql('analyze audit_event');
    await addEvents(pending, 1);
    const [explained] = await server.sql<Explained>(
      `explain (analyze, buffers, format json) ${opts.statement}`,
    );
    const plan = explained?.['QUERY PLAN'][0].Plan ?? {};
    return (plan['Shared Hit Blocks'] ?? 0) + (plan['Shared Read Blocks'] ?? 0);
  };
  await addEvents(1, 100);
  const short = await pagesRead(1_000_000);
  await addEvents(100_000, 30_000);
  const long = await pagesRead(1_000_001);
  expect(short).toBeGreaterThan(0);
  expect(long - short).toBeLessThan(50);
}
