import { randomBytes } from 'node:crypto';
import nunjucks from 'nunjucks';
import type { Task } from '../backend.js';
import { RecentlyUsed } from '../recently-used.js';

/**
 * The list's rows, each rendered once per task version and per day, then reused for every
 * page that shows it: fifty rows through nunjucks cost more than the rest of a page together
 * (the page benchmark's profile). The cache key holds everything a row depends on: the
 * backend bumps `version` on every change to a task, and the day decides "Overdue". The one
 * thing in a row that is not the task's is the viewer's CSRF token, so a row is stored split
 * around a random per-process placeholder and joined with the token of whoever views it.
 */
export class RowCache {
  private readonly rows: RecentlyUsed<[string, string]>;
  private readonly placeholder = `csrf-placeholder-${randomBytes(16).toString('hex')}`;
  private readonly separator = `row-end-${randomBytes(16).toString('hex')}`;

  constructor(
    private readonly env: nunjucks.Environment,
    maxRows: number,
  ) {
    this.rows = new RecentlyUsed(maxRows);
  }

  /** The rows' HTML for this viewer; the first row takes focus when `focusFirst` (a load-more swap). */
  html(tasks: Task[], csrfToken: string, today: string, focusFirst = false): nunjucks.runtime.SafeString {
    const rows = tasks.map((task, index) => (index === 0 && focusFirst ? undefined : this.rows.get(`${task.id} ${task.version} ${today}`)));
    const missing = tasks.filter((_task, index) => rows[index] === undefined && !(index === 0 && focusFirst));
    const rendered = this.render(missing, today);
    let html = '';
    tasks.forEach((task, index) => {
      html += '\n';
      if (index === 0 && focusFirst) {
        html += this.env.render('tasks/row.njk', { task, csrfToken, today, focusRow: true });
        return;
      }
      const [beforeToken, afterToken] = rows[index] ?? rendered.shift()!;
      // Concatenated, not joined: V8 links the pieces instead of copying 2 KB per row.
      html += beforeToken + csrfToken + afterToken;
    });
    return new nunjucks.runtime.SafeString(html);
  }

  /** Renders rows and keeps them, in one pass through the template, which costs far less than one pass each. */
  private render(tasks: Task[], today: string): [string, string][] {
    if (tasks.length === 0) return [];
    const html = this.env.render('tasks/row.njk', { tasks, csrfToken: this.placeholder, separator: this.separator, today }).split(this.separator);
    return tasks.map((task, index) => {
      const pieces = html[index]!.split(this.placeholder);
      if (pieces.length !== 2) throw new Error(`tasks/row.njk must hold the CSRF token exactly once, not ${pieces.length - 1} times`);
      const row = pieces as [string, string];
      this.rows.set(`${task.id} ${task.version} ${today}`, row);
      return row;
    });
  }
}
