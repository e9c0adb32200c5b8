/**
 * The Reins server the Python SDK's tests talk to: the in-process test server (a fresh database,
 * a pinnable clock, the worker's jobs on demand), driven over stdin/stdout with one JSON object a
 * line, so that `python3 -m unittest` can start it, make organizations, seed the engine's golden
 * vectors, pin the clock, run the notify job, and stop and restart the listener for a real outage.
 *
 * Protocol: the first line is `{"ready": true, "url": …, "adminKey": …}`; then each request
 * `{"id": n, "op": …, …}` gets `{"id": n, "ok": true, "result": …}` or `{"id": n, "ok": false,
 * "error": "…"}`. End of stdin closes the server and drops its database.
 */
import { createInterface } from 'node:readline';
import type { AddressInfo } from 'node:net';
import {
  compile,
  evaluate,
  type Decision,
  type DecisionDetails,
  type TraceEntry,
} from '@reins/engine';
import { loadVectors, vectorInput, vectorRules, vectorWindows } from '@reins/engine/vectors';
import { ADMIN_KEY, startTestServer } from '@reins/server/testing';
import { seedVector, unsupportedOverHttp, vectorBody } from '@reins/server/testing/vectors';

type Request = Record<string, unknown> & { id: number; op: string };

const vectors = loadVectors();
const runnable = vectors.filter((v) => unsupportedOverHttp(v) === null);

/** The TypeScript engine's own decision for a vector: what the SDK's answer must agree with. */
function engineDecision(index: number): Decision {
  const v = runnable[index];
  if (!v) throw new Error(`no vector ${String(index)}`);
  return evaluate(compile(vectorRules(v)), vectorInput(v), vectorWindows(v), v.ctx);
}

function decisionJson(d: Decision) {
  const details: Partial<DecisionDetails> = d.details;
  return {
    action: d.action,
    admitted: d.admitted,
    ruleId: d.ruleId,
    ruleName: d.ruleName,
    message: d.message,
    details,
    shadow: d.shadow.map((s) => s.ruleId),
    trace: d.trace.map((t: TraceEntry) => ({
      ruleId: t.ruleId,
      matched: t.matched,
      reached: t.reached,
    })),
  };
}

async function main(): Promise<void> {
  // The notify job is registered (so that `runNow` finds it) but its timer never fires.
  const s = await startTestServer('sdk-python', { REINS_NOTIFY_MS: 3_600_000 });
  const http = s.server.app.server;
  const port = (http.address() as AddressInfo).port;

  const write = (value: unknown) => {
    process.stdout.write(`${JSON.stringify(value)}\n`);
  };

  const ops: Record<string, (r: Request) => Promise<unknown>> = {
    newOrg: async (r) => s.newOrg(typeof r.name === 'string' ? r.name : 'Python SDK'),
    clock: (r) => {
      s.clock.set(typeof r.at === 'number' || typeof r.at === 'string' ? r.at : null);
      return Promise.resolve(s.clock.pinned);
    },
    vectorCount: () => Promise.resolve({ runnable: runnable.length, all: vectors.length }),
    seedVector: async (r) => {
      const index = Number(r.index);
      const v = runnable[index];
      if (!v) throw new Error(`no vector ${String(index)}`);
      const seeded = await seedVector(s, v);
      s.clock.set(null);
      // Server rule id → the vector's rule id, for the Python side to map what it is answered.
      const rules = await s.sql<{ id: string }>('select id from policy_rule where org_id = ?', [
        seeded.orgId,
      ]);
      const idMap = Object.fromEntries(rules.map((x) => [x.id, seeded.mapId(x.id)]));
      return {
        name: `${v.file}: ${v.name}`,
        key: seeded.key,
        now: seeded.now,
        idMap,
        body: vectorBody(v),
        expect: v.expect,
        engine: decisionJson(engineDecision(index)),
      };
    },
    notify: async () => {
      const jobs = s.server.jobs;
      if (!jobs) throw new Error('the test server runs no jobs');
      await jobs.runNow('notify');
      return null;
    },
    // A real outage: the server stops listening (connections refused), then listens again on
    // the same port with the same database.
    down: async () => {
      await new Promise<void>((resolve, reject) => {
        http.close((err) => {
          if (err) reject(err);
          else resolve();
        });
        http.closeAllConnections();
      });
      return null;
    },
    up: async () => {
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(port, '127.0.0.1', () => {
          http.off('error', reject);
          resolve();
        });
      });
      return null;
    },
  };

  write({ ready: true, url: s.url, adminKey: ADMIN_KEY });

  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (!line.trim()) continue;
    const req = JSON.parse(line) as Request;
    const op = ops[req.op];
    try {
      if (!op) throw new Error(`unknown op ${req.op}`);
      write({ id: req.id, ok: true, result: await op(req) });
    } catch (err) {
      write({ id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) });
    }
  }
  if (!http.listening) await ops.up?.({ id: 0, op: 'up' });
  await s.close();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
