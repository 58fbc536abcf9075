/**
 * Two fixes to postgres.js 3.4.9 (the latest release; upstream issues porsager/postgres#1154 and
 * #1208, pull requests open), applied to its source as Node loads it. Both bite exactly when a
 * failover ends connections under queries:
 *
 * - A write buffered for the next tick (any message under 1 KiB) is flushed by `nextWrite` to a
 *   socket that `closed()` may have set to null meanwhile. sql.begin sends ROLLBACK on the
 *   connection whose socket just closed, so that is every interrupted transaction: the TypeError
 *   is thrown from a setImmediate, no caller can catch it, and the process dies. Guarded: the
 *   queries on that connection are rejected as CONNECTION_CLOSED instead.
 * - Closing or terminating a connection cancels that tick without forgetting it (nor the
 *   buffered bytes), so a reconnected connection never schedules a flush again and hangs.
 * - An error the server sent just before it closed the connection (57P01 on a terminated
 *   session) is kept past the close, and the reconnected connection hands it to the first query
 *   it runs, a query that never reached the old session. Forgotten at the close: the query it
 *   belonged to has been rejected by then.
 * - A connection ended while it reads the array types (the first query of each) rejects a promise
 *   nobody holds: an unhandled rejection, which ends a Node process. The connection's own queries
 *   have their answer already (they are reconnected or rejected), so that rejection is dropped.
 *
 * Every edit must match the source exactly once: a postgres.js that differs makes loading fail
 * loudly, never run unguarded. db.ts checks the marker below to know the guard was applied.
 */
import { registerHooks } from 'node:module';

export const GUARD_MARKER = Symbol.for('task-manager.postgres-guard');

const EDITS: Array<[string, string]> = [
  [
    '  function nextWrite(fn) {\n    const x = socket.write(chunk, fn)\n',
    "  function nextWrite(fn) {\n    if (!socket) {\n      chunk = nextWriteTimer = null\n      error(Errors.connection('CONNECTION_CLOSED', options))\n      return true\n    }\n    const x = socket.write(chunk, fn)\n",
  ],
  ['    clearImmediate(nextWriteTimer)\n    if (socket) {\n', '    clearImmediate(nextWriteTimer)\n    nextWriteTimer = chunk = null\n    if (socket) {\n'],
  ["    clearImmediate(nextWriteTimer)\n    socket.removeListener('data', data)\n", "    clearImmediate(nextWriteTimer)\n    nextWriteTimer = chunk = null\n    socket.removeListener('data', data)\n"],
  ['  async function closed(hadError) {\n', '  async function closed(hadError) {\n    errorResponse = null\n'],
  ['        return fetchArrayTypes()\n', '        return fetchArrayTypes().catch(() => {})\n'],
];

export function guardedSource(source: string): string {
  let patched = source;
  for (const [before, after] of EDITS) {
    const at = patched.indexOf(before);
    if (at < 0 || patched.indexOf(before, at + 1) >= 0) throw new Error('postgres-guard: postgres.js is not the version its fixes were written for (src/connection.js changed); review src/postgres-guard.ts');
    patched = patched.slice(0, at) + after + patched.slice(at + before.length);
  }
  return `${patched}\nglobalThis[Symbol.for('task-manager.postgres-guard')] = true;\n`;
}

registerHooks({
  load(url, context, nextLoad) {
    const loaded = nextLoad(url, context);
    if (!url.endsWith('/node_modules/postgres/src/connection.js')) return loaded;
    return { ...loaded, source: guardedSource(String(loaded.source)) };
  },
});
