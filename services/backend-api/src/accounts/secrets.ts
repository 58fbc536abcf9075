/**
 * Passwords and tokens. Passwords are hashed with Argon2id at OWASP's recommended minimum
 * (m=19456 KiB, t=2, p=1); tokens are 256 random bits, stored only as their SHA-256.
 */
import { createHmac, hash as digestOf, randomBytes, timingSafeEqual } from 'node:crypto';
import { TOKEN_PATTERN } from '@task-manager/contract';
import { hash, verify, type Algorithm } from '@node-rs/argon2';

// Algorithm.Argon2id: the enum is a const enum, which isolated modules cannot read.
const ARGON2ID = 2 as Algorithm;
export const ARGON2_OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const hashPassword = (password: string) => hash(password, ARGON2_OPTIONS);

/** A hash of no one's password: an unknown email is checked against it, so it costs what a wrong password costs. */
let dummyHash: Promise<string> | undefined;

/** Whether the password matches; with no stored hash (unknown email) the same work is done and the answer is no. */
export async function checkPassword(stored: string | undefined, password: string): Promise<boolean> {
  dummyHash ??= hashPassword(randomBytes(32).toString('base64url'));
  const matches = await verify(stored ?? (await dummyHash), password);
  return stored !== undefined && matches;
}

const TOKEN = new RegExp(TOKEN_PATTERN);

export function newToken(): string {
  return `tm_${randomBytes(32).toString('base64url')}`;
}

export function isTokenShaped(value: string): boolean {
  return TOKEN.test(value);
}

/** Every authenticated request hashes its token: the one-shot digest costs a fraction of a Hash object's setup. */
export function tokenHash(token: string): Buffer {
  return digestOf('sha256', token, 'buffer');
}

/** Derived from the session token, so nothing more is stored and only its holder can know it. */
export function csrfTokenOf(token: string): string {
  return createHmac('sha256', token).update('csrf').digest('base64url');
}

export function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
