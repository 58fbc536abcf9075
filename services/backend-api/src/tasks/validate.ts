/**
 * The API's input checks, compiled from the contract's JSON Schemas (the very schemas the
 * OpenAPI document serves), so that what the document allows and what the server accepts
 * cannot drift apart. Each schema error becomes one `{ field, detail }` in the 422, worded as
 * the frontend shows it next to the field.
 */
import {
  BulkRequest as BulkRequestSchema,
  Email,
  NO_NUL_PATTERN,
  LIMITS,
  LIST_PARAMETERS,
  ListQuery as ListQuerySchema,
  PRIORITIES,
  TaskCreate,
  TaskPatch as TaskPatchSchema,
  isCalendarDay,
  textProblem,
  textRuleOf,
  type BulkAction,
  type FieldError,
  type ListQueryInput,
  type Order,
  type Priority,
  type SortField,
  type Status,
  type TaskPatch,
} from '@task-manager/contract';
import { HttpProblem } from '@task-manager/kit';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

export type { SortField, Order, TaskPatch };
export type TaskInput = Required<TaskPatch>;

export interface ListQuery {
  statuses: Status[] | undefined;
  priorities: Priority[] | undefined;
  tags: string[] | undefined;
  search: string | undefined;
  dueBefore: string | undefined;
  dueAfter: string | undefined;
  /** A user id; null means unassigned. */
  assignee: string | null | undefined;
  createdBy: string | undefined;
  sort: SortField;
  order: Order;
  limit: number;
  after: { value: string; id: string } | undefined;
}

export interface BulkRequest {
  action: BulkAction;
  ids: string[];
  patch: TaskPatch | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

// verbose: each error carries the schema it broke and the value, which its detail is worded from.
const ajv = new Ajv2020({ allErrors: true, verbose: true, strictTypes: false });
(addFormats as unknown as (ajv: Ajv2020, formats: string[]) => void)(ajv, ['uuid', 'date-time']);
ajv.addFormat('date', isCalendarDay);

type Schema = { [key: string]: unknown };

/** `/tags/0` → `tags[0]`, `/patch/status` → `patch.status`: the field as the client wrote it. */
function fieldName(path: string, property?: string): string {
  const parts = path.split('/').slice(1).map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (property !== undefined) parts.push(property);
  return parts.reduce((name, part) => (/^\d+$/.test(part) ? `${name}[${part}]` : name ? `${name}.${part}` : part), '');
}

function detailOf(error: ErrorObject, unknownField: string): FieldError {
  const schema = error.parentSchema as Schema;
  const data = error.data as unknown;
  const field = fieldName(error.instancePath);
  if (schema.format === 'date') return { field, detail: 'must be a date in the form YYYY-MM-DD' };
  if (schema.format === 'uuid') return { field, detail: field === 'assigneeId' ? 'must be a user id (UUID)' : 'must be a task id (UUID)' };
  if (schema.format === 'date-time') return { field, detail: 'must be a date and time (RFC 3339, such as 2030-01-31T12:00:00Z)' };
  switch (error.keyword) {
    case 'required':
      return { field: fieldName(error.instancePath, error.params.missingProperty as string), detail: (schema.description as string) ?? 'is required' };
    case 'not':
      return { field: fieldName(error.instancePath, ((schema.not as Schema).required as string[])[0]), detail: schema.description as string };
    case 'additionalProperties':
      return { field: fieldName(error.instancePath, error.params.additionalProperty as string), detail: unknownField };
    case 'pattern': {
      const rule = textRuleOf(schema.pattern as string);
      if (rule) return { field, detail: textProblem(rule, data as string) };
      if (schema.pattern === Email.pattern) return { field, detail: 'must be an email address' };
      if (schema.pattern === NO_NUL_PATTERN) return { field, detail: 'must not contain NUL characters' };
      return { field, detail: `must match ${schema.pattern as string}` };
    }
    case 'minLength':
      return { field, detail: `must be at least ${schema.minLength as number} characters` };
    case 'maxLength':
      return { field, detail: `must be at most ${schema.maxLength as number} characters (got ${[...(data as string)].length})` };
    case 'enum':
      return { field, detail: `must be one of ${(schema.enum as string[]).join(', ')}` };
    case 'minItems':
      return { field, detail: 'must not be empty' };
    case 'maxItems': {
      const noun = (schema.items as Schema).format === 'uuid' ? 'ids' : 'tags';
      return { field, detail: `must have at most ${schema.maxItems as number} ${noun} (got ${(data as unknown[]).length})` };
    }
    case 'minProperties':
      return { field: field || 'body', detail: `must set at least one of ${Object.keys(schema.properties as Schema).join(', ')}` };
    case 'minimum':
    case 'maximum':
      return { field, detail: `must be a whole number from ${schema.minimum as number} to ${schema.maximum as number}` };
    case 'type':
      return { field: field || 'body', detail: typeDetail(schema) };
    default:
      return { field: field || 'body', detail: error.message ?? 'is invalid' };
  }
}

function typeDetail(schema: Schema): string {
  switch (schema.type) {
    case 'string':
      return 'must be a string';
    case 'object':
      return 'must be a JSON object';
    case 'array':
      return `must be an array of ${(schema.items as Schema).format === 'uuid' ? 'task ids' : 'strings'}`;
    case 'integer':
      return `must be a whole number from ${schema.minimum as number} to ${schema.maximum as number}`;
    default:
      return `must be of type ${String(schema.type)}`;
  }
}

/** The first error for each field: one schema can fail a value in several ways at once (anyOf). */
function fieldErrors(errors: ErrorObject[], unknownField: string): FieldError[] {
  const byField = new Map<string, FieldError>();
  for (const error of errors) {
    if (error.keyword === 'anyOf' || error.keyword === 'if') continue;
    const detail = detailOf(error, unknownField);
    if (!byField.has(detail.field)) byField.set(detail.field, detail);
  }
  return [...byField.values()];
}

function unprocessable(errors: FieldError[]): HttpProblem {
  return new HttpProblem(422, 'Unprocessable Content', errors.map((e) => `${e.field} ${e.detail}`).join('; '), { errors });
}

export function checker<T>(schema: object, unknownField: string): (value: unknown, known?: FieldError[]) => T {
  const validate: ValidateFunction = ajv.compile(schema);
  return (value, known = []) => {
    if (validate(value) && known.length === 0) return value as T;
    throw unprocessable([...known, ...fieldErrors(validate.errors ?? [], unknownField)]);
  };
}

const checkCreate = checker<Partial<TaskInput> & { title: string }>(TaskCreate, 'is not a known field');
const checkPatch = checker<TaskPatch>(TaskPatchSchema, 'is not a known field');
const checkBulk = checker<{ action: BulkAction; ids: string[]; patch?: TaskPatch }>(BulkRequestSchema, 'is not a known field');
const LIST_PARAMETER_NAMES = Object.keys(LIST_PARAMETERS) as (keyof typeof LIST_PARAMETERS)[];
const checkListQuery = checker<ListQueryInput>(ListQuerySchema, `is not a known query parameter (known: ${LIST_PARAMETER_NAMES.join(', ')})`);

/** Trimmed, in lower case, each once: tags compare without regard to case or spacing. */
function normaliseTags(tags: string[]): string[] {
  return [...new Set(tags.map((tag) => tag.trim().toLowerCase()))];
}

function normalisePatch(patch: TaskPatch): TaskPatch {
  const normal = { ...patch };
  if (normal.title !== undefined) normal.title = normal.title.trim();
  if (normal.tags !== undefined) normal.tags = normaliseTags(normal.tags);
  if (normal.assigneeId) normal.assigneeId = normal.assigneeId.toLowerCase();
  return normal;
}

export function parseCreate(body: unknown): TaskInput {
  const input = checkCreate(body);
  return {
    title: input.title.trim(),
    description: input.description ?? '',
    status: input.status ?? 'todo',
    priority: input.priority ?? 'medium',
    dueDate: input.dueDate ?? null,
    tags: normaliseTags(input.tags ?? []),
    assigneeId: input.assigneeId?.toLowerCase() ?? null,
  };
}

export function parsePatch(body: unknown): TaskPatch {
  return normalisePatch(checkPatch(body));
}

export function parseBulk(body: unknown): BulkRequest {
  const bulk = checkBulk(body);
  return {
    action: bulk.action,
    ids: [...new Set(bulk.ids.map((id) => id.toLowerCase()))],
    patch: bulk.patch === undefined ? undefined : normalisePatch(bulk.patch),
  };
}

/**
 * Reads the query as the document describes it (lists comma-separated, `limit` a number) and
 * then checks it against the document's parameter schemas. Repeating a list parameter
 * (`status=todo&status=done`) means the same as the comma-separated form.
 */
export function parseListQuery(query: Record<string, unknown>, callerId: string): ListQuery {
  const input: Record<string, unknown> = {};
  const known: FieldError[] = [];
  for (const [name, value] of Object.entries(query)) {
    const parameter = (LIST_PARAMETERS as Record<string, { list: boolean }>)[name];
    if (parameter?.list) input[name] = (Array.isArray(value) ? value : [value]).flatMap((item) => String(item).split(','));
    else if (parameter && Array.isArray(value)) known.push({ field: name, detail: 'must be given once' });
    else if (name === 'limit' && typeof value === 'string' && /^[0-9]{1,9}$/.test(value)) input[name] = Number(value);
    else if (name === 'cursor' && value === '') continue;
    else input[name] = value;
  }
  const raw = checkListQuery(input, known);
  const sort = raw.sort ?? 'createdAt';
  const order = raw.order ?? (sort === 'createdAt' || sort === 'updatedAt' ? 'desc' : 'asc');
  let after: ListQuery['after'];
  if (raw.cursor !== undefined) {
    after = decodeCursor(raw.cursor, sort, order);
    if (!after) throw unprocessable([{ field: 'cursor', detail: 'is not a cursor from this listing (it must come from nextCursor of the same sort and order)' }]);
  }
  const search = raw.q?.trim();
  return {
    statuses: raw.status,
    priorities: raw.priority,
    tags: raw.tag && normaliseTags(raw.tag),
    search: search ? search : undefined,
    dueBefore: raw.dueBefore,
    dueAfter: raw.dueAfter,
    assignee: raw.assignee === 'none' ? null : raw.assignee === 'me' ? callerId : raw.assignee?.toLowerCase(),
    createdBy: raw.createdBy === 'me' ? callerId : raw.createdBy?.toLowerCase(),
    sort,
    order,
    limit: raw.limit ?? LIMITS.defaultPageSize,
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
