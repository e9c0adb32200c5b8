import { describe, expect, it } from 'vitest';
import { compile, evaluate, parseDocsRule, parseTypedRule, requiredWindows } from '../src/index.js';
import {
  checkDecision,
  loadInvalidRules,
  loadVectors,
  vectorInput,
  vectorRules,
  vectorWindows,
} from './index.js';

const vectors = loadVectors();
const invalid = loadInvalidRules();

describe('golden vectors', () => {
  it('there are at least 80 of them', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(80);
  });

  for (const v of vectors) {
    it(`${v.file}: ${v.name}`, () => {
      const policy = compile(vectorRules(v));
      const input = vectorInput(v);
      const windows = vectorWindows(v);
      const decision = evaluate(policy, input, windows, v.ctx);
      expect(checkDecision(v, decision, requiredWindows(policy, input, v.ctx))).toEqual([]);
      // The indexed path (trace off) reaches the same decision as the full walk.
      const fast = evaluate(policy, input, windows, { ...v.ctx, trace: false });
      expect({ ...fast, trace: decision.trace }).toEqual(decision);
    });
  }
});

describe('invalid rules', () => {
  for (const v of invalid) {
    it(`${v.dialect}: ${v.name}`, () => {
      const who = { id: 'r', createdAt: '2026-01-01T00:00:00Z' };
      const r = v.dialect === 'docs' ? parseDocsRule(v.body, who) : parseTypedRule(v.body, who);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.issues.map((i) => i.path)).toContain(v.errorPath);
    });
  }
});
