import { Type, type Static } from '@sinclair/typebox';
import { Task, TaskId } from './task.js';

/** RFC 9457 problem details, as every error of the API is answered (application/problem+json). */
const problem = {
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.Optional(Type.String()),
  instance: Type.Optional(Type.String()),
  requestId: Type.Optional(Type.String()),
};
export const Problem = Type.Object(problem);
export type Problem = Static<typeof Problem>;

/** One invalid value: its place in the request as the client wrote it (`title`, `tags[2]`, `patch.status`) and what is wrong. */
export const FieldError = Type.Object({ field: Type.String(), detail: Type.String() });
export type FieldError = Static<typeof FieldError>;

/** A 422: every invalid value of the request at once. */
export const ValidationProblem = Type.Object({ ...problem, errors: Type.Array(FieldError, { minItems: 1 }) });
export type ValidationProblem = Static<typeof ValidationProblem>;

/** A 412: the task changed since the client read it; `current` is how it is now. */
export const StaleProblem = Type.Object({ ...problem, current: Task });
export type StaleProblem = Static<typeof StaleProblem>;
export const MissingProblem = Type.Object({ ...problem, missing: Type.Array(TaskId) });
export type MissingProblem = Static<typeof MissingProblem>;
