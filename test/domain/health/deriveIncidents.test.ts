// deriveProtectorIncidents (what the sweep derives) is deriveProtector without its findings: the same incidents for
// any protector state at any instant, including states with a live inventory read by reconcile.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scaleEstate, scaleFold } from '../../../bench/scaleEstate.js';
import { indexEstate } from '../../../domain/estate/index.js';
import { deriveProtector, deriveProtectorIncidents } from '../../../domain/health/report.js';

const NOW = Date.parse('2026-03-03T03:00:00Z');
const estate = scaleEstate(40);
const index = indexEstate(estate);
// Every third protector in trouble, lost 1 to 45 minutes ago: access_lost, inaccessible or autoheal_expired depending
// on the instant it is judged at (and resolved never, before the loss nothing).
const fold = scaleFold(index, NOW, (i) => (i % 3 === 0 ? { lostMinutesAgo: 1 + (i % 45) } : undefined));

describe('deriveProtectorIncidents', () => {
  it('equals deriveProtector(...).incidents at any instant', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: estate.protectors.length - 1 }), fc.integer({ min: -3 * 3_600_000, max: 3 * 3_600_000 }), fc.boolean(), (i, offset, live) => {
        const p = estate.protectors[i];
        const ps = p && fold.protectors.get(p.id);
        if (!p || !ps) throw new Error('missing protector');
        const state = live ? { ...ps, liveInventory: new Map(p.members.map((m) => [m.vault, []])) } : ps;
        expect(deriveProtectorIncidents(estate, state, NOW + offset)).toStrictEqual(deriveProtector(estate, state, NOW + offset).incidents);
      }),
      { numRuns: 300 },
    );
  });
});
