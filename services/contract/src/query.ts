import { Type, type Static, type TOptional } from '@sinclair/typebox';
import { LIMITS, ORDERS, PRIORITIES, SORT_FIELDS, STATUSES, type Order, type SortField } from './lists.js';
import { text } from './text.js';
import { Day, Tag } from './task.js';

const UUID_PATTERN = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const oneOf = <T extends string>(values: readonly T[]) => Type.Unsafe<T>({ type: 'string', enum: [...values] });

/**
 * The query of GET /api/tasks, one schema per parameter. Lists are comma-separated (OpenAPI's
 * `style: form, explode: false`), and the server reads them as arrays before checking them.
 */
export const LIST_PARAMETERS = {
  status: { schema: Type.Array(oneOf(STATUSES), { minItems: 1 }), list: true, description: `Comma-separated: ${STATUSES.join(', ')}` },
  priority: { schema: Type.Array(oneOf(PRIORITIES), { minItems: 1 }), list: true, description: `Comma-separated: ${PRIORITIES.join(', ')}` },
  tag: {
    schema: Type.Array(Tag, { minItems: 1, maxItems: LIMITS.tags }),
    list: true,
    description: 'Comma-separated; a task must carry every tag named (compared in lower case)',
  },
  q: { schema: text({ max: LIMITS.query, min: 0, trim: true, commas: true }, 'Text in the title or description'), list: false, description: 'Text in the title or description' },
  dueBefore: { schema: Day, list: false, description: 'Due strictly before this day' },
  dueAfter: { schema: Day, list: false, description: 'Due strictly after this day' },
  assignee: {
    schema: Type.String({ pattern: `^(?:me|none|${UUID_PATTERN})$` }),
    list: false,
    description: 'me (the caller), none (unassigned) or a user id',
  },
  createdBy: { schema: Type.String({ pattern: `^(?:me|${UUID_PATTERN})$` }), list: false, description: 'me (the caller) or a user id' },
  sort: { schema: Type.Unsafe<SortField>({ type: 'string', enum: [...SORT_FIELDS], default: 'createdAt' }), list: false, description: 'The sort key' },
  order: { schema: oneOf<Order>(ORDERS), list: false, description: 'Default desc for dates of change, asc otherwise' },
  limit: {
    schema: Type.Integer({ minimum: 1, maximum: LIMITS.pageSize, default: LIMITS.defaultPageSize }),
    list: false,
    description: 'Tasks per page',
  },
  cursor: { schema: Type.String(), list: false, description: 'nextCursor from the previous page of the same sort and order' },
} as const;

export const ListQuery = Type.Object(
  Object.fromEntries(Object.entries(LIST_PARAMETERS).map(([name, parameter]) => [name, Type.Optional(parameter.schema)])) as {
    [K in keyof typeof LIST_PARAMETERS]: TOptional<(typeof LIST_PARAMETERS)[K]['schema']>;
  },
  { additionalProperties: false },
);
/** The query as the server has read it (lists split), before defaults. */
export type ListQueryInput = Static<typeof ListQuery>;

/** `*`, or a list of strong ETags of a task's version (`"3"`), comma-separated; an empty list matches no version. */
export const IF_MATCH_PATTERN = '^[ \\t]*(?:\\*|"[0-9]{1,9}"(?:[ \\t]*,[ \\t]*"[0-9]{1,9}")*)?[ \\t]*$';
/** Visible ASCII: any key a client makes (a UUID, a hash) fits, and it survives every proxy unchanged. */
export const IDEMPOTENCY_KEY_PATTERN = `^[\\x21-\\x7e]{1,${LIMITS.idempotencyKey}}$`;
export const IfMatch = Type.String({ pattern: IF_MATCH_PATTERN });
export const IdempotencyKey = Type.String({ pattern: IDEMPOTENCY_KEY_PATTERN });
