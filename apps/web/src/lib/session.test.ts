import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  authHeaders,
  forgetCredentials,
  probeSession,
  signInWithApiKey,
  signOut,
  type Session,
} from './session.js';

const session: Session = {
  user: null,
  keyId: 'key_1',
  orgId: 'org_1',
  orgName: 'Acme',
  permissions: ['transactions:read'],
  csrfToken: 'tok-123',
  expiresAt: '2030-01-01T00:00:00.000Z',
};
const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

afterEach(() => {
  vi.unstubAllGlobals();
  forgetCredentials();
});

describe('the sign-in contract', () => {
  it('uses the cookie session and sends its CSRF token, never the key, after an API-key login', async () => {
    const fetch = vi.fn((_url: string, _init?: RequestInit) =>
      Promise.resolve(json(200, { success: true, session })),
    );
    vi.stubGlobal('fetch', fetch);
    await signInWithApiKey('rk_live_abcdefghijklmnop1234');
    expect(fetch.mock.calls[0]?.[0]).toBe('/api/auth/login');
    expect(authHeaders()).toEqual({ 'x-reins-csrf': 'tok-123' });
    expect(JSON.stringify(authHeaders())).not.toContain('rk_live_');
    expect(localStorage.length).toBe(0);
    expect(sessionStorage.length).toBe(0);
  });

  it('keeps nothing when the server refuses the key, whatever the status', async () => {
    for (const status of [401, 404]) {
      vi.stubGlobal(
        'fetch',
        vi.fn(() => Promise.resolve(json(status, { code: 'X', message: 'no' }))),
      );
      await expect(signInWithApiKey('rk_live_abcdefghijklmnop1234')).rejects.toMatchObject({
        status,
      });
      expect(authHeaders()).toEqual({});
    }
  });

  it('refuses an answer without a session', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(() => Promise.resolve(json(200, { success: true }))),
    );
    await expect(signInWithApiKey('rk_live_abcdefghijklmnop1234')).rejects.toMatchObject({
      code: 'BAD_RESPONSE',
    });
    expect(authHeaders()).toEqual({});
  });

  it('reads the session probe: signed in, signed out, or a failure', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(() => Promise.resolve(json(200, { success: true, session }))),
    );
    expect(await probeSession()).toEqual({ kind: 'signed-in', session });
    vi.stubGlobal(
      'fetch',
      vi.fn(() => Promise.resolve(json(401, {}))),
    );
    expect(await probeSession()).toEqual({ kind: 'signed-out' });
    vi.stubGlobal(
      'fetch',
      vi.fn(() => Promise.resolve(json(500, {}))),
    );
    await expect(probeSession()).rejects.toMatchObject({ status: 500 });
  });

  it('signs out with the CSRF header and forgets the token', async () => {
    const fetch = vi.fn((_url: string, _init?: RequestInit) =>
      Promise.resolve(json(200, { success: true, session })),
    );
    vi.stubGlobal('fetch', fetch);
    await probeSession();
    fetch.mockImplementation(() => Promise.resolve(new Response(null, { status: 204 })));
    await signOut();
    const [url, init] = fetch.mock.calls.at(-1) ?? [];
    expect(url).toBe('/api/auth/logout');
    expect(new Headers(init?.headers).get('x-reins-csrf')).toBe('tok-123');
    expect(authHeaders()).toEqual({});
  });
});
