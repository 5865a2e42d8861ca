// Drift between the estate in use and what discovery found, and the overlay the service applies without a restart: a
// failover flips the roles keysteward rotates by (the new secondary is switched first), a changed principal id is the
// one audit records are matched on; membership and keys are reported, never overlaid.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyOverlay, driftFindings, overlayFrom } from '../../../domain/discovery/drift.js';
import type { DiscoveredProtector } from '../../../domain/discovery/topology.js';
import type { Estate, Protector } from '../../../domain/estate/model.js';
import { buildRotationPlan } from '../../../domain/rotation/plan.js';
import { contoso, EUS_OID, EUS_SERVER, WUS_OID, WUS_SERVER } from '../../support/estates.js';

const estate = contoso();
const SUB = '3c5e9a71-2b84-4f06-9d13-6a7b8c9d0e1f';
const AT = '2026-12-06T03:00:00.000Z';

/** What discovery finds when Azure is as the estate says, then changed by `edit`. */
function discoveredFrom(e: Estate, edit: (p: DiscoveredProtector) => DiscoveredProtector = (p) => p): DiscoveredProtector[] {
  return e.protectors.map((p) =>
    edit({
      id: `fg-${p.id}`,
      kind: p.kind,
      keyName: p.keyName,
      members: p.members.map((m) => ({ role: m.role, resourceId: m.resourceId, vault: m.vault, principalId: m.principalId, source: 'test' })),
      source: 'test',
      keyVersioned: true,
      autoRotation: false,
      alwaysEncrypted: null,
      rolesCertain: true,
    }),
  );
}

const failover = (p: DiscoveredProtector): DiscoveredProtector => ({ ...p, members: p.members.map((m) => ({ ...m, role: m.role === 'primary' ? 'secondary' : 'primary' })) });
const drift = (protectors: DiscoveredProtector[]) => driftFindings({ estate, discovered: { protectors }, readSubscriptions: new Set([SUB]) });
const orders = (e: Estate): Protector => e.protectors.find((p) => p.id === 'orders-sql') as Protector;

describe('drift findings', () => {
  it('Azure as the estate says: no drift, and the overlay changes nothing', () => {
    expect(drift(discoveredFrom(estate))).toEqual([]);
    expect(applyOverlay(estate, overlayFrom(estate, { protectors: discoveredFrom(estate) }, AT))).toBe(estate);
  });

  it.each<[string, (p: DiscoveredProtector) => DiscoveredProtector, string[]]>([
    ['a failover swapped primary and secondary', failover, [`estate_topology_drift roles_swapped kv-cmk-prod-wus`]],
    [
      'a secondary was added',
      (p) => ({ ...p, members: [...p.members, { role: 'secondary', resourceId: WUS_SERVER.replace('wus', 'neu'), vault: 'kv-cmk-prod-neu', principalId: null, source: 'test' }] }),
      ['estate_topology_drift member_added kv-cmk-prod-neu'],
    ],
    ['a secondary was removed', (p) => ({ ...p, members: p.members.filter((m) => m.role === 'primary') }), ['estate_topology_drift member_removed kv-cmk-prod-wus']],
    [
      'the secondary’s identity was re-created (new principal id)',
      (p) => ({ ...p, members: p.members.map((m) => (m.role === 'secondary' ? { ...m, principalId: '99999999-9999-4999-8999-999999999999' } : m)) }),
      ['estate_topology_drift principal_changed kv-cmk-prod-wus'],
    ],
    ['the primary uses another key', (p) => ({ ...p, members: p.members.map((m) => (m.role === 'primary' ? { ...m, vault: 'kv-other' } : m)) }), ['protector_key_drift  kv-cmk-prod-eus']],
  ])('%s', (_name, edit, expected) => {
    expect(drift(discoveredFrom(estate, edit)).map((f) => `${f.code} ${String(f.detail['change'] ?? '')} ${f.vault}`)).toEqual(expected);
  });

  it('a CMK server the estate does not list is unmanaged; a protector whose subscription was read and nothing found is not_found', () => {
    const stranger: DiscoveredProtector = { ...(discoveredFrom(estate)[0] as DiscoveredProtector), id: 'sql-stranger', members: [{ role: 'primary', resourceId: `/subscriptions/${SUB}/resourcegroups/rg/providers/microsoft.sql/servers/sql-stranger`, vault: 'kv-x', principalId: null, source: 'test' }] };
    expect(drift([stranger]).map((f) => `${f.code} ${f.protector}`)).toEqual(['estate_topology_drift orders-sql', 'unmanaged_cmk_resource sql-stranger']);
    // Not read (no Reader on the subscription): absence proves nothing.
    expect(driftFindings({ estate, discovered: { protectors: [] }, readSubscriptions: new Set() })).toEqual([]);
  });
});

describe('the overlay', () => {
  it('a failover flips the roles keysteward rotates by: the new secondary (the old primary) is switched first', () => {
    const flipped = applyOverlay(estate, overlayFrom(estate, { protectors: discoveredFrom(estate, failover) }, AT));
    expect(orders(flipped).members.map((m) => `${m.role} ${m.resourceId.split('/').pop()}`)).toEqual(['secondary sql-orders-eus', 'primary sql-orders-wus']);
    const before = buildRotationPlan({ estate, protectorId: 'orders-sql', now: Date.parse(AT) });
    const after = buildRotationPlan({ estate: flipped, protectorId: 'orders-sql', now: Date.parse(AT) });
    const switches = (r: typeof before) => (r.ok ? r.plan.steps.filter((s) => s.kind === 'switch-protector').map((s) => `${s.role} ${String(s.member).split('/').pop()}`) : []);
    expect(switches(before)).toEqual(['secondary sql-orders-wus', 'primary sql-orders-eus']);
    expect(switches(after)).toEqual(['secondary sql-orders-eus', 'primary sql-orders-wus']);
  });

  it('a changed principal id is applied (audit records carry the new one); membership and keys are not', () => {
    const NEW = '99999999-9999-4999-8999-999999999999';
    const changed = discoveredFrom(estate, (p) => ({
      ...p,
      keyName: 'another-key',
      members: [...p.members.map((m) => (m.resourceId === WUS_SERVER ? { ...m, principalId: NEW, vault: 'kv-elsewhere' } : m)), { role: 'secondary', resourceId: `${WUS_SERVER}-x`, vault: 'kv-x', principalId: null, source: 'test' }],
    }));
    const applied = orders(applyOverlay(estate, overlayFrom(estate, { protectors: changed }, AT)));
    expect(applied.members.map((m) => [m.resourceId, m.role, m.vault, m.principalId])).toEqual([
      [EUS_SERVER, 'primary', 'kv-cmk-prod-eus', EUS_OID],
      [WUS_SERVER, 'secondary', 'kv-cmk-prod-wus', NEW],
    ]);
    expect(applied.keyName).toBe('sql-tde-protector');
    expect(WUS_OID).not.toBe(NEW);
  });

  it('never leaves a protector without exactly one primary, whatever discovery says', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('primary' as const, 'secondary' as const), { minLength: 2, maxLength: 2 }), fc.boolean(), (roles, drop) => {
        const discovered = discoveredFrom(estate, (p) => ({ ...p, members: p.members.map((m, i) => ({ ...m, role: roles[i] ?? 'secondary' })).filter((_, i) => !(drop && i === 1)) }));
        const applied = orders(applyOverlay(estate, overlayFrom(estate, { protectors: discovered }, AT)));
        expect(applied.members.filter((m) => m.role === 'primary')).toHaveLength(1);
        expect(applied.members.map((m) => m.resourceId)).toEqual(orders(estate).members.map((m) => m.resourceId));
      }),
    );
  });
});
