// ARM's request throttling as the emulator applies it: a token bucket per subscription (and one for the tenant) per
// kind of request — reads, writes, deletes — refilled continuously (ARM since 2024: subscription reads 250 tokens,
// refilled 25/s; writes and deletes 200, 10/s; learn.microsoft.com/azure/azure-resource-manager/management/
// request-limits-and-throttling). Every answer carries `x-ms-ratelimit-remaining-<scope>-<kind>`; an empty bucket
// answers 429 with Retry-After, and a 429 costs no token. Tests can also force "every Nth read is a 429".
import { requestsThrottled, type ArmError } from './errors.js';

export interface TokenBucket {
  /** Tokens when full: the burst a client may send at once. */
  readonly size: number;
  /** Tokens added per second (0: never refilled). */
  readonly refillPerSecond: number;
}

export interface ArmThrottling {
  /** Default ARM's: `{ size: 250, refillPerSecond: 25 }`. */
  readonly reads?: TokenBucket;
  /** Default `{ size: 200, refillPerSecond: 10 }`. */
  readonly writes?: TokenBucket;
  /** Default `{ size: 200, refillPerSecond: 10 }`. */
  readonly deletes?: TokenBucket;
  /** Every Nth read the emulator receives (counted across all scopes, 429s included) answers 429. 0/absent: never. */
  readonly rejectEveryNthRead?: number;
  /** Retry-After (seconds) on a 429. Default: until the bucket holds a token again, rounded up (1 for a forced 429). */
  readonly retryAfterSeconds?: number;
}

export type RequestKind = 'reads' | 'writes' | 'deletes';

const ENDLESS: TokenBucket = { size: 1_000_000_000, refillPerSecond: 0 };

/** A budget nothing in a test or bench run exhausts (the headers still count down). */
export const UNTHROTTLED: ArmThrottling = { reads: ENDLESS, writes: ENDLESS, deletes: ENDLESS };

const DEFAULTS: Readonly<Record<RequestKind, TokenBucket>> = {
  reads: { size: 250, refillPerSecond: 25 },
  writes: { size: 200, refillPerSecond: 10 },
  deletes: { size: 200, refillPerSecond: 10 },
};

export const kindOf = (method: string): RequestKind => {
  const m = method.toUpperCase();
  return m === 'GET' || m === 'HEAD' ? 'reads' : m === 'DELETE' ? 'deletes' : 'writes';
};

interface BucketState {
  tokens: number;
  at: number;
}

export interface Admission {
  /** The rate-limit header to send with the answer (also with a 429). */
  readonly headers: Readonly<Record<string, string>>;
  /** Set when the request must be answered 429. */
  readonly throttled: ArmError | null;
}

export class ArmThrottle {
  private readonly buckets = new Map<string, BucketState>();
  private reads = 0;

  constructor(
    private settings: ArmThrottling,
    private readonly clock: () => number,
  ) {}

  configure(settings: ArmThrottling): void {
    this.settings = settings;
    this.buckets.clear();
    this.reads = 0;
  }

  /** Takes a token for this request from its scope's bucket (`subscriptionId` null: the tenant's). */
  admit(subscriptionId: string | null, method: string): Admission {
    const kind = kindOf(method);
    const spec = this.settings[kind] ?? DEFAULTS[kind];
    const scope = subscriptionId === null ? 'tenant' : 'subscription';
    const header = `x-ms-ratelimit-remaining-${scope}-${kind}`;
    const key = `${kind}|${subscriptionId?.toLowerCase() ?? ''}`;
    const now = this.clock();
    const state = this.buckets.get(key) ?? { tokens: spec.size, at: now };
    state.tokens = Math.min(spec.size, state.tokens + (Math.max(0, now - state.at) / 1000) * spec.refillPerSecond);
    state.at = now;
    this.buckets.set(key, state);
    const id = subscriptionId ?? 'tenant';
    const label = kind.slice(0, -1);

    const nth = this.settings.rejectEveryNthRead ?? 0;
    if (kind === 'reads' && nth > 0 && ++this.reads % nth === 0) {
      return { headers: { [header]: String(Math.floor(state.tokens)) }, throttled: requestsThrottled(scope, id, label, spec.size, this.settings.retryAfterSeconds ?? 1) };
    }
    if (state.tokens < 1) {
      const wait = spec.refillPerSecond > 0 ? Math.max(1, Math.ceil((1 - state.tokens) / spec.refillPerSecond)) : 3600;
      return { headers: { [header]: '0' }, throttled: requestsThrottled(scope, id, label, spec.size, this.settings.retryAfterSeconds ?? wait) };
    }
    state.tokens -= 1;
    return { headers: { [header]: String(Math.floor(state.tokens)) }, throttled: null };
  }
}
