// The sweep's resume position in Redis, beside the heartbeats: shared by every instance that sweeps (the Functions
// timer runs on one instance at a time, but which one changes). It expires, so a retired deployment leaves nothing
// behind; an expired or lost cursor makes the next sweep start at the first state, which costs time, never alerts.
import type { Redis } from 'ioredis';
import type { SweepCursor } from '../../app/ports.js';
import { KEY_PREFIX } from './client.js';

const TTL_SECONDS = 24 * 3600;

export class RedisSweepCursor implements SweepCursor {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    opts: { prefix?: string } = {},
  ) {
    this.key = `${opts.prefix ?? KEY_PREFIX}sweep:cursor`;
  }

  async load(): Promise<string | null> {
    return this.redis.get(this.key);
  }

  async save(position: string | null): Promise<void> {
    if (position === null) await this.redis.del(this.key);
    else await this.redis.set(this.key, position, 'EX', TTL_SECONDS);
  }
}
