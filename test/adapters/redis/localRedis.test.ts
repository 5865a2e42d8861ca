// connectRedisForLocal: REDIS_URL as given, the machine's Redis when it answers, a private redis-server otherwise.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createRedis } from '../../../adapters/redis/client.js';
import { checkNoEviction } from '../../../adapters/redis/noEviction.js';
import { freePort, waitForPort } from '../../../hosts/local/ports.js';
import { connectRedisForLocal } from '../../../hosts/local/redis.js';

const hasRedisServer = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0;

describe('connectRedisForLocal', () => {
  it('uses a given URL as is and starts nothing', async () => {
    const local = await connectRedisForLocal({ url: 'redis://example.invalid:6390' });
    expect(local).toMatchObject({ url: 'redis://example.invalid:6390', started: false });
    await local.close();
  });

  it.skipIf(!hasRedisServer)('starts a private redis-server when none answers, and stops it on close', async () => {
    const closed = await freePort();
    const local = await connectRedisForLocal({ url: '', probeUrl: `redis://127.0.0.1:${closed}` });
    expect(local.started).toBe(true);
    const port = Number(new URL(local.url).port);
    const redis = createRedis(local.url);
    try {
      expect(await redis.ping()).toBe('PONG');
      // A private server is ours to reconfigure: prove the check reports a policy other than noeviction.
      await redis.config('SET', 'maxmemory-policy', 'allkeys-lru');
      expect(await checkNoEviction(redis)).toStrictEqual({ ok: false, policy: 'allkeys-lru' });
    } finally {
      redis.disconnect();
      await local.close();
    }
    expect(await waitForPort(port, { timeoutMs: 300 })).toBe(false);
  });
});
