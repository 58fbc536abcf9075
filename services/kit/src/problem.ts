import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { Logger } from './logger.js';

/** One invalid field: its name as the client sent it, and what is wrong with it. */
export interface FieldError {
  field: string;
  detail: string;
}

const STATUS_TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/**
 * An error that is the client's to fix, answered as application/problem+json (RFC 9457).
 * Throw it (or pass it to next) from a handler; problemHandler writes it.
 */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly extensions: { errors?: FieldError[] } & Record<string, unknown> = {},
  ) {
    super(detail ?? title);
    this.name = 'HttpProblem';
  }

  /** A problem titled by its status's standard phrase. */
  static of(status: number, detail?: string, extensions?: HttpProblem['extensions']): HttpProblem {
    return new HttpProblem(status, STATUS_TITLES[status] ?? (status < 500 ? 'Client Error' : 'Server Error'), detail, extensions);
  }
}

/** Answers a problem as application/problem+json: the request names the instance and its id. */
export function sendProblem(req: Request, res: Response, problem: HttpProblem): void {
  const { originalUrl: instance, id: requestId } = req;
  res
    .status(problem.status)
    .type('application/problem+json')
    .json({
      type: 'about:blank',
      title: problem.title,
      status: problem.status,
      ...(problem.detail === undefined ? {} : { detail: problem.detail }),
      instance,
      ...(requestId === undefined ? {} : { requestId }),
      ...problem.extensions,
    });
}

/** The problem to answer for an error raised by express or its body parsers. */
function toProblem(error: unknown): HttpProblem | undefined {
  if (error instanceof HttpProblem) return error;
  const err = error as { type?: string; status?: number; expose?: boolean; message?: string; limit?: number };
  switch (err?.type) {
    case 'entity.parse.failed':
      return HttpProblem.of(400, 'The request body is not valid JSON.');
    case 'entity.too.large':
      return HttpProblem.of(413, `The request body exceeds the limit of ${err.limit ?? 'the'} bytes.`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return HttpProblem.of(415, err.message);
    case 'request.aborted':
    case 'request.size.invalid':
      return HttpProblem.of(400, 'The request body was incomplete.');
  }
  if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500) {
    return HttpProblem.of(err.status, err.expose ? err.message : undefined);
  }
  return undefined;
}

/** The one error middleware: client errors become problem+json, anything else a bare 500 (logged, never shown). */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    const problem = toProblem(error);
    if (problem) return sendProblem(req, res, problem);
    (req.log ?? logger).error({ err: error }, 'unhandled error');
    sendProblem(req, res, HttpProblem.of(500, 'An unexpected error occurred; it has been logged.'));
  };
}

export function notFoundHandler(): RequestHandler {
  return (req, res) => {
    sendProblem(req, res, HttpProblem.of(404, `No resource at ${req.path}.`));
  };
}

export { STATUS_TITLES };
