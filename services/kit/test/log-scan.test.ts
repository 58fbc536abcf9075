import { describe, expect, it } from 'vitest';
import { LogScan } from '../src/testing/index.js';

describe('the log scan of the test suites', () => {
  it('finds a remembered secret in a logger line or a watched process output, and reports it masked', () => {
    const scan = new LogScan();
    scan.remember('password', 'correct horse battery staple');
    scan.remember('token', 'tm_abcdefghijklmnopqrstuvwxyz');
    const logger = scan.logger('leaky');
    logger.info({ body: 'correct horse battery staple' }, 'sign-in');
    logger.info('clean line');
    let childOutput = '{"msg":"ok"}\n';
    scan.watch('child', () => childOutput);
    childOutput += '{"msg":"auth","header":"Bearer tm_abcdefghijklmnopqrstuvwxyz"}\n';

    const findings = scan.findings();
    expect(findings.map(({ kind }) => kind)).toEqual(['password', 'token']);
    expect(findings[0]!.source).toMatch(/^logger leaky/);
    expect(findings[1]!.source).toMatch(/^child/);
    expect(findings[1]!.line).toContain('Bearer [token]');
    expect(JSON.stringify(findings)).not.toContain('correct horse');
    expect(scan.lines()).toBe(4);
    expect(scan.someLineIncludes('clean line')).toBe(true);
  });

  it('takes the secrets of a service environment: keys, secrets, passwords and the database password, nothing else', () => {
    const scan = new LogScan();
    scan.rememberEnvironment({ OIDC_CLIENT_SECRET: 'client secret value', ADMIN_PASSWORD: 'admin password value', BACKUP_ENCRYPTION_KEY: 'key value here', DATABASE_URL: 'postgres://app:db%20password@127.0.0.1:5432/tasks', PORT: '50000000', LOG_LEVEL: 'debug-ish-level' });
    expect(scan.secretCount).toBe(4);
    scan.logger('service').info({ url: 'postgres://app:db password@127.0.0.1' }, 'connecting');
    expect(scan.findings().map(({ kind }) => kind)).toEqual(['database password']);
  });

  it('finds nothing in clean lines, and ignores strings too short to be a secret', () => {
    const scan = new LogScan();
    scan.remember('password', 'short');
    scan.remember('token', undefined);
    scan.logger('clean').info('a short line');
    expect(scan.secretCount).toBe(0);
    expect(scan.findings()).toEqual([]);
  });
});
