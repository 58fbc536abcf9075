/** A task as the backend's contract (docs/contracts.md) defines it. */
export interface Task {
  id: string;
  title: string;
  description: string | null;
  status: 'todo' | 'in_progress' | 'done';
  priority: 'low' | 'medium' | 'high';
  dueDate: string | null;
  tags: string[];
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface TaskPage {
  items: Task[];
  nextCursor: string | null;
}

export interface Stats {
  total: number;
  byStatus: Record<Task['status'], number>;
  byPriority: Record<Task['priority'], number>;
  overdue: number;
}

/** The problem+json body the backend sends with every error. */
export interface Problem {
  title?: string;
  detail?: string;
  status?: number;
  errors?: { field: string; detail: string }[];
  current?: Task;
  missing?: string[];
}

export interface BackendResponse<T> {
  status: number;
  etag: string | undefined;
  /** The parsed JSON body: T on success, a Problem otherwise. */
  body: T | Problem | undefined;
}
