/** Messages between `http.bench.ts` and its server child (`serve.ts`). */

export interface RecorderStats {
  batches: number;
  transactions: number;
  /** Wall time of the batches, from their start (policy reads, the wait for a connection). */
  dbMs: number;
  /** Its parts from the first round trip on (recording/batch.ts's BatchTiming). */
  readMs: number;
  planMs: number;
  writeMs: number;
}

export interface ServerSnapshot {
  recorder: RecorderStats;
  cpuUserMs: number;
  cpuSystemMs: number;
  /** `performance.eventLoopUtilization()`, cumulative. */
  eluIdleMs: number;
  eluActiveMs: number;
  /** How late the event loop ran a 10 ms timer, since the previous snapshot. */
  loopLagP99Ms: number;
  loopLagMaxMs: number;
  /** `process.memoryUsage()`, in MiB: the soak's samples (`--soak`). */
  rssMb: number;
  /** RSS's lowest and highest reading (every 100 ms) since the previous snapshot or peek. */
  rssMinMb: number;
  rssMaxMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  /** C++ objects bound to JS ones; `arrayBuffersMb` (Buffers included) is part of it. */
  externalMb: number;
  arrayBuffersMb: number;
  /** Garbage-collection pauses since start (cumulative), and the longest since the last snapshot. */
  gcMs: number;
  gcCount: number;
  gcMaxMs: number;
  gcMaxKind: string;
}

export type ChildMessage =
  { type: 'ready'; url: string } | { type: 'snapshot'; snapshot: ServerSnapshot };
