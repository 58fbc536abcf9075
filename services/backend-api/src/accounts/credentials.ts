/**
 * Who presents a token: the credentials table, and a short in-process cache of the answers in
 * front of it. Every revocation (sign-out, deactivation, role or password change) is announced
 * with NOTIFY on one channel, and every replica LISTENs on it and drops what it cached, usually
 * within a millisecond. Delivery has no upper bound, though (a replica's event loop or its
 * listening connection may lag), so the guarantee is a second rule: an entry is trusted for
 * CACHE_TTL_MS only, and a revocation answers only once that long has passed since it committed.
 * By then no replica holds an entry read before the revocation, so the very next request
 * anywhere is refused, whether or not the notification has arrived.
 */
import type { Role } from '@task-manager/contract';
import type { Database, Queryable } from '../db.js';
import { newToken, tokenHash } from './secrets.js';

export type CredentialKind = 'session' | 'login' | 'personal';

export interface Principal {
  userId: string;
  role: Role;
  mustChangePassword: boolean;
  credentialId: string;
  kind: CredentialKind;
}

interface Entry {
  principal: Principal;
  /** Epoch milliseconds; the cache answers only until then. */
  freshUntil: number;
  expiresAt: number | null;
  idleTimeoutMs: number | null;
  lastUsedAt: number;
}

const CHANNEL = 'task_manager_credentials';
/** Long enough to spare the database a lookup per request under load, short enough to wait for on sign-out. */
export const CACHE_TTL_MS = 500;
const CACHE_MAX_ENTRIES = 10_000;
/** last_used_at moves at most this often: idle timeouts are minutes, and a write per request would cost the list its speed. */
export const TOUCH_INTERVAL_MS = 60_000;

interface CredentialRow {
  userId: string;
  role: Role;
  mustChangePassword: boolean;
  credentialId: string;
  kind: CredentialKind;
  expiresAt: number | null;
  idleTimeoutMs: number | null;
  lastUsedAt: number;
}

export class Credentials {
  private readonly cache = new Map<string, Entry>();
  private listening = false;

  constructor(private readonly db: Database) {}

  /** Subscribes to revocations; until it has, every request asks the database. */
  async listen(): Promise<void> {
    await this.db.sql.listen(
      CHANNEL,
      (payload) => this.forget(payload),
      () => {
        // Also called after a reconnect, when notifications may have been missed meanwhile.
        this.cache.clear();
        this.listening = true;
      },
    );
  }

  private forget(payload: string): void {
    const [scope, id] = [payload.slice(0, payload.indexOf(':')), payload.slice(payload.indexOf(':') + 1)];
    for (const [key, entry] of this.cache) {
      if ((scope === 'user' && entry.principal.userId === id) || (scope === 'credential' && entry.principal.credentialId === id)) this.cache.delete(key);
    }
  }

  /**
   * The principal of a token verified within CACHE_TTL_MS, when its use needs no write either
   * (last_used_at is recent): known without waiting. Otherwise undefined, and verify() decides.
   */
  cached(token: string): Principal | undefined {
    const now = Date.now();
    const hit = this.cache.get(tokenHash(token).toString('base64'));
    return hit && this.trusts(hit, now) && now - hit.lastUsedAt < TOUCH_INTERVAL_MS ? hit.principal : undefined;
  }

  private trusts(entry: Entry, now: number): boolean {
    return this.listening && now < entry.freshUntil && live(entry, now);
  }

  /** The principal a token stands for, or undefined when it is unknown, expired, idle too long or its user deactivated. */
  async verify(token: string): Promise<Principal | undefined> {
    const hash = tokenHash(token);
    const key = hash.toString('base64');
    const now = Date.now();
    const hit = this.cache.get(key);
    if (hit && this.trusts(hit, now)) {
      if (now - hit.lastUsedAt >= TOUCH_INTERVAL_MS) {
        await this.touch(hit.principal.credentialId);
        hit.lastUsedAt = now;
      }
      return hit.principal;
    }
    this.cache.delete(key);
    const [row] = await this.db.run('auth.verify', (sql) => sql<CredentialRow[]>`
      select u.id as "userId", u.role, u.must_change_password as "mustChangePassword", c.id as "credentialId", c.kind,
             (extract(epoch from c.expires_at) * 1000)::float8 as "expiresAt",
             (extract(epoch from c.idle_timeout) * 1000)::float8 as "idleTimeoutMs",
             (extract(epoch from coalesce(c.last_used_at, c.created_at)) * 1000)::float8 as "lastUsedAt"
      from credentials c join users u on u.id = c.user_id
      where c.token_hash = ${hash} and u.active
        and (c.expires_at is null or c.expires_at > now())
        and (c.idle_timeout is null or coalesce(c.last_used_at, c.created_at) + c.idle_timeout > now())`, 'repeatable');
    if (!row) return undefined;
    const principal: Principal = { userId: row.userId, role: row.role, mustChangePassword: row.mustChangePassword, credentialId: row.credentialId, kind: row.kind };
    let lastUsedAt = row.lastUsedAt;
    if (now - lastUsedAt >= TOUCH_INTERVAL_MS) {
      await this.touch(row.credentialId);
      lastUsedAt = now;
    }
    if (this.listening) {
      if (this.cache.size >= CACHE_MAX_ENTRIES) this.cache.clear();
      this.cache.set(key, { principal, freshUntil: now + CACHE_TTL_MS, expiresAt: row.expiresAt, idleTimeoutMs: row.idleTimeoutMs, lastUsedAt });
    }
    return principal;
  }

  private touch(credentialId: string): Promise<unknown> {
    return this.db.run('auth.touch', (sql) => sql`update credentials set last_used_at = now() where id = ${credentialId}::uuid`, 'repeatable');
  }

  /**
   * Runs `revoke` (which deletes credential rows or changes a user) in a transaction that
   * announces `payloads` on commit; once anything was announced, answers only after
   * CACHE_TTL_MS, when no replica trusts an entry read before the commit any more.
   */
  async announce<T>(name: string, payloads: (result: T) => string[], revoke: (tx: Queryable) => Promise<T>): Promise<T> {
    let announced = false;
    const result = (await this.db.run(name, (sql) =>
      sql.begin(async (tx) => {
        const value = await revoke(tx);
        for (const payload of payloads(value)) {
          await tx`select pg_notify(${CHANNEL}, ${payload})`;
          announced = true;
        }
        return value;
      }),
    )) as T;
    if (announced) await new Promise((resolve) => setTimeout(resolve, CACHE_TTL_MS + 5));
    return result;
  }

  /** A new credential for the user; the token is returned once and only its hash kept. */
  async issue(
    tx: Queryable,
    userId: string,
    kind: CredentialKind,
    options: { name?: string; expiresAt?: string | null; lifetimeHours?: number; idleTimeoutMinutes?: number },
  ): Promise<{ token: string; id: string; createdAt: string; expiresAt: string | null }> {
    const token = newToken();
    const [row] = await tx<{ id: string; createdAt: string; expiresAt: string | null }[]>`
      insert into credentials (user_id, kind, token_hash, name, expires_at, idle_timeout)
      values (${userId}::uuid, ${kind}::credential_kind, ${tokenHash(token)}, ${options.name ?? null},
              coalesce(${options.expiresAt ?? null}::timestamptz, now() + make_interval(hours => ${options.lifetimeHours ?? null}::int)),
              make_interval(mins => ${options.idleTimeoutMinutes ?? null}::int))
      returning id, created_at as "createdAt", expires_at as "expiresAt"`;
    return { token, ...row! };
  }
}

function live(entry: Entry, now: number): boolean {
  return (entry.expiresAt === null || now < entry.expiresAt) && (entry.idleTimeoutMs === null || now < entry.lastUsedAt + entry.idleTimeoutMs);
}

export const userPayload = (userId: string) => `user:${userId}`;
export const credentialPayload = (credentialId: string) => `credential:${credentialId}`;
