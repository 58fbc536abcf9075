import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import { PASSWORD_MIN_LENGTH, PRIORITIES, PRIORITY_LABELS, ROLES, ROLE_LABELS, STATUSES, STATUS_LABELS } from '@task-manager/contract';
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

/** An ISO date-time → "7 Mar 2026, 14:05 UTC". */
function formatMoment(at: string): string {
  return `${formatDay(at.slice(0, 10))}, ${at.slice(11, 16)} UTC`;
}

/** A value from a task's history as a person reads it. */
function formatValue(value: unknown): string {
  if (value === null || value === undefined || value === '') return 'none';
  if (Array.isArray(value)) return value.length ? value.join(', ') : 'none';
  return typeof value === 'string' ? `“${value}”` : JSON.stringify(value);
}

/** Priorities as the UI lists them, most urgent first; the contract holds them in rank order, low first. */
const PRIORITY_ORDER = [...PRIORITIES].reverse();

/**
 * For each value, the `<option>`s of all `values` with that one selected. Rendered once here: a
 * row's selects are drawn fifty times a page, and a loop in nunjucks costs that many times over.
 */
function optionsFor<T extends string>(views: nunjucks.Environment, values: readonly T[], labels: Readonly<Record<T, string>>) {
  const rendered = values.map((selected) => [selected, new nunjucks.runtime.SafeString(views.render('tasks/options.njk', { values, labels, selected }))]);
  return Object.fromEntries(rendered) as Record<T, nunjucks.runtime.SafeString>;
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
    .addGlobal('taskRows', (tasks: Task[], csrfToken: string, today: string, focusFirst: boolean, canWrite: boolean) =>
      rowCache.html(tasks, csrfToken, today, focusFirst, canWrite === true),
    )
    .addGlobal('ROLES', ROLES)
    .addGlobal('ROLE_LABELS', ROLE_LABELS)
    .addGlobal('asset', (name: string) => assets.url(name))
    .addGlobal('newKey', () => randomUUID())
    .addGlobal('STATUS_ORDER', STATUSES)
    .addGlobal('STATUS_LABELS', STATUS_LABELS)
    .addGlobal('STATUS_OPTIONS', optionsFor(views, STATUSES, STATUS_LABELS))
    .addGlobal('PRIORITY_ORDER', PRIORITY_ORDER)
    .addGlobal('PRIORITY_LABELS', PRIORITY_LABELS)
    .addGlobal('PRIORITY_OPTIONS', optionsFor(views, PRIORITY_ORDER, PRIORITY_LABELS))
    .addGlobal('SORT_LABELS', { updatedAt: 'Updated', dueDate: 'Due date', priority: 'Priority', title: 'Title' })
    .addGlobal('ACTION_LABELS', { create: 'created it', update: 'changed', delete: 'deleted it' })
    .addGlobal('PASSWORD_MIN_LENGTH', PASSWORD_MIN_LENGTH)
    .addFilter('day', formatDay)
    .addFilter('moment', formatMoment)
    .addFilter('shown', formatValue);
  return rowCache;
}
