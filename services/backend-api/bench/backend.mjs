/**
 * The backend benchmark: 10,000 seeded tasks, one backend process (as one pod runs it), and
 * autocannon at 32 connections for list, get-by-id and create; then the ceiling: the very
 * statement the list endpoint sends, run by pgbench straight against PostgreSQL (prepared,
 * 8 clients, no HTTP). Used by the root's `npm run bench`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import postgres from 'postgres';
import { createTestDatabase, freePort } from '@task-manager/kit/testing';
import { listTasks } from '../dist/tasks/queries.js';
import { parseListQuery } from '../dist/tasks/validate.js';

const PACKAGE_DIR = new URL('../', import.meta.url);
export const CONNECTIONS = 32;

export async function seed(url, count, log) {
  const sql = postgres(url, { onnotice: () => {} });
  try {
    await sql`
      insert into tasks (title, description, status, priority, due_date, tags, created_at, updated_at)
      select 'Task ' || n || ' ' || md5(n::text),
             repeat('Some words about task ' || n || '. ', 1 + n % 6),
             (array['todo','in_progress','done'])[1 + n % 3]::task_status,
             (array['low','medium','high'])[1 + n % 3]::task_priority,
             case when n % 4 = 0 then null else current_date + (n % 90 - 30) end,
             case n % 5 when 0 then '{}' when 1 then '{ops}' when 2 then '{ops,urgent}' when 3 then '{design}' else '{home,errand}' end::text[],
             now() - make_interval(secs => n), now() - make_interval(secs => n)
      from generate_series(1, ${count}) n`;
    await sql`analyze tasks`;
    const ids = (await sql`select id from tasks order by random() limit 1000`).map((row) => row.id);
    log(`seeded ${count} tasks`);
    return ids;
  } finally {
    await sql.end();
  }
}

/**
 * How a service's image runs node: its Dockerfile's `ENV NODE_OPTIONS` line and the flags its
 * `CMD ["node", …, "dist/main.js"]` passes before the script.
 */
function imageNode(packageDir) {
  const dockerfile = readFileSync(new URL('Dockerfile', packageDir), 'utf8');
  const command = /^CMD (\[.*\])$/m.exec(dockerfile);
  const argv = command ? JSON.parse(command[1]) : [];
  if (argv[0] !== 'node' || argv.at(-1) !== 'dist/main.js') throw new Error(`${fileURLToPath(packageDir)}Dockerfile: expected CMD ["node", …, "dist/main.js"]`);
  return { options: /^ENV NODE_OPTIONS="([^"]*)"$/m.exec(dockerfile)?.[1] ?? '', flags: argv.slice(1, -1) };
}

/**
 * Starts a service's dist/main.js as its container does (the image's node flags and
 * NODE_OPTIONS, its own ports, `env` on top) and resolves once /readyz answers; throws if it
 * exits first or is not ready within 30 s.
 */
export async function startService(packageDir, env) {
  const name = path.basename(fileURLToPath(packageDir));
  const port = await freePort();
  const node = imageNode(packageDir);
  const child = spawn(process.execPath, [...node.flags, 'dist/main.js'], {
    cwd: packageDir,
    env: {
      ...process.env,
      NODE_OPTIONS: node.options,
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
    stop: () => new Promise((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', resolve), child.kill('SIGTERM')))),
  };
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
    log(`load: ${name} (${CONNECTIONS} connections, ${options.duration}s)`);
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

/**
 * The statement the list endpoint sends for `?limit=50`, exactly as postgres.js prepares it,
 * and its parameter values: captured from a real call through postgres.js's debug hook.
 */
async function listStatement(url) {
  let captured;
  const debug = (_connection, text, parameters) => {
    // The hook also sees the type lookup a new connection makes; keep the list statement.
    if (text.includes('from tasks')) captured = { text, parameters };
  };
  const sql = postgres(url, { onnotice: () => {}, debug });
  try {
    await listTasks({ run: (_name, run) => run(sql) }, parseListQuery({ limit: '50' }));
  } finally {
    await sql.end();
  }
  if (!captured?.parameters.every((value) => /^\d+$/.test(String(value)))) {
    throw new Error(`the list statement's parameters are no longer plain numbers (${JSON.stringify(captured?.parameters)}); update the bench`);
  }
  return {
    variables: captured.parameters.map((value, index) => `\\set p${index + 1} ${value}`).join('\n'),
    text: captured.text.replace(/\$(\d+)/g, (_match, n) => `:p${n}`),
  };
}

export function ensurePgbench(log) {
  try {
    execFileSync('pgbench', ['--version'], { stdio: 'ignore' });
  } catch {
    if (process.getuid?.() !== 0) throw new Error('pgbench is missing: install Debian\'s postgresql-client package');
    log('installing pgbench (Debian postgresql-client)');
    execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client >/dev/null'], { stdio: 'inherit' });
  }
}

export async function pgbenchCeiling(url, seconds, log) {
  const { text, variables } = await listStatement(url);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'task-manager-pgbench-'));
  try {
    const script = path.join(dir, 'list.sql');
    writeFileSync(script, `${variables}\n${text.replace(/\s+/g, ' ').trim()};\n`);
    log(`ceiling: pgbench, the list statement, prepared, 8 clients, ${seconds}s`);
    const parsed = new URL(url);
    const output = execFileSync(
      'pgbench',
      ['-n', '-M', 'prepared', '-c', '8', '-j', '2', '-T', String(seconds), '-f', script, '-h', parsed.hostname, '-p', parsed.port, '-U', decodeURIComponent(parsed.username), parsed.pathname.slice(1)],
      { env: { ...process.env, PGPASSWORD: decodeURIComponent(parsed.password) }, encoding: 'utf8' },
    );
    const tps = Number(/tps = ([\d.]+)/.exec(output)?.[1]);
    const failed = Number(/number of failed transactions: (\d+)/.exec(output)?.[1] ?? 0);
    if (!tps || failed) throw new Error(`pgbench failed:\n${output}`);
    return { name: 'ceiling: pgbench list statement', requestsPerSecond: Math.round(tps) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs the whole backend benchmark on a fresh database of the given server. The backend it
 * started is returned still running, for the page benchmark; the caller stops it.
 */
export async function benchBackend({ adminUrl, seconds, log }) {
  const database = await createTestDatabase(adminUrl);
  execFileSync(process.execPath, ['dist/migrations/migrate.js', 'up'], { cwd: PACKAGE_DIR, env: { ...process.env, DATABASE_URL: database.url, LOG_LEVEL: 'warn' } });
  const ids = await seed(database.url, 10_000, log);
  const backend = await startService(PACKAGE_DIR, { DATABASE_URL: database.url });
  try {
    let next = 0;
    const results = [];
    results.push(await load('warm-up', { url: `${backend.url}/api/tasks?limit=50`, duration: 2 }, () => {}));
    results.pop();
    const tiers = { backend: () => [backend.pid], postgresql: await postgresPids(database.url) };
    results.push(await withCpuPerRequest(tiers, () => load('backend: list limit=50', { url: `${backend.url}/api/tasks?limit=50`, duration: seconds }, log)));
    results.push(
      await load(
        'backend: get by id',
        { url: backend.url, duration: seconds, requests: [{ setupRequest: (request) => ({ ...request, path: `/api/tasks/${ids[next++ % ids.length]}` }) }] },
        log,
      ),
    );
    results.push(
      await load(
        'backend: create',
        {
          url: `${backend.url}/api/tasks`,
          duration: seconds,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ title: 'Benchmark task', description: 'Created under load', priority: 'high', tags: ['bench'] }),
        },
        log,
      ),
    );
    const peakRssMb = backend.peakRssMb();
    const ceiling = await pgbenchCeiling(database.url, seconds, log);
    return { results, ceiling, peakRssMb, backend, tiers };
  } catch (error) {
    await backend.stop();
    throw error;
  }
}
