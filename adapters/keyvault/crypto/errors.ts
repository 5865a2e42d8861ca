// Key Vault failures of the crypto path as the app's KeyOperationError (app/rewrap/ports.ts): the kind says what a
// caller can do about it. Built from the adapter's typed KeyVaultError (../errors.ts), whose message keeps status,
// codes and the service's first line only — never a request, a token or a value (I8).
import { KeyOperationError, type KeyOperationFailure } from '../../../app/rewrap/ports.js';
import type { ErrorBodies } from '../errorBodies.js';
import { KeyVaultThrottledError, toKeyVaultError, type KeyVaultCallSite } from '../errors.js';

export function isAbort(err: unknown, signal?: AbortSignal): boolean {
  return signal?.aborted === true || (err instanceof Error && err.name === 'AbortError');
}

function kindOf(status: number | null): KeyOperationFailure {
  if (status === null || status === 408 || status >= 500) return 'transient';
  if (status === 429) return 'throttled';
  if (status === 401 || status === 403) return 'denied';
  if (status === 404) return 'not_found';
  return 'rejected';
}

/** Translates whatever an SDK call threw (aborts are the caller's business: check isAbort first). */
export function toKeyOperationError(err: unknown, at: KeyVaultCallSite, bodies?: ErrorBodies): KeyOperationError {
  if (err instanceof KeyOperationError) return err;
  const e = toKeyVaultError(err, at, bodies);
  return new KeyOperationError(kindOf(e.status), e.message, e.status, e instanceof KeyVaultThrottledError ? e.retryAfterMs : null);
}
