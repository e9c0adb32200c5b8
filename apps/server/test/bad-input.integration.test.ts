import { describe, expect, it } from 'vitest';
import { rowCounts } from './counts.js';
import { ADMIN_KEY, request, useTestServer } from './harness.js';

const t = useTestServer('bad-input');

interface ErrorBody {
  success: false;
  code: string;
  message: string;
  field?: string;
  issues?: { path: string; message: string }[];
}

interface Case {
  name: string;
  /** A value to send as JSON, or `raw` text sent as is. */
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  status: number;
  code: string;
  /** The field a 422 names. */
  field?: string;
}

const OK = { amount: 100, vendor: 'openai', model: 'gpt-4' };

/** Sends each case to `path` and expects its 4xx error body, with no row written anywhere. */
async function expectRefused(method: string, path: string, cases: Case[]): Promise<void> {
  for (const c of cases) {
    const before = await rowCounts(t());
    const res = await t().call<ErrorBody>(method, path, c.body, { raw: c.raw, headers: c.headers });
    const got = {
      name: c.name,
      status: res.status,
      success: res.body.success,
      code: res.body.code,
      hasMessage: typeof res.body.message === 'string' && res.body.message.length > 0,
      ...(c.field !== undefined ? { field: res.body.field } : {}),
    };
    expect(got).toEqual({
      name: c.name,
      status: c.status,
      success: false,
      code: c.code,
      hasMessage: true,
      ...(c.field !== undefined ? { field: c.field } : {}),
    });
    if (c.status === 422 && c.field !== undefined) expect(res.body.message).toContain(c.field);
    expect({ name: c.name, counts: await rowCounts(t()) }).toEqual({
      name: c.name,
      counts: before,
    });
  }
}

const invalid = (name: string, body: unknown, field: string): Case => ({
  name,
  body,
  status: 422,
  code: 'VALIDATION_ERROR',
  field,
});

describe('POST /api/v1/transactions refuses bad input with a 4xx and writes nothing', () => {
  it('accepts the well-formed control request', async () => {
    const res = await t().call('POST', '/api/v1/transactions', OK);
    expect(res.status).toBe(202);
  });

  it('refuses bodies that are not a JSON object', async () => {
    await expectRefused('POST', '/api/v1/transactions', [
      {
        name: 'malformed JSON',
        raw: '{"amount": 100, "vendor": ',
        status: 422,
        code: 'VALIDATION_ERROR',
        field: 'body',
      },
      {
        name: 'trailing garbage',
        raw: '{"amount": 100, "vendor": "openai"} x',
        status: 422,
        code: 'VALIDATION_ERROR',
        field: 'body',
      },
      {
        name: 'single quotes',
        raw: "{'amount': 100, 'vendor': 'openai'}",
        status: 422,
        code: 'VALIDATION_ERROR',
        field: 'body',
      },
      { name: 'empty body', raw: '', status: 422, code: 'VALIDATION_ERROR', field: 'body' },
      { name: 'no body at all', status: 422, code: 'VALIDATION_ERROR', field: 'body' },
      invalid('JSON array', [OK], 'body'),
      invalid('JSON null', null, 'body'),
      invalid('JSON string', 'amount=100', 'body'),
      invalid('JSON number', 100, 'body'),
    ]);
  });

  it('refuses missing and wrongly typed fields, naming the field', async () => {
    await expectRefused('POST', '/api/v1/transactions', [
      invalid('missing amount', { vendor: 'openai' }, 'amount'),
      invalid('missing vendor', { amount: 100 }, 'vendor'),
      invalid('empty object', {}, 'vendor'),
      invalid('amount as a string', { ...OK, amount: '100' }, 'amount'),
      invalid('amount as a boolean', { ...OK, amount: true }, 'amount'),
      invalid('amount null', { ...OK, amount: null }, 'amount'),
      invalid('vendor as a number', { ...OK, vendor: 5 }, 'vendor'),
      invalid('model as a number', { ...OK, model: 42 }, 'model'),
      invalid('agentId as an object', { ...OK, agentId: { id: 'x' } }, 'agentId'),
      invalid('empty agentId', { ...OK, agentId: '' }, 'agentId'),
      invalid('userRoles as a string', { ...OK, userRoles: 'admin' }, 'userRoles'),
      invalid('userRoles of numbers', { ...OK, userRoles: [1] }, 'userRoles.0'),
      invalid('metadata as a string', { ...OK, metadata: 'x' }, 'metadata'),
      invalid('metadata as an array', { ...OK, metadata: [1] }, 'metadata'),
      invalid('timestamp as a number', { ...OK, timestamp: 1_780_000_000_000 }, 'timestamp'),
      invalid('timestamp not a date', { ...OK, timestamp: 'yesterday' }, 'timestamp'),
      invalid('timestamp without a zone', { ...OK, timestamp: '2026-05-05T10:00:00' }, 'timestamp'),
      invalid('tokensIn negative', { ...OK, tokensIn: -1 }, 'tokensIn'),
      invalid('tokensOut fractional', { ...OK, tokensOut: 1.5 }, 'tokensOut'),
    ]);
  });

  it('refuses negative, fractional and absurd amounts', async () => {
    await expectRefused('POST', '/api/v1/transactions', [
      invalid('negative amount', { ...OK, amount: -1 }, 'amount'),
      invalid('fractional amount', { ...OK, amount: 1.5 }, 'amount'),
      invalid('absurd amount', { ...OK, amount: 1e15 }, 'amount'),
      invalid('amount past 2^53', { ...OK, amount: 2 ** 60 }, 'amount'),
      {
        name: 'amount 1e400 (Infinity)',
        raw: '{"amount": 1e400, "vendor": "openai"}',
        status: 422,
        code: 'VALIDATION_ERROR',
        field: 'amount',
      },
      invalid('negative amountMicros', { vendor: 'openai', amountMicros: -5 }, 'amountMicros'),
      invalid('absurd amountMicros', { vendor: 'openai', amountMicros: 1e18 }, 'amountMicros'),
    ]);
  });

  it('refuses unknown vendors and unknown fields', async () => {
    await expectRefused('POST', '/api/v1/transactions', [
      invalid('unknown vendor', { ...OK, vendor: 'openia' }, 'vendor'),
      invalid('empty vendor', { ...OK, vendor: '' }, 'vendor'),
      invalid('misspelt field', { ...OK, amout: 100 }, 'amout'),
      invalid('unknown field', { ...OK, costUsd: 1 }, 'costUsd'),
    ]);
  });

  it('refuses __proto__ and constructor keys', async () => {
    await expectRefused('POST', '/api/v1/transactions', [
      {
        name: '__proto__ at the top',
        raw: '{"amount": 100, "vendor": "openai", "__proto__": {"admin": true}}',
        status: 422,
        code: 'VALIDATION_ERROR',
      },
      {
        name: '__proto__ in metadata',
        raw: '{"amount": 100, "vendor": "openai", "metadata": {"__proto__": {"polluted": 1}}}',
        status: 422,
        code: 'VALIDATION_ERROR',
      },
      {
        name: 'constructor.prototype',
        raw: '{"amount": 100, "vendor": "openai", "constructor": {"prototype": {"polluted": 1}}}',
        status: 422,
        code: 'VALIDATION_ERROR',
      },
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a 10 MB field with 413 PAYLOAD_TOO_LARGE, not 500', async () => {
    await expectRefused('POST', '/api/v1/transactions', [
      {
        name: '10 MB prompt',
        body: { ...OK, prompt: 'x'.repeat(10 * 1024 * 1024) },
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
      },
    ]);
  });

  it('refuses NUL characters and unpaired surrogates, which PostgreSQL cannot store', async () => {
    await expectRefused('POST', '/api/v1/transactions', [
      invalid('NUL in prompt', { ...OK, prompt: 'a\u0000b' }, 'prompt'),
      invalid('NUL in response', { ...OK, response: '\u0000' }, 'response'),
      invalid('NUL in agentId', { ...OK, agentId: 'bot\u0000' }, 'agentId'),
      invalid('NUL in userId', { ...OK, userId: '\u0000' }, 'userId'),
      invalid('NUL in vendor', { ...OK, vendor: 'openai\u0000' }, 'vendor'),
      invalid('NUL in a metadata value', { ...OK, metadata: { k: 'a\u0000' } }, 'metadata.k'),
      invalid('NUL in a metadata key', { ...OK, metadata: { 'k\u0000': 1 } }, 'metadata'),
      invalid('newline in agentId', { ...OK, agentId: 'bot\nx' }, 'agentId'),
      {
        name: 'unpaired surrogate in prompt',
        raw: '{"amount": 100, "vendor": "openai", "prompt": "a\\ud800b"}',
        status: 422,
        code: 'VALIDATION_ERROR',
        field: 'prompt',
      },
      {
        name: 'unpaired surrogate in metadata',
        raw: '{"amount": 100, "vendor": "openai", "metadata": {"k": "\\udc00"}}',
        status: 422,
        code: 'VALIDATION_ERROR',
        field: 'metadata.k',
      },
    ]);
  });

  it('refuses input nested deeper than any field needs, never overflowing the stack', async () => {
    const nested = (n: number) => '['.repeat(n) + '"bottom"' + ']'.repeat(n);
    const cases = [
      {
        raw: `{"amount": 100, "vendor": "openai", "metadata": {"deep": ${nested(100_000)}}}`,
        field: /^metadata\.deep(\.0)+$/,
      },
      { raw: nested(200_000), field: /^(0\.)+0$/ },
    ];
    for (const c of cases) {
      const before = await rowCounts(t());
      const res = await t().call<ErrorBody>('POST', '/api/v1/transactions', undefined, {
        raw: c.raw,
      });
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
      expect(res.body.field).toMatch(c.field);
      expect(res.body.message).toContain('must not nest deeper than');
      expect(await rowCounts(t())).toEqual(before);
    }
  });

  it('does not let one bad transaction fail the well-formed ones recorded alongside it', async () => {
    const { key } = await t().newOrg('bad neighbour');
    const send = (raw: string) => t().call('POST', '/api/v1/transactions', undefined, { key, raw });
    const good = JSON.stringify(OK);
    const bad = '{"amount": 100, "vendor": "openai", "prompt": "\\ud800"}';
    const replies = await Promise.all(
      Array.from({ length: 21 }, (_, i) => send(i === 10 ? bad : good)),
    );
    expect(replies.map((r) => r.status)).toEqual(
      Array.from({ length: 21 }, (_, i) => (i === 10 ? 422 : 202)),
    );
  });

  it('accepts a paired surrogate (an emoji) and stores it intact', async () => {
    const res = await t().call<{ id: string }>('POST', '/api/v1/transactions', {
      ...OK,
      prompt: 'ship it 🚀',
      metadata: { mood: '🙂' },
    });
    expect(res.status).toBe(202);
    const [row] = await t().sql<{ prompt: string; metadata: Record<string, unknown> }>(
      'select prompt, metadata from transaction_record where id = ?',
      [res.body.id],
    );
    expect(row).toEqual({ prompt: 'ship it 🚀', metadata: { mood: '🙂' } });
  });

  it('refuses timestamps far in the future and impossible dates', async () => {
    await expectRefused('POST', '/api/v1/transactions', [
      invalid('year 2999', { ...OK, timestamp: '2999-01-01T00:00:00Z' }, 'timestamp'),
      invalid(
        'an hour ahead',
        { ...OK, timestamp: new Date(Date.now() + 3_600_000).toISOString() },
        'timestamp',
      ),
      invalid('February 30th', { ...OK, timestamp: '2026-02-30T10:00:00Z' }, 'timestamp'),
      invalid('hour 25', { ...OK, timestamp: '2026-05-05T25:00:00Z' }, 'timestamp'),
    ]);
  });

  it('accepts February 29th of a leap year', async () => {
    const res = await t().call('POST', '/api/v1/transactions', {
      ...OK,
      timestamp: '2024-02-29T12:00:00Z',
    });
    expect(res.status).toBe(202);
    const list = await t().call<{ total: number }>(
      'GET',
      '/api/v1/transactions?startDate=2024-02-29&endDate=2024-02-29',
    );
    expect(list.body.total).toBe(1);
  });

  it('refuses a body that is not JSON with 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const json = JSON.stringify(OK);
    await expectRefused('POST', '/api/v1/transactions', [
      {
        name: 'text/plain',
        raw: json,
        headers: { 'content-type': 'text/plain' },
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      },
      {
        name: 'form',
        raw: 'amount=100&vendor=openai',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      },
      {
        name: 'xml',
        raw: '<tx amount="100"/>',
        headers: { 'content-type': 'application/xml' },
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      },
      {
        name: 'multipart',
        raw: '--x\r\n\r\n--x--',
        headers: { 'content-type': 'multipart/form-data; boundary=x' },
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      },
    ]);
    const res = await t().call<ErrorBody>('POST', '/api/v1/transactions', undefined, {
      raw: json,
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
    });
    expect(res.body.message).toBe(
      'Content-Type "text/plain;charset=UTF-8" is not supported; send application/json',
    );
  });

  it('accepts application/json with a charset', async () => {
    const res = await t().call('POST', '/api/v1/transactions', undefined, {
      raw: JSON.stringify(OK),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(res.status).toBe(202);
  });
});

describe('other routes refuse bad input too, writing nothing', () => {
  it('policy rules: malformed JSON, arrays, NUL characters, unpaired surrogates, huge bodies', async () => {
    const rule = { name: 'r', action: 'block', conditions: { vendors: ['openai'] } };
    await expectRefused('POST', '/api/policy-rules', [
      {
        name: 'malformed JSON',
        raw: '{"name": ',
        status: 422,
        code: 'VALIDATION_ERROR',
        field: 'body',
      },
      invalid('JSON array', [rule], 'body'),
      invalid('NUL in the name', { ...rule, name: 'r\u0000' }, 'name'),
      invalid(
        'NUL in the message',
        { ...rule, actionConfig: { message: '\u0000' } },
        'actionConfig.message',
      ),
      invalid(
        'NUL in an agent id',
        { ...rule, conditions: { agentIds: ['a\u0000'] } },
        'conditions.agentIds.0',
      ),
      {
        name: 'unpaired surrogate in the name',
        raw: '{"name": "r\\ud800", "action": "block"}',
        status: 422,
        code: 'VALIDATION_ERROR',
        field: 'name',
      },
      {
        name: '10 MB description',
        body: { ...rule, description: 'x'.repeat(10 * 1024 * 1024) },
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
      },
    ]);
    await expectRefused('POST', '/api/v1/rules', [
      invalid(
        'NUL in the name',
        {
          name: '\u0000',
          type: 'budget',
          condition: { window: 'daily', threshold: 1 },
          action: 'block',
        },
        'name',
      ),
    ]);
  });

  it('API keys: a NUL in the name', async () => {
    await expectRefused('POST', '/api/keys', [
      invalid('NUL in the name', { name: 'k\u0000', permissions: ['transactions:read'] }, 'name'),
    ]);
  });

  it('evaluate: the same validation as recording', async () => {
    await expectRefused('POST', '/api/policy-rules/evaluate', [
      invalid('missing vendor', { amount: 1 }, 'vendor'),
      invalid('negative amount', { vendor: 'openai', amount: -1 }, 'amount'),
      invalid('NUL in prompt', { vendor: 'openai', amount: 1, prompt: '\u0000' }, 'prompt'),
    ]);
  });
});

describe('query strings and path ids', () => {
  it('refuses a NUL in a query parameter or a path id with 422 naming it, never a 500', async () => {
    await expectRefused('GET', '/api/v1/transactions?vendor=%00', [
      { name: 'vendor filter', status: 422, code: 'VALIDATION_ERROR', field: 'vendor' },
    ]);
    for (const [method, path] of [
      ['GET', '/api/v1/transactions/txn_%00'],
      ['GET', '/api/v1/transactions/txn_%00/trace'],
      ['GET', '/api/policy-rules/rule_%00'],
      ['PUT', '/api/policy-rules/rule_%00'],
      ['DELETE', '/api/policy-rules/rule_%00'],
      ['GET', '/api/v1/rules/rule_%00'],
      ['PUT', '/api/v1/rules/rule_%00'],
      ['DELETE', '/api/v1/rules/rule_%00'],
      ['DELETE', '/api/keys/key_%00'],
    ] as const) {
      await expectRefused(method, path, [
        {
          name: `${method} ${path}`,
          body: method === 'PUT' ? { enabled: false } : undefined,
          status: 422,
          code: 'VALIDATION_ERROR',
          field: 'id',
        },
      ]);
    }
  });
});

describe('paths the router cannot take', () => {
  it('answers a malformed %-escape and an overlong segment with 422 naming the path', async () => {
    for (const [path, message] of [
      ['/api/agents/%zz', 'path: is not a valid URL path (a malformed %-escape)'],
      ['/api/v1/transactions/txn_%E0%A4%A', 'path: is not a valid URL path (a malformed %-escape)'],
      [`/api/agents/${'k'.repeat(101)}`, 'path: has a segment longer than 100 characters'],
    ] as const) {
      await expectRefused('GET', path, [
        { name: path, status: 422, code: 'VALIDATION_ERROR', field: 'path' },
      ]);
      const res = await t().call<ErrorBody>('GET', path);
      expect(res.body.message).toBe(message);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });
});

describe('tRPC', () => {
  it('refuses a body that is not JSON with 415 before tRPC reads it (multipart was a 500)', async () => {
    const before = await rowCounts(t());
    const res = await t().call<{
      error: { json: { data: { httpStatus: number; reins: ErrorBody } } };
    }>('POST', '/trpc/rules.delete', undefined, {
      raw: JSON.stringify({ json: { id: 'rule_x' } }),
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
    });
    expect(res.status).toBe(415);
    expect(res.body.error.json.data.reins).toMatchObject({
      success: false,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    });
    expect(await rowCounts(t())).toEqual(before);
  });

  it("gives tRPC's own refusals a docs code and message, not INTERNAL_ERROR", async () => {
    type TrpcError = { error: { json: { data: { httpStatus: number; reins: ErrorBody } } } };
    const mutationByGet = await t().call<TrpcError>('GET', '/trpc/keys.create');
    expect(mutationByGet.status).toBe(405);
    expect(mutationByGet.body.error.json.data.reins).toMatchObject({
      success: false,
      code: 'NOT_FOUND',
    });
    expect(mutationByGet.body.error.json.data.reins.message).not.toBe('Internal server error');
    const badInput = await t().call<TrpcError>('GET', '/trpc/transactions.get?input=%7Bnot-json');
    expect(badInput.status).toBe(400);
    expect(badInput.body.error.json.data.reins).toMatchObject({
      success: false,
      code: 'VALIDATION_ERROR',
      field: 'input',
    });
  });

  it('refuses what no service could store with the same 422, writing nothing', async () => {
    const before = await rowCounts(t());
    const res = await t().call<{
      error: { json: { data: { httpStatus: number; reins: ErrorBody } } };
    }>('POST', '/trpc/transactions.submit', { json: { ...OK, prompt: 'a\u0000b' } });
    expect(res.status).toBe(422);
    expect(res.body.error.json.data.reins).toMatchObject({
      success: false,
      code: 'VALIDATION_ERROR',
      field: 'prompt',
    });
    expect(await rowCounts(t())).toEqual(before);
  });
});

describe('per-key rate limit', () => {
  const r = useTestServer('ratelimit', { REINS_RATE_LIMIT_RPS: 5 });

  it('answers a burst past the limit with 429 RATE_LIMITED and a Retry-After header', async () => {
    const burst = await Promise.all(
      Array.from({ length: 40 }, () =>
        request<ErrorBody>(r().url, 'GET', '/api/v1/transactions?limit=1', undefined, {
          key: ADMIN_KEY,
        }),
      ),
    );
    const statuses = burst.map((b) => b.status);
    const accepted = statuses.filter((s) => s === 200).length;
    const limited = burst.filter((b) => b.status === 429);
    // 5 per second with bursts of 2 s: 10 at once, and whatever refilled while the burst ran.
    expect(accepted).toBeGreaterThanOrEqual(10);
    expect(accepted).toBeLessThan(20);
    expect(accepted + limited.length).toBe(40);
    for (const l of limited) {
      expect(l.body).toEqual({
        success: false,
        code: 'RATE_LIMITED',
        message: expect.any(String) as unknown,
        retryAfter: 1,
      });
      expect(l.headers.get('retry-after')).toBe('1');
    }

    // The limit is per key: another organization's key is not affected.
    const other = await r().newOrg('rate limit bystander');
    const bystander = await r().call('GET', '/api/v1/transactions', undefined, { key: other.key });
    expect(bystander.status).toBe(200);

    // After Retry-After seconds the key is admitted again.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const again = await r().call('GET', '/api/v1/transactions', undefined, { key: ADMIN_KEY });
    expect(again.status).toBe(200);
  });

  it('writes nothing for a rate-limited transaction', async () => {
    const key = (await r().newOrg('rate limit writes')).key;
    const sends = await Promise.all(
      Array.from({ length: 30 }, () => r().call('POST', '/api/v1/transactions', OK, { key })),
    );
    const accepted = sends.filter((s) => s.status === 202).length;
    expect(sends.filter((s) => s.status === 429).length).toBeGreaterThan(0);
    const [row] = await r().sql<{ n: number }>('select count(*)::int as n from transaction_record');
    expect(row?.n).toBe(accepted);
  });
});
