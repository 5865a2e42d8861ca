// Per-user rolling-minute quota of REST requests. Invariant: at most `limit` accepted requests of one user in any
// 60 s window; refused requests are not counted (a client that backs off as told gets through when Retry-After says).

const WINDOW_MS = 60_000;

export type RateDecision = { readonly ok: true } | { readonly ok: false; readonly headers: Readonly<Record<string, string>> };

export class RollingMinuteLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error('rateLimitPerMinute must be a positive integer');
  }

  /** Records the request when within quota; otherwise the 429 headers (Retry-After until the oldest hit leaves the window). */
  take(user: string, now: number): RateDecision {
    const recent = (this.hits.get(user) ?? []).filter((t) => t > now - WINDOW_MS);
    if (recent.length < this.limit) {
      recent.push(now);
      this.hits.set(user, recent);
      return { ok: true };
    }
    this.hits.set(user, recent);
    const reset = (recent[0] ?? now) + WINDOW_MS;
    return {
      ok: false,
      headers: {
        'Retry-After': String(Math.max(1, Math.ceil((reset - now) / 1000))),
        'X-RateLimit-Limit': String(this.limit),
        'X-RateLimit-Remaining': '0',
        'X-RateLimit-Reset': new Date(reset).toISOString(),
      },
    };
  }
}
