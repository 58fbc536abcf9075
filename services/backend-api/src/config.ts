import { EnvReader, LOG_LEVELS, type LogLevel } from '@task-manager/kit';

export interface Config {
  /** Connection settings for postgres.js: a URL, or discrete fields from the PG* variables. */
  database: { url: string } | { host: string; port: number; user: string; password: string; database: string };
  sslMode: 'disable' | 'require' | 'verify-full';
  port: number;
  metricsPort: number;
  logLevel: LogLevel;
  poolSize: number;
  connectTimeoutSeconds: number;
  migrateOnStart: boolean;
  shutdownDelayMs: number;
  shutdownTimeoutMs: number;
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const read = new EnvReader(env);
  const database = read.has('DATABASE_URL')
    ? { url: read.url('DATABASE_URL', ['postgres', 'postgresql']).toString() }
    : {
        host: read.string('PGHOST'),
        port: read.port('PGPORT', 5432),
        user: read.string('PGUSER'),
        password: read.string('PGPASSWORD'),
        database: read.string('PGDATABASE'),
      };
  const config: Config = {
    database,
    sslMode: read.oneOf('PGSSLMODE', ['disable', 'require', 'verify-full'] as const, 'disable'),
    port: read.port('PORT', 5000),
    metricsPort: read.port('METRICS_PORT', 9464),
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    poolSize: read.integer('DB_POOL_SIZE', 10, { min: 1, max: 100 }),
    connectTimeoutSeconds: read.integer('DB_CONNECT_TIMEOUT_SECONDS', 60, { min: 1, max: 3600 }),
    migrateOnStart: read.oneOf('MIGRATE_ON_START', ['true', 'false'] as const, 'false') === 'true',
    shutdownDelayMs: read.integer('SHUTDOWN_DELAY_SECONDS', 0, { min: 0, max: 300 }) * 1000,
    shutdownTimeoutMs: read.integer('SHUTDOWN_TIMEOUT_SECONDS', 10, { min: 1, max: 600 }) * 1000,
  };
  if (config.port === config.metricsPort) read.problem(`METRICS_PORT must differ from PORT (both are ${config.port})`);
  read.finish();
  return config;
}
