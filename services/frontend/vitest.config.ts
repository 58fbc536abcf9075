import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/log-scan.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // A swap on a busy two-core machine can take longer than expect.poll's default second.
    expect: { poll: { timeout: 10_000 } },
    pool: 'forks',
    // Each file runs its own backend process and, for the browser tests, a Chromium: on two
    // shared cores, one file at a time keeps the timings honest.
    maxWorkers: 1,
    fileParallelism: false,
  },
});
