import type { MissingProblem, StaleProblem, ValidationProblem } from '@task-manager/contract';

export type { Activity, ActivityList, SessionResult, Stats, Task, TaskList, Token, TokenCreated, TokenList, User, UserList } from '@task-manager/contract';

/** Whose call it is: the viewer's own session, which the backend checks on every call (the frontend vouches for no one). */
export interface Viewer {
  /** The backend's session token, from the tm_sid cookie. */
  sid: string;
  /** The session's CSRF token, which the backend wants with every write. */
  csrf: string;
  requestId?: string;
}

/** An error's problem+json body, of whichever kind: the fields of each kind may be there or not. */
export type ProblemBody = Partial<ValidationProblem & StaleProblem & MissingProblem>;

export interface BackendResponse<T> {
  status: number;
  etag: string | undefined;
  /** The parsed JSON body: T on success, a problem otherwise. */
  body: T | ProblemBody | undefined;
  /** Seconds to wait, from a 429's Retry-After. */
  retryAfter?: number;
}
