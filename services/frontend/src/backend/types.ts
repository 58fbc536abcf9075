import type { MissingProblem, StaleProblem, ValidationProblem } from '@task-manager/contract';

export type { Stats, Task, TaskList } from '@task-manager/contract';

/** An error's problem+json body, of whichever kind: the fields of each kind may be there or not. */
export type ProblemBody = Partial<ValidationProblem & StaleProblem & MissingProblem>;

export interface BackendResponse<T> {
  status: number;
  etag: string | undefined;
  /** The parsed JSON body: T on success, a problem otherwise. */
  body: T | ProblemBody | undefined;
}
