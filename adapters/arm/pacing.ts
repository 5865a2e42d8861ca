// Paces ARM reads per subscription so a large discovery spends ARM's throttling budget instead of running into it.
// ARM throttles each subscription's reads with a token bucket (since 2024: 250 tokens, refilled 25/s) and says what
// is left in `x-ms-ratelimit-remaining-subscription-reads` on every answer. A 429 costs a whole Retry-After (whole
// seconds) per request in flight, so waiting out 429s alone reads at (requests in flight)/s — far below the refill
// rate. This policy keeps an estimate of each subscription's bucket, set from that header on every answer, spends a
// token per read it lets go, and holds a read while the estimate is empty until the refill makes one. The estimate
// never blocks what ARM would accept by much (every answer resets it to ARM's own count); a 429 that slips through is
// still retried by the SDK after its Retry-After.
import type { PipelinePolicy } from '@azure/core-rest-pipeline';

const SUBSCRIPTION = /\/subscriptions\/([^/?#]+)\//i;
const HEADER = 'x-ms-ratelimit-remaining-subscription-reads';

interface Bucket {
  tokens: number;
  at: number;
  /** Reads let go and not answered yet: ARM's count does not include them. */
  inFlight: number;
}

export interface ArmPacerOptions {
  /** Tokens ARM adds to a subscription's read bucket per second. Default 25 (ARM's documented refill). */
  readonly refillPerSecond?: number;
  /** Default Date.now / setTimeout (tests). */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export class ArmPacer {
  private readonly buckets = new Map<string, Bucket>();
  private readonly rate: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  constructor(o: ArmPacerOptions = {}) {
    this.rate = o.refillPerSecond ?? 25;
    this.now = o.now ?? Date.now;
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  private bucket(subscription: string): Bucket {
    let b = this.buckets.get(subscription);
    if (!b) this.buckets.set(subscription, (b = { tokens: Number.POSITIVE_INFINITY, at: this.now(), inFlight: 0 }));
    return b;
  }

  /** Waits, if the subscription's bucket is empty by the estimate, until it holds a token; then spends it. */
  async admit(subscription: string): Promise<void> {
    const b = this.bucket(subscription);
    for (;;) {
      const t = this.now();
      b.tokens += ((t - b.at) / 1000) * this.rate;
      b.at = t;
      if (b.tokens >= 1) {
        b.tokens -= 1;
        b.inFlight += 1;
        return;
      }
      await this.sleep(Math.ceil(((1 - b.tokens) / this.rate) * 1000));
    }
  }

  /** An answer: ARM's count of what is left (null when it gave none), less what is still in flight. */
  settle(subscription: string, remaining: number | null): void {
    const b = this.bucket(subscription);
    b.inFlight = Math.max(0, b.inFlight - 1);
    if (remaining === null) return;
    b.tokens = remaining - b.inFlight;
    b.at = this.now();
  }

  readonly policy: PipelinePolicy = {
    name: 'keystewardArmPacer',
    sendRequest: async (request, next) => {
      const sub = request.method === 'GET' ? SUBSCRIPTION.exec(new URL(request.url).pathname)?.[1]?.toLowerCase() : undefined;
      if (!sub) return next(request);
      await this.admit(sub);
      try {
        const response = await next(request);
        const remaining = Number(response.headers.get(HEADER) ?? NaN);
        this.settle(sub, Number.isFinite(remaining) ? remaining : null);
        return response;
      } catch (err) {
        this.settle(sub, null);
        throw err;
      }
    },
  };
}
