import { Umzug, type UmzugStorage } from 'umzug';
import type { Logger } from '@task-manager/kit';
import type { Sql } from '../db.js';
import { migrationFiles } from './files.js';

/** Arbitrary, but shared by every migrator of this schema and never to change: it names the lock. */
const MIGRATION_LOCK_ID = 727_001;

/** Umzug's record of applied migrations, kept in PostgreSQL beside the data it describes. */
function postgresStorage(sql: Sql): UmzugStorage {
  const ensureTable = () => sql`create table if not exists schema_migrations (name text primary key, applied_at timestamptz not null default now())`;
  return {
    async executed() {
      await ensureTable();
      const rows = await sql<{ name: string }[]>`select name from schema_migrations order by name`;
      return rows.map((row) => row.name);
    },
    async logMigration({ name }) {
      await sql`insert into schema_migrations (name) values (${name})`;
    },
    async unlogMigration({ name }) {
      await sql`delete from schema_migrations where name = ${name}`;
    },
  };
}

function createUmzug(sql: Sql, logger: Logger) {
  return new Umzug({
    migrations: migrationFiles().map((file) => ({
      name: file.name,
      // Each migration runs in its own transaction: a failure leaves the schema as it was.
      up: async () => {
        await sql.begin((tx) => tx.unsafe(file.up));
      },
      down: async () => {
        if (file.down === undefined) throw new Error(`migration ${file.name} has no down script`);
        const down = file.down;
        await sql.begin((tx) => tx.unsafe(down));
      },
    })),
    storage: postgresStorage(sql),
    logger: {
      info: (event) => logger.info(event, 'migration'),
      warn: (event) => logger.warn(event, 'migration'),
      error: (event) => logger.error(event, 'migration'),
      debug: (event) => logger.debug(event, 'migration'),
    },
  });
}

/**
 * Runs `work` while holding a session-level advisory lock on a dedicated connection, so that
 * migrators started together (every backend pod's init container) take turns: the first
 * applies what is pending, the rest then find nothing left to do.
 */
export async function withMigrationLock<T>(sql: Sql, logger: Logger, work: () => Promise<T>): Promise<T> {
  const lockConnection = await sql.reserve();
  try {
    const [{ locked }] = (await lockConnection`select pg_try_advisory_lock(${MIGRATION_LOCK_ID}) as locked`) as unknown as [{ locked: boolean }];
    if (!locked) {
      logger.info('another migrator holds the lock; waiting for it');
      await lockConnection`select pg_advisory_lock(${MIGRATION_LOCK_ID})`;
    }
    try {
      return await work();
    } finally {
      await lockConnection`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`;
    }
  } finally {
    lockConnection.release();
  }
}

/** Applies what is pending, or only up to and including the migration named `to`. */
export async function migrateUp(sql: Sql, logger: Logger, to?: string): Promise<string[]> {
  return withMigrationLock(sql, logger, async () => (await createUmzug(sql, logger).up(to ? { to } : {})).map((m) => m.name));
}

export async function migrateDown(sql: Sql, logger: Logger): Promise<string[]> {
  return withMigrationLock(sql, logger, async () => (await createUmzug(sql, logger).down()).map((m) => m.name));
}

export async function migrationStatus(sql: Sql, logger: Logger): Promise<{ executed: string[]; pending: string[] }> {
  const umzug = createUmzug(sql, logger);
  const [executed, pending] = await Promise.all([umzug.executed(), umzug.pending()]);
  return { executed: executed.map((m) => m.name), pending: pending.map((m) => m.name) };
}
