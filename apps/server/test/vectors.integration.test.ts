/**
 * The engine's golden vectors through the HTTP API: rules created over REST in their own dialect,
 * window totals seeded as counter rows, the server clock pinned to the vector's `now`, the
 * transaction submitted as JSON — the server must reach the engine's decisions, and bump exactly
 * the counters the engine names.
 */
import { describe, expect, it } from 'vitest';
import { type Decision, type TraceEntry } from '@reins/engine';
import {
  checkDecision,
  loadVectors,
  vectorInput,
  vectorRequiredWindows,
} from '@reins/engine/vectors';
import { useTestServer } from './harness.js';
import { seedVector, unsupportedOverHttp, vectorBody } from './vectorOrg.js';

const t = useTestServer('vectors');

const vectors = loadVectors();
const runnable = vectors.filter((v) => unsupportedOverHttp(v) === null);

interface SubmitBody {
  id?: string;
  action?: string;
  policyResult?: {
    action: string;
    ruleId: string | null;
    ruleName: string | null;
    message: string;
    details?: Decision['details'];
  };
  details?: Decision['details'];
}

describe('golden vectors over HTTP', () => {
  it('runs the large majority of the vectors', () => {
    // Skipped: non-monthly agent budgets, ties on id, inputs that contradict the price table.
    expect(runnable.length).toBeGreaterThanOrEqual(250);
  });

  it.each(runnable.map((v) => [`${v.file}: ${v.name}`, v] as const))('%s', async (_name, v) => {
    const s = t();
    const { orgId, key, now, mapId } = await seedVector(s, v);
    const org = { orgId, key };
    const opts = { key };
    const before = new Map(
      (
        await s.sql<{ key: string; cost_micros: string; requests: string }>(
          'select key, cost_micros, requests from window_counter where org_id = ?',
          [org.orgId],
        )
      ).map((r) => [r.key, r]),
    );

    // The transaction, as a client would send it.
    const input = vectorInput(v);
    const body = vectorBody(v);
    s.clock.set(now);
    const res = await s.call<SubmitBody>('POST', '/api/v1/transactions', body, opts);
    s.clock.set(null);
    expect([202, 403], res.text).toContain(res.status);
    const id = res.body.id as string;
    const pr = res.body.policyResult;
    expect(pr).toBeDefined();
    if (!pr) return;

    const trace = await s.call<{ evaluatedRules: TraceEntry[] }>(
      'GET',
      `/api/v1/transactions/${id}/trace`,
      undefined,
      opts,
    );
    expect(trace.status).toBe(200);
    const entries = trace.body.evaluatedRules.map((e) => ({ ...e, ruleId: mapId(e.ruleId) ?? '' }));
    const details = (res.status === 403 ? res.body.details : pr.details) as Decision['details'];
    const decision: Decision = {
      action: pr.action as Decision['action'],
      admitted: res.status === 202,
      ruleId: mapId(pr.ruleId),
      ruleName: pr.ruleName,
      message: pr.message,
      details: { ...details, ruleId: mapId(details.ruleId) },
      shadow: entries
        .filter((e) => e.mode === 'shadow' && e.matched && e.reached)
        .map((e) => ({ ruleId: e.ruleId, ruleName: e.ruleName, action: e.action, details })),
      trace: entries,
    };
    expect(checkDecision(v, decision)).toEqual([]);

    // Counters: an admitted transaction bumps exactly the engine's required windows.
    const after = await s.sql<{ key: string; cost_micros: string; requests: string }>(
      'select key, cost_micros, requests from window_counter where org_id = ?',
      [org.orgId],
    );
    const required = new Set(vectorRequiredWindows(v).map((w) => w.key));
    for (const row of after) {
      const was = before.get(row.key);
      const bumped = Number(row.requests) - Number(was?.requests ?? 0);
      const expected = res.status === 202 && required.has(row.key) ? 1 : 0;
      expect(bumped, `requests in ${row.key}`).toBe(expected);
      if (expected === 1) {
        expect(Number(row.cost_micros) - Number(was?.cost_micros ?? 0)).toBe(input.amountMicros);
      }
    }
    if (res.status === 202) {
      expect(after.filter((r) => required.has(r.key))).toHaveLength(required.size);
    }
  });
});
