// RateLimiter contract against the in-memory twin and the Redis limiter on a real Redis, and what only Redis has:
// the script computes exactly what domain/gcra.ts computes (differential, on a simulated clock), its key expires once
// the budget is full again, and an unreachable Redis is an error within the command timeout (composition.ts failOpen
// then sends anyway), never a hang.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RedisRateLimiter, SendBudgetUnavailableError } from '../../adapters/ratelimit/redisRateLimiter.js';
import { createRedis } from '../../adapters/redis/client.js';
import { MemoryRateLimiter } from '../../app/fakes/memoryRateLimiter.js';
import { freePort } from '../../hosts/local/ports.js';
import { useRedis } from '../support/redis.js';
import { rateLimiterContract } from './rateLimiterContract.js';

const env = useRedis();

rateLimiterContract('memory', (budgets) => {
  const shared = new MemoryRateLimiter(budgets);
  return { instance: () => shared };
});

rateLimiterContract('redis', (budgets) => {
  const { prefix, client } = env();
  const p = prefix();
  return { instance: () => new RedisRateLimiter(client(), budgets, p) };
});

describe('RedisRateLimiter', () => {
  it('takes and refuses exactly as domain/gcra.ts does, for any budget and sequence of takes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 200 }), fc.array(fc.integer({ min: 0, max: 400_000_000 }), { minLength: 1, maxLength: 80 }), async (perMinute, perHour, gapsUs) => {
        const { redis, prefix } = env();
        const budgets = { email: { perMinute, perHour } };
        const real = new RedisRateLimiter(redis, budgets, prefix());
        const twin = new MemoryRateLimiter(budgets);
        let now = 1_767_225_600_000_000; // 2026-01-01 in µs
        for (const gap of gapsUs) {
          now += gap;
          expect(await real.take('email', now)).toEqual(await twin.take('email', now));
        }
      }),
      { numRuns: 50 },
    );
  });

  it('keeps its one key only until every limit is full again', async () => {
    const { redis, prefix } = env();
    const limiter = new RedisRateLimiter(redis, { email: { perMinute: 30, perHour: 100 } }, prefix());
    expect(await limiter.tryTake('email', 0)).toBe(true);
    const ttl = await redis.pttl(limiter.keyOf('email'));
    // One send moves the hour's TAT ≈ 50.7 s ahead (T = 3600 s / 71); plus the 60 s margin.
    expect(ttl).toBeGreaterThan(60_000);
    expect(ttl).toBeLessThanOrEqual(50_705 + 60_000);
    expect(await redis.hkeys(limiter.keyOf('email'))).toEqual(['tat1', 'tat2']);
  });

  it('fails with SendBudgetUnavailableError, never hangs, when Redis is unreachable', async () => {
    const port = await freePort(); // nothing listens there
    const redis = createRedis(`redis://127.0.0.1:${port}`, { onError: () => {} });
    try {
      const limiter = new RedisRateLimiter(redis, { email: { perMinute: 30, perHour: 100 } }, 'keysteward:test:unreachable:', { commandTimeoutMs: 100 });
      await expect(limiter.tryTake('email', 0)).rejects.toBeInstanceOf(SendBudgetUnavailableError);
      expect(await limiter.tryTake('webhook', 0)).toBe(true); // no budget, no Redis call
    } finally {
      redis.disconnect();
    }
  });
});
