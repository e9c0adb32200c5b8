import { fileURLToPath } from 'node:url';
import { Migrator as MikroMigrator, TSMigrationGenerator } from '@mikro-orm/migrations';
import { MikroORM, type Options } from '@mikro-orm/core';
import {
  defineConfig,
  PostgreSqlDriver,
  type DatabaseSchema,
  type SqlEntityManager,
} from '@mikro-orm/postgresql';
import { entities } from './entities.js';
import { migrationsList } from './migrations/index.js';

/**
 * Where migrations and the schema snapshot live: what `migration:create` and `migration:check`
 * (from source) read and write. Applying migrations reads nothing here (`migrationsList`), so a
 * bundle, where this names a directory beside it that does not exist, migrates all the same.
 */
export const migrationsPath = fileURLToPath(new URL('./migrations', import.meta.url));

/** The ORM as this package configures it: PostgreSQL driver, SQL entity manager. */
export type Orm = MikroORM<PostgreSqlDriver, SqlEntityManager<PostgreSqlDriver>>;
export type OrmConfig = Options<PostgreSqlDriver, SqlEntityManager<PostgreSqlDriver>>;

export interface OrmOptions {
  /** Pool size; 1 for embedded PGlite, which serves a single connection. Default 10. */
  maxConnections?: number;
  /** Log SQL. */
  debug?: boolean;
}

/** Emits lint-clean migrations: `up()`/`down()` only queue SQL, so they need not be async. */
class MigrationGenerator extends TSMigrationGenerator {
  override generateMigrationFile(className: string, diff: { up: string[]; down: string[] }) {
    return super
      .generateMigrationFile(className, diff)
      .replaceAll('override async up(): Promise<void>', 'override up(): void')
      .replaceAll('override async down(): Promise<void>', 'override down(): void');
  }
}

/**
 * MikroORM's migrator rewrites the snapshot from the live database after every `up` that applies
 * something, i.e. in every test run and deployment. The committed snapshot must change only with
 * `migration:create` (written from the entities), so that write is skipped.
 */
class Migrator extends MikroMigrator {
  static override register(orm: MikroORM): void {
    // Same as the base class, which hard-codes `new Migrator(...)`; this ORM's em is SQL.
    const em = orm.em as unknown as ConstructorParameters<typeof MikroMigrator>[0];
    orm.config.registerExtension('@mikro-orm/migrator', () => new Migrator(em));
  }

  protected override async storeCurrentSchema(schema?: DatabaseSchema): Promise<void> {
    // Called with a schema only after `up`/`down` (read from the database); without, by create.
    if (schema) return;
    await super.storeCurrentSchema();
  }
}

export function createOrmConfig(url: string, opts: OrmOptions = {}): OrmConfig {
  return defineConfig({
    driver: PostgreSqlDriver,
    clientUrl: url,
    entities: [...entities],
    extensions: [Migrator],
    allowGlobalContext: false,
    debug: opts.debug ?? false,
    pool: { min: 0, max: opts.maxConnections ?? 10 },
    migrations: {
      path: migrationsPath,
      pathTs: migrationsPath,
      migrationsList,
      // Fixed name: the default embeds the database name, and test databases are random.
      snapshotName: '.snapshot-reins',
      emit: 'ts',
      generator: MigrationGenerator,
      transactional: true,
      allOrNothing: true,
      silent: true,
    },
  });
}

export function initOrm(url: string, opts: OrmOptions = {}): Promise<Orm> {
  return MikroORM.init(createOrmConfig(url, opts));
}

/** Apply pending migrations; returns the names of those applied. */
export async function migrateUp(orm: Orm): Promise<string[]> {
  const applied = await orm.migrator.up();
  return applied.map((m) => m.name);
}

export interface MigrationCheck {
  /** True when the entities differ from the committed snapshot (a migration is missing). */
  pending: boolean;
  /** The SQL a new migration would contain. */
  diff: string[];
}

/**
 * Compare the entities with the committed migration snapshot, the way `migration:create` would,
 * without writing anything.
 */
export async function checkMigrations(orm: Orm): Promise<MigrationCheck> {
  const migrator = orm.migrator as unknown as {
    getSchemaDiff(blank: boolean, initial: boolean): Promise<{ up: string[] }>;
  };
  const { up } = await migrator.getSchemaDiff(false, false);
  const diff = up.filter((sql) => sql.trim() !== '');
  return { pending: diff.length > 0, diff };
}
