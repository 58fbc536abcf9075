import { PRIORITIES, STATUSES, type Task } from '@task-manager/contract';

/** A task as the backend answers it, with `fields` on top: for tests that render views without a backend. */
export function sampleTask(fields: Partial<Task> = {}): Task {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    title: 'A task',
    description: '',
    status: STATUSES[0],
    priority: PRIORITIES[0],
    dueDate: null,
    tags: [],
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    version: 1,
    createdBy: null,
    createdByName: null,
    assigneeId: null,
    assigneeName: null,
    ...fields,
  };
}
