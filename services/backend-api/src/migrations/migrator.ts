import { readdirSync, readFileSync } from 'node:fs';
import { Umzug, type UmzugStorage } from 'umzug';
import type { Logger } from '@task-manager/kit';
import type { Sql } from '../db.js';

const MIGRATIONS_DIR = new URL('./', import.meta.url);
/** Any constant shared by every migrator of this schema; 'task-manager' hashed by hand, kept stable. */
const MIGRATION_LOCK_ID = 727_001;

export interface MigrationFile {
  name: string;
  up: string;
  down: string | undefined;
}

/** The migrations this build knows, in order: `NNNN_name.sql`, with an optional `NNNN_name.down.sql`. */
export function migrationFiles(): MigrationFile[] {
  const files = readdirSync(MIGRATIONS_DIR).filter((file) => /^\d{4}_[a-z0-9_]+\.sql$/.test(file));
  return files.sort().map((file) => {
    const name = file.replace(/\.sql$/, '');
    const downFile = new URL(`${name}.down.sql`, MIGRATIONS_DIR);
    let down: string | undefined;
    try {
      down = readFileSync(downFile, 'utf8');
    } catch {
      down = undefined;
    }
    return { name, up: readFileSync(new URL(file, MIGRATIONS_DIR), 'utf8'), down };
  });
}

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
async function withMigrationLock<T>(sql: Sql, logger: Logger, work: () => Promise<T>): Promise<T> {
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

export async function migrateUp(sql: Sql, logger: Logger): Promise<string[]> {
  return withMigrationLock(sql, logger, async () => (await createUmzug(sql, logger).up()).map((m) => m.name));
}

export async function migrateDown(sql: Sql, logger: Logger): Promise<string[]> {
  return withMigrationLock(sql, logger, async () => (await createUmzug(sql, logger).down()).map((m) => m.name));
}

export async function migrationStatus(sql: Sql, logger: Logger): Promise<{ executed: string[]; pending: string[] }> {
  const umzug = createUmzug(sql, logger);
  const [executed, pending] = await Promise.all([umzug.executed(), umzug.pending()]);
  return { executed: executed.map((m) => m.name), pending: pending.map((m) => m.name) };
}

/**
 * The migrations this build knows that the database has not applied. Extra rows in the
 * table (a newer release already migrated) do not count: old pods keep serving during a
 * rolling upgrade, which is why every migration must stay compatible with the release before it.
 */
let knownNames: string[] | undefined;

export async function missingMigrations(sql: Sql): Promise<string[]> {
  knownNames ??= migrationFiles().map((file) => file.name);
  const known = knownNames;
  const rows = await sql<{ name: string }[]>`
    select name from schema_migrations where name = any(${known}::text[])`.catch((error: { code?: string }) => {
    if (error.code === '42P01') return [];
    throw error;
  });
  const applied = new Set(rows.map((row) => row.name));
  return known.filter((name) => !applied.has(name));
}
