/**
 * The backup CLI: `node dist/backup/backup.js`. Dumps the database (pg_dump, custom format)
 * from one snapshot that also gives the schema version recorded beside it, optionally
 * encrypts it, stores it (BACKUP_TARGET: directory or s3), then applies retention. Exits 1
 * with one line on stderr on any failure, so the Job that runs it fails.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { PassThrough, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createLogger, loadConfigOrExit, type Logger } from '@task-manager/kit';
import { loadConfig, type Config } from '../config.js';
import { createDatabase, waitForDatabase } from '../db.js';
import { CIPHER, encrypting, keyId } from './encryption.js';
import { FORMAT, newId, prune, type Manifest } from './manifest.js';
import { libpqEnv, pgProgram, runTool } from './postgres-tools.js';
import { loadBackupSettings, type BackupSettings } from './settings.js';
import { openStore } from './store.js';

async function toolVersion(program: string): Promise<string> {
  const run = runTool(program, ['--version'], {});
  let out = '';
  run.child.stdout.on('data', (chunk) => (out += chunk));
  run.child.stdin.end();
  await run.done;
  return out.trim();
}

async function backup(config: Config, settings: BackupSettings, logger: Logger, now = new Date()): Promise<Manifest> {
  const store = openStore(settings.target);
  const program = pgProgram('pg_dump', settings.pgBinDir);
  const pgDumpVersion = await toolVersion(program);
  const db = createDatabase({ ...config, poolSize: 2 });
  try {
    await waitForDatabase(db.sql, logger, config.connectTimeoutSeconds);
    // One snapshot for the dump and the schema version: a migration committed meanwhile is in neither.
    const snapshotHolder = await db.sql.reserve();
    try {
      await snapshotHolder.unsafe('begin transaction isolation level repeatable read read only');
      const [{ snapshot, database, serverVersion }] = (await snapshotHolder.unsafe(
        "select pg_export_snapshot() as snapshot, current_database() as database, current_setting('server_version') as \"serverVersion\"",
      )) as unknown as [{ snapshot: string; database: string; serverVersion: string }];
      const migrations = (
        (await snapshotHolder.unsafe('select name from schema_migrations order by name').catch((error: { code?: string }) => {
          if (error.code === '42P01') return [];
          throw error;
        })) as unknown as Array<{ name: string }>
      ).map((row) => row.name);

      const id = newId(now);
      const file = `${id}.dump${settings.encryptionKey ? '.enc' : ''}`;
      const staged = await store.staging(file);
      const digest = createHash('sha256');
      const hashing = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          digest.update(chunk);
          done(null, chunk);
        },
      });
      const started = Date.now();
      const dump = runTool(program, ['--format=custom', '--no-owner', '--no-privileges', `--snapshot=${snapshot}`], libpqEnv(config));
      dump.child.stdin.end();
      const steps = [dump.child.stdout, settings.encryptionKey ? encrypting(settings.encryptionKey) : new PassThrough(), hashing, createWriteStream(staged)] as const;
      let size: number;
      try {
        await Promise.all([pipeline(...steps), dump.done]);
        size = (await stat(staged)).size;
      } catch (error) {
        await rm(staged, { force: true });
        throw error;
      }
      const sha256 = digest.digest('hex');
      await store.put(file, staged, sha256);
      const manifest: Manifest = {
        format: FORMAT,
        id,
        createdAt: now.toISOString(),
        file,
        bytes: size,
        sha256,
        database,
        serverVersion,
        pgDumpVersion,
        migrations,
        schemaVersion: migrations.at(-1) ?? null,
        encryption: settings.encryptionKey ? { cipher: CIPHER, keyId: keyId(settings.encryptionKey) } : null,
      };
      // Last: a manifest says the backup is complete.
      await store.putText(`${id}.json`, `${JSON.stringify(manifest, null, 2)}\n`);
      logger.info({ id, file, bytes: size, schemaVersion: manifest.schemaVersion, encrypted: manifest.encryption !== null, seconds: (Date.now() - started) / 1000, where: store.where }, 'backup stored');
      const pruned = await prune(store, settings.keepLast, settings.keepDays, now);
      if (pruned.length) logger.info({ pruned }, `retention: deleted ${pruned.length} backup(s)`);
      return manifest;
    } finally {
      await snapshotHolder.unsafe('rollback').catch(() => {});
      snapshotHolder.release();
    }
  } finally {
    await db.close();
  }
}

const config = loadConfigOrExit('backup', () => loadConfig());
const settings = loadConfigOrExit('backup', () => loadBackupSettings());
process.exitCode = await backup(config, settings, createLogger('backup', config.logLevel)).then(
  () => 0,
  (error: unknown) => {
    process.stderr.write(`backup failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  },
);
