import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { formatTime } from '../lib/format.js';
import type { RouterOutputs } from '../lib/trpc.js';
import { ADMIN_SESSION, renderWith } from '../test/render.js';
import { Refusal, serveTrpc, type Call } from '../test/trpc.js';
import { BudgetsPage } from './Budgets.js';

type Usage = RouterOutputs['budgets']['usage'];
type Budget = RouterOutputs['budgets']['list']['budgets'][number];
type Agent = RouterOutputs['agents']['list']['agents'][number];
type Org = RouterOutputs['org']['get']['org'];

const ORG: Org = {
  id: 'org_1',
  name: 'Acme',
  timeZone: 'Europe/Berlin',
  defaultAction: 'pass',
  hourlyBudgetCents: null,
  dailyBudgetCents: 10_000,
  weeklyBudgetCents: null,
  monthlyBudgetCents: 200_000,
  policyVersion: 3,
  createdAt: '2026-12-01T10:00:00.000Z',
  updatedAt: '2026-12-01T10:00:00.000Z',
};

const budget = (b: Partial<Budget> & Pick<Budget, 'kind' | 'id'>): Budget => ({
  hourlyBudgetCents: null,
  dailyBudgetCents: null,
  weeklyBudgetCents: null,
  monthlyBudgetCents: null,
  createdAt: '2026-12-01T10:00:00.000Z',
  updatedAt: '2026-12-01T10:00:00.000Z',
  ...b,
});

const BUDGETS: Budget[] = [
  budget({ kind: 'project', id: 'checkout', weeklyBudgetCents: 1_000 }),
  budget({ kind: 'role', id: 'editor', dailyBudgetCents: 2_500 }),
  budget({ kind: 'team', id: 'platform', dailyBudgetCents: 5_000, monthlyBudgetCents: 90_000 }),
];

const AGENT: Agent = {
  agentId: 'support-bot',
  name: 'Support bot',
  description: null,
  vendor: 'openai',
  monthlyBudgetCents: 20_000,
  metadata: {},
  createdAt: '2026-12-01T10:00:00.000Z',
  updatedAt: '2026-12-01T10:00:00.000Z',
};

const USAGE: Usage = {
  timeZone: 'Europe/Berlin',
  windows: {
    hourly: { startDate: '2026-12-03T13:00:00.000Z', endDate: '2026-12-03T14:00:00.000Z' },
    daily: { startDate: '2026-12-02T23:00:00.000Z', endDate: '2026-12-03T23:00:00.000Z' },
    weekly: { startDate: '2026-11-29T23:00:00.000Z', endDate: '2026-12-06T23:00:00.000Z' },
    monthly: { startDate: '2026-11-30T23:00:00.000Z', endDate: '2026-12-31T23:00:00.000Z' },
  },
  org: { hourly: 300, daily: 1_200, weekly: 9_000, monthly: 50_000 },
  teams: { platform: { hourly: 0, daily: 6_000, weekly: 6_000, monthly: 9_000 } },
  projects: {},
  agents: { 'support-bot': { hourly: 0, daily: 0, weekly: 0, monthly: 5_000 } },
};

const READS = ['budgets.usage', 'budgets.list', 'org.get', 'agents.list'];
const writes = (calls: Call[]) => calls.filter((c) => !READS.includes(c.path));

function serve(
  overrides: Partial<Record<string, (input: unknown) => unknown>> = {},
  budgets: Budget[] = BUDGETS,
) {
  return serveTrpc((path, input) => {
    const answer = overrides[path];
    if (answer) return answer(input);
    switch (path) {
      case 'budgets.usage':
        return USAGE;
      case 'budgets.list':
        return { budgets, count: budgets.length };
      case 'org.get':
        return { org: ORG };
      case 'agents.list':
        return { agents: [AGENT], count: 1 };
      default:
        return { budget: budgets[0] };
    }
  });
}

/** The usage table's row for one budget and window, as cell texts. */
async function usageRow(label: string, window: string) {
  const region = await screen.findByRole('region', { name: 'Use against budgets' });
  const row = (await within(region).findAllByRole('row')).find((r) => {
    const cells = [...r.querySelectorAll('th, td')].map((c) => c.textContent);
    return cells[0] === label && cells[1] === window;
  });
  if (!row) throw new Error(`no usage row for ${label}, ${window}`);
  return row;
}

const cellsOf = (row: HTMLElement) => [...row.querySelectorAll('th, td')].map((c) => c.textContent);

const confirm = vi.fn((_message?: string) => true);

beforeEach(() => {
  confirm.mockReset().mockReturnValue(true);
  vi.stubGlobal('confirm', confirm);
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the budgets page', () => {
  it('shows the spend of the current window against each budget: org, teams, projects, agents', async () => {
    serve();
    renderWith(<BudgetsPage />);
    const org = await usageRow('Organization', 'Daily');
    expect(cellsOf(org)).toEqual([
      'Organization',
      'Daily',
      '$12.00',
      '$100.00',
      '12%',
      formatTime(USAGE.windows.daily.endDate),
    ]);
    expect(cellsOf(await usageRow('Organization', 'Monthly')).slice(2, 5)).toEqual([
      '$500.00',
      '$2,000.00',
      '25%',
    ]);
    // No org budget for the hour: nothing to measure against.
    const region = screen.getByRole('region', { name: 'Use against budgets' });
    expect(within(region).queryByText('Hourly')).toBeNull();
    expect(cellsOf(await usageRow('Team platform', 'Monthly')).slice(2, 5)).toEqual([
      '$90.00',
      '$900.00',
      '10%',
    ]);
    // A project that has not spent this week has used none of its budget.
    expect(cellsOf(await usageRow('Project checkout', 'Weekly')).slice(2, 5)).toEqual([
      '$0.00',
      '$10.00',
      '0.0%',
    ]);
    expect(cellsOf(await usageRow('Agent Support bot', 'Monthly')).slice(2, 5)).toEqual([
      '$50.00',
      '$200.00',
      '25%',
    ]);
    // Role budgets apply per user: the totals here do not measure them.
    expect(within(region).queryByText(/Role editor/)).toBeNull();
    const meter = within(org).getByRole('meter', { name: 'Organization, daily: used' });
    expect(meter.getAttribute('aria-valuetext')).toBe('12% of $100.00');
  });

  it('marks a budget whose window has spent more than it allows as over budget', async () => {
    serve();
    renderWith(<BudgetsPage />);
    const over = await usageRow('Team platform', 'Daily');
    expect(cellsOf(over).slice(2, 5)).toEqual(['$60.00', '$50.00', '120%Over budget']);
    expect(over.className).toBe('over-budget');
    expect(
      within(over)
        .getByRole('meter', { name: 'Team platform, daily: used' })
        .getAttribute('aria-valuetext'),
    ).toBe('120% of $50.00');
    const within_ = await usageRow('Organization', 'Daily');
    expect(within(within_).queryByText('Over budget')).toBeNull();
    expect(screen.getAllByText('Over budget')).toHaveLength(1);
  });

  it('adds a team budget; dollars that are not an amount are flagged as typed and not sent', async () => {
    const { calls } = serve({
      'budgets.set': () => ({ budget: budget({ kind: 'team', id: 'data' }) }),
    });
    const user = userEvent.setup();
    renderWith(<BudgetsPage />);
    const form = await screen.findByRole('form', { name: 'Add a budget' });
    expect(within(form).getByLabelText<HTMLSelectElement>('Kind').value).toBe('team');
    await user.type(within(form).getByLabelText('Id'), 'data');
    const daily = within(form).getByLabelText('Daily ($)');
    await user.type(daily, '12.345');
    expect(within(form).getByText('Enter an amount in dollars, like 250 or 99.50')).toBeTruthy();
    expect(daily.getAttribute('aria-invalid')).toBe('true');
    const add = within(form).getByRole('button', { name: 'Add budget' });
    expect((add as HTMLButtonElement).disabled).toBe(true);
    await user.click(add);
    expect(writes(calls)).toEqual([]);

    await user.clear(daily);
    await user.type(daily, '1,250.5');
    expect(within(form).queryByText(/Enter an amount/)).toBeNull();
    await user.type(within(form).getByLabelText('Monthly ($)'), '20000');
    await user.click(add);
    await waitFor(() => {
      expect(writes(calls)).toEqual([
        {
          path: 'budgets.set',
          input: {
            kind: 'teams',
            id: 'data',
            dailyBudgetCents: 125_050,
            monthlyBudgetCents: 2_000_000,
          },
        },
      ]);
    });
    // Saved: the form is empty again and the lists are read again.
    await waitFor(() => {
      expect(within(form).getByLabelText<HTMLInputElement>('Id').value).toBe('');
    });
    expect(calls.filter((c) => c.path === 'budgets.list').length).toBeGreaterThan(1);
    expect(calls.filter((c) => c.path === 'budgets.usage').length).toBeGreaterThan(1);
  });

  it('refuses a budget without an id or an amount, and one for a subject that has one', async () => {
    const { calls } = serve();
    const user = userEvent.setup();
    renderWith(<BudgetsPage />);
    const form = await screen.findByRole('form', { name: 'Add a budget' });
    await user.click(within(form).getByRole('button', { name: 'Add budget' }));
    expect(within(form).getByText('Give the id of the role, team or project')).toBeTruthy();
    expect(within(form).getByRole('alert').textContent).toBe('Give at least one amount');

    await user.selectOptions(within(form).getByLabelText('Kind'), 'role');
    // Roles compare case-insensitively, as the server stores them.
    await user.type(within(form).getByLabelText('Id'), 'Editor');
    expect(within(form).getByText('This role has a budget already: edit it instead')).toBeTruthy();
    await user.clear(within(form).getByLabelText('Id'));
    await user.type(within(form).getByLabelText('Id'), 'team-*');
    expect(within(form).getByText('An id must not contain *')).toBeTruthy();
    await user.type(within(form).getByLabelText('Hourly ($)'), '5');
    await user.click(within(form).getByRole('button', { name: 'Add budget' }));
    expect(writes(calls)).toEqual([]);
  });

  it('edits a budget from the keyboard: all four amounts are sent, a cleared one as null', async () => {
    const { calls } = serve({
      'budgets.set': () => ({ budget: budget({ kind: 'team', id: 'platform' }) }),
    });
    const user = userEvent.setup();
    renderWith(<BudgetsPage />);
    await user.click(
      await screen.findByRole('button', { name: 'Edit the team budget “platform”' }),
    );
    const form = screen.getByRole('form', { name: 'Edit the team budget “platform”' });
    // Editing starts on the first amount.
    expect(document.activeElement).toBe(within(form).getByLabelText('Hourly ($)'));
    expect(within(form).queryByLabelText('Id')).toBeNull();
    expect(within(form).getByLabelText<HTMLInputElement>('Daily ($)').value).toBe('50');
    await user.clear(within(form).getByLabelText('Monthly ($)'));
    await user.type(within(form).getByLabelText('Weekly ($)'), '300{Enter}');
    await waitFor(() => {
      expect(writes(calls)).toEqual([
        {
          path: 'budgets.set',
          input: {
            kind: 'teams',
            id: 'platform',
            hourlyBudgetCents: null,
            dailyBudgetCents: 5_000,
            weeklyBudgetCents: 30_000,
            monthlyBudgetCents: null,
          },
        },
      ]);
    });
    // Saved: back to adding, the keyboard on the row just edited.
    expect(await screen.findByRole('form', { name: 'Add a budget' })).toBeTruthy();
    expect(document.activeElement).toBe(
      screen.getByRole('button', { name: 'Edit the team budget “platform”' }),
    );
  });

  it('shows the server’s refusal of an edit and keeps the form to try again', async () => {
    serve({
      'budgets.set': () => {
        throw new Refusal(400, 'dailyBudgetCents: too big');
      },
    });
    const user = userEvent.setup();
    renderWith(<BudgetsPage />);
    await user.click(
      await screen.findByRole('button', { name: 'Edit the project budget “checkout”' }),
    );
    const form = screen.getByRole('form', { name: 'Edit the project budget “checkout”' });
    await user.click(within(form).getByRole('button', { name: 'Save changes' }));
    expect((await within(form).findByRole('alert')).textContent).toBe('dailyBudgetCents: too big');
    await user.click(within(form).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('form', { name: /Edit the project budget/ })).toBeNull();
    // The keyboard is back where the edit started.
    expect(document.activeElement).toBe(
      screen.getByRole('button', { name: 'Edit the project budget “checkout”' }),
    );
  });

  it('deletes a budget once confirmed', async () => {
    const { calls } = serve({
      'budgets.delete': () => ({ kind: 'project', id: 'checkout', deleted: true }),
    });
    const user = userEvent.setup();
    renderWith(<BudgetsPage />);
    const del = await screen.findByRole('button', { name: 'Delete the project budget “checkout”' });
    confirm.mockReturnValueOnce(false);
    await user.click(del);
    expect(confirm).toHaveBeenCalledWith('Delete the project budget “checkout”?');
    expect(writes(calls)).toEqual([]);
    await user.click(del);
    await waitFor(() => {
      expect(writes(calls)).toEqual([
        { path: 'budgets.delete', input: { kind: 'projects', id: 'checkout' } },
      ]);
    });
  });

  it('a viewer sees budgets and their use but no controls to change them', async () => {
    serve();
    renderWith(<BudgetsPage />, {
      status: 'signed-in',
      session: { ...ADMIN_SESSION, permissions: ['policies:read', 'agents:read'] },
    });
    await usageRow('Team platform', 'Daily');
    expect(screen.getByText('editor')).toBeTruthy();
    expect(screen.queryByRole('button', { name: /Edit|Delete|Save|Add/ })).toBeNull();
    expect(screen.queryByRole('form')).toBeNull();
    expect(screen.queryByRole('textbox')).toBeNull();
    // The organization's budgets, read-only.
    const org = screen.getByRole('region', { name: 'Organization' });
    expect(within(org).getByText('$2,000.00')).toBeTruthy();
  });

  it('says when there are no budgets yet, and shows a failed read with a retry', async () => {
    serve(
      {
        'org.get': () => ({
          org: { ...ORG, dailyBudgetCents: null, monthlyBudgetCents: null },
        }),
        'agents.list': () => ({ agents: [], count: 0 }),
      },
      [],
    );
    const first = renderWith(<BudgetsPage />);
    expect(await screen.findByText('No budgets to measure yet.')).toBeTruthy();
    expect(screen.getByText('No budgets for roles, teams or projects.')).toBeTruthy();
    first.unmount();

    serve({
      'budgets.usage': () => {
        throw new Refusal(500, 'database unavailable');
      },
    });
    renderWith(<BudgetsPage />);
    const region = screen.getByRole('region', { name: 'Use against budgets' });
    expect(within(region).getByRole('status').textContent).toContain('Loading');
    const alert = await within(region).findByRole('alert');
    expect(alert.textContent).toContain('database unavailable');
    expect(within(alert).getByRole('button', { name: 'Try again' })).toBeTruthy();
  });
});
