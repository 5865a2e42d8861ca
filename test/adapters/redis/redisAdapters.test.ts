// Redis adapters against a real Redis (the machine's on 127.0.0.1:6379, REDIS_URL, or a private redis-server).
import { spawnSync } from 'node:child_process';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createRedis, redactRedisUrl } from '../../../adapters/redis/client.js';
import { RedisDedupe } from '../../../adapters/redis/dedupe.js';
import { Heartbeats } from '../../../adapters/redis/heartbeats.js';
import { checkNoEviction } from '../../../adapters/redis/noEviction.js';
import { freePort } from '../../../hosts/local/ports.js';
import { useRedis } from '../../support/redis.js';

const env = useRedis();

describe('RedisDedupe', () => {
  it('is false the first time and true after (SET NX), per key', async () => {
    const { redis, prefix } = env();
    const dedupe = new RedisDedupe(redis, { prefix: prefix() });
    expect(await dedupe.seen('batch-1', 60)).toBe(false);
    expect(await dedupe.seen('batch-1', 60)).toBe(true);
    expect(await dedupe.seen('batch-2', 60)).toBe(false);
  });

  it('gives exactly one "first" to 10 concurrent callers', async () => {
    const { redis, prefix } = env();
    const dedupe = new RedisDedupe(redis, { prefix: prefix() });
    const results = await Promise.all(Array.from({ length: 10 }, () => dedupe.seen('race', 60)));
    expect(results.filter((seen) => !seen)).toHaveLength(1);
  });

  it('stores the mark under the prefix with the TTL, and forgets it when the TTL ends', async () => {
    const { redis, prefix } = env();
    const p = prefix();
    const dedupe = new RedisDedupe(redis, { prefix: p });
    await dedupe.seen('ttl', 30);
    const ttl = await redis.ttl(`${p}dedupe:ttl`);
    expect(ttl).toBeGreaterThan(25);
    expect(ttl).toBeLessThanOrEqual(30);
    // Shorten the TTL rather than sleep for a second.
    await redis.pexpire(`${p}dedupe:ttl`, 20);
    await new Promise((r) => setTimeout(r, 60));
    expect(await dedupe.seen('ttl', 30)).toBe(false);
  });

  it('prefixes keys with keysteward: by default and refuses a TTL that is not a positive integer', async () => {
    const { redis } = env();
    const dedupe = new RedisDedupe(redis);
    await expect(dedupe.seen('x', 0)).rejects.toThrow(RangeError);
    await expect(dedupe.seen('x', 1.5)).rejects.toThrow(RangeError);
    expect(await redis.exists('keysteward:dedupe:x')).toBe(0);
  });
});

describe('Heartbeats', () => {
  it('records the last beat per name, with an expiry', async () => {
    const { redis, prefix } = env();
    const p = prefix();
    const beats = new Heartbeats(redis, { prefix: p, ttlSeconds: 120 });
    expect(await beats.last('consumer-0')).toBeNull();
    await beats.beat('consumer-0', 1_700_000_000_000);
    await beats.beat('consumer-0', 1_700_000_005_000);
    await beats.beat('worker', 1_700_000_001_000);
    expect(await beats.last('consumer-0')).toBe(1_700_000_005_000);
    expect(await beats.last('worker')).toBe(1_700_000_001_000);
    const ttl = await redis.ttl(`${p}heartbeat:worker`);
    expect(ttl).toBeGreaterThan(100);
    expect(ttl).toBeLessThanOrEqual(120);
    await expect(beats.beat('worker', Number.NaN)).rejects.toThrow(RangeError);
  });
});

describe('checkNoEviction', () => {
  it('reports the policy this Redis runs with (noeviction on the project machines)', async () => {
    const { redis, url } = env();
    const result = await checkNoEviction(redis);
    const u = new URL(url);
    const cli = spawnSync('redis-cli', ['-h', u.hostname, '-p', u.port || '6379', 'config', 'get', 'maxmemory-policy'], { encoding: 'utf8', timeout: 5_000 });
    // Compare with redis-cli when it is installed (it is with redis-server), otherwise with a raw CONFIG GET.
    const policy = cli.status === 0 ? cli.stdout.trim().split(/\s+/)[1] : ((await redis.config('GET', 'maxmemory-policy')) as string[])[1];
    expect(result).toStrictEqual({ ok: policy === 'noeviction', policy });
  });

  it('reports "unknown" when CONFIG is refused, as on managed Redis', async () => {
    const blocked = { config: async () => Promise.reject(new Error("ERR unknown command 'CONFIG'")) } as unknown as Redis;
    expect(await checkNoEviction(blocked)).toStrictEqual({ ok: 'unknown', reason: "CONFIG GET refused: ERR unknown command 'CONFIG'" });
  });

  it('reports "unknown" when Redis does not answer in time', async () => {
    const silent = { config: () => new Promise(() => {}) } as unknown as Redis;
    expect(await checkNoEviction(silent, { timeoutMs: 30 })).toMatchObject({ ok: 'unknown' });
  });
});

describe('createRedis', () => {
  it('reports connection errors without the password', async () => {
    const port = await freePort(); // nothing listens there
    const messages: string[] = [];
    const redis = createRedis(`redis://keysteward:hunter2-secret@127.0.0.1:${port}`, { onError: (m) => messages.push(m) });
    try {
      await new Promise((r) => setTimeout(r, 300));
      expect(messages.length).toBeGreaterThan(0);
      expect(messages.join('\n')).not.toContain('hunter2');
    } finally {
      redis.disconnect();
    }
  });

  it('redacts credentials from URLs for logs', () => {
    expect(redactRedisUrl('redis://user:pw@host:6380/2')).toBe('redis://host:6380/2');
    expect(redactRedisUrl('rediss://:pw@host:6380')).toBe('rediss://host:6380');
    expect(redactRedisUrl('not a url')).toBe('<unparseable redis url>');
  });

  it('connects with maxRetriesPerRequest null (BullMQ needs it)', () => {
    const { redis } = env();
    expect(redis.options.maxRetriesPerRequest).toBeNull();
  });
});
