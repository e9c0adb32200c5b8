/**
 * `pnpm --filter @reins/server bench:attack`: what an attacker, a slow client and a crowd of
 * exports do to the service everyone else uses (issue 14's findings 1–3).
 *
 * A server process (`src/main.ts`, a child) on a fresh database of the local PostgreSQL, with
 * 60,000 audit events in its organization (one CSV export ≈ 4 MB). Two probes run through every
 * phase, one request in flight each, every 50 ms: `GET /health` and `POST /api/v1/transactions`.
 * Phases, each bounded in time:
 *
 * 1. idle — the probes alone;
 * 2. 10 exports — ten clients downloading the audit CSV over and over;
 * 3. 100 stalled exports — a hundred clients that request the CSV and never read it;
 * 4. 1,000 slow bodies — connections without a key announcing a 100 KB body that never comes;
 * 5. flood — 64 clients sending well-formed random keys as fast as they are answered.
 *
 * Reported per phase: the probes' p50/p99 and failures, and what the attack got (answers by
 * status, connections the server closed). `--server-dir <apps/server of another checkout>` runs
 * that checkout's server under the same attacks (before/after comparisons); `--out <file>`.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createDatabase, dropDatabase, initOrm, testServerUrl } from '@reins/db';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    'server-dir': { type: 'string' },
    out: { type: 'string' },
    seconds: { type: 'string', default: '8' },
  },
});
const serverDir = resolve(args['server-dir'] ?? join(here, '..'));
const PHASE_MS = Number(args.seconds) * 1000;
const KEY = 'rk_bench_AttackBenchAdminKey000000001';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
}
const round = (x: number) => Math.round(x * 10) / 10;

async function timed(url: string, init: RequestInit): Promise<{ ms: number; status: number }> {
  const started = performance.now();
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(5000) });
    await res.arrayBuffer();
    return { ms: performance.now() - started, status: res.status };
  } catch {
    return { ms: performance.now() - started, status: 0 };
  }
}

/** The two probes, until `stop` resolves. */
async function probes(base: string, stop: Promise<void>) {
  const health: number[] = [];
  const tx: number[] = [];
  let failed = 0;
  let done = false;
  void stop.then(() => (done = true));
  const loop = async (fn: () => Promise<{ ms: number; status: number }>, into: number[]) => {
    while (!done) {
      const r = await fn();
      if (r.status >= 200 && r.status < 300) into.push(r.ms);
      else failed += 1;
      await sleep(50);
    }
  };
  await Promise.all([
    loop(() => timed(`${base}/health`, {}), health),
    loop(
      () =>
        timed(`${base}/api/v1/transactions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({ amount: 1, vendor: 'openai', agentId: 'probe' }),
        }),
      tx,
    ),
  ]);
  return {
    healthP50: round(percentile(health, 50)),
    healthP99: round(percentile(health, 99)),
    txP50: round(percentile(tx, 50)),
    txP99: round(percentile(tx, 99)),
    probeFailures: failed,
    samples: health.length + tx.length,
  };
}

function rawSocket(base: string): Socket {
  const u = new URL(base);
  const s = connect(Number(u.port), u.hostname);
  s.on('error', () => undefined);
  return s;
}

type Attack = (base: string, stop: Promise<void>) => Promise<Record<string, unknown>>;

const attacks: Record<string, Attack> = {
  idle: () => Promise.resolve({}),
  '10 exports': async (base, stop) => {
    let done = false;
    void stop.then(() => (done = true));
    const statuses: Record<string, number> = {};
    let bytes = 0;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (!done) {
          try {
            const res = await fetch(`${base}/api/v1/audit-log/csv`, {
              headers: { authorization: `Bearer ${KEY}` },
            });
            statuses[res.status] = (statuses[res.status] ?? 0) + 1;
            bytes += (await res.arrayBuffer()).byteLength;
            if (res.status === 429) await sleep(1000);
          } catch {
            statuses.error = (statuses.error ?? 0) + 1;
          }
        }
      }),
    );
    return { statuses, mbDownloaded: round(bytes / 2 ** 20) };
  },
  '100 stalled exports': async (base, stop) => {
    const sockets: Socket[] = [];
    const statuses: Record<string, number> = {};
    for (let i = 0; i < 100; i++) {
      const s = rawSocket(base);
      s.once('data', (d: Buffer) => {
        const status = /^HTTP\/1\.1 (\d{3})/.exec(d.toString('latin1'))?.[1] ?? '?';
        statuses[status] = (statuses[status] ?? 0) + 1;
        s.pause();
      });
      s.write(
        `GET /api/v1/audit-log/csv HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY}\r\n\r\n`,
      );
      sockets.push(s);
    }
    await stop;
    const closedByServer = sockets.filter((s) => s.destroyed || s.readableEnded).length;
    for (const s of sockets) s.destroy();
    return { statuses, closedByServer };
  },
  '1,000 slow bodies': async (base, stop) => {
    const sockets: Socket[] = [];
    const statuses: Record<string, number> = {};
    let closed = 0;
    for (let i = 0; i < 1000; i++) {
      const s = rawSocket(base);
      s.once('data', (d: Buffer) => {
        const status = /^HTTP\/1\.1 (\d{3})/.exec(d.toString('latin1'))?.[1] ?? '?';
        statuses[status] = (statuses[status] ?? 0) + 1;
      });
      s.once('close', () => (closed += 1));
      s.write(
        'POST /api/v1/transactions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
          'Content-Length: 100000\r\n\r\n{"amount":',
      );
      sockets.push(s);
    }
    await stop;
    for (const s of sockets) s.destroy();
    return { statuses, closedByServerWithinPhase: closed };
  },
  flood: async (base, stop) => {
    let done = false;
    void stop.then(() => (done = true));
    const statuses: Record<string, number> = {};
    let sent = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (!done) {
          const key = `rk_bench_${randomBytes(24).toString('base64url').replace(/[-_]/g, 'x')}`;
          const r = await timed(`${base}/api/keys`, {
            headers: { authorization: `Bearer ${key}` },
          });
          statuses[r.status] = (statuses[r.status] ?? 0) + 1;
          sent += 1;
        }
      }),
    );
    return { statuses, floodPerS: Math.round(sent / ((performance.now() - started) / 1000)) };
  },
};

async function main() {
  const serverUrl = testServerUrl() ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const database = `reins_bench_attack_${randomBytes(4).toString('hex')}`;
  const dbUrl = await createDatabase(serverUrl, database);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: serverDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: '0',
      DATABASE_URL: dbUrl,
      REINS_BOOTSTRAP_KEY: KEY,
      REINS_KEY_ENV: 'bench',
      REINS_RATE_LIMIT_RPS: '0',
      LOG_LEVEL: 'warn',
    },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const results: Record<string, unknown>[] = [];
  try {
    let base = '';
    for (let i = 0; i < 600 && !base; i++) {
      base = /Reins listening on (http:\/\/\S+)/.exec(out)?.[1] ?? '';
      if (!base) await sleep(100);
    }
    if (!base) throw new Error(`the server did not start:\n${out}`);
    const orm = await initOrm(dbUrl, { maxConnections: 1 });
    await orm.em
      .fork()
      .getConnection()
      .execute(
        `insert into audit_event (id, org_id, event_type, occurred_at, actor, entity_type, entity_id,
            metadata)
         select 'evt_atk' || g, (select id from organization limit 1), 'transaction.recorded',
                now() - g * interval '1 second', 'agent:support-bot', 'transaction',
                'txn_' || md5(g::text), '{"vendor":"openai","action":"pass"}'
           from generate_series(1, 60000) g`,
      );
    await orm.close();
    console.log(`attack bench: server ${serverDir} at ${base}, 60,000 audit events`);
    for (const [name, attack] of Object.entries(attacks)) {
      let end!: () => void;
      const stop = new Promise<void>((r) => (end = r));
      const timer = setTimeout(end, PHASE_MS);
      const [probe, got] = await Promise.all([probes(base, stop), attack(base, stop)]);
      clearTimeout(timer);
      const row = { phase: name, ...probe, attack: got };
      results.push(row);
      console.log(
        `attack bench: ${name}: /health p50 ${String(probe.healthP50)} ms (p99 ${String(probe.healthP99)}), ` +
          `transaction p50 ${String(probe.txP50)} ms (p99 ${String(probe.txP99)}), ` +
          `probe failures ${String(probe.probeFailures)}; attack ${JSON.stringify(got)}`,
      );
      await sleep(2000);
    }
    const file =
      args.out ??
      join(
        here,
        'results',
        `attack-${new Date().toISOString().replace(/[:.]/g, '').slice(0, 15)}Z.json`,
      );
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(
      file,
      `${JSON.stringify({ at: new Date().toISOString(), serverDir, phaseMs: PHASE_MS, results }, null, 2)}\n`,
    );
    console.log(`attack bench: results in ${file}`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await dropDatabase(serverUrl, database);
  }
}

await main();
