// SweepCursor contract (app/ports.ts) against the memory fake and the Redis adapter on a real Redis: absent until
// saved, the last save wins, null clears it, and two deployments (prefixes) never share one.
import { describe, expect, it } from 'vitest';
import { MemorySweepCursor } from '../../app/fakes/memorySweepCursor.js';
import type { SweepCursor } from '../../app/ports.js';
import { RedisSweepCursor } from '../../adapters/redis/sweepCursor.js';
import { useRedis } from '../support/redis.js';

function sweepCursorContract(name: string, make: () => { cursor: SweepCursor; other: () => SweepCursor; neighbour: () => SweepCursor }): void {
  describe(`SweepCursor contract: ${name}`, () => {
    it('is absent until saved, keeps the last position saved, and is cleared by null', async () => {
      const { cursor } = make();
      expect(await cursor.load()).toBeNull();
      await cursor.save('orders-00041-sql');
      await cursor.save('~3f9a0c');
      expect(await cursor.load()).toBe('~3f9a0c');
      await cursor.save(null);
      expect(await cursor.load()).toBeNull();
    });

    it('is shared by the instances of one deployment and not seen by another', async () => {
      const { cursor, other, neighbour } = make();
      await cursor.save('billing-00007-sql');
      expect(await other().load()).toBe('billing-00007-sql');
      expect(await neighbour().load()).toBeNull();
    });
  });
}

sweepCursorContract('memory', () => {
  const cursor = new MemorySweepCursor();
  return { cursor, other: () => cursor, neighbour: () => new MemorySweepCursor() };
});

const redis = useRedis();
sweepCursorContract('redis', () => {
  const prefix = redis().prefix();
  return {
    cursor: new RedisSweepCursor(redis().redis, { prefix }),
    other: () => new RedisSweepCursor(redis().client(), { prefix }),
    neighbour: () => new RedisSweepCursor(redis().redis, { prefix: redis().prefix() }),
  };
});

describe('RedisSweepCursor', () => {
  it('keeps the position under the deployment prefix with an expiry, so a retired deployment leaves nothing behind', async () => {
    const prefix = redis().prefix();
    await new RedisSweepCursor(redis().redis, { prefix }).save('ledger-00002-sql');
    const ttl = await redis().redis.ttl(`${prefix}sweep:cursor`);
    expect(ttl).toBeGreaterThan(3600);
    expect(ttl).toBeLessThanOrEqual(24 * 3600);
  });
});
