/**
 * The migrations this build ships, and which of them a database lacks. Kept apart from the
 * migrator so that a serving process checks its schema without loading Umzug (about 20 MB
 * of resident memory that only the migration CLI needs).
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Sql } from '../db.js';

const MIGRATIONS_DIR = new URL('./', import.meta.url);

export interface MigrationFile {
  name: string;
  up: string;
  down: string | undefined;
}

/** In order: `NNNN_name.sql`, with an optional `NNNN_name.down.sql`. */
export function migrationFiles(): MigrationFile[] {
  const files = readdirSync(MIGRATIONS_DIR).filter((file) => /^\d{4}_[a-z0-9_]+\.sql$/.test(file));
  return files.sort().map((file) => {
    const name = file.replace(/\.sql$/, '');
    let down: string | undefined;
    try {
      down = readFileSync(new URL(`${name}.down.sql`, MIGRATIONS_DIR), 'utf8');
    } catch {
      down = undefined;
    }
    return { name, up: readFileSync(new URL(file, MIGRATIONS_DIR), 'utf8'), down };
  });
}

let knownNames: string[] | undefined;

/**
 * The migrations this build knows that the database has not applied. Extra rows in the
 * table (a newer release already migrated) do not count: old pods keep serving during a
 * rolling upgrade, which is why every migration must stay compatible with the release before it.
 */
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
