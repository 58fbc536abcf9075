export { createTestDatabase, freePort, startEmbeddedPostgres, startTestPostgres, type PostgresServer } from './postgres.js';
