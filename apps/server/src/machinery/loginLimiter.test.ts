import { describe, expect, it } from 'vitest';
import { RateLimited } from '../errors.js';
import { LoginLimiter } from './loginLimiter.js';

describe('LoginLimiter', () => {
  it('refuses after N failures per email, gives one back per window/N, forgets on success', () => {
    let now = 0;
    const l = new LoginLimiter({ perEmail: 2, perClient: 100, windowMs: 60_000 }, () => now);
    l.check('ip', 'A@x');
    l.failed('ip', 'a@x');
    l.failed('ip2', 'a@X');
    expect(() => {
      l.check('ip3', 'a@x');
    }).toThrow(RateLimited);
    now += 30_000;
    expect(() => {
      l.check('ip3', 'a@x');
    }).not.toThrow();
    l.failed('ip', 'a@x');
    l.succeeded('a@x');
    l.failed('ip', 'a@x');
    expect(() => {
      l.check('ip', 'a@x');
    }).not.toThrow();
  });

  it('limits a client address whatever the email, and 0 disables', () => {
    const l = new LoginLimiter({ perEmail: 0, perClient: 1, windowMs: 1000 }, () => 0);
    l.failed('ip', 'a@x');
    expect(() => {
      l.check('ip', 'b@x');
    }).toThrow(RateLimited);
    expect(() => {
      l.check('other', 'a@x');
    }).not.toThrow();
  });
});
