import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN, startBackend, type RunningBackend } from './support.js';

/** Installed, at its pinned version, by tests/tools/install into the tools' Python venv. */
const SCHEMATHESIS = path.join(process.env.TASK_MANAGER_CACHE ?? '/var/cache/task-manager', 'venv', 'bin', 'schemathesis');

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** Bounds that keep the run near a minute on two cores; the seed makes a failure reproducible. */
const RUN = ['--checks', 'all', '--max-examples', '60', '--max-time', '70', '--seed', '11', '--workers', '1'];

let backend: RunningBackend;
beforeAll(async () => {
  backend = await startBackend();
});
afterAll(() => backend.close());

function schemathesis(args: string[], adminId: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, NO_COLOR: '1', PYTHONDONTWRITEBYTECODE: '1', SCHEMATHESIS_HOOKS: path.join(HERE, 'schemathesis', 'hooks.py'), SCHEMATHESIS_ADMIN_ID: adminId, SCHEMATHESIS_ADMIN_PASSWORD: TEST_ADMIN.password };
    // Its working directory gets a cache of crashes it found (.schemathesis/): a throwaway one, not the checkout.
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'schemathesis-'));
    const child = spawn(SCHEMATHESIS, ['--config-file', path.join(HERE, 'schemathesis', 'schemathesis.toml'), ...args], { env, cwd });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      rmSync(cwd, { recursive: true, force: true });
      resolve({ code, output });
    });
  });
}

describe('the OpenAPI document', () => {
  it('describes every answer the API gives to requests generated from it (Schemathesis, all checks)', { timeout: 150_000 }, async () => {
    if (!existsSync(SCHEMATHESIS)) {
      throw new Error(`schemathesis is not installed at ${SCHEMATHESIS}: run \`bash tests/tools/install\` (or \`npm run tools\`) first`);
    }
    // As the admin, who may call everything; not the two operations that revoke the token sent (the route tests cover them).
    const auth = ['--header', `Authorization: Bearer ${backend.accounts.admin.token}`, '--exclude-operation-id', 'logout', '--exclude-operation-id', 'signOutEverywhere'];
    const command = ['run', `${backend.baseUrl}/api/openapi.json`, ...RUN, ...auth, '--no-color', '--generation-database', 'none'];
    const { code, output } = await schemathesis(command, backend.accounts.admin.id);
    // The whole report on a failure; otherwise its summary, which counts the cases run.
    const summary = output.slice(output.lastIndexOf('SUMMARY'));
    process.stderr.write(`schemathesis ${command.join(' ').replace(backend.accounts.admin.token, '<token>')}\n${code === 0 ? summary : output}\n`);
    expect(code, `schemathesis found mismatches (its report is above)\n${output.slice(-4000)}`).toBe(0);
    // A run that sent nothing would also exit 0.
    expect(summary).toMatch(/Test cases:\s+[1-9]\d* generated, [1-9]\d* passed/);
  });
});
