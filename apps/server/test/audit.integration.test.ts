/**
 * The audit log over HTTP (SPEC §6): list with filters and cursors, the docs' `policy_rule.block`
 * example, permissions and tenancy, the CSV export (quoting, formula neutralization, a large
 * export in bounded memory), the database's refusal to change events, and the hash chain
 * (sealing, verification, tampering, concurrent sealers).
 */
import { describe, expect, it } from 'vitest';
import { createTRPCClient, httpBatchStreamLink, httpBatchLink } from '@trpc/client';
import superjson from 'superjson';
import { initOrm, testServerUrl } from '@reins/db';
import type { AppRouter } from '../src/trpc/routers/_app.js';
import {
  ORGS_WITH_UNSEALED,
  chainHash,
  OCCURRED,
  sealAll,
  sealCurrent,
  sealOrg,
  sqlOf,
  verifyChain,
  withConnection,
} from '@reins/ledger';
import { useTestServer } from './harness.js';
import { expectSearchSkipsThePast } from './helpers.js';

const t = useTestServer('audit');

interface EventView {
  id: string;
  eventType: string;
  occurredAt: string;
  actor: string;
  entityType: string;
  entityId: string;
  metadata: Record<string, unknown>;
}

interface ListBody {
  success: boolean;
  events: EventView[];
  count: number;
  total: number;
  nextCursor: string | null;
}

interface VerifyBody {
  success: boolean;
  valid: boolean;
  checked: number;
  headSeq: number;
  firstBrokenLink: null | { seq: number; eventId: string | null; reason: string };
}

interface ErrorBody {
  success: false;
  code: string;
  field?: string;
  requiredPermission?: string;
}

/** An id without the tag `insertEvents` gave it. */
const untag = (id: string) => id.replace(/_[a-z]+$/, '');

const HEADER = 'id,eventType,occurredAt,actor,entityType,entityId,vendor,action';

interface Ev {
  id: string;
  eventType: string;
  occurredAt: string;
  actor?: string;
  entityType?: string;
  entityId?: string;
  metadata?: Record<string, unknown>;
}

/** Inserts events directly, as the services do (unsealed). Ids are global: `tagged` them per org. */
async function insertEvents(orgId: string, events: Ev[], tag?: string): Promise<void> {
  for (const e of events) {
    await t().sql(
      `insert into audit_event (id, org_id, event_type, occurred_at, actor, entity_type, entity_id, metadata)
       values (?, ?, ?, ?::timestamptz, ?, ?, ?, ?::jsonb)`,
      [
        tag ? `${e.id}_${tag}` : e.id,
        orgId,
        e.eventType,
        e.occurredAt,
        e.actor ?? 'key:test',
        e.entityType ?? 'transaction',
        e.entityId ?? `ent_${e.id}`,
        JSON.stringify(e.metadata ?? {}),
      ],
    );
  }
}

async function list(key: string, query: string) {
  return t().call<ListBody>('GET', `/api/v1/audit-log${query}`, undefined, { key });
}

async function verify(key: string) {
  const res = await t().call<VerifyBody>('GET', '/api/v1/audit-log/verify', undefined, { key });
  expect(res.status).toBe(200);
  return res.body;
}

async function sqlState(run: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await run();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  throw new Error('expected the statement to fail');
}

/** Changes a row behind the application's back, as the table owner can. */
async function tamper(
  statement: string,
  params: unknown[] = [],
  table: 'audit_event' | 'audit_chain' = 'audit_event',
): Promise<void> {
  await t().sql(`alter table ${table} disable trigger ${table}_append_only_row`);
  try {
    await t().sql(statement, params);
  } finally {
    await t().sql(`alter table ${table} enable trigger ${table}_append_only_row`);
  }
}

/** RFC 4180 parser for the assertions (quoted fields, doubled quotes, CRLF records). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        i += 1;
      } else {
        field += c;
        i += 1;
      }
    } else if (c === '"') {
      quoted = true;
      i += 1;
    } else if (c === ',') {
      row.push(field);
      field = '';
      i += 1;
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 2;
    } else {
      field += c;
      i += 1;
    }
  }
  if (field !== '' || row.length > 0) throw new Error('CSV does not end with CRLF');
  return rows;
}

// Five events of one org, 2026-03-01..05, one a day at 12:00 UTC.
const FIVE: Ev[] = [
  {
    id: 'evt_l1',
    eventType: 'policy_rule.created',
    occurredAt: '2026-03-01T12:00:00Z',
    entityType: 'policy_rule',
    metadata: { ruleName: 'r', action: 'block' },
  },
  {
    id: 'evt_l2',
    eventType: 'transaction.recorded',
    occurredAt: '2026-03-02T12:00:00Z',
    metadata: { vendor: 'openai', action: 'pass', ruleId: null },
  },
  {
    id: 'evt_l3',
    eventType: 'transaction.blocked',
    occurredAt: '2026-03-03T12:00:00Z',
    metadata: { vendor: 'openai', action: 'block', ruleId: 'rule_x', ruleName: 'x' },
  },
  {
    id: 'evt_l4',
    eventType: 'api_key.revoked',
    occurredAt: '2026-03-04T12:00:00Z',
    entityType: 'api_key',
  },
  {
    id: 'evt_l5',
    eventType: 'policy_rule.updated',
    occurredAt: '2026-03-05T12:00:00Z',
    entityType: 'policy_rule',
    metadata: { ruleName: 'r', action: 'warn' },
  },
];
const MARCH = 'startDate=2026-03-01&endDate=2026-03-31';

/**
 * Waits until the org's first `n` events are sealable: an event is once every transaction older
 * than its own has ended, in the whole cluster (other test files' included), so a sealer run
 * right after an insert may see none of them yet.
 */
async function waitForHorizon(orgId: string, n: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const [settled] = await t().sql<{ n: number }>(
      `select count(*)::int as n from audit_event e where e.org_id = ?
          and e.xid < reins_xid_horizon()`,
      [orgId],
    );
    if ((settled?.n ?? 0) >= n) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`the horizon did not pass ${String(n)} events of ${orgId} in 10 s`);
}

describe('GET /api/v1/audit-log', () => {
  it('lists the org’s events newest first in the docs shape', async () => {
    const { orgId, key } = await t().newOrg('list');
    await insertEvents(orgId, FIVE, 'list');
    const res = await list(key, `?${MARCH}`);
    expect(res.status).toBe(200);
    expect(res.body.events.map((e) => untag(e.id))).toEqual([
      'evt_l5',
      'evt_l4',
      'evt_l3',
      'evt_l2',
      'evt_l1',
    ]);
    expect(res.body).toMatchObject({ success: true, count: 5, total: 5, nextCursor: null });
    const l3 = res.body.events.find((e) => e.id === 'evt_l3_list');
    expect(l3).toEqual({
      id: 'evt_l3_list',
      eventType: 'transaction.blocked',
      occurredAt: '2026-03-03T12:00:00.000Z',
      actor: 'key:test',
      entityType: 'transaction',
      entityId: 'ent_evt_l3',
      metadata: { vendor: 'openai', action: 'block', ruleId: 'rule_x', ruleName: 'x' },
    });
    // Without dates: the org's own creation events are there too, and nothing of other orgs.
    const all = await list(key, '');
    expect(all.body.total).toBe(5 + 2);
    expect(all.body.events.map((e) => e.eventType).sort()).toEqual(
      [...FIVE.map((e) => e.eventType), 'organization.created', 'api_key.created'].sort(),
    );
  });

  it('filters by action: exact event type, prefix, and policy_rule.<action>', async () => {
    const { orgId, key } = await t().newOrg('actions');
    await insertEvents(orgId, FIVE, 'actions');
    const ids = async (q: string) => {
      const res = await list(key, `?${MARCH}&${q}`);
      expect(res.status).toBe(200);
      expect(res.body.total).toBe(res.body.events.length);
      return res.body.events.map((e) => untag(e.id));
    };
    expect(await ids('action=transaction.blocked')).toEqual(['evt_l3']);
    expect(await ids('action=policy_rule')).toEqual(['evt_l5', 'evt_l1']);
    expect(await ids('action=transaction')).toEqual(['evt_l3', 'evt_l2']);
    // A rule took the action: metadata.action matches and a rule is named (not policy_rule.created).
    expect(await ids('action=policy_rule.block')).toEqual(['evt_l3']);
    expect(await ids('action=policy_rule.pass')).toEqual([]);
    expect(await ids('action=policy_rule.warn')).toEqual([]);
    // `policy_` is not a prefix of `policy_rule` (a whole part before the dot is matched).
    expect(await ids('action=policy_')).toEqual([]);
    expect(await ids('action=nothing.here')).toEqual([]);
  });

  it('filters by entityType and by dates (a plain endDate includes its whole day)', async () => {
    const { orgId, key } = await t().newOrg('dates');
    await insertEvents(orgId, FIVE, 'dates');
    const ids = async (q: string) => (await list(key, `?${q}`)).body.events.map((e) => untag(e.id));
    expect(await ids(`${MARCH}&entityType=policy_rule`)).toEqual(['evt_l5', 'evt_l1']);
    expect(await ids(`${MARCH}&entityType=api_key`)).toEqual(['evt_l4']);
    expect(await ids('startDate=2026-03-02&endDate=2026-03-03')).toEqual(['evt_l3', 'evt_l2']);
    expect(await ids('startDate=2026-03-03T12:00:00Z&endDate=2026-03-04T11:59:59Z')).toEqual([
      'evt_l3',
    ]);
    expect(await ids('startDate=2026-03-04T12:00:00.001Z&endDate=2026-03-31')).toEqual(['evt_l5']);
  });

  it('pages with nextCursor until null, every event once, total unchanged', async () => {
    const { orgId, key } = await t().newOrg('cursor');
    // Two events at the very same microsecond: the id breaks the tie.
    await insertEvents(
      orgId,
      [
        ...FIVE,
        { id: 'evt_l3b', eventType: 'transaction.flagged', occurredAt: '2026-03-03T12:00:00Z' },
      ],
      'cursor',
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = `?${MARCH}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await list(key, q);
      expect(res.status).toBe(200);
      expect(res.body.total).toBe(6);
      expect(res.body.count).toBe(res.body.events.length);
      seen.push(...res.body.events.map((e) => untag(e.id)));
      cursor = res.body.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(['evt_l5', 'evt_l4', 'evt_l3b', 'evt_l3', 'evt_l2', 'evt_l1']);
    // limit = exactly what is left: no empty page after it.
    const exact = await list(key, `?${MARCH}&limit=6`);
    expect(exact.body.nextCursor).toBeNull();
  });

  it('answers 422 naming the field for a bad limit, date, cursor or parameter', async () => {
    const { key } = await t().newOrg('bad input');
    const cases: [string, string][] = [
      ['?limit=501', 'limit'],
      ['?limit=0', 'limit'],
      ['?limit=abc', 'limit'],
      ['?startDate=yesterday', 'startDate'],
      ['?endDate=2026-02-30', 'endDate'],
      ['?startDate=2026-03-05&endDate=2026-03-01', 'endDate'],
      ['?cursor=not-a-cursor', 'cursor'],
      [`?cursor=${Buffer.from('["x","y"]').toString('base64url')}`, 'cursor'],
    ];
    for (const [q, field] of cases) {
      const res = await t().call<ErrorBody>('GET', `/api/v1/audit-log${q}`, undefined, { key });
      expect({ q, status: res.status, code: res.body.code, field: res.body.field }).toEqual({
        q,
        status: 422,
        code: 'VALIDATION_ERROR',
        field,
      });
    }
    const ok = await list(key, '?limit=500');
    expect(ok.status).toBe(200);
    const csv = await t().call<ErrorBody>('GET', '/api/v1/audit-log/csv?limit=5', undefined, {
      key,
    });
    expect(csv.status).toBe(422);
  });

  it('answers 403 to a key without audit:read, on every audit route', async () => {
    const { key } = await t().newOrg('perm');
    const minted = await t().call<{ key: string }>(
      'POST',
      '/api/keys',
      { name: 'writer', permissions: ['transactions:write', 'policies:read'] },
      { key },
    );
    expect(minted.status).toBe(201);
    for (const path of ['/api/v1/audit-log', '/api/v1/audit-log/csv', '/api/v1/audit-log/verify']) {
      const res = await t().call<ErrorBody>('GET', path, undefined, { key: minted.body.key });
      expect({
        path,
        status: res.status,
        code: res.body.code,
        p: res.body.requiredPermission,
      }).toEqual({ path, status: 403, code: 'FORBIDDEN', p: 'audit:read' });
    }
    const reader = await t().call<{ key: string }>(
      'POST',
      '/api/keys',
      { name: 'auditor', permissions: ['audit:read'] },
      { key },
    );
    expect((await list(reader.body.key, '')).status).toBe(200);
  });

  it('never shows another organization’s events (list, filters, CSV, verify)', async () => {
    const a = await t().newOrg('tenant a');
    const b = await t().newOrg('tenant b');
    await insertEvents(a.orgId, [
      {
        id: 'evt_secret',
        eventType: 'transaction.blocked',
        occurredAt: '2026-03-03T12:00:00Z',
        metadata: { vendor: 'openai', action: 'block', ruleId: 'rule_a' },
      },
    ]);
    const bList = await list(b.key, '?limit=500');
    expect(bList.body.events.map((e) => e.id)).not.toContain('evt_secret');
    expect(bList.body.total).toBe(2);
    const bBlocked = await list(b.key, '?action=policy_rule.block');
    expect(bBlocked.body).toMatchObject({ events: [], total: 0, nextCursor: null });
    const csv = await t().call('GET', '/api/v1/audit-log/csv', undefined, { key: b.key });
    expect(csv.text).not.toContain('evt_secret');
    expect((await verify(b.key)).checked).toBe(2);
    // A cursor is only a position: used by another org, it pages through that org's own events.
    const aFirst = await list(a.key, '?limit=1');
    const cursor = aFirst.body.nextCursor ?? '';
    const bPaged = await list(b.key, `?limit=500&cursor=${encodeURIComponent(cursor)}`);
    expect(bPaged.status).toBe(200);
    expect(bPaged.body.events.map((e) => e.id)).not.toContain('evt_secret');
  });
});

describe('the docs example: action=policy_rule.block', () => {
  it('returns the transactions a blocking rule blocked, in the list and the CSV', async () => {
    const { key } = await t().newOrg('docs block');
    const rule = await t().call<{ id: string }>(
      'POST',
      '/api/policy-rules',
      {
        name: 'Block gpt-4 over $3',
        priority: 1,
        conditions: { vendors: ['openai'], amountCents: { min: 301 } },
        action: 'block',
        actionConfig: { message: 'No gpt-4 over $3.' },
      },
      { key },
    );
    expect(rule.status).toBe(201);
    const blocked = await t().call<{ id: string }>(
      'POST',
      '/api/v1/transactions',
      { amount: 400, vendor: 'openai', model: 'gpt-4', agentId: 'support-bot' },
      { key },
    );
    expect(blocked.status).toBe(403);
    const passed = await t().call<{ id: string }>(
      'POST',
      '/api/v1/transactions',
      { amount: 100, vendor: 'openai', model: 'gpt-4', agentId: 'support-bot' },
      { key },
    );
    expect(passed.status).toBe(202);

    const res = await list(key, '?limit=50&action=policy_rule.block');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, count: 1, total: 1, nextCursor: null });
    expect(res.body.events[0]).toMatchObject({
      eventType: 'transaction.blocked',
      actor: 'agent:support-bot',
      entityType: 'transaction',
      entityId: blocked.body.id,
      metadata: {
        vendor: 'openai',
        model: 'gpt-4',
        amountCents: 400,
        ruleId: rule.body.id,
        ruleName: 'Block gpt-4 over $3',
        action: 'block',
      },
    });
    // The whole family and the exact type find the passed one too.
    const txs = await list(key, '?action=transaction');
    expect(txs.body.events.map((e) => e.entityId).sort()).toEqual(
      [blocked.body.id, passed.body.id].sort(),
    );
    expect((await list(key, '?action=policy_rule')).body.events.map((e) => e.eventType)).toEqual([
      'policy_rule.created',
    ]);

    const csv = await t().call('GET', '/api/v1/audit-log/csv?action=policy_rule.block', undefined, {
      key,
    });
    expect(csv.status).toBe(200);
    const rows = parseCsv(csv.text);
    expect(rows).toEqual([
      HEADER.split(','),
      [
        res.body.events[0]?.id,
        'transaction.blocked',
        res.body.events[0]?.occurredAt,
        'agent:support-bot',
        'transaction',
        blocked.body.id,
        'openai',
        'block',
      ],
    ]);
  });
});

describe('GET /api/v1/audit-log/csv', () => {
  it('writes RFC 4180 CSV with neutralized formulas, as an attachment', async () => {
    const { orgId, key } = await t().newOrg('csv');
    await insertEvents(orgId, [
      {
        id: 'evt_c1',
        eventType: 'transaction.recorded',
        occurredAt: '2026-04-01T00:00:00.123Z',
        actor: 'agent:a,b',
        entityId: 'say "hi"',
        metadata: { vendor: 'line1\nline2', action: '=SUM(A1)' },
      },
      {
        id: 'evt_c2',
        eventType: 'vendor.updated',
        occurredAt: '2026-04-02T00:00:00Z',
        actor: '-2+3',
        entityType: '@risky',
        entityId: '+cmd|" /C calc"!A0',
        metadata: { vendor: 'naïve 日本語 🚀', action: 'carriage\r\nreturn' },
      },
      {
        id: 'evt_c3',
        eventType: 'agent.created',
        occurredAt: '2026-04-03T00:00:00Z',
        actor: '\tindented',
        entityType: 'agent',
        entityId: '=HYPERLINK("http://x","y")',
        metadata: { vendor: { nested: true }, action: 7 },
      },
      {
        id: 'evt_c4',
        eventType: 'alert.read',
        occurredAt: '2026-04-04T00:00:00Z',
        entityType: 'alert',
        metadata: {},
      },
    ]);
    const res = await t().call(
      'GET',
      '/api/v1/audit-log/csv?startDate=2026-04-01&endDate=2026-04-30',
      undefined,
      { key },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="audit-log.csv"');
    expect(res.text.startsWith(`${HEADER}\r\n`)).toBe(true);
    expect(parseCsv(res.text)).toEqual([
      HEADER.split(','),
      [
        'evt_c4',
        'alert.read',
        '2026-04-04T00:00:00.000Z',
        'key:test',
        'alert',
        'ent_evt_c4',
        '',
        '',
      ],
      [
        'evt_c3',
        'agent.created',
        '2026-04-03T00:00:00.000Z',
        "'\tindented",
        'agent',
        `'=HYPERLINK("http://x","y")`,
        '{"nested": true}',
        '7',
      ],
      [
        'evt_c2',
        'vendor.updated',
        '2026-04-02T00:00:00.000Z',
        "'-2+3",
        "'@risky",
        `'+cmd|" /C calc"!A0`,
        'naïve 日本語 🚀',
        'carriage\r\nreturn',
      ],
      [
        'evt_c1',
        'transaction.recorded',
        '2026-04-01T00:00:00.123Z',
        'agent:a,b',
        'transaction',
        'say "hi"',
        'line1\nline2',
        "'=SUM(A1)",
      ],
    ]);
    // The raw bytes: neutralized cells are quoted, quotes doubled, records end in CRLF.
    expect(res.text).toContain(`,"'=SUM(A1)"\r\n`);
    expect(res.text).toContain(`,"say ""hi""",`);
    expect(res.text).toContain(`,"line1\nline2",`);
    expect(res.text.endsWith('\r\n')).toBe(true);
  });

  it('is the header alone for an empty result', async () => {
    const { key } = await t().newOrg('csv empty');
    const res = await t().call('GET', '/api/v1/audit-log/csv?action=nothing.here', undefined, {
      key,
    });
    expect(res.status).toBe(200);
    expect(res.text).toBe(`${HEADER}\r\n`);
  });

  it('streams 200,000 events, every one in order, with the server heap bounded', async () => {
    const N = 200_000;
    const { orgId, key } = await t().newOrg('csv big');
    await t().sql(
      `insert into audit_event (id, org_id, event_type, occurred_at, actor, entity_type, entity_id, metadata)
       select 'evt_big_' || lpad(i::text, 7, '0'), ?, 'transaction.recorded',
              timestamptz '2025-01-01T00:00:00Z' + i * interval '1 millisecond',
              'agent:bulk-' || (i % 50), 'transaction', 'txn_' || i,
              jsonb_build_object('vendor', 'openai', 'model', 'gpt-4o', 'amountCents', i % 1000,
                                 'action', 'pass', 'ruleId', null)
         from generate_series(1, ?) as s(i)`,
      [orgId, N],
    );
    // As autovacuum would soon: with statistics from before the load, the planner would sort the
    // whole table for each chunk instead of walking the index.
    await t().sql('analyze audit_event');
    const heap = () => process.memoryUsage().heapUsed;
    const before = heap();
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, heap());
    }, 10);
    let rows = 0;
    let bytes = 0;
    let expected = N;
    let order = true;
    try {
      const res = await fetch(`${t().url}/api/v1/audit-log/csv`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(res.status).toBe(200);
      if (!res.body) throw new Error('no body');
      const decoder = new TextDecoder();
      let rest = '';
      let header = true;
      for await (const part of res.body as AsyncIterable<Uint8Array>) {
        bytes += part.byteLength;
        const text = rest + decoder.decode(part, { stream: true });
        const lines = text.split('\r\n');
        rest = lines.pop() ?? '';
        for (const line of lines) {
          if (header) {
            expect(line).toBe(HEADER);
            header = false;
            continue;
          }
          const id = line.slice(0, line.indexOf(','));
          rows += 1;
          // Newest first: the generated ids count down (the org's own two events are newer).
          if (!id.startsWith('evt_big_')) continue;
          if (id !== `evt_big_${String(expected).padStart(7, '0')}`) order = false;
          expected -= 1;
        }
      }
      expect(rest).toBe('');
    } finally {
      clearInterval(sampler);
    }
    expect(order).toBe(true);
    expect(expected).toBe(0);
    expect(rows).toBe(N + 2);
    const grownMb = (peak - before) / 2 ** 20;
    console.info(
      `CSV export: ${rows} rows, ${(bytes / 2 ** 20).toFixed(1)} MB; heap ${(before / 2 ** 20).toFixed(0)} MB before, peak +${grownMb.toFixed(1)} MB`,
    );
    // Loading the log would hold ~200,000 row objects (~100 MB) plus the 21 MB body; streaming
    // holds a chunk or two (the growth seen is young-generation garbage, this client's included:
    // 12-48 MB in runs, the most with the sealer sealing the 200,000 events at the same time).
    expect(grownMb).toBeLessThan(80);
  }, 120_000);
});

describe('audit_event is append-only at the server level', () => {
  it('refuses UPDATE, DELETE and TRUNCATE of events the server wrote (SQLSTATE 42501)', async () => {
    const { orgId, key } = await t().newOrg('immutable');
    await verify(key); // seals the org's creation events
    const [sealed] = await t().sql<{ id: string }>(
      `select event_id as id from audit_chain where org_id = ? order by seq limit 1`,
      [orgId],
    );
    await insertEvents(orgId, [
      { id: 'evt_im_unsealed', eventType: 'alert.read', occurredAt: '2026-05-01T00:00:00Z' },
    ]);
    const id = sealed?.id ?? '';
    expect(
      await sqlState(() => t().sql(`update audit_event set actor = 'mallory' where id = ?`, [id])),
    ).toBe('42501');
    expect(
      await sqlState(() =>
        t().sql(`update audit_event set metadata = '{"x": 1}' where id = 'evt_im_unsealed'`),
      ),
    ).toBe('42501');
    // Not even an update that changes nothing.
    expect(
      await sqlState(() => t().sql(`update audit_event set actor = actor where id = ?`, [id])),
    ).toBe('42501');
    expect(await sqlState(() => t().sql(`delete from audit_event where id = ?`, [id]))).toBe(
      '42501',
    );
    expect(
      await sqlState(() => t().sql(`delete from audit_event where id = 'evt_im_unsealed'`)),
    ).toBe('42501');
    expect(await sqlState(() => t().sql('truncate audit_event'))).toBe('42501');
    const [count] = await t().sql<{ n: number }>(
      'select count(*)::int as n from audit_event where org_id = ?',
      [orgId],
    );
    // Its two creation events, the first verify's checkpoint and the unsealed one.
    expect(count?.n).toBe(4);
    expect((await verify(key)).valid).toBe(true);
  });

  it('refuses UPDATE, DELETE and TRUNCATE of the hash chain’s links too', async () => {
    const { orgId, key } = await t().newOrg('immutable chain');
    await verify(key);
    const update = `update audit_chain set hash = repeat('0', 64) where org_id = ? and seq = 1`;
    expect(await sqlState(() => t().sql(update, [orgId]))).toBe('42501');
    expect(await sqlState(() => t().sql('delete from audit_chain where org_id = ?', [orgId]))).toBe(
      '42501',
    );
    expect(await sqlState(() => t().sql('truncate audit_chain'))).toBe('42501');
    expect((await verify(key)).valid).toBe(true);
  });
});

describe('the hash chain', () => {
  async function chainOrg(name: string, n = 6) {
    const org = await t().newOrg(name);
    await insertEvents(
      org.orgId,
      Array.from({ length: n }, (_, i) => ({
        id: `evt_${name.replace(/\W/g, '')}_${i}`,
        eventType: 'transaction.recorded',
        occurredAt: `2026-06-0${1 + (i % 9)}T10:00:00.000Z`,
        metadata: { vendor: 'openai', amountCents: i, nested: { b: [1, 'x'], a: null } },
      })),
    );
    // Sealed and walked without a checkpoint: the tampering below is then after any checkpoint,
    // where the route's incremental walk sees it (tampering before one: audit-verify tests).
    expect(await sealCurrent(t().server.core.orm, org.orgId, 60_000)).toBe(true);
    const v = await verifyChain(sqlOf(t().server.core.orm.em.fork()), org.orgId);
    expect(v).toMatchObject({ valid: true, checked: n + 2, headSeq: n + 2, firstBrokenLink: null });
    const bySeq = await t().sql<{ id: string; seq: string; prev_hash: string; hash: string }>(
      'select event_id as id, seq, prev_hash, hash from audit_chain where org_id = ? order by seq',
      [org.orgId],
    );
    return { ...org, bySeq };
  }

  it('seals new events in the background, one link after another from the genesis', async () => {
    const { orgId } = await t().newOrg('background');
    await insertEvents(orgId, [
      { id: 'evt_bg', eventType: 'alert.read', occurredAt: '2026-05-01T00:00:00Z' },
    ]);
    let rows: { seq: string; event_id: string; prev_hash: string; hash: string }[] = [];
    for (let i = 0; i < 100; i++) {
      rows = await t().sql(
        'select seq, event_id, prev_hash, hash from audit_chain where org_id = ? order by seq',
        [orgId],
      );
      if (rows.length === 3) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(rows.map((r) => Number(r.seq))).toEqual([1, 2, 3]);
    expect(rows.map((r) => r.event_id)).toContain('evt_bg');
    expect(rows[0]?.prev_hash).toBe('0'.repeat(64));
    expect(rows[1]?.prev_hash).toBe(rows[0]?.hash);
    expect(rows[2]?.prev_hash).toBe(rows[1]?.hash);
    const [head] = await t().sql<{ seq: string; hash: string }>(
      'select seq, hash from audit_chain_head where org_id = ?',
      [orgId],
    );
    expect(head).toMatchObject({ seq: '3', hash: rows[2]?.hash });
  });

  it('names an event edited behind the application’s back', async () => {
    const { key, bySeq } = await chainOrg('edited');
    const victim = bySeq[4];
    await tamper(
      `update audit_event set metadata = jsonb_set(metadata, '{amountCents}', '999') where id = ?`,
      [victim?.id],
    );
    expect(await verify(key)).toMatchObject({
      valid: false,
      checked: 5,
      firstBrokenLink: { seq: 5, eventId: victim?.id, reason: 'hash_mismatch' },
    });
  });

  it('notices an edit of the instant by a single microsecond', async () => {
    const { key, bySeq } = await chainOrg('micro');
    const victim = bySeq[3];
    await tamper(
      `update audit_event set occurred_at = occurred_at + interval '1 microsecond' where id = ?`,
      [victim?.id],
    );
    expect((await verify(key)).firstBrokenLink).toEqual({
      seq: 4,
      eventId: victim?.id,
      reason: 'hash_mismatch',
    });
  });

  it('names a deleted event, and the link after a deleted link', async () => {
    const { key, bySeq } = await chainOrg('deleted');
    await tamper('delete from audit_event where id = ?', [bySeq[2]?.id]);
    expect((await verify(key)).firstBrokenLink).toEqual({
      seq: 3,
      eventId: bySeq[2]?.id,
      reason: 'event_missing',
    });

    const links = await chainOrg('deleted link');
    await tamper(
      'delete from audit_chain where org_id = ? and seq = 3',
      [links.orgId],
      'audit_chain',
    );
    expect((await verify(links.key)).firstBrokenLink).toEqual({
      seq: 4,
      eventId: links.bySeq[3]?.id,
      reason: 'seq_gap',
    });
  });

  it('notices a recomputed hash that no longer links, and events cut off the end', async () => {
    const forged = await chainOrg('forged');
    // Edit an event AND recompute its hash as the sealer would: the next link no longer holds.
    const v = forged.bySeq[2];
    const [row] = await t().sql<Record<string, string>>(
      `select id, event_type, ${OCCURRED} as occurred_at, actor, entity_type, entity_id
         from audit_event where id = ?`,
      [v?.id],
    );
    const metadata = { vendor: 'anthropic', amountCents: 1 };
    const rehashed = chainHash(v?.prev_hash ?? '', {
      seq: 3,
      id: row?.id ?? '',
      orgId: forged.orgId,
      eventType: row?.event_type ?? '',
      occurredAt: row?.occurred_at ?? '',
      actor: row?.actor ?? '',
      entityType: row?.entity_type ?? '',
      entityId: row?.entity_id ?? '',
      metadata,
    });
    await tamper(`update audit_event set metadata = ?::jsonb where id = ?`, [
      JSON.stringify(metadata),
      v?.id,
    ]);
    await tamper(
      'update audit_chain set hash = ? where org_id = ? and seq = 3',
      [rehashed, forged.orgId],
      'audit_chain',
    );
    expect((await verify(forged.key)).firstBrokenLink).toEqual({
      seq: 4,
      eventId: forged.bySeq[3]?.id,
      reason: 'prev_hash_mismatch',
    });

    const cut = await chainOrg('cut');
    await tamper(
      'delete from audit_chain where org_id = ? and seq = 8',
      [cut.orgId],
      'audit_chain',
    );
    expect(await verify(cut.key)).toMatchObject({
      valid: false,
      headSeq: 8,
      firstBrokenLink: { seq: 8, eventId: null, reason: 'head_mismatch' },
    });
  });

  it('reports a deleted head, a head moved back or forward and links added past it, without failing', async () => {
    const gone = await chainOrg('head deleted');
    await t().sql('delete from audit_chain_head where org_id = ?', [gone.orgId]);
    expect(await verify(gone.key)).toMatchObject({
      success: true,
      valid: false,
      complete: false,
      firstBrokenLink: { seq: 8, eventId: gone.bySeq[7]?.id, reason: 'head_missing' },
    });
    // The sealer does not restart a chain over the old one.
    const links = await t().sql<{ n: string }>(
      'select count(*) as n from audit_chain where org_id = ?',
      [gone.orgId],
    );
    expect(Number(links[0]?.n)).toBe(8);

    const back = await chainOrg('head moved back');
    await t().sql(
      'update audit_chain_head set seq = 5, hash = (select hash from audit_chain where org_id = ? and seq = 5) where org_id = ?',
      [back.orgId, back.orgId],
    );
    expect((await verify(back.key)).firstBrokenLink).toEqual({
      seq: 6,
      eventId: back.bySeq[5]?.id,
      reason: 'head_mismatch',
    });

    const ahead = await chainOrg('head moved forward');
    await t().sql('update audit_chain_head set seq = 9 where org_id = ?', [ahead.orgId]);
    expect((await verify(ahead.key)).firstBrokenLink).toEqual({
      seq: 9,
      eventId: null,
      reason: 'head_mismatch',
    });

    const added = await chainOrg('link added');
    await tamper(
      `insert into audit_chain (org_id, seq, event_id, prev_hash, hash)
       values (?, 9, 'evt_forged', ?, ?)`,
      [added.orgId, added.bySeq[7]?.hash, 'f'.repeat(64)],
      'audit_chain',
    );
    expect((await verify(added.key)).firstBrokenLink).toEqual({
      seq: 9,
      eventId: 'evt_forged',
      reason: 'head_mismatch',
    });
  });

  it('names links swapped between two events, and an event slipped into the sealed past', async () => {
    const swapped = await chainOrg('swapped');
    const [a, b] = [swapped.bySeq[2]?.id, swapped.bySeq[3]?.id];
    await tamper(
      `update audit_chain set event_id = case seq when 3 then ? else ? end
        where org_id = ? and seq in (3, 4)`,
      [b, a, swapped.orgId],
      'audit_chain',
    );
    expect((await verify(swapped.key)).firstBrokenLink).toEqual({
      seq: 3,
      eventId: b,
      reason: 'hash_mismatch',
    });

    const slipped = await chainOrg('slipped in');
    // An explicit old transaction id puts the event before the head: no sealer would take it.
    await t().sql(
      `insert into audit_event (id, org_id, event_type, occurred_at, actor, entity_type, entity_id,
          metadata, xid)
       values ('evt_slipped', ?, 'api_key.revoked', '2026-06-01T00:00:00Z', 'key:x', 'api_key',
          'key_x', '{}', '1'::xid8)`,
      [slipped.orgId],
    );
    expect((await verify(slipped.key)).firstBrokenLink).toEqual({
      seq: 8,
      eventId: 'evt_slipped',
      reason: 'event_inserted',
    });
  });

  it("keeps sealing the other organizations' chains when one was tampered with", async () => {
    const broken = await chainOrg('broken for the sealer');
    await t().sql('update audit_chain_head set seq = 3 where org_id = ?', [broken.orgId]);
    await insertEvents(broken.orgId, [
      { id: 'evt_after_tamper', eventType: 'alert.read', occurredAt: '2026-05-01T00:00:00Z' },
    ]);
    const healthy = await t().newOrg('healthy beside it');
    await insertEvents(healthy.orgId, [
      { id: 'evt_healthy', eventType: 'alert.read', occurredAt: '2026-05-01T00:00:00Z' },
    ]);
    const result = await sealAll(t().server.core.orm, { wait: true });
    expect(result.broken).toContain(broken.orgId);
    expect(await verify(healthy.key)).toMatchObject({ valid: true, headSeq: 3 });
  });

  // Needs a second connection held open beside the server's: real PostgreSQL only.
  it.skipIf(testServerUrl() === undefined)(
    'never seals past a transaction still running, and seals its events once it commits',
    async () => {
      const { orgId, key } = await t().newOrg('horizon');
      await verify(key);
      const orm = t().server.core.orm;
      const other = await initOrm(orm.config.get('clientUrl'), { maxConnections: 1 });
      try {
        await withConnection(other, async (conn) => {
          // A transaction of this org that has begun writing but not committed…
          await conn.query(
            `begin; insert into audit_event (id, org_id, event_type, occurred_at, actor, entity_type,
             entity_id) values ('evt_hz_early', '${orgId}', 'alert.read', now(), 'k', 'a', 'x')`,
          );
          // …and an event committed after it began.
          await insertEvents(orgId, [
            { id: 'evt_hz_late', eventType: 'alert.read', occurredAt: '2026-05-01T00:00:00Z' },
          ]);
          const held = await verify(key);
          // The first verify's checkpoint event is sealed; the late event waits.
          expect(held).toMatchObject({ valid: true, complete: false, from: 2, checked: 1 });
          await conn.query('commit');
        });
      } finally {
        await other.close();
      }
      // From the first verify's checkpoint (seq 2): its own event, then the two.
      expect(await verify(key)).toMatchObject({ valid: true, complete: true, from: 2, checked: 3 });
      const links = await t().sql<{ event_id: string }>(
        `select c.event_id from audit_chain c join audit_event e on e.id = c.event_id
          where c.org_id = ? and e.event_type <> 'audit_chain.verified' order by c.seq`,
        [orgId],
      );
      // Chain order is (xid, pos): the early transaction's event comes first.
      expect(links.map((l) => l.event_id).slice(2)).toEqual(['evt_hz_early', 'evt_hz_late']);
    },
    30_000,
  );

  it('finds the organizations with events to seal without reading their sealed past', async () => {
    const { orgId } = await t().newOrg('long past');
    // (The server's own sealer may seal the waiting event first: the search reads the same
    // pages either way.)
    await expectSearchSkipsThePast(t(), {
      orgId,
      tag: 'lp',
      statement: ORGS_WITH_UNSEALED,
      process: () => sealOrg(t().server.core.orm, orgId),
    });
  }, 60_000);

  it('seals a backlog larger than one turn in rounds, and returns once it caught up', async () => {
    const { orgId, key } = await t().newOrg('backlog');
    await t().sql(
      `insert into audit_event (id, org_id, event_type, occurred_at, actor, entity_type, entity_id, metadata)
       select 'evt_bl_' || i, ?, 'alert.read', timestamptz '2026-07-01' + i * interval '1 second',
              'key:test', 'alert', 'alr_' || i, jsonb_build_object('i', i)
         from generate_series(1, 2500) as s(i)`,
      [orgId],
    );
    await waitForHorizon(orgId, 2502);
    // Turns of 5 × 100 events: five full turns, then a partial one.
    await sealAll(t().server.core.orm, { batchSize: 100, maxBatches: 5, wait: true });
    const [left] = await t().sql<{ n: number }>(
      `select count(*)::int as n from audit_event e where e.org_id = ?
          and not exists (select 1 from audit_chain c where c.event_id = e.id)`,
      [orgId],
    );
    expect(left?.n).toBe(0);
    expect(await verify(key)).toMatchObject({ valid: true, checked: 2502, headSeq: 2502 });
  });

  it('stays one consistent chain when several sealers (processes) run at once', async () => {
    const { orgId, key } = await t().newOrg('concurrent');
    const N = 5000;
    await t().sql(
      `insert into audit_event (id, org_id, event_type, occurred_at, actor, entity_type, entity_id, metadata)
       select 'evt_cc_' || i, ?, 'alert.read', timestamptz '2026-07-01' + (i % 97) * interval '1 second',
              'key:test', 'alert', 'alr_' || i, jsonb_build_object('i', i)
         from generate_series(1, ?) as s(i)`,
      [orgId, N],
    );
    await waitForHorizon(orgId, N + 2);
    // A second "process": its own ORM and pool on the same database.
    const orm = t().server.core.orm;
    const other = await initOrm(orm.config.get('clientUrl'), { maxConnections: 3 });
    try {
      const [a, b, c] = await Promise.all([
        sealOrg(orm, orgId, { batchSize: 100 }),
        sealOrg(other, orgId, { batchSize: 100 }),
        sealOrg(other, orgId, { batchSize: 37 }),
        sealAll(orm, { batchSize: 250 }),
        sealAll(other, { batchSize: 50 }),
      ]);
      // No event was sealed twice (the others, and the server's own sealer, took the rest).
      expect(a + b + c).toBeLessThanOrEqual(N + 2);
    } finally {
      await other.close();
    }
    const [stats] = await t().sql<{ n: number; events: number; max: string; unsealed: number }>(
      `select count(*)::int as n, count(distinct event_id)::int as events, max(seq) as max,
              (select count(*)::int from audit_event e where e.org_id = ?
                  and not exists (select 1 from audit_chain c where c.event_id = e.id)) as unsealed
         from audit_chain where org_id = ?`,
      [orgId, orgId],
    );
    expect(stats).toEqual({ n: N + 2, events: N + 2, max: String(N + 2), unsealed: 0 });
    expect(await verify(key)).toMatchObject({ valid: true, checked: N + 2, headSeq: N + 2 });
  });
});

describe('tRPC auditLog', () => {
  it('lists, verifies and streams the CSV like the REST routes', async () => {
    const { orgId, key } = await t().newOrg('trpc');
    await insertEvents(orgId, FIVE, 'trpc');
    const headers = () => ({ authorization: `Bearer ${key}` });
    const client = createTRPCClient<AppRouter>({
      links: [httpBatchLink({ url: `${t().url}/trpc`, transformer: superjson, headers })],
    });
    const page = await client.auditLog.list.query({ action: 'policy_rule.block', limit: 10 });
    expect(page.events.map((e) => untag(e.id))).toEqual(['evt_l3']);
    expect(page.total).toBe(1);
    expect((await client.auditLog.verify.query()).valid).toBe(true);

    const streaming = createTRPCClient<AppRouter>({
      links: [httpBatchStreamLink({ url: `${t().url}/trpc`, transformer: superjson, headers })],
    });
    let text = '';
    for await (const chunk of await streaming.auditLog.csv.query({
      startDate: '2026-03-01',
      endDate: '2026-03-31',
    })) {
      text += chunk;
    }
    const rest = await t().call(
      'GET',
      '/api/v1/audit-log/csv?startDate=2026-03-01&endDate=2026-03-31',
      undefined,
      {
        key,
      },
    );
    expect(text).toBe(rest.text);
    expect(parseCsv(text)).toHaveLength(6);
  });
});
