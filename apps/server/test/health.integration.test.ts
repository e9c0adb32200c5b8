import { describe, expect, it } from 'vitest';
import { useTestServer } from './harness.js';

const t = useTestServer('health');

describe('GET /health', () => {
  it('reports the database reachable without a key', async () => {
    const res = await t().call('GET', '/health', undefined, { key: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true, status: 'ok', database: 'reachable' });
  });

  it('answers unknown routes with the docs error body', async () => {
    const res = await t().call('GET', '/api/nope');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ success: false, code: 'NOT_FOUND' });
  });

  it('serves an OpenAPI document listing the REST routes', async () => {
    const res = await t().call<{ openapi: string; paths: Record<string, unknown> }>(
      'GET',
      '/api/openapi.json',
      undefined,
      { key: null },
    );
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/transactions',
        '/api/v1/transactions/{id}/trace',
        '/api/policy-rules',
        '/api/policy-rules/evaluate',
        '/api/policy-rules/backtest',
        '/api/policy-rules/backtest/{id}',
        '/api/v1/rules/{id}',
        '/api/keys',
      ]),
    );
  });
});
