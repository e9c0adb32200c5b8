import { initOrm } from '@reins/db';
import { findAnomalies, readSeries } from '@reins/ledger';
const url = process.argv[2]!;
const orm = await initOrm(url, { maxConnections: 2 });
const [org] = (await orm.em.fork().getConnection().execute('select id, time_zone from organization', [], 'all')) as { id: string; time_zone: string }[];
const now = Date.now();
const t = async (label: string, f: () => Promise<unknown>) => {
  const xs: number[] = [];
  for (let i = 0; i < 7; i++) { const s = performance.now(); await f(); xs.push(performance.now() - s); }
  xs.sort((a, b) => a - b);
  console.log(label, xs.map((x) => x.toFixed(1)).join(' '));
};
const H = 3600000;
const lastHour = Math.floor(now / H) * H;
const range = { from: new Date(lastHour - 23 * H - 14 * 86400000), to: new Date(lastHour + H) };

await t('series hour perAgent', () => readSeries(orm, org!.id, range, 'hour', 'UTC', { perAgent: true, measures: ['spend_cents', 'requests'] }));
await orm.close();
