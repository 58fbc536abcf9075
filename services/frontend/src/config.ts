import { EnvReader, LOG_LEVELS, readTracingSettings, type LogLevel, type TracingSettings } from '@task-manager/kit';

export const COOKIE_SECURE_MODES = ['auto', 'always', 'never'] as const;
export type CookieSecure = (typeof COOKIE_SECURE_MODES)[number];

export interface Config {
  port: number;
  metricsPort: number;
  backendUrl: URL;
  sessionSecret: string;
  backendTimeoutMs: number;
  logLevel: LogLevel;
  shutdownDelayMs: number;
  shutdownTimeoutMs: number;
  /** Whether cookies carry Secure: auto = when the request came over TLS (as `trustProxy` lets express tell). */
  cookieSecure: CookieSecure;
  /** express's `trust proxy`: whose X-Forwarded-For/-Proto count (the client address the backend throttles by, TLS). */
  trustProxy: string;
  /** The OTEL_* variables: whether and where spans are exported (off by default). */
  tracing: TracingSettings;
}

/** Proxies on the pod's own and the cluster's networks: the ingress or a port-forward. */
export const DEFAULT_TRUST_PROXY = 'loopback, linklocal, uniquelocal';

/** How long a page waits on the backend: a deployed frontend's, and the browser tests' that wait on a provider too. */
export const DEFAULT_BACKEND_TIMEOUT_MS = 5000;

/** The environment, read and checked once; see docs/contracts.md for the meaning of each variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const read = new EnvReader(env);
  const config: Config = {
    port: read.port('PORT', 8080),
    metricsPort: read.port('METRICS_PORT', 9464),
    backendUrl: read.url('BACKEND_API_URL', ['http', 'https']),
    sessionSecret: read.secret('SESSION_SECRET', 32),
    backendTimeoutMs: read.integer('BACKEND_TIMEOUT_MS', DEFAULT_BACKEND_TIMEOUT_MS, { min: 100, max: 60_000 }),
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    shutdownDelayMs: read.integer('SHUTDOWN_DELAY_SECONDS', 0, { min: 0, max: 300 }) * 1000,
    shutdownTimeoutMs: read.integer('SHUTDOWN_TIMEOUT_SECONDS', 10, { min: 1, max: 300 }) * 1000,
    cookieSecure: read.oneOf('COOKIE_SECURE', COOKIE_SECURE_MODES, 'auto'),
    trustProxy: read.string('TRUST_PROXY', DEFAULT_TRUST_PROXY),
    tracing: readTracingSettings(read, 'frontend'),
  };
  if (config.port === config.metricsPort) read.problem('PORT and METRICS_PORT must differ');
  read.finish();
  return config;
}
