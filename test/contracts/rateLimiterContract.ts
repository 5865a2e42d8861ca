// The send-budget contract (app/ports.ts RateLimiter; ACS Email's per-minute and per-hour limits, limits.md A11),
// met by the in-memory twin and the Redis limiter alike. Part one runs on each limiter's own clock and never waits:
// its budgets refill only after many minutes, so nothing here depends on how fast the test runs. Part two drives the
// same limiters on a simulated clock (`take(channel, atUs)`; for Redis the script's time override): for ANY sequence
// of takes no sliding 60 s span holds more than perMinute and no 3600 s span more than perHour, a refused take is
// taken once the budget refills, and it refills within one interval of the last send (no starvation).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RateLimiter } from '../../app/ports.js';
import { gcraCell, perMinuteAndHour } from '../../domain/gcra.js';

export interface Budgets {
  readonly [channel: string]: { readonly perMinute: number; readonly perHour: number };
}

export interface LimiterInstance extends RateLimiter {
  /** One take at a simulated time (µs); a refused one says how long until it would be taken. */
  take(channel: string, atUs: number): Promise<{ taken: boolean; retryInUs: number }>;
}

export interface LimiterFamily {
  /** Another user of the same shared budget (another keysteward instance, for Redis). */
  instance(): LimiterInstance;
}

export function rateLimiterContract(name: string, makeFamily: (budgets: Budgets) => LimiterFamily): void {
  describe(`RateLimiter contract: ${name}`, () => {
    // Minute: 5 at once, then one per 10 s; hour: 2 at once, then one per 20 min. The hour binds.
    const tight: Budgets = { email: { perMinute: 10, perHour: 4 } };

    it('lets the burst go at once, then refuses until the budget refills', async () => {
      const limiter = makeFamily(tight).instance();
      const results: boolean[] = [];
      for (let i = 0; i < 6; i++) results.push(await limiter.tryTake('email', Date.now()));
      expect(results).toEqual([true, true, false, false, false, false]);
    });

    it('an unbudgeted channel is never limited, and channels do not share a budget', async () => {
      const limiter = makeFamily({ email: { perMinute: 1, perHour: 1 }, sms: { perMinute: 1, perHour: 1 } }).instance();
      expect(await limiter.tryTake('email', Date.now())).toBe(true);
      expect(await limiter.tryTake('email', Date.now())).toBe(false);
      expect(await limiter.tryTake('sms', Date.now())).toBe(true);
      for (let i = 0; i < 20; i++) expect(await limiter.tryTake('webhook', Date.now())).toBe(true);
    });

    it('instances share one budget: of 30 concurrent takes from three instances exactly the burst is taken', async () => {
      const family = makeFamily(tight);
      const instances = [family.instance(), family.instance(), family.instance()];
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => instances[i % 3]?.tryTake('email', Date.now())));
      expect(results.filter((r) => r === true)).toHaveLength(2);
    });

    it('for any sequence of takes on a simulated clock: no sliding window exceeds either limit, and nobody starves', async () => {
      const step = fc.record({
        // Mostly bursts (0–3 s apart), sometimes long gaps (up to 2 h).
        gapMs: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 3_000 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 7_200_000 }) }),
        // After a refusal: come back exactly when told to (must be taken), or just go on.
        retryWhenTold: fc.boolean(),
      });
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 150 }), fc.array(step, { minLength: 1, maxLength: 120 }), async (perMinute, perHour, steps) => {
          const limiter = makeFamily({ email: { perMinute, perHour } }).instance();
          const maxIntervalUs = Math.max(...perMinuteAndHour({ perMinute, perHour }).map((l) => gcraCell(l).intervalUs));
          let now = 1_700_000_000_000 * 1000; // µs
          let lastTaken: number | null = null;
          const taken: number[] = [];
          for (const s of steps) {
            now += s.gapMs * 1000;
            const r = await limiter.take('email', now);
            if (r.taken) {
              taken.push(now);
              lastTaken = now;
              continue;
            }
            // Refused: the budget refills within one interval of the last send.
            expect(lastTaken).not.toBeNull();
            expect(r.retryInUs).toBeGreaterThan(0);
            expect(now + r.retryInUs).toBeLessThanOrEqual((lastTaken ?? 0) + maxIntervalUs);
            if (s.retryWhenTold) {
              now += r.retryInUs;
              expect((await limiter.take('email', now)).taken).toBe(true);
              taken.push(now);
              lastTaken = now;
            }
          }
          // Every window starting at a send (the worst windows start at one) holds at most the limit.
          for (const [limit, windowUs] of [
            [perMinute, 60_000_000],
            [perHour, 3_600_000_000],
          ] as const) {
            let j = 0;
            for (let i = 0; i < taken.length; i++) {
              while (j < taken.length && (taken[j] ?? 0) < (taken[i] ?? 0) + windowUs) j++;
              if (j - i > limit) expect.fail(`${j - i} takes in the ${windowUs / 1e6} s from ${taken[i]} (limit ${limit})`);
            }
          }
        }),
        { numRuns: 60 },
      );
    });
  });
}
