// keysteward's own credentials on a ServiceNow instance: Basic (an integration user) or OAuth 2.0 client credentials
// (`/oauth_token.do`), the token kept until shortly before it expires and dropped when the instance says it is not.
import { ItsmRefusedError, ItsmUnavailableError } from '../../app/itsm/ports.js';

export type ServiceNowCredentials =
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  | { readonly kind: 'oauth'; readonly clientId: string; readonly clientSecret: string };

export interface AuthHeader {
  /** The Authorization header value. */
  get(): Promise<string>;
  /** The instance refused it (401): the next get() fetches a new token. */
  invalidate(): void;
}

export function serviceNowAuth(instanceUrl: string, creds: ServiceNowCredentials, opts: { readonly fetchImpl?: typeof fetch; readonly clock?: () => number } = {}): AuthHeader {
  if (creds.kind === 'basic') {
    const value = `Basic ${Buffer.from(`${creds.username}:${creds.password}`, 'utf8').toString('base64')}`;
    return { get: async () => value, invalidate: () => undefined };
  }
  const doFetch = opts.fetchImpl ?? fetch;
  const clock = opts.clock ?? Date.now;
  let token: { value: string; until: number } | null = null;
  let inflight: Promise<string> | null = null;
  const fetchToken = async (): Promise<string> => {
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: creds.clientId, client_secret: creds.clientSecret });
    let res: Response;
    try {
      res = await doFetch(`${instanceUrl}/oauth_token.do`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body, signal: AbortSignal.timeout(15_000) });
    } catch {
      throw new ItsmUnavailableError('servicenow', 'servicenow POST /oauth_token.do could not connect');
    }
    const json = (await res.json().catch(() => null)) as { access_token?: unknown; expires_in?: unknown } | null;
    if (res.status === 429 || res.status >= 500) throw new ItsmUnavailableError('servicenow', `servicenow POST /oauth_token.do answered ${res.status}`);
    if (res.status !== 200 || typeof json?.access_token !== 'string') throw new ItsmRefusedError('servicenow', res.status, `servicenow POST /oauth_token.do answered ${res.status}: the OAuth client was refused`);
    const ttl = typeof json.expires_in === 'number' ? json.expires_in : 1800;
    token = { value: `Bearer ${json.access_token}`, until: clock() + Math.max(0, ttl - 60) * 1000 };
    return token.value;
  };
  return {
    get: async () => {
      if (token && clock() < token.until) return token.value;
      inflight ??= fetchToken().finally(() => {
        inflight = null;
      });
      return inflight;
    },
    invalidate: () => {
      token = null;
    },
  };
}
