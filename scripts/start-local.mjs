/**
 * `npm start`: the whole stack on this machine. PostgreSQL is the embedded one (data kept in
 * .local/pgdata between runs) unless DATABASE_URL points elsewhere; the backend migrates on
 * start; the frontend talks to it. Ctrl-C stops all three.
 *
 * The first admin is admin@localhost (ADMIN_EMAIL to change it). Its password is ADMIN_PASSWORD
 * if set; otherwise one is generated, and printed once: when the backend reports that it created
 * the admin (the first start on an empty database), since an existing admin keeps its password.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { startEmbeddedPostgres } from '@task-manager/kit/testing';
import { onProjectNode } from './node.mjs';

await onProjectNode();

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

const adminEmail = process.env.ADMIN_EMAIL ?? 'admin@localhost';
const generatedPassword = process.env.ADMIN_PASSWORD ? undefined : randomBytes(18).toString('base64url');
const adminPassword = process.env.ADMIN_PASSWORD ?? generatedPassword;

const children = [];
function run(name, workspace, env, onLine) {
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: new URL(`services/${workspace}/`, root),
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'info', ...env },
    stdio: ['ignore', onLine ? 'pipe' : 'inherit', 'inherit'],
  });
  if (onLine) {
    let partial = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      const lines = (partial + chunk).split('\n');
      partial = lines.pop();
      lines.forEach(onLine);
    });
  }
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

let adminCreated = false;
run(
  'backend-api',
  'backend-api',
  { DATABASE_URL: databaseUrl, PORT: String(backendPort), METRICS_PORT: String(backendPort + 1), MIGRATE_ON_START: 'true', ADMIN_EMAIL: adminEmail, ADMIN_PASSWORD: adminPassword },
  (line) => {
    if (line.includes('"msg":"admin created"')) adminCreated = true;
  },
);
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
    console.log(`\nTask Manager is running: open http://127.0.0.1:${frontendPort}/  (API: http://127.0.0.1:${backendPort}/api/tasks) — Ctrl-C stops it`);
    if (adminCreated && generatedPassword) console.log(`Sign in as ${adminEmail} with the password ${generatedPassword}  (shown this once)`);
    else console.log(`Sign in as ${adminEmail} (${adminCreated ? 'with ADMIN_PASSWORD' : 'created on an earlier start, with the password printed then'})`);
    console.log('');
    break;
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
}
