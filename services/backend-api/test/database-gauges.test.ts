import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Metrics } from '@task-manager/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createDatabase, SCRAPE_QUERY_TIMEOUT_MS } from '../src/db.js';

// A database host that accepts connections and never answers: what a backend meets when the
// packets to its database are dropped (a NetworkPolicy with no database pod behind the Service, a
// partition), where nothing refuses the connection.
describe('database gauges while the database does not answer', () => {
  let silent: Server;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('a scrape ends within the bound of its queries, reading db_up 0, rather than hanging', async () => {
    const { port } = silent.address() as AddressInfo;
    const metrics = new Metrics('backend-api');
    const db = createDatabase(loadConfig({ DATABASE_URL: `postgres://u:p@127.0.0.1:${port}/d`, DB_POOL_SIZE: '2' }), metrics);
    try {
      const started = Date.now();
      const text = await metrics.registry.metrics();
      const took = Date.now() - started;
      expect(text).toMatch(/^db_up\{service="backend-api"\} 0$/m);
      expect(took).toBeGreaterThanOrEqual(SCRAPE_QUERY_TIMEOUT_MS - 50);
      expect(took).toBeLessThan(SCRAPE_QUERY_TIMEOUT_MS + 1500);
    } finally {
      await db.close(0);
    }
  });
});
