import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, freePort, freePorts } from '@task-manager/kit/testing';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { BackendProcess, FRONTEND_MAIN, SESSION_SECRET, UiClient, suiteLogs } from './support.js';

// The OpenTelemetry Collector's own OTLP receiver, built by tests/tools/install from tests/tools/otelcol.
const COLLECTOR = path.join(process.env.TASK_MANAGER_CACHE ?? '/var/cache/task-manager', 'bin/otelcol-tests');

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: Record<string, unknown> }[];
}
interface ExportedSpan extends OtlpSpan {
  service: string;
}
const SERVER = 2;
const CLIENT = 3;

let dir: string;
let collector: ChildProcess;
let collectorOutput = '';
let otlpEndpoint: string;
const spansFile = () => path.join(dir, 'spans.jsonl');

/** Every span the collector has written so far, each with the service.name of its resource. */
async function exportedSpans(): Promise<ExportedSpan[]> {
  const text = await readFile(spansFile(), 'utf8').catch(() => '');
  type Batch = { resourceSpans: { resource: { attributes: OtlpSpan['attributes'] }; scopeSpans: { spans: OtlpSpan[] }[] }[] };
  return text
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => (JSON.parse(line) as Batch).resourceSpans)
    .flatMap(({ resource, scopeSpans }) => {
      const service = resource.attributes?.find(({ key }) => key === 'service.name')?.value.stringValue as string;
      return scopeSpans.flatMap(({ spans }) => spans.map((span) => ({ ...span, service })));
    });
}

const attribute = (span: OtlpSpan, key: string): unknown => {
  const value = span.attributes?.find((candidate) => candidate.key === key)?.value;
  return value && Object.values(value)[0];
};

beforeAll(async () => {
  if (!existsSync(COLLECTOR)) throw new Error(`${COLLECTOR} is missing: run bash tests/tools/install (npm run tools)`);
  dir = await mkdtemp(path.join(os.tmpdir(), 'tracing-test-'));
  const port = await freePort();
  otlpEndpoint = `http://127.0.0.1:${port}`;
  // Its own telemetry off: it would listen on a fixed port (8888) that another run may hold.
  await writeFile(
    path.join(dir, 'collector.yaml'),
    `receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${port}
exporters:
  jsonfile:
    path: ${spansFile()}
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [jsonfile]
`,
  );
  collector = spawn(COLLECTOR, [`--config=file:${path.join(dir, 'collector.yaml')}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  collector.stdout?.on('data', (chunk: Buffer) => (collectorOutput += chunk.toString()));
  collector.stderr?.on('data', (chunk: Buffer) => (collectorOutput += chunk.toString()));
  for (let attempt = 0; ; attempt++) {
    if (collector.exitCode !== null) throw new Error(`the collector exited with ${collector.exitCode}:\n${collectorOutput}`);
    const answer = await fetch(`${otlpEndpoint}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).catch(() => undefined);
    if (answer?.status === 200) break;
    if (attempt > 300) throw new Error(`the collector did not listen within 30 s:\n${collectorOutput}`);
    await sleep(100);
  }
});

afterAll(async () => {
  collector?.kill('SIGTERM');
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The real frontend as its own process, as in production, with its logs kept. */
async function startFrontend(env: Record<string, string>) {
  const [port, metricsPort] = await freePorts(2);
  const child = spawn(process.execPath, [FRONTEND_MAIN], {
    cwd: path.dirname(path.dirname(FRONTEND_MAIN)),
    env: { PATH: process.env.PATH ?? '', PORT: String(port), METRICS_PORT: String(metricsPort), SESSION_SECRET, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  suiteLogs.watch('frontend process', () => output);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; (await fetch(`${url}/readyz`).catch(() => undefined))?.status !== 200; attempt++) {
    if (child.exitCode !== null || attempt > 300) throw new Error(`the frontend did not start:\n${output}`);
    await sleep(100);
  }
  return {
    url,
    logs: () => output,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The JSON log lines of a process that belong to a request (they carry its request id). */
const requestLines = (logs: string) =>
  logs
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { reqId?: string; traceId?: string; msg?: string })
    .filter((line) => line.reqId !== undefined);

it('exports one trace per browser request to an OTLP collector, from the frontend through the backend to its SQL, and logs its id in both services', async () => {
  const tracing = { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint };
  const database = await createTestDatabase(inject('pgAdminUrl'));
  const backend = await BackendProcess.start(database.url, tracing);
  const frontend = await startFrontend({ ...tracing, BACKEND_API_URL: backend.url });
  try {
    const browser = new UiClient(frontend.url);
    await browser.open('/');
    // As an instrumented browser or a tracing ingress sends it: the frontend continues this trace.
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const browserSpanId = '00f067aa0ba902b7';
    const created = await browser.post('/tasks', { title: 'Traced task', priority: 'low' }, { 'HX-Request': 'true', 'X-CSRF-Token': browser.csrf, traceparent: `00-${traceId}-${browserSpanId}-01` });
    expect(created.status).toBe(201);
    expect(created.headers.get('traceresponse')).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    // A page load without one starts a trace of its own, named in the answer.
    const page = await browser.get('/');
    const started = /^00-([0-9a-f]{32})-[0-9a-f]{16}-01$/.exec(page.headers.get('traceresponse') ?? '')?.[1];
    expect(started).toBeDefined();
    expect(started).not.toBe(traceId);

    // A graceful stop sends what is still batched.
    await frontend.stop();
    await backend.stop();
    await expect.poll(async () => (await exportedSpans()).filter((span) => span.traceId === traceId).map((span) => span.service), { timeout: 15_000 }).toEqual(
      expect.arrayContaining(['frontend', 'backend-api']),
    );
    const spans = (await exportedSpans()).filter((span) => span.traceId === traceId);
    const only = <T,>(items: T[]): T => {
      expect(items).toHaveLength(1);
      return items[0]!;
    };
    const frontendServer = only(spans.filter((span) => span.service === 'frontend' && span.kind === SERVER));
    expect([frontendServer.name, frontendServer.parentSpanId]).toEqual(['POST /tasks', browserSpanId]);
    // The page's calls to the backend (the task, then the counts it shows): client spans under it.
    const calls = spans.filter((span) => span.service === 'frontend' && span.kind === CLIENT);
    expect(calls.map((span) => span.parentSpanId)).toEqual(calls.map(() => frontendServer.spanId));
    const createCall = only(calls.filter((span) => span.name === 'POST /api/tasks'));
    // Each call answered by a backend span under it; the SQL each ran, under that.
    const backendServer = spans.filter((span) => span.service === 'backend-api' && span.kind === SERVER);
    expect(backendServer.map((span) => calls.find((call) => call.spanId === span.parentSpanId)?.name).sort()).toEqual(calls.map((call) => call.name).sort());
    const createServer = only(backendServer.filter((span) => span.parentSpanId === createCall.spanId));
    expect(createServer.name).toBe('POST /api/tasks');
    const queries = spans.filter((span) => span.service === 'backend-api' && span.kind === CLIENT);
    expect(queries.filter((query) => query.parentSpanId === createServer.spanId).map((query) => query.name)).toContain('tasks.create');
    for (const query of queries) {
      expect(backendServer.map((span) => span.spanId)).toContain(query.parentSpanId);
      expect(attribute(query, 'db.system.name')).toBe('postgresql');
    }
    // Every span of the trace hangs under another of it, but the first under the browser's.
    const ids = new Set(spans.map((span) => span.spanId));
    expect(spans.filter((span) => !ids.has(span.parentSpanId ?? '')).map((span) => span.name)).toEqual(['POST /tasks']);
    expect((await exportedSpans()).filter((span) => span.traceId === started && span.service === 'backend-api').length).toBeGreaterThan(0);

    // The same trace id in the log lines of both services; every request's lines carry one.
    for (const [service, logs] of [['frontend', frontend.logs()], ['backend-api', backend.logs]] as const) {
      const lines = requestLines(logs);
      expect(lines.filter((line) => line.traceId === traceId).length, `${service}: lines of the traced request`).toBeGreaterThan(0);
      expect(lines.filter((line) => !/^[0-9a-f]{32}$/.test(line.traceId ?? '')), `${service}: request lines without a trace id`).toEqual([]);
    }
  } finally {
    await frontend.stop();
    await backend.stop();
    await database.drop();
  }
});
