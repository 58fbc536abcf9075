import { LIMITS, ORDERS, PRIORITIES, SORT_FIELDS, STATUSES } from './validate.js';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ 'application/json': { schema } });
const problem = (description: string, schema = 'Problem') => ({ description, content: { 'application/problem+json': { schema: ref(schema) } } });
const day = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', format: 'date' };
const taskId = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const etagHeader = { ETag: { description: 'The task version, quoted; send it back in If-Match.', schema: { type: 'string' } } };
const ifMatch = {
  name: 'If-Match',
  in: 'header',
  required: false,
  description: 'Only act if the task is still at this version (its ETag); otherwise 412.',
  schema: { type: 'string' },
};

const editable = {
  title: { type: 'string', minLength: 1, maxLength: LIMITS.title, description: 'Trimmed; 1–200 characters.' },
  description: { type: 'string', maxLength: LIMITS.description },
  status: { type: 'string', enum: STATUSES },
  priority: { type: 'string', enum: PRIORITIES },
  dueDate: { oneOf: [day, { type: 'null' }] },
  tags: {
    type: 'array',
    maxItems: LIMITS.tags,
    items: { type: 'string', minLength: 1, maxLength: LIMITS.tag },
    description: 'Normalised to lower case, duplicates removed.',
  },
};

/** The API's OpenAPI 3.1 description; the tests validate real responses against it. */
export const openApiDocument = {
  openapi: '3.1.0',
  info: { title: 'Task Manager API', version: '1.0.0', description: 'Tasks stored in PostgreSQL. Errors are RFC 9457 problem details.' },
  paths: {
    '/api/tasks': {
      get: {
        operationId: 'listTasks',
        summary: 'List tasks, filtered and sorted, one keyset page at a time',
        parameters: [
          { name: 'status', in: 'query', schema: { type: 'string' }, description: `Comma-separated: ${STATUSES.join(', ')}` },
          { name: 'priority', in: 'query', schema: { type: 'string' }, description: `Comma-separated: ${PRIORITIES.join(', ')}` },
          { name: 'tag', in: 'query', schema: { type: 'string' }, description: 'Comma-separated; a task must carry every tag named' },
          { name: 'q', in: 'query', schema: { type: 'string', maxLength: LIMITS.query }, description: 'Text in the title or description' },
          { name: 'dueBefore', in: 'query', schema: day },
          { name: 'dueAfter', in: 'query', schema: day },
          { name: 'sort', in: 'query', schema: { type: 'string', enum: SORT_FIELDS, default: 'createdAt' } },
          { name: 'order', in: 'query', schema: { type: 'string', enum: ORDERS }, description: 'Default desc for dates of change, asc otherwise' },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: LIMITS.pageSize, default: LIMITS.defaultPageSize } },
          { name: 'cursor', in: 'query', schema: { type: 'string' }, description: 'nextCursor from the previous page' },
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
            content: json(ref('TaskPage')),
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
            schema: { type: 'string', maxLength: 255 },
            description: 'Retries with the same key create the task once and get the same answer (kept for 24 hours).',
          },
        ],
        requestBody: { required: true, content: json(ref('TaskCreate')) },
        responses: {
          201: {
            description: 'Created',
            headers: { ...etagHeader, Location: { schema: { type: 'string' } } },
            content: json(ref('Task')),
          },
          400: problem('Malformed JSON or header'),
          413: problem('Body too large'),
          415: problem('Not JSON'),
          422: problem('Invalid fields', 'ValidationProblem'),
        },
      },
    },
    '/api/tasks/{id}': {
      parameters: [taskId],
      get: {
        operationId: 'getTask',
        responses: { 200: { description: 'The task', headers: etagHeader, content: json(ref('Task')) }, 404: problem('No such task') },
      },
      patch: {
        operationId: 'updateTask',
        parameters: [ifMatch],
        requestBody: { required: true, content: json(ref('TaskPatch')) },
        responses: {
          200: { description: 'Updated', headers: etagHeader, content: json(ref('Task')) },
          400: problem('Malformed JSON or If-Match'),
          404: problem('No such task'),
          412: problem('The task changed since it was read; `current` holds it now', 'StaleProblem'),
          415: problem('Not JSON'),
          422: problem('Invalid fields', 'ValidationProblem'),
        },
      },
      delete: {
        operationId: 'deleteTask',
        parameters: [ifMatch],
        responses: { 204: { description: 'Deleted' }, 404: problem('No such task'), 412: problem('Stale version', 'StaleProblem') },
      },
    },
    '/api/tasks/bulk': {
      post: {
        operationId: 'bulkTasks',
        summary: 'Update or delete up to 500 tasks in one transaction: all or nothing',
        requestBody: { required: true, content: json(ref('BulkRequest')) },
        responses: {
          200: { description: 'Done', content: json(ref('BulkResult')) },
          404: problem('Some ids do not exist; nothing changed', 'MissingProblem'),
          422: problem('Invalid request', 'ValidationProblem'),
        },
      },
    },
    '/api/stats': {
      get: { operationId: 'taskStats', responses: { 200: { description: 'Counts', content: json(ref('Stats')) } } },
    },
    '/livez': { get: { operationId: 'livez', responses: { 200: { description: 'The process answers' } } } },
    '/readyz': {
      get: {
        operationId: 'readyz',
        responses: { 200: { description: 'Database reachable and migrated' }, 503: { description: 'Not ready, or draining' } },
      },
    },
  },
  components: {
    schemas: {
      Task: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'title', 'description', 'status', 'priority', 'dueDate', 'tags', 'createdAt', 'updatedAt', 'version'],
        properties: {
          id: { type: 'string', format: 'uuid' },
          ...editable,
          createdAt: { type: 'string', format: 'date-time' },
          updatedAt: { type: 'string', format: 'date-time' },
          version: { type: 'integer', minimum: 1 },
        },
      },
      TaskCreate: { type: 'object', additionalProperties: false, required: ['title'], properties: editable },
      TaskPatch: { type: 'object', additionalProperties: false, minProperties: 1, properties: editable },
      TaskPage: {
        type: 'object',
        additionalProperties: false,
        required: ['items', 'nextCursor'],
        properties: { items: { type: 'array', items: ref('Task') }, nextCursor: { type: ['string', 'null'] } },
      },
      BulkRequest: {
        type: 'object',
        additionalProperties: false,
        required: ['action', 'ids'],
        properties: {
          action: { type: 'string', enum: ['update', 'delete'] },
          ids: { type: 'array', minItems: 1, maxItems: LIMITS.bulkIds, items: { type: 'string', format: 'uuid' } },
          patch: ref('TaskPatch'),
        },
      },
      BulkResult: {
        type: 'object',
        additionalProperties: false,
        required: ['action', 'count'],
        properties: { action: { type: 'string', enum: ['update', 'delete'] }, count: { type: 'integer', minimum: 0 } },
      },
      Stats: {
        type: 'object',
        additionalProperties: false,
        required: ['total', 'byStatus', 'byPriority', 'overdue'],
        properties: {
          total: { type: 'integer' },
          byStatus: { type: 'object', required: [...STATUSES], additionalProperties: false, properties: Object.fromEntries(STATUSES.map((s) => [s, { type: 'integer' }])) },
          byPriority: { type: 'object', required: [...PRIORITIES], additionalProperties: false, properties: Object.fromEntries(PRIORITIES.map((p) => [p, { type: 'integer' }])) },
          overdue: { type: 'integer' },
        },
      },
      Problem: {
        type: 'object',
        required: ['type', 'title', 'status'],
        properties: {
          type: { type: 'string' },
          title: { type: 'string' },
          status: { type: 'integer' },
          detail: { type: 'string' },
          instance: { type: 'string' },
          requestId: { type: 'string' },
        },
      },
      ValidationProblem: {
        allOf: [
          ref('Problem'),
          {
            type: 'object',
            required: ['errors'],
            properties: {
              errors: {
                type: 'array',
                minItems: 1,
                items: { type: 'object', required: ['field', 'detail'], properties: { field: { type: 'string' }, detail: { type: 'string' } } },
              },
            },
          },
        ],
      },
      StaleProblem: { allOf: [ref('Problem'), { type: 'object', required: ['current'], properties: { current: ref('Task') } }] },
      MissingProblem: {
        allOf: [ref('Problem'), { type: 'object', required: ['missing'], properties: { missing: { type: 'array', items: { type: 'string' } } } }],
      },
    },
  },
} as const;
