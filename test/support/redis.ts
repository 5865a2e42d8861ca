// Redis for tests: the machine's (or REDIS_URL, or a private redis-server) via connectRedisForLocal. Each test
// takes its own key prefix, and every key under it is deleted after the test, so runs never see each other.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createRedis, KEY_PREFIX } from '../../adapters/redis/client.js';
import { connectRedisForLocal, type LocalRedis } from '../../hosts/local/redis.js';

export interface TestRedis {
  readonly redis: Redis;
  readonly url: string;
  /** A fresh `keysteward:test:<uuid>:` prefix, cleaned up after the current test. */
  prefix(): string;
  /** Another connection to the same Redis (as a second keysteward instance would have), closed after the current test. */
  client(): Redis;
}

export function useRedis(): () => TestRedis {
  let local: LocalRedis | null = null;
  let redis: Redis | null = null;
  const prefixes: string[] = [];
  const clients: Redis[] = [];
  beforeAll(async () => {
    local = await connectRedisForLocal();
    redis = createRedis(local.url, { name: 'keysteward-test' });
    await redis.ping();
  }, 30_000);
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.quit().catch(() => c.disconnect());
    const r = redis;
    if (r === null) return;
    for (const prefix of prefixes.splice(0)) await deleteByPrefix(r, prefix);
  });
  afterAll(async () => {
    await redis?.quit();
    await local?.close();
    redis = null;
    local = null;
  });
  return () => {
    const r = redis;
    const l = local;
    if (r === null || l === null) throw new Error('useRedis(): Redis is not connected (call the getter inside a test)');
    return {
      redis: r,
      url: l.url,
      prefix: () => {
        const p = `${KEY_PREFIX}test:${randomUUID()}:`;
        prefixes.push(p);
        return p;
      },
      client: () => {
        const c = createRedis(l.url, { name: 'keysteward-test-peer' });
        clients.push(c);
        return c;
      },
    };
  };
}

export async function deleteByPrefix(redis: Redis, prefix: string): Promise<void> {
  // SCAN, not KEYS: never block a shared Redis. The prefix is ours (a UUID), so the pattern needs no escaping
  // beyond glob characters, which it does not contain.
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}
