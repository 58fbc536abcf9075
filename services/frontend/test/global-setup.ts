import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { startTestPostgres } from '@task-manager/kit/testing';
import type { TestProject } from 'vitest/node';
import { BACKEND_MAIN, CHROMIUM } from './support.js';

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
 * devDependency of this package).
 */
export default async function setup(project: TestProject) {
  if (!existsSync(BACKEND_MAIN)) {
    throw new Error(`${BACKEND_MAIN} is missing: build the backend first (npm run build -w services/backend-api)`);
  }
  ensureChromium();
  const server = await startTestPostgres();
  project.provide('pgAdminUrl', server.adminUrl);
  return () => server.stop();
}
