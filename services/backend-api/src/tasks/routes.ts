import { createHash, hash as digestOf } from 'node:crypto';
import { IDEMPOTENCY_KEY_PATTERN, IF_MATCH_PATTERN, LIMITS } from '@task-manager/contract';
import { HttpProblem } from '@task-manager/kit';
import { Router, type Request, type Response } from 'express';
import type { Database } from '../db.js';
import { bulkWrite, createTask, createTaskOnce, dataVersion, deleteTask, getTask, listTasks, taskActivity, taskStats, updateTask, type TaskRow, type Write } from './queries.js';
import { encodeCursor, isUuid, parseBulk, parseCreate, parseListQuery, parsePatch } from './validate.js';

const etagOf = (version: number) => `"${version}"`;
/** Bump when the list's JSON changes shape, so that no client keeps a list in the old one. */
const LIST_FORMAT = '2';
/**
 * A list's ETag: the database state it was read from (queries.ts, dataVersion), and the caller,
 * whom `assignee=me` names; hashed. A changed display name is a commit, so it moves the state too.
 */
const listEtagOf = (dataVersion: string, callerId: string) => `"${digestOf('sha1', `${LIST_FORMAT} ${callerId} ${dataVersion}`, 'base64url')}"`;
const IDEMPOTENCY_KEY = new RegExp(IDEMPOTENCY_KEY_PATTERN, 'u');
const IF_MATCH = new RegExp(IF_MATCH_PATTERN, 'u');
const LIST_START = Buffer.from('{"items":[');

const writer = (req: Request, assigneeField: string): Write => ({ actor: req.principal!.userId, assigneeField });

function sendTask(res: Response, status: number, row: TaskRow): void {
  res.status(status).set('ETag', etagOf(row.version)).type('application/json').send(row.task);
}

function notFound(id: string): HttpProblem {
  return new HttpProblem(404, 'Not Found', `No task with id ${id}.`);
}

/** A path id that is not a UUID cannot name a task: answer 404 before asking the database. */
function taskId(req: Request): string {
  const id = String(req.params.id);
  if (!isUuid(id)) throw notFound(id);
  return id.toLowerCase();
}

/** If-Match as a list of the versions the client accepts; `*` means any existing version. */
function expectedVersions(req: Request): number[] | undefined {
  const header = req.get('if-match');
  if (header === undefined) return undefined;
  if (!IF_MATCH.test(header)) throw new HttpProblem(400, 'Bad Request', 'If-Match must be "*" or the ETag of the task, such as "3".');
  if (header.trim() === '*') return undefined;
  // An empty If-Match is an empty list (RFC 9110, 5.6.1): no version matches it, so the write answers 412.
  return [...header.matchAll(/"([0-9]+)"/g)].map((match) => Number(match[1]));
}

/** Whether If-None-Match names this ETag (compared weakly, as RFC 9110 has it for GET) or is `*`. */
function noneMatchHits(req: Request, etag: string): boolean {
  const header = req.get('if-none-match');
  if (header === undefined) return false;
  return header.trim() === '*' || header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

function precondition(current: TaskRow): HttpProblem {
  return new HttpProblem(412, 'Precondition Failed', `The task has changed since you read it; it is now at version ${current.version}.`, {
    current: JSON.parse(current.task) as unknown,
  });
}

/** A JSON body is required; anything else is refused before it is parsed. */
function requireJson(req: Request): void {
  if (!req.is('application/json')) {
    throw new HttpProblem(415, 'Unsupported Media Type', 'Send the request body as JSON with Content-Type: application/json.');
  }
}

export function tasksRouter(db: Database): Router {
  const router = Router();
  // /tasks/bulk is a path of its own, not a task id: other methods leave for the app's 405.
  router.use('/tasks/bulk', (req, _res, next) => next(req.method === 'POST' ? undefined : 'router'));

  router.get('/tasks', async (req, res) => {
    const caller = req.principal!.userId;
    const query = parseListQuery(req.query as Record<string, unknown>, caller);
    // A client that holds a list asks whether it is still current: while nothing has been
    // written since, one trivial query answers instead of the list's.
    if (req.get('if-none-match') !== undefined) {
      const etag = listEtagOf(await dataVersion(db), caller);
      if (noneMatchHits(req, etag)) return res.status(304).set('ETag', etag).end();
    }
    const page = await listTasks(db, query);
    const nextCursor = page.next ? encodeCursor(query.sort, query.order, page.next.value, page.next.id) : null;
    res.set('ETag', listEtagOf(page.dataVersion, caller)).type('application/json').send(Buffer.concat([LIST_START, page.items, Buffer.from(`],"nextCursor":${JSON.stringify(nextCursor)}}`)]));
  });

  router.post('/tasks', async (req, res) => {
    requireJson(req);
    const input = parseCreate(req.body);
    const key = req.get('idempotency-key');
    if (key === undefined) {
      const row = await createTask(db, writer(req, 'assigneeId'), input);
      res.location(`/api/tasks/${row.id}`);
      return sendTask(res, 201, row);
    }
    if (!IDEMPOTENCY_KEY.test(key)) {
      throw new HttpProblem(400, 'Bad Request', `Idempotency-Key must be 1 to ${LIMITS.idempotencyKey} visible ASCII characters.`);
    }
    const requestHash = createHash('sha256').update(JSON.stringify(input)).digest('base64url');
    const { replayed, answer, gone } = await createTaskOnce(db, writer(req, 'assigneeId'), key, requestHash, input, (row) => ({
      statusCode: 201,
      location: `/api/tasks/${row.id}`,
      etag: etagOf(row.version),
      body: row.task,
    }));
    if (answer.requestHash !== requestHash) {
      const detail = 'was already used with a different request body';
      throw new HttpProblem(422, 'Unprocessable Content', `This Idempotency-Key ${detail}.`, { errors: [{ field: 'Idempotency-Key', detail }] });
    }
    // Replaying a 201 for a task that no longer exists would send the client to a 404.
    if (gone) throw new HttpProblem(409, 'Conflict', `The task this Idempotency-Key created (${answer.location}) has since been deleted.`);
    if (replayed) res.set('Idempotent-Replayed', 'true');
    if (answer.location) res.location(answer.location);
    if (answer.etag) res.set('ETag', answer.etag);
    res.status(answer.statusCode).type('application/json').send(answer.body);
  });

  router.get('/tasks/:id', async (req, res) => {
    const id = taskId(req);
    const row = await getTask(db, id);
    if (!row) throw notFound(id);
    sendTask(res, 200, row);
  });

  router.patch('/tasks/:id', async (req, res) => {
    const id = taskId(req);
    const versions = expectedVersions(req);
    requireJson(req);
    const result = await updateTask(db, writer(req, 'assigneeId'), id, parsePatch(req.body), versions);
    if (result.outcome === 'not_found') throw notFound(id);
    if (result.outcome === 'stale') throw precondition(result.current);
    sendTask(res, 200, result.row);
  });

  router.delete('/tasks/:id', async (req, res) => {
    const id = taskId(req);
    const result = await deleteTask(db, writer(req, 'assigneeId'), id, expectedVersions(req));
    if (result.outcome === 'not_found') throw notFound(id);
    if (result.outcome === 'stale') throw precondition(result.current);
    res.status(204).end();
  });

  router.post('/tasks/bulk', async (req, res) => {
    requireJson(req);
    const bulk = parseBulk(req.body);
    const result = await bulkWrite(db, writer(req, 'patch.assigneeId'), bulk.ids, bulk.action === 'update' ? bulk.patch : undefined);
    if (result.outcome === 'missing') {
      throw new HttpProblem(404, 'Not Found', `${result.missing.length} of the tasks do not exist; nothing was changed.`, {
        missing: result.missing,
      });
    }
    res.json({ action: bulk.action, count: result.count });
  });

  router.get('/tasks/:id/activity', async (req, res) => {
    const id = taskId(req);
    const history = await taskActivity(db, id);
    if (history === undefined) throw notFound(id);
    res.type('application/json').send(history);
  });

  router.get('/stats', async (_req, res) => {
    res.json(await taskStats(db));
  });

  return router;
}
