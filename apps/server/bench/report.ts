/** The benchmark's tables, for one run (`http.bench.ts`) or the medians of several (`summarize.ts`). */
import {
  COMMIT,
  RECORDER_LOCK,
  RECORDER_WRITE,
  SEALER_READ,
  SEALER_SEARCH,
  ROLLUPS,
  SEALER_WRITE,
} from './probes.js';

export const round = (x: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/** What the tables read of a phase result (see `summarize` in http.bench.ts). */
export interface PhaseRow {
  name: string;
  ok2xx: number;
  blocked403: number;
  /** Answers neither 2xx nor 403 (403 is the intended answer to a deny-listed model). */
  otherNon2xx: number;
  skipped: number;
  okPerS: number;
  recordedPerS: number;
  latencyMs: { p50: number; p90: number; p99: number; p99MedianOfSeconds: number };
  stalls: { count: number; maxMs: number };
  answered?: number;
  server: {
    cpuUsPerTx: number;
    cpuUsPerRequest?: number;
    eventLoopUtilization: number;
    loopLagP99Ms?: number;
    gcShare?: number;
    gcMaxPauseMs?: number;
  };
  recorder: { batches: number; avgBatchSize: number; avgBatchMs: number; busyShare: number };
  postgres: {
    cpuUsPerTx: number;
    cpuUsPerRequest?: number;
    activeUsPerTx: number;
    idleInTransactionUsPerTx: number;
    activeMsPerBatchByStatement: Record<string, number>;
    idleInTransactionMsPerBatch: number;
    cpuUsPerTxByStatement?: Record<string, number>;
  };
  loadGenerator: { cpuUsPerTx: number };
  machine: { busyPct: number };
}

const STATEMENTS = [
  RECORDER_LOCK,
  RECORDER_WRITE,
  COMMIT,
  ROLLUPS,
  SEALER_SEARCH,
  SEALER_READ,
  SEALER_WRITE,
];

export function tables(phases: PhaseRow[]): string {
  const lines = [
    '| load | 2xx/s | recorded/s | p50 ms | p90 ms | p99 ms | p99 of 1-s slices, median | 403 (intended) | other non-2xx | not sent (512 waiting) | stalls ≥ 50 ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const p of phases) {
    lines.push(
      `| ${p.name} | ${p.okPerS} | ${p.recordedPerS} | ${p.latencyMs.p50} | ${p.latencyMs.p90} | ` +
        `${p.latencyMs.p99} | ${p.latencyMs.p99MedianOfSeconds} | ` +
        `${p.blocked403} | ${p.otherNon2xx} | ${p.skipped} | ` +
        `${p.stalls.count} (max ${round(p.stalls.maxMs, 0)} ms) |`,
    );
  }
  lines.push(
    '',
    '| load | avg batch (tx) | batch ms | pipeline busy | Reins CPU µs/tx | server event loop busy | server loop lag p99 ms | server GC time (longest pause ms) | PG CPU µs/tx | PG running statements µs/tx | PG idle in transaction µs/tx | load generator CPU µs/tx | machine CPU busy |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const p of phases) {
    lines.push(
      `| ${p.name} | ${p.recorder.avgBatchSize} | ${p.recorder.avgBatchMs} | ` +
        `${round(p.recorder.busyShare * 100, 0)} % | ${p.server.cpuUsPerTx} | ` +
        `${round(p.server.eventLoopUtilization * 100, 0)} % | ${p.server.loopLagP99Ms ?? '–'} | ` +
        `${p.server.gcShare === undefined ? '–' : `${round(p.server.gcShare * 100, 1)} % (${p.server.gcMaxPauseMs ?? '–'})`} | ` +
        `${p.postgres.cpuUsPerTx} | ` +
        `${p.postgres.activeUsPerTx} | ${p.postgres.idleInTransactionUsPerTx} | ` +
        `${p.loadGenerator.cpuUsPerTx} | ${p.machine.busyPct} % |`,
    );
  }
  lines.push(
    '',
    `| load | batch ms | ${STATEMENTS.map((s) => `PG: ${s}`).join(' | ')} | PG idle in transaction (waiting for Reins) |`,
    `| --- | ---: | ${STATEMENTS.map(() => '---:').join(' | ')} | ---: |`,
  );
  for (const p of phases) {
    const by = p.postgres.activeMsPerBatchByStatement;
    lines.push(
      `| ${p.name} | ${p.recorder.avgBatchMs} | ${STATEMENTS.map((s) => round(by[s] ?? 0)).join(' | ')} | ` +
        `${p.postgres.idleInTransactionMsPerBatch} |`,
    );
  }
  lines.push('', cpuByStatement(phases), '', againstFloor(phases));
  return lines.join('\n');
}

/** What PostgreSQL's CPU per transaction was spent on, at the phases that record. */
export function cpuByStatement(phases: PhaseRow[]): string {
  const rows = phases.filter((p) => p.recorder.batches > 0 && p.postgres.cpuUsPerTxByStatement);
  const names = [
    ...new Set(rows.flatMap((p) => Object.keys(p.postgres.cpuUsPerTxByStatement ?? {}))),
  ].slice(0, 8);
  if (rows.length === 0 || names.length === 0) return '';
  return [
    `| load | PG CPU µs/tx | ${names.map((n) => `of which ${n}`).join(' | ')} |`,
    `| --- | ---: | ${names.map(() => '---:').join(' | ')} |`,
    ...rows.map(
      (p) =>
        `| ${p.name} | ${p.postgres.cpuUsPerTx} | ` +
        `${names.map((n) => p.postgres.cpuUsPerTxByStatement?.[n] ?? 0).join(' | ')} |`,
    ),
  ].join('\n');
}

/**
 * The hot path at saturation against its floor at saturation (same server, connections and
 * bodies; the floor authenticates and parses, then answers from memory): issue 17's ratios.
 */
export function againstFloor(phases: PhaseRow[]): string {
  const hot = phases.find((p) => p.name === 'saturation, 256 conn.');
  const floor = phases.find((p) => p.name === 'floor at saturation, 256 conn.');
  if (!hot || !floor) return '(no floor at saturation in this run)';
  const floorRps = floor.okPerS;
  const floorCpu = floor.server.cpuUsPerRequest ?? NaN;
  const pct = (a: number, b: number) => `${round((100 * a) / b, 0)} %`;
  const times = (a: number, b: number) => `${round(a / b, 2)}×`;
  return [
    '| at saturation (256 conn.) | floor (parse, answer from memory) | hot path (recorded) | hot path / floor | issue 17 target |',
    '| --- | ---: | ---: | ---: | --- |',
    `| requests or tx per s | ${floorRps} | ${hot.recordedPerS} | ${pct(hot.recordedPerS, floorRps)} | ≥ 40 % |`,
    `| server CPU µs per request / tx | ${floorCpu} | ${hot.server.cpuUsPerTx} | ${times(hot.server.cpuUsPerTx, floorCpu)} | ≤ 2.5× |`,
    `| PostgreSQL CPU µs per request / tx | ${floor.postgres.cpuUsPerRequest ?? '–'} | ${hot.postgres.cpuUsPerTx} | – | ≤ 120 µs per tx |`,
    `| p50 / p99 ms | ${floor.latencyMs.p50} / ${floor.latencyMs.p99} | ${hot.latencyMs.p50} / ${hot.latencyMs.p99} | – | – |`,
  ].join('\n');
}

function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

/** Field by field median of the same value in several runs (numbers only; the rest from the first). */
export function medianDeep(values: unknown[]): unknown {
  const first = values[0];
  if (typeof first === 'number') {
    return round(medianOf(values.filter((v): v is number => typeof v === 'number')));
  }
  if (first && typeof first === 'object' && !Array.isArray(first)) {
    const keys = new Set(values.flatMap((v) => (v && typeof v === 'object' ? Object.keys(v) : [])));
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      const vs = values.map(
        (v) => (v as Record<string, unknown>)[k] ?? (typeof first === 'object' ? 0 : undefined),
      );
      out[k] = medianDeep(vs);
    }
    return out;
  }
  return first;
}
