import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RouterOutputs } from '../lib/trpc.js';
import { ADMIN_SESSION, renderWith } from '../test/render.js';
import { Refusal, serveTrpc, type Call } from '../test/trpc.js';
import { VendorsPage } from './Vendors.js';

type VendorView = RouterOutputs['vendors']['list']['vendors'][number];
type Prices = RouterOutputs['vendors']['prices'];
type Override = RouterOutputs['vendors']['listOverrides']['overrides'][number];

const vendor = (v: Partial<VendorView> & Pick<VendorView, 'vendor' | 'name'>): VendorView => ({
  enabled: true,
  rateLimitRpm: null,
  updatedAt: null,
  ...v,
});

const VENDORS: VendorView[] = [
  vendor({ vendor: 'openai', name: 'OpenAI', rateLimitRpm: 600 }),
  vendor({ vendor: 'anthropic', name: 'Anthropic', enabled: false }),
];

const OVERRIDE: Override = {
  id: 'po_1',
  vendor: 'openai',
  model: 'gpt-4o*',
  inputPerMtokUsd: 2,
  outputPerMtokUsd: 8,
  cacheReadPerMtokUsd: null,
  cacheWritePerMtokUsd: null,
  perRequestUsd: null,
  effectiveFrom: '2026-12-01T00:00:00.000Z',
  effectiveTo: null,
  createdAt: '2026-12-01T00:00:00.000Z',
};

const PRICES: Prices = {
  vendor: 'openai',
  at: '2026-12-03T12:00:00.000Z',
  priceVersion: 'genai-prices 0.0.40',
  models: [
    {
      model: 'gpt-4o',
      name: 'GPT-4o',
      inputPerMtokUsd: 2.5,
      outputPerMtokUsd: 10,
      cacheReadPerMtokUsd: 1.25,
      deprecated: false,
      source: 'genai-prices 0.0.40',
      overriddenBy: 'po_1',
    },
    {
      model: 'gpt-4o-mini',
      name: null,
      inputPerMtokUsd: 0.15,
      outputPerMtokUsd: 0.6,
      cacheReadPerMtokUsd: 0.075,
      deprecated: true,
      source: 'genai-prices 0.0.40',
      overriddenBy: null,
    },
  ],
  overrides: [{ ...OVERRIDE, source: 'override' }],
};

const READS = ['vendors.list', 'vendors.prices', 'vendors.listOverrides'];
const writes = (calls: Call[]) => calls.filter((c) => !READS.includes(c.path));

function serve(answers: Partial<Record<string, (input: unknown) => unknown>> = {}) {
  return serveTrpc((path, input) => {
    const answer = answers[path];
    if (answer) return answer(input);
    switch (path) {
      case 'vendors.list':
        return { vendors: VENDORS, count: VENDORS.length };
      case 'vendors.prices':
        return PRICES;
      case 'vendors.listOverrides':
        return { vendor: 'openai', overrides: [OVERRIDE], count: 1 };
      default:
        throw new Refusal(500, `unexpected ${path}`);
    }
  });
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

describe('the vendors page', () => {
  it('enables a disabled vendor with the flag the server takes', async () => {
    const { calls } = serve({
      'vendors.update': () => ({ vendor: { ...VENDORS[1], enabled: true } }),
    });
    const user = userEvent.setup();
    renderWith(<VendorsPage />);
    await user.click(await screen.findByRole('button', { name: 'Enable Anthropic' }));
    await waitFor(() => {
      expect(writes(calls)).toEqual([
        { path: 'vendors.update', input: { vendor: 'anthropic', enabled: true } },
      ]);
    });
  });

  it('edits the per-minute limit: checked as typed, then sent; empty means no limit', async () => {
    const { calls } = serve({
      'vendors.update': (input) => ({ vendor: { ...VENDORS[0], ...(input as object) } }),
    });
    const user = userEvent.setup();
    renderWith(<VendorsPage />);
    const input = await screen.findByLabelText<HTMLInputElement>('Requests per minute for OpenAI');
    expect(input.value).toBe('600');
    const save = screen.getByRole('button', { name: 'Save the rate limit of OpenAI' });
    // Nothing changed yet: nothing to save.
    expect((save as HTMLButtonElement).disabled).toBe(true);

    await user.clear(input);
    await user.type(input, '12.5');
    expect(
      screen.getByText(
        'Enter a whole number of requests per minute, or leave it empty for no limit',
      ),
    ).toBeTruthy();
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect((save as HTMLButtonElement).disabled).toBe(true);
    await user.clear(input);
    await user.type(input, '0');
    expect(
      screen.getByText('At least 1 request per minute; leave it empty for no limit'),
    ).toBeTruthy();
    await user.clear(input);
    await user.type(input, '2000000');
    expect(screen.getByText('At most 1,000,000 requests per minute')).toBeTruthy();
    await user.type(input, '{Enter}');
    expect(writes(calls)).toEqual([]);

    await user.clear(input);
    await user.type(input, '1200{Enter}');
    await waitFor(() => {
      expect(writes(calls)).toEqual([
        { path: 'vendors.update', input: { vendor: 'openai', rateLimitRpm: 1200 } },
      ]);
    });
    await user.clear(screen.getByLabelText('Requests per minute for Anthropic'));
    await user.type(screen.getByLabelText('Requests per minute for Anthropic'), '30');
    await user.clear(screen.getByLabelText('Requests per minute for Anthropic'));
    // Anthropic had none: clearing it again is no change.
    expect(
      screen.getByRole<HTMLButtonElement>('button', { name: 'Save the rate limit of Anthropic' })
        .disabled,
    ).toBe(true);
    await user.clear(input);
    await user.click(save);
    await waitFor(() => {
      expect(writes(calls).at(-1)).toEqual({
        path: 'vendors.update',
        input: { vendor: 'openai', rateLimitRpm: null },
      });
    });
  });

  it('shows a vendor’s price table per million tokens, with the models an override replaces', async () => {
    const { calls } = serve();
    const user = userEvent.setup();
    renderWith(<VendorsPage />);
    const open = await screen.findByRole('button', { name: 'Prices of OpenAI' });
    expect(open.getAttribute('aria-expanded')).toBe('false');
    await user.click(open);
    expect(open.getAttribute('aria-expanded')).toBe('true');
    const detail = screen.getByRole('region', { name: 'OpenAI prices' });
    // The keyboard follows to the detail, below all the vendors' rows.
    expect(document.activeElement).toBe(within(detail).getByRole('heading', { level: 2 }));
    const table = await within(detail).findByRole('table', { name: 'Price table' });
    expect(
      within(table).getByRole('columnheader', { name: 'Input ($ per 1M tokens)' }),
    ).toBeTruthy();
    const rows = within(table).getAllByRole('row').slice(1).map(cellsOf);
    expect(rows).toEqual([
      ['gpt-4o GPT-4o', '$2.50', '$10.00', '$1.25', '—', '—', 'Overridden (po_1)'],
      ['gpt-4o-mini', '$0.15', '$0.60', '$0.075', '—', '—', 'Deprecated'],
    ]);
    await user.type(within(detail).getByLabelText('Find a model'), 'MINI');
    expect(
      within(table)
        .getAllByRole('row')
        .slice(1)
        .map((r) => cellsOf(r)[0]),
    ).toEqual(['gpt-4o-mini']);
    expect(calls.filter((c) => c.path === 'vendors.prices')).toEqual([
      { path: 'vendors.prices', input: { vendor: 'openai' } },
    ]);
    await user.click(open);
    expect(screen.queryByRole('region', { name: 'OpenAI prices' })).toBeNull();
  });

  it('adds a price override: prices are checked as typed against the server’s bounds', async () => {
    const { calls } = serve({
      'vendors.createOverride': () => ({ override: { ...OVERRIDE, id: 'po_2' } }),
    });
    const user = userEvent.setup();
    renderWith(<VendorsPage />);
    await user.click(await screen.findByRole('button', { name: 'Prices of OpenAI' }));
    const form = await screen.findByRole('form', { name: 'Add a price override for OpenAI' });
    const input = within(form).getByLabelText('Input ($ per 1M tokens)');
    await user.type(input, 'cheap');
    expect(within(form).getByText('Enter a price in dollars, like 2.50 or 0.075')).toBeTruthy();
    await user.clear(input);
    await user.type(input, '10001');
    expect(within(form).getByText('At most $10,000')).toBeTruthy();
    await user.type(within(form).getByLabelText('Per request ($ per request)'), '1500');
    expect(within(form).getByText('At most $1,000')).toBeTruthy();
    const add = within(form).getByRole('button', { name: 'Add override' });
    expect((add as HTMLButtonElement).disabled).toBe(true);
    expect(writes(calls)).toEqual([]);

    await user.clear(input);
    await user.clear(within(form).getByLabelText('Per request ($ per request)'));
    await user.click(add);
    expect(within(form).getByText('Give a model id, or a pattern like gpt-4o*')).toBeTruthy();
    expect(within(form).getByRole('alert').textContent).toBe('Give at least one price');
    expect(writes(calls)).toEqual([]);

    await user.type(within(form).getByLabelText('Model'), ' o3-mini ');
    await user.type(input, '1.1');
    await user.type(within(form).getByLabelText('Output ($ per 1M tokens)'), '$4.40');
    await user.click(add);
    await waitFor(() => {
      expect(writes(calls)).toEqual([
        {
          path: 'vendors.createOverride',
          input: {
            vendor: 'openai',
            model: 'o3-mini',
            inputPerMtokUsd: 1.1,
            outputPerMtokUsd: 4.4,
          },
        },
      ]);
    });
    await waitFor(() => {
      expect(within(form).getByLabelText<HTMLInputElement>('Model').value).toBe('');
    });
  });

  it('lists the org’s overrides and deletes one once confirmed', async () => {
    const { calls } = serve({
      'vendors.deleteOverride': () => ({ id: 'po_1', deleted: true }),
    });
    const user = userEvent.setup();
    renderWith(<VendorsPage />);
    await user.click(await screen.findByRole('button', { name: 'Prices of OpenAI' }));
    const table = await screen.findByRole('table', { name: 'Price overrides' });
    const row = within(table).getAllByRole('row')[1];
    if (!row) throw new Error('no override row');
    expect(cellsOf(row).slice(0, 6)).toEqual(['gpt-4o*', '$2.00', '$8.00', '—', '—', '—']);
    expect(cellsOf(row)[6]).toContain('open-ended');
    const del = within(row).getByRole('button', { name: 'Delete the override for gpt-4o*' });
    confirm.mockReturnValueOnce(false);
    await user.click(del);
    expect(writes(calls)).toEqual([]);
    await user.click(del);
    await waitFor(() => {
      expect(writes(calls)).toEqual([
        { path: 'vendors.deleteOverride', input: { vendor: 'openai', id: 'po_1' } },
      ]);
    });
  });

  it('says when a vendor has no overrides, and shows a failed price table', async () => {
    serve({
      'vendors.listOverrides': () => ({ vendor: 'anthropic', overrides: [], count: 0 }),
      'vendors.prices': () => {
        throw new Refusal(500, 'price data unavailable');
      },
    });
    const user = userEvent.setup();
    renderWith(<VendorsPage />);
    await user.click(await screen.findByRole('button', { name: 'Prices of Anthropic' }));
    const detail = screen.getByRole('region', { name: 'Anthropic prices' });
    expect(
      await within(detail).findByText('No price overrides: the price table applies.'),
    ).toBeTruthy();
    const alert = await within(detail).findByRole('alert');
    expect(alert.textContent).toContain('price data unavailable');
  });

  it('a viewer sees limits and prices but no controls to change them', async () => {
    serve();
    const user = userEvent.setup();
    renderWith(<VendorsPage />, {
      status: 'signed-in',
      session: { ...ADMIN_SESSION, permissions: ['policies:read'] },
    });
    const openai = (await screen.findByText('OpenAI')).closest('tr');
    if (!openai) throw new Error('no row');
    expect(cellsOf(openai).slice(0, 3)).toEqual(['OpenAI', 'Enabled', '600']);
    expect(screen.queryByRole('textbox')).toBeNull();
    expect(screen.queryByRole('button', { name: /Enable|Disable|Save/ })).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Prices of OpenAI' }));
    expect(await screen.findByRole('table', { name: 'Price overrides' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: /Delete/ })).toBeNull();
    expect(screen.queryByRole('form')).toBeNull();
  });
});
