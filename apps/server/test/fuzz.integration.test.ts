/**
 * Bad input, fuzzed (issue 18): fast-check mutates a valid call of every REST route and every
 * tRPC procedure (the table in surface.ts) — its body field by field, its path ids, its query
 * string, its headers — and sends it. Whatever arrives, the answer is never a 5xx: a 4xx carries
 * the docs' error body with a known code (a 422 names its field), a refused call writes no row,
 * and the server still answers its health check afterwards. bad-input.integration.test.ts holds
 * the hand-picked cases; this file looks for the ones nobody picked.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowCounts, type RowCounts } from './counts.js';
import { useTestServer, type Reply } from './harness.js';
import {
  REST,
  TRPC,
  dashboardBuild,
  makers,
  registeredProcedures,
  sendRest,
  sendTrpc,
  trpcReply,
  type Credentials,
  type Org,
  type RestCall,
  type TrpcReply,
} from './surface.js';

const web = dashboardBuild();
afterAll(() => {
  web.remove();
});

const t = useTestServer('fuzz', {
  REINS_WEB_DIR: web.dir,
  REINS_AUTH_FAILURES_PER_SECOND: 0,
  REINS_RATE_LIMIT_RPS: 0,
  REINS_LOGIN_FAILURES_PER_EMAIL: 0,
  REINS_LOGIN_FAILURES_PER_IP: 0,
});
const m = makers(t);

/** Runs per route or procedure: about 150 of them, so the file stays well under two minutes. */
const RUNS = 8;

let org: Org;
beforeAll(async () => {
  org = await t().newOrg('Fuzzed');
});

/** The codes of the docs' error body that bad input may get (no 5xx among them). */
const CLIENT_CODES = new Set([
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'VALIDATION_ERROR',
  'POLICY_VIOLATION',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'RATE_LIMITED',
  'ALREADY_EXISTS',
  'CHANNEL_IN_USE',
  'IDEMPOTENCY_CONFLICT',
  'IDEMPOTENCY_IN_PROGRESS',
  'NOT_A_RESERVATION',
  'RESERVATION_SETTLED',
  'RESERVATION_VOIDED',
  'RESERVATION_BLOCKED',
  'NOT_FLAGGED',
  'ALREADY_REVIEWED',
  'LAST_ADMIN',
  'CHANNEL_DISABLED',
  'NOT_A_USER',
]);

// ---------------------------------------------------------------------------------------------
// Values

const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udc00y',
  '__proto__',
  'constructor',
  'prototype',
  '*',
  '%',
  '%00',
  '../../etc/passwd',
  "'; drop table api_key; --",
  '1e400',
  'NaN',
  'Infinity',
  '-0',
  '2026-02-30',
  '2026-05-05T25:00:00Z',
  '9999-12-31T23:59:59Z',
  '0000-01-01T00:00:00Z',
  'x'.repeat(5000),
  '🚀'.repeat(100),
  'rk_test_AAAAAAAAAAAAAAAAAAAAAAAA',
];
const NASTY_NUMBERS = [
  -1,
  0,
  -0,
  0.5,
  1.5,
  2 ** 31,
  2 ** 53,
  2 ** 53 + 2,
  2 ** 63,
  1e308,
  -1e308,
  Number.MIN_VALUE,
];

/** Any value a JSON body can carry, biased towards the ones that break parsers and databases. */
const weird: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(...NASTY_STRINGS),
  fc.constantFrom<unknown>(...NASTY_NUMBERS),
  fc.constantFrom<unknown>(null, true, false, [], {}),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.jsonValue({ maxDepth: 3 }),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
);

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * `valid` with one thing changed somewhere inside it: a field replaced (recursively), removed or
 * added, an array element replaced, or the whole value replaced.
 */
function mutated(valid: unknown, depth = 0): fc.Arbitrary<unknown> {
  const options: fc.Arbitrary<unknown>[] = [weird];
  if (isRecord(valid) && depth < 4) {
    const keys = Object.keys(valid);
    if (keys.length > 0) {
      options.push(
        fc
          .constantFrom(...keys)
          .chain((k) => mutated(valid[k], depth + 1).map((v) => ({ ...valid, [k]: v }))),
        fc.constantFrom(...keys).map((k) => {
          const { [k]: _dropped, ...rest } = valid;
          return rest;
        }),
      );
    }
    options.push(
      fc
        .tuple(
          fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor')),
          weird,
        )
        .map(([k, v]) => ({ ...valid, [k]: v })),
    );
  }
  if (Array.isArray(valid) && valid.length > 0 && depth < 4) {
    const items: unknown[] = valid;
    options.push(
      fc
        .nat({ max: items.length - 1 })
        .chain((i) =>
          mutated(items[i], depth + 1).map((v) => items.map((x, j) => (j === i ? v : x))),
        ),
    );
  }
  // The mutation of a field is tried twice as often as replacing the whole value.
  return fc.oneof(...options.slice(1), ...options);
}

/** `s` %-encoded, or null when it has a lone surrogate (which no URL can carry). */
function encoded(s: string): string | null {
  try {
    return encodeURIComponent(s);
  } catch {
    return null;
  }
}

/** A path segment or query value as a client may send it: encoded, or raw and malformed. */
const urlPart: fc.Arbitrary<string> = fc.oneof(
  fc
    .string({ unit: 'binary', maxLength: 30 })
    .map(encoded)
    .filter((s): s is string => s !== null),
  fc.constantFrom(...NASTY_STRINGS.map(encoded).filter((s): s is string => s !== null)),
  fc.constantFrom('%zz', '%', '%C0%80', '%ED%A0%80', '%FF', '..', '.', '%2e%2e', 'a%2Fb', '%00'),
  fc.string({ maxLength: 300 }).map((s) => encodeURIComponent(s)),
);

const query: fc.Arbitrary<string> = fc
  .array(fc.tuple(urlPart, urlPart), { maxLength: 4 })
  .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'));

const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,80}$/);

/** Headers a client may add to a call, in any combination. */
const extraHeaders: fc.Arbitrary<Record<string, string>> = fc.record(
  {
    'content-type': fc.oneof(
      fc.constantFrom(
        'application/json',
        'application/json; charset=utf-8',
        'application/json; charset=latin1',
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/octet-stream',
        '',
      ),
      headerValue,
    ),
    'idempotency-key': fc.oneof(headerValue, fc.constant('k'.repeat(300))),
    'content-encoding': fc.constantFrom('identity', 'gzip', 'br', 'x'),
    accept: fc.oneof(fc.constantFrom('application/json', 'text/html', 'text/csv'), headerValue),
    'x-forwarded-for': headerValue,
  },
  { requiredKeys: [] },
);

// ---------------------------------------------------------------------------------------------
// Checks

interface Outcome {
  what: string;
  status: number;
  code: unknown;
  field?: unknown;
  message?: unknown;
}

/** What is wrong with an answer to bad input, or null when it is a clear 4xx (or a success). */
function problem(o: Outcome): string | null {
  if (o.status >= 500) return `answered ${String(o.status)}`;
  if (o.status < 400) return null;
  if (typeof o.code !== 'string' || !CLIENT_CODES.has(o.code)) {
    return `answered ${String(o.status)} with code ${String(o.code)}`;
  }
  if (typeof o.message !== 'string' || o.message === '') return 'answered without a message';
  if (o.code === 'VALIDATION_ERROR' && (typeof o.field !== 'string' || o.field === '')) {
    return 'answered VALIDATION_ERROR without naming the field';
  }
  return null;
}

function restOutcome(what: string, res: Reply): Outcome {
  const body = isRecord(res.body) ? res.body : {};
  if (res.status >= 400 && body.success !== false) {
    return {
      what,
      status: res.status,
      code: `(not the docs' error body: ${res.text.slice(0, 200)})`,
    };
  }
  return { what, status: res.status, code: body.code, field: body.field, message: body.message };
}

function trpcOutcome(what: string, res: TrpcReply): Outcome {
  if (res.status < 400) return { what, status: res.status, code: null };
  const reins = res.error?.reins ?? {};
  return {
    what,
    status: res.status === res.error?.httpStatus ? res.status : -res.status,
    code: reins.code ?? `(no docs' error body: ${res.text.slice(0, 200)})`,
    field: reins.field,
    message: reins.message,
  };
}

/**
 * The row counts a request can change: the audit events of background jobs (a verification of
 * the chain the fuzz started, sealing) land whenever the jobs run, and are not a request's writes.
 */
const BACKGROUND = "(actor = 'worker' or event_type like 'audit_chain.%')";

/**
 * The one refusal that writes, on purpose: a wrong password for a user who exists is audited
 * (`user.sign_in_failed`). The login route's fuzz keeps the user's email now and then.
 */
const AUDITED_REFUSAL = "(event_type = 'user.sign_in_failed')";

function requestRows(): Promise<RowCounts> {
  return rowCounts(t(), `not ${BACKGROUND} and not ${AUDITED_REFUSAL}`);
}

/**
 * Whether a write may still be landing (a call that succeeded, a fixture just made): the next
 * "nothing was written" snapshot waits until the counts hold still.
 */
let dirty = true;

async function settledCounts(): Promise<RowCounts> {
  let last = await requestRows();
  for (let i = 0; i < 40; i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    const now = await requestRows();
    if (JSON.stringify(now) === JSON.stringify(last)) return now;
    last = now;
  }
  return last;
}

/** Sends one fuzzed call; fails with the call when the answer is unclear or a refusal wrote. */
async function expectClear(what: string, send: () => Promise<Outcome>): Promise<void> {
  const before: RowCounts = dirty ? await settledCounts() : await requestRows();
  const outcome = await send();
  dirty = outcome.status < 400;
  expect({ what, problem: problem(outcome), outcome }).toMatchObject({ what, problem: null });
  if (outcome.status >= 400) {
    const after = await requestRows();
    // On a failure, the newest audit events say what was written.
    const newest =
      after.auditEvents === before.auditEvents
        ? []
        : await t().sql(
            `select event_type, actor, entity_id from audit_event
              where not ${BACKGROUND} and not ${AUDITED_REFUSAL}
              order by occurred_at desc limit 2`,
          );
    expect({ what, counts: after, newest }).toEqual({ what, counts: before, newest: [] });
  }
}

// ---------------------------------------------------------------------------------------------
// REST

/** The positions of a route's path parameters in its path (`/api/agents/:agentId` → [3]). */
function paramPositions(url: string): number[] {
  return url
    .split('/')
    .map((s, i) => (s.startsWith(':') ? i : -1))
    .filter((i) => i >= 0);
}

describe('every REST route, fuzzed', () => {
  for (const [route, entry] of Object.entries(REST)) {
    const [method = '', url = ''] = route.split(' ');
    const params = paramPositions(url);
    it(`${route} answers bad input with a clear 4xx and writes nothing`, async () => {
      const valid: RestCall = await entry.build(org, m);
      dirty = true;
      const creds: Credentials = valid.credentials ?? { key: org.key };
      const [basePath = '', baseQuery = ''] = valid.path.split('?');
      const arb = fc.record({
        body: method === 'GET' ? fc.constant(valid.body) : mutated(valid.body ?? {}),
        // A raw body (malformed JSON, anything) instead of the JSON one; GET sends none.
        raw:
          method === 'GET'
            ? fc.constant(null)
            : fc.option(fc.string({ unit: 'binary', maxLength: 60 }), { freq: 6 }),
        segments: fc.array(fc.option(urlPart, { freq: 2 }), {
          minLength: params.length,
          maxLength: params.length,
        }),
        query: fc.option(query, { freq: 2 }),
        headers: fc.option(extraHeaders, { freq: 2 }),
      });
      await fc.assert(
        fc.asyncProperty(arb, async (c) => {
          const segments = basePath.split('/');
          params.forEach((pos, i) => {
            const s = c.segments[i];
            if (s !== null && s !== undefined) segments[pos] = s;
          });
          const q = [baseQuery, c.query ?? ''].filter(Boolean).join('&');
          const path = segments.join('/') + (q ? `?${q}` : '');
          const what = `${method} ${path} ${c.raw ?? JSON.stringify(c.body)}`.slice(0, 500);
          await expectClear(what, async () => {
            const res = await t().call(method, path, c.raw === null ? c.body : undefined, {
              key: null,
              raw: c.raw ?? undefined,
              headers: { ...authHeaders(creds), ...(c.headers ?? {}) },
            });
            return restOutcome(what, res);
          });
        }),
        { numRuns: RUNS },
      );
    });
  }
});

function authHeaders(creds: Credentials): Record<string, string> {
  if (creds === 'none') return {};
  if ('key' in creds) return { authorization: `Bearer ${creds.key}` };
  return { cookie: creds.session.cookie, 'x-reins-csrf': creds.session.csrf };
}

// ---------------------------------------------------------------------------------------------
// tRPC

describe('every tRPC procedure, fuzzed', () => {
  const types = registeredProcedures();
  for (const [path, entry] of Object.entries(TRPC)) {
    const type = types.get(path) ?? 'query';
    it(`${path} answers bad input with a clear 4xx and writes nothing`, async () => {
      const valid = await entry.build(org, m);
      dirty = true;
      await fc.assert(
        fc.asyncProperty(
          mutated(valid ?? {}),
          fc.option(extraHeaders, { freq: 3 }),
          async (input, headers) => {
            const what = `${path} ${JSON.stringify(input)}`.slice(0, 500);
            await expectClear(what, async () =>
              trpcOutcome(
                what,
                await sendTrpc(t(), path, type, input, { key: org.key }, headers ?? {}),
              ),
            );
          },
        ),
        { numRuns: RUNS },
      );
    });
  }

  it('answers malformed tRPC envelopes — raw bodies, query inputs, batches, methods — with a clear 4xx', async () => {
    const paths = [...types.keys()];
    const arb = fc.record({
      procedures: fc.array(fc.oneof(fc.constantFrom(...paths), urlPart, fc.constant('')), {
        minLength: 1,
        maxLength: 3,
      }),
      method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
      batch: fc.boolean(),
      input: fc.option(urlPart, { freq: 2 }),
      raw: fc.option(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 60 }),
          fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
          fc.record({ json: weird, meta: weird }).map((v) => JSON.stringify(v)),
        ),
        { freq: 2 },
      ),
    });
    await fc.assert(
      fc.asyncProperty(arb, async (c) => {
        const params = [c.batch ? 'batch=1' : '', c.input !== null ? `input=${c.input}` : '']
          .filter(Boolean)
          .join('&');
        const url = `/trpc/${c.procedures.join(',')}${params ? `?${params}` : ''}`;
        const what = `${c.method} ${url} ${c.raw ?? ''}`.slice(0, 500);
        await expectClear(what, async () => {
          const res = await t().call(c.method, url, undefined, {
            key: org.key,
            raw: c.method === 'GET' ? undefined : (c.raw ?? undefined),
          });
          if (c.batch && Array.isArray(res.body)) {
            // One answer per call of the batch: the first unclear one, else the first.
            const outcomes = (res.body as unknown[]).map((one) =>
              trpcOutcome(what, trpcReply({ ...res, body: one as Record<string, unknown> })),
            );
            return (
              outcomes.find((o) => problem(o) !== null) ?? outcomes[0] ?? restOutcome(what, res)
            );
          }
          return isRecord(res.body) && 'error' in res.body
            ? trpcOutcome(what, trpcReply(res))
            : restOutcome(what, res);
        });
      }),
      { numRuns: 100 },
    );
  });
});

describe('rule definitions, fuzzed', () => {
  const DOCS_RULE = {
    name: 'Fuzzed rule',
    priority: 5,
    conditions: {
      vendors: ['openai'],
      models: ['gpt-4*'],
      agentIds: ['bot-*'],
      amountCents: { min: 1, max: 500 },
      timeWindow: 'daily',
      userRoles: ['admin'],
    },
    action: 'block',
    actionConfig: { message: 'Blocked', limitCents: 1000, per: 'agent', thresholdPct: 80 },
  };
  const TYPED_RULE = {
    name: 'Fuzzed typed rule',
    type: 'budget',
    condition: { window: 'daily', threshold: 100, scope: 'agent' },
    action: 'warn',
  };

  it('refuses every malformed rule with a clear 4xx and never stores a half rule', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          mutated(DOCS_RULE).map((body) => ({ path: '/api/policy-rules', body })),
          mutated(TYPED_RULE).map((body) => ({ path: '/api/v1/rules', body })),
          mutated({ rules: [DOCS_RULE], startDate: '2026-01-01', endDate: '2026-01-02' }).map(
            (body) => ({ path: '/api/policy-rules/backtest', body }),
          ),
        ),
        async ({ path, body }) => {
          const what = `POST ${path} ${JSON.stringify(body)}`.slice(0, 500);
          await expectClear(what, async () =>
            restOutcome(what, await sendRest(t(), 'POST', { path, body }, { key: org.key })),
          );
        },
      ),
      { numRuns: 100 },
    );
    // Whatever was stored is a rule the API can read back and evaluate against.
    const rules = await t().call<{ rules: unknown[] }>('GET', '/api/policy-rules', undefined, {
      key: org.key,
    });
    expect(rules.status).toBe(200);
    const evaluated = await t().call(
      'POST',
      '/api/policy-rules/evaluate',
      {
        amount: 100,
        vendor: 'openai',
        model: 'gpt-4o',
        agentId: 'bot-1',
      },
      { key: org.key },
    );
    expect(evaluated.status).toBe(200);
  });
});

describe('after all of it', () => {
  it('the server is still up', async () => {
    const health = await t().call('GET', '/health', undefined, { key: null });
    expect(health.body).toEqual({ success: true, status: 'ok', database: 'reachable' });
    const list = await t().call('GET', '/api/v1/transactions?limit=1', undefined, { key: org.key });
    expect(list.status).toBe(200);
  });
});
