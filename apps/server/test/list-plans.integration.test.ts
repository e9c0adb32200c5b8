/**
 * Every documented filter combination of the two history lists is planned on an index, for the
 * first page and for a page by cursor: with enough rows loaded (and analyzed) that a scan of the
 * table would be the planner's choice if no index served a filter, a filter cannot silently fall
 * back to one. The SQL is the services' own (listTransactionsQueries, listAuditQueries).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor, keyOf } from '../src/lib/keyset.js';
import { parseInput } from '../src/schemas/common.js';
import { listAuditInput } from '../src/schemas/audit.js';
import { listTransactionsInput } from '../src/schemas/transactions.js';
import { ensurePartitionsSql } from '@reins/db';
import { countAuditEventsSql, countTransactionsSql, type Cursor } from '@reins/ledger';
import { auditCountFilterOf, listAuditQueries } from '../src/services/auditLog.js';
import { countFilterOf, listTransactionsQueries } from '../src/services/transactions.js';
import { useTestServer } from './harness.js';

const t = useTestServer('list_plans');

const ROWS = 80_000;
/** Rows are spread over 80 days before this instant, one a minute and a half. */
const END = '2026-06-01T00:00:00.000000Z';

let orgId = '';

/** Each month partition's index → the table's index it belongs to (`…_p202604_org_id_…_idx`). */
let parentIndex = new Map<string, string>();
/** Partitions of at most one page (the months ahead, this month's few events). */
let tinyPartitions = new Set<string>();

/**
 * The plan's text, one node a line, as if the tables were not partitioned: partitions' indexes
 * named by the table's index they belong to, and the scans of partitions of at most one page (a
 * month ahead, the default one: a scan reads what an index would) left out.
 */
async function plan(sql: string, params: unknown[]): Promise<string> {
  const rows = await t().sql<{ 'QUERY PLAN': string }>(`explain ${sql}`, params);
  const out: string[] = [];
  let skipping = -1;
  for (const line of rows.map((r) => r['QUERY PLAN'])) {
    const indent = line.search(/\S/);
    if (skipping >= 0 && indent > skipping) continue;
    skipping = -1;
    const seq = /Seq Scan on (\w+)/.exec(line);
    if (seq && tinyPartitions.has(seq[1] ?? '')) {
      skipping = indent;
      continue;
    }
    out.push(line.replace(/\b(\w+_p\d{6}_\w+|\w+_default_\w+)\b/g, (m) => parentIndex.get(m) ?? m));
  }
  return out.join('\n');
}

/**
 * A sort of more than a few rows. Across month partitions the planner sorts what a selective
 * filter's index ranges return (tens of rows, each partition read by its index) rather than
 * merge them in order; a sort of a wide range — the history read to be ordered — is what must
 * not happen. (A Merge Append's `Sort Key` is the merge of ordered index scans: no sort node.)
 */
const BIG_SORT = /(^|->\s+)(Incremental )?Sort\s+\(cost=[\d.]+ rows=(\d{4,})/m;

/** Every subset of `entries`, as objects. */
function subsets(entries: [string, unknown][]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let mask = 0; mask < 1 << entries.length; mask++) {
    out.push(Object.fromEntries(entries.filter((_, i) => (mask >> i) & 1)));
  }
  return out;
}

/** A position in the middle of the history: a cursor page there reads as much as a first page. */
const MIDDLE = encodeCursor({ at: '2026-04-20T12:00:00.123456Z', id: 'zzz' });

beforeAll(async () => {
  // The history's months exist (as the partitions job would have made them), so that its rows
  // are spread over their months like a real history's.
  for (const sql of ensurePartitionsSql(new Date('2026-03-01T00:00:00Z'), 3)) await t().sql(sql);
  ({ orgId } = await t().newOrg('Plans'));
  // Distributions like a governed org's: most calls pass; a few vendors, 50 agents, 500 users.
  await t().sql(
    `insert into transaction_record
       (id, org_id, vendor, model, agent_id, user_id, amount_micros, amount_cents, occurred_at,
        created_at, action, admitted, policy_result, evaluation, review_state)
     select 'txn_plan' || lpad(i::text, 8, '0'), ?,
            (array['openai','anthropic','google','cohere','mistral','perplexity'])[1 + i % 6],
            'gpt-4', 'agent-' || (i % 50), 'user-' || (i % 500), 1000000, 1,
            ?::timestamptz - (i * interval '90 seconds'),
            ?::timestamptz - (i * interval '90 seconds'),
            a.action, a.action <> 'block', '{}', '{}',
            case when a.action = 'flag' then (case when i % 3 = 0 then 'open' else 'approved' end) end
       from generate_series(1, ?) as i,
            lateral (select case when i % 50 = 0 then 'block' when i % 33 = 0 then 'flag'
                                 when i % 20 = 0 then 'warn' else 'pass' end as action) a`,
    [orgId, END, END, ROWS],
  );
  await t().sql(
    `insert into audit_event (id, org_id, event_type, occurred_at, actor, entity_type, entity_id, metadata)
     select 'evt_plan' || lpad(i::text, 8, '0'), ?, e.type, ?::timestamptz - (i * interval '90 seconds'),
            'agent:a', e.entity, 'x' || i,
            case when e.type like 'transaction.%' and e.type <> 'transaction.recorded'
                 then jsonb_build_object('action', e.action, 'ruleId', 'rule_1')
                 else jsonb_build_object('action', 'pass', 'ruleId', null) end
       from generate_series(1, ?) as i,
            lateral (select case when i % 50 = 0 then 'transaction.blocked'
                                 when i % 33 = 0 then 'transaction.flagged'
                                 when i % 500 = 0 then 'api_key.created'
                                 when i % 700 = 0 then 'policy_rule.updated'
                                 else 'transaction.recorded' end as type,
                            case when i % 50 = 0 then 'block' else 'flag' end as action,
                            case when i % 500 = 0 and i % 50 <> 0 and i % 33 <> 0 then 'api_key'
                                 when i % 700 = 0 and i % 50 <> 0 and i % 33 <> 0 then 'policy_rule'
                                 else 'transaction' end as entity) e`,
    [orgId, END, ROWS],
  );
  await t().sql('analyze transaction_record');
  await t().sql('analyze audit_event');
  const indexes = await t().sql<{ child: string; parent: string }>(
    `select c.relname as child, p.relname as parent
       from pg_inherits i join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent
      where c.relkind = 'i' and p.relname like any (array['transaction_record%', 'audit_event%'])`,
  );
  parentIndex = new Map(indexes.map((r) => [r.child, r.parent]));
  const tiny = await t().sql<{ name: string }>(
    `select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent in ('transaction_record'::regclass, 'audit_event'::regclass)
        and c.relpages <= 1`,
  );
  tinyPartitions = new Set(tiny.map((r) => r.name));
  // The history is in its months: what the plans below read is more than one partition.
  for (const m of ['202603', '202604', '202605']) {
    expect(tinyPartitions.has(`transaction_record_p${m}`)).toBe(false);
    expect(tinyPartitions.has(`audit_event_p${m}`)).toBe(false);
  }
}, 120_000);

const TX_FILTERS: [string, unknown][] = [
  ['vendor', 'anthropic'],
  ['agentId', 'agent-7'],
  ['userId', 'user-42'],
  ['action', 'block'],
  ['review', 'open'],
  ['startDate', '2026-04-01'],
  ['endDate', '2026-04-30'],
];

/** The index each single filter is meant to use (dates alone: the org index). */
const TX_INDEX: Record<string, string> = {
  none: 'transaction_record_org_occurred_index',
  vendor: 'transaction_record_org_vendor_key_index',
  agentId: 'transaction_record_org_agent_key_index',
  userId: 'transaction_record_org_user_key_index',
  action: 'transaction_record_org_action_key_index',
  review: 'transaction_record_org_review_key_index',
};

describe('GET /api/v1/transactions plans', () => {
  const combos = subsets(TX_FILTERS);
  it(`plans all ${String(combos.length * 2)} filter combinations (first page and cursor) on indexes`, async () => {
    const scans: string[] = [];
    for (const filters of combos) {
      for (const cursor of [undefined, MIDDLE]) {
        const q = parseInput(listTransactionsInput, { ...filters, limit: 50, cursor });
        const { page } = listTransactionsQueries(orgId, q);
        const text = await plan(page.sql, page.params);
        if (/Seq Scan on transaction_record/.test(text) || !/Index.*Scan/.test(text)) {
          scans.push(`${JSON.stringify(filters)} cursor=${String(Boolean(cursor))}\n${text}`);
        }
      }
    }
    expect(scans).toEqual([]);
  });

  it.each(Object.keys(TX_INDEX))(
    'reads the %s filter as one ordered range scan of its index, with or without dates and cursor',
    async (name) => {
      const base = name === 'none' ? {} : { [name]: TX_FILTERS.find(([k]) => k === name)?.[1] };
      for (const extra of [{}, { startDate: '2026-04-01', endDate: '2026-04-30' }]) {
        for (const cursor of [undefined, MIDDLE]) {
          const q = parseInput(listTransactionsInput, { ...base, ...extra, limit: 50, cursor });
          const { page } = listTransactionsQueries(orgId, q);
          const text = await plan(page.sql, page.params);
          expect(text).toContain(`Index Scan using ${TX_INDEX[name] ?? ''} on transaction_record`);
          expect(text).not.toMatch(BIG_SORT);
          expect(text).not.toContain('Seq Scan');
        }
      }
    },
  );

  it('answers action=pass (most rows, outside the partial index) from the org index', async () => {
    const { page } = listTransactionsQueries(
      orgId,
      parseInput(listTransactionsInput, { action: 'pass', cursor: MIDDLE }),
    );
    const text = await plan(page.sql, page.params);
    expect(text).toContain('Index Scan using transaction_record_org_occurred_index');
    expect(text).not.toMatch(BIG_SORT);
    expect(text).not.toContain('Seq Scan');
  });
});

const AUDIT_ACTIONS = [
  undefined,
  'policy_rule.block',
  'transaction.blocked',
  'transaction.recorded',
  'transaction',
  'api_key',
];
const AUDIT_ENTITIES = [undefined, 'api_key', 'transaction'];
const AUDIT_DATES = [
  {},
  { startDate: '2026-04-01' },
  { startDate: '2026-04-01', endDate: '2026-04-30' },
];

describe('GET /api/v1/audit-log plans', () => {
  it('plans every filter combination (first page and cursor) on indexes', async () => {
    const scans: string[] = [];
    let n = 0;
    for (const action of AUDIT_ACTIONS) {
      for (const entityType of AUDIT_ENTITIES) {
        for (const dates of AUDIT_DATES) {
          for (const cursor of [undefined, MIDDLE]) {
            const q = parseInput(listAuditInput, { action, entityType, ...dates, cursor });
            const { page } = listAuditQueries(orgId, q);
            const text = await plan(page.sql, page.params);
            n += 1;
            if (/Seq Scan on audit_event/.test(text) || !/Index.*Scan/.test(text)) {
              scans.push(`${JSON.stringify({ action, entityType, ...dates, cursor })}\n${text}`);
            }
          }
        }
      }
    }
    expect(n).toBe(AUDIT_ACTIONS.length * AUDIT_ENTITIES.length * AUDIT_DATES.length * 2);
    expect(scans).toEqual([]);
  });

  it.each([
    [{}, 'audit_event_org_occurred_index'],
    [{ action: 'policy_rule.block' }, 'audit_event_org_rule_action_key_index'],
    [{ action: 'transaction.blocked' }, 'audit_event_org_type_key_index'],
    [{ action: 'transaction.recorded' }, 'audit_event_org_occurred_index'],
    [{ entityType: 'api_key' }, 'audit_event_org_entity_key_index'],
    [{ entityType: 'transaction' }, 'audit_event_org_occurred_index'],
  ])('reads %j as one ordered range scan of %s, first page and cursor', async (filters, index) => {
    for (const cursor of [undefined, MIDDLE]) {
      const { page } = listAuditQueries(orgId, parseInput(listAuditInput, { ...filters, cursor }));
      const text = await plan(page.sql, page.params);
      expect(text).toContain(`Index Scan using ${index} on audit_event`);
      expect(text).not.toMatch(BIG_SORT);
      expect(text).not.toContain('Seq Scan');
    }
  });

  it('reads an event type prefix (action=api_key) from the type index, without a scan', async () => {
    for (const cursor of [undefined, MIDDLE]) {
      const q = parseInput(listAuditInput, { action: 'api_key', cursor });
      const { page } = listAuditQueries(orgId, q);
      const text = await plan(page.sql, page.params);
      expect(text).toContain('Bitmap Index Scan on audit_event_org_type_key_index');
      expect(text).not.toContain('Seq Scan');
    }
  });
});

/**
 * The rollups' cursor if they had absorbed every event loaded: what `total` reads in steady state
 * (the rollup rows, an empty tail past the cursor, the raw rows of the edges).
 */
async function absorbedCursor(): Promise<Cursor> {
  const [c] = await t().sql<Cursor>(
    `select xid::text as xid, pos::text as pos from audit_event where org_id = ?
      order by xid desc, pos desc limit 1`,
    [orgId],
  );
  return c ?? { xid: '0', pos: '0' };
}

describe('totals plans', () => {
  it('count no filter combination over the history: rollups, the tail and the edges by index', async () => {
    const cursor = await absorbedCursor();
    const scans: string[] = [];
    for (const filters of subsets(TX_FILTERS.filter(([k]) => k !== 'review'))) {
      const q = parseInput(listTransactionsInput, filters);
      const text = await plan(countTransactionsSql(orgId, countFilterOf(q), cursor), []);
      if (/Seq Scan on (transaction_record|audit_event)/.test(text)) {
        scans.push(`${JSON.stringify(filters)}\n${text}`);
      }
    }
    for (const action of AUDIT_ACTIONS) {
      for (const entityType of AUDIT_ENTITIES) {
        for (const dates of AUDIT_DATES) {
          const q = parseInput(listAuditInput, { action, entityType, ...dates });
          const text = await plan(countAuditEventsSql(orgId, auditCountFilterOf(q), cursor), []);
          if (/Seq Scan on audit_event/.test(text)) {
            scans.push(`${JSON.stringify({ action, entityType, ...dates })}\n${text}`);
          }
        }
      }
    }
    expect(scans).toEqual([]);
  });
});

/** `LIST_PLANS=1`: prints the plan of each single filter (docs/lists.md quotes them). */
describe.runIf(process.env.LIST_PLANS)('plans, printed', () => {
  it('prints', async () => {
    const tx: Record<string, unknown>[] = [{}, ...TX_FILTERS.map(([k, v]) => ({ [k]: v }))];
    for (const filters of tx) {
      const q = parseInput(listTransactionsInput, { ...filters, cursor: MIDDLE });
      const { page } = listTransactionsQueries(orgId, q);
      console.log(
        `transactions ${JSON.stringify(filters)} + cursor\n${await plan(page.sql, page.params)}\n`,
      );
    }
    // A deep page both ways: the cursor of the row at offset 70,000, and that offset.
    const [deep] = await t().sql<{ at: string; id: string }>(
      `select ${keyOf('occurred_at')} as at, id from transaction_record where org_id = ?
        order by occurred_at desc, id desc offset 69999 limit 1`,
      [orgId],
    );
    const deepCursor = encodeCursor({ at: deep?.at ?? '', id: deep?.id ?? '' });
    for (const input of [{}, { cursor: deepCursor }, { offset: 70_000 }]) {
      const { page } = listTransactionsQueries(orgId, parseInput(listTransactionsInput, input));
      const rows = await t().sql<{ 'QUERY PLAN': string }>(
        `explain (analyze, timing off) ${page.sql}`,
        page.params,
      );
      const time = rows.map((r) => r['QUERY PLAN']).find((l) => l.startsWith('Execution Time'));
      console.log(`transactions page of 50 ${JSON.stringify(input)}: ${time ?? '?'}`);
    }
    const audit: Record<string, unknown>[] = [
      {},
      ...AUDIT_ACTIONS.filter(Boolean).map((action) => ({ action })),
      { entityType: 'api_key' },
      { entityType: 'transaction' },
    ];
    for (const filters of audit) {
      const q = parseInput(listAuditInput, { ...filters, cursor: MIDDLE });
      const { page } = listAuditQueries(orgId, q);
      console.log(
        `audit ${JSON.stringify(filters)} + cursor\n${await plan(page.sql, page.params)}\n`,
      );
    }
    const cursor = await absorbedCursor();
    for (const filters of [{}, { vendor: 'anthropic', startDate: '2026-04-01T10:07:00Z' }]) {
      const q = parseInput(listTransactionsInput, filters);
      const text = await plan(countTransactionsSql(orgId, countFilterOf(q), cursor), []);
      console.log(`transactions total ${JSON.stringify(filters)}\n${text}\n`);
    }
    for (const filters of [{}, { action: 'policy_rule.block', endDate: '2026-04-30' }]) {
      const q = parseInput(listAuditInput, filters);
      const text = await plan(countAuditEventsSql(orgId, auditCountFilterOf(q), cursor), []);
      console.log(`audit total ${JSON.stringify(filters)}\n${text}\n`);
    }
  });
});
