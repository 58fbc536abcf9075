import { Health, Metrics, createLogger, installGracefulShutdown, loadConfigOrExit } from '@task-manager/kit';
import { createApp } from './app.js';
import { BackendClient } from './backend.js';
import { loadConfig } from './config.js';

const config = loadConfigOrExit('frontend', () => loadConfig());
const logger = createLogger('frontend', config.logLevel);
const metrics = new Metrics('frontend');
const backend = new BackendClient({ baseUrl: config.backendUrl, timeoutMs: config.backendTimeoutMs, registry: metrics.registry });
// Readiness is about this process only: a backend outage must not pull the frontend out of
// its Service too, or users would get connection errors instead of the "unavailable" page.
const health = new Health(async () => ({ ready: true, checks: { process: { ok: true } } }));

const app = await createApp({ backend, sessionSecret: config.sessionSecret, logger, metrics, health });
const server = app.listen(config.port);
await new Promise<void>((resolve, reject) => {
  server.once('listening', resolve);
  server.once('error', reject);
});
const metricsServer = await metrics.listen(config.metricsPort);
logger.info({ port: config.port, metricsPort: config.metricsPort, backend: config.backendUrl.origin }, 'frontend listening');

installGracefulShutdown({
  logger,
  health,
  servers: [server, metricsServer],
  drainDelayMs: config.shutdownDelayMs,
  timeoutMs: config.shutdownTimeoutMs,
  close: () => backend.close(),
});
