import { Router, type Request, type Response } from 'express';
import type { Flash } from '../session.js';
import { BackendUnavailable, type BackendClient, type Problem, type Stats, type Task, type TaskPage } from '../backend.js';

/** The list's query parameters, which the page passes on to the backend unchanged. */
const FILTER_KEYS = ['q', 'status', 'priority', 'tag', 'sort', 'order', 'limit'] as const;
type Filters = Partial<Record<(typeof FILTER_KEYS)[number], string>>;
const PAGE_SIZE = '50';

const TASK_FIELDS = ['title', 'description', 'status', 'priority', 'dueDate', 'tags'] as const;
type FormValues = Partial<Record<(typeof TASK_FIELDS)[number], string>>;

interface FormState {
  values: FormValues;
  errors: Record<string, string>;
  /** Errors the form has no field for, and messages such as "unavailable". */
  messages: string[];
}

const UNAVAILABLE = 'The task service is unavailable right now, so nothing was saved. Your input is kept; try again in a moment.';
const CONFLICT = 'Someone else changed this task while you were editing it. This is the current version; your change was not saved.';

type Body = Record<string, unknown> | undefined;

/** One value of a form field or query parameter; a repeated one counts by its first value. */
function field(source: Body, name: string): string | undefined {
  const value = source?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : undefined;
}

function isHtmx(req: Request): boolean {
  // A history restore after a cache miss wants the whole page, though htmx sends it.
  return req.get('hx-request') === 'true' && req.get('hx-history-restore-request') !== 'true';
}

function filtersFrom(query: Body): Filters {
  const filters: Filters = {};
  for (const key of FILTER_KEYS) {
    const value = field(query, key)?.trim();
    if (value) filters[key] = value;
  }
  return filters;
}

function pageUrl(filters: Filters, cursor?: string): string {
  const params = new URLSearchParams(filters);
  if (cursor) params.set('cursor', cursor);
  const search = params.toString();
  return search ? `/?${search}` : '/';
}

/** A same-site path to go back to after a form post; anything else is ignored. */
function returnPath(body: Body): string {
  const path = field(body, '_return');
  return path && path.startsWith('/') && !path.startsWith('//') && !path.includes('\\') ? path : '/';
}

function formValues(body: Body): FormValues {
  const values: FormValues = {};
  for (const name of TASK_FIELDS) {
    const value = field(body, name);
    if (value !== undefined) values[name] = value;
  }
  return values;
}

function valuesOf(task: Task): FormValues {
  return {
    title: task.title,
    description: task.description ?? '',
    status: task.status,
    priority: task.priority,
    dueDate: task.dueDate ?? '',
    tags: task.tags.join(', '),
  };
}

/**
 * Turns form strings into the API's shapes (a blank date is "no date", tags are typed
 * comma-separated). Checking them is the backend's job: its 422 comes back to the form.
 */
function apiFields(values: FormValues, options: { dropBlank: boolean }): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) {
    if (options.dropBlank && value.trim() === '' && name !== 'title') continue;
    if (name === 'dueDate') fields.dueDate = value.trim() === '' ? null : value.trim();
    else if (name === 'tags') fields.tags = value.split(',').map((tag) => tag.trim()).filter((tag) => tag !== '');
    else fields[name] = value;
  }
  return fields;
}

/** The backend's 422 details, each placed next to the field it names. */
function formState(values: FormValues, problem: Problem | undefined): FormState {
  const state: FormState = { values, errors: {}, messages: [] };
  for (const error of problem?.errors ?? []) {
    const name = error.field.replace(/^\/+/, '').split(/[.[/]/)[0] ?? '';
    if ((TASK_FIELDS as readonly string[]).includes(name) && state.errors[name] === undefined) state.errors[name] = error.detail;
    else if (!(TASK_FIELDS as readonly string[]).includes(name)) state.messages.push(`${error.field} ${error.detail}`);
  }
  if (!problem?.errors?.length && problem?.detail) state.messages.push(problem.detail);
  return state;
}

const emptyForm = (): FormState => ({ values: {}, errors: {}, messages: [] });

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

export function taskRoutes(backend: BackendClient): Router {
  const router = Router();

  async function statsOrNothing(req: Request): Promise<Stats | undefined> {
    try {
      const response = await backend.stats(req.id);
      return response.status === 200 ? (response.body as Stats) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Everything the list needs: a page of tasks, or why there is none. */
  async function loadList(req: Request, filters: Filters, cursor: string | undefined) {
    const query = new URLSearchParams({ limit: PAGE_SIZE, ...filters });
    if (cursor) query.set('cursor', cursor);
    const currentUrl = pageUrl(filters, cursor);
    try {
      const response = await backend.listTasks(query, req.id);
      if (response.status === 200) {
        const page = response.body as TaskPage;
        return { page, currentUrl, firstUrl: pageUrl(filters), nextUrl: page.nextCursor ? pageUrl(filters, page.nextCursor) : undefined };
      }
      if (response.status >= 500) return { unavailable: true, currentUrl };
      return { listError: formState({}, response.body as Problem), currentUrl };
    } catch (error) {
      if (error instanceof BackendUnavailable) {
        req.log.warn({ err: error.reason }, 'backend unavailable');
        return { unavailable: true, currentUrl };
      }
      throw error;
    }
  }

  /** The full page, for first visits and for every action taken without JavaScript. */
  async function renderPage(req: Request, res: Response, options: { status?: number; form?: FormState; filters?: Filters } = {}) {
    const filters = options.filters ?? filtersFrom(req.query as Body);
    const cursor = field(req.query as Body, 'cursor');
    const [list, stats] = await Promise.all([loadList(req, filters, cursor), statsOrNothing(req)]);
    const status = options.status ?? (list.unavailable ? 503 : list.listError ? 422 : 200);
    res.status(status).render('tasks/page.njk', {
      ...list,
      stats,
      filters,
      cursor,
      form: options.form ?? emptyForm(),
      flash: req.session.takeFlash(),
      today: today(),
    });
  }

  /**
   * The answer to a change made with htmx: the swapped piece, then the header counts and
   * any message, swapped out-of-band.
   */
  async function renderFragment(req: Request, res: Response, status: number, view: string | undefined, context: Record<string, unknown>, flash?: Flash) {
    const stats = await statsOrNothing(req);
    const parts = await Promise.all([
      view ? renderToString(res, view, { ...context, today: today() }) : '',
      stats ? renderToString(res, 'tasks/counts.njk', { stats, countsOob: true }) : '',
      flash ? renderToString(res, 'messages.njk', { flash, messagesOob: true }) : '',
    ]);
    res.status(status).type('html').send(parts.join('\n'));
  }

  router.get('/', async (req, res) => {
    res.vary('HX-Request').vary('HX-Target').vary('HX-History-Restore-Request');
    if (!isHtmx(req)) return renderPage(req, res);
    const filters = filtersFrom(req.query as Body);
    const cursor = field(req.query as Body, 'cursor');
    const list = await loadList(req, filters, cursor);
    const status = list.unavailable ? 503 : list.listError ? 422 : 200;
    const context = { ...list, filters, cursor, today: today() };
    if (req.get('hx-target') === 'load-more') return res.status(status).render('tasks/rows.njk', { ...context, focusFirst: true });
    if (req.get('x-refresh-counts') === 'true') return renderFragment(req, res, status, 'tasks/list.njk', context);
    res.status(status).render('tasks/list.njk', context);
  });

  router.post('/tasks', async (req, res) => {
    const values = formValues(req.body as Body);
    try {
      const response = await backend.createTask(apiFields(values, { dropBlank: true }), req.id, field(req.body as Body, '_key'));
      if (response.status === 201) {
        if (!isHtmx(req)) {
          req.session.flash('success', `Created “${(response.body as Task).title}”.`);
          return res.redirect(303, '/');
        }
        return renderFragment(req, res, 201, 'tasks/created.njk', { form: emptyForm(), task: response.body, focusForm: true });
      }
      const form = formState(values, response.body as Problem);
      if (isHtmx(req)) return res.status(422).render('tasks/form.njk', { form, focusForm: true });
      return renderPage(req, res, { status: 422, form, filters: {} });
    } catch (error) {
      if (!(error instanceof BackendUnavailable)) throw error;
      const form: FormState = { values, errors: {}, messages: [UNAVAILABLE] };
      if (isHtmx(req)) return res.status(503).render('tasks/form.njk', { form });
      return renderPage(req, res, { status: 503, form, filters: {} });
    }
  });

  router.post('/tasks/bulk', async (req, res) => {
    const body = req.body as Body;
    const back = returnPath(body);
    const raw = body?.ids;
    const ids = (Array.isArray(raw) ? raw : [raw]).filter((id): id is string => typeof id === 'string');
    const action = field(body, 'action');
    if (action !== 'done' && action !== 'delete') return sendError(req, res, 400, 'Choose “Mark done” or “Delete” for the selected tasks.');
    let message: Flash;
    if (ids.length === 0) {
      message = { kind: 'error', text: 'Select at least one task first.' };
    } else {
      try {
        const response = await backend.bulk(action === 'done' ? { action: 'update', ids, patch: { status: 'done' } } : { action: 'delete', ids }, req.id);
        const problem = response.body as Problem;
        if (response.status === 200) {
          const count = (response.body as { count: number }).count;
          const noun = count === 1 ? 'task' : 'tasks';
          message = { kind: 'success', text: action === 'done' ? `Marked ${count} ${noun} done.` : `Deleted ${count} ${noun}.` };
        } else if (response.status === 404) {
          message = { kind: 'error', text: 'Some of the selected tasks no longer exist, so nothing was changed.' };
        } else {
          message = { kind: 'error', text: problem?.detail ?? problem?.title ?? `The task service answered ${response.status}.` };
        }
      } catch (error) {
        if (!(error instanceof BackendUnavailable)) throw error;
        message = { kind: 'error', text: UNAVAILABLE };
      }
    }
    if (!isHtmx(req)) {
      req.session.flash(message.kind, message.text);
      return res.redirect(303, back);
    }
    const url = new URL(back, 'http://frontend.invalid');
    const filters = filtersFrom(Object.fromEntries(url.searchParams));
    const list = await loadList(req, filters, undefined);
    return renderFragment(req, res, 200, 'tasks/list.njk', { ...list, filters }, message);
  });

  router.get('/tasks/:id', async (req, res) => {
    if (!isHtmx(req)) return res.redirect(303, `/tasks/${encodeURIComponent(req.params.id)}/edit`);
    const task = await fetchTask(req, res);
    // Cancelling an edit: focus goes back to the task's title, where the edit began.
    if (task) res.render('tasks/row.njk', { task, today: today(), focusRow: true });
  });

  router.get('/tasks/:id/edit', async (req, res) => {
    const task = await fetchTask(req, res);
    if (!task) return;
    const form: FormState = { values: valuesOf(task), errors: {}, messages: [] };
    if (isHtmx(req)) return res.render('tasks/edit.njk', { task, form });
    res.render('tasks/edit-page.njk', { task, form, flash: req.session.takeFlash() });
  });

  router.get('/tasks/:id/delete', async (req, res) => {
    const task = await fetchTask(req, res);
    if (task) res.render('tasks/delete-page.njk', { task });
  });

  router.post('/tasks/:id', async (req, res) => {
    const id = req.params.id;
    const body = req.body as Body;
    const values = formValues(body);
    // The row's "✓ Done" button shares the form whose select also sends a status.
    if (field(body, 'complete') === 'true') values.status = 'done';
    const fromEdit = field(body, '_form') === 'edit';
    let response;
    try {
      response = await backend.updateTask(id, apiFields(values, { dropBlank: false }), field(body, 'version'), req.id);
    } catch (error) {
      if (!(error instanceof BackendUnavailable)) throw error;
      if (isHtmx(req)) return sendError(req, res, 503, UNAVAILABLE);
      return res.status(503).render('tasks/edit-page.njk', {
        task: { id, version: field(body, 'version') },
        form: { values, errors: {}, messages: [UNAVAILABLE] },
      });
    }
    const problem = response.body as Problem;
    if (response.status === 200) {
      const task = response.body as Task;
      if (!isHtmx(req)) {
        req.session.flash('success', `Saved “${task.title}”.`);
        return res.redirect(303, returnPath(body));
      }
      return renderFragment(req, res, 200, 'tasks/row.njk', { task, focusRow: fromEdit });
    }
    if (response.status === 412 && problem?.current) {
      const task = problem.current;
      if (!isHtmx(req)) {
        req.session.flash('error', CONFLICT);
        return res.redirect(303, `/tasks/${encodeURIComponent(id)}/edit`);
      }
      return renderFragment(req, res, 412, 'tasks/row.njk', { task, notice: { kind: 'error', text: CONFLICT } });
    }
    if (response.status === 422 || response.status === 400) {
      const form = formState(values, problem);
      const task = { id, version: field(body, 'version') };
      if (!isHtmx(req)) return res.status(422).render('tasks/edit-page.njk', { task, form });
      if (fromEdit) return res.status(422).render('tasks/edit.njk', { task, form });
    }
    return sendError(req, res, response.status === 404 ? 404 : 502, describeFailure(response.status, problem));
  });

  router.post('/tasks/:id/delete', async (req, res) => {
    try {
      const response = await backend.deleteTask(req.params.id, req.id);
      // Gone already is what the user asked for, so a 404 counts as done.
      if (response.status !== 204 && response.status !== 404) {
        return sendError(req, res, 502, describeFailure(response.status, response.body as Problem));
      }
    } catch (error) {
      if (!(error instanceof BackendUnavailable)) throw error;
      return sendError(req, res, 503, UNAVAILABLE);
    }
    if (!isHtmx(req)) {
      req.session.flash('success', 'Task deleted.');
      return res.redirect(303, returnPath(req.body as Body));
    }
    return renderFragment(req, res, 200, undefined, {});
  });

  async function fetchTask(req: Request, res: Response): Promise<Task | undefined> {
    try {
      const response = await backend.getTask(String(req.params.id), req.id);
      if (response.status === 200) return response.body as Task;
      // The backend answers 404 for an unknown id and 422 for one that is not an id at all.
      if (response.status < 500) sendError(req, res, 404, 'There is no such task; it may have been deleted.');
      else sendError(req, res, 502, describeFailure(response.status, response.body as Problem));
    } catch (error) {
      if (!(error instanceof BackendUnavailable)) throw error;
      sendError(req, res, 503, UNAVAILABLE);
    }
    return undefined;
  }

  return router;
}

function describeFailure(status: number, problem: Problem | undefined): string {
  if (status === 404) return 'There is no such task; it may have been deleted.';
  return `The task service could not do that (${status}${problem?.detail ? `: ${problem.detail}` : ''}).`;
}

/**
 * An error for the user: a page of its own, or with htmx a message in the page's message
 * area (the element that triggered the request may be the wrong place for it).
 */
export function sendError(req: Request, res: Response, status: number, text: string): void {
  if (isHtmx(req)) {
    res.status(status).set({ 'HX-Retarget': '#messages', 'HX-Reswap': 'outerHTML' }).render('messages.njk', { flash: { kind: 'error', text } });
    return;
  }
  res.status(status).render('error.njk', { status, text });
}

function renderToString(res: Response, view: string, context: Record<string, unknown>): Promise<string> {
  return new Promise((resolve, reject) => {
    res.render(view, context, (error: Error | null, html?: string) => (error ? reject(error) : resolve(html ?? '')));
  });
}
