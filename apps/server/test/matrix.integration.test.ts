/**
 * Isolation and permissions as a matrix over the server's whole surface (issue 18): for every
 * REST route Fastify registered and every tRPC procedure of the router, a key without the
 * permission gets 403 FORBIDDEN naming it, no credentials get 401, another organization's key gets
 * 404 for a record it does not own, and a key holding just that permission succeeds. The routes
 * and procedures are read from the server, and the table (surface.ts) must name exactly those: a
 * new route fails here until the table says how to call it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS, type Permission } from '../src/lib/apiKeys.js';
import { routes } from '../src/http/routes/index.js';
import { rowCounts } from './counts.js';
import { useTestServer } from './harness.js';
import type { ErrorBody } from './helpers.js';
import {
  ADAPTER_ROUTES,
  dashboardBuild,
  REST,
  TRPC,
  makers,
  registeredProcedures,
  registeredRoutes,
  sendRest,
  sendTrpc,
  sendTrpcStream,
  type Access,
  type Credentials,
  type Org,
} from './surface.js';

const web = dashboardBuild();
// A stand-in for packages/sdk/dist (the one-file SDK served at /sdk/), built or not.
const sdkDir = mkdtempSync(join(tmpdir(), 'reins-matrix-sdk-'));
writeFileSync(join(sdkDir, 'reins.js'), 'module.exports = {};\n');
afterAll(() => {
  web.remove();
  rmSync(sdkDir, { recursive: true, force: true });
});

const t = useTestServer('matrix', {
  REINS_WEB_DIR: web.dir,
  REINS_SDK_DIR: sdkDir,
  // The matrix sends hundreds of calls without credentials, and a few hundred a second.
  REINS_AUTH_FAILURES_PER_SECOND: 0,
  REINS_RATE_LIMIT_RPS: 0,
});
const m = makers(t);

let owner: Org;
let other: Org;
beforeAll(async () => {
  owner = await t().newOrg('Matrix owner');
  other = await t().newOrg('Matrix other');
});

/** Keys of the owner, made once per permission set. */
const keys = new Map<string, Promise<string>>();
function ownerKey(permissions: string[]): Promise<string> {
  const sorted = [...new Set(permissions)].sort();
  const name = sorted.join(' ');
  let key = keys.get(name);
  if (!key) {
    key = m.key(owner, sorted).then((k) => k.key);
    keys.set(name, key);
  }
  return key;
}

/** Every permission but `p` (and never `*`). */
const allBut = (p: Permission) => PERMISSIONS.filter((q) => q !== p && q !== '*');

function permissionOf(access: Access): { permission: Permission; alsoNeeds: Permission[] } | null {
  return 'permission' in access
    ? { permission: access.permission, alsoNeeds: access.alsoNeeds ?? [] }
    : null;
}

describe('the table', () => {
  it('names exactly the routes Fastify registered (HEAD apart)', () => {
    const registered = registeredRoutes(t().server.app);
    // A parse that found nothing would pass vacuously.
    expect(registered).toContain('POST /api/v1/transactions');
    expect(registered).toContain('DELETE /api/budgets/:kind/:id');
    expect(registered).toEqual(Object.keys({ ...REST, ...ADAPTER_ROUTES }).sort());
  });

  it('names exactly the procedures of the tRPC router', () => {
    expect([...registeredProcedures().keys()].sort()).toEqual(Object.keys(TRPC).sort());
  });

  it('gives each REST route the permission its route definition declares', () => {
    for (const def of routes) {
      const entry = REST[`${def.method} ${def.url}`];
      expect({ route: `${def.method} ${def.url}`, access: entry?.access }).toMatchObject({
        route: `${def.method} ${def.url}`,
        access: { permission: def.permission },
      });
    }
  });

  it('says what every path parameter names, and nothing for routes without one', () => {
    for (const [route, entry] of Object.entries(REST)) {
      expect({ route, names: entry.names !== undefined }).toEqual({
        route,
        names: route.includes('/:'),
      });
    }
  });
});

/** Calls `send` as the matrix requires for `access`; `names` 'org' adds the foreign-key check. */
async function checkMatrix<R extends { status: number }>(
  what: string,
  access: Access,
  namesRecord: boolean,
  send: (creds: Credentials) => Promise<R>,
  refusal: (r: R) => { status: number; code: unknown; requiredPermission?: unknown },
  ok: (r: R) => void,
  ownCredentials?: Credentials,
): Promise<void> {
  const perm = permissionOf(access);
  // The keys first: making one writes a row and an audit event.
  const without = perm
    ? await ownerKey(
        [...allBut(perm.permission), ...perm.alsoNeeds].filter((q) => q !== perm.permission),
      )
    : null;
  const own = perm ? await ownerKey([perm.permission, ...perm.alsoNeeds]) : null;
  const before = await rowCounts(t());
  if ('public' in access) {
    // nothing to refuse
  } else {
    const anonymous = refusal(await send('none'));
    expect({ what, ...anonymous }).toMatchObject({ what, status: 401, code: 'UNAUTHORIZED' });
  }
  if (perm && without !== null) {
    expect({ what, ...refusal(await send({ key: without })) }).toEqual({
      what,
      status: 403,
      code: 'FORBIDDEN',
      requiredPermission: perm.permission,
    });
  }
  if (namesRecord) {
    const foreign = refusal(await send({ key: other.key }));
    expect({ what, ...foreign }).toMatchObject({ what, status: 404, code: 'NOT_FOUND' });
  }
  // Refused calls wrote nothing.
  expect({ what, counts: await rowCounts(t()) }).toEqual({ what, counts: before });
  const creds: Credentials = ownCredentials
    ? ownCredentials
    : own !== null
      ? { key: own }
      : 'public' in access
        ? 'none'
        : { key: owner.key };
  ok(await send(creds));
}

describe('every REST route', () => {
  for (const [route, entry] of Object.entries(REST)) {
    const [method = '', url = ''] = route.split(' ');
    it(`${route}: ${describeAccess(entry.access)}`, async () => {
      const call = await entry.build(owner, m);
      await checkMatrix(
        route,
        entry.access,
        entry.names === 'org',
        (creds) => sendRest<ErrorBody>(t(), method, call, creds),
        (res) => ({
          status: res.status,
          code: res.body.code,
          ...(res.body.requiredPermission !== undefined
            ? { requiredPermission: res.body.requiredPermission }
            : {}),
        }),
        (res) => {
          expect({
            route,
            url,
            status: res.status,
            text: res.status === entry.ok ? '' : res.text,
          }).toEqual({
            route,
            url,
            status: entry.ok,
            text: '',
          });
        },
        call.credentials,
      );
    });
  }
});

describe('every tRPC procedure', () => {
  const types = registeredProcedures();
  for (const [path, entry] of Object.entries(TRPC)) {
    it(`${path}: ${describeAccess(entry.access)}`, async () => {
      const input = await entry.build(owner, m);
      const type = types.get(path) ?? 'query';
      await checkMatrix(
        path,
        entry.access,
        entry.names === 'org',
        (creds) =>
          // A call without credentials is refused before tRPC reads it, with a JSON body that
          // httpBatchStreamLink cannot read (it aborts): that refusal is checked as a plain call.
          entry.stream && creds !== 'none'
            ? sendTrpcStream(t(), path, input, creds)
            : sendTrpc(t(), path, type, input, creds),
        (res) => ({
          status: res.status,
          code: res.error?.reins.code,
          ...(res.error?.reins.requiredPermission !== undefined
            ? { requiredPermission: res.error.reins.requiredPermission }
            : {}),
        }),
        (res) => {
          expect({ path, status: res.status, error: res.error }).toEqual({
            path,
            status: 200,
            error: null,
          });
        },
      );
    });
  }
});

describe('names that are not records', () => {
  it("an upsert of another organization's budget name writes the caller's own, not the owner's", async () => {
    const team = await m.budget(owner);
    const read = (org: Org) =>
      t().call<{ budget?: { dailyBudgetCents: number | null } }>(
        'GET',
        `/api/budgets/teams/${team}`,
        undefined,
        { key: org.key },
      );
    const ownerBefore = await read(owner);
    expect(ownerBefore.status).toBe(200);
    expect((await read(other)).status).toBe(404);
    const put = await t().call(
      'PUT',
      `/api/budgets/teams/${team}`,
      { dailyBudgetCents: 1 },
      {
        key: other.key,
      },
    );
    expect(put.status).toBe(200);
    expect((await read(owner)).body).toEqual(ownerBefore.body);
    expect((await read(other)).status).toBe(200);
  });
});

function describeAccess(access: Access): string {
  if ('public' in access) return `public (${access.public})`;
  if ('caller' in access) return 'any caller';
  return `needs ${access.permission}`;
}
