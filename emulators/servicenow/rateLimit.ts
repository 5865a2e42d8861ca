// ServiceNow's REST API rate limit rules, reduced to one: at most `limit` Table API requests per user in any rolling
// 60 s window. Refused requests are not counted, so a client that waits as Retry-After says gets through.
// The 429 carries Retry-After (seconds) and X-RateLimit-Limit / -Remaining / -Reset (epoch seconds) [doc].

const WINDOW_MS = 60_000;

export type RateDecision = { readonly ok: true } | { readonly ok: false; readonly headers: Readonly<Record<string, string>> };

export class RollingMinuteLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error('rateLimitPerMinute must be a positive integer');
  }

  take(user: string, now: number): RateDecision {
    const recent = (this.hits.get(user) ?? []).filter((t) => t > now - WINDOW_MS);
    this.hits.set(user, recent);
    if (recent.length < this.limit) {
      recent.push(now);
      return { ok: true };
    }
    // The oldest hit leaving the window frees the next slot.
    const reset = (recent[0] ?? now) + WINDOW_MS;
    return {
      ok: false,
      headers: {
        'Retry-After': String(Math.max(1, Math.ceil((reset - now) / 1000))),
        'X-RateLimit-Limit': String(this.limit),
        'X-RateLimit-Remaining': '0',
        'X-RateLimit-Reset': String(Math.ceil(reset / 1000)),
      },
    };
  }
}
