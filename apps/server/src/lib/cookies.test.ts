import { describe, expect, it } from 'vitest';
import { clearSessionCookie, parseCookies, sessionCookie } from './cookies.js';

describe('session cookie', () => {
  it('is HttpOnly, SameSite=Lax and Path=/, Secure only when asked', () => {
    expect(sessionCookie('tok', { secure: false, maxAgeSeconds: 60 })).toBe(
      'reins_session=tok; Path=/; HttpOnly; SameSite=Lax; Max-Age=60',
    );
    expect(sessionCookie('tok', { secure: true, maxAgeSeconds: 60.9 })).toBe(
      'reins_session=tok; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=60',
    );
    expect(clearSessionCookie({ secure: true })).toBe(
      'reins_session=; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=0',
    );
  });

  it('parses a Cookie header: spaces, quotes, values with =, the first of a repeated name', () => {
    const c = parseCookies(' a=1; reins_session="x=y" ;b ; a=2;=z');
    expect(c.get('a')).toBe('1');
    expect(c.get('reins_session')).toBe('x=y');
    expect(c.has('b')).toBe(false);
    expect(parseCookies(undefined).size).toBe(0);
  });
});
