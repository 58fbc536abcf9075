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

  it('finds nothing in clean lines, and ignores strings too short to be a secret', () => {
    const scan = new LogScan();
    scan.remember('password', 'short');
    scan.remember('token', undefined);
    scan.logger('clean').info('a short line');
    expect(scan.secretCount).toBe(0);
    expect(scan.findings()).toEqual([]);
  });
});
