import { describe, expect, it } from 'vitest';
import { draftOf, EMPTY_RULE, formOf, mergePatch } from './ruleForm.js';

const STORED = {
  id: 'rule_1',
  name: 'Daily cap',
  description: null,
  type: 'spend_limit',
  action: 'block',
  enabled: false,
  priority: 100,
  mode: 'enforce' as const,
  conditions: { vendors: ['openai'], models: ['gpt-4*'], userIds: ['u1'], timeWindow: 'daily' },
  actionConfig: { limitCents: 5000, message: 'Over the cap' },
  warnings: [{ code: 'no_budget' }],
};

describe('a rule form as a backtest draft', () => {
  it('is nothing while the form is not a valid rule', () => {
    expect(draftOf(EMPTY_RULE)).toBeNull();
  });

  it('replays an edited rule as update would save it: emptied fields gone, unshown ones kept', () => {
    const form = { ...formOf(STORED), models: '', limitCents: '7500', message: '' };
    expect(draftOf(form, STORED)).toEqual([
      {
        id: 'rule_1',
        name: 'Daily cap',
        description: null,
        type: 'spend_limit',
        action: 'block',
        enabled: true,
        priority: 100,
        mode: 'enforce',
        conditions: { vendors: ['openai'], userIds: ['u1'], timeWindow: 'daily' },
        actionConfig: { limitCents: 7500 },
        dialect: 'docs',
      },
    ]);
  });

  it('merges as RFC 7386 does: null removes, objects merge, anything else replaces', () => {
    expect(
      mergePatch({ a: 1, b: { c: 2, d: 3 }, e: [1] }, { a: null, b: { c: null, f: 4 }, e: [2] }),
    ).toEqual({
      b: { d: 3, f: 4 },
      e: [2],
    });
  });
});
