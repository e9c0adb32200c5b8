/**
 * `pnpm bench:audit-csv` (server): the audit log's CSV export over HTTP, on a real PostgreSQL.
 *
 * 1. Creates a fresh database `reins_bench_audit_<random>` on the local PostgreSQL, migrates it,
 *    and inserts --events audit events (default 1,000,000) into one organization with
 *    `insert … select … from generate_series` (in 250,000-row statements).
 * 2. Starts the server in a CHILD process (this file with `--serve`: `startServer(readEnv())`
 *    plus a sampler that reports its RSS and heap every 20 ms over IPC), sealer off so that only
 *    the export runs. Waits for /health.
 * 3. Streams `GET /api/v1/audit-log/csv` and counts bytes and rows as they arrive (nothing is
 *    kept), checking the header and the row count. Then the same with `action=transaction.blocked`
 *    (a filter that matches one event in ten).
 * 4. Seals --seal events (default 100,000) of the backlog in this process with `sealOrg`, and
 *    walks them with `verifyChain` (events/s of each).
 * 5. Prints a summary, stops the child and drops the database — also on failure or Ctrl-C.
 *
 * PostgreSQL: TEST_DATABASE_URL or DATABASE_URL if set (its server), else
 * postgres://postgres@127.0.0.1:5432/postgres.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  createDatabase,
  dropDatabase,
  initOrm,
  migrateUp,
  testServerUrl,
  type Orm,
} from '@reins/db';

const here = dirname(fileURLToPath(import.meta.url));
const serverDir = join(here, '..');
const HEADER = 'id,eventType,occurredAt,actor,entityType,entityId,vendor,action';
const BOOTSTRAP_KEY = 'rk_bench_AuditCsvBenchKey000000000001';

interface Sample {
  rss: number;
  heapUsed: number;
}
type ChildMessage = { type: 'ready'; url: string } | { type: 'peak'; peak: Sample; base: Sample };

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    serve: { type: 'boolean', default: false },
    events: { type: 'string', default: '1000000' },
    seal: { type: 'string', default: '100000' },
  },
});

/** The child: the server as `src/main.ts` starts it, plus a memory sampler. */
async function serve(): Promise<void> {
  if (!process.send) throw new Error('--serve runs as a child of audit-csv.bench.ts (IPC)');
  const send = process.send.bind(process);
  const { readEnv } = await import('../src/env.js');
  const { startServer } = await import('../src/server.js');
  const server = await startServer(readEnv());
  const sample = (): Sample => {
    const m = process.memoryUsage();
    return { rss: m.rss, heapUsed: m.heapUsed };
  };
  let base = sample();
  let peak = base;
  setInterval(() => {
    const s = sample();
    peak = { rss: Math.max(peak.rss, s.rss), heapUsed: Math.max(peak.heapUsed, s.heapUsed) };
  }, 20).unref();
  process.on('message', (msg) => {
    if (msg === 'reset') {
      base = sample();
      peak = base;
    } else if (msg === 'peak') {
      send({ type: 'peak', peak, base } satisfies ChildMessage);
    }
  });
  const stop = () => {
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('disconnect', stop);
  send({ type: 'ready', url: server.url } satisfies ChildMessage);
}

class Child {
  private readonly waiters: ((m: ChildMessage) => void)[] = [];
  readonly output: string[] = [];
  constructor(readonly proc: ChildProcess) {
    proc.on('message', (m: ChildMessage) => this.waiters.shift()?.(m));
    const keep = (chunk: Buffer) => {
      this.output.push(chunk.toString());
      if (this.output.length > 100) this.output.shift();
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
  }
  next(): Promise<ChildMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`the server child did not answer:\n${this.output.join('')}`));
      }, 60_000);
      this.waiters.push((m) => {
        clearTimeout(timer);
        resolve(m);
      });
    });
  }
  async ask(msg: string): Promise<ChildMessage> {
    const answer = this.next();
    this.proc.send(msg);
    return answer;
  }
}

function startChild(databaseUrl: string): Child {
  const proc = spawn(
    process.execPath,
    ['--max-semi-space-size=16', '--import', 'tsx', join('bench', 'audit-csv.bench.ts'), '--serve'],
    {
      cwd: serverDir,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: '0',
        DATABASE_URL: databaseUrl,
        REINS_BOOTSTRAP_KEY: BOOTSTRAP_KEY,
        REINS_KEY_ENV: 'bench',
        REINS_RATE_LIMIT_RPS: '0',
        REINS_AUDIT_SEAL_MS: '0',
        LOG_LEVEL: 'warn',
      },
    },
  );
  return new Child(proc);
}

const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MB`;
const rate = (n: number, ms: number) => Math.round((n / ms) * 1000).toLocaleString('en-US');

interface Export {
  rows: number;
  bytes: number;
  ms: number;
  firstByteMs: number;
  peak: Sample;
  base: Sample;
}

async function exportCsv(child: Child, url: string, query: string): Promise<Export> {
  child.proc.send('reset');
  const started = performance.now();
  const res = await fetch(`${url}/api/v1/audit-log/csv${query}`, {
    headers: { authorization: `Bearer ${BOOTSTRAP_KEY}` },
  });
  if (res.status !== 200 || !res.body) throw new Error(`CSV export answered ${res.status}`);
  let firstByteMs = 0;
  let bytes = 0;
  let rows = -1; // the header
  let head = '';
  const decoder = new TextDecoder();
  for await (const part of res.body as AsyncIterable<Uint8Array>) {
    if (bytes === 0) firstByteMs = performance.now() - started;
    bytes += part.byteLength;
    if (head.length < HEADER.length + 2) head += decoder.decode(part).slice(0, 200);
    // No value of this data set contains a line break: records = CRLFs.
    for (let i = part.indexOf(13); i !== -1; i = part.indexOf(13, i + 1)) {
      if (part[i + 1] === 10 || i === part.length - 1) rows += 1;
    }
  }
  const ms = performance.now() - started;
  if (!head.startsWith(`${HEADER}\r\n`)) throw new Error(`unexpected header: ${head.slice(0, 80)}`);
  const m = await child.ask('peak');
  if (m.type !== 'peak') throw new Error('unexpected child message');
  return { rows, bytes, ms, firstByteMs, peak: m.peak, base: m.base };
}

async function main(): Promise<void> {
  const events = Number(args.events);
  const toSeal = Number(args.seal);
  const serverUrl = testServerUrl() ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const database = `reins_bench_audit_${randomBytes(4).toString('hex')}`;
  const databaseUrl = await createDatabase(serverUrl, database);
  let orm: Orm | undefined;
  let child: Child | undefined;
  const cleanup = async () => {
    child?.proc.kill('SIGTERM');
    await orm?.close().catch(() => undefined);
    await dropDatabase(serverUrl, database);
  };
  process.once('SIGINT', () => {
    void cleanup().finally(() => process.exit(130));
  });
  try {
    orm = await initOrm(databaseUrl, { maxConnections: 4 });
    await migrateUp(orm);
    child = startChild(databaseUrl);
    const ready = await child.next();
    if (ready.type !== 'ready') throw new Error('unexpected child message');
    const url = ready.url;
    const [org] = await orm.em
      .fork()
      .getConnection()
      .execute<{ org_id: string }[]>(`select org_id from api_key limit 1`);
    if (!org) throw new Error('no bootstrap organization');
    const knex = orm.em.getConnection().getKnex();

    let t0 = performance.now();
    const STEP = 250_000;
    for (let from = 1; from <= events; from += STEP) {
      const to = Math.min(events, from + STEP - 1);
      await knex.raw(
        `insert into audit_event (id, org_id, event_type, occurred_at, actor, entity_type, entity_id, metadata)
         select 'evt_bench_' || lpad(i::text, 8, '0'), ?, 
                case when i % 10 = 0 then 'transaction.blocked' else 'transaction.recorded' end,
                timestamptz '2026-01-01T00:00:00Z' + i * interval '10 milliseconds',
                'agent:bench-' || (i % 100), 'transaction', 'txn_bench_' || i,
                jsonb_build_object('vendor', (array['openai','anthropic','google','cohere'])[1 + i % 4],
                  'model', 'gpt-4o', 'amountCents', i % 5000, 'amountMicros', (i % 5000) * 10000,
                  'ruleId', case when i % 10 = 0 then 'rule_bench' end,
                  'ruleName', case when i % 10 = 0 then 'Block, "quoted"' end,
                  'action', case when i % 10 = 0 then 'block' else 'pass' end)
           from generate_series(?::int, ?::int) as s(i)`,
        [org.org_id, from, to],
      );
    }
    await knex.raw('analyze audit_event');
    const insertMs = performance.now() - t0;

    const all = await exportCsv(child, url, '');
    if (all.rows !== events + 2) {
      throw new Error(`exported ${all.rows} rows, expected ${events + 2}`);
    }
    const blocked = await exportCsv(child, url, '?action=transaction.blocked');
    if (blocked.rows !== Math.floor(events / 10)) {
      throw new Error(`exported ${blocked.rows} blocked rows, expected ${Math.floor(events / 10)}`);
    }

    const { sealOrg, verifyChain } = await import('@reins/ledger');
    const { sqlOf } = await import('@reins/ledger');
    t0 = performance.now();
    const sealed = await sealOrg(orm, org.org_id, { maxBatches: Math.ceil(toSeal / 1000) });
    const sealMs = performance.now() - t0;
    t0 = performance.now();
    const verified = await verifyChain(sqlOf(orm.em.fork()), org.org_id);
    const verifyMs = performance.now() - t0;
    if (!verified.valid) throw new Error(`chain invalid: ${JSON.stringify(verified)}`);

    const line = (name: string, e: Export) =>
      `| ${name} | ${e.rows.toLocaleString('en-US')} | ${mb(e.bytes)} | ${(e.ms / 1000).toFixed(2)} s | ` +
      `${rate(e.rows, e.ms)} | ${e.firstByteMs.toFixed(0)} ms | ${mb(e.base.rss)} → ${mb(e.peak.rss)} | ` +
      `${mb(e.base.heapUsed)} → ${mb(e.peak.heapUsed)} |`;
    console.log(
      [
        `Audit CSV export, ${events.toLocaleString('en-US')} events (inserted in ${(insertMs / 1000).toFixed(1)} s), Node ${process.version}`,
        '',
        '| export | rows | bytes | time | rows/s | first byte | server RSS (start → peak) | server heap (start → peak) |',
        '|---|---|---|---|---|---|---|---|',
        line('whole log', all),
        line('action=transaction.blocked', blocked),
        '',
        `Sealing: ${sealed.toLocaleString('en-US')} events in ${(sealMs / 1000).toFixed(1)} s (${rate(sealed, sealMs)} events/s, batches of 1,000).`,
        `Verifying: ${verified.checked.toLocaleString('en-US')} events in ${(verifyMs / 1000).toFixed(1)} s (${rate(verified.checked, verifyMs)} events/s).`,
      ].join('\n'),
    );
  } finally {
    await cleanup();
  }
}

if (args.serve) await serve();
else await main();
