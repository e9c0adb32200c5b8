/**
 * Medians over several runs of the HTTP benchmark:
 *
 *   tsx bench/summarize.ts bench/results/http-*.json
 *
 * Every figure is the median of that figure over the runs (phase by phase), so one noisy run
 * moves nothing.
 */
import { readFileSync } from 'node:fs';
import { medianDeep, tables, type PhaseRow } from './report.js';

interface Run {
  date: string;
  phases: PhaseRow[];
  verification: { ok: boolean };
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: tsx bench/summarize.ts <http-*.json> …');
  process.exit(2);
}
const runs = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as Run);
const names = runs[0]?.phases.map((p) => p.name) ?? [];
const medians = names.map((name) => {
  const same = runs.flatMap((r) => r.phases.filter((p) => p.name === name));
  return medianDeep(same) as PhaseRow;
});
console.log(
  `Medians of ${runs.length} runs (${runs.map((r) => r.date.slice(0, 16)).join(', ')}); ` +
    `guarantees intact in ${runs.filter((r) => r.verification.ok).length} of ${runs.length}.\n`,
);
console.log(tables(medians));
