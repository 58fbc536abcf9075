import { spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePorts } from '@task-manager/kit/testing';
import { expect, it } from 'vitest';
import { FRONTEND_MAIN, SESSION_SECRET, suiteLogs } from './support.js';

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, [FRONTEND_MAIN], {
    cwd: path.dirname(path.dirname(FRONTEND_MAIN)),
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  suiteLogs.watch('frontend process', () => output);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, exited, output: () => output };
}

it('refuses a bad environment with one line per problem and exit code 1', async () => {
  const { exited, output } = run({ SESSION_SECRET: 'short', BACKEND_TIMEOUT_MS: 'x' });
  expect(await exited).toBe(1);
  expect(output().trim().split('\n')).toEqual([
    'frontend: configuration error: BACKEND_API_URL is required but not set',
    'frontend: configuration error: SESSION_SECRET must be at least 32 characters long',
    'frontend: configuration error: BACKEND_TIMEOUT_MS must be a whole number, got "x"',
  ]);
});

it('serves /livez and /readyz without a backend, metrics on their own port, and stops cleanly on SIGTERM', async () => {
  const [port, metricsPort, nobody] = await freePorts(3);
  const { child, exited, output } = run({
    PORT: String(port),
    METRICS_PORT: String(metricsPort),
    BACKEND_API_URL: `http://127.0.0.1:${nobody}`,
    SESSION_SECRET,
  });
  try {
    let ready: Response | undefined;
    for (let attempt = 0; attempt < 100 && !ready; attempt++) {
      ready = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
      if (!ready) await sleep(100);
    }
    expect(ready?.status, output()).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/livez`)).status).toBe(200);
    // A signed-in browser's page needs the backend; one signed out is sent to sign in without it.
    expect((await fetch(`http://127.0.0.1:${port}/`, { headers: { cookie: 'tm_sid=tm_any' } })).status).toBe(503);
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toContain('http_request_duration_seconds_bucket');
    expect(metrics).toMatch(/backend_request_duration_seconds_count\{[^}]*status_code="error"/);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { cookie: 'tm_sid=tm_any' } })).status).toBe(404);
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
});
