/**
 * What every part of `npm run bench` shares: starting a service as its image does, the load
 * generator (autocannon, at 32 connections unless told) and the CPU each tier spends per request.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import postgres from 'postgres';
import { SESSION_COOKIE } from '@task-manager/contract';
import { freePort } from '@task-manager/kit/testing';

export const SERVICES = new URL('../../services/', import.meta.url);
/** How a service image starts its service (services/Dockerfile's CMD). */
export const START = new URL('start', SERVICES);
export const CONNECTIONS = 32;
/** The admin a benchmarked backend creates at start (ADMIN_EMAIL/ADMIN_PASSWORD) and the bench signs in as. */
export const BENCH_ADMIN = { email: 'bench@example.test', password: 'the password of the bench admin' };
/** The environment that makes a backend create the bench admin. */
export const BENCH_ADMIN_ENV = { ADMIN_EMAIL: BENCH_ADMIN.email, ADMIN_PASSWORD: BENCH_ADMIN.password };

async function signIn(backendUrl, path, status) {
  const response = await fetch(`${backendUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(BENCH_ADMIN) });
  if (response.status !== status) throw new Error(`the bench cannot sign in at ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()).token;
}

/** The Authorization header a script sends: a token from POST /api/login. */
export async function apiAuth(backendUrl) {
  return { authorization: `Bearer ${await signIn(backendUrl, '/api/login', 200)}` };
}

/** The Cookie header a signed-in browser sends: a UI session, made as /login makes one (POST /api/sessions). */
export async function pageAuth(backendUrl) {
  return { cookie: `${SESSION_COOKIE}=${await signIn(backendUrl, '/api/sessions', 201)}` };
}

/**
 * Starts a service as its image does: services/start, the image's CMD, in the service's
 * directory, runs `node <its node-flags> dist/main.js`, with this node first on PATH and the
 * service's ports of its own, `env` on top (`start`: another tree's services/start, or null for
 * `node dist/main.js`, as an old tree without one ran). Resolves once /readyz answers; throws if
 * it exits first or is not ready within 30 s.
 */
export async function startService(packageDir, env, { start = START } = {}) {
  const name = path.basename(fileURLToPath(packageDir));
  const port = await freePort();
  // NODE_OPTIONS would replace the node-flags file's default, as it does in the image.
  const { NODE_OPTIONS: _ignored, ...inherited } = process.env;
  const [command, args] = start ? ['/bin/sh', [fileURLToPath(start)]] : [process.execPath, ['dist/main.js']];
  const child = spawn(command, args, {
    cwd: packageDir,
    env: {
      ...inherited,
      PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`,
      PORT: String(port),
      METRICS_PORT: String(await freePort()),
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the ${name} exited with ${child.exitCode} before it was ready`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the ${name} was not ready within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    pid: child.pid,
    /** Peak resident set size of the process so far (the kernel's high-water mark). */
    peakRssMb: () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) / 1024,
    /** Starts the peak over from the present RSS (clear_refs 5, the kernel's reset of VmHWM). */
    resetPeakRss: () => writeFileSync(`/proc/${child.pid}/clear_refs`, '5'),
    stop: () => new Promise((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', resolve), child.kill('SIGTERM')))),
  };
}

/** Applies the backend's migrations to a database, through the migration CLI (docs/contracts.md). */
export function migrateUp(databaseUrl) {
  execFileSync(process.execPath, ['dist/migrations/migrate.js', 'up'], { cwd: new URL('backend-api/', SERVICES), env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' } });
}

/** A process's fields after its name in /proc/<pid>/stat (state, ppid, ...), or undefined once it is gone. */
function statFields(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
/** CPU seconds (user + system) a process has used so far; 0 once it is gone. */
function cpuSecondsOf(pid) {
  const fields = statFields(pid);
  return fields ? (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS : 0;
}

/**
 * The processes of the PostgreSQL server behind `url`: its postmaster (the parent of any
 * backend) and the postmaster's children when asked, so that no other PostgreSQL on the
 * machine is ever counted.
 */
export async function postgresPids(url) {
  const sql = postgres(url, { onnotice: () => {}, max: 1 });
  try {
    const [{ pid }] = await sql`select pg_backend_pid() as pid`;
    const postmaster = Number(statFields(pid)[1]);
    return () => [postmaster, ...readdirSync('/proc').filter((entry) => /^\d+$/.test(entry) && Number(statFields(entry)?.[1]) === postmaster).map(Number)];
  } finally {
    await sql.end();
  }
}

/**
 * Runs `work` and reports the CPU milliseconds each named group of processes spent on it per
 * request: what each tier costs, which the requests per second of tiers sharing two cores hide.
 * `groups` maps a name to a function listing the group's pids (asked before and after).
 */
export async function withCpuPerRequest(groups, work) {
  const used = () => Object.fromEntries(Object.entries(groups).map(([name, pids]) => [name, new Map(pids().map((pid) => [pid, cpuSecondsOf(pid)]))]));
  const before = used();
  const result = await work();
  const after = used();
  const cpuMsPerRequest = {};
  for (const name of Object.keys(groups)) {
    let seconds = 0;
    for (const [pid, end] of after[name]) seconds += end - (before[name].get(pid) ?? 0);
    cpuMsPerRequest[name] = Number(((seconds * 1000) / result.requests).toFixed(3));
  }
  return { ...result, cpuMsPerRequest };
}

export function load(name, options, log) {
  return new Promise((resolve, reject) => {
    log(`load: ${name} (${options.connections ?? CONNECTIONS} connections, ${options.duration}s)`);
    autocannon({ connections: CONNECTIONS, ...options }, (error, result) => {
      if (error) return reject(error);
      const failed = result.errors + result.timeouts + result.non2xx;
      resolve({
        name,
        requestsPerSecond: Math.round(result.requests.average),
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        requests: result.requests.total,
        failed,
      });
    });
  });
}
