import { randomBytes } from 'node:crypto';
import nunjucks from 'nunjucks';
import type { Task } from '../backend.js';

/**
 * The list's rows, each rendered once per task version and per day, then reused for every
 * page that shows it: fifty rows through nunjucks cost more than the rest of a page together
 * (the page benchmark's profile). The cache key holds everything a row depends on: the
 * backend bumps `version` on every change to a task, and the day decides "Overdue". The one
 * thing in a row that is not the task's is the viewer's CSRF token, so a row is stored split
 * around a random per-process placeholder and joined with the token of whoever views it.
 */
export class RowCache {
  private readonly rows = new Map<string, [string, string]>();
  private readonly placeholder = `csrf-placeholder-${randomBytes(16).toString('hex')}`;

  constructor(
    private readonly env: nunjucks.Environment,
    private readonly maxRows: number,
  ) {}

  /** The rows' HTML for this viewer; the first row takes focus when `focusFirst` (a load-more swap). */
  html(tasks: Task[], csrfToken: string, today: string, focusFirst = false): nunjucks.runtime.SafeString {
    let html = '';
    tasks.forEach((task, index) => {
      html += '\n';
      if (index === 0 && focusFirst) {
        html += this.render(task, csrfToken, today, true);
      } else {
        // Concatenated, not joined: V8 links the pieces instead of copying 2 KB per row.
        const [beforeToken, afterToken] = this.row(task, today);
        html += beforeToken + csrfToken + afterToken;
      }
    });
    return new nunjucks.runtime.SafeString(html);
  }

  get size(): number {
    return this.rows.size;
  }

  private row(task: Task, today: string): [string, string] {
    const key = `${task.id} ${task.version} ${today}`;
    let parts = this.rows.get(key);
    if (parts) {
      // Least recently used goes first: a Map iterates in insertion order.
      this.rows.delete(key);
    } else {
      const pieces = this.render(task, this.placeholder, today, false).split(this.placeholder);
      if (pieces.length !== 2) throw new Error(`tasks/row.njk must hold the CSRF token exactly once, not ${pieces.length - 1} times`);
      parts = pieces as [string, string];
      if (this.rows.size >= this.maxRows) this.rows.delete(this.rows.keys().next().value!);
    }
    this.rows.set(key, parts);
    return parts;
  }

  private render(task: Task, csrfToken: string, today: string, focusRow: boolean): string {
    return this.env.render('tasks/row.njk', { task, csrfToken, today, focusRow });
  }
}
