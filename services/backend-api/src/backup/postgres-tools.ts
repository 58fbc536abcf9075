/** pg_dump and pg_restore, run with the backend's connection settings passed as libpq's PG* variables (never on the command line). */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { Config } from '../config.js';

/** The newest PostgreSQL client Debian's packages put under /usr/lib/postgresql (their /usr/bin/pg_dump is a perl wrapper the image has no perl for). */
function defaultBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((d) => /^\d+$/.test(d)).map(Number).sort((a, b) => b - a) : [];
  const major = majors.find((m) => existsSync(join(root, String(m), 'bin', 'pg_dump')));
  return major === undefined ? undefined : join(root, String(major), 'bin');
}

export function pgProgram(name: 'pg_dump' | 'pg_restore', binDir: string | undefined): string {
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
