/** The benchmark's tables, for one run (`http.bench.ts`) or the medians of several (`summarize.ts`). */
import type { ServerSnapshot } from './types.js';
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
  recorder: {
    batches: number;
    avgBatchSize: number;
    avgBatchMs: number;
    busyShare: number;
    /** The server's side of a batch (ms per batch): recording/batch.ts's BatchTiming. */
    avgReadMs?: number;
    avgPlanMs?: number;
    avgWriteMs?: number;
  };
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
  /** `--worker process`: the worker process's CPU; absent or null when the jobs ran in the server. */
  worker?: { cpuUsPerTx: number } | null;
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
    '| load | avg batch (tx) | batch ms | pipeline busy | server CPU µs/tx | worker CPU µs/tx | server event loop busy | server loop lag p99 ms | server GC time (longest pause ms) | PG CPU µs/tx | PG running statements µs/tx | PG idle in transaction µs/tx | load generator CPU µs/tx | machine CPU busy |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const p of phases) {
    lines.push(
      `| ${p.name} | ${p.recorder.avgBatchSize} | ${p.recorder.avgBatchMs} | ` +
        `${round(p.recorder.busyShare * 100, 0)} % | ${p.server.cpuUsPerTx} | ` +
        `${p.worker ? p.worker.cpuUsPerTx : '–'} | ` +
        `${round(p.server.eventLoopUtilization * 100, 0)} % | ${p.server.loopLagP99Ms ?? '–'} | ` +
        `${p.server.gcShare === undefined ? '–' : `${round(p.server.gcShare * 100, 1)} % (${p.server.gcMaxPauseMs ?? '–'})`} | ` +
        `${p.postgres.cpuUsPerTx} | ` +
        `${p.postgres.activeUsPerTx} | ${p.postgres.idleInTransactionUsPerTx} | ` +
        `${p.loadGenerator.cpuUsPerTx} | ${p.machine.busyPct} % |`,
    );
  }
  lines.push(
    '',
    `| load | batch ms | Reins: read round trip | Reins: plan | Reins: write and commit | ${STATEMENTS.map((s) => `PG: ${s}`).join(' | ')} | PG idle in transaction (waiting for Reins) |`,
    `| --- | ---: | ---: | ---: | ---: | ${STATEMENTS.map(() => '---:').join(' | ')} | ---: |`,
  );
  for (const p of phases) {
    const by = p.postgres.activeMsPerBatchByStatement;
    const r = p.recorder;
    lines.push(
      `| ${p.name} | ${r.avgBatchMs} | ${r.avgReadMs ?? '–'} | ${r.avgPlanMs ?? '–'} | ${r.avgWriteMs ?? '–'} | ` +
        `${STATEMENTS.map((s) => round(by[s] ?? 0)).join(' | ')} | ` +
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

/** One of the soak's samples of the server child (`--soak`): `t` s into the phase. */
export type MemorySample = {
  t: number;
  /** Transactions recorded in the interval that ends at `t`, per second; null at t = 0. */
  txPerS: number | null;
} & Pick<
  ServerSnapshot,
  'rssMb' | 'rssMinMb' | 'rssMaxMb' | 'heapUsedMb' | 'heapTotalMb' | 'externalMb' | 'arrayBuffersMb'
>;

/** The soak's rule for "flat" (docs/benchmarks.md, "Memory under saturation (soak)"). */
export const FLAT_RULE = {
  /** The first and last windows: a minute, or a third of a run shorter than three minutes. */
  windowS: 60,
  maxSlopeMbPerMin: 2,
  maxDrift: 0.1,
} as const;

/** Which RSS figure of each sample the verdict reads. */
export type RssSeries = 'rssMb' | 'rssMinMb';

export interface MemoryVerdict {
  series: RssSeries;
  windowS: number;
  firstMedianMb: number;
  lastMedianMb: number;
  /** (last − first) / first. */
  drift: number;
  maxMb: number;
  /** Least-squares slope of RSS over the samples after the first window. */
  slopeMbPerMin: number;
  /** The slope's standard error: how far the GC's saw alone moves the fitted slope. */
  slopeStdErrMbPerMin: number;
  samplesAfterFirstWindow: number;
  /** null: too few samples after the first window to fit a slope. */
  flat: boolean | null;
  rule: string;
}

/**
 * Least-squares slope of y over x and its standard error; NaN without two distinct x (the error
 * also without a third point).
 */
export function slope(points: readonly { x: number; y: number }[]): {
  slope: number;
  stdErr: number;
} {
  const n = points.length;
  if (n < 2) return { slope: NaN, stdErr: NaN };
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    sxy += (p.x - mx) * (p.y - my);
    sxx += (p.x - mx) ** 2;
  }
  if (sxx === 0) return { slope: NaN, stdErr: NaN };
  const b = sxy / sxx;
  const residuals = points.reduce((a, p) => a + (p.y - my - b * (p.x - mx)) ** 2, 0);
  return { slope: b, stdErr: n > 2 ? Math.sqrt(residuals / (n - 2) / sxx) : NaN };
}

/**
 * Does the server's RSS stay flat under saturation (issue 17)? The first window is left out of
 * the slope: the heap and the pools grow to their working size there, which is not a leak.
 * Samples at t = 0 (before the load) count for the maximum only. `series`: the RSS when sampled
 * (the rule's figure), or its low point in each interval (the level after the collections).
 */
export function memoryVerdict(
  samples: readonly MemorySample[],
  series: RssSeries = 'rssMb',
): MemoryVerdict {
  const loaded = samples.filter((s) => s.t > 0);
  const end = loaded.reduce((a, s) => Math.max(a, s.t), 0);
  const windowS = Math.min(FLAT_RULE.windowS, end / 3);
  const first = loaded.filter((s) => s.t <= windowS).map((s) => s[series]);
  const last = loaded.filter((s) => s.t > end - windowS).map((s) => s[series]);
  const after = loaded.filter((s) => s.t > windowS);
  const firstMedianMb = medianOf(first);
  const lastMedianMb = medianOf(last);
  const drift = (lastMedianMb - firstMedianMb) / firstMedianMb;
  const fit = slope(after.map((s) => ({ x: s.t / 60, y: s[series] })));
  const slopeMbPerMin = fit.slope;
  const flat =
    after.length < 3 || !Number.isFinite(slopeMbPerMin) || !Number.isFinite(drift)
      ? null
      : slopeMbPerMin < FLAT_RULE.maxSlopeMbPerMin && Math.abs(drift) <= FLAT_RULE.maxDrift;
  const w = `${round(windowS, 0)} s`;
  return {
    series,
    windowS: round(windowS, 1),
    firstMedianMb: round(firstMedianMb, 1),
    lastMedianMb: round(lastMedianMb, 1),
    drift: round(drift, 3),
    maxMb: round(
      samples.reduce((a, s) => Math.max(a, s.rssMaxMb, s.rssMb), -Infinity),
      1,
    ),
    slopeMbPerMin: round(slopeMbPerMin, 2),
    slopeStdErrMbPerMin: round(fit.stdErr, 2),
    samplesAfterFirstWindow: after.length,
    flat,
    rule:
      `flat = least-squares slope of RSS after the first ${w} < ${FLAT_RULE.maxSlopeMbPerMin} MB/min ` +
      `and the median of the last ${w} within ${FLAT_RULE.maxDrift * 100} % of the first ${w}'s ` +
      `(windows of ${FLAT_RULE.windowS} s, a third of the run if shorter than ${3 * FLAT_RULE.windowS} s)`,
  };
}

/** The soak's samples as a markdown table, then a verdict line each. */
export function memoryTable(
  samples: readonly MemorySample[],
  verdicts: readonly MemoryVerdict[],
): string {
  const lines = [
    '| s | recorded tx/s | RSS MB | RSS low–high in the interval | heap used MB | heap total MB | external MB (array buffers) |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...samples.map(
      (s) =>
        `| ${round(s.t, 0)} | ${s.txPerS === null ? '–' : round(s.txPerS, 0)} | ${round(s.rssMb, 1)} | ` +
        `${round(s.rssMinMb, 1)}–${round(s.rssMaxMb, 1)} | ` +
        `${round(s.heapUsedMb, 1)} | ${round(s.heapTotalMb, 1)} | ${round(s.externalMb, 1)} ` +
        `(${round(s.arrayBuffersMb, 1)}) |`,
    ),
  ];
  lines.push('');
  for (const v of verdicts) {
    const sign = v.drift >= 0 ? '+' : '';
    const verdict =
      v.flat === null ? 'INCONCLUSIVE (too few samples)' : v.flat ? 'flat' : 'NOT FLAT';
    const what = v.series === 'rssMb' ? 'RSS' : "RSS's low point per interval";
    lines.push(
      `Memory: ${what} ${verdict} — median ${v.firstMedianMb} MB over the first ${v.windowS} s, ` +
        `${v.lastMedianMb} MB over the last ${v.windowS} s (${sign}${round(v.drift * 100, 1)} %), ` +
        `max RSS ${v.maxMb} MB, slope after the first ${v.windowS} s ${v.slopeMbPerMin} ` +
        `± ${v.slopeStdErrMbPerMin} MB/min (${v.samplesAfterFirstWindow} samples).`,
    );
  }
  if (verdicts[0]) lines.push(`Rule: ${verdicts[0].rule}.`);
  return lines.join('\n');
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

/**
 * The phases `--only` picks: those whose names contain the whole value, or, when none does, one
 * of its comma-separated parts. Phase names hold commas themselves ("1,000 tx/s", "saturation,
 * 256 conn."): `--only "1,000 tx/s"` picks that phase alone, `--only floor:,500` two.
 */
export function onlyPhases<P extends { name: string }>(phases: readonly P[], only: string): P[] {
  const whole = phases.filter((p) => p.name.includes(only));
  if (whole.length > 0) return whole;
  const parts = only.split(',').filter((s) => s !== '');
  return phases.filter((p) => parts.some((s) => p.name.includes(s)));
}
