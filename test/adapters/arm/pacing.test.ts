// The ARM pacer on its own, with a fake clock: it lets reads go while ARM's last count (less what is in flight) and
// the refill since allow, holds the next one for exactly the time the refill needs, and follows ARM's own count.
import { describe, expect, it } from 'vitest';
import { ArmPacer } from '../../../adapters/arm/pacing.js';

function fakeTime(): { now: () => number; sleep: (ms: number) => Promise<void>; slept: number[] } {
  let t = 1_000_000;
  const slept: number[] = [];
  return {
    now: () => t,
    sleep: async (ms) => {
      slept.push(ms);
      t += ms;
    },
    slept,
  };
}

describe('ArmPacer', () => {
  it('sends freely until ARM has said what is left; then spends that, less what is in flight, and waits for the refill', async () => {
    const time = fakeTime();
    const pacer = new ArmPacer({ refillPerSecond: 25, now: time.now, sleep: time.sleep });
    for (let i = 0; i < 5; i++) await pacer.admit('sub-a');
    expect(time.slept).toEqual([]);
    // One answer: 3 left by ARM's count, but four reads are still in flight and will spend theirs.
    pacer.settle('sub-a', 3);
    await pacer.admit('sub-a');
    // Bucket at 3 - 4 = -1: the next read waits for 2 tokens, 80 ms at 25/s.
    expect(time.slept).toEqual([80]);
    // Another subscription has its own bucket.
    await pacer.admit('sub-b');
    expect(time.slept).toEqual([80]);
  });

  it('a new count from ARM replaces the estimate (a refill faster than assumed, or another client spending)', async () => {
    const time = fakeTime();
    const pacer = new ArmPacer({ now: time.now, sleep: time.sleep });
    await pacer.admit('s');
    pacer.settle('s', 0);
    await pacer.admit('s');
    expect(time.slept).toEqual([40]);
    pacer.settle('s', 200);
    for (let i = 0; i < 150; i++) await pacer.admit('s');
    expect(time.slept).toEqual([40]);
  });
});
