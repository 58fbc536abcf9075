import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, freePorts } from '@task-manager/kit/testing';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { BackendProcess, FRONTEND_MAIN, SESSION_SECRET, apiToken, createTasks, withToken } from './support.js';

const repo = path.resolve(import.meta.dirname, '../../..');
const chart = path.join(repo, 'charts/task-manager');
const helm = path.join(process.env.TASK_MANAGER_CACHE ?? '/var/cache/task-manager', 'bin/helm');

/** Series that come from Prometheus itself, kube-state-metrics and the kubelet, not from the services. */
const NOT_FROM_THE_SERVICES = new Set([
  'up',
  'kube_pod_container_status_restarts_total',
  'kubelet_volume_stats_available_bytes',
  'kubelet_volume_stats_capacity_bytes',
  'kube_job_failed',
  'kube_job_status_start_time',
  'kube_cronjob_status_last_successful_time',
  'kube_cronjob_created',
]);

/** The metric names a PromQL expression reads: what is left once strings, matchers, ranges, groupings, functions and keywords are gone. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const keywords = new Set(['and', 'or', 'unless', 'bool', 'offset']);
  return [...bare.matchAll(/(?<![\w.:])([a-zA-Z_:][\w:]*)(?![\w:]|\s*\()/g)].map((m) => m[1]!).filter((name) => !keywords.has(name));
}

function dashboardExprs(): string[] {
  const dashboard = JSON.parse(readFileSync(path.join(chart, 'files/dashboard.json'), 'utf8')) as { panels: Panel[] };
  interface Panel { targets?: { expr: string }[]; panels?: Panel[] }
  const walk = (panels: Panel[]): string[] => panels.flatMap((p) => [...(p.targets ?? []).map((t) => t.expr), ...walk(p.panels ?? [])]);
  return walk(dashboard.panels);
}

/** The alert expressions as the chart renders them (helm from tests/tools/install, as `npm test` runs it first). */
function alertExprs(): string[] {
  const rendered = execFileSync(helm, ['template', 'task-manager', chart, '-n', 'task-manager', '--kube-version', '1.35.0',
    '--set', 'monitoring.prometheusRule.enabled=true', '--set', 'backup.enabled=true', '--show-only', 'templates/prometheusrule.yaml'], { encoding: 'utf8' });
  const rule = parse(rendered) as { spec: { groups: { rules: { expr: string }[] }[] } };
  return rule.spec.groups.flatMap((g) => g.rules.map((r) => r.expr));
}

/** Names of the samples in a Prometheus text exposition. */
function sampleNames(exposition: string): Set<string> {
  return new Set(exposition.split('\n').filter((line) => line && !line.startsWith('#')).map((line) => /^[a-zA-Z_:][\w:]*/.exec(line)![0]));
}

describe('the dashboard and the alerts read only metrics the services export', () => {
  let backend: BackendProcess;
  let drop: () => Promise<void>;
  let stopFrontend: () => Promise<unknown>;
  const exported = new Set<string>();
  let backendScrape = '';
  let frontendScrape = '';

  beforeAll(async () => {
    const database = await createTestDatabase(inject('pgAdminUrl'));
    drop = () => database.drop();
    backend = await BackendProcess.start(database.url);
    const [port, metricsPort] = await freePorts(2);
    const child = spawn(process.execPath, [FRONTEND_MAIN], {
      cwd: path.dirname(path.dirname(FRONTEND_MAIN)),
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', PORT: String(port), METRICS_PORT: String(metricsPort), BACKEND_API_URL: backend.url, SESSION_SECRET },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    stopFrontend = () => (child.kill('SIGTERM'), exited);
    const frontend = `http://127.0.0.1:${port}`;
    for (let attempt = 0; attempt < 200 && (await fetch(`${frontend}/readyz`).then((r) => r.status, () => 0)) !== 200; attempt++) await sleep(100);

    // A little of what users do: a page, a task created through the frontend, the API directly, a miss.
    await createTasks({ url: frontend, fetch: withToken(await apiToken(backend.url)) }, [{ title: 'scraped' }]);
    for (const url of [`${frontend}/`, `${backend.url}/api/tasks`, `${backend.url}/no/such/path`]) expect((await fetch(url)).status).toBeLessThan(500);
    const scrapeOf = async (port: number) => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    backendScrape = await scrapeOf(backend.metricsPort);
    frontendScrape = await scrapeOf(metricsPort);
    for (const scrape of [backendScrape, frontendScrape]) for (const name of sampleNames(scrape)) exported.add(name);
  });

  afterAll(async () => {
    await stopFrontend?.();
    await backend?.stop();
    await drop?.();
  });

  it('reads the names out of PromQL, and not labels, functions, durations or numbers', () => {
    expect(metricNames('sum by (service) (rate(a_total{x="b{c}"}[5m])) / clamp_min(sum(rate(b_count[1h] offset 5m)), 1e-9) > 14.4 * (1 - 0.995)')).toEqual(['a_total', 'b_count']);
    expect(metricNames('absent(up{namespace="n"} == 1) or avg_over_time(g[5m]) and on (pod) h')).toEqual(['up', 'g', 'h']);
  });

  it('the backend reports, at scrape time, the database up, no migration pending and itself ready', () => {
    expect(backendScrape).toMatch(/^db_up\{[^}]*\} 1$/m);
    expect(backendScrape).toMatch(/^db_migrations_pending\{[^}]*\} 0$/m);
    expect(backendScrape).toMatch(/^readiness_ready\{[^}]*\} 1$/m);
  });

  it('both services, started as the tests start them, run on the Node.js of .node-version, which the images ship', () => {
    const version = readFileSync(path.join(repo, '.node-version'), 'utf8').trim();
    for (const scrape of [backendScrape, frontendScrape]) expect(scrape).toMatch(new RegExp(`^nodejs_version_info\\{[^}]*version="v${version.replaceAll('.', '\\.')}"`, 'm'));
  });

  it('every metric of every dashboard panel is in a scrape of the running services', () => {
    const names = dashboardExprs().flatMap(metricNames);
    expect(names).toContain('http_request_duration_seconds_count');
    expect(names.filter((name) => !NOT_FROM_THE_SERVICES.has(name) && !exported.has(name))).toEqual([]);
  });

  it('every metric of every alert is in that scrape, or one of the few named Kubernetes series', () => {
    const names = alertExprs().flatMap(metricNames);
    for (const name of ['db_up', 'db_migrations_pending', 'readiness_ready', 'kubelet_volume_stats_available_bytes']) expect(names).toContain(name);
    expect(names.filter((name) => !NOT_FROM_THE_SERVICES.has(name) && !exported.has(name))).toEqual([]);
    // The named Kubernetes series are all used: a stale entry would hide a typo.
    expect([...NOT_FROM_THE_SERVICES].filter((name) => !names.includes(name) && !dashboardExprs().flatMap(metricNames).includes(name))).toEqual([]);
  });
});
