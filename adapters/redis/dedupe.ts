// Short-lived "have we done this already?" marks (e.g. an Event Hubs record applied twice, E-2). Losing them
// costs a repeated idempotent step, never correctness: the durable stores decide; this only saves work.
import type { Redis } from 'ioredis';
import { KEY_PREFIX } from './client.js';

export class RedisDedupe {
  private readonly prefix: string;

  constructor(
    private readonly redis: Redis,
    opts: { prefix?: string } = {},
  ) {
    this.prefix = `${opts.prefix ?? KEY_PREFIX}dedupe:`;
  }

  /** Marks `key` for `ttlSeconds`; true when it was already marked (seen before), false on the first call. */
  async seen(key: string, ttlSeconds: number): Promise<boolean> {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new RangeError(`ttlSeconds must be a positive integer, got ${ttlSeconds}`);
    // One atomic SET NX EX: two instances racing on the same key get exactly one "first".
    const reply = await this.redis.set(this.prefix + key, '1', 'EX', ttlSeconds, 'NX');
    return reply === null;
  }
}
