import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger } from 'pino';

/** Paths that may carry credentials; pino replaces them before a line is written. */
const REDACTED_PATHS = [
  'password',
  '*.password',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'token',
  '*.token',
  'currentPassword',
  'newPassword',
  'res.headers["set-cookie"]',
  'databaseUrl',
  'sessionSecret',
];

export function createLogger(service: string, level: LogLevel = 'info'): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  });
}
