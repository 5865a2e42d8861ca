// One Key Vault call under the vault's budget (limits.md K10–K12, reliability.md ): reserve its weight,
// call, and on a 429 pause the whole vault for the Retry-After (or K11's backoff) and try again — a throttled call
// waits, it does not fail, up to `maxThrottledMs` in all; transient failures (5xx, network) get a few backed-off
// retries; anything else is the caller's to classify.
import { retryDelayMs, type BackoffPolicy } from '../../domain/rewrap/retry.js';
import { KeyOperationError } from './ports.js';
import type { Sleep, VaultBudget } from './vaultBudget.js';

export interface RemoteCallPolicy {
  readonly budget: VaultBudget;
  readonly sleep: Sleep;
  readonly backoff: BackoffPolicy;
  readonly maxTransientRetries: number;
  readonly maxThrottledMs: number;
  readonly signal?: AbortSignal;
  /** Called on every 429 (for the campaign's counters). */
  readonly onThrottled?: (vault: string, waitMs: number) => void;
}

/** Thrown instead of whatever a call failed with once the campaign's signal has fired. */
export class CampaignAborted extends Error {
  override readonly name = 'CampaignAborted';
}

export async function remoteCall<T>(p: RemoteCallPolicy, vault: string, weight: number, call: (signal?: AbortSignal) => Promise<T>): Promise<T> {
  let throttles = 0;
  let throttledMs = 0;
  let transients = 0;
  for (;;) {
    try {
      await p.budget.acquire(vault, weight, p.signal);
      return await call(p.signal);
    } catch (err) {
      if (p.signal?.aborted) throw new CampaignAborted('campaign aborted');
      if (!(err instanceof KeyOperationError)) throw err;
      if (err.kind === 'throttled') {
        const wait = retryDelayMs(throttles++, err.retryAfterMs, p.backoff);
        if (throttledMs + wait > p.maxThrottledMs) throw err;
        throttledMs += wait;
        p.onThrottled?.(vault, wait);
        // The next acquire waits the pause out, together with every other worker on this vault.
        p.budget.pause(vault, wait);
        continue;
      }
      if (err.kind === 'transient' && transients < p.maxTransientRetries) {
        try {
          await p.sleep(retryDelayMs(transients++, null, p.backoff), p.signal);
        } catch {
          throw new CampaignAborted('campaign aborted');
        }
        continue;
      }
      throw err;
    }
  }
}
