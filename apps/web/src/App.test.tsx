import { screen } from '@testing-library/react';
import { render } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from './App.js';
import { ADMIN_SESSION } from './test/render.js';

/** tRPC's batched answer: the same error for every procedure of the call. */
function trpcErrors(url: string, status: number, code: string) {
  const path = new URL(url, 'http://127.0.0.1').pathname.replace(/^\/trpc\//, '');
  const body = path.split(',').map(() => ({
    error: { json: { message: code, code: -32001, data: { code, httpStatus: status } } },
  }));
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the app', () => {
  it('goes back to sign-in, saying why, when a call is answered 401', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn((url: string) => Promise.resolve(trpcErrors(url, 401, 'UNAUTHORIZED'))),
    );
    render(<App initialAuth={{ status: 'signed-in', session: ADMIN_SESSION }} />);
    expect(screen.getByRole('heading', { name: 'Overview' })).toBeTruthy();
    expect(await screen.findByText('Your session has ended. Sign in again.')).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'Sign in to Reins' })).toBeTruthy();
  });

  it('shows only the pages the session may read', () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(() => new Promise(() => {})),
    );
    render(
      <App
        initialAuth={{
          status: 'signed-in',
          session: { ...ADMIN_SESSION, permissions: ['analytics:read', 'transactions:read'] },
        }}
      />,
    );
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect([...nav.querySelectorAll('a')].map((a) => a.textContent)).toEqual([
      'Overview',
      'Transactions',
      'Review',
    ]);
  });

  it('shows an error state with a retry when a page’s call fails', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn((url: string) => Promise.resolve(trpcErrors(url, 500, 'INTERNAL_SERVER_ERROR'))),
    );
    render(<App initialAuth={{ status: 'signed-in', session: ADMIN_SESSION }} />);
    const alerts = await screen.findAllByRole('alert', {}, { timeout: 5000 });
    expect(alerts[0]?.textContent).toContain('Something went wrong.');
    expect(screen.getAllByRole('button', { name: 'Try again' }).length).toBeGreaterThan(0);
  });
});
