/**
 * `npm start`: the whole stack on this machine. PostgreSQL is the embedded one (data kept in
 * .local/pgdata between runs) unless DATABASE_URL points elsewhere; the backend migrates on
 * start; the frontend talks to it. Ctrl-C stops all three.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { startEmbeddedPostgres } from '@task-manager/kit/testing';

const root = new URL('../', import.meta.url);
const local = new URL('.local/', root);
mkdirSync(local, { recursive: true });
const backendPort = Number(process.env.BACKEND_PORT ?? 5000);
const frontendPort = Number(process.env.FRONTEND_PORT ?? 8080);

function fail(message) {
  console.error(`npm start: ${message}`);
  process.exit(1);
}

async function ensureFree(port, variable) {
  await new Promise((resolve) => {
    const probe = net.createServer().once('error', () => fail(`port ${port} is taken; set ${variable} to another port`));
    probe.listen(port, '127.0.0.1', () => probe.close(resolve));
  });
}

/** A session secret that survives restarts, so a local login (flash, CSRF) does too. */
function sessionSecret() {
  const file = new URL('session-secret', local);
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

await ensureFree(backendPort, 'BACKEND_PORT');
await ensureFree(frontendPort, 'FRONTEND_PORT');

let database;
if (process.env.DATABASE_URL) {
  console.log('npm start: using DATABASE_URL');
} else {
  console.log('npm start: starting embedded PostgreSQL (data in .local/pgdata)');
  database = await startEmbeddedPostgres({ dataDir: new URL('pgdata', local).pathname });
}
const databaseUrl = process.env.DATABASE_URL ?? database.adminUrl;

const children = [];
function run(name, workspace, env) {
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: new URL(`services/${workspace}/`, root),
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'info', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`npm start: ${name} exited (${signal ?? code}); stopping the stack`);
      stop(1);
    }
  });
  children.push(child);
}

let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  await Promise.all(
    children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', resolve), child.kill('SIGTERM'))))),
  );
  await database?.stop();
  process.exit(code);
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

run('backend-api', 'backend-api', { DATABASE_URL: databaseUrl, PORT: String(backendPort), METRICS_PORT: String(backendPort + 1), MIGRATE_ON_START: 'true' });
run('frontend', 'frontend', {
  PORT: String(frontendPort),
  METRICS_PORT: String(frontendPort + 1),
  BACKEND_API_URL: `http://127.0.0.1:${backendPort}`,
  SESSION_SECRET: sessionSecret(),
});

for (let attempt = 0; attempt < 150; attempt++) {
  const ready = await Promise.all(
    [backendPort, frontendPort].map((port) => fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false)),
  );
  if (ready.every(Boolean)) {
    console.log(`\nTask Manager is running: open http://127.0.0.1:${frontendPort}/  (API: http://127.0.0.1:${backendPort}/api/tasks) — Ctrl-C stops it\n`);
    break;
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
}
