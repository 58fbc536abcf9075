/**
 * The restore CLI: `node dist/backup/restore.js [--force] [<backup id> | latest]`, or `--list`.
 * Before it touches the database it checks everything it can: the backup's schema is one this
 * image's migrations know, the key is the one it was encrypted with, the file is intact (its
 * sha256, and the GCM tag). It refuses a database that holds any row unless --force, then
 * replaces the whole `public` schema with the backup's and runs the migrations the backup
 * lacks. Exits 1 with one line on stderr naming what is wrong.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createLogger, loadConfigOrExit, type Logger } from '@task-manager/kit';
import { loadConfig, type Config } from '../config.js';
import { createDatabase, waitForDatabase, type Sql } from '../db.js';
import { migrationFiles } from '../migrations/files.js';
import { migrateUp, withMigrationLock } from '../migrations/migrator.js';
import { decrypting, keyId } from './encryption.js';
import { listBackups, readManifest, type Manifest } from './manifest.js';
import { libpqEnv, pgRestore } from './postgres-tools.js';
import { loadBackupSettings, type BackupSettings } from './settings.js';
import { NotFound, openStore, type Store } from './store.js';

const USAGE = 'usage: restore [--force] [<backup id> | latest]   |   restore --list';

class Refusal extends Error {}

/** The backup's migrations must all be ones this image ships: a newer schema would be served by code that does not know it. */
function checkSchema(manifest: Manifest): void {
  const known = new Set(migrationFiles().map((file) => file.name));
  const unknown = manifest.migrations.filter((name) => !known.has(name));
  if (unknown.length) {
    const newest = [...known].at(-1) ?? 'none';
    throw new Refusal(
      `backup ${manifest.id} has schema ${manifest.schemaVersion}, newer than this image's (it knows migrations up to ${newest}; unknown: ${unknown.join(', ')}): restore it with the backend image of the release that made it, or a later one`,
    );
  }
}

function checkKey(manifest: Manifest, key: Buffer | undefined): void {
  if (!manifest.encryption) return;
  if (!key) throw new Refusal(`backup ${manifest.id} is encrypted (${manifest.encryption.cipher}, key id ${manifest.encryption.keyId}): set BACKUP_ENCRYPTION_KEY to its key`);
  if (keyId(key) !== manifest.encryption.keyId) {
    throw new Refusal(`BACKUP_ENCRYPTION_KEY is not the key backup ${manifest.id} was encrypted with (its key id is ${manifest.encryption.keyId}, this key's is ${keyId(key)})`);
  }
}

/** pg_restore's input: the file, decrypted when it is encrypted. */
const plaintext = (path: string, manifest: Manifest, key: Buffer | undefined): Promise<Readable> =>
  manifest.encryption ? decrypting(path, key!) : Promise.resolve(createReadStream(path));

/** A first pass over the whole file: its digest, and for an encrypted one the GCM tag, before pg_restore reads any of it. */
async function verify(path: string, manifest: Manifest, key: Buffer | undefined): Promise<void> {
  const digest = createHash('sha256');
  await pipeline(createReadStream(path), new Writable({ write: (chunk, _e, done) => (digest.update(chunk), done()) }));
  if (digest.digest('hex') !== manifest.sha256) throw new Refusal(`backup ${manifest.id} is damaged: ${manifest.file} does not have the sha256 its manifest records`);
  if (manifest.encryption) {
    try {
      await pipeline(await plaintext(path, manifest, key), new Writable({ write: (_c, _e, done) => done() }));
    } catch (error) {
      throw new Refusal(`backup ${manifest.id}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/** The tables of the public schema that hold at least one row. */
async function tablesWithRows(sql: Sql): Promise<string[]> {
  const tables = await sql<{ name: string }[]>`select tablename as name from pg_tables where schemaname = 'public' order by tablename`;
  const filled: string[] = [];
  for (const { name } of tables) {
    const [{ any }] = (await sql`select exists (select 1 from ${sql(name)}) as any`) as unknown as [{ any: boolean }];
    if (any) filled.push(name);
  }
  return filled;
}

async function chooseBackup(store: Store, wanted: string): Promise<Manifest> {
  if (wanted !== 'latest') {
    return readManifest(store, wanted.replace(/\.json$/, '')).catch((error: unknown) => {
      if (error instanceof NotFound) throw new Refusal(`there is no backup ${wanted} in ${store.where} (restore --list names them)`);
      throw error;
    });
  }
  const [newest] = await listBackups(store);
  if (!newest) throw new Refusal(`there is no backup in ${store.where}`);
  return newest;
}

async function restore(config: Config, settings: BackupSettings, logger: Logger, wanted: string, force: boolean): Promise<void> {
  const store = openStore(settings.target);
  const manifest = await chooseBackup(store, wanted);
  checkSchema(manifest);
  checkKey(manifest, settings.encryptionKey);
  const local = await store.fetch(manifest.file);
  const db = createDatabase({ ...config, poolSize: 2 });
  try {
    await verify(local.path, manifest, settings.encryptionKey);
    await waitForDatabase(db.sql, logger, config.connectTimeoutSeconds);
    const started = Date.now();
    // Under the migration lock: a backend pod starting meanwhile waits rather than migrating a half-restored schema.
    await withMigrationLock(db.sql, logger, async () => {
      const filled = await tablesWithRows(db.sql);
      if (filled.length && !force) {
        throw new Refusal(`the database is not empty (rows in ${filled.join(', ')}): restore replaces everything in it; run it again with --force to do that`);
      }
      if (filled.length) logger.warn({ tables: filled }, '--force: replacing a database that holds data');
      await db.sql.begin((tx) => tx.unsafe('drop schema if exists public cascade; create schema public'));
      const [{ version }] = await db.sql<[{ version: number }]>`select current_setting('server_version_num')::int as version`;
      await pgRestore(await plaintext(local.path, manifest, settings.encryptionKey), settings.pgBinDir, libpqEnv(config), version).catch((error: unknown) => {
        throw new Error(`${error instanceof Error ? error.message : String(error)} (the database's public schema is now empty: fix the cause and restore again)`);
      });
    });
    const applied = await migrateUp(db.sql, logger);
    logger.info(
      { id: manifest.id, schemaVersion: manifest.schemaVersion, migrationsApplied: applied, seconds: (Date.now() - started) / 1000 },
      `restored ${manifest.id}${applied.length ? `, then applied ${applied.length} migration(s)` : ''}`,
    );
  } finally {
    await local.release();
    await db.close();
  }
}

async function main(args: string[]): Promise<number> {
  const flags = new Set(args.filter((a) => a.startsWith('--')));
  const names = args.filter((a) => !a.startsWith('--'));
  if ([...flags].some((f) => !['--force', '--list'].includes(f)) || names.length > 1 || (flags.has('--list') && (names.length || flags.size > 1))) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const config = loadConfigOrExit('restore', () => loadConfig());
  const settings = loadConfigOrExit('restore', () => loadBackupSettings());
  const logger = createLogger('restore', config.logLevel);
  try {
    if (flags.has('--list')) {
      for (const b of await listBackups(openStore(settings.target))) {
        process.stdout.write(`${b.id}  ${b.createdAt}  ${b.bytes} bytes  schema ${b.schemaVersion ?? 'none'}${b.encryption ? '  encrypted' : ''}\n`);
      }
    } else {
      await restore(config, settings, logger, names[0] ?? 'latest', flags.has('--force'));
    }
    return 0;
  } catch (error) {
    process.stderr.write(`restore failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
