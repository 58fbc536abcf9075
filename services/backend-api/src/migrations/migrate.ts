/**
 * The migration CLI: `node dist/migrations/migrate.js up|down|status`. The chart runs `up`
 * in every backend pod's init container; the advisory lock makes that safe.
 */
import { createLogger, loadConfigOrExit } from '@task-manager/kit';
import { loadConfig } from '../config.js';
import { createDatabase, waitForDatabase } from '../db.js';
import { migrateDown, migrateUp, migrationStatus } from './migrator.js';

const COMMANDS = ['up', 'down', 'status'] as const;
type Command = (typeof COMMANDS)[number];

async function main(): Promise<number> {
  const command = process.argv[2] as Command | undefined;
  if (!command || !COMMANDS.includes(command)) {
    process.stderr.write(`usage: migrate ${COMMANDS.join('|')}\n`);
    return 2;
  }
  const config = loadConfigOrExit('migrate', () => loadConfig());
  const logger = createLogger('migrate', config.logLevel);
  const db = createDatabase({ ...config, poolSize: 2 });
  try {
    await waitForDatabase(db.sql, logger, config.connectTimeoutSeconds);
    if (command === 'status') {
      const { executed, pending } = await migrationStatus(db.sql, logger);
      process.stdout.write(`${JSON.stringify({ executed, pending })}\n`);
    } else {
      const names = command === 'up' ? await migrateUp(db.sql, logger) : await migrateDown(db.sql, logger);
      logger.info({ command, migrations: names }, names.length ? `${command}: applied ${names.length}` : `${command}: nothing to do`);
    }
    return 0;
  } catch (error) {
    process.stderr.write(`migrate ${command} failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    await db.close();
  }
}

process.exitCode = await main();
