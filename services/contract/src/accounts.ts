import { Type, type Static } from '@sinclair/typebox';
import { text } from './text.js';

/** In rank order: each role may do everything the roles before it may. */
export const ROLES = ['viewer', 'member', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const ROLE_LABELS: Readonly<Record<Role, string>> = { viewer: 'Viewer', member: 'Member', admin: 'Admin' };

/** The cookie that carries a UI session's opaque token (set by the frontend, verified by the backend). */
export const SESSION_COOKIE = 'tm_sid';
/** With the session cookie, unsafe methods must also send this header holding the session's csrfToken. */
export const CSRF_HEADER = 'x-csrf-token';

/** Long enough to resist guessing; the upper bound keeps the cost of hashing one attempt bounded. */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 1024;
export const ACCOUNT_LIMITS = { email: 254, displayName: 100, tokenName: 100 } as const;

/** Every token the API issues: `tm_` and 32 random bytes in base64url (256 bits). */
export const TOKEN_PATTERN = '^tm_[A-Za-z0-9_-]{43}$';

const closed = { additionalProperties: false } as const;
const choice = <T extends string>(values: readonly T[]) => Type.Unsafe<T>({ type: 'string', enum: [...values] });

export const UserId = Type.String({ format: 'uuid' });
/** Something, an @, something: deliverability is the admin's business, uniqueness (case-insensitive) the server's. */
export const Email = Type.String({
  pattern: '^[^@ \\t\\r\\n\\u0000]{1,200}@[^@ \\t\\r\\n\\u0000]{1,200}$',
  maxLength: ACCOUNT_LIMITS.email,
  description: `An address with one @, up to ${ACCOUNT_LIMITS.email} characters; compared without regard to case.`,
});
export const DisplayName = text({ max: ACCOUNT_LIMITS.displayName, min: 1, trim: true, commas: true }, `Trimmed; 1–${ACCOUNT_LIMITS.displayName} characters.`);
export const NewPassword = Type.String({
  minLength: PASSWORD_MIN_LENGTH,
  maxLength: PASSWORD_MAX_LENGTH,
  description: `${PASSWORD_MIN_LENGTH}–${PASSWORD_MAX_LENGTH} characters.`,
});
/** A password offered at sign-in: not held to today's rule, only bounded. */
const OfferedPassword = Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH });
const DateTime = Type.String({ format: 'date-time' });

export const User = Type.Object(
  {
    id: UserId,
    email: Type.String(),
    displayName: Type.String(),
    role: choice(ROLES),
    active: Type.Boolean(),
    mustChangePassword: Type.Boolean(),
    createdAt: DateTime,
    updatedAt: DateTime,
  },
  closed,
);
export type User = Static<typeof User>;
export const UserList = Type.Object({ items: Type.Array(User) }, closed);
export type UserList = Static<typeof UserList>;

export const UserCreate = Type.Object({ email: Email, displayName: DisplayName, role: choice(ROLES), password: NewPassword }, closed);
export type UserCreate = Static<typeof UserCreate>;
/** `password` sets a temporary one: the user must change it at the next sign-in. */
export const UserPatch = Type.Object(
  {
    displayName: Type.Optional(DisplayName),
    role: Type.Optional(choice(ROLES)),
    active: Type.Optional(Type.Boolean()),
    password: Type.Optional(NewPassword),
  },
  { ...closed, minProperties: 1 },
);
export type UserPatch = Static<typeof UserPatch>;

/** Any text without NUL, which PostgreSQL text cannot hold. */
export const NO_NUL_PATTERN = '^[^\\u0000]*$';
/** Any email is checked (an unknown one is refused like a wrong password); PostgreSQL text cannot hold NUL. */
export const LoginRequest = Type.Object({ email: Type.String({ maxLength: ACCOUNT_LIMITS.email, pattern: NO_NUL_PATTERN }), password: OfferedPassword }, closed);
export type LoginRequest = Static<typeof LoginRequest>;
export const LoginResult = Type.Object({ token: Type.String({ pattern: TOKEN_PATTERN }), expiresAt: DateTime }, closed);
export type LoginResult = Static<typeof LoginResult>;
export const SessionResult = Type.Object({ token: Type.String({ pattern: TOKEN_PATTERN }), csrfToken: Type.String(), expiresAt: DateTime, user: User }, closed);
export type SessionResult = Static<typeof SessionResult>;

export const PasswordChange = Type.Object({ currentPassword: OfferedPassword, newPassword: NewPassword }, closed);
export type PasswordChange = Static<typeof PasswordChange>;

export const TokenName = text({ max: ACCOUNT_LIMITS.tokenName, min: 1, trim: true, commas: true }, `Trimmed; 1–${ACCOUNT_LIMITS.tokenName} characters.`);
/** `expiresAt` must lie in the future; without it the token lasts until revoked. */
export const TokenCreate = Type.Object({ name: TokenName, expiresAt: Type.Optional(DateTime) }, closed);
export type TokenCreate = Static<typeof TokenCreate>;
const token = {
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  createdAt: DateTime,
  expiresAt: Type.Union([DateTime, Type.Null()]),
  lastUsedAt: Type.Union([DateTime, Type.Null()]),
};
export const Token = Type.Object(token, closed);
export type Token = Static<typeof Token>;
export const TokenList = Type.Object({ items: Type.Array(Token) }, closed);
export type TokenList = Static<typeof TokenList>;
/** The only answer that holds the token itself: it is stored hashed and never shown again. */
export const TokenCreated = Type.Object({ ...token, token: Type.String({ pattern: TOKEN_PATTERN }) }, closed);
export type TokenCreated = Static<typeof TokenCreated>;

export const ACTIVITY_ACTIONS = ['create', 'update', 'delete'] as const;
export type ActivityAction = (typeof ACTIVITY_ACTIONS)[number];
export const Activity = Type.Object(
  {
    id: Type.Integer({ minimum: 1 }),
    taskId: Type.String({ format: 'uuid' }),
    actor: Type.Union([Type.Object({ id: UserId, displayName: Type.String() }, closed), Type.Null()]),
    action: choice(ACTIVITY_ACTIONS),
    at: DateTime,
    changes: Type.Record(Type.String(), Type.Object({ old: Type.Unknown(), new: Type.Unknown() }, closed)),
  },
  closed,
);
export type Activity = Static<typeof Activity>;
export const ActivityList = Type.Object({ items: Type.Array(Activity) }, closed);
export type ActivityList = Static<typeof ActivityList>;

/** How the sign-in page offers to sign in: the password form, the identity provider's button, or both. */
export const SignInMethods = Type.Object({ password: Type.Boolean(), oidc: Type.Union([Type.Object({ providerName: Type.String() }, closed), Type.Null()]) }, closed);
export type SignInMethods = Static<typeof SignInMethods>;
/**
 * An OpenID Connect sign-in begun: where to send the browser, and the three values the frontend
 * keeps (in its signed session cookie) until the provider sends the browser back.
 */
export const OidcStart = Type.Object({ authorizationUrl: Type.String(), state: Type.String(), nonce: Type.String(), codeVerifier: Type.String() }, closed);
export type OidcStart = Static<typeof OidcStart>;
const flowValue = Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_~.-]+$' });
/** The provider's answer as it reached the redirect URL (its query string), and what OidcStart gave the frontend to keep. */
export const OidcFinish = Type.Object(
  { callbackQuery: Type.String({ maxLength: 8192, pattern: NO_NUL_PATTERN }), state: flowValue, nonce: flowValue, codeVerifier: flowValue },
  closed,
);
export type OidcFinish = Static<typeof OidcFinish>;
/** A UI session from the provider; `endSessionUrl` signs the browser out at the provider too (RP-initiated logout), when it offers that. */
export const OidcSessionResult = Type.Object({ ...SessionResult.properties, endSessionUrl: Type.Union([Type.String(), Type.Null()]) }, closed);
export type OidcSessionResult = Static<typeof OidcSessionResult>;
