import { HttpProblem, type FieldError } from '@task-manager/kit';

export const STATUSES = ['todo', 'in_progress', 'done'] as const;
export const PRIORITIES = ['low', 'medium', 'high'] as const;
export const SORT_FIELDS = ['createdAt', 'updatedAt', 'dueDate', 'priority', 'title'] as const;
export const ORDERS = ['asc', 'desc'] as const;
export type Status = (typeof STATUSES)[number];
export type Priority = (typeof PRIORITIES)[number];
export type SortField = (typeof SORT_FIELDS)[number];
export type Order = (typeof ORDERS)[number];

export const LIMITS = {
  title: 200,
  description: 10_000,
  tags: 20,
  tag: 32,
  query: 200,
  pageSize: 200,
  defaultPageSize: 50,
  bulkIds: 500,
} as const;

export interface TaskInput {
  title: string;
  description: string;
  status: Status;
  priority: Priority;
  dueDate: string | null;
  tags: string[];
}
export type TaskPatch = Partial<TaskInput>;

export interface ListQuery {
  statuses: Status[] | undefined;
  priorities: Priority[] | undefined;
  tags: string[] | undefined;
  search: string | undefined;
  dueBefore: string | undefined;
  dueAfter: string | undefined;
  sort: SortField;
  order: Order;
  limit: number;
  after: { value: string; id: string } | undefined;
}

export interface BulkRequest {
  action: 'update' | 'delete';
  ids: string[];
  patch: TaskPatch | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

function unprocessable(errors: FieldError[]): HttpProblem {
  return new HttpProblem(422, 'Unprocessable Content', errors.map((e) => `${e.field} ${e.detail}`).join('; '), { errors });
}

/** Collects field errors while reading a value, so the client learns every problem at once. */
class Reader {
  readonly errors: FieldError[] = [];

  fail(field: string, detail: string): undefined {
    this.errors.push({ field, detail });
    return undefined;
  }

  text(field: string, value: unknown, max: number, options: { trim: boolean; min: number }): string | undefined {
    if (typeof value !== 'string') return this.fail(field, 'must be a string');
    const text = options.trim ? value.trim() : value;
    // PostgreSQL text cannot hold NUL; refusing it here keeps it a 422 rather than a database error.
    if (text.includes('\u0000')) return this.fail(field, 'must not contain NUL characters');
    const length = [...text].length;
    if (length < options.min) return this.fail(field, options.min === 1 ? 'must not be empty' : `must be at least ${options.min} characters`);
    if (length > max) return this.fail(field, `must be at most ${max} characters (got ${length})`);
    return text;
  }

  choice<T extends string>(field: string, value: unknown, allowed: readonly T[]): T | undefined {
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      return this.fail(field, `must be one of ${allowed.join(', ')}`);
    }
    return value as T;
  }

  day(field: string, value: unknown): string | undefined {
    if (typeof value !== 'string' || !isCalendarDay(value)) return this.fail(field, 'must be a date in the form YYYY-MM-DD');
    return value;
  }

  tags(field: string, value: unknown): string[] | undefined {
    if (!Array.isArray(value)) return this.fail(field, 'must be an array of strings');
    if (value.length > LIMITS.tags) return this.fail(field, `must have at most ${LIMITS.tags} tags (got ${value.length})`);
    const normalised: string[] = [];
    value.forEach((item, index) => {
      const tag = this.tag(`${field}[${index}]`, item);
      if (tag !== undefined && !normalised.includes(tag)) normalised.push(tag);
    });
    return normalised;
  }

  tag(field: string, value: unknown): string | undefined {
    const tag = this.text(field, value, LIMITS.tag, { trim: true, min: 1 });
    if (tag === undefined) return undefined;
    if (tag.includes(',')) return this.fail(field, 'must not contain commas');
    return tag.toLowerCase();
  }

  throwIfAny(): void {
    if (this.errors.length > 0) throw unprocessable(this.errors);
  }
}

export function isCalendarDay(value: string): boolean {
  const match = DAY.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return year >= 1 && date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

const TASK_FIELDS = ['title', 'description', 'status', 'priority', 'dueDate', 'tags'] as const;

function readObject(reader: Reader, body: unknown, field: string): Record<string, unknown> | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return reader.fail(field, 'must be a JSON object');
  return body as Record<string, unknown>;
}

function readTaskFields(reader: Reader, body: Record<string, unknown>, prefix: string): TaskPatch {
  const patch: TaskPatch = {};
  for (const key of Object.keys(body)) {
    if (!(TASK_FIELDS as readonly string[]).includes(key)) reader.fail(`${prefix}${key}`, 'is not a known field');
  }
  const has = (key: string) => Object.prototype.hasOwnProperty.call(body, key);
  if (has('title')) patch.title = reader.text(`${prefix}title`, body.title, LIMITS.title, { trim: true, min: 1 });
  if (has('description')) patch.description = reader.text(`${prefix}description`, body.description, LIMITS.description, { trim: false, min: 0 });
  if (has('status')) patch.status = reader.choice(`${prefix}status`, body.status, STATUSES);
  if (has('priority')) patch.priority = reader.choice(`${prefix}priority`, body.priority, PRIORITIES);
  if (has('dueDate')) patch.dueDate = body.dueDate === null ? null : reader.day(`${prefix}dueDate`, body.dueDate);
  if (has('tags')) patch.tags = reader.tags(`${prefix}tags`, body.tags);
  return patch;
}

export function parseCreate(body: unknown): TaskInput {
  const reader = new Reader();
  const object = readObject(reader, body, 'body');
  reader.throwIfAny();
  const fields = readTaskFields(reader, object!, '');
  if (!Object.prototype.hasOwnProperty.call(object, 'title')) reader.fail('title', 'is required');
  reader.throwIfAny();
  return {
    title: fields.title!,
    description: fields.description ?? '',
    status: fields.status ?? 'todo',
    priority: fields.priority ?? 'medium',
    dueDate: fields.dueDate ?? null,
    tags: fields.tags ?? [],
  };
}

function readPatch(reader: Reader, body: unknown, field: string, prefix: string): TaskPatch {
  const object = readObject(reader, body, field);
  if (!object) return {};
  const patch = readTaskFields(reader, object, prefix);
  if (Object.keys(object).length === 0) reader.fail(field, `must set at least one of ${TASK_FIELDS.join(', ')}`);
  return patch;
}

export function parsePatch(body: unknown): TaskPatch {
  const reader = new Reader();
  const patch = readPatch(reader, body, 'body', '');
  reader.throwIfAny();
  return patch;
}

export function parseBulk(body: unknown): BulkRequest {
  const reader = new Reader();
  const object = readObject(reader, body, 'body');
  reader.throwIfAny();
  for (const key of Object.keys(object!)) {
    if (!['action', 'ids', 'patch'].includes(key)) reader.fail(key, 'is not a known field');
  }
  const action = reader.choice('action', object!.action, ['update', 'delete'] as const);
  const ids: string[] = [];
  if (!Array.isArray(object!.ids)) reader.fail('ids', 'must be an array of task ids');
  else if (object!.ids.length === 0) reader.fail('ids', 'must not be empty');
  else if (object!.ids.length > LIMITS.bulkIds) reader.fail('ids', `must have at most ${LIMITS.bulkIds} ids (got ${object!.ids.length})`);
  else {
    object!.ids.forEach((id: unknown, index: number) => {
      if (!isUuid(id)) reader.fail(`ids[${index}]`, 'must be a task id (UUID)');
      else if (!ids.includes(id.toLowerCase())) ids.push(id.toLowerCase());
    });
  }
  let patch: TaskPatch | undefined;
  if (action === 'update') {
    if (object!.patch === undefined) reader.fail('patch', 'is required when action is update');
    else patch = readPatch(reader, object!.patch, 'patch', 'patch.');
  } else if (action === 'delete' && object!.patch !== undefined) {
    reader.fail('patch', 'must be absent when action is delete');
  }
  reader.throwIfAny();
  return { action: action!, ids, patch };
}

type QueryValue = string | string[] | undefined;
const LIST_PARAMS = ['status', 'priority', 'tag', 'q', 'dueBefore', 'dueAfter', 'sort', 'order', 'limit', 'cursor'];

/** Comma-separated or repeated: `status=todo,done` and `status=todo&status=done` mean the same. */
function listOf(value: QueryValue): string[] | undefined {
  if (value === undefined) return undefined;
  const items = (Array.isArray(value) ? value : [value]).flatMap((item) => String(item).split(',')).map((item) => item.trim());
  return items.filter((item) => item !== '');
}

function single(reader: Reader, field: string, value: QueryValue): string | undefined {
  if (Array.isArray(value)) return reader.fail(field, 'must be given once');
  return value === undefined || value === '' ? undefined : String(value);
}

export function parseListQuery(query: Record<string, unknown>): ListQuery {
  const reader = new Reader();
  for (const key of Object.keys(query)) {
    if (!LIST_PARAMS.includes(key)) reader.fail(key, `is not a known query parameter (known: ${LIST_PARAMS.join(', ')})`);
  }
  const raw = query as Record<string, QueryValue>;
  const statuses = listOf(raw.status)?.map((s, i) => reader.choice(`status[${i}]`, s, STATUSES));
  const priorities = listOf(raw.priority)?.map((p, i) => reader.choice(`priority[${i}]`, p, PRIORITIES));
  const tagList = listOf(raw.tag);
  if (tagList && tagList.length > LIMITS.tags) reader.fail('tag', `must name at most ${LIMITS.tags} tags`);
  const tags = tagList?.map((t, i) => reader.tag(`tag[${i}]`, t));
  const q = single(reader, 'q', raw.q);
  const search = q === undefined ? undefined : reader.text('q', q, LIMITS.query, { trim: true, min: 0 });
  const dueBeforeText = single(reader, 'dueBefore', raw.dueBefore);
  const dueAfterText = single(reader, 'dueAfter', raw.dueAfter);
  const dueBefore = dueBeforeText === undefined ? undefined : reader.day('dueBefore', dueBeforeText);
  const dueAfter = dueAfterText === undefined ? undefined : reader.day('dueAfter', dueAfterText);
  const sortText = single(reader, 'sort', raw.sort);
  const sort = sortText === undefined ? 'createdAt' : reader.choice('sort', sortText, SORT_FIELDS);
  const orderText = single(reader, 'order', raw.order);
  const order = orderText === undefined ? (sort === 'createdAt' || sort === 'updatedAt' ? 'desc' : 'asc') : reader.choice('order', orderText, ORDERS);
  const limitText = single(reader, 'limit', raw.limit);
  let limit: number = LIMITS.defaultPageSize;
  if (limitText !== undefined) {
    if (!/^\d{1,4}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > LIMITS.pageSize) {
      reader.fail('limit', `must be a whole number from 1 to ${LIMITS.pageSize}`);
    } else limit = Number(limitText);
  }
  const cursorText = single(reader, 'cursor', raw.cursor);
  let after: ListQuery['after'];
  if (cursorText !== undefined && sort !== undefined && order !== undefined) {
    after = decodeCursor(cursorText, sort, order);
    if (!after) reader.fail('cursor', 'is not a cursor from this listing (it must come from nextCursor of the same sort and order)');
  }
  reader.throwIfAny();
  return {
    statuses: statuses as Status[] | undefined,
    priorities: priorities as Priority[] | undefined,
    tags: tags as string[] | undefined,
    search: search === '' ? undefined : search,
    dueBefore,
    dueAfter,
    sort: sort!,
    order: order!,
    limit,
    after,
  };
}

/** What a cursor's value must look like for each sort key, so a tampered cursor is a 422, not a cast error. */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?\+00$/;
const CURSOR_VALUE: Record<SortField, (value: string) => boolean> = {
  createdAt: (value) => TIMESTAMP.test(value),
  updatedAt: (value) => TIMESTAMP.test(value),
  dueDate: (value) => value === 'infinity' || isCalendarDay(value),
  priority: (value) => (PRIORITIES as readonly string[]).includes(value),
  title: (value) => [...value].length <= LIMITS.title && !value.includes('\u0000'),
};

export function encodeCursor(sort: SortField, order: Order, value: string, id: string): string {
  return Buffer.from(JSON.stringify([sort, order, value, id])).toString('base64url');
}

function decodeCursor(cursor: string, sort: SortField, order: Order): ListQuery['after'] {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(decoded) || decoded.length !== 4) return undefined;
    const [cursorSort, cursorOrder, value, id] = decoded as unknown[];
    if (cursorSort !== sort || cursorOrder !== order || typeof value !== 'string' || !isUuid(id)) return undefined;
    if (!CURSOR_VALUE[sort](value)) return undefined;
    return { value, id };
  } catch {
    return undefined;
  }
}
