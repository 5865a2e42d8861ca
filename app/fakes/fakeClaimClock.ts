// The shared claim time source for app/ tests: one instant that the test moves, read by every simulated worker whatever
// its own (skewed) local clock says; `reachable = false` makes it fail as an unreachable Redis does. Passes the same
// contract as the Redis adapter (test/contracts/claimClock.test.ts).
import { ClaimClockUnavailableError, type ClaimClock } from '../claimClock.js';

export class FakeClaimClock implements ClaimClock {
  reachable = true;
  /** How many times the time was read (tests check that nothing was decided without it). */
  reads = 0;

  constructor(private ms: number) {}

  async now(): Promise<number> {
    this.reads++;
    if (!this.reachable) throw new ClaimClockUnavailableError('claim clock unreachable (fake)');
    return this.ms;
  }

  /** The shared instant as the test sees it (no read counted, never unreachable). */
  peek(): number {
    return this.ms;
  }

  set(ms: number): void {
    this.ms = ms;
  }

  advance(ms: number): void {
    this.ms += ms;
  }
}
