// A send budget shared by every instance (ACS Email: 30/min and 100/h by default, limits.md A11): fixed
// minute and hour windows in Redis, checked and taken in one Lua script so two instances cannot both take the
// last slot. Over budget, the caller leaves the alert pending; it is sent when the window turns.
import type { Redis } from 'ioredis';
import type { RateLimiter } from '../../app/ports.js';

export interface Budget {
  readonly perMinute: number;
  readonly perHour: number;
}

// KEYS: minute key, hour key. ARGV: per-minute limit, per-hour limit. Returns 1 when taken, 0 when over budget.
const TAKE = `
local m = tonumber(redis.call('GET', KEYS[1]) or '0')
local h = tonumber(redis.call('GET', KEYS[2]) or '0')
if m >= tonumber(ARGV[1]) or h >= tonumber(ARGV[2]) then return 0 end
redis.call('INCR', KEYS[1]); redis.call('EXPIRE', KEYS[1], 120)
redis.call('INCR', KEYS[2]); redis.call('EXPIRE', KEYS[2], 7200)
return 1`;

export class RedisRateLimiter implements RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly budgets: Readonly<Record<string, Budget>>,
    private readonly prefix = 'keysteward:rate:',
  ) {}

  async tryTake(channel: string, now: number): Promise<boolean> {
    const budget = this.budgets[channel];
    if (!budget) return true;
    const minute = Math.floor(now / 60_000);
    const hour = Math.floor(now / 3_600_000);
    const taken = await this.redis.eval(TAKE, 2, `${this.prefix}${channel}:m:${minute}`, `${this.prefix}${channel}:h:${hour}`, budget.perMinute, budget.perHour);
    return taken === 1;
  }
}

/** The same budget in one process's memory: for tests and single-instance use without Redis. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly counts = new Map<string, number>();

  constructor(private readonly budgets: Readonly<Record<string, Budget>>) {}

  async tryTake(channel: string, now: number): Promise<boolean> {
    const budget = this.budgets[channel];
    if (!budget) return true;
    const mk = `${channel}:m:${Math.floor(now / 60_000)}`;
    const hk = `${channel}:h:${Math.floor(now / 3_600_000)}`;
    const m = this.counts.get(mk) ?? 0;
    const h = this.counts.get(hk) ?? 0;
    if (m >= budget.perMinute || h >= budget.perHour) return false;
    this.counts.set(mk, m + 1);
    this.counts.set(hk, h + 1);
    return true;
  }
}
