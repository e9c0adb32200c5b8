import { describe, expect, it } from 'vitest';
import type { Orm } from '@reins/db';
import { startScheduler, type Job, type JobLog } from './scheduler.js';

// The scheduler hands the ORM to jobs and never touches it itself.
const orm = Object.create(null) as Orm;

function recordingLog() {
  const lines: string[] = [];
  const log: JobLog = {
    info: (_o, m) => lines.push(`info ${m}`),
    warn: (_o, m) => lines.push(`warn ${m}`),
    error: (_o, m) => lines.push(`error ${m}`),
  };
  return { log, lines };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('startScheduler', () => {
  it('runs a job again at once while it reports more work, then waits its interval', async () => {
    let runs = 0;
    const job: Job = { name: 'drain', everyMs: 10, run: () => Promise.resolve(++runs < 5) };
    const s = startScheduler(orm, [job], { log: recordingLog().log });
    await sleep(40);
    await s.stop();
    // Five back to back (four "more", then done), and at most one or two interval runs after.
    expect(runs).toBeGreaterThanOrEqual(5);
    expect(runs).toBeLessThan(10);
  });

  it('backs off after failures, logs the first of a streak, and says when it recovered', async () => {
    let runs = 0;
    const job: Job = {
      name: 'flaky',
      everyMs: 5,
      run: () => (++runs <= 3 ? Promise.reject(new Error('down')) : Promise.resolve(false)),
    };
    const { log, lines } = recordingLog();
    const s = startScheduler(orm, [job], { log, maxBackoffMs: 20 });
    await sleep(150);
    await s.stop();
    // Failures 1, 2 and 4 of a streak are logged (powers of two); the third is not.
    expect(lines.filter((l) => l === 'error job failed')).toHaveLength(2);
    expect(lines).toContain('info job recovered');
  });

  it('lets the host take a failure over (an outage it reports itself)', async () => {
    const job: Job = {
      name: 'db',
      everyMs: 5,
      run: () => Promise.reject(new Error('ECONNREFUSED')),
    };
    const { log, lines } = recordingLog();
    const seen: string[] = [];
    const s = startScheduler(orm, [job], {
      log,
      onError: (name) => {
        seen.push(name);
        return true;
      },
    });
    await sleep(30);
    await s.stop();
    expect(seen.length).toBeGreaterThan(0);
    expect(lines.filter((l) => l.startsWith('error'))).toEqual([]);
  });

  it('waits for the run in progress on stop, and starts no other', async () => {
    let finished = 0;
    let started = 0;
    const job: Job = {
      name: 'slow',
      everyMs: 1,
      run: async () => {
        started++;
        await sleep(30);
        finished++;
        return false;
      },
    };
    const s = startScheduler(orm, [job], { log: recordingLog().log });
    await sleep(10);
    await s.stop();
    expect(finished).toBe(started);
    const after = started;
    await sleep(20);
    expect(started).toBe(after);
  });

  it('runs a job on demand after the run in progress, never two at once', async () => {
    let active = 0;
    let maxActive = 0;
    const job: Job = {
      name: 'exclusive',
      everyMs: 3_600_000,
      run: async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        await sleep(5);
        active--;
        return false;
      },
    };
    const s = startScheduler(orm, [job], { log: recordingLog().log });
    await Promise.all([s.runNow('exclusive'), s.runNow('exclusive'), s.runNow('exclusive')]);
    await s.stop();
    expect(maxActive).toBe(1);
    expect(() => s.runNow('missing')).toThrow('no job named missing');
  });
});
