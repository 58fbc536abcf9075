import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import nunjucks from 'nunjucks';
import { describe, expect, it } from 'vitest';
import { Assets } from '../src/assets.js';
import type { Task } from '../src/backend/index.js';
import { configureViews } from '../src/views.js';
import { sampleTask } from './fixtures.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MARK = '{viewer token}';

const task = (id: number, fields: Partial<Task> = {}): Task =>
  sampleTask({
    id: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
    title: `Shared task ${id}`,
    description: 'the same for everyone',
    status: 'todo',
    priority: 'medium',
    dueDate: '2020-01-01',
    tags: ['shared'],
    ...fields,
  });

/** Everything a page knows about the one viewing it, each value unique to that viewer. */
function viewer(name: string) {
  return {
    csrfToken: `${name}-csrf-token-0123456789`,
    flash: { kind: 'success', text: `${name}-flash-message` },
    session: { csrf: `${name}-csrf-token-0123456789`, user: `${name}-user` },
    user: { name: `${name}-user`, role: `${name}-role` },
    canWrite: true,
  };
}

const viewerValues = (locals: ReturnType<typeof viewer>) => [locals.csrfToken, locals.flash.text, locals.user.name, locals.user.role];

describe('the row cache', () => {
  it('keeps rows that hold nothing of the viewer, so two viewers are served the same rows but for their own CSRF token', async () => {
    const app = express();
    const rowCache = configureViews(app, path.join(root, 'views'), await Assets.load(path.join(root, 'public')));
    const tasks = [task(1), task(2, { status: 'done', tags: [] }), task(3, { dueDate: null, priority: 'high' })];
    const render = (locals: ReturnType<typeof viewer>) =>
      new Promise<string>((resolve, reject) => {
        const context = { ...locals, page: { items: tasks, nextCursor: null }, filters: {}, form: { values: {}, errors: {}, messages: [] }, today: '2026-06-01' };
        app.render('tasks/page.njk', context, (error, html) => (error ? reject(error) : resolve(html!)));
      });
    const rowsOf = (html: string, locals: ReturnType<typeof viewer>) =>
      (html.match(/<li id="task-[\s\S]*?<\/li>/g) ?? []).map((row) => row.split(locals.csrfToken).join(MARK));

    const alice = viewer('alice');
    const alicePage = await render(alice);
    const keptForAlice = rowCache.kept(MARK);
    const bob = viewer('bob');
    const bobPage = await render(bob);
    const keptForBob = rowCache.kept(MARK);

    expect(keptForAlice).toHaveLength(tasks.length);
    for (const value of [...viewerValues(alice), ...viewerValues(bob)]) {
      expect(keptForBob.join('\n')).not.toContain(value);
    }
    expect(keptForBob).toEqual(keptForAlice);
    // The page around the rows did show the viewer's token and message: they were there to leak.
    for (const value of [alice.csrfToken, alice.flash.text]) expect(alicePage).toContain(value);
    expect(bobPage).not.toContain(alice.csrfToken);
    expect(rowsOf(bobPage, bob)).toEqual(rowsOf(alicePage, alice));
    expect(rowsOf(bobPage, bob)).toEqual(keptForBob.map((row) => row.trim()));
  });

  it('keeps a viewer’s rows apart from a member’s: a viewer never gets the write controls, a member always does', async () => {
    const app = express();
    configureViews(app, path.join(root, 'views'), await Assets.load(path.join(root, 'public')));
    const tasks = [task(11), task(12, { status: 'done' })];
    const render = (canWrite: boolean) =>
      new Promise<string>((resolve, reject) => {
        const context = { csrfToken: canWrite ? 'member-token' : 'viewer-token', canWrite, page: { items: tasks, nextCursor: null }, filters: {}, today: '2026-06-01' };
        app.render('tasks/list.njk', context, (error, html) => (error ? reject(error) : resolve(html!)));
      });
    const writeControls = /name="ids"|name="status"|name="_csrf"|\/delete"|\/edit"|Mark done/;
    // Each order: whichever role fills the cache first, the other must not be served its rows.
    for (const order of [[true, false, true], [false, true, false]]) {
      for (const canWrite of order) {
        const rows = (await render(canWrite)).match(/<li id="task-[\s\S]*?<\/li>/g) ?? [];
        expect(rows).toHaveLength(tasks.length);
        for (const row of rows) {
          if (canWrite) expect(row).toMatch(writeControls);
          else expect(row).not.toMatch(writeControls);
        }
      }
    }
  });

  it('renders rows from nothing but the task, the day and the CSRF token (row.njk names nothing else)', async () => {
    const source = await readFile(path.join(root, 'views/tasks/row.njk'), 'utf8');
    const { parser, nodes } = nunjucks as unknown as {
      parser: { parse(src: string): { findAll(type: unknown): { value: string }[] } };
      nodes: { Symbol: unknown };
    };
    const names = new Set(parser.parse(source).findAll(nodes.Symbol).map((symbol) => symbol.value));
    // The row's own names (the macro, its parameters, its loops and sets), the task-independent
    // labels, options (rendered once at start-up) and filters, and what the row cache passes in.
    const allowed = ['row', 'task', 'csrfToken', 'today', 'canWrite', 'focus', 'notice', 'overdue', 'url', 'tag', 'each', 'tasks', 'separator', 'focusRow'];
    const shared = ['STATUS_LABELS', 'STATUS_OPTIONS', 'PRIORITY_LABELS', 'PRIORITY_OPTIONS', 'day', 'urlencode'];
    expect([...names].filter((name) => !allowed.includes(name) && !shared.includes(name))).toEqual([]);
  });
});
