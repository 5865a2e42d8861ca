// The one time source every claim decision between processes is taken at: rotation step claims (domain/rotation/run.ts)
// and anything else where a worker compares "now" with an instant another process wrote. A worker's own clock is never
// used for such a comparison: with clocks skewed by minutes, a worker running ahead would see a live claim as lapsed
// and take it over while its holder is still acting (two importers, two protector switches).
//
// The real adapter is Redis `TIME` (adapters/redis/claimClock.ts; why Redis and not the store's time is argued there).
// Callers must not act when the time cannot be read: an unknown "now" can neither prove a claim lapsed nor that one's
// own claim is still live, so the decision is put off (the queue retries the step later) — fail safe.
import type { Millis } from '../domain/time.js';

export interface ClaimClock {
  /** The shared "now", epoch ms. Rejects with ClaimClockUnavailableError when the source does not answer in time. */
  now(): Promise<Millis>;
}

/** The shared time source could not be read (Redis unreachable or too slow): no claim decision may be taken. */
export class ClaimClockUnavailableError extends Error {
  override readonly name: string = 'ClaimClockUnavailableError';
}

/**
 * This process's clock corrected to the shared one, read once for a round of lease decisions (the alert ledger's and
 * the ITSM outbox's leases): a dispatcher whose clock runs minutes ahead must not see a live lease as lapsed and send
 * an alert or a ticket note twice. Unlike a rotation step, an alert must never wait on Redis: when the shared time
 * cannot be read the round goes on with the local clock — at worst, during a Redis outage *and* a clock skew larger
 * than the lease, one alert or note is sent twice rather than none sent.
 */
export async function sharedLeaseClock(shared: ClaimClock | undefined, local: { now(): Millis }): Promise<{ now(): Millis }> {
  if (!shared) return local;
  try {
    const before = local.now();
    const at = await shared.now();
    const offset = at - Math.round((before + local.now()) / 2);
    return { now: () => local.now() + offset };
  } catch {
    return local;
  }
}
