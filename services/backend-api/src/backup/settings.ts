import { EnvReader } from '@task-manager/kit';
import { keyFromSetting } from './encryption.js';

/** Where backups are kept: a directory (a mounted volume) or an S3-compatible bucket. */
export type TargetSettings =
  | { kind: 'directory'; directory: string }
  | {
      kind: 's3';
      /** http(s)://host[:port]; buckets are addressed path-style (<endpoint>/<bucket>/<key>). */
      endpoint: URL;
      bucket: string;
      /** Prepended to every object name, e.g. `task-manager/`. */
      prefix: string;
      region: string;
      accessKeyId: string;
      secretAccessKey: string;
    };

export interface BackupSettings {
  target: TargetSettings;
  /** The AES-256 key backups are encrypted with (and restores decrypt with); none: stored as pg_dump writes them. */
  encryptionKey: Buffer | undefined;
  /** Retention: the newest `keepLast` backups are kept, and none older than `keepDays` (0: no age limit); the newest always stays. */
  keepLast: number;
  keepDays: number;
  /** Where pg_dump, pg_restore and psql are; empty means the newest /usr/lib/postgresql/<major>/bin, else PATH. */
  pgBinDir: string | undefined;
}

export function loadBackupSettings(env: Record<string, string | undefined> = process.env): BackupSettings {
  const read = new EnvReader(env);
  const kind = read.oneOf('BACKUP_TARGET', ['directory', 's3'] as const, 'directory');
  let target: TargetSettings;
  if (kind === 's3') {
    const prefix = read.optionalString('BACKUP_S3_PREFIX') ?? '';
    target = {
      kind,
      endpoint: read.url('BACKUP_S3_ENDPOINT', ['http', 'https']),
      bucket: read.string('BACKUP_S3_BUCKET'),
      prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`,
      region: read.string('BACKUP_S3_REGION', 'us-east-1'),
      accessKeyId: read.string('AWS_ACCESS_KEY_ID'),
      secretAccessKey: read.string('AWS_SECRET_ACCESS_KEY'),
    };
  } else {
    target = { kind, directory: read.string('BACKUP_DIR') };
  }
  const keySetting = read.optionalString('BACKUP_ENCRYPTION_KEY');
  let encryptionKey: Buffer | undefined;
  if (keySetting !== undefined) {
    encryptionKey = keyFromSetting(keySetting);
    if (!encryptionKey) read.problem('BACKUP_ENCRYPTION_KEY must be 32 bytes: 44 base64 characters (openssl rand -base64 32) or 64 hex digits');
  }
  const settings: BackupSettings = {
    target,
    encryptionKey,
    keepLast: read.integer('BACKUP_KEEP_LAST', 7, { min: 1, max: 10_000 }),
    keepDays: read.integer('BACKUP_KEEP_DAYS', 30, { min: 0, max: 36_500 }),
    pgBinDir: read.optionalString('PG_BIN_DIR'),
  };
  read.finish();
  return settings;
}
