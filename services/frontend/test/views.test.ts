import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PRIORITIES, PRIORITY_LABELS, STATUSES, STATUS_LABELS, type Stats } from '@task-manager/contract';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { Assets } from '../src/assets.js';
import { configureViews } from '../src/views.js';
import { sampleTask } from './fixtures.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const task = sampleTask();
// A count unique to each status, so the header must show each status's own.
const stats: Stats = {
  total: 0,
  byStatus: Object.fromEntries(STATUSES.map((status, index) => [status, 100 + index])) as Stats['byStatus'],
  byPriority: Object.fromEntries(PRIORITIES.map((priority) => [priority, 0])) as Stats['byPriority'],
  overdue: 0,
};

async function render(view: string, context: object): Promise<string> {
  const app = express();
  configureViews(app, path.join(root, 'views'), await Assets.load(path.join(root, 'public')));
  return new Promise((resolve, reject) => app.render(view, context, (error, html) => (error ? reject(error) : resolve(html!))));
}

/** The options of the select named `name` in `html` (the one after `after`, when given), as [value, label]. */
function options(html: string, name: string, after = ''): [string, string][] {
  const select = new RegExp(`<select[^>]*name="${name}"[^>]*>([\\s\\S]*?)</select>`).exec(html.slice(html.indexOf(after)));
  return [...(select?.[1] ?? '').matchAll(/<option value="([^"]*)"[^>]*>([^<]*)<\/option>/g)].map((match) => [match[1]!, match[2]!]);
}

const statusChoices = STATUSES.map((status) => [status, STATUS_LABELS[status]]);
// The UI lists priorities most urgent first, the reverse of the contract's rank order.
const priorityChoices = [...PRIORITIES].reverse().map((priority) => [priority, PRIORITY_LABELS[priority]]);
const any = ['', 'Any'];

describe("the views offer the contract's statuses and priorities", () => {
  it('in the filters, the new-task form, the row and the counts, with their labels', async () => {
    const page = await render('tasks/page.njk', {
      csrfToken: 'token',
      canWrite: true,
      stats,
      page: { items: [task], nextCursor: null },
      filters: {},
      form: { values: {}, errors: {}, messages: [] },
      today: '2026-06-01',
    });

    expect(options(page, 'status', 'id="filters"')).toEqual([any, ...statusChoices]);
    expect(options(page, 'priority', 'id="filters"')).toEqual([any, ...priorityChoices]);
    expect(options(page, 'priority', 'id="new-task"')).toEqual(priorityChoices);
    expect(options(page, 'status', `id="task-${task.id}"`)).toEqual(statusChoices);
    expect(options(page, 'priority', `id="task-${task.id}"`)).toEqual(priorityChoices);
    for (const [index, status] of STATUSES.entries()) {
      expect(page).toContain(`<a class="status-${status}" href="/?status=${status}">${STATUS_LABELS[status]} <b>${100 + index}</b></a>`);
    }
    expect(page).toContain(`<span class="badge status">${STATUS_LABELS[task.status]}</span>`);
  });

  it('in the row and the edit form, with the task’s own status and priority selected', async () => {
    for (const status of STATUSES) {
      for (const priority of PRIORITIES) {
        const edited = { ...task, status, priority };
        const row = await render('tasks/row.njk', { csrfToken: 'token', canWrite: true, task: edited, today: '2026-06-01' });
        const form = await render('tasks/edit.njk', { csrfToken: 'token', task: edited, form: { values: edited, errors: {}, messages: [] } });
        for (const html of [row, form]) {
          expect(options(html, 'status')).toEqual(statusChoices);
          expect(options(html, 'priority')).toEqual(priorityChoices);
          expect(html.match(/<option value="[^"]*" selected>/g)).toEqual([`<option value="${status}" selected>`, `<option value="${priority}" selected>`]);
        }
      }
    }
  });
});
