import { Router, type Request } from 'express';
import { BackendUnavailable, type ActivityList, type BackendClient, type ProblemBody, type Stats, type Task, type TaskList } from '../backend/index.js';
import type { Flash } from '../session.js';
import { answer, errorFragment, sendError, type Fragment, type FullPage } from './answer.js';
import {
  apiFields,
  emptyForm,
  field,
  filtersFrom,
  formState,
  formValues,
  formWith,
  pageUrl,
  returnPath,
  valuesOf,
  type Body,
  type Filters,
  type FormState,
} from './forms.js';

const PAGE_SIZE = '50';
const UNAVAILABLE = 'The task service is unavailable right now, so nothing was saved. Your input is kept; try again in a moment.';
const CONFLICT = 'Someone else changed this task while you were editing it. This is the current version; your change was not saved.';
const DELETE_CONFLICT = 'Someone else changed this task after you opened it, so it was not deleted. Look at it again, and delete it then if you still want to.';
const NO_SUCH_TASK = 'There is no such task; it may have been deleted.';
/** The backend refuses a viewer's changes; the forms that would make them are not offered. */
const READ_ONLY = 'Your role (viewer) can read tasks but not change them.';

const success = (text: string): Flash => ({ kind: 'success', text });
const editUrl = (id: string) => `/tasks/${encodeURIComponent(id)}/edit`;

/** The answer of a backend call, or undefined when the backend could not be reached. */
async function unlessUnavailable<T>(req: Request, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof BackendUnavailable)) throw error;
    req.log.warn({ err: error.reason }, 'backend unavailable');
    return undefined;
  }
}

/** What to answer instead of the task a URL names. */
interface Failure {
  status: number;
  text: string;
}
const isFailure = (value: object): value is Failure => 'text' in value;

function describeFailure(status: number, problem: ProblemBody | undefined): string {
  if (status === 404) return NO_SUCH_TASK;
  return `The task service could not do that (${status}${problem?.detail ? `: ${problem.detail}` : ''}).`;
}

type TaskRef = Pick<Task, 'id'> & { version?: number | string };

const editPage = (task: TaskRef, form: FormState): FullPage => ({ view: 'tasks/edit-page.njk', context: { task, form } });

export function taskRoutes(backend: BackendClient): Router {
  const router = Router();

  /** The header counts, or an empty place htmx fills from /counts: they are an extra that never holds a page up. */
  async function counts(req: Request): Promise<{ stats?: Stats; countsLater?: true }> {
    const stats = await backend.stats(req.viewer);
    return stats ? { stats } : { countsLater: true };
  }

  /** A fragment with the header counts swapped out-of-band, for answers to changes. */
  async function withCounts(req: Request, fragment: Fragment): Promise<Fragment> {
    return { ...fragment, ...(await counts(req)) };
  }

  /** Everything the list needs: a page of tasks, or why there is none. */
  async function loadList(req: Request, filters: Filters, cursor: string | undefined) {
    const query = new URLSearchParams({ limit: PAGE_SIZE, ...filters });
    if (cursor) query.set('cursor', cursor);
    const currentUrl = pageUrl(filters, cursor);
    const context = { filters, cursor, currentUrl };
    const response = await unlessUnavailable(req, () => backend.listTasks(query, req.viewer));
    if (!response || response.status >= 500) return { status: 503, list: { ...context, unavailable: true } };
    if (response.status !== 200) return { status: 422, list: { ...context, listError: formState({}, response.body as ProblemBody) } };
    const page = response.body as TaskList;
    return { status: 200, list: { ...context, page, firstUrl: pageUrl(filters), nextUrl: page.nextCursor ? pageUrl(filters, page.nextCursor) : undefined } };
  }

  /** The people the assignee picker offers, put where every form's template finds them (none for a viewer, who gets no form). */
  async function withPeople(req: Request): Promise<void> {
    if (req.res?.locals.canWrite) req.res.locals.people = await unlessUnavailable(req, () => backend.directory(req.viewer));
  }

  /** The list page: the new-task form beside the filters and the list, each the partial htmx swaps. */
  async function listPage(req: Request, options: { status?: number; form?: FormState; filters?: Filters } = {}): Promise<FullPage> {
    const filters = options.filters ?? filtersFrom(req.query as Body);
    const [{ status, list }, header] = await Promise.all([loadList(req, filters, field(req.query as Body, 'cursor')), counts(req), withPeople(req)]);
    const context = { ...list, ...header, form: options.form ?? emptyForm(), flash: req.session.takeFlash() };
    return { status: options.status ?? status, view: 'tasks/page.njk', context };
  }

  /** The task the URL names, or the error to answer instead. */
  async function fetchTask(req: Request): Promise<Task | Failure> {
    const response = await unlessUnavailable(req, () => backend.getTask(String(req.params.id), req.viewer));
    if (!response) return { status: 503, text: UNAVAILABLE };
    if (response.status === 200) return response.body as Task;
    // The backend answers 404 for an unknown id and 422 for one that is not an id at all.
    if (response.status < 500) return { status: 404, text: NO_SUCH_TASK };
    return { status: 502, text: describeFailure(response.status, response.body as ProblemBody) };
  }

  router.get('/', (req, res) => {
    res.vary('HX-Request').vary('HX-Target').vary('HX-History-Restore-Request');
    return answer(req, res, {
      fragment: async () => {
        const { status, list } = await loadList(req, filtersFrom(req.query as Body), field(req.query as Body, 'cursor'));
        if (req.get('hx-target') === 'load-more') return { status, view: 'tasks/rows.njk', context: { ...list, focusFirst: true } };
        const fragment = { status, view: 'tasks/list.njk', context: list };
        return req.get('x-refresh-counts') === 'true' ? withCounts(req, fragment) : fragment;
      },
      page: () => listPage(req),
    });
  });

  // What the empty place for the counts asks for; they may keep it waiting, the page it is on did not.
  router.get('/counts', (req, res) => {
    res.vary('HX-Request');
    return answer(req, res, {
      // The counts may be at hand without a backend call, so the session is checked on its own.
      fragment: async () => {
        const [, stats] = await Promise.all([backend.me(req.viewer), backend.freshStats(req.viewer)]);
        return { view: 'tasks/counts.njk', context: { stats } };
      },
      page: () => ({ redirect: '/' }),
    });
  });

  router.post('/tasks', async (req, res) => {
    const values = formValues(req.body as Body);
    await withPeople(req);
    const response = await unlessUnavailable(req, () => backend.createTask(apiFields(values, { dropBlank: true }), req.viewer, field(req.body as Body, '_key')));
    if (response?.status === 201) {
      const task = response.body as Task;
      return answer(req, res, {
        status: 201,
        fragment: () => withCounts(req, { view: 'tasks/created.njk', context: { form: emptyForm(), task } }),
        page: () => ({ redirect: '/', flash: success(`Created “${task.title}”.`) }),
      });
    }
    const status = response ? 422 : 503;
    const form = response ? formState(values, response.body as ProblemBody) : formWith(values, UNAVAILABLE);
    return answer(req, res, {
      status,
      fragment: () => ({ view: 'tasks/form.njk', context: { form, focusForm: status === 422 } }),
      page: () => listPage(req, { status, form, filters: {} }),
    });
  });

  router.post('/tasks/bulk', async (req, res) => {
    const body = req.body as Body;
    const action = field(body, 'action');
    if (action !== 'done' && action !== 'delete') return sendError(req, res, 400, 'Choose “Mark done” or “Delete” for the selected tasks.');
    const ids = [body?.ids].flat().filter((id): id is string => typeof id === 'string');
    const message = await bulkChange(req, action, ids);
    const back = returnPath(body);
    return answer(req, res, {
      fragment: async () => {
        const { list } = await loadList(req, filtersFrom(Object.fromEntries(new URL(back, 'http://frontend.invalid').searchParams)), undefined);
        return withCounts(req, { view: 'tasks/list.njk', context: list, flash: message });
      },
      page: () => ({ redirect: back, flash: message }),
    });
  });

  /** What a bulk action did, as the message to show. */
  async function bulkChange(req: Request, action: 'done' | 'delete', ids: string[]): Promise<Flash> {
    if (ids.length === 0) return { kind: 'error', text: 'Select at least one task first.' };
    const change = action === 'done' ? { action: 'update' as const, ids, patch: { status: 'done' } } : { action: 'delete' as const, ids };
    const response = await unlessUnavailable(req, () => backend.bulk(change, req.viewer));
    if (!response) return { kind: 'error', text: UNAVAILABLE };
    if (response.status === 200) {
      const count = (response.body as { count: number }).count;
      const noun = count === 1 ? 'task' : 'tasks';
      return success(action === 'done' ? `Marked ${count} ${noun} done.` : `Deleted ${count} ${noun}.`);
    }
    if (response.status === 404) return { kind: 'error', text: 'Some of the selected tasks no longer exist, so nothing was changed.' };
    const problem = response.body as ProblemBody;
    return { kind: 'error', text: problem?.detail ?? problem?.title ?? `The task service answered ${response.status}.` };
  }

  router.get('/tasks/:id', (req, res) =>
    answer(req, res, {
      // Cancelling an edit: focus goes back to the task's title, where the edit began.
      fragment: async () => {
        const task = await fetchTask(req);
        return isFailure(task) ? errorFragment(task.status, task.text) : { view: 'tasks/row.njk', context: { task, focusRow: true } };
      },
      page: () => ({ redirect: editUrl(req.params.id) }),
    }),
  );

  router.get('/tasks/:id/edit', async (req, res) => {
    const [task] = await Promise.all([fetchTask(req), withPeople(req)]);
    if (isFailure(task)) return sendError(req, res, task.status, task.text);
    if (!res.locals.canWrite) return sendError(req, res, 403, READ_ONLY);
    const form: FormState = { values: valuesOf(task), errors: {}, messages: [] };
    return answer(req, res, {
      fragment: () => ({ view: 'tasks/edit.njk', context: { task, form } }),
      page: () => ({ view: 'tasks/edit-page.njk', context: { task, form, flash: req.session.takeFlash() } }),
    });
  });

  router.get('/tasks/:id/history', async (req, res) => {
    const [task, response] = await Promise.all([fetchTask(req), unlessUnavailable(req, () => backend.activity(String(req.params.id), req.viewer))]);
    if (isFailure(task)) return sendError(req, res, task.status, task.text);
    if (!response || response.status !== 200) return sendError(req, res, 503, 'The history cannot be shown right now; try again in a moment.');
    const entries = [...(response.body as ActivityList).items].sort((a, b) => b.id - a.id);
    return answer(req, res, {
      fragment: () => ({ view: 'tasks/history.njk', context: { entries } }),
      page: () => ({ view: 'tasks/history-page.njk', context: { task, entries } }),
    });
  });

  router.get('/tasks/:id/delete', async (req, res) => {
    const task = await fetchTask(req);
    if (isFailure(task)) return sendError(req, res, task.status, task.text);
    if (!res.locals.canWrite) return sendError(req, res, 403, READ_ONLY);
    res.render('tasks/delete-page.njk', { task });
  });

  router.post('/tasks/:id', async (req, res) => {
    const id = req.params.id;
    const body = req.body as Body;
    const values = formValues(body);
    // The row's "✓ Done" button shares the form whose select also sends a status.
    if (field(body, 'complete') === 'true') values.status = 'done';
    const fromEdit = field(body, '_form') === 'edit';
    const sent: TaskRef = { id, version: field(body, 'version') };
    const response = await unlessUnavailable(req, () => backend.updateTask(id, apiFields(values, { dropBlank: false }), field(body, 'version'), req.viewer));
    if (!response) {
      return answer(req, res, { status: 503, fragment: () => errorFragment(503, UNAVAILABLE), page: () => editPage(sent, formWith(values, UNAVAILABLE)) });
    }
    const problem = response.body as ProblemBody;
    if (response.status === 200) {
      const task = response.body as Task;
      return answer(req, res, {
        fragment: () => withCounts(req, { view: 'tasks/row.njk', context: { task, focusRow: fromEdit } }),
        page: () => ({ redirect: returnPath(body), flash: success(`Saved “${task.title}”.`) }),
      });
    }
    if (response.status === 412 && problem?.current) {
      const task = problem.current;
      return answer(req, res, {
        status: 412,
        fragment: () => withCounts(req, { view: 'tasks/row.njk', context: { task, notice: { kind: 'error', text: CONFLICT } } }),
        page: () => ({ redirect: editUrl(id), flash: { kind: 'error', text: CONFLICT } }),
      });
    }
    if (response.status === 422 || response.status === 400) {
      // A row sends only what it changed: the form shows that over the task as it is now.
      const [current] = await Promise.all([fromEdit ? undefined : fetchTask(req), withPeople(req)]);
      const [task, shown] = current && !isFailure(current) ? [current, { ...valuesOf(current), ...values }] : [sent, values];
      const form = formState(shown, problem);
      return answer(req, res, { status: 422, fragment: () => ({ view: 'tasks/edit.njk', context: { task, form } }), page: () => editPage(task, form) });
    }
    return sendError(req, res, response.status === 404 ? 404 : 502, describeFailure(response.status, problem));
  });

  router.post('/tasks/:id/delete', async (req, res) => {
    const response = await unlessUnavailable(req, () => backend.deleteTask(req.params.id, field(req.body as Body, 'version'), req.viewer));
    if (!response) return sendError(req, res, 503, UNAVAILABLE);
    if (response.status === 412) return sendError(req, res, 412, DELETE_CONFLICT);
    // Gone already is what the user asked for, so a 404 counts as done.
    if (response.status !== 204 && response.status !== 404) return sendError(req, res, 502, describeFailure(response.status, response.body as ProblemBody));
    return answer(req, res, {
      fragment: () => withCounts(req, {}),
      page: () => ({ redirect: returnPath(req.body as Body), flash: success('Task deleted.') }),
    });
  });

  return router;
}
