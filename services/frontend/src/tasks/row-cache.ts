import { randomBytes } from 'node:crypto';
import nunjucks from 'nunjucks';
import type { Task } from '../backend/index.js';
import { RecentlyUsed } from '../recently-used.js';

/** A kept row's key (see RowCache). */
const keyOf = (task: Task, today: string, canWrite: boolean) => `${task.id} ${task.version} ${today} ${canWrite ? 'write' : 'read'} ${task.assigneeName ?? ''}`;

/**
 * The list's rows, each rendered once per task version and per day, then reused for every
 * page that shows it: fifty rows through nunjucks cost more than the rest of a page together
 * (the page benchmark's profile). The cache key holds everything a row depends on: the
 * backend bumps `version` on every change to a task, the day decides "Overdue", the
 * assignee's name is joined at read time (a rename leaves the version), and whether the
 * viewer may write decides the row's controls: a viewer's row has none, so it is kept apart
 * from a member's. The one thing in a row that is not the task's is the viewer's CSRF token
 * (in rows with controls), so a row is stored split around a random per-process placeholder
 * and joined with the token of whoever views it.
 */
export class RowCache {
  private readonly rows: RecentlyUsed<Row>;
  private readonly placeholder = `csrf-placeholder-${randomBytes(16).toString('hex')}`;
  private readonly separator = `row-end-${randomBytes(16).toString('hex')}`;

  constructor(
    private readonly env: nunjucks.Environment,
    maxRows: number,
  ) {
    this.rows = new RecentlyUsed(maxRows);
  }

  /** The rows' HTML for this viewer; the first row takes focus when `focusFirst` (a load-more swap). */
  html(tasks: Task[], csrfToken: string, today: string, focusFirst = false, canWrite = false): nunjucks.runtime.SafeString {
    // A focused row differs from the kept one, so it is rendered on its own and not kept.
    const focused = focusFirst ? tasks[0] : undefined;
    const shared = focused ? tasks.slice(1) : tasks;
    const kept = shared.map((task) => this.rows.get(keyOf(task, today, canWrite)));
    const rendered = this.render(
      shared.filter((_task, index) => kept[index] === undefined),
      today,
      canWrite,
    );
    let html = focused ? `\n${this.env.render('tasks/row.njk', { task: focused, csrfToken, today, canWrite, focusRow: true })}` : '';
    for (const row of kept) {
      const [beforeToken, afterToken] = row ?? rendered.shift()!;
      // Concatenated, not joined: V8 links the pieces instead of copying 2 KB per row.
      html += afterToken === undefined ? '\n' + beforeToken : '\n' + beforeToken + csrfToken + afterToken;
    }
    return new nunjucks.runtime.SafeString(html);
  }

  /** The kept rows as stored, the place of the viewer's token marked by `tokenMark`: all a kept row can ever show anyone. */
  kept(tokenMark: string): string[] {
    return [...this.rows.values()].map(([beforeToken, afterToken]) => (afterToken === undefined ? beforeToken : beforeToken + tokenMark + afterToken));
  }

  /** Renders rows and keeps them, in one pass through the template, which costs far less than one pass each. */
  private render(tasks: Task[], today: string, canWrite: boolean): Row[] {
    if (tasks.length === 0) return [];
    const html = this.env.render('tasks/row.njk', { tasks, csrfToken: this.placeholder, separator: this.separator, today, canWrite }).split(this.separator);
    const tokens = canWrite ? 1 : 0;
    return tasks.map((task, index) => {
      const pieces = html[index]!.split(this.placeholder);
      if (pieces.length !== tokens + 1) throw new Error(`tasks/row.njk must hold the CSRF token ${tokens} times in a row ${canWrite ? 'with' : 'without'} controls, not ${pieces.length - 1}`);
      const row = pieces as Row;
      this.rows.set(keyOf(task, today, canWrite), row);
      return row;
    });
  }
}

/** A kept row: the HTML before and after the viewer's CSRF token, or all of it when it holds none. */
type Row = [string, string] | [string];
