// Shared set-up for the ServiceNow emulator tests: the emulator on the dev certificate with an itil integration
// user (keysteward's), an admin, a user without roles and an OAuth client acting as the integration user, and a
// plain-fetch client with Basic or Bearer auth.
import { DEFAULT_CERT_DIR, ensureDevCertificate, type DevCertificate } from '../../../emulators/certs.js';
import {
  startServiceNowEmulator,
  type ServiceNowEmulator,
  type ServiceNowEmulatorOptions,
  type ServiceNowOAuthClient,
  type ServiceNowUser,
} from '../../../emulators/servicenow/index.js';

export const devCert = (): Promise<DevCertificate> => ensureDevCertificate(DEFAULT_CERT_DIR);

export const KEYSTEWARD: ServiceNowUser = { name: 'svc.keysteward', password: 'Kst!pass-7d1e-integration', roles: ['itil'] };
export const ADMIN: ServiceNowUser = { name: 'snow.admin', password: 'Adm1n!pass-44f0', roles: ['admin'] };
export const NOBODY: ServiceNowUser = { name: 'read.nothing', password: 'N0roles!pass-9a2b' };
export const CLIENT: ServiceNowOAuthClient = { clientId: '3f8e0c1d2b4a49f6a7e5d3c1b0a9f8e7', clientSecret: 'oauth-client-secret-5c2e', user: KEYSTEWARD.name };

export const T0 = Date.parse('2026-12-04T10:00:00.000Z');

/** A clock the test moves by hand. */
export function manualClock(start = T0): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

export function startSnow(cert: DevCertificate, o: Partial<Omit<ServiceNowEmulatorOptions, 'tls'>> = {}): Promise<ServiceNowEmulator> {
  return startServiceNowEmulator({ tls: { cert: cert.certPem, key: cert.keyPem }, users: [KEYSTEWARD, ADMIN, NOBODY], oauthClients: [CLIENT], ...o });
}

export const basic = (u: Pick<ServiceNowUser, 'name' | 'password'>): string => `Basic ${Buffer.from(`${u.name}:${u.password}`, 'utf8').toString('base64')}`;

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed body; null when empty or not JSON. */
  readonly json: unknown;
}

export interface CallOptions {
  /** Basic auth as this user (default KEYSTEWARD); null sends no Authorization header. */
  readonly user?: Pick<ServiceNowUser, 'name' | 'password'> | null;
  readonly bearer?: string;
  /** Sent as JSON unless a string (sent as is). */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/** One call with plain fetch. */
export async function call(em: ServiceNowEmulator, method: string, path: string, o: CallOptions = {}): Promise<Reply> {
  const user = o.user === undefined ? KEYSTEWARD : o.user;
  const auth = o.bearer !== undefined ? `Bearer ${o.bearer}` : user ? basic(user) : undefined;
  const res = await fetch(`${em.url}${path}`, {
    method,
    headers: {
      Accept: 'application/json',
      ...(auth ? { Authorization: auth } : {}),
      ...(o.body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...o.headers,
    },
    ...(o.body === undefined ? {} : { body: typeof o.body === 'string' ? o.body : JSON.stringify(o.body) }),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? (JSON.parse(text) as unknown) : null;
  } catch {
    json = null;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** POST /oauth_token.do with a form body. */
export async function token(em: ServiceNowEmulator, form: Record<string, string>): Promise<Reply> {
  const res = await fetch(`${em.url}/oauth_token.do`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: new URLSearchParams(form).toString(),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? (JSON.parse(text) as unknown) : null;
  } catch {
    json = null;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export const result = <T = Record<string, unknown>>(r: Reply): T => (r.json as { result: T }).result;

export const failure = (message: string, detail: string | null): unknown => ({ error: { message, detail }, status: 'failure' });
