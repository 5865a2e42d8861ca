// Injected failures (`failNext`): the next n authenticated requests answer 429 (with `x-ms-retry-after-ms`, as
// Cosmos throttles) or 503, and change nothing. They stand for what the emulator cannot produce by itself (RU
// exhaustion, a partition failover); they come after authentication, as in Cosmos, so a bad signature stays a 401.
import { serviceUnavailable, tooManyRequests, type CosmosError } from './errors.js';

export class InjectedFaults {
  private readonly queue: Array<{ status: 429 | 503; retryAfterMs: number }> = [];

  add(n: number, status: 429 | 503, retryAfterMs: number): void {
    if (!Number.isInteger(n) || n < 0) throw new Error(`failNext: n must be a non-negative integer, got ${n}`);
    if (status !== 429 && status !== 503) throw new Error(`failNext: status must be 429 or 503, got ${String(status)}`);
    if (!Number.isFinite(retryAfterMs) || retryAfterMs < 0) throw new Error(`failNext: retryAfterMs must be >= 0, got ${retryAfterMs}`);
    for (let i = 0; i < n; i++) this.queue.push({ status, retryAfterMs: Math.round(retryAfterMs) });
  }

  /** The next injected failure, consumed; null when none is queued. */
  take(): CosmosError | null {
    const next = this.queue.shift();
    if (!next) return null;
    return next.status === 429 ? tooManyRequests(next.retryAfterMs) : serviceUnavailable();
  }
}
