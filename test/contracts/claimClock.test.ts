// ClaimClock contract (app/claimClock.ts) against the fake and Redis TIME on a real Redis: whole epoch ms; readings
// through two instances (two workers' connections) taken one after the other are in that order — one clock, not one
// per worker; an unreachable source fails with ClaimClockUnavailableError and never hangs.
import { describe, expect, it } from 'vitest';
import { ClaimClockUnavailableError, type ClaimClock } from '../../app/claimClock.js';
import { FakeClaimClock } from '../../app/fakes/fakeClaimClock.js';
import { RedisClaimClock } from '../../adapters/redis/claimClock.js';
import { createRedis } from '../../adapters/redis/client.js';
import { freePort } from '../../hosts/local/ports.js';
import { useRedis } from '../support/redis.js';

const redis = useRedis();

interface ClockFamily {
  /** Another reader of the same shared time (another worker). */
  instance(): ClaimClock;
  /** A reader whose source cannot be reached; `close` frees what it holds. */
  unreachable(): Promise<{ clock: ClaimClock; close(): void }>;
  /** Lets the shared time pass (the fake moves; Redis's clock moves by itself). */
  pass(): Promise<void>;
}

function claimClockContract(name: string, family: () => ClockFamily): void {
  describe(`ClaimClock contract: ${name}`, () => {
    it('reads whole epoch milliseconds', async () => {
      const t = await family().instance().now();
      expect(Number.isSafeInteger(t)).toBe(true);
      expect(t).toBeGreaterThan(Date.parse('2020-01-01T00:00:00Z'));
    });

    it('two readers share one clock: readings taken one after another are in that order', async () => {
      const f = family();
      const a = f.instance();
      const b = f.instance();
      const readings: number[] = [];
      for (let i = 0; i < 20; i++) {
        readings.push(await (i % 2 === 0 ? a : b).now());
        if (i % 5 === 0) await f.pass();
      }
      expect(readings).toEqual([...readings].sort((x, y) => x - y));
      expect(readings[readings.length - 1]).toBeGreaterThan(readings[0] ?? Infinity);
    });

    it('an unreachable source fails with ClaimClockUnavailableError, never hangs', async () => {
      const { clock, close } = await family().unreachable();
      try {
        const err = await clock.now().then(() => null, (e: unknown) => e);
        expect(err).toBeInstanceOf(ClaimClockUnavailableError);
        expect((err as Error).name).toBe('ClaimClockUnavailableError');
      } finally {
        close();
      }
    });
  });
}

claimClockContract('fake', () => {
  const shared = new FakeClaimClock(Date.parse('2026-11-22T10:00:00Z'));
  return {
    instance: () => shared,
    unreachable: async () => {
      const down = new FakeClaimClock(0);
      down.reachable = false;
      return { clock: down, close: () => undefined };
    },
    pass: async () => shared.advance(7),
  };
});

claimClockContract('Redis TIME', () => {
  const r = redis();
  return {
    instance: () => new RedisClaimClock(r.client()),
    unreachable: async () => {
      const port = await freePort(); // nothing listens there
      const client = createRedis(`redis://127.0.0.1:${port}`, { onError: () => undefined });
      return { clock: new RedisClaimClock(client, { timeoutMs: 200 }), close: () => client.disconnect() };
    },
    pass: () => new Promise((resolve) => setTimeout(resolve, 2)),
  };
});

describe('RedisClaimClock', () => {
  it('is Redis TIME in ms, rounded down: never later than the instant Redis gave', async () => {
    const { redis: client } = redis();
    const clock = new RedisClaimClock(client);
    const [s0, us0] = (await client.time()).map(Number);
    const t = await clock.now();
    const [s1, us1] = (await client.time()).map(Number);
    expect(t).toBeGreaterThanOrEqual((s0 ?? 0) * 1000 + Math.floor((us0 ?? 0) / 1000));
    expect(t).toBeLessThanOrEqual((s1 ?? 0) * 1000 + Math.floor((us1 ?? 0) / 1000));
  });

  it('refuses a timeout that is not a positive number', () => {
    const { redis: client } = redis();
    expect(() => new RedisClaimClock(client, { timeoutMs: 0 })).toThrow(RangeError);
    expect(() => new RedisClaimClock(client, { timeoutMs: Number.NaN })).toThrow(RangeError);
  });
});
