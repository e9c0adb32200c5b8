/** JSON lines on stdout/stderr, one per event, like the server's logger. */
import type { JobLog } from '@reins/jobs';

const LEVELS = { error: 50, warn: 40, info: 30, silent: 100 } as const;

export function jsonLog(level: keyof typeof LEVELS): JobLog {
  const min = LEVELS[level];
  const line = (lvl: number, obj: object, msg: string) => {
    if (lvl < min) return;
    const fields: Record<string, unknown> = { level: lvl, time: Date.now(), msg, ...obj };
    const err = fields.err;
    if (err instanceof Error)
      fields.err = { type: err.name, message: err.message, stack: err.stack };
    (lvl >= 50 ? process.stderr : process.stdout).write(`${JSON.stringify(fields)}\n`);
  };
  return {
    info(obj, msg) {
      line(30, obj, msg);
    },
    warn(obj, msg) {
      line(40, obj, msg);
    },
    error(obj, msg) {
      line(50, obj, msg);
    },
  };
}
