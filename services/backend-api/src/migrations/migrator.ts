import { Umzug, type UmzugStorage } from 'umzug';
import type { Logger } from '@task-manager/kit';
import type { Sql } from '../db.js';
import { endsConnection, isTransient, withRetries, type Repeat } from '../db-retry.js';
import { migrationFiles } from './files.js';

/** Arbitrary, but shared by every migrator of this schema and never to change: it names the lock. */
const MIGRATION_LOCK_ID = 727_001;

/**
 * Umzug's record of applied migrations, kept in PostgreSQL beside the data it describes. The
 * record changes in the migration's own transaction (see `inTransaction`), so Umzug's log and
 * unlog have nothing left to do.
 */
function postgresStorage(sql: Sql): UmzugStorage {
  const ensureTable = () => sql`create table if not exists schema_migrations (name text primary key, applied_at timestamptz not null default now())`;
  return {
    async executed() {
      await ensureTable();
      const rows = await sql<{ name: string }[]>`select name from schema_migrations order by name`;
      return rows.map((row) => row.name);
    },
    async logMigration() {},
    async unlogMigration() {},
  };
}

/**
 * Runs a migration script and changes its record in one transaction on the locked connection:
 * the script and the record commit together or not at all, so a migration is never applied without
 * being recorded (and then applied again by the next migrator). postgres.js's `begin` would take
 * another connection from the pool, so the transaction is spelled out.
 */
async function inTransaction(locked: Sql, script: string, record: () => Promise<unknown>): Promise<void> {
  await locked.unsafe('begin');
  try {
    await locked.unsafe(script);
    await record();
    await locked.unsafe('commit');
  } catch (error) {
    // On a lost connection there is nothing to roll back: PostgreSQL already did.
    await locked.unsafe('rollback').catch(() => {});
    throw error;
  }
}

function createUmzug(locked: Sql, logger: Logger) {
  return new Umzug({
    migrations: migrationFiles().map((file) => ({
      name: file.name,
      up: () => inTransaction(locked, file.up, () => locked`insert into schema_migrations (name) values (${file.name})`),
      down: async () => {
        if (file.down === undefined) throw new Error(`migration ${file.name} has no down script`);
        await inTransaction(locked, file.down, () => locked`delete from schema_migrations where name = ${file.name}`);
      },
    })),
    storage: postgresStorage(locked),
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
 * applies what is pending, the rest then find nothing left to do. `work` gets that connection:
 * the lock lives exactly as long as it, so what runs on it cannot outlive the lock.
 */
export async function withMigrationLock<T>(sql: Sql, logger: Logger, work: (locked: Sql) => Promise<T>): Promise<T> {
  const lockConnection = await sql.reserve();
  let lost = false;
  try {
    const [{ locked }] = (await lockConnection`select pg_try_advisory_lock(${MIGRATION_LOCK_ID}) as locked`) as unknown as [{ locked: boolean }];
    if (!locked) {
      logger.info('another migrator holds the lock; waiting for it');
      await lockConnection`select pg_advisory_lock(${MIGRATION_LOCK_ID})`;
    }
    try {
      return await work(lockConnection);
    } finally {
      // A lost connection took its lock with it: nothing to unlock, and `work`'s error is the one to tell.
      await lockConnection`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`.catch((error: unknown) => {
        if (!isTransient(error)) throw error;
      });
    }
  } catch (error) {
    lost = endsConnection(error);
    throw error;
  } finally {
    // postgres.js has already put a lost connection among those to reconnect; given back, it would be handed out dead.
    if (!lost) lockConnection.release();
  }
}

/**
 * How long a migrator keeps trying after its connection was lost (a failover, a restart): each try
 * takes the lock again and reads anew what is applied, since another migrator may have gone on.
 */
const RELOCK_POLICY = { budgetMs: 60_000, firstDelayMs: 250, maxDelayMs: 2000 };

function migrateLocked(sql: Sql, logger: Logger, repeat: Repeat, migrate: (umzug: ReturnType<typeof createUmzug>) => Promise<{ name: string }[]>): Promise<string[]> {
  return withRetries(
    () => withMigrationLock(sql, logger, async (locked) => (await migrate(createUmzug(locked, logger))).map((m) => m.name)),
    repeat,
    RELOCK_POLICY,
    (error) => logger.warn({ code: (error as { code?: string }).code }, 'lost the database connection while migrating; taking the lock again'),
  );
}

/** Applies what is pending, or only up to and including the migration named `to`. */
export async function migrateUp(sql: Sql, logger: Logger, to?: string): Promise<string[]> {
  // Up is repeatable: a second run applies only what the first did not record.
  return migrateLocked(sql, logger, 'repeatable', (umzug) => umzug.up(to ? { to } : {}));
}

/** Rolls back the last applied migration; not run again after a lost connection, which might roll back the one before too. */
export async function migrateDown(sql: Sql, logger: Logger): Promise<string[]> {
  return migrateLocked(sql, logger, 'once', (umzug) => umzug.down());
}

export async function migrationStatus(sql: Sql, logger: Logger): Promise<{ executed: string[]; pending: string[] }> {
  const umzug = createUmzug(sql, logger);
  const [executed, pending] = await Promise.all([umzug.executed(), umzug.pending()]);
  return { executed: executed.map((m) => m.name), pending: pending.map((m) => m.name) };
}
