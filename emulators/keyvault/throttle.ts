// Per-vault throttling (limits.md K1–K12). A sliding window (a log of admitted requests and their weights) rather
// than fixed buckets: a burst straddling a bucket edge cannot get twice the budget, and the exact Retry-After is
// known — the time until enough admitted weight leaves the window. Rejected requests are not logged, so a 429 does
// not count against the budget (K10).
import type { KeyVaultLimits } from './types.js';

export type TakeResult = { readonly ok: true } | { readonly ok: false; readonly retryAfterMs: number };

const EPSILON = 1e-9;

export class SlidingWindow {
  private readonly at: number[] = [];
  private readonly weight: number[] = [];
  private head = 0;
  private total = 0;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  take(now: number, requested: number): TakeResult {
    this.expire(now);
    // A single request heavier than the whole budget would never pass: it takes the whole window instead.
    const w = Math.min(requested, this.limit);
    if (this.total + w <= this.limit + EPSILON) {
      this.at.push(now);
      this.weight.push(w);
      this.total += w;
      return { ok: true };
    }
    let freed = 0;
    for (let i = this.head; i < this.at.length; i++) {
      freed += this.weight[i] ?? 0;
      if (this.total - freed + w <= this.limit + EPSILON) return { ok: false, retryAfterMs: Math.max(0, (this.at[i] ?? now) + this.windowMs - now) };
    }
    return { ok: false, retryAfterMs: this.windowMs };
  }

  private expire(now: number): void {
    const cutoff = now - this.windowMs;
    while (this.head < this.at.length && (this.at[this.head] ?? Infinity) <= cutoff) {
      this.total -= this.weight[this.head] ?? 0;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.at.length) {
      this.at.splice(0, this.head);
      this.weight.splice(0, this.head);
      this.head = 0;
    }
    if (this.head === this.at.length) this.total = 0; // drop float drift once empty
  }
}

export interface ResolvedLimits {
  readonly windowMs: number;
  readonly rsa2048: number;
  readonly rsa3072: number;
  readonly create: number;
}

/** Defaults: the documented per-vault ceilings (K1, K3, K6). */
export function resolveLimits(l: KeyVaultLimits | undefined): ResolvedLimits {
  const rsa2048 = l?.rsa2048 ?? 4000;
  // Without its own figure, RSA-3072 keeps the documented ratio to RSA-2048 (1000 : 4000), so a shrunk budget for
  // tests keeps its weights.
  return { windowMs: l?.windowMs ?? 10_000, rsa2048, rsa3072: l?.rsa3072 ?? rsa2048 / 4, create: l?.create ?? 20 };
}

/**
 * Cost of one operation in software-RSA-2048 units (K8: the limit applies to the weighted sum). HSM keys cost twice
 * their software size (K2/K3/K4); RSA-4096 costs 8 (500 per window in K4). Operations on no key (lists, restores,
 * lookups of absent keys) cost one unit.
 */
export function operationWeight(limits: ResolvedLimits, kty: string | undefined, size: number | undefined): number {
  const hsm = kty?.endsWith('-HSM') ? 2 : 1;
  if (size === undefined || size <= 2048) return hsm;
  if (size <= 3072) return (limits.rsa2048 / limits.rsa3072) * hsm;
  return 8 * hsm;
}

/** Key creations (create, import, rotate) have their own budget; an HSM creation costs 2 (K6: 20 software / 10 HSM). */
export function creationWeight(kty: string | undefined): number {
  return kty?.endsWith('-HSM') ? 2 : 1;
}

export class VaultThrottle {
  private readonly ops: SlidingWindow;
  private readonly creates: SlidingWindow;

  constructor(readonly limits: ResolvedLimits) {
    this.ops = new SlidingWindow(limits.rsa2048, limits.windowMs);
    this.creates = new SlidingWindow(limits.create, limits.windowMs);
  }

  take(now: number, cost: { readonly budget: 'ops' | 'create'; readonly weight: number }): TakeResult {
    return (cost.budget === 'create' ? this.creates : this.ops).take(now, cost.weight);
  }
}
