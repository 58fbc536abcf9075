import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // The guard first: it fixes postgres.js as it loads, and log-scan.ts's imports load it.
    setupFiles: ['src/postgres-guard.ts', 'test/log-scan.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: each file gets its own database on one shared server, two files at a time.
    maxWorkers: 2,
  },
});
