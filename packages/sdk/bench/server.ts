/**
 * The Reins server of `wrap.bench.ts`, in a CHILD process so that its CPU does not sit on the
 * event loop of the client being measured. It is the SDK tests' server (`startTestServer` from
 * `@reins/server/testing`: a fresh database, migrations, the real HTTP server) with the per-key
 * rate limit off, one organization per benchmark variant and the same rules in each, plus an IPC
 * channel: `ready` (url and orgs), and on request the transactions recorded per org and this
 * process's CPU time. The database is dropped when the benchmark stops it (SIGTERM) or goes away.
 *
 * Run by `wrap.bench.ts` as `node --import tsx bench/server.ts` with an IPC stdio slot.
 */
import { startTestServer } from '@reins/server/testing';
import type { BenchOrg, OrgName, ParentMessage, ServerMessage, TxCount } from './protocol.js';
import { BENCH_RULES, ORG_NAMES } from './protocol.js';

if (!process.send) throw new Error('bench/server.ts runs as a child of wrap.bench.ts (IPC)');
const send = process.send.bind(process) as (m: ServerMessage) => boolean;

const s = await startTestServer('sdk-wrap-bench', {
  REINS_RATE_LIMIT_RPS: 0,
  LOG_LEVEL: 'warn',
});

const orgs = {} as Record<OrgName, BenchOrg>;
for (const name of ORG_NAMES) {
  const org = await s.newOrg(`bench ${name}`);
  for (const rule of BENCH_RULES) {
    const res = await s.call('POST', '/api/policy-rules', rule, { key: org.key });
    if (res.status !== 201) throw new Error(`rule "${rule.name}": ${res.status} ${res.text}`);
  }
  orgs[name] = org;
}

async function counts(): Promise<TxCount[]> {
  const rows = await s.sql<{
    org_id: string;
    phase: string;
    status: string;
    n: string;
    tokens_in: string;
    tokens_out: string;
    amount_micros: string;
  }>(
    `select org_id, phase, status, count(*)::text as n, sum(tokens_in)::text as tokens_in,
            sum(tokens_out)::text as tokens_out, sum(amount_micros)::text as amount_micros
       from transaction_record group by org_id, phase, status`,
  );
  const byId = new Map(Object.entries(orgs).map(([name, o]) => [o.orgId, name]));
  return rows.map((r) => ({
    org: byId.get(r.org_id) ?? r.org_id,
    phase: r.phase,
    status: r.status,
    n: Number(r.n),
    tokensIn: Number(r.tokens_in),
    tokensOut: Number(r.tokens_out),
    amountMicros: Number(r.amount_micros),
  }));
}

process.on('message', (m: ParentMessage) => {
  if (m.type === 'cpu') {
    const cpu = process.cpuUsage();
    send({ type: 'cpu', ms: (cpu.user + cpu.system) / 1000 });
  } else {
    counts().then(
      (rows) => send({ type: 'counts', rows }),
      (err: unknown) => send({ type: 'error', message: String(err) }),
    );
  }
});

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  s.close().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// The benchmark went away (crash, kill -9): do not outlive it, drop the database.
process.on('disconnect', stop);

const [db] = await s.sql<{ name: string }>('select current_database() as name');
send({ type: 'ready', url: s.url, orgs, database: db?.name ?? '' });
