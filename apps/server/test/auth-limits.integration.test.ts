/** Sign-in attempts are limited per email address and per client address (429, Retry-After). */
import { describe, expect, it } from 'vitest';
import { useTestServer } from './harness.js';
import type { ErrorBody } from './helpers.js';

const t = useTestServer('auth_limits', {
  REINS_TRUST_PROXY: 'on',
  REINS_LOGIN_FAILURES_PER_EMAIL: 3,
  REINS_LOGIN_FAILURES_PER_IP: 5,
  REINS_LOGIN_WINDOW_MS: 15 * 60_000,
});

const PASSWORD = 'correct horse battery staple';

function login(email: string, password: string, ip: string) {
  return t().call<ErrorBody & { retryAfter?: number }>(
    'POST',
    '/api/auth/login',
    { email, password },
    { key: null, headers: { 'x-forwarded-for': ip } },
  );
}

describe('login rate limiting', () => {
  it('refuses an email with 429 after 3 failures, even with the right password, from any address', async () => {
    const token = t().server.bootstrapAdmin?.signInPath.split('#token=')[1] ?? '';
    const set = await t().call(
      'POST',
      '/api/auth/link',
      { token, password: PASSWORD },
      { key: null },
    );
    expect(set.status).toBe(200);
    for (let i = 0; i < 3; i++) {
      expect((await login('admin@localhost', 'wrong password', `10.1.0.${String(i)}`)).status).toBe(
        401,
      );
    }
    const limited = await login('ADMIN@localhost', PASSWORD, '10.1.1.1');
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('RATE_LIMITED');
    const retryAfter = Number(limited.headers.get('retry-after'));
    // One failure back takes a third of the 15 min window.
    expect(retryAfter).toBeGreaterThan(200);
    expect(retryAfter).toBeLessThanOrEqual(300);
    expect(limited.body.retryAfter).toBe(retryAfter);
  });

  it('refuses a client address with 429 after 5 failures, whatever the email', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await login(`nobody${String(i)}@example.com`, 'x', '10.2.0.1')).status).toBe(401);
    }
    expect((await login('someone@example.com', 'x', '10.2.0.1')).status).toBe(429);
    // Another address is not affected.
    expect((await login('someone@example.com', 'x', '10.2.0.2')).status).toBe(401);
  });

  it('limits redeeming sign-in links per client address too', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await t().call(
        'POST',
        '/api/auth/link',
        { token: 'A'.repeat(43), password: 'a long enough password' },
        { key: null, headers: { 'x-forwarded-for': '10.3.0.1' } },
      );
      expect(res.status).toBe(401);
    }
    const res = await t().call(
      'POST',
      '/api/auth/link',
      { token: 'A'.repeat(43), password: 'a long enough password' },
      { key: null, headers: { 'x-forwarded-for': '10.3.0.1' } },
    );
    expect(res.status).toBe(429);
  });
});
