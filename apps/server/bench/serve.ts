/**
 * The benchmark's server process: exactly what `src/main.ts` starts (`startServer(readEnv())`),
 * plus an IPC channel to the benchmark that reports this process's own figures on request — the
 * recorder's batch stats, CPU time, event-loop utilization and memory. Nothing is added to the HTTP
 * surface; the channel is idle except between load phases and, in a soak (`--soak`), one memory
 * sample every 5 s.
 *
 * Run by `http.bench.ts` with an IPC stdio slot, built like src/main.ts (dist/serve.js, see
 * tsup.config.ts) or, with `--tsx`, as `node --import tsx bench/serve.ts`.
 */
import {
  PerformanceObserver,
  constants,
  monitorEventLoopDelay,
  performance,
} from 'node:perf_hooks';
import { readEnv } from '../src/env.js';
import { startServer } from '../src/server.js';
import type { ServerSnapshot } from './types.js';

if (!process.send) throw new Error('bench/serve.ts runs as a child of http.bench.ts (IPC)');
const send = process.send.bind(process);

const server = await startServer(readEnv());
const RESOLUTION_MS = 10;
const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
delay.enable();
// Garbage collection pauses: total since start, the longest since the previous snapshot.
const gc = { ms: 0, count: 0, maxMs: 0, maxKind: '' };
/** The names of a gc entry's `detail.kind`. */
const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental marking',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks',
};
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gc.ms += e.duration;
    gc.count += 1;
    if (e.duration > gc.maxMs) {
      gc.maxMs = e.duration;
      const kind = (e as { detail?: { kind?: number } | null }).detail?.kind ?? 0;
      gc.maxKind = GC_KINDS[kind] ?? String(kind);
    }
  }
}).observe({ entryTypes: ['gc'] });

const MB = 2 ** 20;
// RSS saws up and down by tens of MB with the old generation's collections; one reading every 5 s
// lands anywhere on the saw. Its low point over the interval is the level after the collections,
// the figure a leak raises. rss() alone is a read of /proc/self/stat, no heap walk.
const rssRange = { min: Infinity, max: 0 };
const readRss = () => {
  const rss = process.memoryUsage.rss();
  rssRange.min = Math.min(rssRange.min, rss);
  rssRange.max = Math.max(rssRange.max, rss);
};
readRss();
setInterval(readRss, 100).unref();

/**
 * `reset`: start the next interval of the loop-lag histogram and the longest GC pause. The soak's
 * 5-s memory samples do not, so that the phase's own figures still cover the whole phase.
 */
function snapshot(reset: boolean): ServerSnapshot {
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  readRss();
  const elu = performance.eventLoopUtilization();
  const snap: ServerSnapshot = {
    recorder: { ...server.core.recorder.stats },
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
    eluIdleMs: elu.idle,
    eluActiveMs: elu.active,
    // The histogram holds the time between its timer's runs: the resolution plus the lag.
    loopLagP99Ms: Math.max(0, delay.percentile(99) / 1e6 - RESOLUTION_MS),
    loopLagMaxMs: Math.max(0, delay.max / 1e6 - RESOLUTION_MS),
    rssMb: mem.rss / MB,
    rssMinMb: rssRange.min / MB,
    rssMaxMb: rssRange.max / MB,
    heapUsedMb: mem.heapUsed / MB,
    heapTotalMb: mem.heapTotal / MB,
    externalMb: mem.external / MB,
    arrayBuffersMb: mem.arrayBuffers / MB,
    gcMs: gc.ms,
    gcCount: gc.count,
    gcMaxMs: gc.maxMs,
    gcMaxKind: gc.maxKind,
  };
  rssRange.min = Infinity;
  rssRange.max = 0;
  if (reset) {
    delay.reset();
    gc.maxMs = 0;
    gc.maxKind = '';
  }
  return snap;
}

process.on('message', (msg) => {
  if (msg === 'snapshot' || msg === 'peek')
    send({ type: 'snapshot', snapshot: snapshot(msg === 'snapshot') });
});

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  // process.exit (not a signal's default action) so that --cpu-prof writes its profile.
  server.close().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// The benchmark went away (crash, kill -9): do not outlive it.
process.on('disconnect', stop);

send({ type: 'ready', url: server.url });
