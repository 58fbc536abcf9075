/** pg_dump and pg_restore, run with the backend's connection settings passed as libpq's PG* variables (never on the command line). */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Config } from '../config.js';

/** The newest PostgreSQL client Debian's packages put under /usr/lib/postgresql (their /usr/bin/pg_dump is a perl wrapper the image has no perl for). */
function defaultBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((d) => /^\d+$/.test(d)).map(Number).sort((a, b) => b - a) : [];
  const major = majors.find((m) => existsSync(join(root, String(m), 'bin', 'pg_dump')));
  return major === undefined ? undefined : join(root, String(major), 'bin');
}

export function pgProgram(name: 'pg_dump' | 'pg_restore' | 'psql', binDir: string | undefined): string {
  const dir = binDir ?? defaultBinDir();
  return dir ? join(dir, name) : name;
}

export function libpqEnv(config: Pick<Config, 'database' | 'sslMode'>): Record<string, string> {
  const env: Record<string, string> = { PGSSLMODE: config.sslMode, PGAPPNAME: 'task-manager-backup', PGCONNECT_TIMEOUT: '10' };
  if ('url' in config.database) {
    const url = new URL(config.database.url);
    Object.assign(env, {
      PGHOST: decodeURIComponent(url.hostname),
      PGPORT: url.port || '5432',
      PGUSER: decodeURIComponent(url.username),
      PGPASSWORD: decodeURIComponent(url.password),
      PGDATABASE: decodeURIComponent(url.pathname.replace(/^\//, '')),
    });
  } else {
    const { host, port, user, password, database } = config.database;
    Object.assign(env, { PGHOST: host, PGPORT: String(port), PGUSER: user, PGPASSWORD: password, PGDATABASE: database });
  }
  return env;
}

export interface Run {
  child: ChildProcessByStdio<Writable, Readable, Readable>;
  /** Resolves when it exits 0; rejects with the last lines it wrote to stderr otherwise. */
  done: Promise<void>;
}

export function runTool(program: string, args: string[], env: Record<string, string>): Run {
  const child = spawn(program, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const name = program.split('/').pop();
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (error) => reject(new Error(`cannot run ${program}: ${error.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${name} ${signal ? `was killed (${signal})` : `exited with ${code}`}: ${stderr.trim() || 'no output'}`));
    });
  });
  return { child, done };
}

/** What pg_restore of PostgreSQL 17 or later sets first, and a server before 17 refuses as an unknown parameter. */
const NEWER_THAN_SERVER = 'SET transaction_timeout = 0;';

/**
 * Drops the lines that are exactly `line`, however the text is chunked. It works on bytes, not
 * strings: a newline byte never occurs inside a multi-byte UTF-8 character, and so a character
 * split between two chunks reaches the output whole.
 */
export function withoutLine(line: string): Transform {
  const dropped = Buffer.from(line);
  let rest = Buffer.alloc(0);
  const kept = (lines: Buffer) => {
    const parts: Buffer[] = [];
    let start = 0;
    for (let end = lines.indexOf(0x0a); end !== -1; start = end + 1, end = lines.indexOf(0x0a, start)) {
      if (!lines.subarray(start, end).equals(dropped)) parts.push(lines.subarray(start, end + 1));
    }
    return Buffer.concat(parts);
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const text = rest.length ? Buffer.concat([rest, chunk]) : chunk;
      const end = text.lastIndexOf(0x0a) + 1;
      rest = Buffer.from(text.subarray(end));
      done(null, kept(text.subarray(0, end)));
    },
    flush(done) {
      done(null, rest.equals(dropped) ? Buffer.alloc(0) : rest);
    },
  });
}

/**
 * Restores a custom-format archive (`input`) into the database in one transaction, stopping at
 * the first error. The image's client is the bundled server's major; an external database may be
 * older, and a newer pg_restore sets a parameter such a server does not know: against a server
 * before 17 its SQL goes through psql without that line ("pg_dump's output is not guaranteed to
 * load into an older server", and this one line is what stops it).
 */
export async function pgRestore(input: Readable, binDir: string | undefined, env: Record<string, string>, serverVersionNum: number): Promise<void> {
  const flags = ['--no-owner', '--no-privileges'];
  if (serverVersionNum >= 170_000) {
    // --dbname: without it pg_restore writes SQL to stdout rather than restoring.
    const run = runTool(pgProgram('pg_restore', binDir), [...flags, '--exit-on-error', '--single-transaction', `--dbname=${env.PGDATABASE}`], env);
    await Promise.all([pipeline(input, run.child.stdin), run.done]);
    return;
  }
  const script = runTool(pgProgram('pg_restore', binDir), [...flags, '--file=-'], env);
  const psql = runTool(pgProgram('psql', binDir), ['--no-psqlrc', '--quiet', '--set=ON_ERROR_STOP=1', '--single-transaction', `--dbname=${env.PGDATABASE}`], env);
  const outcomes = await Promise.allSettled([psql.done, script.done, pipeline(input, script.child.stdin), pipeline(script.child.stdout, withoutLine(NEWER_THAN_SERVER), psql.child.stdin)]);
  // psql's error first: when it stops, pg_restore only reports the pipe it can no longer write to.
  const failed = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failed) throw failed.reason;
}
