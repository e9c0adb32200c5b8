/**
 * Summarizes a V8 CPU profile of the server child (`pnpm bench -- --profile` writes one to
 * bench/results/): self time by package or source file, and inclusive time of the functions the
 * hot path is made of. Frames of the build (dist/*.js, what `pnpm bench` profiles by default) are
 * mapped back to their TypeScript sources through the source map beside each file, so that both
 * tables read the same as for a profile of the sources run through tsx (`--tsx`).
 *
 *   tsx bench/profile.ts bench/results/CPU.<…>.cpuprofile [--top 25]
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Inclusive time of these functions (by name and a fragment of their file). */
const STAGES: [label: string, fn: string, file: string][] = [
  ['node http: parse requests (parserOnIncoming)', 'parserOnIncoming', 'node:_http_server'],
  ['Fastify: JSON body parse (defaultJsonParser)', 'defaultJsonParser', 'fastify/lib'],
  ['route handler (app.ts): context, validation, submit', '', 'apps/server/src/http/app.ts'],
  ['  createContext: auth cache, rate limit, em.fork()', 'createContext', 'server/src/context'],
  ['  zod validation of the body (parseInput)', 'parseInput', 'schemas/common'],
  ['  toTxRequest: normalize, price-table lookup', 'toTxRequest', 'services/transactions'],
  ['  newId (crypto.randomBytes)', 'newId', 'ledger/src/ids'],
  ['Fastify: reply (Reply.send)', 'send', 'fastify/lib/reply'],
  ['recordBatch (JS side of the batch transaction)', 'recordBatch', 'recording/batch'],
  ['  planBatch: decisions → rows', 'planBatch', 'recording/plan'],
  ['  engine: requiredWindows', 'requiredWindows', 'engine/src'],
  ['  engine: evaluate (trace on)', 'evaluate', 'engine/src/evaluate'],
  ['MikroORM Connection.execute (all SQL)', 'execute', '@mikro-orm/knex/AbstractSqlConnection'],
  ['  formatQuery: parameters inlined into the SQL text', 'formatQuery', '@mikro-orm/core'],
  ['  pg: serialize the query (pg-protocol)', 'query', 'pg-protocol/dist/serializer'],
  ['  pg: write to the socket', '_send', 'pg/lib/connection'],
  ['pg: parse results (pg-protocol)', 'parse', 'pg-protocol/dist/parser'],
  ['JSON.stringify (anywhere)', 'stringify', ''],
  ['module loading (start-up)', 'Module._load', 'node:internal/modules'],
];

function packageOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : `(native) ${fn}`;
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1] ?? ''}` : (rest[0] ?? url);
  }
  const src = /\/(packages|apps)\/([^/]+)\/(.*)$/.exec(url);
  if (src) return `${src[1] ?? ''}/${src[2] ?? ''}/${src[3] ?? ''}`;
  if (url.startsWith('node:')) return url.split('/').slice(0, 3).join('/');
  return url;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' } },
});
const file = positionals[0];
if (!file) {
  console.error('usage: tsx bench/profile.ts <file.cpuprofile> [--top N]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;

const maps = new Map<string, SourceMap | null>();
function mapOf(url: string): SourceMap | null {
  let map = maps.get(url);
  if (map === undefined) {
    const path = `${fileURLToPath(url)}.map`;
    map = existsSync(path)
      ? new SourceMap(
          JSON.parse(readFileSync(path, 'utf8')) as ConstructorParameters<typeof SourceMap>[0],
        )
      : null;
    maps.set(url, map);
  }
  return map;
}
/** What `SourceMap.findEntry` answers: `{}` off the map; `name` since Node 20.?, so optional. */
interface Mapping {
  originalSource?: string;
  originalLine?: number;
  originalColumn?: number;
  name?: string;
}
for (const node of profile.nodes) {
  const f = node.callFrame;
  if (!f.url.startsWith('file:') || !f.url.endsWith('.js')) continue;
  const entry: Mapping = mapOf(f.url)?.findEntry(f.lineNumber, f.columnNumber) ?? {};
  if (entry.originalSource === undefined) continue;
  node.callFrame = {
    // esbuild renames functions whose names collide across the bundled modules (`runClaimed2`).
    functionName: entry.name && f.functionName.startsWith(entry.name) ? entry.name : f.functionName,
    url: new URL(entry.originalSource, f.url).href,
    lineNumber: entry.originalLine ?? f.lineNumber,
    columnNumber: entry.originalColumn ?? f.columnNumber,
  };
}
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
let total = 0;
let idle = 0;
profile.samples.forEach((id, i) => {
  const dt = (profile.timeDeltas[i] ?? 0) / 1000; // ms
  const leaf = byId.get(id);
  if (!leaf) return;
  if (leaf.callFrame.functionName === '(idle)') {
    idle += dt;
    return;
  }
  total += dt;
  const key = packageOf(leaf.callFrame.url, leaf.callFrame.functionName);
  self.set(key, (self.get(key) ?? 0) + dt);
  const hit = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const f = byId.get(cur)?.callFrame;
    if (!f) break;
    for (const [label, fn, frag] of STAGES) {
      if ((fn === '' || f.functionName === fn) && f.url.includes(frag)) hit.add(label);
    }
  }
  for (const label of hit) inclusive.set(label, (inclusive.get(label) ?? 0) + dt);
});

const pct = (ms: number) => `${((100 * ms) / total).toFixed(1)} %`;
console.log(
  `Profile ${file}: ${(total / 1000).toFixed(1)} s on CPU, ${(idle / 1000).toFixed(1)} s idle\n`,
);
console.log('| self time by package / file | ms | share |\n| --- | ---: | ---: |');
for (const [k, ms] of [...self.entries()]
  .sort((a, b) => b[1] - a[1])
  .slice(0, Number(values.top))) {
  console.log(`| ${k} | ${ms.toFixed(0)} | ${pct(ms)} |`);
}
console.log('\n| inclusive time of | ms | share |\n| --- | ---: | ---: |');
for (const [label] of STAGES) {
  const ms = inclusive.get(label) ?? 0;
  console.log(`| ${label} | ${ms.toFixed(0)} | ${pct(ms)} |`);
}
