// Merging a targeted re-discovery into the last one: the re-read subscriptions come from the fresh read (what is gone
// is gone), nothing else changes — so the merge equals a full read of a world where only those subscriptions changed —
// and a full read drops subscriptions no longer watched. Then what the service shows: the estate file's drift against
// the merged facts, and each estate protector's findings under its own id.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DiscoveryFacts } from '../../../domain/discovery/facts.js';
import { overlayFrom } from '../../../domain/discovery/drift.js';
import { mergeFacts, subscriptionsReadInFull } from '../../../domain/discovery/factsMerge.js';
import { decideDiscovery } from '../../../domain/discovery/findings.js';
import { discoveryView } from '../../../domain/discovery/view.js';
import { estateFrom } from '../../support/estates.js';
import { factsOf, sqlServerFacts } from '../../support/discoveryFacts.js';

const SUBS = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222', '33333333-3333-4333-8333-333333333333'];
const srv = (sub: number, name: string): string => `/subscriptions/${SUBS[sub]}/resourcegroups/rg/providers/microsoft.sql/servers/${name}`;
const PID = (n: number): string => `${String(n).padStart(8, '0')}-0000-4000-8000-000000000000`;
const vaultDoc = (sub: number, name: string) => ({ name, resourceId: `/subscriptions/${SUBS[sub]}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/${name}` });

// One geo-group per subscription pair: g0 in (0, 1), g1 in (1, 2), g2 in (2, 0).
const estate = estateFrom({
  vaults: [vaultDoc(0, 'kv-0'), vaultDoc(1, 'kv-1'), vaultDoc(2, 'kv-2')],
  protectors: [0, 1, 2].map((g) => ({
    id: `g${g}`,
    kind: 'sql-tde',
    keyName: `key-${g}`,
    members: [
      { role: 'primary', resourceId: srv(g, `sql-${g}-p`), vault: `kv-${g}`, principalId: PID(g * 10) },
      { role: 'secondary', resourceId: srv((g + 1) % 3, `sql-${g}-s`), vault: `kv-${(g + 1) % 3}`, principalId: PID(g * 10 + 1) },
    ],
  })),
});

const failedOver = (groups: readonly number[]) => Object.fromEntries(groups.map((g) => [`g${g}`, srv((g + 1) % 3, `sql-${g}-s`)]));

describe('mergeFacts', () => {
  it('property: merging a read of some subscriptions of a changed world equals the changed world read in full, when only those subscriptions changed', () => {
    fc.assert(
      fc.property(fc.subarray([0, 1, 2], { minLength: 1 }), fc.subarray([0, 1, 2]), (rereadIdx, flipped) => {
        const reread = rereadIdx.map((i) => SUBS[i] as string);
        // A group changed only if both its servers' subscriptions are re-read (otherwise the world changed elsewhere too).
        const changes = flipped.filter((g) => reread.includes(SUBS[g] as string) && reread.includes(SUBS[(g + 1) % 3] as string));
        const before = factsOf(estate);
        const after = factsOf(estate, { primary: failedOver(changes) });
        const fresh = factsOf(estate, { primary: failedOver(changes), subscriptions: reread });
        expect(mergeFacts(before, fresh, { reread, full: false })).toEqual(after);
      }),
    );
  });

  it('a server gone from a re-read subscription is gone; one in another subscription stays', () => {
    const extraA = sqlServerFacts({ id: srv(0, 'sql-extra'), vault: 'kv-0', key: 'x', principalId: null });
    const extraB = sqlServerFacts({ id: srv(1, 'sql-extra2'), vault: 'kv-1', key: 'x', principalId: null });
    const before = factsOf(estate, { extra: [extraA, extraB] });
    const merged = mergeFacts(before, factsOf(estate, { subscriptions: [SUBS[0] as string] }), { reread: [SUBS[0] as string], full: false });
    expect(merged.sqlServers.map((s) => s.id)).toContain(extraB.id);
    expect(merged.sqlServers.map((s) => s.id)).not.toContain(extraA.id);
  });

  it('only the subscriptions passed as re-read are taken from the fresh read (a later read of the others wins)', () => {
    const before = factsOf(estate, { primary: failedOver([0]) });
    const staleFullRead = factsOf(estate);
    const merged = mergeFacts(before, staleFullRead, { reread: [SUBS[2] as string], full: false });
    expect(merged).toEqual(before);
  });

  it('a full read drops what it no longer watches, gaps included', () => {
    const before = factsOf(estate, { gaps: [{ scope: `/subscriptions/${SUBS[2]}/providers/microsoft.sql/servers`, reason: '403' }] });
    const watched = [SUBS[0] as string, SUBS[1] as string];
    const merged = mergeFacts(before, factsOf(estate, { subscriptions: watched }), { reread: watched, full: true });
    expect(merged.subscriptions).toEqual(watched);
    expect(merged.sqlServers.every((s) => watched.includes(s.subscriptionId))).toBe(true);
    expect(merged.vaults.map((v) => v.name)).toEqual(['kv-0', 'kv-1']);
    expect(merged.gaps).toEqual([]);
  });

  it('gaps: a re-read subscription’s are replaced by the fresh read’s; a vault gap goes once the vault is found', () => {
    const g = (scope: string): DiscoveryFacts['gaps'][number] => ({ scope, reason: 'Forbidden' });
    const before = factsOf(estate, { gaps: [g(`/subscriptions/${SUBS[0]}/providers/microsoft.keyvault`), g(`/subscriptions/${SUBS[1]}/providers/microsoft.keyvault`), g('vault kv-0'), g('vault kv-other')] });
    const fresh = factsOf(estate, { subscriptions: [SUBS[0] as string], gaps: [g(`${srv(0, 'sql-0-p')}/databases`)] });
    expect(mergeFacts(before, fresh, { reread: [SUBS[0] as string], full: false }).gaps.map((x) => x.scope)).toEqual([`${srv(0, 'sql-0-p')}/databases`, `/subscriptions/${SUBS[1]}/providers/microsoft.keyvault`, 'vault kv-other']);
  });

  it('subscriptionsReadInFull: read, with no gap inside', () => {
    const facts = factsOf(estate, { gaps: [{ scope: `${srv(1, 'sql-1-p')}`, reason: 'encryption protector: 403' }, { scope: 'vault kv-x', reason: 'not found' }] });
    expect([...subscriptionsReadInFull(facts)].sort()).toEqual([SUBS[0], SUBS[2]]);
  });
});

describe('discoveryView', () => {
  it('a failover: the file’s drift is shown under the estate protector’s id, with discovery’s own findings about it', () => {
    const facts = factsOf(estate, { primary: failedOver([1]), extra: [sqlServerFacts({ id: srv(2, 'sql-unmanaged'), vault: 'kv-2', key: 'other', principalId: null })] });
    const view = discoveryView(estate, facts);
    expect(view.drift.map((f) => `${f.code} ${f.protector} ${String(f.detail['change'] ?? '')}`)).toEqual(['estate_topology_drift g1 roles_swapped', 'unmanaged_cmk_resource sql-unmanaged ']);
    expect(view.byProtector.get('g1')?.map((f) => f.code)).toEqual(['estate_topology_drift']);
    expect(view.byProtector.has('sql-unmanaged')).toBe(false);
    expect(view.byProtector.has('g0')).toBe(false);
  });

  it('discovery’s findings about a matched protector carry the estate id, the resource, the source and the discovered id', () => {
    const facts = factsOf(estate);
    const noPurge = { ...facts, vaults: facts.vaults.map((v) => (v.name === 'kv-0' ? { ...v, purgeProtection: false } : v)) };
    const found = discoveryView(estate, noPurge).byProtector.get('g0');
    expect(found).toEqual([
      { code: 'vault_purge_protection_disabled', protector: 'g0', vault: 'kv-0', detail: expect.objectContaining({ source: 'Microsoft.KeyVault/vaults (properties.enablePurgeProtection)', discoveredAs: 'fg-g0', resource: expect.stringContaining('/vaults/kv-0') }) },
    ]);
  });
});

describe('a partial read never moves a primary (review: a 403/5xx on one subscription swapped roles)', () => {
  const at = '2026-12-06T05:00:00.000Z';
  const roles = (overlay: ReturnType<typeof overlayFrom>, id: string): string[] => (overlay.protectors[id] ?? []).map((m) => `${m.role} ${m.resourceId.split('/').pop()}`);

  it('a failed server listing keeps what the last read found there; the group stays certain and its roles unchanged', () => {
    const before = factsOf(estate, { primary: failedOver([0]) });
    // Subscription 0's server listing fails (a 500): the fresh read lists nothing there, and says so.
    const fresh = factsOf(estate, { primary: failedOver([0]), subscriptions: [SUBS[1] as string], gaps: [{ scope: `/subscriptions/${SUBS[0]}/providers/microsoft.sql/servers`, reason: '500 InternalServerError' }] });
    const merged = mergeFacts(before, { ...fresh, subscriptions: [SUBS[0] as string, SUBS[1] as string] }, { reread: [SUBS[0] as string, SUBS[1] as string], full: false });
    expect(merged.sqlServers.map((s) => s.id).sort()).toEqual(before.sqlServers.map((s) => s.id).sort());
    const overlay = overlayFrom(estate, decideDiscovery(merged), at);
    expect(roles(overlay, 'g0')).toEqual(['secondary sql-0-p', 'primary sql-0-s']);
  });

  it('a group with a server that could not be read has uncertain roles: the overlay keeps its last entry, never the guess nor the file', () => {
    const previous = overlayFrom(estate, decideDiscovery(factsOf(estate, { primary: failedOver([0]) })), at);
    expect(roles(previous, 'g0')).toEqual(['secondary sql-0-p', 'primary sql-0-s']);
    // This time the new primary's protector read failed: it is missing from the facts, its partner's link names it.
    const partial = factsOf(estate, { primary: failedOver([0]) });
    const missing = srv(1, 'sql-0-s');
    const facts = { ...partial, sqlServers: partial.sqlServers.filter((s) => s.id !== missing), gaps: [{ scope: missing, reason: 'encryption protector: 503' }] };
    const decided = decideDiscovery(facts);
    expect(decided.protectors.find((p) => p.id === 'fg-g0')?.rolesCertain).toBe(false);
    expect(roles(overlayFrom(estate, decided, at, previous), 'g0')).toEqual(['secondary sql-0-p', 'primary sql-0-s']);
    // Without a previous overlay the protector keeps the file's roles (nothing overlaid), never discovery's guess.
    expect(overlayFrom(estate, decided, at).protectors['g0']).toBeUndefined();
  });

  it('a full read that could not list the subscriptions drops nothing', () => {
    const before = factsOf(estate);
    const merged = mergeFacts(before, { subscriptions: [], sqlServers: [], cosmosAccounts: [], vaults: [], keys: [], gaps: [{ scope: '/subscriptions', reason: '401' }] }, { reread: [], full: true });
    expect(merged.sqlServers).toEqual(before.sqlServers);
  });
});
