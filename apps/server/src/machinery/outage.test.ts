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
  it('logs an outage once however many requests find it, and its end once the probe succeeds', async () => {
    const log = logger();
    let probes = 0;
    let reachable = false;
    const outage = new OutageLog(() => {
      probes += 1;
      return reachable ? Promise.resolve() : Promise.reject(new Error('ECONNREFUSED'));
    }, 5);
    for (let i = 0; i < 1000; i++) outage.unavailable(log, new Error('ECONNREFUSED'));
    expect(outage.down).toBe(true);
    await until(() => probes >= 3);
    expect(outage.down).toBe(true);
    reachable = true;
    await until(() => !outage.down);
    outage.unavailable(log, new Error('again'));
    outage.stop();
    expect(log.lines).toEqual([
      'error the database is unavailable: answering 503 until it is back',
      'info the database is reachable again',
      'error the database is unavailable: answering 503 until it is back',
    ]);
  });

  it('stops probing when stopped', async () => {
    let probes = 0;
    const outage = new OutageLog(() => {
      probes += 1;
      return Promise.reject(new Error('down'));
    }, 5);
    outage.unavailable(logger(), new Error('down'));
    await until(() => probes >= 1);
    outage.stop();
    const seen = probes;
    await new Promise((r) => setTimeout(r, 50));
    expect(probes).toBe(seen);
  });
});

async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !done(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(done()).toBe(true);
}
