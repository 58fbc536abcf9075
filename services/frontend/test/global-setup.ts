import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { startTestPostgres } from '@task-manager/kit/testing';
import type { TestProject } from 'vitest/node';
import { BACKEND_MAIN, CHROMIUM, FRONTEND_MAIN } from './support.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}

/** Debian's Chromium, installed when missing and we may (root); otherwise a clear failure. */
function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`${CHROMIUM} is missing and the tests are not running as root: install it with "apt-get install -y chromium", or set CHROMIUM_PATH`);
  }
  execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium'], { stdio: 'inherit', timeout: 600_000 });
  if (!existsSync(CHROMIUM)) throw new Error(`installing chromium did not produce ${CHROMIUM}`);
}

/**
 * One real PostgreSQL for the run; each test file then starts the real backend process on
 * a database of its own. The backend must be built (turbo builds it first: it is a
 * devDependency of this package), and so must this package (turbo's test task depends on
 * its build).
 */
export default async function setup(project: TestProject) {
  for (const [main, workspace] of [[BACKEND_MAIN, 'backend-api'], [FRONTEND_MAIN, 'frontend']]) {
    if (!existsSync(main!)) throw new Error(`${main} is missing: build first (npm run build -w services/${workspace})`);
  }
  ensureChromium();
  const server = await startTestPostgres();
  project.provide('pgAdminUrl', server.adminUrl);
  return () => server.stop();
}
