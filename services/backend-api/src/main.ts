import { Health, Metrics, createLogger, installGracefulShutdown, loadConfigOrExit } from '@task-manager/kit';
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
const app = createApp({ db, logger, metrics, health });
const server = app.listen(config.port, () => logger.info({ port: config.port }, 'backend-api listening'));
server.on('error', (error) => {
  logger.fatal({ err: error }, 'cannot listen');
  process.exit(1);
});
// Longer than any load balancer's idle timeout, so the proxy, not us, closes idle keep-alive sockets.
server.keepAliveTimeout = 65_000;
const metricsServer = await metrics.listen(config.metricsPort);

installGracefulShutdown({
  logger,
  health,
  servers: [server, metricsServer],
  drainDelayMs: config.shutdownDelayMs,
  timeoutMs: config.shutdownTimeoutMs,
  close: () => db.close(),
});
