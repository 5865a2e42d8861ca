// The rewrap bench runs end to end and audits itself: a small run must lose nothing and write nothing twice. Its
// rate is printed by `npm run bench`, never asserted here (DESIGN.md §7: no timed tests).
import { describe, expect, it } from 'vitest';
import { devCert, sdkPolicies } from '../../emulators/keyvault/support.js';
import { benchRewrap } from '../../../bench/rewrap.js';

describe('benchRewrap', () => {
  it('60 DEKs: complete, none lost, none double-wrapped; the ceiling is 200 rewraps/s for Azure\'s 4,000 ops per 10 s', async () => {
    const r = await benchRewrap({ deks: 60, additionalPolicies: sdkPolicies(await devCert()) });
    expect(r).toMatchObject({ deks: 60, complete: true, lost: 0, doubleWrapped: 0, ceilingPerSec: 200, ceilingUnitsPerSec: 400 });
    expect(r.dekPerSec).toBeGreaterThan(0);
  }, 120_000);
});
