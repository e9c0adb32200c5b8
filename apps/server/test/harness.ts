/**
 * An in-process Reins server on its own fresh database (real PostgreSQL when TEST_DATABASE_URL or
 * DATABASE_URL is set, else embedded PGlite), listening on a free port, with a pinnable clock.
 */
import { afterAll, beforeAll } from 'vitest';
import { createTestDatabase, initOrm, migrateUp, TEST_DB_TIMEOUT_MS } from '@reins/db';
import { defaultEnv, type ServerEnv } from '../src/env.js';
import { startServer, type RunningServer } from '../src/server.js';
import { createOrganization, type NewOrg } from '../src/services/orgs.js';
import { checkContract } from './contract.js';
import { sqlOn } from './processes.js';

export const ADMIN_KEY = 'rk_test_AdminKeyForTests0000000001';

export interface TestClock {
  /** Epoch ms the server sees; null = the real clock. */
  pinned: number | null;
  set(iso: string | number | null): void;
  now(): number;
}

export function testClock(): TestClock {
  return {
    pinned: null,
    set(v) {
      this.pinned = v === null ? null : typeof v === 'number' ? v : Date.parse(v);
    },
    now() {
      return this.pinned ?? Date.now();
    },
  };
}

export interface Reply<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface TestServer {
  server: RunningServer;
  url: string;
  clock: TestClock;
  /** JSON request with the admin key unless `key` is given (null: no Authorization header). */
  call<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    opts?: { key?: string | null; headers?: Record<string, string>; raw?: string },
  ): Promise<Reply<T>>;
  /** A new organization with its own admin key. */
  newOrg(name?: string, settings?: Omit<NewOrg, 'name'>): Promise<{ orgId: string; key: string }>;
  /** Raw SQL on the test database. */
  sql<T = Record<string, unknown>>(query: string, params?: unknown[]): Promise<T[]>;
}

export async function request<T>(
  baseUrl: string,
  method: string,
  path: string,
  body: unknown,
  opts: { key?: string | null; headers?: Record<string, string>; raw?: string } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  const key = opts.key === undefined ? ADMIN_KEY : opts.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  let payload: string | undefined = opts.raw;
  if (payload === undefined && body !== undefined) payload = JSON.stringify(body);
  if (payload !== undefined && !('content-type' in headers))
    headers['content-type'] = 'application/json';
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body: payload });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON (an empty 204, a CSV): the test reads `text`.
  }
  // The OpenAPI document's contract: every answer the suites receive matches its declared schema.
  checkContract(method, path, {
    status: res.status,
    contentType: res.headers.get('content-type'),
    body: parsed,
    text,
  });
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}

/**
 * One server per test file: `const t = useTestServer('rules')`, then `t().call(...)` in tests.
 */
export function useTestServer(
  name: string,
  envOverrides: Partial<ServerEnv> = {},
): () => TestServer {
  let current: (TestServer & { close(): Promise<void> }) | undefined;
  beforeAll(async () => {
    current = await startTestServer(name, envOverrides);
  }, TEST_DB_TIMEOUT_MS);
  afterAll(async () => {
    await current?.close();
  }, TEST_DB_TIMEOUT_MS);
  return () => {
    if (!current) throw new Error('the test server exists only inside tests');
    return current;
  };
}

export async function startTestServer(
  name: string,
  envOverrides: Partial<ServerEnv> = {},
): Promise<TestServer & { close(): Promise<void> }> {
  const db = await createTestDatabase(name);
  const orm = await initOrm(db.url, { maxConnections: db.maxConnections });
  await migrateUp(orm);
  const clock = testClock();
  const env = defaultEnv({
    PORT: 0,
    LOG_LEVEL: 'silent',
    REINS_BOOTSTRAP_KEY: ADMIN_KEY,
    REINS_KEY_ENV: 'test',
    // Tests that pin the clock past a reservation's TTL decide themselves when holds are released
    // (the worker tests run the job).
    REINS_EXPIRE_HOLDS_MS: 0,
    // Notifications go out only where a test runs the job itself, to its own local receivers:
    // other tests name channels like https://ops.example.com that must not be called.
    REINS_NOTIFY_MS: 0,
    // The whole suite can run with budget leases on (issue 18): REINS_TEST_BUDGET_LEASES=on.
    ...(process.env.REINS_TEST_BUDGET_LEASES === 'on'
      ? { REINS_BUDGET_LEASES: 'on' as const }
      : {}),
    ...envOverrides,
  });
  const server = await startServer(env, {
    clock: () => clock.now(),
    db: { orm, mode: 'postgres', close: () => orm.close() },
  });
  const url = server.url;
  return {
    server,
    url,
    clock,
    call: (method, path, body, opts) => request(url, method, path, body, opts),
    async newOrg(orgName = 'Test org', settings = {}) {
      const created = await createOrganization(
        orm.em.fork(),
        { name: orgName, ...settings },
        {
          keyEnv: 'test',
          actor: 'test',
          now: new Date(clock.now()),
        },
      );
      return { orgId: created.orgId, key: created.key.key };
    },
    sql: sqlOn(orm),
    async close() {
      await server.close();
      await orm.close();
      await db.drop();
    },
  };
}
