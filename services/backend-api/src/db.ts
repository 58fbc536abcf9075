import { setTimeout as sleep } from 'node:timers/promises';
import { activeSpan, type Logger, type Metrics, type Span, type Tracer } from '@task-manager/kit';
import type postgresTypes from 'postgres';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Config } from './config.js';
import { missingMigrations } from './migrations/files.js';
import { DEFAULT_RETRY_POLICY, withRetries, type Repeat } from './db-retry.js';
import { GUARD_MARKER } from './postgres-guard.js';

// Loaded only now, once postgres-guard.ts (imported above, so evaluated first) can fix its source.
const { default: postgres } = await import('postgres');
if (!(globalThis as Record<symbol, unknown>)[GUARD_MARKER]) {
  throw new Error('postgres.js was loaded before src/postgres-guard.ts could fix it: import the guard first (the tests: vitest.config.ts setupFiles)');
}

export type Sql = postgresTypes.Sql;
/** Either the pool or a transaction: what a statement that may run inside a transaction takes. */
export type Queryable = postgresTypes.Sql | postgresTypes.TransactionSql;

/**
 * The pool plus the instrumentation around it. Every query the service runs goes through
 * `run(name, ...)`, so each one is timed and counted under a stable name (never its SQL
 * or parameters), and, while spans are recorded, is a span of the request that ran it.
 */
export interface Database {
  sql: Sql;
  /** `repeat` says whether a second run could do the work twice: db-retry.ts decides from it what is tried again. */
  run<T>(name: string, query: (sql: Sql) => Promise<T>, repeat?: Repeat): Promise<T>;
  close(timeoutSeconds?: number): Promise<void>;
}

export function connectionOptions(config: Pick<Config, 'database' | 'sslMode' | 'poolSize'>): postgresTypes.Options<Record<string, never>> {
  const base: postgresTypes.Options<Record<string, never>> = {
    max: config.poolSize,
    idle_timeout: 60,
    // A connection to a primary that just went away (its address no longer answers) hangs until
    // this; 2 s leaves a retry to reach the new one within the request's budget (db-retry.ts).
    connect_timeout: 2,
    // postgres.js waits before reconnecting, 3^n/100 s after n failed connections in a row, up to 20 s:
    // after a failover of a few seconds that alone would keep the pool away for many more.
    backoff: (failures: number) => Math.min(0.05 * 2 ** failures, 0.5),
    ssl: config.sslMode === 'disable' ? false : config.sslMode === 'require' ? 'require' : 'verify-full',
    // Timestamps leave PostgreSQL in UTC, so JSON built by the server reads "+00:00".
    connection: { TimeZone: 'UTC', application_name: 'task-manager-backend-api' },
    onnotice: () => {},
    // Dates are calendar days: keep 'YYYY-MM-DD' as text rather than a midnight Date in some zone.
    types: { date: { to: 1082, from: [1082], serialize: (value: string) => value, parse: (value: string) => value } } as never,
  };
  if ('url' in config.database) return { ...base };
  const { host, port, user, password, database } = config.database;
  return { ...base, host, port, user, password, database };
}

/**
 * How long a scrape-time query may take before its gauge reads "unreachable". A database whose
 * packets are dropped (a NetworkPolicy with no database pod to send them to, a partition) never
 * refuses a connection: unbounded, the query would hold the whole scrape past Prometheus's timeout
 * (the chart's default is 10 s), and the pod would look down rather than its database.
 */
export const SCRAPE_QUERY_TIMEOUT_MS = 2000;

function withinScrape<T>(query: PromiseLike<T>): Promise<T> {
  return Promise.race([
    query,
    sleep(SCRAPE_QUERY_TIMEOUT_MS, undefined, { ref: false }).then(() => {
      throw new Error(`no answer within ${SCRAPE_QUERY_TIMEOUT_MS} ms`);
    }),
  ]);
}

export function createDatabase(config: Config, metrics?: Metrics, tracer?: Tracer): Database {
  const options = connectionOptions(config);
  const sql = 'url' in config.database ? postgres(config.database.url, options) : postgres(options);
  const policy = { ...DEFAULT_RETRY_POLICY, budgetMs: config.retryBudgetMs };
  const close = (timeout?: number) => sql.end({ timeout: timeout ?? 5 });
  if (!metrics) return { sql, run: (_name, query, repeat = 'once') => withRetries(() => query(sql), repeat, policy, () => {}), close };

  const registers = [metrics.registry];
  const duration = new Histogram({
    name: 'db_query_duration_seconds',
    help: 'Duration of database queries, by query name.',
    labelNames: ['query'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers,
  });
  const errors = new Counter({
    name: 'db_query_errors_total',
    help: 'Database queries that failed, by query name and SQLSTATE (or connection error code).',
    labelNames: ['query', 'code'],
    registers,
  });
  const retries = new Counter({
    name: 'db_query_retries_total',
    help: 'Database calls run again after a connection error, a shutdown or a read-only refusal (a failover), by query name and the error code that caused it.',
    labelNames: ['query', 'code'],
    registers,
  });
  const inFlight = new Gauge({ name: 'db_pool_queries_in_flight', help: 'Queries waiting for or holding a pool connection.', registers });
  new Gauge({ name: 'db_pool_max_connections', help: 'The pool size (DB_POOL_SIZE).', registers }).set(config.poolSize);
  // Both asked at scrape time: they must tell the truth while no request arrives at all.
  new Gauge({
    name: 'db_up',
    help: 'Whether the database answers a query from this pod: 1 yes, 0 no.',
    registers,
    async collect() {
      this.set(await withinScrape(sql`select 1`).then(() => 1, () => 0));
    },
  });
  new Gauge({
    name: 'db_migrations_pending',
    help: 'Migrations this build knows that the database has not applied (absent while the database is unreachable).',
    registers,
    async collect() {
      this.reset();
      const missing = await withinScrape(missingMigrations(sql)).catch(() => undefined);
      if (missing) this.set(missing.length);
    },
  });

  return {
    sql,
    async run(name, query, repeat = 'once') {
      const stop = duration.startTimer({ query: name });
      const span = tracer?.recording ? querySpan(tracer, name) : undefined;
      inFlight.inc();
      try {
        return await withRetries(() => query(sql), repeat, policy, (error) => {
          const code = (error as { code?: string }).code ?? 'unknown';
          errors.inc({ query: name, code });
          retries.inc({ query: name, code });
        });
      } catch (error) {
        const code = (error as { code?: string }).code ?? 'unknown';
        errors.inc({ query: name, code });
        span?.setAttributes({ 'db.response.status_code': code });
        span?.fail(code);
        throw error;
      } finally {
        inFlight.dec();
        stop();
        span?.end();
      }
    },
    close,
  };
}

/**
 * postgres.js has no tracing of its own: the span is the statement's name and time, as its metric
 * is, under the request that ran it (queries outside a request, such as readiness checks, have none).
 */
function querySpan(tracer: Tracer, name: string): Span | undefined {
  const parent = activeSpan();
  return parent && tracer.start(name, 'client', parent, { 'db.system.name': 'postgresql', 'db.query.summary': name });
}

/**
 * The database may still be starting (a fresh install starts everything at once): wait for it,
 * bounded. The command-line tools (migrate, backup, restore) start with it.
 */
export async function waitForDatabase(sql: Sql, logger: Logger, timeoutSeconds: number): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (let attempt = 1; ; attempt++) {
    try {
      await sql`select 1`;
      return;
    } catch (error) {
      const reason = (error as { code?: string; message?: string }).code ?? (error as Error).message;
      if (Date.now() >= deadline) throw new Error(`database not reachable after ${timeoutSeconds}s (last error: ${reason})`);
      logger.info({ attempt, reason }, 'waiting for the database');
      await sleep(Math.min(2000, 250 * attempt));
    }
  }
}
