import { Health, Metrics, createLogger, loadConfigOrExit, serve } from '@task-manager/kit';
import { createApp, databaseReadiness } from './app.js';
import { loadConfig } from './config.js';
import { createDatabase } from './db.js';

const config = loadConfigOrExit('backend-api', () => loadConfig());
const logger = createLogger('backend-api', config.logLevel);
const metrics = new Metrics('backend-api');
const db = createDatabase(config, metrics);

if (config.migrateOnStart) {
  const { migrateUp } = await import('./migrations/migrator.js');
  await migrateUp(db.sql, logger);
}

const health = new Health(databaseReadiness(db));
await serve({
  app: createApp({ db, logger, metrics, health }),
  settings: config,
  metrics,
  logger,
  health,
  close: () => db.close(),
});
