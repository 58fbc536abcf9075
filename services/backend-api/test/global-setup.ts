import { startTestPostgres } from '@task-manager/kit/testing';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}

/** One real PostgreSQL for the whole run: DATABASE_URL's server if given, else an embedded one. */
export default async function setup(project: TestProject) {
  const server = await startTestPostgres();
  project.provide('pgAdminUrl', server.adminUrl);
  return () => server.stop();
}
