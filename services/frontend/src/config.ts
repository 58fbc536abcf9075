import { EnvReader, LOG_LEVELS, type LogLevel } from '@task-manager/kit';

export interface Config {
  port: number;
  metricsPort: number;
  backendUrl: URL;
  sessionSecret: string;
  backendTimeoutMs: number;
  logLevel: LogLevel;
  shutdownDelayMs: number;
  shutdownTimeoutMs: number;
}

/** The environment, read and checked once; see docs/contracts.md for the meaning of each variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const read = new EnvReader(env);
  const config: Config = {
    port: read.port('PORT', 8080),
    metricsPort: read.port('METRICS_PORT', 9464),
    backendUrl: read.url('BACKEND_API_URL', ['http', 'https']),
    sessionSecret: read.secret('SESSION_SECRET', 32),
    backendTimeoutMs: read.integer('BACKEND_TIMEOUT_MS', 5000, { min: 100, max: 60_000 }),
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    shutdownDelayMs: read.integer('SHUTDOWN_DELAY_SECONDS', 0, { min: 0, max: 300 }) * 1000,
    shutdownTimeoutMs: read.integer('SHUTDOWN_TIMEOUT_SECONDS', 10, { min: 1, max: 300 }) * 1000,
  };
  if (config.port === config.metricsPort) read.problem('PORT and METRICS_PORT must differ');
  read.finish();
  return config;
}
