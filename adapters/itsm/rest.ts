// One JSON request to an ITSM REST API (ServiceNow Table API, Jira / JSM REST), with the failures sorted into what the
// use cases act on: unreachable, 429 or 5xx → ItsmUnavailableError (retry later, honouring Retry-After); 400/401/403 →
// ItsmRefusedError (retrying as is will not help); anything else is returned to the caller (404 means "no such
// record" to most of them). Error texts carry the status and the service's own message, never a credential.
import { ItsmRefusedError, ItsmUnavailableError } from '../../app/itsm/ports.js';
import type { ItsmSystem } from '../../domain/itsm/request.js';

export interface RestReply {
  readonly status: number;
  readonly json: unknown;
}

export interface RestRequest {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'PUT';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** Retry-After as epoch ms: seconds or an HTTP date. */
export function retryAtOf(value: string | null, now: number): number | null {
  if (value === null) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return now + seconds * 1000;
  const at = Date.parse(value);
  return Number.isFinite(at) ? at : null;
}

/** The service's own one-line message from its error body (ServiceNow `error.message`, Jira `errorMessages` / `errors`). */
function messageOf(json: unknown): string {
  if (typeof json !== 'object' || json === null) return '';
  const j = json as { error?: { message?: unknown } | string; errorMessages?: unknown; errors?: unknown; errorMessage?: unknown };
  if (typeof j.error === 'object' && j.error && typeof j.error.message === 'string') return j.error.message;
  if (Array.isArray(j.errorMessages) && typeof j.errorMessages[0] === 'string') return j.errorMessages[0];
  if (typeof j.errorMessage === 'string') return j.errorMessage;
  if (typeof j.errors === 'object' && j.errors) {
    const first = Object.entries(j.errors as Record<string, unknown>)[0];
    if (first) return `${first[0]}: ${String(first[1])}`;
  }
  return typeof j.error === 'string' ? j.error : '';
}

export async function restJson(system: ItsmSystem, req: RestRequest, opts: { readonly timeoutMs?: number; readonly fetchImpl?: typeof fetch } = {}): Promise<RestReply> {
  const doFetch = opts.fetchImpl ?? fetch;
  const path = new URL(req.url).pathname;
  let res: Response;
  try {
    res = await doFetch(req.url, {
      method: req.method,
      headers: { accept: 'application/json', ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}), ...req.headers },
      ...(req.body !== undefined ? { body: req.body } : {}),
      redirect: 'manual',
      signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000),
    });
  } catch (err) {
    const what = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError') ? 'timed out' : 'could not connect';
    throw new ItsmUnavailableError(system, `${system} ${req.method} ${path} ${what}`);
  }
  const text = await res.text().catch(() => '');
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null; // an HTML error page (a ServiceNow instance asleep, a proxy)
  }
  const message = messageOf(json);
  const said = `${system} ${req.method} ${path} answered ${res.status}${message ? `: ${message.slice(0, 300)}` : ''}`;
  if (res.status === 429 || res.status >= 500) throw new ItsmUnavailableError(system, said, retryAtOf(res.headers.get('retry-after'), Date.now()));
  if (res.status === 400 || res.status === 401 || res.status === 403 || (res.status >= 300 && res.status < 400)) throw new ItsmRefusedError(system, res.status, said);
  return { status: res.status, json };
}
