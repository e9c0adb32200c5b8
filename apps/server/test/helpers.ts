/** Small helpers the integration tests share. */
import { expect } from 'vitest';
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
