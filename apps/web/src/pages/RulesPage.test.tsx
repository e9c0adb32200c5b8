import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RouterOutputs } from '../lib/trpc.js';
import { ADMIN_SESSION, renderWith } from '../test/render.js';
import { Refusal, serveTrpc, type Call } from '../test/trpc.js';
import { RulesPage } from './Rules.js';

const RULE = {
  id: 'rule_1',
  name: 'Daily cap',
  type: 'spend_limit',
  action: 'block',
  enabled: false,
  priority: 100,
  mode: 'enforce',
  conditions: { vendors: ['openai'], models: ['gpt-4*'], timeWindow: 'daily', userIds: ['u1'] },
  actionConfig: { limitCents: 5000, message: 'Over the cap' },
  createdAt: '2026-12-01T10:00:00.000Z',
  updatedAt: '2026-12-01T10:00:00.000Z',
};

const DRY_RUN = {
  result: {
    action: 'block',
    ruleId: 'rule_1',
    ruleName: 'Daily cap',
    message: 'Over the cap',
    details: {},
  },
  shadow: [],
  evaluatedRules: [
    {
      ruleId: 'rule_1',
      ruleName: 'Daily cap',
      matched: true,
      reason: 'daily spend $51.00 would pass $50.00',
      reached: true,
      decisive: true,
      priority: 100,
      action: 'block',
      mode: 'enforce',
    },
  ],
  evaluatedAt: '2026-12-03T10:00:00.000Z',
} as unknown as RouterOutputs['policyRules']['evaluate'];

const writes = (calls: Call[]) => calls.filter((c) => c.path !== 'policyRules.list');

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the policy rules page', () => {
  it('edits a rule in place: a merge patch that removes emptied fields, keeps the rest', async () => {
    const { calls } = serveTrpc((path) => (path === 'policyRules.update' ? RULE : [RULE]));
    const user = userEvent.setup();
    renderWith(<RulesPage />);
    await user.click(await screen.findByRole('button', { name: 'Edit Daily cap' }));
    const form = screen.getByRole('form', { name: 'Edit rule “Daily cap”' });
    const name = within(form).getByLabelText<HTMLInputElement>('Name');
    expect(name.value).toBe('Daily cap');
    expect(document.activeElement).toBe(name);
    expect(within(form).getByLabelText<HTMLInputElement>('Models').value).toBe('gpt-4*');
    expect(within(form).getByLabelText<HTMLInputElement>('Limit (cents)').value).toBe('5000');
    await user.clear(within(form).getByLabelText('Models'));
    await user.clear(within(form).getByLabelText('Limit (cents)'));
    await user.type(within(form).getByLabelText('Limit (cents)'), '7500');
    await user.clear(within(form).getByLabelText('Message'));
    await user.click(within(form).getByRole('button', { name: 'Save changes' }));
    await waitFor(() => {
      expect(screen.queryByRole('form', { name: 'Edit rule “Daily cap”' })).toBeNull();
    });
    expect(writes(calls)).toEqual([
      {
        path: 'policyRules.update',
        input: {
          id: 'rule_1',
          patch: {
            name: 'Daily cap',
            action: 'block',
            mode: 'enforce',
            priority: 100,
            conditions: { vendors: ['openai'], models: null, agentIds: null, timeWindow: 'daily' },
            actionConfig: { limitCents: 7500, message: null },
          },
        },
      },
    ]);
    // `enabled` is not the form's: a disabled rule stays disabled.
    expect(JSON.stringify(calls)).not.toContain('enabled');
    expect(screen.getByRole('form', { name: 'New rule' })).toBeTruthy();
  });

  it('shows the server’s refusal of an edit and keeps the form; Cancel leaves it', async () => {
    serveTrpc((path) => {
      if (path === 'policyRules.update') throw new Refusal(422, 'conditions.vendors: unknown');
      return [RULE];
    });
    const user = userEvent.setup();
    renderWith(<RulesPage />);
    await user.click(await screen.findByRole('button', { name: 'Edit Daily cap' }));
    const form = screen.getByRole('form', { name: 'Edit rule “Daily cap”' });
    await user.click(within(form).getByRole('button', { name: 'Save changes' }));
    expect((await within(form).findByRole('alert')).textContent).toBe(
      'conditions.vendors: unknown',
    );
    await user.click(within(form).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('form', { name: 'Edit rule “Daily cap”' })).toBeNull();
  });

  it('tries a call against the rules and shows the decision and the trace', async () => {
    const { calls } = serveTrpc((path) => (path === 'policyRules.evaluate' ? DRY_RUN : [RULE]));
    const user = userEvent.setup();
    renderWith(<RulesPage />, {
      status: 'signed-in',
      session: { ...ADMIN_SESSION, permissions: ['policies:read'] },
    });
    const form = await screen.findByRole('form', { name: 'Try a call' });
    // A reader sees no write actions, but may try calls.
    expect(screen.queryByRole('button', { name: /Edit/ })).toBeNull();
    await user.click(within(form).getByRole('button', { name: 'Evaluate' }));
    expect(within(form).getByText(/Give an amount/)).toBeTruthy();
    expect(writes(calls)).toEqual([]);
    await user.selectOptions(within(form).getByLabelText('Vendor'), 'openai');
    await user.type(within(form).getByLabelText('Agent'), 'support-bot');
    await user.type(within(form).getByLabelText('Amount ($)'), '51');
    await user.click(within(form).getByRole('button', { name: 'Evaluate' }));
    expect(await screen.findByText(/by “Daily cap” — Over the cap/)).toBeTruthy();
    expect(screen.getByText('daily spend $51.00 would pass $50.00')).toBeTruthy();
    expect(writes(calls)).toEqual([
      {
        path: 'policyRules.evaluate',
        input: { vendor: 'openai', agentId: 'support-bot', amount: 5100 },
      },
    ]);
  });
});
