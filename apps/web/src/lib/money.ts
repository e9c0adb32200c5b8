/**
 * Dollars as people type them ("12", "12.5", "1,200.00") → integer cents, exactly (no float
 * arithmetic): null for an empty field, an error message for anything else.
 */
export function parseDollars(text: string): { cents: number | null } | { error: string } {
  const t = text.trim().replace(/^\$/, '').replace(/,/g, '');
  if (t === '') return { cents: null };
  const m = /^(\d{1,12})(?:\.(\d{1,2}))?$/.exec(t);
  if (!m) return { error: 'Enter an amount in dollars, like 250 or 99.50' };
  const cents = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  return { cents };
}

/** Cents → the text a dollars field starts with ("" for none). */
export function centsToField(cents: number | null): string {
  if (cents === null) return '';
  const whole = Math.trunc(cents / 100);
  const rest = cents % 100;
  return rest === 0 ? String(whole) : `${whole}.${String(rest).padStart(2, '0')}`;
}
