import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded.js';
import { Organization } from './entities.js';
import { migrationsList } from './migrations/index.js';
import { checkMigrations, initOrm, migrateUp } from './orm.js';
import { testServerUrl } from './testing.js';

// CI runs the suite against a real PostgreSQL; the embedded database is exercised when there is
// none, or on request (REINS_TEST_EMBEDDED=1). Opening PGlite can take minutes on a busy machine.
const run = !testServerUrl() || process.env.REINS_TEST_EMBEDDED === '1';

describe.skipIf(!run)('embedded PGlite', () => {
  let dataDir: string | undefined;
  let embedded: EmbeddedPostgres | undefined;

  afterAll(async () => {
    await embedded?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('migrates, keeps a row across a stop and restart from the same directory', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'reins-pglite-test-'));

    embedded = await startEmbeddedPostgres({ dataDir });
    expect(embedded.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
    let orm = await initOrm(embedded.url, { maxConnections: embedded.maxConnections });
    expect(await migrateUp(orm)).toEqual(migrationsList.map((m) => m.name));
    expect((await checkMigrations(orm)).pending).toBe(false);
    const em = orm.em.fork();
    em.create(Organization, { id: 'org_persist', name: 'Persisted', monthlyBudgetCents: 12_345 });
    await em.flush();
    await orm.close();
    await embedded.stop();

    embedded = await startEmbeddedPostgres({ dataDir });
    orm = await initOrm(embedded.url, { maxConnections: embedded.maxConnections });
    try {
      expect(await migrateUp(orm)).toEqual([]);
      const org = await orm.em.fork().findOneOrFail(Organization, 'org_persist');
      expect(org).toMatchObject({ name: 'Persisted', monthlyBudgetCents: 12_345 });
    } finally {
      await orm.close();
    }
  });
});
