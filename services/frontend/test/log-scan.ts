import { afterAll, expect } from 'vitest';
import { suiteLogs } from './support.js';

// After every test file: no line its frontend, backend and processes logged holds a password, token or cookie it used.
afterAll(() => {
  expect(suiteLogs.findings(), 'log lines holding a secret (masked)').toEqual([]);
});
