/**
 * Sign-in with an OpenID Connect provider (Authorization Code + PKCE, state and nonce), decided
 * here and nowhere else. The frontend only carries the browser to the provider and back: it
 * asks `start` for the authorization URL and the three one-time values, keeps them, and hands
 * the provider's answer to `finish` untouched. This side exchanges the code itself and checks
 * the ID token (signature against the provider's keys, issuer, audience, expiry, nonce) with
 * openid-client, so no identity claim is ever taken from the frontend's word.
 *
 * People are matched on (issuer, sub), never on email; the first sign-in creates the user, and
 * every sign-in sets the role again from the configured claim.
 */
import { ROLES, type OidcFinish, type OidcStart, type Role } from '@task-manager/contract';
import { HttpProblem } from '@task-manager/kit';
import * as client from 'openid-client';
import type { OidcSettings } from '../config.js';
import type { Queryable } from '../db.js';
import { userPayload, type Credentials } from './credentials.js';

/** Why a sign-in was refused, for the page the frontend shows and for the tests. */
export type OidcRefusal =
  | 'provider_unavailable'
  | 'provider_refused'
  | 'client_rejected'
  | 'state_mismatch'
  | 'code_rejected'
  | 'token_invalid'
  | 'deactivated'
  | 'no_role'
  | 'not_allowed'
  | 'email_missing'
  | 'email_taken';

/** Characters of ID token that still fit the frontend's session cookie as the end-session URL's hint. */
const MAX_ID_TOKEN_HINT = 2048;

const refuse = (status: number, reason: OidcRefusal, detail: string) => HttpProblem.of(status, detail, { reason });

export interface SignedInIdentity {
  userId: string;
  /** The provider's end_session_endpoint for this sign-in (ID token as hint), when it has one. */
  endSessionUrl: string | null;
}

interface Claims {
  sub: string;
  [claim: string]: unknown;
}

export class OidcSignIn {
  private configuration: Promise<client.Configuration> | undefined;

  constructor(
    readonly settings: OidcSettings,
    private readonly credentials: Credentials,
  ) {}

  /** Discovery from the issuer URL, once it has worked; a failed one is tried again at the next sign-in. */
  private config(): Promise<client.Configuration> {
    const { issuerUrl, clientId, clientSecret, clockToleranceSeconds, timeoutSeconds } = this.settings;
    this.configuration ??= client
      .discovery(issuerUrl, clientId, { [client.clockTolerance]: clockToleranceSeconds }, client.ClientSecretBasic(clientSecret), {
        timeout: timeoutSeconds,
        // A plain-http issuer is the operator's explicit choice (a test provider, a cluster-internal one).
        // Non-repudiation: the ID token's signature is checked against the provider's published keys
        // even though it came straight from the token endpoint (openid-client would trust TLS alone).
        execute: [client.enableNonRepudiationChecks, ...(issuerUrl.protocol === 'http:' ? [client.allowInsecureRequests] : [])],
      })
      .catch((error: unknown) => {
        this.configuration = undefined;
        throw error;
      });
    return this.configuration;
  }

  async start(): Promise<OidcStart> {
    const config = await this.guard(() => this.config());
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const authorizationUrl = client.buildAuthorizationUrl(config, {
      redirect_uri: this.settings.redirectUrl.href,
      scope: this.settings.scopes,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { authorizationUrl: authorizationUrl.href, state, nonce, codeVerifier };
  }

  /** The code exchanged and the ID token verified, then the user found or created and a session issued by `issue` in the same transaction. */
  async finish<T>(input: OidcFinish, issue: (tx: Queryable, userId: string) => Promise<T>): Promise<T & { userId: string; endSessionUrl: string | null }> {
    const config = await this.guard(() => this.config());
    // The redirect URL is this side's setting; only the provider's parameters come from the browser.
    const answer = new URL(this.settings.redirectUrl);
    answer.search = input.callbackQuery.replace(/^\?/, '');
    const tokens = await this.guard(() =>
      client.authorizationCodeGrant(config, answer, { pkceCodeVerifier: input.codeVerifier, expectedState: input.state, expectedNonce: input.nonce, idTokenExpected: true }),
    );
    const claims = tokens.claims() as Claims | undefined;
    if (!claims) throw refuse(401, 'token_invalid', 'The provider sent no ID token.');
    const issuer = config.serverMetadata().issuer;
    const person = this.person(claims);
    const outcome = await this.credentials.announce<{ userId: string; roleChanged: boolean; issued: T }>(
      'auth.oidc_sign_in',
      (result) => (result.roleChanged ? [userPayload(result.userId)] : []),
      async (tx) => {
        // One sign-in per identity at a time: two first sign-ins at once create one user.
        await tx`select pg_advisory_xact_lock(hashtextextended(${`oidc:${issuer}:${claims.sub}`}, 0))`;
        const [known] = await tx<{ id: string; active: boolean; role: Role }[]>`
          select u.id, u.active, u.role from user_identities i join users u on u.id = i.user_id
          where i.issuer = ${issuer} and i.subject = ${claims.sub}`;
        let userId: string;
        let roleChanged = false;
        if (known) {
          if (!known.active) throw refuse(403, 'deactivated', 'Your account here is deactivated. An administrator can reactivate it.');
          userId = known.id;
          roleChanged = known.role !== person.role;
          await tx`update users set role = ${person.role}::user_role, display_name = ${person.displayName}, updated_at = clock_timestamp()
                   where id = ${userId}::uuid and (role <> ${person.role}::user_role or display_name <> ${person.displayName})`;
        } else {
          const [created] = await tx<{ id: string }[]>`
            insert into users (email, display_name, role, password_hash) values (${person.email}, ${person.displayName}, ${person.role}::user_role, null)
            on conflict ((lower(email))) do nothing returning id`;
          if (!created) {
            throw refuse(
              409,
              'email_taken',
              `An account with the email ${person.email} exists here already and is not linked to ${this.settings.providerName}. Sign in as before, or ask an administrator.`,
            );
          }
          userId = created.id;
          await tx`insert into user_identities (issuer, subject, user_id) values (${issuer}, ${claims.sub}, ${userId}::uuid)`;
        }
        return { userId, roleChanged, issued: await issue(tx, userId) };
      },
    );
    const metadata = config.serverMetadata();
    // The frontend keeps this URL in its session cookie (4 KB at most in browsers): an ID token too big
    // for that (hundreds of groups) is left out, and the provider asks the person to confirm instead.
    const hint: Record<string, string> = tokens.id_token!.length <= MAX_ID_TOKEN_HINT ? { id_token_hint: tokens.id_token! } : {};
    const endSessionUrl = metadata.end_session_endpoint
      ? client.buildEndSessionUrl(config, {
          ...hint,
          ...(this.settings.postLogoutRedirectUrl ? { post_logout_redirect_uri: this.settings.postLogoutRedirectUrl.href } : {}),
        }).href
      : null;
    return { ...outcome.issued, userId: outcome.userId, endSessionUrl };
  }

  /** Who the verified claims say this is, and the role they map to; a refusal when the settings do not let them in. */
  private person(claims: Claims): { email: string; displayName: string; role: Role } {
    const { emailClaim, nameClaim, rolesClaim, roleMapping, defaultRole, allowedDomains, requiredGroup, providerName } = this.settings;
    const email = typeof claims[emailClaim] === 'string' ? (claims[emailClaim] as string).trim() : '';
    if (!/^[^@\s]+@[^@\s]+$/.test(email)) throw refuse(403, 'email_missing', `${providerName} did not send an email address (claim "${emailClaim}"), which an account here needs.`);
    if (allowedDomains.length > 0) {
      const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
      if (claims.email_verified === false || !allowedDomains.includes(domain)) {
        throw refuse(403, 'not_allowed', `Sign-in is open to ${allowedDomains.map((allowed) => `@${allowed}`).join(', ')} addresses only (verified), not ${email}.`);
      }
    }
    const raw = claims[rolesClaim];
    const values = (Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw]).filter((value): value is string => typeof value === 'string');
    if (requiredGroup !== undefined && !values.includes(requiredGroup)) {
      throw refuse(403, 'not_allowed', `Sign-in needs membership of "${requiredGroup}" at ${providerName} (claim "${rolesClaim}").`);
    }
    const mapped = values.map((value) => roleMapping[value]).filter((role): role is Role => role !== undefined);
    const role = mapped.length > 0 ? mapped.reduce((best, next) => (ROLES.indexOf(next) > ROLES.indexOf(best) ? next : best)) : defaultRole;
    if (role === undefined) {
      const held = values.length > 0 ? values.map((value) => `"${value}"`).join(', ') : 'no values';
      throw refuse(403, 'no_role', `Your account at ${providerName} has no role here: its "${rolesClaim}" claim (${held}) maps to none of ${ROLES.join(', ')}. Ask an administrator.`);
    }
    const name = typeof claims[nameClaim] === 'string' ? (claims[nameClaim] as string).trim().slice(0, 100) : '';
    return { email, displayName: name || email.slice(0, email.indexOf('@')).slice(0, 100), role };
  }

  /** openid-client's failures as the refusals the sign-in page explains; anything else is a bug and stays one. */
  private async guard<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      throw this.explain(error);
    }
  }

  private explain(error: unknown): unknown {
    if (error instanceof HttpProblem) return error;
    const { providerName, timeoutSeconds } = this.settings;
    const failure = error as { name?: string; code?: string; error?: string; error_description?: string; message?: string; cause?: unknown };
    const causes = [failure, failure.cause as typeof failure | undefined, (failure.cause as { cause?: typeof failure } | undefined)?.cause].filter(Boolean) as (typeof failure)[];
    if (causes.some((cause) => cause.name === 'TimeoutError' || cause.name === 'AbortError')) {
      return refuse(503, 'provider_unavailable', `${providerName} did not answer within ${timeoutSeconds} seconds. Try again in a moment.`);
    }
    if (causes.some((cause) => cause.message === 'fetch failed' || /^E[A-Z]+$/.test(cause.code ?? '')) || failure.code === 'OAUTH_RESPONSE_IS_NOT_JSON') {
      return refuse(503, 'provider_unavailable', `${providerName} cannot be reached right now. Try again in a moment.`);
    }
    if (failure.code === 'OAUTH_AUTHORIZATION_RESPONSE_ERROR') {
      return refuse(401, 'provider_refused', `${providerName} did not sign you in: ${failure.error_description ?? failure.error ?? 'no reason given'}.`);
    }
    // openid-client's own message is generic; the reason (the claim, the parameter) is its cause's.
    const reason = (failure.cause as { message?: string } | undefined)?.message ?? failure.message ?? String(failure.code);
    if (failure.code === 'OAUTH_INVALID_RESPONSE' && /"state"/.test(reason)) {
      return refuse(400, 'state_mismatch', 'This answer from the provider does not belong to the sign-in this browser began. Start again from the sign-in page.');
    }
    if (failure.code === 'OAUTH_RESPONSE_BODY_ERROR' && failure.error === 'invalid_grant') {
      return refuse(401, 'code_rejected', `${providerName} refused the sign-in code: it was used already or has expired. Start again from the sign-in page.`);
    }
    if (failure.code === 'OAUTH_RESPONSE_BODY_ERROR') {
      // invalid_client and the like: this side's settings, not the person signing in.
      return refuse(502, 'client_rejected', `${providerName} refused this application (${failure.error ?? 'error'}: ${failure.error_description ?? 'no reason given'}). An administrator must check its client settings.`);
    }
    if (typeof failure.code === 'string' && (failure.code.startsWith('OAUTH_') || failure.code.startsWith('ERR_JW'))) {
      return refuse(401, 'token_invalid', `The answer from ${providerName} failed verification (${reason}). Start again from the sign-in page.`);
    }
    return error;
  }
}
