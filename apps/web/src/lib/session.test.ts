import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  authHeaders,
  currentMode,
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
    const fetch = vi.fn(() => Promise.resolve(json(200, { success: true, session })));
    vi.stubGlobal('fetch', fetch);
    const describeKey = vi.fn();
    await signInWithApiKey('rk_live_abcdefghijklmnop1234', describeKey);
    expect(describeKey).not.toHaveBeenCalled();
    expect(currentMode()).toBe('cookie');
    expect(authHeaders()).toEqual({ 'x-reins-csrf': 'tok-123' });
  });

  it('falls back to an in-memory bearer key only when the server has no /api/auth (404)', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(() => Promise.resolve(json(404, { success: false, code: 'NOT_FOUND' }))),
    );
    const described = await signInWithApiKey('rk_live_abcdefghijklmnop1234', () =>
      Promise.resolve({ ...session, csrfToken: '' }),
    );
    expect(described.orgName).toBe('Acme');
    expect(currentMode()).toBe('bearer');
    expect(authHeaders()).toEqual({ authorization: 'Bearer rk_live_abcdefghijklmnop1234' });
    expect(localStorage.length).toBe(0);
    expect(sessionStorage.length).toBe(0);
  });

  it('forgets the bearer key when the server refuses it', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(() => Promise.resolve(json(404, {}))),
    );
    await expect(
      signInWithApiKey('rk_live_abcdefghijklmnop1234', () => Promise.reject(new Error('401'))),
    ).rejects.toThrow('401');
    expect(authHeaders()).toEqual({});
  });

  it('does not fall back on a 401: wrong credentials stay wrong', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(() => Promise.resolve(json(401, { code: 'UNAUTHORIZED', message: 'no' }))),
    );
    const describeKey = vi.fn();
    await expect(
      signInWithApiKey('rk_live_abcdefghijklmnop1234', describeKey),
    ).rejects.toMatchObject({
      status: 401,
    });
    expect(describeKey).not.toHaveBeenCalled();
  });

  it('reads the session probe: signed in, signed out, or no auth on this server', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(() => Promise.resolve(json(200, { success: true, session }))),
    );
    expect(await probeSession()).toEqual({ kind: 'signed-in', session });
    vi.stubGlobal(
      'fetch',
      vi.fn(() => Promise.resolve(json(401, {}))),
    );
    expect(await probeSession()).toEqual({ kind: 'signed-out', authAvailable: true });
    vi.stubGlobal(
      'fetch',
      vi.fn(() => Promise.resolve(json(404, {}))),
    );
    expect(await probeSession()).toEqual({ kind: 'signed-out', authAvailable: false });
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
