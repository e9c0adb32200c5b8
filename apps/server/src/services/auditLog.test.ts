import { setTimeout as sleep } from 'node:timers/promises';
import type { Sql } from '@reins/ledger';
import { describe, expect, it } from 'vitest';
import { auditCsvStream, csvField } from './auditLog.js';

describe('csvField', () => {
  it('leaves plain values alone', () => {
    expect(csvField('transaction.blocked')).toBe('transaction.blocked');
    expect(csvField('naïve 日本')).toBe('naïve 日本');
    expect(csvField(null)).toBe('');
  });

  it('quotes commas, quotes, CR and LF, doubling quotes (RFC 4180)', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('line1\nline2')).toBe('"line1\nline2"');
    expect(csvField('a\r\nb')).toBe('"a\r\nb"');
  });

  it('neutralizes spreadsheet formulas with a leading quote, inside quotes', () => {
    expect(csvField('=SUM(A1)')).toBe(`"'=SUM(A1)"`);
    expect(csvField('+1')).toBe(`"'+1"`);
    expect(csvField('-2')).toBe(`"'-2"`);
    expect(csvField('@cmd')).toBe(`"'@cmd"`);
    expect(csvField('\tx')).toBe(`"'\tx"`);
    expect(csvField('\rx')).toBe(`"'\rx"`);
    expect(csvField('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
  });
});

describe('auditCsvStream', () => {
  /** An endless log: every query answers a full chunk; counts the queries. */
  function endless(chunk: number) {
    const calls: unknown[][] = [];
    let n = 0;
    const sql = ((_query: string, params: readonly unknown[] = []) => {
      calls.push([...params]);
      const rows = Array.from({ length: chunk }, () => {
        n += 1;
        return {
          id: `evt_${n}`,
          event_type: 'alert.read',
          shown_at: '2026-01-01T00:00:00.000Z',
          actor: 'key:k',
          entity_type: 'alert',
          entity_id: 'a',
          vendor: null,
          action: null,
          key_at: '2026-01-01T00:00:00.000000Z',
        };
      });
      return Promise.resolve(rows);
    }) as Sql;
    return { sql, calls };
  }

  it('queries only as the reader drains it (backpressure)', async () => {
    const { sql, calls } = endless(2000);
    const stream = auditCsvStream(sql, { sql: 'org_id = ?', params: ['org'] }, 2000);
    await sleep(50);
    expect(calls.length).toBe(0); // nothing until someone reads
    stream.once('data', () => undefined);
    stream.pause();
    await sleep(50);
    const after = calls.length;
    expect(after).toBeLessThanOrEqual(2);
    await sleep(50);
    expect(calls.length).toBe(after);
    stream.destroy();
  });

  it('runs no further query once destroyed (the client went away)', async () => {
    const { sql, calls } = endless(100);
    const stream = auditCsvStream(sql, { sql: 'org_id = ?', params: ['org'] }, 100);
    let chunks = 0;
    stream.on('data', () => {
      chunks += 1;
      if (chunks === 3) stream.destroy();
    });
    await sleep(50);
    expect(calls.length).toBeLessThanOrEqual(4);
    const seen = calls.length;
    await sleep(50);
    expect(calls.length).toBe(seen);
  });

  it('continues each chunk below the last row it sent (keyset)', async () => {
    const { sql, calls } = endless(10);
    const stream = auditCsvStream(sql, { sql: 'org_id = ?', params: ['org'] }, 10);
    let chunks = 0;
    stream.on('data', () => {
      chunks += 1;
      if (chunks === 2) stream.destroy();
    });
    await sleep(20);
    expect(calls[0]).toEqual(['org', 10]);
    expect(calls[1]).toEqual(['org', '2026-01-01T00:00:00.000000Z', 'evt_10', 10]);
  });

  it('drops an export whose reader stops reading', async () => {
    const { sql } = endless(100);
    const stream = auditCsvStream(sql, { sql: 'org_id = ?', params: ['org'] }, 100, 50);
    stream.once('data', () => undefined);
    stream.pause();
    const closed = new Promise((r) => stream.once('close', r));
    await sleep(150);
    await closed;
    expect(stream.destroyed).toBe(true);
  });
});
