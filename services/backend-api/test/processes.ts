import { spawn, type ChildProcess } from 'node:child_process';
import { freePorts } from '@task-manager/kit/testing';
import { TEST_ADMIN, call, suiteLogs } from './support.js';

const PACKAGE_DIR = new URL('../', import.meta.url);

export interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one of the built entry points (`dist/...`) as the container would, and collects its output. */
export function runNode(script: string, args: string[], env: Record<string, string>, timeoutMs = 30_000): Promise<Exit> {
  suiteLogs.rememberEnvironment(env);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd: PACKAGE_DIR, env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    suiteLogs.watch(`process ${script}`, () => stdout + stderr);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} ${args.join(' ')} did not finish in ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface ServerProcess {
  child: ChildProcess;
  baseUrl: string;
  exited: Promise<number | null>;
  output: () => string;
}

/** A login token of the bootstrap admin, once the process has created it (it does so once the schema is migrated). */
export async function adminToken(baseUrl: string): Promise<string> {
  let last = '';
  for (let attempt = 0; attempt < 100; attempt++) {
    const reply = await call(baseUrl, 'POST', '/api/login', { body: { email: TEST_ADMIN.email, password: TEST_ADMIN.password }, as: 'nobody' });
    if (reply.status === 200) return reply.body.token as string;
    last = `${reply.status} ${reply.text}`;
    // A 401 is a failed sign-in and counts toward the account's throttle; the backend creates the
    // admin on a 1 s retry once the schema is there, so ask at that pace, not five times within it.
    await new Promise((resolve) => setTimeout(resolve, reply.status === 401 ? 1_100 : 100));
  }
  throw new Error(`the admin cannot sign in: ${last}`);
}

/** Starts `dist/main.js` on free ports and resolves once /livez answers. */
export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  suiteLogs.rememberEnvironment(env);
  const [port, metricsPort] = await freePorts(2);
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: PACKAGE_DIR,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      LOG_LEVEL: 'info',
      ADMIN_EMAIL: TEST_ADMIN.email,
      ADMIN_PASSWORD: TEST_ADMIN.password,
      ...env,
    },
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  suiteLogs.watch('process dist/main.js', () => output);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const baseUrl = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      if ((await fetch(`${baseUrl}/livez`)).ok) return { child, baseUrl, exited, output: () => output };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  child.kill('SIGKILL');
  throw new Error(`backend did not start: ${output}`);
}
