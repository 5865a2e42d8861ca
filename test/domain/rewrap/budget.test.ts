// Budget arithmetic: weights like Key Vault's (and the emulator's), a token bucket that never overfills the vault's
// sliding window, and K11's backoff unless a Retry-After says otherwise.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AZURE_VAULT_CEILING, operationWeight, rewrapCeilingPerSec, sustainableRatePerSec } from '../../../domain/rewrap/budget.js';
import { retryDelayMs } from '../../../domain/rewrap/retry.js';
import { fullBucket, pauseUntil, reserve, type BucketConfig, type BucketState } from '../../../domain/rewrap/tokenBucket.js';
import { operationWeight as emulatorWeight, resolveLimits } from '../../../emulators/keyvault/throttle.js';

describe('operationWeight', () => {
  it('matches the emulator for every RSA size, software and HSM', () => {
    const limits = resolveLimits(undefined);
    for (const kty of ['RSA', 'RSA-HSM']) for (const size of [2048, 3072, 4096]) expect(operationWeight(kty, size)).toBe(emulatorWeight(limits, kty, size));
  });

  it('weighs an unknown key as the dearest RSA-2048', () => {
    expect(operationWeight(null, null)).toBe(2);
  });
});

describe('ceilings', () => {
  it('a software vault allows 200 rewraps/s when each spends two RSA-2048 unwraps', () => {
    expect(rewrapCeilingPerSec(AZURE_VAULT_CEILING, { unwrapOld: 1, verifyNew: 1 })).toBe(200);
    expect(rewrapCeilingPerSec({ units: 400, windowMs: 1000 }, { unwrapOld: 2, verifyNew: 2 })).toBe(100);
  });

  it('the sustainable rate leaves room for the burst and the jitter', () => {
    const rate = sustainableRatePerSec(AZURE_VAULT_CEILING, { burst: 4, guardMs: 200 });
    expect(rate).toBeCloseTo(3996 / 10.2, 6);
    expect(4 + rate * 10.2).toBeLessThanOrEqual(4000);
    expect(sustainableRatePerSec(AZURE_VAULT_CEILING, { burst: 0, guardMs: 0, share: 0.2 })).toBe(80);
  });
});

describe('token bucket', () => {
  const cfg: BucketConfig = { ratePerSec: 100, burst: 5 };

  it('lets the burst through at once, then paces at the rate, first come first served', () => {
    let s = fullBucket(cfg, 0);
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      const r = reserve(cfg, s, 0, 1);
      s = r.state;
      waits.push(r.waitMs);
    }
    expect(waits).toEqual([0, 0, 0, 0, 0, 10, 20, 30]);
  });

  it('a pause holds everything until its end, then resumes at the rate without a saved burst', () => {
    let s: BucketState = fullBucket(cfg, 0);
    s = pauseUntil(cfg, s, 0, 1000);
    const a = reserve(cfg, s, 10, 1);
    const b = reserve(cfg, a.state, 10, 1);
    // Sent at 1010 and 1020: paced from the pause's end, one token at a time.
    expect([a.waitMs, b.waitMs]).toEqual([1000, 1010]);
    // A pause never shortens an earlier one.
    expect(pauseUntil(cfg, b.state, 20, 500).at).toBe(1000);
  });

  it('never schedules more than burst + rate·T in any span T (the vault window invariant)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 50 }), weight: fc.integer({ min: 1, max: 4 }) }), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 50, max: 2000 }),
        (requests, span) => {
          let s = fullBucket(cfg, 0);
          let now = 0;
          const sends: Array<{ at: number; weight: number }> = [];
          for (const r of requests) {
            now += r.gap;
            const res = reserve(cfg, s, now, r.weight);
            s = res.state;
            sends.push({ at: now + res.waitMs, weight: r.weight });
          }
          for (const first of sends) {
            const inSpan = sends.filter((x) => x.at >= first.at && x.at < first.at + span).reduce((a, x) => a + x.weight, 0);
            expect(inSpan).toBeLessThanOrEqual(cfg.burst + (cfg.ratePerSec * span) / 1000 + 1e-9);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('retryDelayMs', () => {
  it('honours Retry-After, else backs off 1 s, 2 s, 4 s, 8 s, 16 s, 16 s (K11)', () => {
    expect(retryDelayMs(3, 2500)).toBe(2500);
    expect([0, 1, 2, 3, 4, 5].map((n) => retryDelayMs(n, null))).toEqual([1000, 2000, 4000, 8000, 16000, 16000]);
  });
});
