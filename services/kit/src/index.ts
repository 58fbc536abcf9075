export { ConfigError, EnvReader, LOG_LEVELS, loadConfigOrExit, type LogLevel } from './config.js';
export { createLogger, type Logger } from './logger.js';
export { requestContext } from './request-context.js';
export { DURATION_BUCKETS, Metrics } from './metrics.js';
export { Health, type ReadinessCheck, type ReadinessReport } from './health.js';
export { installGracefulShutdown, type ShutdownOptions } from './shutdown.js';
export { createServiceApp, serve, type ServeOptions, type ServeSettings } from './serve.js';
export { HttpProblem, notFoundHandler, problemHandler, sendProblem, type FieldError } from './problem.js';
export {
  activeSpan,
  createTracer,
  formatTraceparent,
  idOnlyTracer,
  parseTraceparent,
  readTracingSettings,
  runInSpan,
  TRACES_EXPORTERS,
  type Span,
  type SpanContext,
  type Tracer,
  type TracingSettings,
} from './tracing.js';
