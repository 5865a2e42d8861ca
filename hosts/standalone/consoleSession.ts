// Browser sign-in to the operator console on the standalone host, when API_KEY is set: a browser cannot send the
// `x-api-key` header, so `/login` takes the same key once (a plain HTML form, no script) and answers with an HttpOnly,
// SameSite=Strict cookie holding an HMAC of the key — never the key itself. The cookie authenticates GET requests
// of the console pages only (never the API's writes, so a forged cross-site POST gains nothing), and stops
// working the moment API_KEY changes.
import { createHmac } from 'node:crypto';
import { keyMatches } from '../../functions/http.js';
import { esc, PAGE_HEADERS } from '../../functions/console/layout.js';

export const SESSION_COOKIE = 'keysteward_console';
const SESSION_HOURS = 12;

export function sessionToken(apiKey: string): string {
  return createHmac('sha256', apiKey).update('keysteward-console-session-v1').digest('base64url');
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

export function sessionValid(apiKey: string, cookieHeader: string | undefined): boolean {
  const given = cookieOf(cookieHeader, SESSION_COOKIE);
  return given !== undefined && keyMatches(sessionToken(apiKey), given);
}

export function loginPage(error: string | null): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Sign in · keysteward</title><link rel="stylesheet" href="/assets/console.css"></head>
<body><main id="main"><h1>keysteward operator console</h1>
${error ? `<p class="warn" role="alert">${esc(error)}</p>` : ''}
<form method="post" action="/login" class="filters"><label for="key">API key (API_KEY of this host)<input id="key" name="key" type="password" autocomplete="current-password" required></label><button type="submit">Sign in</button></form>
<p class="muted">The key is checked once; the browser keeps a ${SESSION_HOURS}-hour session cookie derived from it.</p></main></body></html>`;
}

export const LOGIN_HEADERS = PAGE_HEADERS;

export function sessionCookie(apiKey: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${sessionToken(apiKey)}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_HOURS * 3600}${secure ? '; Secure' : ''}`;
}
