/**
 * Keyset pages of the history lists (`cursor` / `nextCursor`): every row exactly once, newest
 * first, whatever arrives between pages; filters; refusals; the same through tRPC.
 */
import { describe, expect, it } from 'vitest';
import { TRPCClientError } from '@trpc/client';
import type { AppRouter } from '../src/trpc/routers/_app.js';
import { useTestServer } from './harness.js';
import { trpcClient } from './helpers.js';

const t = useTestServer('paging');

interface TxPage {
  transactions: { id: string; vendor: string; timestamp: string }[];
  count: number;
  total: number;
  limit: number;
  offset: number;
  nextCursor: string | null;
}

interface AuditPage {
  events: { id: string; eventType: string }[];
  count: number;
  total: number;
  limit: number;
  offset: number;
  nextCursor: string | null;
}

interface ErrorBody {
  success: false;
  code: string;
  field?: string;
}

/** Transactions in one bulk request, `vendor` alternating; half share one timestamp (ties). */
async function submit(key: string, n: number, at?: string) {
  const transactions = Array.from({ length: n }, (_, i) => ({
    amount: 1,
    vendor: i % 2 === 0 ? 'openai' : 'anthropic',
    ...(at ? { timestamp: at } : {}),
  }));
  const res = await t().call('POST', '/api/v1/transactions/bulk', { transactions }, { key });
  expect(res.status).toBe(200);
}

const anHourAgo = () => new Date(Date.now() - 3_600_000).toISOString();

/** Every page by cursor; `between` runs after each page (new arrivals). */
async function walk<P extends { nextCursor: string | null }>(
  key: string,
  path: string,
  between: () => Promise<void> = () => Promise.resolve(),
): Promise<P[]> {
  const pages: P[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const url: string = cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path;
    const res = await t().call<P>('GET', url, undefined, { key });
    expect(res.status).toBe(200);
    pages.push(res.body);
    cursor = res.body.nextCursor;
    await between();
  } while (cursor !== null && pages.length < 100);
  return pages;
}

describe('GET /api/v1/transactions by cursor', () => {
  it('yields every transaction exactly once, newest first, ties by id, as offset pages do', async () => {
    const { key } = await t().newOrg();
    await submit(key, 12, '2026-05-01T10:00:00.000Z');
    await submit(key, 11);
    const all = await t().call<TxPage>('GET', '/api/v1/transactions?limit=500', undefined, { key });
    expect(all.body.total).toBe(23);
    expect(all.body.nextCursor).toBeNull();
    const pages = await walk<TxPage>(key, '/api/v1/transactions?limit=5');
    expect(pages.map((p) => p.count)).toEqual([5, 5, 5, 5, 3]);
    expect(pages.map((p) => p.nextCursor === null)).toEqual([false, false, false, false, true]);
    expect(pages.every((p) => p.total === 23 && p.limit === 5 && p.offset === 0)).toBe(true);
    const ids = pages.flatMap((p) => p.transactions.map((x) => x.id));
    expect(ids).toEqual(all.body.transactions.map((x) => x.id));
    // Offset pages (a deferred join past the skipped rows) give the same rows, ties included.
    for (const offset of [1, 5, 11, 12, 13, 22, 23, 40]) {
      const page = await t().call<TxPage>(
        'GET',
        `/api/v1/transactions?limit=5&offset=${String(offset)}`,
        undefined,
        { key },
      );
      expect(
        page.body.transactions.map((x) => x.id),
        `offset ${String(offset)}`,
      ).toEqual(ids.slice(offset, offset + 5));
    }
  });

  it('is not moved by transactions recorded between pages', async () => {
    const { key } = await t().newOrg();
    await submit(key, 14, anHourAgo());
    const before = await t().call<TxPage>('GET', '/api/v1/transactions?limit=500', undefined, {
      key,
    });
    // Each page is followed by 3 newer transactions: offset pages would repeat rows, a cursor
    // does not.
    const pages = await walk<TxPage>(key, '/api/v1/transactions?limit=4', async () => {
      await submit(key, 3);
    });
    const ids = pages.flatMap((p) => p.transactions.map((x) => x.id));
    expect(ids).toEqual(before.body.transactions.map((x) => x.id));
    expect(pages.at(-1)?.total).toBe(14 + 3 * pages.length - 3);
  });

  it('pages within filters', async () => {
    const { key } = await t().newOrg();
    await submit(key, 20);
    const path = '/api/v1/transactions?vendor=anthropic&limit=3';
    const pages = await walk<TxPage>(key, path);
    const rows = pages.flatMap((p) => p.transactions);
    expect(rows).toHaveLength(10);
    expect(new Set(rows.map((r) => r.id)).size).toBe(10);
    expect(rows.every((r) => r.vendor === 'anthropic')).toBe(true);
    const offsetPage = await t().call<TxPage>(
      'GET',
      '/api/v1/transactions?vendor=anthropic&limit=3&offset=3',
      undefined,
      { key },
    );
    expect(offsetPage.body.transactions.map((r) => r.id)).toEqual(
      pages[1]?.transactions.map((r) => r.id),
    );
    expect(offsetPage.body.offset).toBe(3);
  });

  it('refuses a malformed or foreign cursor, and a cursor with an offset, naming the field', async () => {
    const { key } = await t().newOrg();
    const foreign = Buffer.from('["2026-05-05", "txn_x"]').toString('base64url');
    const valid = Buffer.from('["2026-05-05T00:00:00.000000Z","txn_x"]').toString('base64url');
    const cases: [string, string][] = [
      ['?cursor=not-a-cursor', 'cursor'],
      [`?cursor=${foreign}`, 'cursor'],
      [`?cursor=${valid}&offset=0`, 'offset'],
      [`?cursor=${valid}&offset=10`, 'offset'],
    ];
    for (const [query, field] of cases) {
      for (const path of ['/api/v1/transactions', '/api/v1/audit-log']) {
        const res = await t().call<ErrorBody>('GET', `${path}${query}`, undefined, { key });
        expect({
          path,
          query,
          status: res.status,
          code: res.body.code,
          field: res.body.field,
        }).toEqual({ path, query, status: 422, code: 'VALIDATION_ERROR', field });
      }
    }
  });
});

describe('GET /api/v1/audit-log by cursor', () => {
  it('yields every event exactly once, newest first, with limit and offset in the answer', async () => {
    const { key } = await t().newOrg();
    await submit(key, 9, anHourAgo());
    const all = await t().call<AuditPage>('GET', '/api/v1/audit-log?limit=500', undefined, { key });
    const pages = await walk<AuditPage>(key, '/api/v1/audit-log?limit=4', async () => {
      await submit(key, 2);
    });
    expect(pages.flatMap((p) => p.events.map((e) => e.id))).toEqual(
      all.body.events.map((e) => e.id),
    );
    expect(pages[0]).toMatchObject({ limit: 4, offset: 0 });
    const second = await t().call<AuditPage>(
      'GET',
      '/api/v1/audit-log?limit=4&offset=4&action=transaction',
      undefined,
      { key },
    );
    expect(second.body.offset).toBe(4);
    expect(second.body.events.every((e) => e.eventType.startsWith('transaction.'))).toBe(true);
  });
});

describe('tRPC lists by cursor', () => {
  it('pages transactions and audit events with nextCursor, and refuses cursor with offset', async () => {
    const { key } = await t().newOrg();
    await submit(key, 7);
    const client = trpcClient(t(), key);
    const ids: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await client.transactions.list.query({ limit: 3, cursor });
      ids.push(...page.transactions.map((x) => x.id));
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    expect(ids).toHaveLength(7);
    expect(new Set(ids).size).toBe(7);
    const events = await client.auditLog.list.query({ limit: 5 });
    expect(events.nextCursor).not.toBeNull();
    const rest = await client.auditLog.list.query({ limit: 5, cursor: events.nextCursor ?? '' });
    expect(rest.events.map((e) => e.id)).not.toContain(events.events[0]?.id);
    const bad = await client.transactions.list
      .query({ cursor: events.nextCursor ?? '', offset: 2 })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(TRPCClientError);
    const data = (bad as TRPCClientError<AppRouter>).data as {
      reins?: { code: string; field?: string };
    };
    expect(data.reins).toMatchObject({ code: 'VALIDATION_ERROR', field: 'offset' });
  });
});
