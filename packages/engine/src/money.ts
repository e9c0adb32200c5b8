/**
 * Integer money. Rules hold cents; transactions and window totals hold microcents so that a
 * sub-cent call still costs something. No floats in comparisons, no locale in formatting.
 */

export const MICROS_PER_CENT = 1_000_000;
export const MICROS_PER_DOLLAR = 100 * MICROS_PER_CENT;

export function centsToMicros(cents: number): number {
  return cents * MICROS_PER_CENT;
}

/** Whole cents, rounded up so that "current" never reads as within a limit it crossed. */
export function microsToCentsCeil(micros: number): number {
  return Math.ceil(micros / MICROS_PER_CENT);
}

/**
 * Compares `a * pa` with `b * pb` for non-negative integers, exactly: in doubles while both
 * products are below 2^53, in BigInt past that (money totals of about $900,000 in microcents).
 */
export function compareProducts(a: number, pa: number, b: number, pb: number): -1 | 0 | 1 {
  const l = a * pa;
  const r = b * pb;
  if (l <= Number.MAX_SAFE_INTEGER && r <= Number.MAX_SAFE_INTEGER) {
    return l > r ? 1 : l < r ? -1 : 0;
  }
  const lb = BigInt(a) * BigInt(pa);
  const rb = BigInt(b) * BigInt(pb);
  return lb > rb ? 1 : lb < rb ? -1 : 0;
}

function groupThousands(digits: string): string {
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ',';
    out += digits.charAt(i);
  }
  return out;
}

/** `1234` → `"1,234"`. */
export function formatInteger(n: number): string {
  const sign = n < 0 ? '-' : '';
  return sign + groupThousands(String(Math.abs(Math.trunc(n))));
}

/**
 * Microcents as dollars: `$23.40`, `$1,234.56`; amounts that are not whole cents keep their
 * digits (`$0.000075`).
 */
export function formatMicros(micros: number): string {
  const sign = micros < 0 ? '-' : '';
  const abs = BigInt(Math.abs(Math.trunc(micros)));
  const dollars = abs / BigInt(MICROS_PER_DOLLAR);
  const rest = abs % BigInt(MICROS_PER_DOLLAR);
  let frac = rest.toString().padStart(8, '0');
  frac = frac.replace(/0+$/, '');
  if (frac.length < 2) frac = frac.padEnd(2, '0');
  return `${sign}$${groupThousands(dollars.toString())}.${frac}`;
}

export function formatCents(cents: number): string {
  return formatMicros(cents * MICROS_PER_CENT);
}
