import type { ProblemBody, Task } from '../backend/index.js';

/** The list's query parameters, which the page passes on to the backend unchanged. */
const FILTER_KEYS = ['q', 'status', 'priority', 'tag', 'assignee', 'createdBy', 'sort', 'order', 'limit'] as const;
export type Filters = Partial<Record<(typeof FILTER_KEYS)[number], string>>;

const TASK_FIELDS = ['title', 'description', 'status', 'priority', 'dueDate', 'tags', 'assigneeId'] as const;
export type FormValues = Partial<Record<(typeof TASK_FIELDS)[number], string>>;

export interface FormState {
  values: FormValues;
  errors: Record<string, string>;
  /** Errors the form has no field for, and messages such as "unavailable". */
  messages: string[];
}

export type Body = Record<string, unknown> | undefined;

/** One value of a form field or query parameter; a repeated one counts by its first value. */
export function field(source: Body, name: string): string | undefined {
  const value = source?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : undefined;
}

export function filtersFrom(query: Body): Filters {
  const filters: Filters = {};
  for (const key of FILTER_KEYS) {
    const value = field(query, key)?.trim();
    if (value) filters[key] = value;
  }
  return filters;
}

export function pageUrl(filters: Filters, cursor?: string): string {
  const params = new URLSearchParams(filters);
  if (cursor) params.set('cursor', cursor);
  const search = params.toString();
  return search ? `/?${search}` : '/';
}

/** A same-site path to go back to after a form post; anything else is ignored. */
export function returnPath(body: Body, name = '_return'): string {
  return sameSitePath(field(body, name));
}

/** `path` if it is a path on this site, else `/`: another site's address (`//evil`, `/\\evil`, `https:`) would be an open redirect. */
export function sameSitePath(path: string | undefined): string {
  // eslint-disable-next-line no-control-regex
  return path && path.startsWith('/') && !path.startsWith('//') && !/[\\\x00-\x1f]/.test(path) ? path : '/';
}

export function formValues(body: Body): FormValues {
  const values: FormValues = {};
  for (const name of TASK_FIELDS) {
    const value = field(body, name);
    if (value !== undefined) values[name] = value;
  }
  return values;
}

export function valuesOf(task: Task): FormValues {
  return {
    title: task.title,
    description: task.description,
    status: task.status,
    priority: task.priority,
    dueDate: task.dueDate ?? '',
    tags: task.tags.join(', '),
    assigneeId: task.assigneeId ?? '',
  };
}

/**
 * Turns form strings into the API's shapes (a blank date is "no date", tags are typed
 * comma-separated). Checking them is the backend's job: its 422 comes back to the form.
 */
export function apiFields(values: FormValues, options: { dropBlank: boolean }): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) {
    if (options.dropBlank && value.trim() === '' && name !== 'title') continue;
    if (name === 'dueDate' || name === 'assigneeId') fields[name] = value.trim() === '' ? null : value.trim();
    else if (name === 'tags') fields.tags = value.split(',').map((tag) => tag.trim()).filter((tag) => tag !== '');
    else fields[name] = value;
  }
  return fields;
}

/** The backend's 422 details, each placed next to the field it names. */
export function formState(values: FormValues, problem: ProblemBody | undefined): FormState {
  const state: FormState = { values, errors: {}, messages: [] };
  for (const error of problem?.errors ?? []) {
    const name = error.field.replace(/^\/+/, '').split(/[.[/]/)[0] ?? '';
    if ((TASK_FIELDS as readonly string[]).includes(name) && state.errors[name] === undefined) state.errors[name] = error.detail;
    else if (!(TASK_FIELDS as readonly string[]).includes(name)) state.messages.push(`${error.field} ${error.detail}`);
  }
  if (!problem?.errors?.length && problem?.detail) state.messages.push(problem.detail);
  return state;
}

export const emptyForm = (): FormState => ({ values: {}, errors: {}, messages: [] });

/** The form as typed, with one message above it (e.g. "unavailable"). */
export const formWith = (values: FormValues, message: string): FormState => ({ values, errors: {}, messages: [message] });
