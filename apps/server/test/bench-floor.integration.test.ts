/**
 * The HTTP benchmark's floor route (REINS_BENCH_FLOOR=on): the transactions route's checks —
 * key, permission, body — then an answer from memory: nothing recorded. Absent by default.
 */
import { describe, expect, it } from 'vitest';
import { useTestServer } from './harness.js';

const on = useTestServer('bench_floor', { REINS_BENCH_FLOOR: 'on' });
const off = useTestServer('bench_floor_off');

const body = { amount: 120, vendor: 'openai', model: 'gpt-4o', agentId: 'floor-bot' };

describe('the benchmark floor route', () => {
  it('authenticates and parses a transaction, answers 202, records nothing', async () => {
    const { key } = await on().newOrg('floor');
    const res = await on().call<{ success: boolean; floor: boolean }>(
      'POST',
      '/api/v1/bench/floor',
      body,
      { key },
    );
    expect(res.status, res.text).toBe(202);
    expect(res.body).toMatchObject({ success: true, floor: true });
    const list = await on().call<{ total: number }>('GET', '/api/v1/transactions', undefined, {
      key,
    });
    expect(list.body.total).toBe(0);
  });

  it('refuses what the transactions route refuses: no key, a bad body', async () => {
    const { key } = await on().newOrg('floor-refusals');
    const anonymous = await on().call('POST', '/api/v1/bench/floor', body, { key: null });
    expect(anonymous.status).toBe(401);
    const bad = await on().call<{ success: boolean; code: string; field: string }>(
      'POST',
      '/api/v1/bench/floor',
      { ...body, amount: -5 },
      { key },
    );
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ success: false, code: 'VALIDATION_ERROR', field: 'amount' });
  });

  it('does not exist unless the benchmark asks for it', async () => {
    const { key } = await off().newOrg('no-floor');
    const res = await off().call('POST', '/api/v1/bench/floor', body, { key });
    expect(res.status).toBe(404);
  });
});
