import { Health, Metrics, createLogger, createTracer, loadConfigOrExit, serve } from '@task-manager/kit';
import { createApp, databaseReadiness } from './app.js';
import { loadConfig } from './config.js';
import { Credentials } from './accounts/credentials.js';
import { ensureAdmin } from './accounts/routes.js';
import { createDatabase, type Database } from './db.js';
import type { Logger } from '@task-manager/kit';

/**
 * Creates the ADMIN_EMAIL admin once the schema holds the users table: a replica started
 * before the migration ran keeps trying in the background rather than failing to start.
 */
function bootstrapAdmin(db: Database, admin: { email: string; password: string }, logger: Logger): Promise<unknown> {
  const attempt = (): Promise<unknown> =>
    ensureAdmin(db, admin).then(
      (created) => logger.info({ email: admin.email, created }, created ? 'admin created' : 'admin exists'),
      (error: { code?: string; message?: string }) => {
        logger.warn({ code: error.code ?? error.message }, 'cannot create the admin yet; retrying');
        setTimeout(attempt, 1000).unref();
      },
    );
  return attempt();
}

const config = loadConfigOrExit('backend-api', () => loadConfig());
const logger = createLogger('backend-api', config.logLevel);
const metrics = new Metrics('backend-api');
const tracer = await createTracer(config.tracing);
const db = createDatabase(config, metrics, tracer);

if (config.migrateOnStart) {
  const { migrateUp } = await import('./migrations/migrator.js');
  await migrateUp(db.sql, logger);
}

const credentials = new Credentials(db);
// Until the database answers, requests ask it anyway (and get 503s); the cache waits for the subscription.
const listen = (): Promise<unknown> =>
  credentials.listen().catch((error: { code?: string; message?: string }) => {
    logger.warn({ code: error.code ?? error.message }, 'cannot listen for revocations yet; retrying');
    setTimeout(() => void listen(), 1000).unref();
  });
void listen();
if (config.admin) await bootstrapAdmin(db, config.admin, logger);

const health = new Health(databaseReadiness(db));
await serve({
  app: createApp({ db, logger, metrics, health, credentials, config, tracer }),
  settings: config,
  metrics,
  logger,
  health,
  tracer,
  close: () => db.close(),
});
