import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concurrencyLimit, mapLimit } from '../../app/concurrency.js';

describe('mapLimit', () => {
  it('keeps the order of the items and never has more than `limit` calls in flight', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(5), { maxLength: 60 }), fc.integer({ min: 1, max: 8 }), async (delays, limit) => {
        let inFlight = 0;
        let most = 0;
        const out = await mapLimit(delays, limit, async (d, i) => {
          inFlight++;
          most = Math.max(most, inFlight);
          await new Promise((r) => setTimeout(r, d));
          inFlight--;
          return i * 2;
        });
        expect(out).toEqual(delays.map((_, i) => i * 2));
        expect(most).toBeLessThanOrEqual(limit);
      }),
      { numRuns: 40 },
    );
  });

  it('rejects with the first error and starts nothing after it', async () => {
    const started: number[] = [];
    await expect(
      mapLimit([0, 1, 2, 3, 4, 5], 2, async (i) => {
        started.push(i);
        if (i === 1) throw new Error('boom');
        await new Promise((r) => setTimeout(r, 5));
        return i;
      }),
    ).rejects.toThrow('boom');
    expect(started).toEqual([0, 1]);
  });

  it('refuses a limit that is not a positive integer', async () => {
    await expect(mapLimit([1], 0, async (x) => x)).rejects.toThrow(RangeError);
  });
});

describe('concurrencyLimit', () => {
  it('never runs more than n at once however the callers nest their fan-outs, runs every call, and keeps going after a failure', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(fc.nat(4), { maxLength: 5 }), { maxLength: 20 }), fc.integer({ min: 1, max: 6 }), async (groups, n) => {
        const limit = concurrencyLimit(n);
        let inFlight = 0;
        let most = 0;
        let ran = 0;
        const call = (d: number) =>
          limit(async () => {
            inFlight++;
            most = Math.max(most, inFlight);
            await new Promise((r) => setTimeout(r, d));
            inFlight--;
            ran++;
            if (d === 3) throw new Error('refused');
            return d;
          }).catch(() => -1);
        // Outer fan-out over groups, inner over each group's calls, all at once: only the limit bounds them.
        const out = await Promise.all(groups.map((g) => Promise.all(g.map(call))));
        expect(out).toEqual(groups.map((g) => g.map((d) => (d === 3 ? -1 : d))));
        expect(ran).toBe(groups.flat().length);
        expect(most).toBeLessThanOrEqual(n);
      }),
      { numRuns: 40 },
    );
  });
});
