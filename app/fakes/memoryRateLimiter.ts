// The send budget of adapters/ratelimit/redisRateLimiter.ts in one process's memory, on the caller's clock: the same
// GCRA (domain/gcra.ts) and limits, for app/ tests (both pass test/contracts/rateLimiter).
import { gcraCell, gcraTake, perMinuteAndHour, type GcraCell } from '../../domain/gcra.js';
import type { RateLimiter } from '../ports.js';

export class MemoryRateLimiter implements RateLimiter {
  private readonly cells: ReadonlyMap<string, readonly GcraCell[]>;
  private readonly tats = new Map<string, number[]>();

  constructor(budgets: Readonly<Record<string, { readonly perMinute: number; readonly perHour: number }>>) {
    this.cells = new Map(Object.entries(budgets).map(([channel, b]) => [channel, perMinuteAndHour(b).map(gcraCell)]));
  }

  async tryTake(channel: string, now: number): Promise<boolean> {
    return (await this.take(channel, Math.round(now * 1000))).taken;
  }

  /** The take at `atUs`, with the time until a refused one would be taken (as RedisRateLimiter.take). */
  async take(channel: string, atUs: number): Promise<{ taken: boolean; retryInUs: number }> {
    const cells = this.cells.get(channel);
    if (!cells) return { taken: true, retryInUs: 0 };
    const r = gcraTake(cells, this.tats.get(channel) ?? [], atUs);
    if (!r.taken) return { taken: false, retryInUs: r.retryInUs };
    this.tats.set(channel, r.tats);
    return { taken: true, retryInUs: 0 };
  }
}
