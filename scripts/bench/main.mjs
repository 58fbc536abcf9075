/**
 * `npm run bench`: the performance targets, measured against a ceiling taken in the same run.
 * Starts an embedded PostgreSQL (never the machine's own), benchmarks the backend, then the
 * frontend's full page on top of it, prints the figures and checks them against the targets.
 */
import { performance } from 'node:perf_hooks';
import { startEmbeddedPostgres } from '@task-manager/kit/testing';
import { benchBackend, ensurePgbench } from './backend.mjs';
import { benchPage } from './frontend.mjs';
import { onProjectNode } from '../node.mjs';

await onProjectNode();

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const started = performance.now();
const log = (message) => console.log(`[bench +${((performance.now() - started) / 1000).toFixed(0)}s] ${message}`);

ensurePgbench(log);
log('starting embedded PostgreSQL');
const server = await startEmbeddedPostgres();
const checks = [];
const rows = [];
let frontendPeakRssMb;
let backend;
try {
  backend = await benchBackend({ adminUrl: server.adminUrl, seconds: SECONDS, log });
  const list = backend.results[0];
  rows.push(...backend.results, backend.ceiling);
  const ratio = list.requestsPerSecond / backend.ceiling.requestsPerSecond;
  checks.push(['backend list throughput ≥ 20% of the pgbench ceiling', `${(ratio * 100).toFixed(1)}%`, ratio >= 0.2]);
  checks.push(['backend list p99 < 30 ms at 32 connections', `${list.p99Ms} ms`, list.p99Ms < 30]);
  checks.push(['backend peak RSS under load < 150 MB', `${backend.peakRssMb.toFixed(0)} MB`, backend.peakRssMb < 150]);
  checks.push(['no failed requests', String(backend.results.reduce((sum, r) => sum + r.failed, 0)), backend.results.every((r) => r.failed === 0)]);

  const { same: page, fresh, peakRssMb } = await benchPage({ backendUrl: backend.backend.url, tiers: backend.tiers, seconds: SECONDS, log });
  rows.push(page, fresh);
  frontendPeakRssMb = peakRssMb;
  const cost = list.requestsPerSecond / page.requestsPerSecond;
  checks.push(['frontend page p99 < 50 ms', `${page.p99Ms} ms`, page.p99Ms < 50]);
  checks.push(['frontend adds ≤ half again the backend cost (backend rps / page rps ≤ 1.5)', cost.toFixed(2), cost <= 1.5]);
  checks.push(['no failed page requests', String(page.failed + fresh.failed), page.failed + fresh.failed === 0]);
} finally {
  // Also when a step failed: a backend left running would outlive this script. The server's
  // data directory goes with it.
  await backend?.backend.stop();
  await server.stop();
}

console.log('\n| scenario | req/s | p50 ms | p99 ms | requests | failed |\n|---|---:|---:|---:|---:|---:|');
for (const row of rows) console.log(`| ${row.name} | ${row.requestsPerSecond} | ${row.p50Ms ?? ''} | ${row.p99Ms ?? ''} | ${row.requests ?? ''} | ${row.failed ?? ''} |`);
const costed = rows.filter((row) => row.cpuMsPerRequest);
if (costed.length) {
  // Every tier shares the machine's two cores with the others and with the load generator, so
  // requests per second mix their costs; CPU time per request, process by process, does not.
  const tiers = ['frontend', 'backend', 'postgresql'];
  console.log(`\n| CPU ms per request | ${tiers.join(' | ')} |\n|---|${tiers.map(() => '---:').join('|')}|`);
  for (const row of costed) console.log(`| ${row.name} | ${tiers.map((tier) => row.cpuMsPerRequest[tier] ?? '').join(' | ')} |`);
  const list = costed.find((row) => row.cpuMsPerRequest.frontend === undefined);
  const backendCost = list.cpuMsPerRequest.backend + list.cpuMsPerRequest.postgresql;
  console.log('');
  for (const page of costed.filter((row) => row.cpuMsPerRequest.frontend !== undefined)) {
    const { frontend, backend, postgresql } = page.cpuMsPerRequest;
    console.log(
      `${page.name}: CPU of the whole path per page ÷ per list = ${((frontend + backend + postgresql) / backendCost).toFixed(2)}` +
        ` (the frontend's share ÷ the backend and PostgreSQL per list = ${(frontend / backendCost).toFixed(2)})`,
    );
  }
  if (frontendPeakRssMb) console.log(`frontend peak RSS ${frontendPeakRssMb.toFixed(0)} MB`);
  if (backend?.signInPeakRssMb) console.log(`backend peak RSS at start and its first sign-in (each Argon2id hash holds 19 MiB while it runs) ${backend.signInPeakRssMb.toFixed(0)} MB`);
}
console.log('\n| target | measured | met |\n|---|---:|---|');
for (const [target, measured, met] of checks) console.log(`| ${target} | ${measured} | ${met ? 'yes' : 'NO'} |`);
const missed = checks.filter(([, , met]) => !met).length;
console.log(`\nbench: ${checks.length - missed} passed, ${missed} failed`);
process.exitCode = missed ? 1 : 0;
