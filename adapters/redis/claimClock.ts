// ClaimClock (app/claimClock.ts) on Redis `TIME`: one clock for every worker's claim decisions.
//
// Why Redis's clock rather than the store's (Table Storage's Timestamp or its Date response header):
// - every worker already needs Redis (BullMQ delivers its jobs): a worker that cannot read Redis's time cannot be
//   handed a step either, so this adds no new way to fail;
// - the queue's own job locks expire on Redis's clock (BullMQ sets them with PX), so a step's claim and the job lock
//   that hands the job to another worker lapse on the same clock (ROTATION_LOCK_MS is both);
// - it is read before deciding, in one round trip, with µs resolution; Table Storage's Date header has 1 s resolution
//   and an entity's Timestamp is known only after a write, so the decision would need a write to learn the time;
// - the rewrap budget (adapters/redis/vaultBudget.ts) already schedules all instances on it.
// Its limits: the instant is Redis's at the moment TIME ran, seen a round trip later; the lease (seconds) dwarfs that.
// A failover to a replica on another host changes the clock by that host's (NTP-bounded) offset.
//
// Redis is not trusted to answer: createRedis queues commands across reconnects, so every read is bounded by
// `timeoutMs` and fails with ClaimClockUnavailableError (callers then do not act).
import type { Redis } from 'ioredis';
import { ClaimClockUnavailableError, type ClaimClock } from '../../app/claimClock.js';
import { withTimeout } from '../../app/timeout.js';

const DEFAULT_TIMEOUT_MS = 2_000;

export class RedisClaimClock implements ClaimClock {
  private readonly timeoutMs: number;

  constructor(
    private readonly redis: Redis,
    opts: { readonly timeoutMs?: number } = {},
  ) {
    const t = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!(Number.isFinite(t) && t > 0)) throw new RangeError(`timeoutMs must be a positive number, got ${t}`);
    this.timeoutMs = t;
  }

  async now(): Promise<number> {
    let reply: unknown;
    try {
      reply = await withTimeout(this.redis.time(), this.timeoutMs);
    } catch (err) {
      throw new ClaimClockUnavailableError(`Redis TIME unavailable: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    // [unix seconds, microseconds], as strings (or numbers, depending on the client's reply transform).
    const [seconds, micros] = Array.isArray(reply) ? reply.map(Number) : [];
    if (seconds === undefined || micros === undefined || !Number.isInteger(seconds) || !Number.isInteger(micros)) {
      throw new ClaimClockUnavailableError(`unexpected TIME reply ${JSON.stringify(reply)}`);
    }
    // Whole ms, rounded down: a claim is never judged later than Redis's instant.
    return seconds * 1000 + Math.floor(micros / 1000);
  }
}
