// pnpm --filter @reins/db migration:create [name] | migration:up | migration:check
//
// `up` migrates the database of DATABASE_URL (creating the database if it does not exist). `create` and `check` compare the entities with the
// committed snapshot; they only need a connection, and use (creating it if missing) a database
// named `reins_dev` on DATABASE_URL's server, so they never touch another database.
import { ensureDatabase, withDatabase } from '../src/admin.js';
import { checkMigrations, initOrm, migrateUp } from '../src/orm.js';

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const DEV_DATABASE = 'reins_dev';

async function main(): Promise<number> {
  const [command, name] = process.argv.slice(2);
  const url = process.env.DATABASE_URL ?? DEFAULT_URL;
  switch (command) {
    case 'up': {
      const database = decodeURIComponent(new URL(url).pathname.slice(1)) || 'postgres';
      await ensureDatabase(withDatabase(url, 'postgres'), database);
      const orm = await initOrm(url, { maxConnections: 1 });
      try {
        const applied = await migrateUp(orm);
        console.log(applied.length ? `applied: ${applied.join(', ')}` : 'up to date');
        return 0;
      } finally {
        await orm.close();
      }
    }
    case 'create':
    case 'check': {
      const orm = await initOrm(await ensureDatabase(url, DEV_DATABASE), { maxConnections: 1 });
      try {
        if (command === 'check') {
          const { pending, diff } = await checkMigrations(orm);
          if (!pending) {
            console.log('entities and migrations agree: nothing to do');
            return 0;
          }
          console.error(`entities differ from the migration snapshot:\n${diff.join('\n')}`);
          return 1;
        }
        const migrator = orm.migrator;
        const result = await migrator.createMigration(undefined, false, false, name);
        if (!result.fileName) {
          console.log('no schema changes');
          return 0;
        }
        console.log(`created src/migrations/${result.fileName}; add it to src/migrations/index.ts`);
        return 0;
      } finally {
        await orm.close();
      }
    }
    default:
      console.error('usage: migration.ts create [name] | up | check');
      return 2;
  }
}

process.exitCode = await main();
