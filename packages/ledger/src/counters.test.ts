import { describe, expect, it } from 'vitest';
import { expiredHoldsSql, windowsSpan } from './counters.js';

describe('the span of the windows a batch reads', () => {
  it('runs from the earliest start to the latest end, whatever the order', () => {
    expect(
      windowsSpan([
        { start: '2031-07-01T00:00:00.000Z', end: '2031-07-02T00:00:00.000Z' },
        { start: '2031-06-30T00:00:00.000Z', end: '2031-07-07T00:00:00.000Z' },
        { start: '2031-07-01T00:05:00.000Z', end: '2031-07-01T00:06:00.000Z' },
      ]),
    ).toEqual({ from: '2031-06-30T00:00:00.000Z', to: '2031-07-07T00:00:00.000Z' });
  });

  it('is null without windows, and the holds are then read from every month', () => {
    expect(windowsSpan([])).toBeNull();
    expect(expiredHoldsSql('org_a', '2031-07-01T00:00:00.000Z', null)).not.toContain('created_at');
  });

  it('bounds the expired holds by created_at, the partition key', () => {
    const sql = expiredHoldsSql('org_a', '2031-07-01T00:05:00.000Z', {
      from: '2031-06-30T00:00:00.000Z',
      to: '2031-07-07T00:00:00.000Z',
    });
    expect(sql).toMatch(/t\.created_at >= \$j\$2031-06-30T00:00:00\.000Z\$j\$::timestamptz/);
    expect(sql).toMatch(/t\.created_at < \$j\$2031-07-07T00:00:00\.000Z\$j\$::timestamptz/);
  });
});
