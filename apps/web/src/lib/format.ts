import { formatCents, formatInteger } from '@reins/engine/schemas';

export { formatCents, formatInteger };

/** `2026-12-03T14:05:00.000Z` → `2026-12-03 14:05` in the browser's zone (for people). */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function formatDay(iso: string): string {
  return formatTime(iso).slice(0, 10);
}

export function formatPct(pct: number | null | undefined): string {
  return pct === null || pct === undefined ? '—' : `${pct.toFixed(pct < 10 ? 1 : 0)}%`;
}

/** Cents as dollars, or a dash where there is no figure (no budget, no limit). */
export const money = (c: number | null | undefined) =>
  c === null || c === undefined ? '—' : formatCents(c);
