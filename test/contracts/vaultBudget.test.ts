// VaultBudget contract (app/rewrap/vaultBudget.ts) against the in-process TokenBucketBudget and the Redis-backed
// RedisVaultBudget on a real Redis. A "family" is one shared budget and `instance()` another user of it: for the token
// bucket the same object (callers of one process), for Redis a new budget on its own connection with the same key
// prefix (another keysteward instance). Both run on real time; the schedule is checked through the waits each caller
// was told to sleep (recorded by an injected sleep), and measured elapsed time is used only for lower bounds that are
// correctness properties (never sooner than the rate allows) or as slack.
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createRedis } from '../../adapters/redis/client.js';
import { RedisVaultBudget, VaultBudgetUnavailableError, vaultBudgetKey } from '../../adapters/redis/vaultBudget.js';
import { abortReason, realSleep, TokenBucketBudget, type Sleep, type VaultBudget } from '../../app/rewrap/vaultBudget.js';
import type { BucketConfig } from '../../domain/rewrap/tokenBucket.js';
import { freePort } from '../../hosts/local/ports.js';
import { useRedis } from '../support/redis.js';

/** Slack for Redis's rounding up to whole µs (≤ 1 µs per booking); the token bucket is exact. */
const EPS_MS = 0.1;

interface SleepCall {
  readonly ms: number;
  /** performance.now() when the budget asked to sleep. */
  readonly at: number;
  readonly tag: AbortSignal | undefined;
}

/**
 * A sleep that records every wait. 'instant' returns at once (the schedule is read from the waits alone, no real
 * time passes); 'real' also sleeps (needed wherever a pause must actually elapse). Callers are told apart by the
 * signal they pass: `tag()` makes one per acquire.
 */
function recorder(mode: 'instant' | 'real') {
  const calls: SleepCall[] = [];
  const sleep: Sleep = (ms, signal) => {
    calls.push({ ms, at: performance.now(), tag: signal });
    if (mode === 'real') return realSleep(ms, signal);
    return signal?.aborted ? Promise.reject(abortReason(signal)) : Promise.resolve();
  };
  const of = (tag: AbortSignal): SleepCall[] => calls.filter((c) => c.tag === tag);
  return { sleep, calls, of, slept: (tag: AbortSignal): number => of(tag).reduce((sum, c) => sum + c.ms, 0) };
}

const tag = (): AbortSignal => new AbortController().signal;
const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** When a unit booked k-th (0-based) from a full bucket may be sent, in ms after the first booking. */
const dueMs = (cfg: BucketConfig, unitsSoFar: number): number => (Math.max(0, unitsSoFar - cfg.burst) * 1000) / cfg.ratePerSec;

interface BudgetFamily {
  /** Another user of the same shared budget. */
  instance(): VaultBudget;
  /** Resolves once every pause issued through the family's instances is visible to all of them. */
  settled(): Promise<void>;
}

type MakeFamily = (cfg: BucketConfig, sleep: Sleep) => BudgetFamily;

function vaultBudgetContract(name: string, makeFamily: MakeFamily): void {
  describe(`VaultBudget contract: ${name}`, () => {
    it('lets the burst through at once, then books each unit 1/rate after the previous one', async () => {
      const cfg = { ratePerSec: 100, burst: 5 };
      const rec = recorder('instant');
      const budget = makeFamily(cfg, rec.sleep).instance();
      const t0 = performance.now();
      for (let k = 0; k < 20; k++) {
        const s = tag();
        await budget.acquire('kv-a', 1, s);
        const elapsed = performance.now() - t0;
        const wait = rec.slept(s);
        // Never sooner than the rate allows (time that passed since the first booking counts towards the wait) ...
        expect(wait).toBeGreaterThanOrEqual(dueMs(cfg, k + 1) - elapsed - EPS_MS);
        // ... and never later than the schedule (no unit is booked twice).
        expect(wait).toBeLessThanOrEqual(dueMs(cfg, k + 1) + EPS_MS);
        if (k < cfg.burst) expect(wait).toBe(0);
      }
    });

    it('queues concurrent callers of one instance first come, first served, each 1/rate after the previous', async () => {
      const cfg = { ratePerSec: 100, burst: 3 };
      const rec = recorder('instant');
      const budget = makeFamily(cfg, rec.sleep).instance();
      const tags = Array.from({ length: 20 }, tag);
      const t0 = performance.now();
      await Promise.all(tags.map((s) => budget.acquire('kv-a', 1, s)));
      const elapsed = performance.now() - t0;
      const waits = tags.map((s) => rec.slept(s));
      waits.forEach((w, k) => {
        expect(w).toBeLessThanOrEqual(dueMs(cfg, k + 1) + EPS_MS);
        expect(w).toBeGreaterThanOrEqual(dueMs(cfg, k + 1) - elapsed - EPS_MS);
      });
      expect([...waits].sort((a, b) => a - b)).toEqual(waits);
    });

    it('instances sharing the budget book one schedule: together they get the rate of one budget, not of each', async () => {
      const cfg = { ratePerSec: 100, burst: 5 };
      const rec = recorder('instant');
      const family = makeFamily(cfg, rec.sleep);
      const instances = [family.instance(), family.instance(), family.instance()];
      const tags = Array.from({ length: 30 }, tag);
      const t0 = performance.now();
      await Promise.all(tags.map((s, i) => instances[i % instances.length]?.acquire('kv-a', 1, s)));
      const elapsed = performance.now() - t0;
      // Whatever order the instances' bookings reached the budget in, the k-th smallest wait is the k-th slot of a
      // single bucket. Three private buckets would have made the largest wait (10 − 5)/100 s instead of (30 − 5)/100 s.
      const sorted = tags.map((s) => rec.slept(s)).sort((a, b) => a - b);
      sorted.forEach((w, k) => {
        expect(w).toBeLessThanOrEqual(dueMs(cfg, k + 1) + EPS_MS);
        expect(w).toBeGreaterThanOrEqual(dueMs(cfg, k + 1) - elapsed - EPS_MS);
      });
    });

    it('keeps what several instances spend in real time within rate × window + burst', async () => {
      const cfg = { ratePerSec: 200, burst: 10 };
      const rec = recorder('real');
      const family = makeFamily(cfg, rec.sleep);
      const instances = [family.instance(), family.instance(), family.instance()];
      // 60 units in weights 1 and 2 from three instances at once.
      const weights = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 1 : 2));
      const total = weights.reduce((a, b) => a + b, 0);
      const grants: Array<{ at: number; weight: number }> = [];
      const t0 = performance.now();
      await Promise.all(weights.map((w, i) => instances[i % 3]?.acquire('kv-a', w).then(() => void grants.push({ at: performance.now(), weight: w }))));
      const elapsed = performance.now() - t0;
      const minimum = ((total - cfg.burst) * 1000) / cfg.ratePerSec; // 250 ms
      // The correctness bound: never faster than one budget (2 ms for timer granularity).
      expect(elapsed).toBeGreaterThanOrEqual(minimum - 2);
      expect(elapsed).toBeLessThan(minimum + 2_000); // generous: it only proves progress
      // Every 50 ms window of grants weighs at most burst + rate·window, plus timer jitter (25 ms of rate) and one
      // booking straddling the edge. Three private buckets would have let ~60 units into the first window.
      const windowMs = 50;
      const bound = cfg.burst + (cfg.ratePerSec * windowMs) / 1000 + Math.ceil((cfg.ratePerSec * 25) / 1000) + 2;
      for (const g of grants) {
        const inWindow = grants.filter((h) => h.at >= g.at && h.at < g.at + windowMs).reduce((sum, h) => sum + h.weight, 0);
        expect(inWindow).toBeLessThanOrEqual(bound);
      }
    });

    it('a pause holds every instance until it ends, including a caller that was already waiting', async () => {
      const cfg = { ratePerSec: 50, burst: 1 };
      const rec = recorder('real');
      const family = makeFamily(cfg, rec.sleep);
      const a = family.instance();
      const b = family.instance();
      await b.acquire('kv-a', 1); // the burst
      const waiting = b.acquire('kv-a', 1); // booked 20 ms ahead
      const pausedAt = performance.now();
      a.pause('kv-a', 200); // a 429 seen by the other instance
      await family.settled();
      const after = (): number => performance.now() - pausedAt;
      const [tWaiting, tOther, tOwn] = await Promise.all([waiting.then(after), b.acquire('kv-a', 1).then(after), a.acquire('kv-a', 1).then(after)]);
      for (const t of [tWaiting, tOther, tOwn]) {
        expect(t).toBeGreaterThanOrEqual(200 - 2);
        expect(t).toBeLessThan(200 + 2_000);
      }
    });

    it('a pause drops the saved burst: after it the vault sees the rate, not a burst', async () => {
      const cfg = { ratePerSec: 50, burst: 5 };
      const rec = recorder('real');
      const family = makeFamily(cfg, rec.sleep);
      const budget = family.instance();
      const pausedAt = performance.now();
      budget.pause('kv-a', 100);
      await family.settled();
      const tags = [tag(), tag(), tag()];
      await Promise.all(tags.map((s) => budget.acquire('kv-a', 1, s)));
      tags.forEach((s, k) => {
        const first = rec.of(s)[0];
        expect(first).toBeDefined();
        const due = 100 + ((k + 1) * 1000) / cfg.ratePerSec; // 120, 140, 160 ms after the pause
        expect(rec.slept(s)).toBeLessThanOrEqual(due + EPS_MS);
        expect(rec.slept(s)).toBeGreaterThanOrEqual(due - ((first?.at ?? Infinity) - pausedAt) - EPS_MS);
      });
    });

    it("an abort rejects a waiting caller with the signal's reason, promptly, while queued or paused", async () => {
      const cfg = { ratePerSec: 1, burst: 1 };
      const family = makeFamily(cfg, realSleep);
      const budget = family.instance();
      await budget.acquire('kv-a', 1);

      const queued = new AbortController();
      const reason = new Error('campaign stopped');
      const t0 = performance.now();
      const p = budget.acquire('kv-a', 1, queued.signal); // booked a second ahead
      setTimeout(() => queued.abort(reason), 20);
      await expect(p).rejects.toBe(reason);
      expect(performance.now() - t0).toBeLessThan(500);

      budget.pause('kv-b', 60_000);
      await family.settled();
      const paused = new AbortController();
      const q = budget.acquire('kv-b', 1, paused.signal);
      setTimeout(() => paused.abort(), 20);
      await expect(q).rejects.toMatchObject({ name: 'AbortError' });

      const gone = new AbortController();
      gone.abort(reason);
      await expect(budget.acquire('kv-c', 1, gone.signal)).rejects.toBe(reason);
    });

    it('keeps distinct vaults independent: spending or pausing one never delays another', async () => {
      const cfg = { ratePerSec: 10, burst: 2 };
      const rec = recorder('instant');
      const family = makeFamily(cfg, rec.sleep);
      const budget = family.instance();
      const a = [tag(), tag(), tag(), tag()];
      for (const s of a) await budget.acquire('kv-a', 1, s);
      expect(rec.slept(a[3] ?? tag())).toBeGreaterThan(150); // kv-a is 200 ms in debt
      const b1 = tag();
      await budget.acquire('kv-b', 1, b1);
      expect(rec.slept(b1)).toBe(0);
      family.instance().pause('kv-a', 60_000);
      await family.settled();
      const b2 = tag();
      await budget.acquire('kv-b', 1, b2);
      expect(rec.slept(b2)).toBe(0);
    });

    it('grants a weight larger than the burst after waiting its debt, and books the next caller behind it', async () => {
      const cfg = { ratePerSec: 100, burst: 5 };
      const rec = recorder('instant');
      const budget = makeFamily(cfg, rec.sleep).instance();
      const heavy = tag();
      const next = tag();
      const t0 = performance.now();
      await budget.acquire('kv-a', 15, heavy);
      await budget.acquire('kv-a', 1, next);
      const elapsed = performance.now() - t0;
      expect(rec.slept(heavy)).toBeLessThanOrEqual(100 + EPS_MS); // (15 − 5) units at 100/s
      expect(rec.slept(heavy)).toBeGreaterThanOrEqual(100 - elapsed - EPS_MS);
      expect(rec.slept(next)).toBeLessThanOrEqual(110 + EPS_MS);
      expect(rec.slept(next)).toBeGreaterThanOrEqual(110 - elapsed - EPS_MS);
    });
  });
}

const env = useRedis();

vaultBudgetContract('in-process token bucket', (cfg, sleep) => {
  // One object is the whole shared budget of a process; its clock is the monotonic one the measurements use.
  const budget = new TokenBucketBudget(cfg, { now: () => performance.now() }, sleep);
  return { instance: () => budget, settled: async () => {} };
});

function redisFamily(cfg: BucketConfig, sleep: Sleep): BudgetFamily & { readonly keyPrefix: string } {
  const { prefix, client } = env();
  const keyPrefix = prefix();
  const made: RedisVaultBudget[] = [];
  return {
    keyPrefix,
    instance: () => {
      const budget = new RedisVaultBudget(client(), { ...cfg, keyPrefix, sleep });
      made.push(budget);
      return budget;
    },
    settled: async () => void (await Promise.all(made.map((b) => b.settled()))),
  };
}

vaultBudgetContract('Redis, one connection per instance', redisFamily);

/** Keys under a prefix, by SCAN (never KEYS on a shared Redis). */
async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    found.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  return found;
}

describe('RedisVaultBudget', () => {
  it('keeps one hash per vault (case-insensitive) under the prefix, expiring a minute after its schedule ends', async () => {
    const { redis } = env();
    const family = redisFamily({ ratePerSec: 100, burst: 5 }, recorder('instant').sleep);
    const budget = family.instance();
    for (let i = 0; i < 10; i++) await budget.acquire(i % 2 === 0 ? 'KV-A' : 'kv-a', 1);
    const keys = await keysUnder(redis, family.keyPrefix);
    expect(keys).toEqual([vaultBudgetKey(family.keyPrefix, 'kv-a')]);
    expect(keys[0]).toBe(`${family.keyPrefix}vault-budget:{kv-a}`);
    // 10 units at 100/s: the schedule ends ≤ 100 ms from now, then the 60 s margin.
    const pttl = await redis.pttl(keys[0] ?? '');
    expect(pttl).toBeGreaterThan(59_000);
    expect(pttl).toBeLessThanOrEqual(60_000 + 100 + 1);
    const pause = family.instance();
    pause.pause('kv-a', 5_000);
    await family.settled();
    expect(await redis.pttl(keys[0] ?? '')).toBeGreaterThan(64_000);
  });

  it('moves callers booked before a pause back by the pause, keeping their spacing (no burst when it ends)', async () => {
    // 200 ms apart, so a loaded machine (CI on 2 cores) cannot wake a waiter before the pause lands.
    const cfg = { ratePerSec: 5, burst: 1 };
    const rec = recorder('real');
    const family = redisFamily(cfg, rec.sleep);
    const a = family.instance();
    const tags = Array.from({ length: 5 }, tag);
    const grants: number[] = [];
    const all = Promise.all(tags.map((s) => a.acquire('kv-a', 1, s).then(() => void grants.push(performance.now()))));
    // The four waiters are booked and asleep (bounded: a broken budget must fail here, not time out).
    for (const until = performance.now() + 2_000; rec.calls.length < 4 && performance.now() < until; ) await delay(1);
    expect(rec.calls).toHaveLength(4);
    const pausedAt = performance.now();
    family.instance().pause('kv-a', 1_000);
    await family.settled();
    await all;
    tags.slice(1).forEach((s) => {
      const sleeps = rec.of(s).map((c) => c.ms);
      // Booked (i + 1)·200 ms ahead, then moved back by exactly the pause: 1.2, 1.4, 1.6, 1.8 s, not all at 1 s.
      expect(sleeps).toHaveLength(2);
      expect(sleeps[1]).toBeCloseTo(1_000, 3);
    });
    for (const g of grants.slice(1)) expect(g - pausedAt).toBeGreaterThanOrEqual(1_000 - 2);
  });

  it('fails with VaultBudgetUnavailableError, never hangs, when Redis is unreachable; pause() only logs', async () => {
    const port = await freePort(); // nothing listens there
    const redis = createRedis(`redis://127.0.0.1:${port}`, { onError: () => {} });
    const logged: Array<Record<string, unknown>> = [];
    const budget = new RedisVaultBudget(redis, {
      ratePerSec: 10,
      burst: 1,
      keyPrefix: 'keysteward:test:unreachable:',
      commandTimeoutMs: 150,
      log: { error: (fields) => void logged.push(fields) },
    });
    try {
      const t0 = performance.now();
      const err: unknown = await budget.acquire('kv-a', 1).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VaultBudgetUnavailableError);
      expect(err).toMatchObject({ name: 'VaultBudgetUnavailableError', vault: 'kv-a' });
      expect(performance.now() - t0).toBeLessThan(1_000);

      budget.pause('kv-a', 1_000);
      await budget.settled();
      expect(logged).toEqual([expect.objectContaining({ vault: 'kv-a', ms: 1_000 })]);

      // The signal is honoured while waiting for Redis too.
      const ac = new AbortController();
      const reason = new Error('stop');
      const p = budget.acquire('kv-a', 1, ac.signal);
      ac.abort(reason);
      await expect(p).rejects.toBe(reason);
    } finally {
      redis.disconnect();
    }
  });

  it('fails at once on a closed client, with the Redis error as the cause', async () => {
    const { url } = env();
    const redis = createRedis(url);
    await redis.quit();
    const budget = new RedisVaultBudget(redis, { ratePerSec: 10, burst: 1, keyPrefix: env().prefix() });
    const err: unknown = await budget.acquire('kv-a', 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VaultBudgetUnavailableError);
    expect((err as Error).cause).toBeInstanceOf(Error);
  });

  it('refuses weights and configurations that would corrupt the shared schedule', async () => {
    const { redis, prefix } = env();
    const keyPrefix = prefix();
    const budget = new RedisVaultBudget(redis, { ratePerSec: 10, burst: 1, keyPrefix });
    await expect(budget.acquire('kv-a', -1)).rejects.toThrow(RangeError);
    await expect(budget.acquire('kv-a', Number.NaN)).rejects.toThrow(RangeError);
    await expect(budget.acquire('kv-a', Number.POSITIVE_INFINITY)).rejects.toThrow(RangeError);
    budget.pause('kv-a', 0);
    budget.pause('kv-a', -5);
    budget.pause('kv-a', Number.NaN);
    await budget.settled();
    expect(await redis.exists(vaultBudgetKey(keyPrefix, 'kv-a'))).toBe(0);
    expect(() => new RedisVaultBudget(redis, { ratePerSec: 0, burst: 1, keyPrefix })).toThrow(RangeError);
    expect(() => new RedisVaultBudget(redis, { ratePerSec: 10, burst: -1, keyPrefix })).toThrow(RangeError);
    expect(() => new RedisVaultBudget(redis, { ratePerSec: 10, burst: 1, keyPrefix, commandTimeoutMs: 0 })).toThrow(RangeError);
  });
});
