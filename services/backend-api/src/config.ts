import { Email, PASSWORD_MIN_LENGTH, ROLES, type Role } from '@task-manager/contract';
import { EnvReader, LOG_LEVELS, readTracingSettings, type LogLevel, type TracingSettings } from '@task-manager/kit';

export interface Config {
  /** Connection settings for postgres.js: a URL, or discrete fields from the PG* variables. */
  database: { url: string } | { host: string; port: number; user: string; password: string; database: string };
  sslMode: 'disable' | 'require' | 'verify-full';
  port: number;
  metricsPort: number;
  logLevel: LogLevel;
  poolSize: number;
  connectTimeoutSeconds: number;
  /** DB_RETRY_BUDGET_MS: how long a request's database call may be tried again through a failover (db-retry.ts). */
  retryBudgetMs: number;
  migrateOnStart: boolean;
  shutdownDelayMs: number;
  shutdownTimeoutMs: number;
  /** The first admin, created at start when no user has this email. */
  admin: { email: string; password: string } | undefined;
  auth: AuthSettings;
  /** OpenID Connect sign-in (OIDC_ENABLED=true), or undefined when it is off. */
  oidc: OidcSettings | undefined;
  /** express's `trust proxy`: whose X-Forwarded-For names the client (the frontend's does). */
  trustProxy: string;
  /** The OTEL_* variables: whether and where spans are exported (off by default). */
  tracing: TracingSettings;
}

export interface AuthSettings {
  sessionIdleTimeoutMinutes: number;
  sessionAbsoluteLifetimeHours: number;
  maxFailuresPerAccount: number;
  maxFailuresPerAddress: number;
  failureWindowMinutes: number;
  /** AUTH_PASSWORD_ENABLED: whether email and password sign in (POST /api/sessions, /api/login). */
  passwordEnabled: boolean;
}

export interface OidcSettings {
  /** Shown on the sign-in button: "Sign in with <providerName>". */
  providerName: string;
  issuerUrl: URL;
  clientId: string;
  clientSecret: string;
  /** Where the provider sends the browser back: the frontend's /login/oidc/callback on its public URL. */
  redirectUrl: URL;
  /** Where the provider sends the browser after signing out there; none: the provider's own page. */
  postLogoutRedirectUrl: URL | undefined;
  scopes: string;
  emailClaim: string;
  nameClaim: string;
  /** The claim whose values (a string or a list of strings) `roleMapping` maps to roles. */
  rolesClaim: string;
  roleMapping: Record<string, Role>;
  /** The role of a user whose claim maps to none; none: such a user is refused. */
  defaultRole: Role | undefined;
  /** Emails must end in @ one of these (empty: any). */
  allowedDomains: string[];
  /** A value the roles claim must hold (none: not required). */
  requiredGroup: string | undefined;
  clockToleranceSeconds: number;
  timeoutSeconds: number;
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
    // Below the frontend's BACKEND_TIMEOUT_MS (5000): a request held through a failover still gets its answer, or a 503, in time.
    retryBudgetMs: read.integer('DB_RETRY_BUDGET_MS', 4000, { min: 0, max: 60_000 }),
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
      passwordEnabled: read.oneOf('AUTH_PASSWORD_ENABLED', ['true', 'false'] as const, 'true') === 'true',
    },
    oidc: undefined,
    trustProxy: read.string('TRUST_PROXY', 'loopback, uniquelocal'),
    tracing: readTracingSettings(read, 'backend-api'),
  };
  const adminEmail = read.optionalString('ADMIN_EMAIL');
  const adminPassword = read.optionalString('ADMIN_PASSWORD');
  if ((adminEmail === undefined) !== (adminPassword === undefined)) read.problem('ADMIN_EMAIL and ADMIN_PASSWORD go together: set both or neither');
  else if (adminEmail !== undefined && adminPassword !== undefined) {
    if (!new RegExp(Email.pattern!, 'u').test(adminEmail)) read.problem('ADMIN_EMAIL must be an email address');
    if ([...adminPassword].length < PASSWORD_MIN_LENGTH) read.problem(`ADMIN_PASSWORD must be at least ${PASSWORD_MIN_LENGTH} characters`);
    config.admin = { email: adminEmail, password: adminPassword };
  }
  if (read.oneOf('OIDC_ENABLED', ['true', 'false'] as const, 'false') === 'true') config.oidc = readOidc(read);
  if (!config.auth.passwordEnabled && !config.oidc) read.problem('AUTH_PASSWORD_ENABLED=false needs OIDC_ENABLED=true: with neither, nobody can sign in');
  if (config.port === config.metricsPort) read.problem(`METRICS_PORT must differ from PORT (both are ${config.port})`);
  read.finish();
  return config;
}

function readOidc(read: EnvReader): OidcSettings {
  const mapping = read.optionalString('OIDC_ROLE_MAPPING');
  let roleMapping: Record<string, Role> = {};
  if (mapping !== undefined) {
    try {
      const parsed = JSON.parse(mapping) as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      const bad = Object.entries(parsed).filter(([, role]) => !ROLES.includes(role as Role));
      if (bad.length > 0) read.problem(`OIDC_ROLE_MAPPING maps ${bad.map(([claim]) => JSON.stringify(claim)).join(', ')} to no role: use ${ROLES.join(', ')}`);
      else roleMapping = parsed as Record<string, Role>;
    } catch {
      read.problem('OIDC_ROLE_MAPPING must be a JSON object from claim values to roles, e.g. {"tm-admins":"admin"}');
    }
  }
  const defaultRole = read.optionalString('OIDC_DEFAULT_ROLE');
  if (defaultRole !== undefined && !ROLES.includes(defaultRole as Role)) read.problem(`OIDC_DEFAULT_ROLE must be one of ${ROLES.join(', ')}, got "${defaultRole}"`);
  const settings: OidcSettings = {
    providerName: read.string('OIDC_PROVIDER_NAME', 'your identity provider'),
    issuerUrl: read.url('OIDC_ISSUER_URL', ['https', 'http']),
    clientId: read.string('OIDC_CLIENT_ID'),
    clientSecret: read.string('OIDC_CLIENT_SECRET'),
    redirectUrl: read.url('OIDC_REDIRECT_URL', ['https', 'http']),
    postLogoutRedirectUrl: read.has('OIDC_POST_LOGOUT_REDIRECT_URL') ? read.url('OIDC_POST_LOGOUT_REDIRECT_URL', ['https', 'http']) : undefined,
    scopes: read.string('OIDC_SCOPES', 'openid email profile'),
    emailClaim: read.string('OIDC_EMAIL_CLAIM', 'email'),
    nameClaim: read.string('OIDC_NAME_CLAIM', 'name'),
    rolesClaim: read.string('OIDC_ROLES_CLAIM', 'groups'),
    roleMapping,
    defaultRole: defaultRole as Role | undefined,
    allowedDomains: (read.optionalString('OIDC_ALLOWED_DOMAINS') ?? '').split(',').map((domain) => domain.trim().toLowerCase()).filter(Boolean),
    requiredGroup: read.optionalString('OIDC_REQUIRED_GROUP'),
    clockToleranceSeconds: read.integer('OIDC_CLOCK_TOLERANCE_SECONDS', 30, { min: 0, max: 600 }),
    timeoutSeconds: read.integer('OIDC_TIMEOUT_SECONDS', 10, { min: 1, max: 120 }),
  };
  if (!settings.scopes.split(/\s+/).includes('openid')) read.problem('OIDC_SCOPES must include openid');
  return settings;
}
