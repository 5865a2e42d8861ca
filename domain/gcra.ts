// Send limits over sliding windows as GCRA cells, pure: "at most N sends in ANY span of W" (ACS Email's 30 per
// minute and 100 per hour, limits.md A11), for a caller that asks "may I send one now?" and keeps it queued when not.
// It is the same GCRA as the Redis vault budget (adapters/redis/vaultBudget.ts) — one theoretical arrival time (TAT)
// per limit, interval T per send, tolerance τ = burst·T, a send allowed when max(TAT, now) + T − τ ≤ now — but a
// refused take changes nothing (no booking). adapters/ratelimit/redisRateLimiter.ts runs exactly this in one Lua script on
// Redis's clock; app/fakes/memoryRateLimiter.ts runs it in memory. All values are integer µs, so both agree exactly.
//
// Invariant (sliding window): with T = ⌈W / (N + 1 − burst)⌉, any half-open span of length W holds at most N takes.
// Proof: take the first take of the span at t₁; after the k-th take of the span TAT ≥ t₁ + k·T, so the k-th was
// allowed only if t₁ + k·T − burst·T ≤ t_k, i.e. k ≤ burst + (t_k − t₁)/T < burst + W/T ≤ N + 1.
// Liveness (no starvation): a take at or after the last allowed take + max T is allowed (TAT ≤ last + burst·T).

/** At most `limit` sends in any span of `windowMs`, up to `burst` of them at once. */
export interface WindowLimit {
  readonly limit: number;
  readonly windowMs: number;
  readonly burst: number;
}

/** One limit as a GCRA cell, in µs. */
export interface GcraCell {
  /** T: the spacing of sends once the burst is spent. */
  readonly intervalUs: number;
  /** τ = burst·T: how far ahead of its slot a send may go. */
  readonly toleranceUs: number;
}

const posInt = (n: number): boolean => Number.isSafeInteger(n) && n > 0;

export function gcraCell(l: WindowLimit): GcraCell {
  if (!posInt(l.limit)) throw new RangeError(`limit must be a positive integer, got ${l.limit}`);
  if (!posInt(l.windowMs)) throw new RangeError(`windowMs must be a positive integer, got ${l.windowMs}`);
  if (!(Number.isInteger(l.burst) && l.burst >= 1 && l.burst <= l.limit)) throw new RangeError(`burst must be an integer in 1..${l.limit}, got ${l.burst}`);
  // Rounding T up only makes the schedule stricter.
  const intervalUs = Math.ceil((l.windowMs * 1000) / (l.limit + 1 - l.burst));
  return { intervalUs, toleranceUs: l.burst * intervalUs };
}

/** The email budget's two limits. Half the minute's limit may go at once; the hour lets at most a minute's worth go at once. */
export function perMinuteAndHour(budget: { readonly perMinute: number; readonly perHour: number }): WindowLimit[] {
  return [
    { limit: budget.perMinute, windowMs: 60_000, burst: Math.ceil(budget.perMinute / 2) },
    { limit: budget.perHour, windowMs: 3_600_000, burst: Math.min(budget.perMinute, Math.ceil(budget.perHour / 2)) },
  ];
}

export type GcraResult = { readonly taken: true; readonly tats: number[] } | { readonly taken: false; readonly retryInUs: number };

/**
 * One send against every cell at `nowUs`: taken only when every cell allows it (then each TAT moves on by its T);
 * refused otherwise, with the time until it would be allowed. `tats[i]` undefined means cell i is full (idle).
 */
export function gcraTake(cells: readonly GcraCell[], tats: ReadonlyArray<number | undefined>, nowUs: number): GcraResult {
  const next: number[] = [];
  let retryInUs = 0;
  cells.forEach((c, i) => {
    const newTat = Math.max(tats[i] ?? nowUs, nowUs) + c.intervalUs;
    retryInUs = Math.max(retryInUs, newTat - c.toleranceUs - nowUs);
    next.push(newTat);
  });
  return retryInUs > 0 ? { taken: false, retryInUs } : { taken: true, tats: next };
}
