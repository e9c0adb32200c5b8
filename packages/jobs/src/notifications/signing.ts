/**
 * Webhook signatures: `X-Reins-Signature: v1=<hex>`, the HMAC-SHA256 of `${timestamp}.${body}`
 * with the channel's secret, `timestamp` being `X-Reins-Timestamp` (Unix seconds). The receiver
 * recomputes it over the raw body and refuses timestamps outside its replay window.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_VERSION = 'v1';

/** How far a receiver should accept a timestamp from its own clock, by default (seconds). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

export function signWebhook(secret: string, timestamp: number, body: string): string {
  const hex = createHmac('sha256', secret)
    .update(`${String(timestamp)}.${body}`)
    .digest('hex');
  return `${SIGNATURE_VERSION}=${hex}`;
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

/**
 * What a receiver does (and the docs show): a well-formed, fresh timestamp and a matching
 * signature, compared in constant time. `signature` may list several `v1=` values separated by
 * commas (a receiver rotating secrets tries each).
 */
export function verifyWebhook(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  body: string,
  nowSeconds: number,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): VerifyResult {
  const { timestamp, signature } = headers;
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'bad timestamp' };
  const ts = Number(timestamp);
  if (Math.abs(nowSeconds - ts) > toleranceSeconds) {
    return { ok: false, reason: 'timestamp outside the replay window' };
  }
  if (!signature) return { ok: false, reason: 'no signature' };
  const expected = Buffer.from(signWebhook(secret, ts, body));
  const match = signature
    .split(',')
    .map((s) => Buffer.from(s.trim()))
    .some((given) => given.length === expected.length && timingSafeEqual(given, expected));
  return match ? { ok: true } : { ok: false, reason: 'signature mismatch' };
}
