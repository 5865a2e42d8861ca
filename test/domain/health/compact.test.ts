// Compaction never changes a decision: incidents derived from the compacted state equal those from every event.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KeyEvent } from '../../../domain/events/keyEvent.js';
import { indexEstate } from '../../../domain/estate/index.js';
import { applyEvent, createFoldState } from '../../../domain/health/fold.js';
import { compactState } from '../../../domain/health/compact.js';
import { deriveIncidents } from '../../../domain/health/incidents.js';
import { contoso, EUS_OID, WUS_OID } from '../../support/estates.js';
import { access, at, roleAssignment } from '../../support/events.js';

const estate = contoso();
const START = at('2026-03-03T00:00:00Z');
const iso = (s: number): string => new Date(START + s * 1000).toISOString();

const storm: fc.Arbitrary<KeyEvent[]> = fc
  .array(
    fc.record({
      t: fc.integer({ min: 0, max: 4 * 3600 }),
      kind: fc.constantFrom('deny', 'deny', 'deny', 'deny', 'ok', 'role-delete', 'role-write', 'fw'),
      oid: fc.constantFrom(EUS_OID, WUS_OID),
    }),
    { minLength: 50, maxLength: 600 },
  )
  .map((xs) =>
    xs.map(({ t, kind, oid }) => {
      const vault = oid === EUS_OID ? 'kv-cmk-prod-eus' : 'kv-cmk-prod-wus';
      if (kind === 'deny') return access({ time: iso(t), oid, vault, denial: 'rbac' });
      if (kind === 'fw') return access({ time: iso(t), oid, vault, denial: 'firewall' });
      if (kind === 'ok') return access({ time: iso(t), oid, vault });
      return roleAssignment({ time: iso(t), op: kind === 'role-delete' ? 'delete' : 'write', principalId: oid, scope: `/subscriptions/3c5e9a71-2b84-4f06-9d13-6a7b8c9d0e1f/resourcegroups/rg-data-prod/providers/microsoft.keyvault/vaults/${vault}` });
    }),
  );

describe('compactState', () => {
  it('keeps incidents (stages, deadlines, episodes and shown evidence) identical to the full event set', () => {
    fc.assert(
      fc.property(storm, fc.integer({ min: 0, max: 5 * 3600 }), fc.integer({ min: 0, max: 3600 }), (events, nowS, laterS) => {
        const state = createFoldState(indexEstate(estate));
        for (const e of events) applyEvent(state, e);
        const full = state.protectors.get('orders-sql');
        if (!full) throw new Error('protector missing');
        const now = START + nowS * 1000;
        const compacted = compactState(estate, full, now, 20);
        for (const at of [now, now + laterS * 1000]) {
          expect(JSON.stringify(deriveIncidents(estate, compacted, at))).toBe(JSON.stringify(deriveIncidents(estate, full, at)));
        }
        expect(compacted.events.size).toBeLessThanOrEqual(full.events.size);
      }),
      { numRuns: 150 },
    );
  });

  it('bounds a denial storm: one denial every 2 s for 4 hours keeps a handful of events', () => {
    const state = createFoldState(indexEstate(estate));
    for (let s = 0; s < 4 * 3600; s += 2) applyEvent(state, access({ time: iso(s), oid: EUS_OID, denial: 'rbac' }));
    const full = state.protectors.get('orders-sql');
    if (!full) throw new Error('protector missing');
    expect(full.events.size).toBe(7200);
    const compacted = compactState(estate, full, START + 4 * 3600_000);
    expect(compacted.events.size).toBeLessThanOrEqual(10);
    expect(deriveIncidents(estate, compacted, START + 5 * 3600_000)).toEqual(deriveIncidents(estate, full, START + 5 * 3600_000));
  });
});
