/** Sign-in, sign-out, the caller's own account and tokens, and the admins' user management. */
import {
  type LoginRequest as Login,
  type OidcFinish as OidcFinishBody,
  type PasswordChange as PasswordChangeBody,
  type TokenCreate as TokenCreateBody,
  type UserCreate as UserCreateBody,
  type UserPatch as UserPatchBody,
} from '@task-manager/contract';
import { HttpProblem, type Metrics } from '@task-manager/kit';
import { Router, type Request, type Response } from 'express';
import validators from '#validators';
import { Counter } from 'prom-client';
import type { AuthSettings } from '../config.js';
import type { Database, Queryable } from '../db.js';
import { checker, isUuid } from '../tasks/validate.js';
import { credentialPayload, userPayload, type Credentials, type Principal } from './credentials.js';
import type { OidcSignIn } from './oidc.js';
import { checkPassword, csrfTokenOf, hashPassword } from './secrets.js';

const UNKNOWN = 'is not a known field';
const checkLogin = checker<Login>(validators.LoginRequest, UNKNOWN);
const checkPasswordChange = checker<PasswordChangeBody>(validators.PasswordChange, UNKNOWN);
const checkUserCreate = checker<UserCreateBody>(validators.UserCreate, UNKNOWN);
const checkUserPatch = checker<UserPatchBody>(validators.UserPatch, UNKNOWN);
const checkTokenCreate = checker<TokenCreateBody>(validators.TokenCreate, UNKNOWN);
const checkOidcFinish = checker<OidcFinishBody>(validators.OidcFinish, UNKNOWN);

export const WRONG_CREDENTIALS = 'Wrong email or password.';

const userJson = (sql: Queryable) => sql`json_build_object(
  'id', id, 'email', email, 'displayName', display_name, 'role', role, 'active', active,
  'mustChangePassword', must_change_password, 'createdAt', created_at, 'updatedAt', updated_at)::text`;
const tokenJson = (sql: Queryable) => sql`json_build_object(
  'id', id, 'name', name, 'createdAt', created_at, 'expiresAt', expires_at, 'lastUsedAt', last_used_at)`;

function requireJson(req: Request): void {
  if (!req.is('application/json')) throw HttpProblem.of(415, 'Send the request body as JSON with Content-Type: application/json.');
}

const sendJsonText = (res: Response, status: number, text: string) => res.status(status).type('application/json').send(text);
const principalOf = (req: Request): Principal => req.principal!;
const unprocessable = (field: string, detail: string) => HttpProblem.of(422, `${field} ${detail}`, { errors: [{ field, detail }] });

export function accountsRouter(db: Database, credentials: Credentials, settings: AuthSettings, metrics: Metrics, oidc?: OidcSignIn): Router {
  const router = Router();
  const signIns = new Counter({
    name: 'auth_sign_ins_total',
    help: 'Sign-in attempts by outcome: success, failure (wrong email or password) or throttled.',
    labelNames: ['outcome'],
    registers: [metrics.registry],
  });
  const oidcSignIns = new Counter({
    name: 'auth_oidc_sign_ins_total',
    help: 'Sign-ins through the identity provider by outcome: success, or why it was refused (provider_unavailable, code_rejected, token_invalid, deactivated, no_role, ...).',
    labelNames: ['outcome'],
    registers: [metrics.registry],
  });
  const window = settings.failureWindowMinutes;

  /** Seconds until the oldest failure in the window ages out, if a scope has reached its limit. */
  async function throttled(scopes: [string, number][]): Promise<number | undefined> {
    const rows = await db.run('auth.throttle', (sql) => sql<{ scope: string; failures: number; wait: number }[]>`
      select scope, count(*)::int as failures,
             ceil(extract(epoch from min(at) + make_interval(mins => ${window}::int) - now()))::int as wait
      from sign_in_failures
      where scope = any(${scopes.map(([scope]) => scope)}::text[]) and at > now() - make_interval(mins => ${window}::int)
      group by scope`, 'repeatable');
    const waits = rows.filter((row) => row.failures >= scopes.find(([scope]) => scope === row.scope)![1]).map((row) => Math.max(1, row.wait));
    return waits.length ? Math.max(...waits) : undefined;
  }

  /** Checks email and password with throttling; the same answer, in about the same time, for an unknown email and a wrong password. */
  async function signIn(req: Request, res: Response): Promise<string> {
    if (!settings.passwordEnabled) throw HttpProblem.of(403, `Sign-in with email and password is turned off here; sign in with ${oidc?.settings.providerName}.`);
    requireJson(req);
    const { email, password } = checkLogin(req.body);
    const account = `account:${email.trim().toLowerCase()}`;
    const address = `address:${req.ip ?? 'unknown'}`;
    const wait = await throttled([
      [account, settings.maxFailuresPerAccount],
      [address, settings.maxFailuresPerAddress],
    ]);
    if (wait !== undefined) {
      signIns.inc({ outcome: 'throttled' });
      req.log.warn({ outcome: 'throttled', address: req.ip }, 'sign-in throttled');
      res.set('Retry-After', String(wait));
      throw HttpProblem.of(429, `Too many failed sign-ins; try again in ${wait} seconds.`);
    }
    const [user] = await db.run('auth.find_user', (sql) => sql<{ id: string; passwordHash: string | null }[]>`
      select id, password_hash as "passwordHash" from users where lower(email) = ${email.trim().toLowerCase()} and active`, 'repeatable');
    // A user from the identity provider has no password: checked like an unknown email.
    if (!(await checkPassword(user?.passwordHash ?? undefined, password))) {
      await db.run('auth.record_failure', (sql) => sql`
        with pruned as (delete from sign_in_failures where at < now() - make_interval(mins => ${window}::int))
        insert into sign_in_failures (scope) values (${account}), (${address})`);
      signIns.inc({ outcome: 'failure' });
      req.log.info({ outcome: 'failure', address: req.ip }, 'sign-in failed');
      throw HttpProblem.of(401, WRONG_CREDENTIALS);
    }
    await db.run('auth.clear_failures', (sql) => sql`delete from sign_in_failures where scope = ${account}`);
    signIns.inc({ outcome: 'success' });
    req.log.info({ outcome: 'success', userId: user!.id, address: req.ip }, 'sign-in succeeded');
    return user!.id;
  }

  router.post('/login', async (req, res) => {
    const userId = await signIn(req, res);
    const issued = await db.run('auth.issue_login', (sql) => credentials.issue(sql, userId, 'login', { lifetimeHours: settings.sessionAbsoluteLifetimeHours }));
    res.json({ token: issued.token, expiresAt: issued.expiresAt });
  });

  /** A UI session for the user, and the body of its SessionResult (the user as JSON text) but for the closing brace. */
  async function issueSession(sql: Queryable, userId: string): Promise<{ body: string }> {
    const [issued, user] = await Promise.all([
      credentials.issue(sql, userId, 'session', {
        lifetimeHours: settings.sessionAbsoluteLifetimeHours,
        idleTimeoutMinutes: settings.sessionIdleTimeoutMinutes,
      }),
      sql<{ user: string }[]>`select ${userJson(sql)} as user from users where id = ${userId}::uuid`,
    ]);
    return { body: `{"token":${JSON.stringify(issued.token)},"csrfToken":${JSON.stringify(csrfTokenOf(issued.token))},"expiresAt":${JSON.stringify(issued.expiresAt)},"user":${user[0]!.user}` };
  }

  router.post('/sessions', async (req, res) => {
    const userId = await signIn(req, res);
    const { body } = await db.run('auth.issue_session', (sql) => issueSession(sql, userId));
    sendJsonText(res, 201, `${body}}`);
  });

  router.get('/sign-in-methods', (_req, res) => {
    res.json({ password: settings.passwordEnabled, oidc: oidc ? { providerName: oidc.settings.providerName } : null });
  });

  const notConfigured = () => HttpProblem.of(404, 'Sign-in with an identity provider is not configured here.');
  router.post('/sessions/oidc/start', async (_req, res) => {
    if (!oidc) throw notConfigured();
    res.set('Cache-Control', 'no-store').json(await oidc.start());
  });

  router.post('/sessions/oidc', async (req, res) => {
    if (!oidc) throw notConfigured();
    requireJson(req);
    const input = checkOidcFinish(req.body);
    try {
      const { body, userId, endSessionUrl } = await oidc.finish(input, issueSession);
      oidcSignIns.inc({ outcome: 'success' });
      req.log.info({ outcome: 'success', userId, method: 'oidc', address: req.ip }, 'sign-in succeeded');
      sendJsonText(res, 201, `${body},"endSessionUrl":${JSON.stringify(endSessionUrl)}}`);
    } catch (error) {
      const reason = error instanceof HttpProblem ? String(error.extensions.reason ?? 'invalid') : 'error';
      oidcSignIns.inc({ outcome: reason });
      req.log.info({ outcome: reason, method: 'oidc', address: req.ip }, 'sign-in refused');
      throw error;
    }
  });

  router.post('/logout', async (req, res) => {
    const { credentialId } = principalOf(req);
    await credentials.announce('auth.logout', () => [credentialPayload(credentialId)], (tx) => tx`delete from credentials where id = ${credentialId}::uuid`);
    res.status(204).end();
  });

  router.get('/me', async (req, res) => {
    const [row] = await db.run('users.me', (sql) => sql<{ user: string }[]>`select ${userJson(sql)} as user from users where id = ${principalOf(req).userId}::uuid`, 'repeatable');
    sendJsonText(res, 200, row!.user);
  });

  router.post('/me/password', async (req, res) => {
    requireJson(req);
    const { currentPassword, newPassword } = checkPasswordChange(req.body);
    const { userId, credentialId } = principalOf(req);
    const [user] = await db.run('users.password_hash', (sql) => sql<{ passwordHash: string | null }[]>`select password_hash as "passwordHash" from users where id = ${userId}::uuid`, 'repeatable');
    if (!(await checkPassword(user?.passwordHash ?? undefined, currentPassword))) throw unprocessable('currentPassword', 'is not your current password');
    const hash = await hashPassword(newPassword);
    await credentials.announce('users.change_password', () => [userPayload(userId)], async (tx) => {
      await tx`update users set password_hash = ${hash}, must_change_password = false, updated_at = clock_timestamp() where id = ${userId}::uuid`;
      await tx`delete from credentials where user_id = ${userId}::uuid and kind <> 'personal' and id <> ${credentialId}::uuid`;
    });
    res.status(204).end();
  });

  router.delete('/me/sessions', async (req, res) => {
    const { userId } = principalOf(req);
    await credentials.announce('auth.logout_everywhere', () => [userPayload(userId)], (tx) => tx`delete from credentials where user_id = ${userId}::uuid and kind <> 'personal'`);
    res.status(204).end();
  });

  router.get('/users', async (_req, res) => {
    const [row] = await db.run('users.list', (sql) => sql<{ list: string }[]>`
      select coalesce(string_agg(${userJson(sql)}, ',' order by lower(display_name), id), '') as list from users`, 'repeatable');
    sendJsonText(res, 200, `{"items":[${row!.list}]}`);
  });

  router.post('/users', async (req, res) => {
    requireJson(req);
    const input = checkUserCreate(req.body);
    const hash = await hashPassword(input.password);
    const [row] = await db.run('users.create', (sql) => sql<{ id: string; user: string }[]>`
      insert into users (email, display_name, role, password_hash)
      values (${input.email.trim()}, ${input.displayName.trim()}, ${input.role}::user_role, ${hash})
      on conflict ((lower(email))) do nothing
      returning id, ${userJson(sql)} as user`);
    if (!row) throw HttpProblem.of(409, `A user with the email ${input.email.trim()} exists already.`);
    res.location(`/api/users/${row.id}`);
    sendJsonText(res, 201, row.user);
  });

  router.patch('/users/:id', async (req, res) => {
    const id = String(req.params.id);
    if (!isUuid(id)) throw HttpProblem.of(404, `No user with id ${id}.`);
    requireJson(req);
    const patch = checkUserPatch(req.body);
    const hash = patch.password === undefined ? null : await hashPassword(patch.password);
    const revokes = patch.role !== undefined || patch.active !== undefined || hash !== null;
    const outcome = await credentials.announce<{ user?: string; lastAdmin?: boolean }>(
      'users.update',
      (result) => (result.user && revokes ? [userPayload(id)] : []),
      async (tx) => {
        // One admin change at a time, so two demotions cannot each leave the other as the last admin.
        await tx`select pg_advisory_xact_lock(hashtextextended('task_manager.users', 0))`;
        const [current] = await tx<{ role: string; active: boolean }[]>`select role, active from users where id = ${id}::uuid for update`;
        if (!current) return {};
        const losesAdmin = current.role === 'admin' && current.active && ((patch.role !== undefined && patch.role !== 'admin') || patch.active === false);
        if (losesAdmin) {
          const [others] = await tx<{ count: number }[]>`select count(*)::int as count from users where role = 'admin' and active and id <> ${id}::uuid`;
          if (others!.count === 0) return { lastAdmin: true };
        }
        const [row] = await tx<{ user: string }[]>`
          update users set
            display_name = coalesce(${patch.displayName?.trim() ?? null}, display_name),
            role = coalesce(${patch.role ?? null}::user_role, role),
            active = coalesce(${patch.active ?? null}::boolean, active),
            password_hash = coalesce(${hash}, password_hash),
            must_change_password = must_change_password or ${hash !== null},
            updated_at = clock_timestamp()
          where id = ${id}::uuid
          returning ${userJson(tx)} as user`;
        if (patch.active === false) await tx`delete from credentials where user_id = ${id}::uuid`;
        else if (hash !== null) await tx`delete from credentials where user_id = ${id}::uuid and kind <> 'personal'`;
        return { user: row!.user };
      },
    );
    if (outcome.lastAdmin) throw HttpProblem.of(409, 'This is the last active admin: make another user admin first.');
    if (!outcome.user) throw HttpProblem.of(404, `No user with id ${id}.`);
    sendJsonText(res, 200, outcome.user);
  });

  router.get('/tokens', async (req, res) => {
    const [row] = await db.run('tokens.list', (sql) => sql<{ list: string }[]>`
      select coalesce(string_agg(${tokenJson(sql)}::text, ',' order by created_at, id), '') as list
      from credentials where user_id = ${principalOf(req).userId}::uuid and kind = 'personal'`, 'repeatable');
    sendJsonText(res, 200, `{"items":[${row!.list}]}`);
  });

  router.post('/tokens', async (req, res) => {
    requireJson(req);
    const input = checkTokenCreate(req.body);
    if (input.expiresAt !== undefined && !(Date.parse(input.expiresAt) > Date.now())) throw unprocessable('expiresAt', 'must lie in the future');
    const { userId } = principalOf(req);
    const created = await db.run('tokens.create', async (sql) => {
      const issued = await credentials.issue(sql, userId, 'personal', { name: input.name.trim(), expiresAt: input.expiresAt ?? null });
      const [row] = await sql<{ json: string }[]>`select (${tokenJson(sql)}::jsonb || jsonb_build_object('token', ${issued.token}::text))::text as json from credentials where id = ${issued.id}::uuid`;
      return { id: issued.id, json: row!.json };
    });
    res.location(`/api/tokens/${created.id}`);
    sendJsonText(res, 201, created.json);
  });

  router.delete('/tokens/:id', async (req, res) => {
    const id = String(req.params.id);
    const { userId } = principalOf(req);
    const deleted = isUuid(id)
      ? await credentials.announce<number>('tokens.revoke', (count) => (count ? [credentialPayload(id)] : []), async (tx) =>
          (await tx`delete from credentials where id = ${id}::uuid and user_id = ${userId}::uuid and kind = 'personal'`).count)
      : 0;
    if (!deleted) throw HttpProblem.of(404, `You have no token with id ${id}.`);
    res.status(204).end();
  });

  return router;
}

/**
 * ADMIN_EMAIL/ADMIN_PASSWORD: creates the admin when no user has that email (the first start,
 * or after the account was lost), never changes an existing one. Replicas starting together
 * race on the email's unique index, so exactly one inserts.
 */
export async function ensureAdmin(db: Database, admin: { email: string; password: string }): Promise<boolean> {
  const [existing] = await db.sql`select 1 from users where lower(email) = ${admin.email.toLowerCase()}`;
  if (existing) return false;
  const hash = await hashPassword(admin.password);
  const rows = await db.sql`
    insert into users (email, display_name, role, password_hash) values (${admin.email}, 'Admin', 'admin', ${hash})
    on conflict ((lower(email))) do nothing returning id`;
  if (rows.length === 0) return false;
  // Autovacuum never analyzes a table this small; without statistics the planner hashes the
  // list's page to join users to it, rather than hashing the few users (a slower list).
  await db.sql`analyze users`;
  return true;
}
