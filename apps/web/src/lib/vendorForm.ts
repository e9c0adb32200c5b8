/**
 * The vendor forms' fields as people type them. The bounds are the server's
 * (apps/server/src/schemas/vendors.ts), repeated here because the browser bundle must not import
 * the server; the server checks them again.
 */
export const MAX_RATE_LIMIT_RPM = 1_000_000;
export const MAX_PRICE_PER_MTOK_USD = 10_000;
export const MAX_PRICE_PER_REQUEST_USD = 1_000;

/** A per-minute limit: a whole number from 1 to 1,000,000, or empty for none (null). */
export function parseRpm(text: string): { rpm: number | null } | { error: string } {
  const t = text.trim().replace(/,/g, '');
  if (t === '') return { rpm: null };
  if (!/^\d{1,7}$/.test(t)) {
    return { error: 'Enter a whole number of requests per minute, or leave it empty for no limit' };
  }
  const rpm = Number(t);
  if (rpm < 1) return { error: 'At least 1 request per minute; leave it empty for no limit' };
  if (rpm > MAX_RATE_LIMIT_RPM) return { error: 'At most 1,000,000 requests per minute' };
  return { rpm };
}

/** A price in dollars ("2.5", "$0.075"): undefined for an empty field (not overridden). */
export function parsePrice(
  text: string,
  max: number,
): { usd: number | undefined } | { error: string } {
  const t = text.trim().replace(/^\$/, '').replace(/,/g, '');
  if (t === '') return { usd: undefined };
  if (!/^\d{1,6}(?:\.\d{1,6})?$/.test(t)) {
    return { error: 'Enter a price in dollars, like 2.50 or 0.075' };
  }
  const usd = Number(t);
  if (usd > max) return { error: `At most $${max.toLocaleString('en-US')}` };
  return { usd };
}

/** A price in dollars as lists print them: at least cents, up to six decimals ($0.075). */
export function formatUsd(usd: number | null | undefined): string {
  if (usd === null || usd === undefined) return '—';
  return `$${usd.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 6 })}`;
}
