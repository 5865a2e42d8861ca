import { describe, expect, it } from 'vitest';
import { indexEstate } from '../../../domain/estate/index.js';
import { applyEvent, createFoldState } from '../../../domain/health/fold.js';
import { fromSnapshot, mergeInto, toSnapshot } from '../../../domain/health/snapshot.js';
import { contoso, contosoDoc, estateFrom, EUS_OID, EUS_SERVER, WUS_SERVER } from '../../support/estates.js';
import { access } from '../../support/events.js';

describe('protector snapshot', () => {
  it('keeps successes with their member when the estate reorders members (e.g. after a failover)', () => {
    const state = createFoldState(indexEstate(contoso()));
    applyEvent(state, access({ time: '2026-03-03T02:00:00Z', oid: EUS_OID }));
    const snapshot = toSnapshot(state.protectors.get('orders-sql') as never);
    const doc = contosoDoc() as { protectors: Array<{ members: Array<Record<string, unknown>> }> };
    const [primary, secondary] = doc.protectors[0]?.members ?? [];
    (doc.protectors[0] as { members: unknown[] }).members = [{ ...secondary, role: 'primary' }, { ...primary, role: 'secondary' }];
    const swapped = estateFrom(doc).protectors[0];
    if (!swapped) throw new Error('no protector');
    const restored = fromSnapshot(swapped, JSON.parse(JSON.stringify(snapshot)));
    expect(swapped.members.map((m) => m.resourceId)).toEqual([WUS_SERVER, EUS_SERVER]);
    expect(restored.successes).toEqual([[], [Date.parse('2026-03-03T02:00:00Z')]]);
  });

  it('merging a delta twice changes nothing the second time', () => {
    const state = createFoldState(indexEstate(contoso()));
    applyEvent(state, access({ time: '2026-03-03T02:00:00Z', oid: EUS_OID, denial: 'rbac' }));
    const delta = state.protectors.get('orders-sql');
    if (!delta) throw new Error('no protector');
    const target = fromSnapshot(delta.protector, null);
    expect(mergeInto(target, delta)).toBe(true);
    expect(mergeInto(target, delta)).toBe(false);
  });
});
