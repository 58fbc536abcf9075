export { createTestDatabase, freePort, freePorts, startEmbeddedPostgres, startTestPostgres, type PostgresServer } from './postgres.js';
export { LogScan, type LogFinding } from './log-scan.js';
