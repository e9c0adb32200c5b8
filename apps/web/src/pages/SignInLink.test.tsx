import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { renderWith } from '../test/render.js';
import { SignInLinkPage, tokenFromHash } from './SignInLink.js';

const signedOut = { status: 'signed-out' } as const;

beforeEach(() => {
  window.history.replaceState(null, '', '/sign-in/link#token=tok_abc123');
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the one-time sign-in link', () => {
  it('reads the token from the fragment', () => {
    expect(tokenFromHash('#token=tok_abc123')).toBe('tok_abc123');
    expect(tokenFromHash('')).toBeNull();
  });

  it('wants 12 characters and the same password twice before posting the token', async () => {
    const fetch = vi.fn();
    vi.stubGlobal('fetch', fetch);
    const user = userEvent.setup();
    renderWith(<SignInLinkPage onDone={() => {}} />, signedOut);
    await user.type(screen.getByLabelText('New password'), 'short');
    expect(screen.getByText('Use at least 12 characters')).toBeTruthy();
    await user.type(screen.getByLabelText('New password'), ' but longer now');
    expect(screen.queryByText('Use at least 12 characters')).toBeNull();
    await user.type(screen.getByLabelText('Repeat the password'), 'something else');
    expect(screen.getByText('The passwords differ')).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Set password and sign in' }));
    expect(fetch).not.toHaveBeenCalled();
  });

  it('posts the token with the password, and says when the link is spent', async () => {
    const fetch = vi.fn(() =>
      Promise.resolve(
        new Response(JSON.stringify({ success: false, code: 'UNAUTHORIZED', message: 'x' }), {
          status: 401,
        }),
      ),
    );
    vi.stubGlobal('fetch', fetch);
    const user = userEvent.setup();
    renderWith(<SignInLinkPage onDone={() => {}} />, signedOut);
    await user.type(screen.getByLabelText('New password'), 'correct horse battery');
    await user.type(screen.getByLabelText('Repeat the password'), 'correct horse battery');
    await user.click(screen.getByRole('button', { name: 'Set password and sign in' }));
    expect((await screen.findByRole('alert')).textContent).toBe(
      'This link has expired or was already used. Ask an admin for a new one.',
    );
    expect(fetch).toHaveBeenCalledWith(
      '/api/auth/link',
      expect.objectContaining({
        method: 'POST',
        body: JSON.stringify({ token: 'tok_abc123', password: 'correct horse battery' }),
      }),
    );
  });
});
