import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import nunjucks from 'nunjucks';
import type { Assets } from './assets.js';
import type { Task } from './backend/index.js';
import { RowCache } from './tasks/row-cache.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "2026-03-07" → "7 Mar 2026". By hand: Intl.DateTimeFormat showed up in the page's profile. */
function formatDay(day: string): string {
  const [year, month, date] = day.split('-');
  return `${Number(date)} ${MONTHS[Number(month) - 1] ?? month} ${year}`;
}

/** The nunjucks views of `dir` as the app's view engine, with the globals they use; returns their row cache. */
export function configureViews(app: Express, dir: string, assets: Assets): RowCache {
  app.set('view engine', 'njk');
  // Resolve each view's file once, whatever NODE_ENV says: views never change while running.
  app.enable('view cache');
  app.set('views', dir);
  const views = nunjucks.configure(dir, { autoescape: true, express: app, throwOnUndefined: false, trimBlocks: true, lstripBlocks: true });
  // 5,000 rows of about 2 KB: a hundred pages of the list, 10 MB at most.
  const rowCache = new RowCache(views, 5000);
  views
    .addGlobal('taskRows', (tasks: Task[], csrfToken: string, today: string, focusFirst: boolean) => rowCache.html(tasks, csrfToken, today, focusFirst))
    .addGlobal('asset', (name: string) => assets.url(name))
    .addGlobal('newKey', () => randomUUID())
    .addGlobal('STATUS_LABELS', { todo: 'To do', in_progress: 'In progress', done: 'Done' })
    .addGlobal('PRIORITY_LABELS', { high: 'High', medium: 'Medium', low: 'Low' })
    .addGlobal('SORT_LABELS', { updatedAt: 'Updated', dueDate: 'Due date', priority: 'Priority', title: 'Title' })
    .addFilter('day', formatDay);
  return rowCache;
}
