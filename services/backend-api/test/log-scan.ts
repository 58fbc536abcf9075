import { afterAll, expect } from 'vitest';
import { suiteLogs } from './support.js';

// After every test file: no line its backends and processes logged holds a password or token it used.
afterAll(() => {
  expect(suiteLogs.findings(), 'log lines holding a secret (masked)').toEqual([]);
});
