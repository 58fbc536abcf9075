/**
 * An A/B of two builds of the project, interleaved: both run side by side on one PostgreSQL
 * server, each on its own database seeded alike, and the loads alternate between them in short
 * slices (before, after, after, before, ...), so that whatever else the machine does falls on
 * both alike. Back-to-back `npm run bench` runs minutes apart moved by ±15% from the machine
 * alone; interleaving is what makes a ratio such as "at least 90% of before" measurable.
 *
 *   npm run bench:ab -- <before checkout> [<after checkout>, default: this one]
 *   AB_ROUNDS=8 AB_SLICE_SECONDS=4 AB_SCENARIOS=list,page npm run bench:ab -- ../before
 *
 * Scenarios (npm run bench's loads): list (`limit=50`), get (by id), create, page (the
 * frontend's same full page).
 *
 * Each checkout must be built (`npm ci && npx turbo run build` in it). A side is started as its
 * own tree starts it (services/start where it has one, else `node dist/main.js`), migrates on
 * start, and signs in when it has accounts (the API with a login token, the page with a UI
 * session), as a user of that build must. It prints, per scenario, each side's requests per
 * second summed over its slices, the ratio after ÷ before (and per round, for the spread), each
 * tier's CPU milliseconds per request, and each side's peak RSS under load.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createTestDatabase, startTestPostgres } from '@task-manager/kit/testing';
import { seed } from './backend.mjs';
import { BENCH_ADMIN_ENV, CONNECTIONS, apiAuth, load, pageAuth, postgresPids, startService, withCpuPerRequest } from './lib.mjs';
import { onProjectNode } from '../node.mjs';

await onProjectNode();

const here = path.resolve(new URL('../..', import.meta.url).pathname);
const [beforeDir, afterDir = here] = process.argv.slice(2).map((dir) => path.resolve(dir));
if (!beforeDir) {
  console.error('usage: npm run bench:ab -- <before checkout> [<after checkout>]');
  process.exit(2);
}
const rounds = Number(process.env.AB_ROUNDS ?? 6);
const sliceSeconds = Number(process.env.AB_SLICE_SECONDS ?? 4);
const scenarios = (process.env.AB_SCENARIOS ?? 'list,get,create,page').split(',');
const TASKS = 10_000;
const log = (line) => console.log(`[ab] ${line}`);

/** One build, started on its own database: its backend and its frontend, signed in if it can be. */
async function startSide(name, dir, adminUrl) {
  const database = await createTestDatabase(adminUrl);
  const services = pathToFileURL(`${dir}/services/`);
  const startScript = existsSync(`${dir}/services/start`) ? new URL('start', services) : null;
  const start = (service, env) => startService(new URL(`${service}/`, services), env, { start: startScript });
  const backend = await start('backend-api', { DATABASE_URL: database.url, MIGRATE_ON_START: 'true', ...BENCH_ADMIN_ENV });
  const ids = await seed(database.url, TASKS, () => {});
  let next = 0;
  const hasAccounts = (await fetch(`${backend.url}/api/openapi.json`).then((reply) => reply.json())).paths['/api/login'] !== undefined;
  const api = hasAccounts ? await apiAuth(backend.url) : {};
  const page = hasAccounts ? await pageAuth(backend.url) : {};
  const frontend = await start('frontend', { BACKEND_API_URL: backend.url, SESSION_SECRET: 'a session secret for the A/B bench, long enough' });
  log(`${name}: ${dir} (${hasAccounts ? 'signed in' : 'no accounts'})`);
  // From here on: the peaks of the loads, not of the sign-in's Argon2id hash.
  backend.resetPeakRss();
  frontend.resetPeakRss();
  return {
    name,
    targets: {
      list: { url: `${backend.url}/api/tasks?limit=50`, headers: api },
      get: { url: backend.url, headers: api, requests: [{ setupRequest: (request) => ({ ...request, path: `/api/tasks/${ids[next++ % ids.length]}` }) }] },
      create: {
        url: `${backend.url}/api/tasks`,
        method: 'POST',
        headers: { ...api, 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'Benchmark task', description: 'Created under load', priority: 'high', tags: ['bench'] }),
      },
      page: { url: `${frontend.url}/`, headers: page },
    },
    tiers: { frontend: () => [frontend.pid], backend: () => [backend.pid], postgresql: await postgresPids(database.url) },
    peakRssMb: () => ({ backend: backend.peakRssMb(), frontend: frontend.peakRssMb() }),
    async stop() {
      await frontend.stop();
      await backend.stop();
      await database.drop();
    },
  };
}

const server = await startTestPostgres();
const sides = [await startSide('before', beforeDir, server.adminUrl), await startSide('after', afterDir, server.adminUrl)];
const totals = {};
try {
  // A scenario's rounds run before the next scenario's, in the bench's order: creates would
  // otherwise change what the list and the page read.
  for (const scenario of scenarios) {
    for (const side of sides) await load(`warm-up ${scenario} ${side.name}`, { ...side.targets[scenario], duration: 2 }, () => {});
    for (let round = 1; round <= rounds; round++) {
      // Who goes first alternates, so neither always follows the other's load.
      for (const side of round % 2 ? sides : [...sides].reverse()) {
        const result = await withCpuPerRequest(side.tiers, () => load(`${scenario} ${side.name}`, { ...side.targets[scenario], duration: sliceSeconds }, () => {}));
        if (result.failed) throw new Error(`${scenario} on ${side.name}: ${result.failed} failed requests`);
        const total = ((totals[scenario] ??= {})[side.name] ??= { requests: 0, seconds: 0, cpu: {}, perRound: [] });
        total.requests += result.requests;
        total.seconds += sliceSeconds;
        total.perRound.push(result.requests / sliceSeconds);
        for (const [tier, ms] of Object.entries(result.cpuMsPerRequest)) total.cpu[tier] = (total.cpu[tier] ?? 0) + ms * result.requests;
      }
    }
    log(`${scenario}: after ÷ before per round ${totals[scenario].after.perRound.map((value, index) => (value / totals[scenario].before.perRound[index]).toFixed(2)).join(' ')}`);
  }
  for (const side of sides) side.peakRss = side.peakRssMb();
} finally {
  for (const side of sides) await side.stop();
  await server.stop();
}

console.log(`\n${rounds} rounds of ${sliceSeconds} s slices, ${CONNECTIONS} connections, ${TASKS} tasks`);
console.log('| scenario | before req/s | after req/s | after ÷ before | per round | CPU ms/request before (frontend, backend, postgresql) | after |');
console.log('|---|---:|---:|---:|---|---|---|');
for (const [scenario, { before, after }] of Object.entries(totals)) {
  const rate = (side) => side.requests / side.seconds;
  const cpu = (side) => ['frontend', 'backend', 'postgresql'].map((tier) => (side.cpu[tier] / side.requests).toFixed(3)).join(', ');
  const perRound = after.perRound.map((value, index) => (value / before.perRound[index]).toFixed(2)).join(' ');
  console.log(`| ${scenario} | ${rate(before).toFixed(0)} | ${rate(after).toFixed(0)} | ${(rate(after) / rate(before)).toFixed(3)} | ${perRound} | ${cpu(before)} | ${cpu(after)} |`);
}
for (const side of sides) console.log(`${side.name}: peak RSS under load, backend ${side.peakRss.backend.toFixed(0)} MB, frontend ${side.peakRss.frontend.toFixed(0)} MB`);
