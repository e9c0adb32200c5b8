/**
 * `pnpm --filter @reins/server lint:openapi`: writes the OpenAPI document the server serves
 * (`openApiDocument()`) to a temporary file and lints it with Redocly's recommended rules
 * (redocly.yaml). Fails on any error or warning.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openApiDocument } from '../src/http/openapi.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'reins-openapi-'));
const file = join(dir, 'openapi.json');
try {
  writeFileSync(file, JSON.stringify(openApiDocument(), null, 2));
  const run = spawnSync(
    join(root, 'node_modules/.bin/redocly'),
    ['lint', file, '--config', join(root, 'redocly.yaml'), '--format', 'json'],
    {
      encoding: 'utf8',
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    },
  );
  const start = run.stdout.indexOf('{');
  if (start < 0) {
    process.stderr.write(run.stdout + run.stderr);
    throw new Error(`redocly lint produced no report (exit ${String(run.status)})`);
  }
  const report = JSON.parse(run.stdout.slice(start)) as {
    totals: { errors: number; warnings: number; ignored: number };
    problems: {
      ruleId: string;
      severity: string;
      message: string;
      location: { pointer: string }[];
    }[];
  };
  for (const p of report.problems) {
    process.stdout.write(
      `${p.severity} ${p.ruleId} ${p.location[0]?.pointer ?? ''}: ${p.message}\n`,
    );
  }
  const { errors, warnings } = report.totals;
  process.stdout.write(
    `OpenAPI document: ${String(errors)} errors, ${String(warnings)} warnings (redocly recommended)\n`,
  );
  if (errors > 0 || warnings > 0) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
