// Basic authentication with an Atlassian account email and API token, the scheme Jira Cloud accepts for scripts and
// integrations. The token is compared and then forgotten: nothing derived from it is logged or echoed.
import type { JiraStore, UserRecord } from './store.js';

/** The user named by an `Authorization: Basic base64(email:apiToken)` header; null when missing or wrong. */
export function authenticate(store: JiraStore, header: string | undefined): UserRecord | null {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m?.[1]) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  return store.authenticate(decoded.slice(0, colon), decoded.slice(colon + 1));
}
