import { randomBytes } from 'node:crypto';
import nunjucks from 'nunjucks';
import type { Task } from '../backend/index.js';
import { RecentlyUsed } from '../recently-used.js';

/** A kept row's key (see RowCache). */
const keyOf = (task: Task, today: string) => `${task.id} ${task.version} ${today}`;

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
    // A focused row differs from the kept one, so it is rendered on its own and not kept.
    const focused = focusFirst ? tasks[0] : undefined;
    const shared = focused ? tasks.slice(1) : tasks;
    const kept = shared.map((task) => this.rows.get(keyOf(task, today)));
    const rendered = this.render(shared.filter((_task, index) => kept[index] === undefined), today);
    let html = focused ? `\n${this.env.render('tasks/row.njk', { task: focused, csrfToken, today, focusRow: true })}` : '';
    for (const row of kept) {
      const [beforeToken, afterToken] = row ?? rendered.shift()!;
      // Concatenated, not joined: V8 links the pieces instead of copying 2 KB per row.
      html += '\n' + beforeToken + csrfToken + afterToken;
    }
    return new nunjucks.runtime.SafeString(html);
  }

  /** The kept rows as stored, the place of the viewer's token marked by `tokenMark`: all a kept row can ever show anyone. */
  kept(tokenMark: string): string[] {
    return [...this.rows.values()].map(([beforeToken, afterToken]) => beforeToken + tokenMark + afterToken);
  }

  /** Renders rows and keeps them, in one pass through the template, which costs far less than one pass each. */
  private render(tasks: Task[], today: string): [string, string][] {
    if (tasks.length === 0) return [];
    const html = this.env.render('tasks/row.njk', { tasks, csrfToken: this.placeholder, separator: this.separator, today }).split(this.separator);
    return tasks.map((task, index) => {
      const pieces = html[index]!.split(this.placeholder);
      if (pieces.length !== 2) throw new Error(`tasks/row.njk must hold the CSRF token exactly once, not ${pieces.length - 1} times`);
      const row = pieces as [string, string];
      this.rows.set(keyOf(task, today), row);
      return row;
    });
  }
}
