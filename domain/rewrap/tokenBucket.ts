// A reserving token bucket, pure: the caller passes the time and keeps the state. `reserve` never refuses — it
// takes the tokens now (the balance may go negative) and says how long the caller must wait before sending, so
// waiters are served first come, first served at exactly the configured rate, with no polling.
// Invariant: over any span T the sends it schedules weigh at most burst + ratePerSec·T (plus the single request
// heavier than the whole burst, which is let through alone).
import type { Millis } from '../time.js';

export interface BucketConfig {
  readonly ratePerSec: number;
  /** Tokens the bucket holds when idle: the largest burst it lets through at once. */
  readonly burst: number;
}

export interface BucketState {
  /** Balance at `at` (negative: tokens promised to waiters). */
  readonly tokens: number;
  /** Time of the balance; in the future while paused (nothing refills before it). */
  readonly at: Millis;
}

export function fullBucket(cfg: BucketConfig, now: Millis): BucketState {
  return { tokens: cfg.burst, at: now };
}

function refill(cfg: BucketConfig, s: BucketState, now: Millis): BucketState {
  if (now <= s.at) return s;
  return { tokens: Math.min(cfg.burst, s.tokens + ((now - s.at) * cfg.ratePerSec) / 1000), at: now };
}

/** Takes `weight` tokens; `waitMs` is how long to wait before the request may be sent. */
export function reserve(cfg: BucketConfig, state: BucketState, now: Millis, weight: number): { state: BucketState; waitMs: Millis } {
  if (!(cfg.ratePerSec > 0)) throw new RangeError('a token bucket needs a positive rate');
  const s = refill(cfg, state, now);
  const tokens = s.tokens - weight;
  const readyAt = s.at + (tokens >= 0 ? 0 : (-tokens * 1000) / cfg.ratePerSec);
  return { state: { tokens, at: s.at }, waitMs: Math.max(0, readyAt - now) };
}

/**
 * Nothing is sent before `until` (a 429's Retry-After): the bucket stops refilling until then and drops any saved
 * burst, so the vault sees the configured rate — not a burst — when the pause ends. Promises already made keep
 * their order behind the pause.
 */
export function pauseUntil(cfg: BucketConfig, state: BucketState, now: Millis, until: Millis): BucketState {
  const s = refill(cfg, state, now);
  if (until <= s.at) return s;
  return { tokens: Math.min(0, s.tokens), at: until };
}
