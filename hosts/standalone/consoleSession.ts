// Browser sign-in to the operator console on the standalone host, when API_KEY is set: a browser cannot send the
// `x-api-key` header, so `/login` takes the same key once (a plain HTML form, no script) and answers with an HttpOnly,
// SameSite=Strict cookie holding when it was issued and an HMAC of that time under the key — never the key itself.
// The cookie authenticates GET requests of the console pages only (never the API's writes, so a forged cross-site
// POST gains nothing); the host itself refuses it SESSION_HOURS after issue (a copied cookie does not live for ever,
// whatever the browser keeps), and at once when API_KEY changes.
import { createHmac } from 'node:crypto';
import { keyMatches } from '../../functions/http.js';
import { esc, PAGE_HEADERS } from '../../functions/console/layout.js';

export const SESSION_COOKIE = 'keysteward_console';
const SESSION_HOURS = 12;

const SESSION_MS = SESSION_HOURS * 3_600_000;
/** Clock skew between hosts behind one load balancer that a token issued "in the future" may show. */
const SKEW_MS = 60_000;

const macOf = (apiKey: string, issuedAt: number): string => createHmac('sha256', apiKey).update(`keysteward-console-session-v2|${issuedAt}`).digest('base64url');

/** `<issued at, epoch ms>.<HMAC-SHA256 of it under the API key>`. */
export function sessionToken(apiKey: string, issuedAt: number): string {
  return `${issuedAt}.${macOf(apiKey, issuedAt)}`;
}

export function cookieOf(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

/** Console pages (root aliases and /api/dashboard/…): the only paths the cookie opens, and for GET only. */
export function isConsolePath(path: string): boolean {
  return path === '/' || path === '/login' || /^\/(protectors|rotations|assets|version|events)(\/|$)/.test(path) || /^\/api\/dashboard(\/|$)/.test(path);
}

export function sessionValid(apiKey: string, cookieHeader: string | undefined, now: number): boolean {
  const m = /^(\d{1,15})\.([\w-]+)$/.exec(cookieOf(cookieHeader, SESSION_COOKIE) ?? '');
  if (!m) return false;
  const issuedAt = Number(m[1]);
  if (issuedAt > now + SKEW_MS || now - issuedAt > SESSION_MS) return false;
  return keyMatches(macOf(apiKey, issuedAt), m[2]);
}

export function loginPage(error: string | null): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Sign in · keysteward</title><link rel="stylesheet" href="/assets/console.css"></head>
<body><main id="main"><h1>keysteward operator console</h1>
${error ? `<p class="warn" role="alert">${esc(error)}</p>` : ''}
<form method="post" action="/login" class="filters"><label for="key">API key (API_KEY of this host)<input id="key" name="key" type="password" autocomplete="current-password" required></label><button type="submit">Sign in</button></form>
<p class="muted">The key is checked once; the browser keeps a ${SESSION_HOURS}-hour session cookie derived from it.</p></main></body></html>`;
}

export const LOGIN_HEADERS = PAGE_HEADERS;

export function sessionCookie(apiKey: string, secure: boolean, now: number): string {
  return `${SESSION_COOKIE}=${sessionToken(apiKey, now)}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_HOURS * 3600}${secure ? '; Secure' : ''}`;
}
