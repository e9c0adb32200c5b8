import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { below, decodeCursor, encodeCursor, nextCursorOf } from './keyset.js';

const AT = '2026-05-05T08:14:22.123456Z';

function refusal(cursor: string): unknown {
  try {
    decodeCursor(cursor);
  } catch (err) {
    return err;
  }
  return null;
}

describe('keyset cursors', () => {
  it('gives back the position it was made from, microseconds included', () => {
    expect(decodeCursor(encodeCursor({ at: AT, id: 'txn_1' }))).toEqual({ at: AT, id: 'txn_1' });
  });

  it('refuses what it did not make, naming cursor', () => {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    for (const bad of [
      'not-a-cursor',
      b64(['2026-05-05', 'txn_1']),
      b64(['2026-05-05T08:14:22.123Z', 'txn_1']),
      b64([AT, '']),
      b64([AT, 'x'.repeat(101)]),
      b64([AT, 7]),
      b64({ at: AT, id: 'txn_1' }),
      b64([AT, 'txn_1', 'extra']),
    ]) {
      const err = refusal(bad);
      expect(err, bad).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).issues[0]?.path).toBe('cursor');
    }
  });

  it('names a next page only when one row more than asked came back', () => {
    const rows = [1, 2, 3].map((n) => ({ id: `r${String(n)}`, at: AT }));
    expect(nextCursorOf(rows, 3, (r) => r.at)).toBeNull();
    const next = nextCursorOf(rows, 2, (r) => r.at);
    expect(next && decodeCursor(next)).toEqual({ at: AT, id: 'r2' });
    expect(nextCursorOf([], 2, (r: { id: string }) => r.id)).toBeNull();
  });

  it('reads the page below a position as a row comparison with its parameters', () => {
    expect(below('occurred_at', 'id', { at: AT, id: 'txn_1' })).toEqual({
      sql: '(occurred_at, id) < (?::timestamptz, ?)',
      params: [AT, 'txn_1'],
    });
  });
});
