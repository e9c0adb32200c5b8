/**
 * Runs background jobs on a timer, one loop per job, in whatever process hosts them (the worker,
 * or a server that runs the worker in-process). A job never overlaps itself within a process;
 * across processes each job makes its own claims (`FOR UPDATE SKIP LOCKED`, leases), so any
 * number of processes may run the same jobs on one database.
 */
import type { Orm } from '@reins/db';

export interface JobLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface JobContext {
  orm: Orm;
  /** The current time: the host's clock (tests pin it). */
  now(): Date;
  /** Aborted when the host stops: a job checks it between units of work. */
  signal: AbortSignal;
  log: JobLog;
}

export interface Job {
  name: string;
  /** Pause between runs (after a run that found nothing more to do). */
  everyMs: number;
  /**
   * One run. Returns true when it stopped with work left (a full batch): the scheduler runs it
   * again at once instead of waiting `everyMs`.
   */
  run(ctx: JobContext): Promise<boolean | undefined>;
}

export interface Scheduler {
  /** Runs `name` once now (after any run in progress), as the timer would; for tests and CLIs. */
  runNow(name: string): Promise<boolean>;
  /** Stops every loop: no new runs, and waits for the runs in progress to finish. */
  stop(): Promise<void>;
}

/** Told of each job and of every run's duration and outcome (metrics). */
export interface JobObserver {
  register(job: string): void;
  ran(job: string, ms: number, ok: boolean): void;
}

export interface SchedulerOptions {
  clock?: () => number;
  observer?: JobObserver;
  log: JobLog;
  /**
   * Told of every failed run first; answering true means the host reported it (a database outage
   * it logs once), and the scheduler does not log it again.
   */
  onError?: (job: string, err: unknown) => boolean;
  /** Longest pause after repeated failures; failures back off from `everyMs` doubling to this. */
  maxBackoffMs?: number;
}

/** Most back-to-back runs of one job before it yields to the timer (lets the others in). */
const BURST = 50;

export function startScheduler(orm: Orm, jobs: Job[], opts: SchedulerOptions): Scheduler {
  const abort = new AbortController();
  const clock = opts.clock ?? Date.now;
  const ctx: JobContext = {
    orm,
    now: () => new Date(clock()),
    signal: abort.signal,
    log: opts.log,
  };
  const maxBackoff = opts.maxBackoffMs ?? 60_000;
  const loops = new Map<string, Loop>();

  interface Loop {
    job: Job;
    timer?: NodeJS.Timeout;
    running?: Promise<boolean>;
    failures: number;
  }

  const runOnce = (loop: Loop): Promise<boolean> => {
    const previous = loop.running ?? Promise.resolve();
    let started = 0;
    const run = previous
      .catch(() => undefined)
      .then(() => {
        started = performance.now();
        return loop.job.run(ctx);
      })
      .then((more) => more === true)
      .then(
        (more) => {
          opts.observer?.ran(loop.job.name, performance.now() - started, true);
          if (loop.failures > 0) {
            opts.log.info({ job: loop.job.name }, 'job recovered');
          }
          loop.failures = 0;
          return more;
        },
        (err: unknown) => {
          opts.observer?.ran(loop.job.name, performance.now() - started, false);
          if (abort.signal.aborted) return false;
          loop.failures++;
          const reported = opts.onError?.(loop.job.name, err) === true;
          // Logged on the first failure of a streak and then sparingly: an outage is one story.
          if (!reported && Number.isInteger(Math.log2(loop.failures))) {
            opts.log.error({ err, job: loop.job.name, failures: loop.failures }, 'job failed');
          }
          throw err;
        },
      );
    loop.running = run;
    void run
      .catch(() => undefined)
      .finally(() => {
        if (loop.running === run) loop.running = undefined;
      });
    return run;
  };

  const schedule = (loop: Loop, delayMs: number) => {
    if (abort.signal.aborted) return;
    loop.timer = setTimeout(() => {
      void (async () => {
        let delay = loop.job.everyMs;
        try {
          for (let i = 0; i < BURST && !abort.signal.aborted; i++) {
            if (!(await runOnce(loop))) break;
            if (i === BURST - 1) delay = 0;
          }
        } catch {
          delay = Math.min(maxBackoff, loop.job.everyMs * 2 ** Math.min(loop.failures, 16));
        }
        schedule(loop, delay);
      })();
    }, delayMs);
    loop.timer.unref();
  };

  for (const job of jobs) {
    const loop: Loop = { job, failures: 0 };
    loops.set(job.name, loop);
    opts.observer?.register(job.name);
    schedule(loop, job.everyMs);
  }

  return {
    runNow(name) {
      const loop = loops.get(name);
      if (!loop) throw new Error(`no job named ${name}`);
      return runOnce(loop);
    },
    async stop() {
      abort.abort();
      for (const loop of loops.values()) clearTimeout(loop.timer);
      await Promise.all(
        [...loops.values()].map((l) => (l.running ?? Promise.resolve()).catch(() => false)),
      );
    },
  };
}
