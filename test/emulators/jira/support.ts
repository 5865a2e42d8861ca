// Shared set-up for the Jira emulator tests: the emulator on the dev certificate with two users, a JSM service desk
// project (CHG) and a software project (OPS), three custom fields, and a plain-fetch client with Basic auth.
import { DEFAULT_CERT_DIR, ensureDevCertificate, type DevCertificate } from '../../../emulators/certs.js';
import { startJiraEmulator, type JiraEmulator, type JiraEmulatorOptions, type JiraFieldDef, type JiraProject, type JiraUser } from '../../../emulators/jira/index.js';

export const devCert = (): Promise<DevCertificate> => ensureDevCertificate(DEFAULT_CERT_DIR);

export const KEYSTEWARD: JiraUser = { email: 'keysteward@contoso.example', apiToken: 'ATATT3xFfGF0-keysteward-token', accountId: '5b10ac8d82e05b22cc7d4ef5', displayName: 'keysteward automation' };
export const OPERATOR: JiraUser = { email: 'ops.lead@contoso.example', apiToken: 'ATATT3xFfGF0-operator-token' };

export const PROJECTS: readonly JiraProject[] = [
  { key: 'CHG', name: 'Change management', serviceDesk: true },
  { key: 'OPS', name: 'Operations' },
];

export const PROTECTOR = 'customfield_10050';
export const CORRELATION = 'customfield_10051';
export const PLANNED = 'customfield_10052';
export const FIELDS: readonly JiraFieldDef[] = [
  { id: PROTECTOR, name: 'Protector', type: 'option' },
  { id: CORRELATION, name: 'Correlation id', type: 'string' },
  { id: PLANNED, name: 'Planned start', type: 'datetime' },
];

export const T0 = Date.parse('2026-12-04T10:00:00.000Z');

/** A clock the test moves by hand. */
export function manualClock(start = T0): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

export function startJira(cert: DevCertificate, o: Partial<Omit<JiraEmulatorOptions, 'tls'>> = {}): Promise<JiraEmulator> {
  return startJiraEmulator({ tls: { cert: cert.certPem, key: cert.keyPem }, users: [KEYSTEWARD, OPERATOR], projects: PROJECTS, fields: FIELDS, ...o });
}

export const basic = (u: Pick<JiraUser, 'email' | 'apiToken'>): string => `Basic ${Buffer.from(`${u.email}:${u.apiToken}`, 'utf8').toString('base64')}`;

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed body; null when empty or not JSON. */
  readonly json: unknown;
}

/** One REST call with plain fetch; `user: null` sends no Authorization header; a body is sent as JSON. */
export async function call(em: JiraEmulator, method: string, path: string, o: { user?: Pick<JiraUser, 'email' | 'apiToken'> | null; body?: unknown; headers?: Record<string, string> } = {}): Promise<Reply> {
  const user = o.user === undefined ? KEYSTEWARD : o.user;
  const res = await fetch(`${em.url}${path}`, {
    method,
    headers: {
      Accept: 'application/json',
      ...(user ? { Authorization: basic(user) } : {}),
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

/** A minimal ADF document with one paragraph per line. */
export function adf(...lines: string[]): unknown {
  return { type: 'doc', version: 1, content: lines.map((l) => ({ type: 'paragraph', content: [{ type: 'text', text: l }] })) };
}
