/**
 * Calendar windows in an IANA time zone, without a clock: every function takes the instant.
 * Offsets come from the JavaScript runtime's time-zone data (Intl), read as numbers only, and are
 * memoized per minute (all modern UTC offsets are whole minutes).
 */
import type { Period } from './types.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const MEMO_LIMIT = 4096;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    // 'en-US' with numeric fields only: the parts are digits, whatever the host's locale.
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(timeZone: string): boolean {
  if (timeZone === 'UTC') return true;
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

export function isUtc(timeZone: string): boolean {
  return (
    timeZone === 'UTC' || timeZone === 'Etc/UTC' || timeZone === 'Etc/GMT' || timeZone === 'GMT'
  );
}

const offsetMemo = new Map<string, number>();

function remember<V>(memo: Map<string, V>, key: string, value: V): V {
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(key, value);
  return value;
}

/** The zone's UTC offset in milliseconds at an instant (local = utc + offset). */
export function offsetAt(timeZone: string, utcMs: number): number {
  if (isUtc(timeZone)) return 0;
  const minute = Math.floor(utcMs / MINUTE);
  const key = `${timeZone}|${minute}`;
  const hit = offsetMemo.get(key);
  if (hit !== undefined) return hit;
  const at = minute * MINUTE;
  const parts = formatter(timeZone).formatToParts(new Date(at));
  const field = (type: Intl.DateTimeFormatPartTypes): number => {
    for (const p of parts) if (p.type === type) return Number(p.value);
    return 0;
  };
  const local = Date.UTC(
    field('year'),
    field('month') - 1,
    field('day'),
    field('hour'),
    field('minute'),
    field('second'),
  );
  return remember(offsetMemo, key, local - at);
}

/** Local wall-clock milliseconds (as if UTC) for an instant. */
export function toLocal(timeZone: string, utcMs: number): number {
  return utcMs + offsetAt(timeZone, utcMs);
}

/**
 * The instant of a local wall-clock time. A time that occurs twice (clocks turned back) is the
 * earlier instant; a time that does not exist (clocks turned forward) moves forward by the gap,
 * so a day that has no midnight starts when the clocks jump.
 */
export function fromLocal(timeZone: string, localMs: number): number {
  if (isUtc(timeZone)) return localMs;
  const before = offsetAt(timeZone, localMs - 18 * HOUR);
  const after = offsetAt(timeZone, localMs + 18 * HOUR);
  let best: number | null = null;
  for (const o of before === after ? [before] : [before, after]) {
    const t = localMs - o;
    if (offsetAt(timeZone, t) === o && (best === null || t < best)) best = t;
  }
  return best ?? localMs - Math.min(before, after);
}

export interface Bounds {
  start: number;
  end: number;
  startIso: string;
  endIso: string;
}

const boundsMemo = new Map<string, Bounds>();

/** The calendar window of `period` that contains `nowMs`, in the zone. */
export function windowBounds(period: Period, nowMs: number, timeZone: string): Bounds {
  const key = `${timeZone}|${period}|${Math.floor(nowMs / MINUTE)}`;
  const hit = boundsMemo.get(key);
  if (hit) return hit;
  const { start, end } = computeBounds(period, nowMs, timeZone);
  return remember(boundsMemo, key, { start, end, startIso: iso(start), endIso: iso(end) });
}

function computeBounds(
  period: Period,
  nowMs: number,
  timeZone: string,
): { start: number; end: number } {
  const local = toLocal(timeZone, nowMs);
  if (period === 'hourly') {
    // The clock hour as an interval of instants: a repeated hour is two windows.
    const start = nowMs - (((local % HOUR) + HOUR) % HOUR);
    return { start, end: start + HOUR };
  }
  const d = new Date(local);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const day = d.getUTCDate();
  let from: number;
  let to: number;
  if (period === 'daily') {
    from = Date.UTC(y, m, day);
    to = Date.UTC(y, m, day + 1);
  } else if (period === 'weekly') {
    const sinceMonday = (d.getUTCDay() + 6) % 7;
    from = Date.UTC(y, m, day - sinceMonday);
    to = Date.UTC(y, m, day - sinceMonday + 7);
  } else {
    from = Date.UTC(y, m, 1);
    to = Date.UTC(y, m + 1, 1);
  }
  return { start: fromLocal(timeZone, from), end: fromLocal(timeZone, to) };
}

/** Day of week (0 = Sunday) and minutes since local midnight. */
export function localClock(
  timeZone: string,
  nowMs: number,
): { dayOfWeek: number; minutes: number } {
  const local = toLocal(timeZone, nowMs);
  const d = new Date(local);
  return { dayOfWeek: d.getUTCDay(), minutes: d.getUTCHours() * 60 + d.getUTCMinutes() };
}

export function parseInstant(value: string | number): number {
  return typeof value === 'number' ? value : Date.parse(value);
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export { DAY, HOUR, MINUTE };
