import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderWith } from '../test/render.js';
import { SignInPage } from './SignIn.js';

const signedOut = { status: 'signed-out' } as const;

function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the sign-in form', () => {
  it('validates the email as you type, and clears the message once it is valid', async () => {
    const user = userEvent.setup();
    renderWith(<SignInPage />, signedOut);
    const email = screen.getByLabelText('Email');
    await user.type(email, 'admin');
    expect(screen.getByText('Enter an email address like you@example.com')).toBeTruthy();
    expect(email.getAttribute('aria-invalid')).toBe('true');
    await user.type(email, '@example.com');
    expect(screen.queryByText('Enter an email address like you@example.com')).toBeNull();
    expect(email.getAttribute('aria-invalid')).toBeNull();
  });

  it('does not call the server with an empty form, and names each missing field', async () => {
    const fetch = vi.fn();
    vi.stubGlobal('fetch', fetch);
    const user = userEvent.setup();
    renderWith(<SignInPage />, signedOut);
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(screen.getByText('Enter an email address like you@example.com')).toBeTruthy();
    expect(screen.getByText('Enter your password')).toBeTruthy();
    expect(fetch).not.toHaveBeenCalled();
  });

  it('posts the credentials per the contract and shows a 401 without saying which was wrong', async () => {
    const fetch = vi.fn(() =>
      Promise.resolve(json(401, { success: false, code: 'UNAUTHORIZED', message: 'nope' })),
    );
    vi.stubGlobal('fetch', fetch);
    const user = userEvent.setup();
    renderWith(<SignInPage />, signedOut);
    await user.type(screen.getByLabelText('Email'), 'admin@localhost');
    await user.type(screen.getByLabelText('Password'), 'wrong password');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert')).textContent).toBe(
      'Those credentials were not accepted.',
    );
    expect(fetch).toHaveBeenCalledWith(
      '/api/auth/login',
      expect.objectContaining({
        method: 'POST',
        credentials: 'same-origin',
        body: JSON.stringify({ email: 'admin@localhost', password: 'wrong password' }),
      }),
    );
  });

  it('says when to try again after too many attempts', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(() =>
        Promise.resolve(
          json(
            429,
            { success: false, code: 'RATE_LIMITED', message: 'slow down' },
            { 'retry-after': '30' },
          ),
        ),
      ),
    );
    const user = userEvent.setup();
    renderWith(<SignInPage />, signedOut);
    await user.type(screen.getByLabelText('Email'), 'a@b.co');
    await user.type(screen.getByLabelText('Password'), 'x');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert')).textContent).toBe(
      'Too many attempts. Try again in 30 seconds.',
    );
  });

  it('signs in with an API key through /api/auth/login, checking the key’s shape first', async () => {
    const fetch = vi.fn(() =>
      Promise.resolve(json(401, { success: false, code: 'UNAUTHORIZED', message: 'no' })),
    );
    vi.stubGlobal('fetch', fetch);
    const user = userEvent.setup();
    renderWith(<SignInPage />, signedOut);
    await user.click(screen.getByRole('button', { name: 'Sign in with an API key' }));
    expect(screen.queryByLabelText('Email')).toBeNull();
    await user.type(screen.getByLabelText('API key'), 'not-a-key');
    expect(screen.getByText(/An API key looks like rk_live_/)).toBeTruthy();
    await user.clear(screen.getByLabelText('API key'));
    await user.type(screen.getByLabelText('API key'), 'rk_live_abcdefghijklmnop1234');
    await waitFor(() => {
      expect(screen.queryByText(/An API key looks like/)).toBeNull();
    });
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert')).textContent).toBe(
      'Those credentials were not accepted.',
    );
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(fetch).toHaveBeenCalledWith(
      '/api/auth/login',
      expect.objectContaining({
        method: 'POST',
        body: JSON.stringify({ apiKey: 'rk_live_abcdefghijklmnop1234' }),
      }),
    );
  });
});
