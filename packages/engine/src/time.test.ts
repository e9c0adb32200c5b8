import { describe, expect, it } from 'vitest';
import { fromLocal, windowBounds } from './time.js';

const at = (iso: string) => Date.parse(iso);
const bounds = (period: Parameters<typeof windowBounds>[0], now: string, tz: string) => {
  const b = windowBounds(period, at(now), tz);
  return [b.startIso, b.endIso];
};

describe('calendar windows', () => {
  it('a UTC day runs from midnight to midnight', () => {
    expect(bounds('daily', '2026-05-05T08:14:22Z', 'UTC')).toEqual([
      '2026-05-05T00:00:00.000Z',
      '2026-05-06T00:00:00.000Z',
    ]);
  });

  it('a New York day in which clocks spring forward lasts 23 hours', () => {
    const [start, end] = bounds('daily', '2026-03-08T15:00:00Z', 'America/New_York');
    expect([start, end]).toEqual(['2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z']);
    expect(Date.parse(String(end)) - Date.parse(String(start))).toBe(23 * 3600_000);
  });

  it('a New York day in which clocks fall back lasts 25 hours', () => {
    const [start, end] = bounds('daily', '2026-11-01T12:00:00Z', 'America/New_York');
    expect([start, end]).toEqual(['2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z']);
  });

  it('the repeated hour of a fall-back night is two hourly windows', () => {
    expect(bounds('hourly', '2026-11-01T05:30:00Z', 'America/New_York')).toEqual([
      '2026-11-01T05:00:00.000Z',
      '2026-11-01T06:00:00.000Z',
    ]);
    expect(bounds('hourly', '2026-11-01T06:30:00Z', 'America/New_York')).toEqual([
      '2026-11-01T06:00:00.000Z',
      '2026-11-01T07:00:00.000Z',
    ]);
  });

  it('hourly windows in a half-hour zone start at half past in UTC', () => {
    expect(bounds('hourly', '2026-05-05T08:14:22Z', 'Asia/Kolkata')).toEqual([
      '2026-05-05T07:30:00.000Z',
      '2026-05-05T08:30:00.000Z',
    ]);
  });

  it('an ISO week starts on Monday and can span the new year (week 53 of 2026)', () => {
    expect(bounds('weekly', '2027-01-01T12:00:00Z', 'UTC')).toEqual([
      '2026-12-28T00:00:00.000Z',
      '2027-01-04T00:00:00.000Z',
    ]);
    expect(bounds('weekly', '2026-05-10T23:59:59Z', 'UTC')).toEqual([
      '2026-05-04T00:00:00.000Z',
      '2026-05-11T00:00:00.000Z',
    ]);
  });

  it('months end on Feb 28 in 2027 and Feb 29 in 2028', () => {
    expect(bounds('monthly', '2027-02-28T23:59:59Z', 'UTC')).toEqual([
      '2027-02-01T00:00:00.000Z',
      '2027-03-01T00:00:00.000Z',
    ]);
    expect(bounds('monthly', '2028-02-29T12:00:00Z', 'UTC')).toEqual([
      '2028-02-01T00:00:00.000Z',
      '2028-03-01T00:00:00.000Z',
    ]);
  });

  it('Dec 31 and Jan 1 are different days, weeks... and months', () => {
    expect(bounds('daily', '2026-12-31T23:59:59.999Z', 'UTC')[1]).toBe('2027-01-01T00:00:00.000Z');
    expect(bounds('daily', '2027-01-01T00:00:00Z', 'UTC')[0]).toBe('2027-01-01T00:00:00.000Z');
    expect(bounds('monthly', '2026-12-31T23:00:00Z', 'UTC')).toEqual([
      '2026-12-01T00:00:00.000Z',
      '2027-01-01T00:00:00.000Z',
    ]);
  });

  it('a month in Berlin starts at local midnight, which is 23:00 or 22:00 UTC', () => {
    expect(bounds('monthly', '2026-03-15T12:00:00Z', 'Europe/Berlin')).toEqual([
      '2026-02-28T23:00:00.000Z',
      '2026-03-31T22:00:00.000Z',
    ]);
  });

  it('a local midnight that does not exist starts the day when the clocks jump', () => {
    // Santiago springs forward at 00:00 → 01:00 (2026-09-06).
    const start = fromLocal('America/Santiago', Date.UTC(2026, 8, 6));
    expect(new Date(start).toISOString()).toBe('2026-09-06T04:00:00.000Z');
  });
});
