// Hot liveness timestamps (a consumer, a worker, a timer): read by health endpoints. They expire so a
// retired component's beat does not linger; an absent beat means "not seen recently", never an error.
import type { Redis } from 'ioredis';
import { KEY_PREFIX } from './client.js';

const DEFAULT_TTL_SECONDS = 7 * 24 * 3600;

export class Heartbeats {
  private readonly prefix: string;
  private readonly ttlSeconds: number;

  constructor(
    private readonly redis: Redis,
    opts: { prefix?: string; ttlSeconds?: number } = {},
  ) {
    this.prefix = `${opts.prefix ?? KEY_PREFIX}heartbeat:`;
    this.ttlSeconds = opts.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  }

  async beat(name: string, nowMs: number): Promise<void> {
    if (!Number.isFinite(nowMs)) throw new RangeError(`nowMs must be a finite number, got ${nowMs}`);
    await this.redis.set(this.prefix + name, String(Math.trunc(nowMs)), 'EX', this.ttlSeconds);
  }

  /** The last beat's time in epoch ms, or null when none is recorded (or it expired). */
  async last(name: string): Promise<number | null> {
    const value = await this.redis.get(this.prefix + name);
    if (value === null) return null;
    const ms = Number(value);
    return Number.isFinite(ms) ? ms : null;
  }
}
