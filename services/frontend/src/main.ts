import { Health, Metrics, createLogger, createTracer, loadConfigOrExit, serve } from '@task-manager/kit';
import { createApp } from './app.js';
import { BackendClient } from './backend/index.js';
import { loadConfig } from './config.js';

const config = loadConfigOrExit('frontend', () => loadConfig());
const logger = createLogger('frontend', config.logLevel);
const metrics = new Metrics('frontend');
const tracer = await createTracer(config.tracing);
const backend = new BackendClient({ baseUrl: config.backendUrl, timeoutMs: config.backendTimeoutMs, registry: metrics.registry, tracer });
// Readiness is about this process only: a backend outage must not pull the frontend out of
// its Service too, or users would get connection errors instead of the "unavailable" page.
const health = new Health(async () => ({ ready: true, checks: { process: { ok: true } } }));

await serve({
  app: await createApp({ backend, sessionSecret: config.sessionSecret, cookieSecure: config.cookieSecure, trustProxy: config.trustProxy, logger, metrics, health, tracer }),
  settings: config,
  metrics,
  logger,
  health,
  tracer,
  close: () => backend.close(),
});
logger.info({ backend: config.backendUrl.origin }, 'frontend talks to the backend API');
