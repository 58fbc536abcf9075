// A constant-rate load test with Vegeta (MIT), against any deployment's frontend URL:
//   npm run load -- http://127.0.0.1:8080 [--profile steady|smoke] [--rate N] [--duration 60s]
//                   [--name NAME] [--summary FILE] [--allow-remote] [--token TOKEN] [--cookie COOKIE]
// Every request acts as someone: `--token` (or TOKEN; a personal access token, POST /api/tokens)
// goes on each as `Authorization: Bearer`, and `--cookie` (or COOKIE; the `tm_sid=...` of a UI
// sign-in) on the page requests too, for a frontend that signs its pages in by session cookie.
// The mix is that of tests/load/lib.js's `mixed` step, counted in requests: a quarter the page,
// a quarter the list, and half writes and reads of single tasks (create, get, complete, delete).
// Vegeta sends every request at its planned time whatever the answers, so it cannot chain a create
// to the delete of the task it made: the tasks that are read, patched and deleted are created just
// before the attack, and every task the run made is deleted after it (titles start `load NAME`).
// Each create carries an Idempotency-Key, as a client that may retry sends it. Every response is
// checked (status and body), and after the attack every create that was answered 201 is looked for
// among the run's tasks: found, and found once (a task lost or doubled by a failover shows here).
// The run ends with one line
//   load NAME: requests N, failed F (by status ...), p50 .., p95 .., p99 .., max .., .../s for ..s,
//   thresholds ok|FAILED, creates: A acknowledged, L lost, D doubled
// and exits 1 when a request failed, a threshold was crossed or a create was lost or doubled (2: it could not run).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Per profile: requests per second, length, and p95 limits (ms) by endpoint ('all' = every request). */
const PROFILES = {
  steady: { rate: 24, duration: '60s', p95: {} },
  smoke: { rate: 30, duration: '20s', p95: { all: 500, 'GET /api/tasks': 300, 'GET /': 500 } },
};
/** The order of one round of the mix: 8 requests. */
const ROUND = ['list', 'page', 'create', 'get', 'list', 'page', 'patch', 'delete'];
const STATUSES = ['todo', 'in_progress', 'done'];
const READ_POOL = 8;
const PAGE = 100;
const MAX_FAILURE_LINES = 20;

function usage(message) {
  console.error(`load: ${message}
usage: npm run load -- <frontend URL> [--profile steady|smoke] [--rate N] [--duration 60s]
                      [--name NAME] [--summary FILE] [--allow-remote] [--token TOKEN] [--cookie COOKIE]`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { profile: 'steady', allowRemote: false, token: process.env.TOKEN || undefined, cookie: process.env.COOKIE || undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    if (a === '--allow-remote') opts.allowRemote = true;
    else if (a === '--profile') opts.profile = value();
    else if (a === '--rate') opts.rate = Number(value());
    else if (a === '--duration') opts.duration = value();
    else if (a === '--name') opts.name = value();
    else if (a === '--summary') opts.summary = value();
    else if (a === '--token') opts.token = value();
    else if (a === '--cookie') opts.cookie = value();
    else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else if (opts.url) usage(`one URL only (got ${opts.url} and ${a})`);
    else opts.url = a;
  }
  const profile = PROFILES[opts.profile] ?? usage(`unknown profile ${opts.profile}`);
  if (!opts.url) usage('the frontend URL is missing');
  const rate = opts.rate ?? profile.rate;
  if (!Number.isInteger(rate) || rate < 1) usage(`--rate must be a whole number of requests per second, got ${opts.rate}`);
  const seconds = parseDuration(opts.duration ?? profile.duration);
  const url = new URL(opts.url);
  // Load goes to this machine or the e2e cluster's node unless asked otherwise: a mistyped URL
  // must not aim the traffic at someone else's server.
  if (!opts.allowRemote && !isLocal(url.hostname)) {
    usage(`${url.hostname} is neither this machine nor the e2e node (10.213.0.1); add --allow-remote for a deployment of your own`);
  }
  const name = opts.name ?? opts.profile;
  if (opts.token !== undefined && !/^\S+$/.test(opts.token)) usage('--token (TOKEN) must be one word, the token itself');
  if (opts.cookie !== undefined && /[\r\n]/.test(opts.cookie)) usage('--cookie (COOKIE) must be one line');
  const auth = opts.token ? { Authorization: [`Bearer ${opts.token}`] } : {};
  const headers = { api: auth, page: opts.cookie ? { ...auth, Cookie: [opts.cookie] } : auth };
  return { base: url.href.replace(/\/+$/, ''), rate, seconds, name, summary: opts.summary, p95: profile.p95, headers };
}

function parseDuration(text) {
  const m = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  const seconds = m && (m[1] || m[2]) ? Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0) : NaN;
  if (!(seconds > 0 && seconds <= 3600)) usage(`--duration must be like 30s, 2m or 1m30s (at most 60m), got ${text}`);
  return seconds;
}

function isLocal(host) {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || /^10\.213\.0\.\d+$/.test(h);
}

/** The vegeta binary: $VEGETA, on PATH, or where tests/tools/install puts it. */
function vegetaBinary() {
  if (process.env.VEGETA) return process.env.VEGETA;
  const cache = process.env.TASK_MANAGER_CACHE || '/var/cache/task-manager';
  process.env.PATH = `${process.env.PATH}:${cache}/bin`;
  return 'vegeta';
}

/** One request of the run's own (fixtures, clean-up), with the attack's API headers. */
async function api(base, headers, method, path, body) {
  const flat = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.join(', ')]));
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? flat : { ...flat, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, text };
}

/** Runs fn over items, `width` at a time. */
async function inParallel(items, width, fn) {
  const results = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return results;
}

/** Creates `count` tasks for the attack to `use` (read, patch, delete); each {id, version} is returned, its id added to `made`. */
async function createTasks(base, headers, label, use, count, made) {
  return inParallel(Array.from({ length: count }, (_, i) => i), 4, async (i) => {
    const { status, text } = await api(base, headers, 'POST', '/api/tasks', { title: `${label} fixture ${use} ${i}`, priority: 'low', tags: ['load'] });
    if (status !== 201) throw new Error(`creating the fixture tasks: POST /api/tasks -> ${status} ${text.slice(0, 200)}`);
    const { id, version } = JSON.parse(text);
    made.add(id);
    return { id, version };
  });
}

/** Deletes the tasks; returns how many could not be deleted (an absent one counts as deleted). */
async function deleteTasks(base, headers, ids) {
  const statuses = await inParallel([...ids], 4, async (id) => (await api(base, headers, 'DELETE', `/api/tasks/${id}`).catch(() => ({ status: 0 }))).status);
  return statuses.filter((s) => s !== 204 && s !== 404).length;
}

/** The targets, in Vegeta's JSON format (one per line), and the ids each kind of request uses. */
/**
 * The attack's requests. Every write carries what makes it safe to repeat, as a client that
 * retries sends it: a create its Idempotency-Key, a patch or delete the If-Match of the version
 * its task was created with (each task is patched or deleted once, so that version is known).
 */
function targets(base, headers, label, keyPrefix, total, readIds, patched, deleted) {
  const api = headers.api;
  const json = { ...api, 'Content-Type': ['application/json'] };
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64');
  const lines = [];
  let reads = 0;
  let patches = 0;
  let deletes = 0;
  const ifMatch = (task) => ({ 'If-Match': [`"${task.version}"`] });
  for (let i = 0; i < total; i++) {
    const kind = ROUND[i % ROUND.length];
    if (kind === 'page') lines.push({ method: 'GET', url: `${base}/`, header: headers.page });
    else if (kind === 'list') lines.push({ method: 'GET', url: `${base}/api/tasks?limit=20`, header: api });
    else if (kind === 'create') {
      const header = { ...json, 'Idempotency-Key': [`${keyPrefix}-${i}`] };
      lines.push({ method: 'POST', url: `${base}/api/tasks`, header, body: b64({ title: `${label} ${i}`, priority: 'medium', tags: ['load'] }) });
    } else if (kind === 'get') lines.push({ method: 'GET', url: `${base}/api/tasks/${readIds[reads++ % readIds.length].id}`, header: api });
    else if (kind === 'patch') {
      const task = patched[patches++];
      lines.push({ method: 'PATCH', url: `${base}/api/tasks/${task.id}`, header: { ...json, ...ifMatch(task) }, body: b64({ status: STATUSES[i % STATUSES.length] }) });
    } else {
      const task = deleted[deletes++];
      lines.push({ method: 'DELETE', url: `${base}/api/tasks/${task.id}`, header: { ...api, ...ifMatch(task) } });
    }
  }
  return lines.map((t) => JSON.stringify(t)).join('\n') + '\n';
}

function endpoint(method, url) {
  const path = new URL(url).pathname;
  if (path === '/') return `${method} /`;
  if (path === '/api/tasks') return `${method} /api/tasks`;
  return `${method} /api/tasks/{id}`;
}

const EXPECTED = {
  // Vegeta follows redirects: a page request that lost its session ends on /login with a 200
  'GET /': { status: 200, body: (b) => (/<html/i.test(b) && b.includes('id="task-list"')) || 'not the task list page (signed out?)' },
  'GET /api/tasks': { status: 200, body: (b) => Array.isArray(JSON.parse(b).items) || 'no items array' },
  'POST /api/tasks': { status: 201, body: (b) => typeof JSON.parse(b).id === 'string' || 'no id' },
  'GET /api/tasks/{id}': { status: 200, body: (b) => JSON.parse(b).id !== undefined || 'no id' },
  'PATCH /api/tasks/{id}': { status: 200, body: () => true },
  'DELETE /api/tasks/{id}': { status: 204, body: () => true },
};

/** Why one result is a failure, or null when it is not. */
function failureOf(name, r, body) {
  const want = EXPECTED[name];
  if (r.code === 0) return r.error || 'no answer';
  if (r.code !== want.status) return `status ${r.code}, expected ${want.status}`;
  try {
    const ok = want.body(body);
    return ok === true ? null : ok;
  } catch (err) {
    return `unreadable body: ${err.message}`;
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function stats(latencies) {
  const s = [...latencies].sort((a, b) => a - b);
  return { requests: s.length, p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99), max: s[s.length - 1] };
}

const ms = (v) => (v === undefined ? 'n/a' : `${v.toFixed(1)} ms`);

/** Runs `vegeta attack`, then `vegeta encode --to json`, calling onResult for each request's result. */
async function attack(vegeta, dir, targetsText, rate, seconds, onResult) {
  const targetFile = join(dir, 'targets.json');
  const resultFile = join(dir, 'results.bin');
  writeFileSync(targetFile, targetsText);
  const args = ['attack', '-format=json', `-targets=${targetFile}`, `-rate=${rate}/1s`, `-duration=${seconds}s`,
    '-timeout=15s', '-max-body=262144', `-output=${resultFile}`];
  console.log(`load: attacking at ${rate}/s for ${seconds}s (vegeta ${args.slice(0, 5).join(' ')} ...)`);
  await run(vegeta, args, (seconds + 30) * 1000);
  const encoder = spawn(vegeta, ['encode', '--to', 'json', resultFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  const done = new Promise((resolve, reject) => {
    encoder.on('error', reject);
    encoder.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`vegeta encode exited ${code}`))));
  });
  for await (const line of createInterface({ input: encoder.stdout })) {
    if (line) onResult(JSON.parse(line));
  }
  await done;
}

/** Runs a command to its end, killed after `limitMs` so no attack outlives its plan. */
function run(cmd, args, limitMs, stdout = 'inherit') {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', stdout, 'inherit'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err.code === 'ENOENT' ? new Error(`${cmd} not found: install it with bash tests/tools/install (npm run tools)`) : err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args[0]} ended with ${signal ?? `exit ${code}`}`));
    });
  });
}

/**
 * The run's tasks as the API lists them (`q` = the run's label, every page): the acknowledged
 * creates missing there (lost) and the titles there more than once (doubled). A task found that
 * no 201 announced (its create answered otherwise, yet committed) joins `made`, to be deleted.
 */
async function checkCreates(base, headers, label, acknowledged, made) {
  const count = new Map();
  let cursor = '';
  do {
    const { status, text } = await api(base, headers, 'GET', `/api/tasks?limit=${PAGE}&q=${encodeURIComponent(label)}${cursor && `&cursor=${encodeURIComponent(cursor)}`}`);
    if (status !== 200) throw new Error(`listing the run's tasks: GET /api/tasks -> ${status} ${text.slice(0, 200)}`);
    const page = JSON.parse(text);
    for (const task of page.items) {
      count.set(task.title, (count.get(task.title) ?? 0) + 1);
      if (!acknowledged.has(task.id)) made.add(task.id);
      acknowledged.delete(task.id);
    }
    cursor = page.nextCursor ?? '';
  } while (cursor);
  return { lost: acknowledged.size, doubled: [...count].filter(([title, n]) => n > 1 && !title.startsWith(`${label} fixture `)).length };
}

/** Creates the tasks the attack uses (ids added to `made`), attacks, and checks every result. */
async function measure(opts, vegeta, made) {
  const runId = `${opts.name}-${Date.now()}`;
  const label = `load ${opts.name} ${runId.slice(opts.name.length + 1)}`;
  const total = opts.rate * opts.seconds;
  const perKind = Math.ceil(total / ROUND.length);
  const t0 = Date.now();
  const readIds = await createTasks(opts.base, opts.headers.api, label, 'read', READ_POOL, made);
  const patched = await createTasks(opts.base, opts.headers.api, label, 'patch', perKind, made);
  const deleted = await createTasks(opts.base, opts.headers.api, label, 'delete', perKind, made);
  console.log(`load: ${READ_POOL + 2 * perKind} tasks created for the attack to read, update and delete (${Date.now() - t0} ms)`);

  const all = [];
  const byName = {};
  const byStatus = {};
  const failures = [];
  const acknowledged = new Set();
  const dir = mkdtempSync(join(tmpdir(), 'load-'));
  try {
    await attack(vegeta, dir, targets(opts.base, opts.headers, label, `load-${runId}`, total, readIds, patched, deleted), opts.rate, opts.seconds, (r) => {
      const name = endpoint(r.method, r.url);
      const body = r.body ? Buffer.from(r.body, 'base64').toString() : '';
      const latency = r.latency / 1e6;
      all.push(latency);
      (byName[name] ??= { latencies: [], failed: 0 }).latencies.push(latency);
      const why = failureOf(name, r, body);
      if (why) {
        byName[name].failed++;
        byStatus[r.code] = (byStatus[r.code] ?? 0) + 1;
        failures.push(`failed: ${name} ${r.url} -> ${r.code} after ${latency.toFixed(0)} ms: ${why} ${body.slice(0, 160).replace(/\s+/g, ' ')}`);
      } else if (name === 'POST /api/tasks') {
        made.add(JSON.parse(body).id);
        acknowledged.add(JSON.parse(body).id);
      }
      else if (name === 'DELETE /api/tasks/{id}') made.delete(r.url.slice(r.url.lastIndexOf('/') + 1));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const acknowledgedCount = acknowledged.size;
  const creates = { acknowledged: acknowledgedCount, ...(await checkCreates(opts.base, opts.headers.api, label, acknowledged, made)) };
  return { all, byName, byStatus, failures, creates };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const vegeta = vegetaBinary();
  await run(vegeta, ['-version'], 10_000, 'ignore');
  // Every task the run makes is deleted at its end, whatever happened in between.
  const made = new Set();
  let results;
  let kept;
  try {
    results = await measure(opts, vegeta, made);
  } finally {
    kept = await deleteTasks(opts.base, opts.headers.api, made);
  }
  const { all, byName, byStatus, failures, creates } = results;

  for (const line of failures.slice(0, MAX_FAILURE_LINES)) console.error(line);
  if (failures.length > MAX_FAILURE_LINES) console.error(`... and ${failures.length - MAX_FAILURE_LINES} more failed requests`);
  for (const [name, e] of Object.entries(byName).sort()) {
    const s = stats(e.latencies);
    console.log(`  ${name.padEnd(24)} ${String(s.requests).padStart(6)} requests, ${e.failed} failed, p50 ${ms(s.p50)}, p95 ${ms(s.p95)}, p99 ${ms(s.p99)}, max ${ms(s.max)}`);
  }
  const overall = stats(all);
  const crossed = Object.entries(opts.p95)
    .filter(([name, limit]) => {
      const p95 = name === 'all' ? overall.p95 : byName[name] && stats(byName[name].latencies).p95;
      return p95 === undefined || p95 >= limit;
    })
    .map(([name, limit]) => `p95 ${name} < ${limit} ms`);
  const failed = failures.length;
  const statusText = failed ? Object.entries(byStatus).map(([code, n]) => `${code === '0' ? 'no answer' : code} x${n}`).join(', ') : 'none';
  console.log(`load ${opts.name}: requests ${overall.requests}, failed ${failed} (by status: ${statusText}), ` +
    `p50 ${ms(overall.p50)}, p95 ${ms(overall.p95)}, p99 ${ms(overall.p99)}, max ${ms(overall.max)}, ` +
    `${opts.rate}/s for ${opts.seconds}s, thresholds ${crossed.length ? `FAILED (${crossed.join(', ')})` : 'ok'}` +
    `, creates: ${creates.acknowledged} acknowledged, ${creates.lost} lost, ${creates.doubled} doubled` +
    (kept ? `, ${kept} tasks of the run could not be deleted` : ''));
  if (opts.summary) {
    const endpoints = Object.fromEntries(Object.entries(byName).map(([n, e]) => [n, { ...stats(e.latencies), failed: e.failed }]));
    writeFileSync(opts.summary, JSON.stringify({ name: opts.name, ...overall, failed, byStatus, rate: opts.rate, seconds: opts.seconds, crossed, endpoints, creates }));
  }
  process.exitCode = failed === 0 && crossed.length === 0 && creates.lost === 0 && creates.doubled === 0 ? 0 : 1;
}

main().catch((err) => {
  console.error(`load: ${err.message}`);
  process.exit(2);
});
