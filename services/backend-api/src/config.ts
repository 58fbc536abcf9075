import { Email, PASSWORD_MIN_LENGTH } from '@task-manager/contract';
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
  /** The first admin, created at start when no user has this email. */
  admin: { email: string; password: string } | undefined;
  auth: AuthSettings;
  /** express's `trust proxy`: whose X-Forwarded-For names the client (the frontend's does). */
  trustProxy: string;
}

export interface AuthSettings {
  sessionIdleTimeoutMinutes: number;
  sessionAbsoluteLifetimeHours: number;
  maxFailuresPerAccount: number;
  maxFailuresPerAddress: number;
  failureWindowMinutes: number;
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
    admin: undefined,
    auth: {
      sessionIdleTimeoutMinutes: read.integer('SESSION_IDLE_TIMEOUT_MINUTES', 480, { min: 1, max: 525_600 }),
      sessionAbsoluteLifetimeHours: read.integer('SESSION_ABSOLUTE_LIFETIME_HOURS', 168, { min: 1, max: 87_600 }),
      maxFailuresPerAccount: read.integer('SIGN_IN_MAX_FAILURES_PER_ACCOUNT', 5, { min: 1, max: 1_000_000 }),
      maxFailuresPerAddress: read.integer('SIGN_IN_MAX_FAILURES_PER_ADDRESS', 50, { min: 1, max: 1_000_000 }),
      failureWindowMinutes: read.integer('SIGN_IN_FAILURE_WINDOW_MINUTES', 15, { min: 1, max: 1440 }),
    },
    trustProxy: read.string('TRUST_PROXY', 'loopback, uniquelocal'),
  };
  const adminEmail = read.optionalString('ADMIN_EMAIL');
  const adminPassword = read.optionalString('ADMIN_PASSWORD');
  if ((adminEmail === undefined) !== (adminPassword === undefined)) read.problem('ADMIN_EMAIL and ADMIN_PASSWORD go together: set both or neither');
  else if (adminEmail !== undefined && adminPassword !== undefined) {
    if (!new RegExp(Email.pattern!, 'u').test(adminEmail)) read.problem('ADMIN_EMAIL must be an email address');
    if ([...adminPassword].length < PASSWORD_MIN_LENGTH) read.problem(`ADMIN_PASSWORD must be at least ${PASSWORD_MIN_LENGTH} characters`);
    config.admin = { email: adminEmail, password: adminPassword };
  }
  if (config.port === config.metricsPort) read.problem(`METRICS_PORT must differ from PORT (both are ${config.port})`);
  read.finish();
  return config;
}
