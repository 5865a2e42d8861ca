// A per-vault spending budget for Key Vault calls (DESIGN.md §2 "Key Vault calls are rate limited per vault below
// its documented ceiling"; reliability.md R-10). Callers reserve weighted units before each call and wait as told;
// a 429 pauses the whole vault, so every worker of it honours the Retry-After, not just the one that got it.
// This one lives in the process; a budget shared by several instances would implement the same interface.
import { fullBucket, pauseUntil, reserve, type BucketConfig, type BucketState } from '../../domain/rewrap/tokenBucket.js';
import type { Clock } from '../ports.js';

/** Waits `ms`; rejects with the signal's reason (an AbortError) when the signal fires first. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const done = (): void => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

export function abortReason(signal: AbortSignal | undefined): Error {
  const r: unknown = signal?.reason;
  if (r instanceof Error) return r;
  const e = new Error('aborted');
  e.name = 'AbortError';
  return e;
}

/** The budget itself cannot be consulted (a shared budget's store is down): no call may go out, for any DEK. */
export class BudgetUnavailableError extends Error {
  override readonly name: string = 'BudgetUnavailableError';
}

export interface VaultBudget {
  /** Resolves when `weight` units of `vault`'s budget may be spent (after any pause). */
  acquire(vault: string, weight: number, signal?: AbortSignal): Promise<void>;
  /** Nothing more is sent to `vault` for `ms` (a 429's Retry-After). */
  pause(vault: string, ms: number): void;
}

export class TokenBucketBudget implements VaultBudget {
  private readonly buckets = new Map<string, BucketState>();

  constructor(
    private readonly config: BucketConfig,
    private readonly clock: Clock,
    private readonly sleep: Sleep = realSleep,
  ) {}

  async acquire(vault: string, weight: number, signal?: AbortSignal): Promise<void> {
    const now = this.clock.now();
    const r = reserve(this.config, this.state(vault, now), now, weight);
    this.buckets.set(vault, r.state);
    if (r.waitMs > 0) await this.sleep(r.waitMs, signal);
    // A pause that began while this caller waited applies to it too: its tokens were promised before the 429.
    for (let later = this.pausedUntil(vault); later > this.clock.now(); later = this.pausedUntil(vault)) await this.sleep(later - this.clock.now(), signal);
    if (signal?.aborted) throw abortReason(signal);
  }

  pause(vault: string, ms: number): void {
    const now = this.clock.now();
    this.buckets.set(vault, pauseUntil(this.config, this.state(vault, now), now, now + ms));
  }

  private state(vault: string, now: number): BucketState {
    return this.buckets.get(vault) ?? fullBucket(this.config, now);
  }

  /** The bucket's balance time is in the future only while paused. */
  private pausedUntil(vault: string): number {
    return this.buckets.get(vault)?.at ?? 0;
  }
}
