// What every rewrap campaign (keysteward's DEK store, Cosmos client encryption keys) sets up the same way: one
// AbortController that stops all its work — on the caller's abort or on a failure every other DEK would hit too —
// and the policy every Key Vault call of the campaign goes through (budget, 429 pauses, transient retries).
import { setMaxListeners } from 'node:events';
import { KEY_VAULT_BACKOFF, type BackoffPolicy } from '../../domain/rewrap/retry.js';
import type { RemoteCallPolicy } from './remoteCall.js';
import type { Sleep, VaultBudget } from './vaultBudget.js';

export interface ControlOptions {
  readonly concurrency: number;
  readonly signal?: AbortSignal;
  /** Retries of a 5xx/network failure per call (default 4, K11 backoff). */
  readonly maxTransientRetries?: number;
  /** How long one call may keep waiting out 429s before it counts as failed (default 15 min: R-10's storms pause, they do not fail). */
  readonly maxThrottledMs?: number;
  readonly backoff?: BackoffPolicy;
}

export interface CampaignControl {
  readonly stopper: AbortController;
  readonly remote: RemoteCallPolicy;
  /** Detaches from the caller's signal; call once the campaign has ended. */
  dispose(): void;
}

export function campaignControl(o: ControlOptions, budget: VaultBudget, sleep: Sleep, onThrottled: () => void): CampaignControl {
  const stopper = new AbortController();
  // Every call and wait in flight listens to it (a few per worker): not a leak.
  setMaxListeners(o.concurrency * 8 + 16, stopper.signal);
  const onAbort = (): void => stopper.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  if (o.signal?.aborted) stopper.abort();
  const remote: RemoteCallPolicy = {
    budget,
    sleep,
    backoff: o.backoff ?? KEY_VAULT_BACKOFF,
    maxTransientRetries: o.maxTransientRetries ?? 4,
    maxThrottledMs: o.maxThrottledMs ?? 15 * 60_000,
    signal: stopper.signal,
    onThrottled,
  };
  return { stopper, remote, dispose: () => o.signal?.removeEventListener('abort', onAbort) };
}
