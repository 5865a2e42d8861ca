// The per-vault budget on a virtual clock: pacing at the rate, a 429 pause honoured by callers that were already
// waiting when it began, vaults independent, and aborts releasing waiters.
import { describe, expect, it } from 'vitest';
import { TokenBucketBudget, type Sleep } from '../../../app/rewrap/vaultBudget.js';

/** Virtual time: sleeps resolve only when `advance` passes their deadline. */
function virtualTime() {
  let now = 0;
  const timers: Array<{ at: number; resolve: () => void; reject: (e: Error) => void }> = [];
  const sleep: Sleep = (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      const t = { at: now + ms, resolve, reject };
      timers.push(t);
      signal?.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })), { once: true });
    });
  const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
  return {
    clock: { now: () => now },
    sleep,
    async advance(to: number): Promise<void> {
      for (;;) {
        await flush();
        timers.sort((a, b) => a.at - b.at);
        const next = timers[0];
        if (!next || next.at > to) break;
        timers.shift();
        now = Math.max(now, next.at);
        next.resolve();
      }
      now = Math.max(now, to);
      await flush();
    },
  };
}

describe('TokenBucketBudget', () => {
  it('paces callers at the rate after the burst', async () => {
    const t = virtualTime();
    const budget = new TokenBucketBudget({ ratePerSec: 100, burst: 2 }, t.clock, t.sleep);
    const sent: number[] = [];
    const all = Promise.all(Array.from({ length: 5 }, () => budget.acquire('kv-a', 1).then(() => void sent.push(t.clock.now()))));
    await t.advance(1000);
    await all;
    expect(sent).toEqual([0, 0, 10, 20, 30]);
  });

  it('a pause holds callers that were already waiting, and vaults are independent', async () => {
    const t = virtualTime();
    const budget = new TokenBucketBudget({ ratePerSec: 100, burst: 1 }, t.clock, t.sleep);
    const sent: Record<string, number> = {};
    await budget.acquire('kv-a', 1);
    const waiting = budget.acquire('kv-a', 1).then(() => void (sent.a = t.clock.now())); // due at 10
    const other = budget.acquire('kv-b', 1).then(() => void (sent.b = t.clock.now()));
    await t.advance(5);
    budget.pause('kv-a', 500); // a 429 at t=5: nothing to kv-a before 505
    await t.advance(2000);
    await Promise.all([waiting, other]);
    expect(sent.a).toBeGreaterThanOrEqual(505);
    expect(sent.b).toBe(0);
  });

  it('an abort releases a waiting caller with an AbortError', async () => {
    const t = virtualTime();
    const budget = new TokenBucketBudget({ ratePerSec: 1, burst: 1 }, t.clock, t.sleep);
    await budget.acquire('kv-a', 1);
    const ac = new AbortController();
    const waiting = budget.acquire('kv-a', 1, ac.signal);
    ac.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
  });
});
