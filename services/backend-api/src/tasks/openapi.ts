import {
  BulkRequest,
  BulkResult,
  IdempotencyKey,
  IfMatch,
  LIMITS,
  LIST_PARAMETERS,
  MissingProblem,
  Problem,
  StaleProblem,
  Stats,
  Task,
  TaskCreate,
  TaskId,
  TaskList,
  TaskPatch,
  ValidationProblem,
} from '@task-manager/contract';

/** The contract's schemas, as the document's components: written once, in services/contract. */
const schemas = { Task, TaskCreate, TaskPatch, TaskList, BulkRequest, BulkResult, Stats, Problem, ValidationProblem, StaleProblem, MissingProblem };
type SchemaName = keyof typeof schemas;

const ref = (name: SchemaName) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: SchemaName) => ({ 'application/json': { schema: ref(name) } });
const problem = (description: string, schema: SchemaName = 'Problem') => ({ description, content: { 'application/problem+json': { schema: ref(schema) } } });
const taskId = { name: 'id', in: 'path', required: true, schema: TaskId };
const etagHeader = { ETag: { description: 'The task version, quoted; send it back in If-Match.', schema: { type: 'string' } } };
const ifMatch = {
  name: 'If-Match',
  in: 'header',
  required: false,
  description: 'Only act if the task is still at one of these versions (its ETag, such as "3"), or exists at all (`*`); otherwise 412.',
  schema: IfMatch,
};
const malformed = problem('Malformed JSON, or a malformed header');
const tooLarge = problem('Body too large');
const notJson = problem('Not JSON');
const invalid = problem('Invalid fields', 'ValidationProblem');

/** The API's OpenAPI 3.1 description; the tests validate real responses against it, and a fuzzer requests generated from it. */
export const openApiDocument = {
  openapi: '3.1.0',
  info: { title: 'Task Manager API', version: '1.0.0', description: 'Tasks stored in PostgreSQL. Errors are RFC 9457 problem details.' },
  paths: {
    '/api/tasks': {
      get: {
        operationId: 'listTasks',
        summary: 'List tasks, filtered and sorted, one keyset page at a time',
        parameters: [
          ...Object.entries(LIST_PARAMETERS).map(([name, parameter]) => ({
            name,
            in: 'query',
            schema: parameter.schema,
            description: parameter.description,
            ...(parameter.list ? { style: 'form', explode: false } : {}),
          })),
          {
            name: 'If-None-Match',
            in: 'header',
            required: false,
            schema: { type: 'string' },
            description: 'The ETag of a list this client holds: 304 while nothing in the database has changed since it was read.',
          },
        ],
        responses: {
          200: {
            description: 'A page of tasks',
            headers: { ETag: { description: 'Names the database state the list was read from; send it back in If-None-Match.', schema: { type: 'string' } } },
            content: json('TaskList'),
          },
          304: { description: 'The list named in If-None-Match is still current' },
          422: problem('Invalid query parameters', 'ValidationProblem'),
        },
      },
      post: {
        operationId: 'createTask',
        parameters: [
          {
            name: 'Idempotency-Key',
            in: 'header',
            required: false,
            schema: IdempotencyKey,
            description: `Retries with the same key create the task once and get the same answer (kept for 24 hours). 1 to ${LIMITS.idempotencyKey} visible ASCII characters.`,
          },
        ],
        requestBody: { required: true, content: json('TaskCreate') },
        responses: {
          201: {
            description: 'Created (or, with an Idempotency-Key seen before, the answer first given to it)',
            headers: { ...etagHeader, Location: { schema: { type: 'string' } } },
            content: json('Task'),
          },
          400: malformed,
          409: problem('The task first created with this Idempotency-Key has since been deleted'),
          413: tooLarge,
          415: notJson,
          422: problem('Invalid fields, or an Idempotency-Key used before with another body', 'ValidationProblem'),
        },
      },
    },
    '/api/tasks/{id}': {
      parameters: [taskId],
      get: {
        operationId: 'getTask',
        responses: { 200: { description: 'The task', headers: etagHeader, content: json('Task') }, 404: problem('No such task') },
      },
      patch: {
        operationId: 'updateTask',
        parameters: [ifMatch],
        requestBody: { required: true, content: json('TaskPatch') },
        responses: {
          200: { description: 'Updated', headers: etagHeader, content: json('Task') },
          400: malformed,
          404: problem('No such task'),
          412: problem('The task changed since it was read; `current` holds it now', 'StaleProblem'),
          413: tooLarge,
          415: notJson,
          422: invalid,
        },
      },
      delete: {
        operationId: 'deleteTask',
        parameters: [ifMatch],
        responses: { 204: { description: 'Deleted' }, 400: malformed, 404: problem('No such task'), 412: problem('Stale version', 'StaleProblem') },
      },
    },
    '/api/tasks/bulk': {
      post: {
        operationId: 'bulkTasks',
        summary: `Update or delete up to ${LIMITS.bulkIds} tasks in one transaction: all or nothing`,
        requestBody: { required: true, content: json('BulkRequest') },
        responses: {
          200: { description: 'Done', content: json('BulkResult') },
          400: malformed,
          404: problem('Some ids do not exist; nothing changed', 'MissingProblem'),
          413: tooLarge,
          415: notJson,
          422: problem('Invalid request', 'ValidationProblem'),
        },
      },
    },
    '/api/stats': {
      get: {
        operationId: 'taskStats',
        description: 'Counts of every task by status and by priority, exact as of the last committed write; overdue counts the tasks not done whose dueDate is before today in UTC.',
        responses: { 200: { description: 'Counts', content: json('Stats') } },
      },
    },
    '/livez': { get: { operationId: 'livez', responses: { 200: { description: 'The process answers' } } } },
    '/readyz': {
      get: {
        operationId: 'readyz',
        responses: { 200: { description: 'Database reachable and migrated' }, 503: { description: 'Not ready, or draining' } },
      },
    },
  },
  components: { schemas },
} as const;
