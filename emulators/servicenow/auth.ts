// Who is asking: Basic authentication with a user's name and password, or a Bearer access token issued by
// oauth_token.do (OAuth 2.0 client_credentials, password and refresh_token grants) [doc]. Passwords, client
// secrets and tokens are compared and then forgotten: nothing derived from them is logged or echoed. Invariant: a
// token acts as exactly one configured user and stops working at its expiry (by the emulator's clock).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { methodNotAllowed, oauthDenied, type Reply } from './errors.js';
import type { ServiceNowOAuthClient, ServiceNowUser } from './types.js';

export interface Principal {
  readonly name: string;
  readonly roles: ReadonlySet<string>;
}

export type AuthResult = { readonly principal: Principal } | { readonly failure: 'missing' | 'failed' };

interface Grant {
  readonly user: Principal;
  readonly clientId: string;
  readonly expiresAt: number;
}

/** [doc] the default refresh token lifespan of a ServiceNow OAuth application (100 days). */
const REFRESH_TTL_MS = 8_640_000 * 1000;

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
/** Constant-time string equality (the digests have equal length whatever the inputs). */
const same = (a: string, b: string): boolean => timingSafeEqual(digest(a), digest(b));
const newToken = (): string => randomBytes(64).toString('base64url');

export class Credentials {
  private readonly users = new Map<string, { readonly principal: Principal; readonly password: string }>();
  private readonly clients = new Map<string, ServiceNowOAuthClient>();
  private readonly accessTokens = new Map<string, Grant>();
  private readonly refreshTokens = new Map<string, Grant>();

  constructor(
    users: readonly ServiceNowUser[],
    clients: readonly ServiceNowOAuthClient[],
    private readonly clock: () => number,
    private readonly ttlSeconds: number,
  ) {
    if (users.length === 0) throw new Error('the ServiceNow emulator needs at least one user');
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new Error('tokenTtlSeconds must be a positive integer');
    for (const u of users) {
      if (u.name.trim() === '' || this.users.has(u.name)) throw new Error(`user name '${u.name}' is empty or repeated`);
      if (u.password === '') throw new Error(`user ${u.name} needs a password`);
      this.users.set(u.name, { principal: { name: u.name, roles: new Set(u.roles ?? []) }, password: u.password });
    }
    for (const c of clients) {
      if (c.clientId === '' || this.clients.has(c.clientId)) throw new Error(`OAuth client id '${c.clientId}' is empty or repeated`);
      if (c.clientSecret === '') throw new Error(`OAuth client ${c.clientId} needs a client secret`);
      if (!this.users.has(c.user)) throw new Error(`OAuth client ${c.clientId} acts as unknown user ${c.user}`);
      this.clients.set(c.clientId, c);
    }
  }

  /** The principal of an Authorization header. */
  authenticate(header: string | undefined): AuthResult {
    if (header === undefined || header.trim() === '') return { failure: 'missing' };
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    if (basic?.[1]) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const user = colon > 0 ? this.users.get(decoded.slice(0, colon)) : undefined;
      return user && same(decoded.slice(colon + 1), user.password) ? { principal: user.principal } : { failure: 'failed' };
    }
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (bearer?.[1]) {
      const grant = this.accessTokens.get(bearer[1]);
      if (grant && grant.expiresAt > this.clock()) return { principal: grant.user };
      if (grant) this.accessTokens.delete(bearer[1]);
    }
    return { failure: 'failed' };
  }

  /** POST /oauth_token.do; `user` is whom the issued token acts as (for the request log). */
  tokenEndpoint(method: string, contentType: string | undefined, body: Buffer): { readonly reply: Reply; readonly user: string | null } {
    if (method !== 'POST') return { reply: methodNotAllowed(['POST']).reply(), user: null };
    // [inferred] parameters are read from a form body only; anything else is a request without parameters.
    const form = /^application\/x-www-form-urlencoded\b/i.test(contentType ?? '') ? new URLSearchParams(body.toString('utf8')) : new URLSearchParams();
    const denied = { reply: oauthDenied(), user: null };
    const client = this.clients.get(form.get('client_id') ?? '');
    if (!client || !same(form.get('client_secret') ?? '', client.clientSecret)) return denied;
    const now = this.clock();
    switch (form.get('grant_type')) {
      case 'client_credentials': {
        const user = this.users.get(client.user);
        return user ? this.issue(user.principal, client.clientId, now, null) : denied;
      }
      case 'password': {
        const user = this.users.get(form.get('username') ?? '');
        if (!user || !same(form.get('password') ?? '', user.password)) return denied;
        return this.issue(user.principal, client.clientId, now, newToken());
      }
      case 'refresh_token': {
        const token = form.get('refresh_token') ?? '';
        const grant = this.refreshTokens.get(token);
        if (!grant || grant.clientId !== client.clientId || grant.expiresAt <= now) return denied;
        return this.issue(grant.user, client.clientId, now, token);
      }
      default:
        return denied; // [inferred] an unsupported grant_type gets the same refusal
    }
  }

  private issue(user: Principal, clientId: string, now: number, refresh: string | null): { readonly reply: Reply; readonly user: string } {
    const access = newToken();
    this.accessTokens.set(access, { user, clientId, expiresAt: now + this.ttlSeconds * 1000 });
    if (refresh !== null && !this.refreshTokens.has(refresh)) this.refreshTokens.set(refresh, { user, clientId, expiresAt: now + REFRESH_TTL_MS });
    const body = {
      access_token: access,
      ...(refresh === null ? {} : { refresh_token: refresh }),
      scope: 'useraccount',
      token_type: 'Bearer',
      expires_in: this.ttlSeconds,
    };
    return { reply: { status: 200, body, headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache' } }, user: user.name };
  }
}
