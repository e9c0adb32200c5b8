/**
 * `pnpm worker` as an operator runs it: a process on a PostgreSQL URL that migrates, runs the
 * jobs (here: sealing the audit chain), and exits 0 on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, initOrm, testServerUrl, type TestDatabase } from '@reins/db';
import { auditRow, insertAuditSql, newId, queryRows, withConnection } from '@reins/ledger';

const workerDir = join(dirname(fileURLToPath(import.meta.url)), '..');

function spawnWorker(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: workerDir,
    env: { ...process.env, DATABASE_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((r) => {
    child.once('exit', (code) => {
      r(code);
    });
  });
  return { child, exited, output: () => out };
}

async function until(check: () => Promise<boolean> | boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

// The worker needs a PostgreSQL server (the embedded database admits only its server).
describe.skipIf(!testServerUrl())('pnpm worker', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('worker_process');
  });
  afterAll(async () => {
    await db.drop();
  });

  it('migrates, seals pending audit events, and stops cleanly on SIGTERM', async () => {
    const w = spawnWorker({ DATABASE_URL: db.url, REINS_AUDIT_SEAL_MS: '50', REINS_DB_POOL: '2' });
    await until(() => w.output().includes('Reins worker started'));
    expect(w.output()).toContain('"audit-seal"');

    const orm = await initOrm(db.url, { maxConnections: 1 });
    try {
      const orgId = newId('org');
      await withConnection(orm, async (conn) => {
        await conn.query(`insert into organization (id, name) values ('${orgId}', 'w')`);
        await conn.query(
          insertAuditSql([
            auditRow({
              orgId,
              eventType: 'api_key.created',
              occurredAt: new Date().toISOString(),
              actor: 'test',
              entityType: 'api_key',
              entityId: 'key_1',
              metadata: {},
            }),
          ]),
        );
      });
      await until(async () => {
        const rows = await withConnection(orm, (conn) =>
          queryRows<{ n: string }>(
            conn,
            `select count(*)::text as n from audit_chain where org_id = '${orgId}'`,
          ),
        );
        return rows[0]?.n === '1';
      });
    } finally {
      await orm.close();
    }
    w.child.kill('SIGTERM');
    expect(await w.exited).toBe(0);
    expect(w.output()).toContain('Reins worker stopping');
  });

  it('refuses to start without DATABASE_URL, saying why', async () => {
    const w = spawnWorker({});
    expect(await w.exited).not.toBe(0);
    expect(w.output()).toContain('DATABASE_URL');
  });
});
