import { screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ADMIN_SESSION, renderWith } from '../test/render.js';
import { useAuth } from './auth.js';

function Status() {
  const { state } = useAuth();
  return (
    <p>
      {state.status}
      {state.status === 'signed-in' ? ` until ${state.session.expiresAt ?? 'never'}` : ''}
    </p>
  );
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the session’s end', () => {
  it('asks the server again when it comes: a used session goes on, an ended one signs out', async () => {
    const later = new Date(Date.now() + 200).toISOString();
    const fetch = vi.fn(() =>
      Promise.resolve(
        json(200, { success: true, session: { ...ADMIN_SESSION, expiresAt: later } }),
      ),
    );
    vi.stubGlobal('fetch', fetch);
    renderWith(<Status />, {
      status: 'signed-in',
      session: { ...ADMIN_SESSION, expiresAt: new Date(Date.now() + 50).toISOString() },
    });
    expect(await screen.findByText(`signed-in until ${later}`, {}, { timeout: 3000 })).toBeTruthy();
    expect(fetch).toHaveBeenCalledWith('/api/auth/session', expect.anything());
    fetch.mockImplementation(() => Promise.resolve(json(401, { code: 'UNAUTHORIZED' })));
    expect(await screen.findByText('signed-out', {}, { timeout: 3000 })).toBeTruthy();
  });
});
