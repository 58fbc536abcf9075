/**
 * A backup is two files: the dump (`<id>.dump`, or `<id>.dump.enc` when encrypted) and, written
 * last, its manifest (`<id>.json`). A dump without a manifest is a backup that did not finish.
 */
import type { Store } from './store.js';

export const FORMAT = 'task-manager-backup/1';

export interface Manifest {
  format: typeof FORMAT;
  id: string;
  createdAt: string;
  /** The file holding pg_dump's custom-format output. */
  file: string;
  bytes: number;
  /** Of the stored file (after encryption, if any). */
  sha256: string;
  database: string;
  serverVersion: string;
  pgDumpVersion: string;
  /** The migrations applied in the dumped database, in order; the last is its schema version. */
  migrations: string[];
  schemaVersion: string | null;
  encryption: { cipher: string; keyId: string } | null;
}

/** `backup-2026-12-01T16-00-00-123Z`: sorts by time, and is a valid file and object name anywhere. */
export const newId = (now: Date) => `backup-${now.toISOString().replace(/[:.]/g, '-')}`;

const MANIFEST = /^(backup-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z)\.json$/;

/** Every finished backup, newest first. */
export async function listBackups(store: Store): Promise<Manifest[]> {
  const ids = (await store.list()).flatMap((name) => MANIFEST.exec(name)?.[1] ?? []);
  const manifests = await Promise.all(ids.map((id) => readManifest(store, id)));
  return manifests.sort((a, b) => b.id.localeCompare(a.id));
}

export async function readManifest(store: Store, id: string): Promise<Manifest> {
  const text = await store.getText(`${id}.json`);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(text) as Manifest;
  } catch {
    throw new Error(`${id}.json in ${store.where} is not JSON`);
  }
  if (manifest.format !== FORMAT) throw new Error(`${id}.json in ${store.where} is not a manifest of format ${FORMAT}`);
  return manifest;
}

/**
 * Deletes what retention no longer keeps: every backup past the newest `keepLast`, and every
 * one older than `keepDays` days (0: none for age), never the newest; and dumps whose backup
 * did not finish, once a later backup did. Returns the ids deleted.
 */
export async function prune(store: Store, keepLast: number, keepDays: number, now: Date): Promise<string[]> {
  const backups = await listBackups(store);
  const cutoff = keepDays > 0 ? now.getTime() - keepDays * 86_400_000 : -Infinity;
  const doomed = backups.filter((b, i) => i > 0 && (i >= keepLast || Date.parse(b.createdAt) < cutoff));
  for (const b of doomed) {
    await store.remove(`${b.id}.json`);
    await store.remove(b.file);
  }
  const newest = backups[0]?.id;
  const finished = new Set(backups.map((b) => b.file));
  const unfinished = (await store.list()).filter((name) => /^backup-.*\.dump(\.enc)?$/.test(name) && !finished.has(name) && newest && name < newest);
  for (const name of unfinished) await store.remove(name);
  return doomed.map((b) => b.id);
}
