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
  /**
   * Rows used lately, in two generations: a row is looked up in both and moved to `recent` when
   * found; when `recent` is full it becomes `older` and the old `older` is dropped whole. Near
   * enough to least-recently-used, at a constant cost per row (a Map that evicts one entry at a
   * time from its front slows down as deleted entries pile up there).
   */
  private recent = new Map<string, [string, string]>();
  private older = new Map<string, [string, string]>();
  private readonly placeholder = `csrf-placeholder-${randomBytes(16).toString('hex')}`;
  private readonly separator = `row-end-${randomBytes(16).toString('hex')}`;

  constructor(
    private readonly env: nunjucks.Environment,
    private readonly maxRows: number,
  ) {}

  /** The rows' HTML for this viewer; the first row takes focus when `focusFirst` (a load-more swap). */
  html(tasks: Task[], csrfToken: string, today: string, focusFirst = false): nunjucks.runtime.SafeString {
    const rows = tasks.map((task, index) => (index === 0 && focusFirst ? undefined : this.kept(`${task.id} ${task.version} ${today}`)));
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

  private kept(key: string): [string, string] | undefined {
    const row = this.recent.get(key) ?? this.older.get(key);
    if (row && !this.recent.has(key)) this.keep(key, row);
    return row;
  }

  private keep(key: string, row: [string, string]): void {
    this.recent.set(key, row);
    if (this.recent.size >= this.maxRows / 2) {
      this.older = this.recent;
      this.recent = new Map();
    }
  }

  /** Renders rows and keeps them, in one pass through the template, which costs far less than one pass each. */
  private render(tasks: Task[], today: string): [string, string][] {
    if (tasks.length === 0) return [];
    const html = this.env.render('tasks/row.njk', { tasks, csrfToken: this.placeholder, separator: this.separator, today }).split(this.separator);
    return tasks.map((task, index) => {
      const pieces = html[index]!.split(this.placeholder);
      if (pieces.length !== 2) throw new Error(`tasks/row.njk must hold the CSRF token exactly once, not ${pieces.length - 1} times`);
      const row = pieces as [string, string];
      this.keep(`${task.id} ${task.version} ${today}`, row);
      return row;
    });
  }
}
