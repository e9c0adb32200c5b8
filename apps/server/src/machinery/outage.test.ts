import { describe, expect, it } from 'vitest';
import { OutageLog } from './outage.js';

function logger() {
  const lines: string[] = [];
  return {
    lines,
    error: (_obj: object, msg: string) => {
      lines.push(`error ${msg}`);
    },
    info: (_obj: object, msg: string) => {
      lines.push(`info ${msg}`);
    },
  };
}

describe('OutageLog', () => {
  it('logs an outage once however many requests find it, and its end once', () => {
    const log = logger();
    const outage = new OutageLog();
    outage.available(log);
    for (let i = 0; i < 1000; i++) outage.unavailable(log, new Error('ECONNREFUSED'));
    expect(outage.down).toBe(true);
    outage.available(log);
    outage.available(log);
    expect(outage.down).toBe(false);
    outage.unavailable(log, new Error('again'));
    expect(log.lines).toEqual([
      'error the database is unavailable: answering 503 until it is back',
      'info the database is reachable again',
      'error the database is unavailable: answering 503 until it is back',
    ]);
  });
});
