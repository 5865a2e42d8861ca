// What every adapter over an Azure SDK does with a failed call before typing it: keep one line of the service's text
// with anything token-like removed (errors are logged; DESIGN.md §8 I8), and read how long the service asked to wait.
import type { RestError } from '@azure/core-rest-pipeline';

const TOKENISH = /(bearer\s+)?[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]*/gi;

/** The first line of a service message, token-like runs redacted, at most `max` characters. */
export function safeLine(text: string | undefined, max: number): string {
  const first = (text ?? '').split(/\r?\n/, 1)[0] ?? '';
  return first.replace(TOKENISH, '[redacted]').slice(0, max);
}

/** From `retry-after-ms` / `x-ms-retry-after-ms` or `Retry-After` (seconds); null when the service gave neither. */
export function retryAfterMsOf(err: RestError): number | null {
  const headers = err.response?.headers;
  const ms = Number(headers?.get('retry-after-ms') ?? headers?.get('x-ms-retry-after-ms') ?? NaN);
  if (Number.isFinite(ms)) return ms;
  const s = Number(headers?.get('retry-after') ?? NaN);
  return Number.isFinite(s) ? s * 1000 : null;
}
