import { Type, type Static, type TOptional, type TSchema } from '@sinclair/typebox';
import { BULK_ACTIONS, LIMITS, PRIORITIES, STATUSES, type Priority, type Status } from './lists.js';
import { text } from './text.js';

const DAY_PATTERN = '^[0-9]{4}-[0-9]{2}-[0-9]{2}$';

/** A calendar day that exists (no 30 February, no year 0): what the `date` format means here. */
export function isCalendarDay(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return year >= 1 && date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

export const Day = Type.String({ format: 'date', pattern: DAY_PATTERN, description: 'A calendar day, YYYY-MM-DD.' });
export const TaskId = Type.String({ format: 'uuid' });
export const Title = text({ max: LIMITS.title, min: 1, trim: true, commas: true }, `Trimmed; 1–${LIMITS.title} characters.`);
export const Description = text({ max: LIMITS.description, min: 0, trim: false, commas: true }, `Up to ${LIMITS.description} characters.`);
export const Tag = text({ max: LIMITS.tag, min: 1, trim: true, commas: false }, `Trimmed, 1–${LIMITS.tag} characters, no commas; stored in lower case.`);

/** A string enum written as JSON Schema's `enum` (not TypeBox's anyOf of consts), typed as the union. */
function choice<T extends string>(values: readonly T[], options: object = {}) {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], ...options });
}

const editable = {
  title: Title,
  description: Description,
  status: choice<Status>(STATUSES),
  priority: choice<Priority>(PRIORITIES),
  dueDate: Type.Union([Day, Type.Null()]),
  tags: Type.Array(Tag, { maxItems: LIMITS.tags, description: 'Normalised to lower case, duplicates removed.' }),
  assigneeId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], { description: 'An active user, or null for nobody.' }),
};
const closed = { additionalProperties: false } as const;

export const Task = Type.Object(
  {
    id: TaskId,
    ...editable,
    createdBy: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], { description: 'Who created the task; null for tasks from before accounts.' }),
    createdByName: Type.Union([Type.String(), Type.Null()], { description: "The creator's display name now." }),
    assigneeName: Type.Union([Type.String(), Type.Null()], { description: "The assignee's display name now." }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    version: Type.Integer({ minimum: 1 }),
  },
  closed,
);
export type Task = Static<typeof Task>;

export const TaskCreate = Type.Object({ ...optional(editable), title: Title }, closed);
export type TaskCreate = Static<typeof TaskCreate>;
export const TaskPatch = Type.Object(optional(editable), { ...closed, minProperties: 1 });
export type TaskPatch = Static<typeof TaskPatch>;

export const TaskList = Type.Object({ items: Type.Array(Task), nextCursor: Type.Union([Type.String(), Type.Null()]) }, closed);
export type TaskList = Static<typeof TaskList>;

export const BulkRequest = Type.Object(
  {
    action: choice(BULK_ACTIONS),
    ids: Type.Array(TaskId, { minItems: 1, maxItems: LIMITS.bulkIds }),
    patch: Type.Optional(TaskPatch),
  },
  {
    ...closed,
    allOf: [
      { if: { properties: { action: { const: 'update' } } }, then: { required: ['patch'], description: 'is required when action is update' } },
      { if: { properties: { action: { const: 'delete' } } }, then: { not: { required: ['patch'] }, description: 'must be absent when action is delete' } },
    ],
  },
);
export type BulkRequest = Static<typeof BulkRequest>;
export const BulkResult = Type.Object({ action: choice(BULK_ACTIONS), count: Type.Integer({ minimum: 0 }) }, closed);
export type BulkResult = Static<typeof BulkResult>;

const counts = <K extends string>(keys: readonly K[]) =>
  Type.Unsafe<Record<K, number>>(Type.Object(Object.fromEntries(keys.map((key) => [key, Type.Integer({ minimum: 0 })])), closed));
export const Stats = Type.Object(
  { total: Type.Integer({ minimum: 0 }), byStatus: counts(STATUSES), byPriority: counts(PRIORITIES), overdue: Type.Integer({ minimum: 0 }) },
  closed,
);
export type Stats = Static<typeof Stats>;

function optional<P extends Record<string, TSchema>>(properties: P) {
  return Object.fromEntries(Object.entries(properties).map(([key, schema]) => [key, Type.Optional(schema)])) as { [K in keyof P]: TOptional<P[K]> };
}
