// How long to wait before retrying a Key Vault call (limits.md K10–K12): a 429's Retry-After when the service gave
// one, else the documented exponential backoff 1 s → 2 s → 4 s → 8 s → 16 s (capped there).
import type { Millis } from '../time.js';

export interface BackoffPolicy {
  readonly baseMs: Millis;
  readonly maxMs: Millis;
}

/** K11. */
export const KEY_VAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, maxMs: 16_000 };

/** `attempt` counts from 0 (the first retry). A Retry-After wins over the backoff, whatever its size. */
export function retryDelayMs(attempt: number, retryAfterMs: Millis | null, policy: BackoffPolicy = KEY_VAULT_BACKOFF): Millis {
  if (retryAfterMs !== null && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) return retryAfterMs;
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, Math.min(attempt, 30)));
}
