// ACS Email's default send quota: 30 messages a minute and 100 an hour (limits.md A11), over sliding windows.
// The capture applies it only when asked, so tests and `npm start` can show what a mass revocation would hit.

export interface RateLimitOptions {
  readonly perMinute?: number;
  readonly perHour?: number;
}

/** ACS's documented defaults, for callers who want the real ceiling. */
export const ACS_DEFAULT_LIMITS: Required<RateLimitOptions> = { perMinute: 30, perHour: 100 };

const MINUTE = 60_000;
const HOUR = 3_600_000;

export type RateDecision = { readonly ok: true } | { readonly ok: false; readonly retryAfterSec: number };

export class SlidingWindowLimiter {
  private readonly accepted: number[] = [];

  constructor(private readonly limits: RateLimitOptions) {}

  /** Whether a send at `now` fits; when not, how long until the oldest send in the full window leaves it. */
  check(now: number): RateDecision {
    this.prune(now);
    let waitMs = 0;
    for (const [limit, window] of [[this.limits.perMinute, MINUTE], [this.limits.perHour, HOUR]] as const) {
      if (limit === undefined) continue;
      const inWindow = this.accepted.filter((t) => t > now - window);
      if (inWindow.length >= limit) {
        const oldest = inWindow[inWindow.length - limit] ?? now;
        waitMs = Math.max(waitMs, oldest + window - now);
      }
    }
    return waitMs > 0 ? { ok: false, retryAfterSec: Math.max(1, Math.ceil(waitMs / 1000)) } : { ok: true };
  }

  record(now: number): void {
    this.accepted.push(now);
  }

  private prune(now: number): void {
    while (this.accepted.length > 0 && (this.accepted[0] ?? now) <= now - HOUR) this.accepted.shift();
  }
}
