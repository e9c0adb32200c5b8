import { describe, expect, it } from 'vitest';
import { newId, randomBase62 } from './ids.js';

describe('ids', () => {
  it('are the prefix and 16 base62 characters, never repeated across pool refills', () => {
    // 20,000 ids draw well over one 16 KB pool of random bytes.
    const ids = Array.from({ length: 20_000 }, () => newId('txn'));
    for (const id of ids.slice(0, 100)) expect(id).toMatch(/^txn_[0-9A-Za-z]{16}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('uses every base62 character about equally (no modulo bias)', () => {
    const counts = new Map<string, number>();
    const sample = randomBase62(62 * 2000);
    for (const c of sample) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(62);
    // Expected 2000 each; 6 standard deviations (~270) either way would be a broken generator.
    for (const n of counts.values()) expect(Math.abs(n - 2000)).toBeLessThan(300);
  });
});
