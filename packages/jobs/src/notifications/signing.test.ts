import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook } from './signing.js';

const SECRET = 'whsec_0123456789abcdef';
const BODY = '{"id":"ntf_1","type":"policy.alert"}';
const TS = 1_778_000_000;

describe('webhook signatures', () => {
  it('signs v1= HMAC-SHA256 hex over "timestamp.body" with the channel secret', () => {
    const hex = createHmac('sha256', SECRET)
      .update(`${String(TS)}.${BODY}`)
      .digest('hex');
    expect(signWebhook(SECRET, TS, BODY)).toBe(`v1=${hex}`);
  });

  it('verifies a signature made with the same secret, timestamp and body', () => {
    const signature = signWebhook(SECRET, TS, BODY);
    expect(verifyWebhook(SECRET, { timestamp: String(TS), signature }, BODY, TS + 10)).toEqual({
      ok: true,
    });
  });

  it('refuses a changed body, another secret or a moved timestamp', () => {
    const signature = signWebhook(SECRET, TS, BODY);
    const headers = { timestamp: String(TS), signature };
    expect(verifyWebhook(SECRET, headers, `${BODY} `, TS)).toEqual({
      ok: false,
      reason: 'signature mismatch',
    });
    expect(verifyWebhook('another_secret_0000', headers, BODY, TS).ok).toBe(false);
    expect(verifyWebhook(SECRET, { timestamp: String(TS + 1), signature }, BODY, TS).ok).toBe(
      false,
    );
  });

  it('refuses a timestamp older than the 5-minute replay window', () => {
    const signature = signWebhook(SECRET, TS, BODY);
    const headers = { timestamp: String(TS), signature };
    expect(verifyWebhook(SECRET, headers, BODY, TS + 300).ok).toBe(true);
    expect(verifyWebhook(SECRET, headers, BODY, TS + 301)).toEqual({
      ok: false,
      reason: 'timestamp outside the replay window',
    });
  });

  it('accepts any one of several signatures (a receiver rotating secrets)', () => {
    const signature = `v1=${'0'.repeat(64)}, ${signWebhook(SECRET, TS, BODY)}`;
    expect(verifyWebhook(SECRET, { timestamp: String(TS), signature }, BODY, TS).ok).toBe(true);
  });
});
