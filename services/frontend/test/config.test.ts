import { ConfigError } from '@task-manager/kit';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

const valid = { BACKEND_API_URL: 'http://backend:5000', SESSION_SECRET: 's'.repeat(32) };

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    expect(loadConfig(valid)).toMatchObject({ port: 8080, metricsPort: 9464, backendTimeoutMs: 5000, logLevel: 'info', shutdownDelayMs: 0, shutdownTimeoutMs: 10_000 });
  });

  it('names every bad setting at once', () => {
    let caught: unknown;
    try {
      loadConfig({ SESSION_SECRET: 'short', PORT: '70000', BACKEND_TIMEOUT_MS: 'soon', BACKEND_API_URL: 'ftp://x' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems).toEqual([
      'PORT must be between 1 and 65535, got 70000',
      'BACKEND_API_URL must use http or https, got "ftp:"',
      'SESSION_SECRET must be at least 32 characters long',
      'BACKEND_TIMEOUT_MS must be a whole number, got "soon"',
    ]);
  });

  it('reads the cookie Secure mode and the trusted proxies, and refuses a mode it does not know', () => {
    expect(loadConfig(valid)).toMatchObject({ cookieSecure: 'auto', trustProxy: 'loopback, linklocal, uniquelocal' });
    expect(loadConfig({ ...valid, COOKIE_SECURE: 'always', TRUST_PROXY: '10.0.0.0/8' })).toMatchObject({ cookieSecure: 'always', trustProxy: '10.0.0.0/8' });
    expect(() => loadConfig({ ...valid, COOKIE_SECURE: 'sometimes' })).toThrow(/COOKIE_SECURE/);
  });

  it('requires the backend URL and the session secret', () => {
    expect(() => loadConfig({})).toThrow(/BACKEND_API_URL is required[\s\S]*SESSION_SECRET is required/);
  });
});
