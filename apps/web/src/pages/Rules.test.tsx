import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { checkRule, EMPTY_RULE } from '../lib/ruleForm.js';
import { renderWith } from '../test/render.js';
import { RuleForm } from './Rules.js';

describe('the rule form, validated with the engine’s schema', () => {
  it('takes the engine’s messages for the fields being typed in', async () => {
    const user = userEvent.setup();
    renderWith(<RuleForm />);
    const priority = screen.getByLabelText('Priority');
    await user.clear(priority);
    await user.type(priority, '1.5');
    expect(screen.getByText('must be an integer')).toBeTruthy();
    await user.clear(priority);
    await user.type(priority, '7');
    expect(screen.queryByText('must be an integer')).toBeNull();

    const name = screen.getByLabelText('Name');
    await user.type(name, ' ');
    expect(screen.getByText('must not be empty')).toBeTruthy();
    await user.type(name, 'Cap');
    expect(screen.queryByText('must not be empty')).toBeNull();
  });

  it('refuses a negative limit as the server would, before sending anything', async () => {
    const user = userEvent.setup();
    renderWith(<RuleForm />);
    await user.type(screen.getByLabelText('Limit (cents)'), '-5');
    const limit = screen.getByLabelText('Limit (cents)');
    expect(limit.getAttribute('aria-invalid')).toBe('true');
    const message = document.getElementById(limit.getAttribute('aria-describedby') ?? '');
    expect(message?.textContent).toBe('must be ≥ 1');
    await user.clear(limit);
    await user.type(limit, '12.5');
    expect(screen.getByText('must be an integer number of cents')).toBeTruthy();
  });

  it('says a limit needs a time window, as the server would', async () => {
    const user = userEvent.setup();
    renderWith(<RuleForm />);
    await user.type(screen.getByLabelText('Name'), 'Cap');
    const limit = screen.getByLabelText('Limit (cents)');
    await user.type(limit, '500');
    const message = document.getElementById(limit.getAttribute('aria-describedby') ?? '');
    expect(message?.textContent).toBe('requires conditions.timeWindow');
    expect(checkRule({ ...EMPTY_RULE, name: 'Cap', limitCents: '500' }).ok).toBe(false);
    expect(
      checkRule({ ...EMPTY_RULE, name: 'Cap', limitCents: '500', timeWindow: 'daily' }).ok,
    ).toBe(true);
  });

  it('builds the docs-dialect body the engine accepts', () => {
    const check = checkRule({
      ...EMPTY_RULE,
      name: 'Daily cap',
      vendors: 'openai, anthropic',
      timeWindow: 'daily',
      limitCents: '5000',
    });
    expect(check).toEqual({
      ok: true,
      errors: {},
      body: {
        name: 'Daily cap',
        action: 'block',
        mode: 'enforce',
        priority: 100,
        conditions: { vendors: ['openai', 'anthropic'], timeWindow: 'daily' },
        actionConfig: { limitCents: 5000 },
      },
    });
  });

  it('keys errors by the same dotted paths as the server’s 422', () => {
    const check = checkRule({ ...EMPTY_RULE, name: 'x', vendors: 'not-a-vendor' });
    expect(check.ok).toBe(false);
    expect(Object.keys(check.errors)).toEqual([expect.stringMatching(/^conditions\.vendors/)]);
  });
});
