import {
  Activity,
  ActivityList,
  LoginRequest,
  LoginResult,
  OidcFinish,
  OidcSessionResult,
  OidcStart,
  SignInMethods,
  PasswordChange,
  SessionResult,
  Token,
  TokenCreate,
  TokenCreated,
  TokenList,
  User,
  UserCreate,
  UserList,
  UserPatch,
  UserId,
  BulkRequest,
  BulkResult,
  IdempotencyKey,
  IfMatch,
  LIMITS,
  LIST_PARAMETERS,
  MissingProblem,
  Problem,
  StaleProblem,
  Stats,
  Task,
  TaskCreate,
  TaskId,
  TaskList,
  TaskPatch,
  ValidationProblem,
} from '@task-manager/contract';
import { SECURITY_SCHEMES, open, requires } from '../accounts/access.js';

/** The contract's schemas, as the document's components: written once, in services/contract. */
const schemas = {
  Task,
  TaskCreate,
  TaskPatch,
  TaskList,
  BulkRequest,
  BulkResult,
  Stats,
  Problem,
  ValidationProblem,
  StaleProblem,
  MissingProblem,
  User,
  UserList,
  UserCreate,
  UserPatch,
  LoginRequest,
  LoginResult,
  SessionResult,
  SignInMethods,
  OidcStart,
  OidcFinish,
  OidcSessionResult,
  PasswordChange,
  Token,
  TokenList,
  TokenCreate,
  TokenCreated,
  Activity,
  ActivityList,
};
type SchemaName = keyof typeof schemas;

const ref = (name: SchemaName) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: SchemaName) => ({ 'application/json': { schema: ref(name) } });
const problem = (description: string, schema: SchemaName = 'Problem') => ({ description, content: { 'application/problem+json': { schema: ref(schema) } } });
const taskId = { name: 'id', in: 'path', required: true, schema: TaskId };
const etagHeader = { ETag: { description: 'The task version, quoted; send it back in If-Match.', schema: { type: 'string' } } };
const ifMatch = {
  name: 'If-Match',
  in: 'header',
  required: false,
  description: 'Only act if the task is still at one of these versions (its ETag, such as "3"), or exists at all (`*`); otherwise 412.',
  schema: IfMatch,
};
const malformed = problem('Malformed JSON, or a malformed header');
const tooLarge = problem('Body too large');
const notJson = problem('Not JSON');
const invalid = problem('Invalid fields', 'ValidationProblem');
const userId = { name: 'id', in: 'path', required: true, schema: UserId };
const signInResponses = {
  400: malformed,
  401: problem('Wrong email or password'),
  403: problem('Sign-in with email and password is turned off (AUTH_PASSWORD_ENABLED=false)'),
  413: tooLarge,
  415: notJson,
  422: invalid,
  429: { ...problem('Too many failed sign-ins for this account or address'), headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } } },
};

/** The API's OpenAPI 3.1 description; the tests validate real responses against it, and a fuzzer requests generated from it. */
export const openApiDocument = {
  openapi: '3.1.0',
  info: { title: 'Task Manager API', version: '1.0.0', description:
      'Tasks stored in PostgreSQL. Errors are RFC 9457 problem details. Every operation but the open ones (`security: []`) needs a Bearer token or the session cookie; `x-required-role` names the least role it needs (viewer < member < admin).',
  },
  paths: {
    '/api/tasks': {
      get: requires('viewer', {
        operationId: 'listTasks',
        summary: 'List tasks, filtered and sorted, one keyset page at a time',
        parameters: [
          ...Object.entries(LIST_PARAMETERS).map(([name, parameter]) => ({
            name,
            in: 'query',
            schema: parameter.schema,
            description: parameter.description,
            ...(parameter.list ? { style: 'form', explode: false } : {}),
          })),
          {
            name: 'If-None-Match',
            in: 'header',
            required: false,
            schema: { type: 'string' },
            description: 'The ETag of a list this client holds: 304 while nothing in the database has changed since it was read.',
          },
        ],
        responses: {
          200: {
            description: 'A page of tasks',
            headers: { ETag: { description: 'Names the database state the list was read from; send it back in If-None-Match.', schema: { type: 'string' } } },
            content: json('TaskList'),
          },
          304: { description: 'The list named in If-None-Match is still current' },
          422: problem('Invalid query parameters', 'ValidationProblem'),
        },
      }),
      post: requires('member', {
        operationId: 'createTask',
        parameters: [
          {
            name: 'Idempotency-Key',
            in: 'header',
            required: false,
            schema: IdempotencyKey,
            description: `Retries with the same key create the task once and get the same answer (kept for 24 hours). 1 to ${LIMITS.idempotencyKey} visible ASCII characters.`,
          },
        ],
        requestBody: { required: true, content: json('TaskCreate') },
        responses: {
          201: {
            description: 'Created (or, with an Idempotency-Key seen before, the answer first given to it)',
            headers: { ...etagHeader, Location: { schema: { type: 'string' } } },
            content: json('Task'),
          },
          400: malformed,
          409: problem('The task first created with this Idempotency-Key has since been deleted'),
          413: tooLarge,
          415: notJson,
          422: problem('Invalid fields, an assignee who is not an active user, or an Idempotency-Key used before (by you) with another body', 'ValidationProblem'),
        },
      }),
    },
    '/api/tasks/{id}': {
      parameters: [taskId],
      get: requires('viewer', {
        operationId: 'getTask',
        responses: { 200: { description: 'The task', headers: etagHeader, content: json('Task') }, 404: problem('No such task') },
      }),
      patch: requires('member', {
        operationId: 'updateTask',
        parameters: [ifMatch],
        requestBody: { required: true, content: json('TaskPatch') },
        responses: {
          200: { description: 'Updated', headers: etagHeader, content: json('Task') },
          400: malformed,
          404: problem('No such task'),
          412: problem('The task changed since it was read; `current` holds it now', 'StaleProblem'),
          413: tooLarge,
          415: notJson,
          422: invalid,
        },
      }),
      delete: requires('member', {
        operationId: 'deleteTask',
        parameters: [ifMatch],
        responses: { 204: { description: 'Deleted' }, 400: malformed, 404: problem('No such task'), 412: problem('Stale version', 'StaleProblem') },
      }),
    },
    '/api/tasks/{id}/activity': {
      parameters: [taskId],
      get: requires('viewer', {
        operationId: 'taskActivity',
        summary: "The task's history, oldest first: who, when, and each field's old and new value",
        responses: { 200: { description: 'The history', content: json('ActivityList') }, 404: problem('No such task') },
      }),
    },
    '/api/tasks/bulk': {
      post: requires('member', {
        operationId: 'bulkTasks',
        summary: `Update or delete up to ${LIMITS.bulkIds} tasks in one transaction: all or nothing`,
        requestBody: { required: true, content: json('BulkRequest') },
        responses: {
          200: { description: 'Done', content: json('BulkResult') },
          400: malformed,
          404: problem('Some ids do not exist; nothing changed', 'MissingProblem'),
          413: tooLarge,
          415: notJson,
          422: problem('Invalid request', 'ValidationProblem'),
        },
      }),
    },
    '/api/stats': {
      get: requires('viewer', {
        operationId: 'taskStats',
        description: 'Counts of every task by status and by priority, exact as of the last committed write; overdue counts the tasks not done whose dueDate is before today in UTC.',
        responses: { 200: { description: 'Counts', content: json('Stats') } },
      }),
    },
    '/api/login': {
      post: open({
        operationId: 'login',
        summary: 'Sign in for a token (for scripts and API clients); it lasts the absolute session lifetime',
        requestBody: { required: true, content: json('LoginRequest') },
        responses: { 200: { description: 'Signed in', content: json('LoginResult') }, ...signInResponses },
      }),
    },
    '/api/sessions': {
      post: open({
        operationId: 'createSession',
        summary: 'Sign in for a UI session (the frontend sets its token as the tm_sid cookie); idle timeout and absolute lifetime',
        requestBody: { required: true, content: json('LoginRequest') },
        responses: { 201: { description: 'Signed in', content: json('SessionResult') }, ...signInResponses },
      }),
    },
    '/api/sign-in-methods': {
      get: open({
        operationId: 'signInMethods',
        summary: 'How one may sign in here: email and password, an identity provider (its name), or both',
        responses: { 200: { description: 'The methods', content: json('SignInMethods') } },
      }),
    },
    '/api/sessions/oidc/start': {
      post: open({
        operationId: 'startOidcSignIn',
        summary: 'Begin a sign-in at the identity provider: the authorization URL (PKCE, state, nonce) and the values to keep until the provider answers',
        responses: {
          200: { description: 'Begun', content: json('OidcStart') },
          404: problem('No identity provider is configured'),
          503: problem('The provider cannot be reached or did not answer in time'),
        },
      }),
    },
    '/api/sessions/oidc': {
      post: open({
        operationId: 'finishOidcSignIn',
        summary: "Finish a sign-in at the identity provider: the code is exchanged and the ID token verified here; the first sign-in creates the user, every one sets the role from the provider's claim",
        requestBody: { required: true, content: json('OidcFinish') },
        responses: {
          201: { description: 'Signed in', content: json('OidcSessionResult') },
          400: problem('Malformed, or the answer belongs to another sign-in (state)'),
          401: problem('The provider refused, the code was used already or expired, or the ID token failed verification'),
          403: problem('The user is deactivated here, or the provider\'s claims map to no role or are not allowed'),
          404: problem('No identity provider is configured'),
          409: problem('A user with this email exists already and is not linked to the provider'),
          413: tooLarge,
          502: problem("The provider refused this application's client credentials (a setting to fix)"),
          415: notJson,
          422: problem('Invalid request', 'ValidationProblem'),
          503: problem('The provider cannot be reached or did not answer in time'),
        },
      }),
    },
    '/api/logout': {
      post: requires('viewer', { operationId: 'logout', summary: 'Revoke the token or session presented', responses: { 204: { description: 'Signed out' } } }, { temporaryPassword: true }),
    },
    '/api/me': {
      get: requires('viewer', { operationId: 'me', responses: { 200: { description: 'Who you are', content: json('User') } } }, { temporaryPassword: true }),
    },
    '/api/me/password': {
      post: requires(
        'viewer',
        {
          operationId: 'changePassword',
          summary: 'Change your password (your other sessions and login tokens are revoked; personal access tokens stay)',
          requestBody: { required: true, content: json('PasswordChange') },
          responses: { 204: { description: 'Changed' }, 400: malformed, 413: tooLarge, 415: notJson, 422: problem('Invalid fields, or a wrong current password', 'ValidationProblem') },
        },
        { temporaryPassword: true },
      ),
    },
    '/api/me/sessions': {
      delete: requires(
        'viewer',
        { operationId: 'signOutEverywhere', summary: 'Revoke all your sessions and login tokens, this one included (personal access tokens stay)', responses: { 204: { description: 'Signed out everywhere' } } },
        { temporaryPassword: true },
      ),
    },
    '/api/users': {
      get: requires('viewer', { operationId: 'listUsers', summary: 'Everyone, active or not (the assignee picker offers the active ones)', responses: { 200: { description: 'The users', content: json('UserList') } } }),
      post: requires('admin', {
        operationId: 'createUser',
        requestBody: { required: true, content: json('UserCreate') },
        responses: {
          201: { description: 'Created', headers: { Location: { schema: { type: 'string' } } }, content: json('User') },
          400: malformed,
          409: problem('A user has this email already (compared without regard to case)'),
          413: tooLarge,
          415: notJson,
          422: invalid,
        },
      }),
    },
    '/api/users/{id}': {
      parameters: [userId],
      patch: requires('admin', {
        operationId: 'updateUser',
        summary: 'Change a display name, role or active flag, or set a temporary password; deactivating revokes every session and token of the user',
        requestBody: { required: true, content: json('UserPatch') },
        responses: {
          200: { description: 'Updated', content: json('User') },
          400: malformed,
          404: problem('No such user'),
          409: problem('The last active admin cannot be demoted or deactivated'),
          413: tooLarge,
          415: notJson,
          422: invalid,
        },
      }),
    },
    '/api/tokens': {
      get: requires('viewer', { operationId: 'listTokens', summary: 'Your personal access tokens', responses: { 200: { description: 'Your tokens', content: json('TokenList') } } }),
      post: requires('viewer', {
        operationId: 'createToken',
        summary: 'A personal access token for scripts; the token is in this answer only',
        requestBody: { required: true, content: json('TokenCreate') },
        responses: {
          201: { description: 'Created', headers: { Location: { schema: { type: 'string' } } }, content: json('TokenCreated') },
          400: malformed,
          413: tooLarge,
          415: notJson,
          422: problem('Invalid fields, or an expiresAt in the past', 'ValidationProblem'),
        },
      }),
    },
    '/api/tokens/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
      delete: requires('viewer', { operationId: 'revokeToken', responses: { 204: { description: 'Revoked' }, 404: problem('You have no token with this id') } }),
    },
    '/livez': { get: { operationId: 'livez', security: [], responses: { 200: { description: 'The process answers' } } } },
    '/readyz': {
      get: {
        operationId: 'readyz',
        security: [],
        responses: { 200: { description: 'Database reachable and migrated' }, 503: { description: 'Not ready, or draining' } },
      },
    },
  },
  components: { schemas, securitySchemes: SECURITY_SCHEMES },
  security: [{ bearer: [] }, { session: [] }],
} as const;
