// One error shape for every email failure. The message is composed here from the HTTP status and the service's
// error code only: SDK errors carry the request (with its Authorization header) and may echo configuration, and
// neither the access key nor the connection string may reach a log line or the alert ledger (I8).
import { isRestError } from '@azure/core-rest-pipeline';

export class EmailSendError extends Error {
  readonly channel = 'email';
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly code: string | undefined,
    /** Whether sending the same message again later can succeed (throttled, server or network failure). */
    readonly retryable: boolean,
    /** The service's Retry-After, when it sent one. */
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
    this.name = 'EmailSendError';
  }
}

const LRO_FAILED = /^The long-running operation has failed(?:\. ([A-Za-z0-9_.-]{1,64})\.)?/;
const SAFE_CODE = /^[A-Za-z0-9_.-]{1,64}$/;
const safeCode = (code: unknown): string | undefined => (typeof code === 'string' && SAFE_CODE.test(code) ? code : undefined);

function retryAfterMs(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

/** Any failure of a send (SDK RestError, failed operation, anything else) → EmailSendError. */
export function normaliseEmailError(err: unknown): EmailSendError {
  if (err instanceof EmailSendError) return err;
  if (isRestError(err)) {
    const status = err.statusCode;
    const code = safeCode(err.code);
    const retryable = status === undefined || status === 408 || status === 429 || status >= 500;
    const what = status === undefined ? `request failed${code ? ` (${code})` : ''}` : `HTTP ${status}${code ? ` ${code}` : ''}`;
    return new EmailSendError(`ACS email send failed: ${what}`, status, code, retryable, retryAfterMs(err.response?.headers.get('retry-after')));
  }
  // core-lro reports an operation that ended Failed as a plain Error: "The long-running operation has failed.
  // <code>. <message>" — only the code is kept (the service's message may quote recipients).
  const lro = err instanceof Error ? LRO_FAILED.exec(err.message) : null;
  if (lro) return new EmailSendError(`ACS email operation failed${lro[1] ? ` (${lro[1]})` : ''}`, undefined, lro[1], false, undefined);
  const code = safeCode((err as { code?: unknown } | null)?.code);
  return new EmailSendError(`ACS email send failed${code ? `: ${code}` : ''}`, undefined, code, false, undefined);
}
