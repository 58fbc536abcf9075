/**
 * The closed lists of the task's shape. Every other place reads them from here: the API's
 * validation and OpenAPI document, the SQL's counts, and the frontend's labels and choices.
 * A new status needs this list, its label, one migration (the PostgreSQL enum) and one CSS rule.
 */
export const STATUSES = ['todo', 'in_progress', 'done'] as const;
export type Status = (typeof STATUSES)[number];
export const STATUS_LABELS: Readonly<Record<Status, string>> = { todo: 'To do', in_progress: 'In progress', done: 'Done' };

/** In rank order, as the PostgreSQL enum declares them: sorting by priority sorts low < medium < high. */
export const PRIORITIES = ['low', 'medium', 'high'] as const;
export type Priority = (typeof PRIORITIES)[number];
export const PRIORITY_LABELS: Readonly<Record<Priority, string>> = { low: 'Low', medium: 'Medium', high: 'High' };

export const SORT_FIELDS = ['createdAt', 'updatedAt', 'dueDate', 'priority', 'title'] as const;
export type SortField = (typeof SORT_FIELDS)[number];
export const ORDERS = ['asc', 'desc'] as const;
export type Order = (typeof ORDERS)[number];
export const BULK_ACTIONS = ['update', 'delete'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

/** Lengths count characters (Unicode code points), as JSON Schema and PostgreSQL's char_length do. */
export const LIMITS = {
  title: 200,
  description: 10_000,
  tags: 20,
  tag: 32,
  query: 200,
  pageSize: 200,
  defaultPageSize: 50,
  bulkIds: 500,
  idempotencyKey: 255,
} as const;
