// The estate file discovery writes: read back through the estate loader (adapters/files/estateFile.ts) it is valid
// and holds exactly the discovered protectors; its comments name where values came from; the same estate gives the
// same bytes whatever order Azure listed it in; what cannot be a valid protector is named, not written.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadEstateFile } from '../../../adapters/files/estateFile.js';
import { renderEstate } from '../../../adapters/files/estateYaml.js';
import { discoveredEstateDoc } from '../../../domain/discovery/estateDoc.js';
import type { DiscoveryFacts } from '../../../domain/discovery/facts.js';
import { decideDiscovery } from '../../../domain/discovery/findings.js';
import type { Estate } from '../../../domain/estate/model.js';
import { buildWorld, factsOf, topologyOf, worldSpecArb, type WorldSpec } from '../../support/discoveryWorld.js';

const dir = await mkdtemp(join(tmpdir(), 'ks-estate-yaml-'));
let n = 0;
async function reread(text: string, ext: string): Promise<Estate> {
  const path = join(dir, `estate-${n++}.${ext}`);
  await writeFile(path, text);
  return loadEstateFile(path);
}

const render = (facts: DiscoveryFacts, format: 'yaml' | 'json' = 'yaml'): string => renderEstate(discoveredEstateDoc(decideDiscovery(facts), facts), format);

describe('the discovered estate file', () => {
  it('any estate, YAML or JSON: re-read by the estate loader it is valid and its protectors are the discovered ones', async () => {
    await fc.assert(
      fc.asyncProperty(worldSpecArb(), fc.constantFrom('yaml' as const, 'json' as const), async (spec, format) => {
        const facts = factsOf(buildWorld(spec).world);
        const discovered = decideDiscovery(facts);
        const estate = await reread(render(facts, format), format);
        expect(topologyOf(estate.protectors)).toEqual(topologyOf(discovered.protectors));
        expect([...estate.vaults.keys()].sort()).toEqual(discovered.vaults.map((v) => v.name));
        for (const v of discovered.vaults) expect(estate.vaults.get(v.name)).toMatchObject({ region: v.location, resourceId: v.id, uri: v.uri, properties: { purgeProtection: v.purgeProtection, softDelete: v.softDelete } });
      }),
      { numRuns: 40 },
    );
  });

  it('the same estate listed in any order gives the same bytes', () => {
    fc.assert(
      fc.property(worldSpecArb(), fc.array(fc.nat(), { minLength: 200, maxLength: 200 }), (spec, order) => {
        const facts = factsOf(buildWorld(spec).world);
        const shuffle = <T>(xs: readonly T[]): T[] => xs.map((x, i) => ({ x, k: order[i % order.length] ?? 0 })).sort((a, b) => a.k - b.k).map((e) => e.x);
        const shuffled: DiscoveryFacts = { ...facts, sqlServers: shuffle(facts.sqlServers), cosmosAccounts: shuffle(facts.cosmosAccounts), vaults: shuffle(facts.vaults), keys: shuffle(facts.keys) };
        expect(render(shuffled)).toBe(render(facts));
      }),
      { numRuns: 40 },
    );
  });

  it('comments name the source of each protector, member and vault; findings and gaps are listed; no time is written', async () => {
    const spec: WorldSpec = { subscriptions: 2, groups: [{ size: 2, primaryIndex: 1, failoverGroup: true, userAssigned: [true, false], subs: [0, 1] }], instancePairs: 0, cosmos: [{ cmk: true, aeDatabases: 1, userAssigned: false }] };
    const facts = { ...factsOf(buildWorld(spec).world), gaps: [{ scope: '/subscriptions/00000000-0000-4000-8000-000000000009/providers/microsoft.sql/servers', reason: '403 AuthorizationFailed — no Reader' }] };
    const text = render(facts);
    expect(text.split('\n').slice(0, 2)).toEqual([
      '# Estate discovered by keysteward discover from 2 subscriptions (Azure Resource Manager and Key Vault).',
      '# Edit freely: `keysteward discover --merge <this file>` keeps hand-edited fields and protector ids.',
    ]);
    expect(text).toContain('  # sql-tde from failover group fg-0; key tde (a versioned key URI)\n  - id: fg-0\n');
    expect(text).toContain('      # Microsoft.Sql/servers/sql-g0-m1 encryptionProtector (subscription 00000000-0000-4000-8000-000000000001)\n      - role: primary\n');
    expect(text).toContain('  # key vault, Azure RBAC: Microsoft.KeyVault/vaults of subscription 00000000-0000-4000-8000-000000000000\n  - name: kv-c0\n');
    expect(text).toContain('# finding key_without_expiry: kv-c0/cosmos-cmk key=cosmos-cmk (Key Vault key attributes and rotation policy)');
    expect(text).toContain('principal id not known to ARM');
    expect(text).toContain('# not read: /subscriptions/00000000-0000-4000-8000-000000000009/providers/microsoft.sql/servers — 403 AuthorizationFailed — no Reader');
    expect(text).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:/);
    await reread(text, 'yaml');
  });

  it('a geo-group with more than four secondaries and a protector naming an unread vault: the first is named, not written; the second is written with the vault by name', async () => {
    const spec: WorldSpec = {
      subscriptions: 1,
      groups: [
        { size: 5, primaryIndex: 0, failoverGroup: false, userAssigned: [false, false, false, false, false], subs: [0, 0, 0, 0, 0] },
        { size: 1, primaryIndex: 0, failoverGroup: false, userAssigned: [false], subs: [0] },
      ],
      instancePairs: 0,
      cosmos: [],
    };
    const facts = factsOf(buildWorld(spec).world);
    // A sixth server joins group 0 (five secondaries); group 1's vault is in no subscription read.
    const six = facts.sqlServers.filter((s) => s.name.startsWith('sql-g0-'));
    const primary = six.find((s) => s.name === 'sql-g0-m0');
    if (!primary) throw new Error('no primary');
    const extra = { ...six[1], id: `${primary.id}-x`, name: 'sql-g0-m0-x', geoLinks: [{ partner: primary.id, role: 'secondary' as const, partnerRole: 'primary' as const, via: 'replication-link:db-x' }] } as (typeof six)[number];
    const withExtra: DiscoveryFacts = {
      ...facts,
      sqlServers: [...facts.sqlServers.map((s) => (s.id === primary.id ? { ...s, geoLinks: [...s.geoLinks, { partner: extra.id, role: 'primary' as const, partnerRole: 'secondary' as const, via: 'replication-link:db-x' }] } : s)), extra],
      vaults: facts.vaults.filter((v) => v.name !== 'kv-g1-m0'),
    };
    const draft = discoveredEstateDoc(decideDiscovery(withExtra), withExtra);
    expect(draft.skipped).toEqual([{ id: 'sql-g0-m0', reason: 'members: has 5 secondaries; Azure SQL allows at most 4' }]);
    const text = renderEstate(draft, 'yaml');
    expect(text).toContain('# not written: protector sql-g0-m0 — members: has 5 secondaries; Azure SQL allows at most 4');
    expect(text).toContain('  # not read: no subscription read holds this vault (another tenant, or no Reader on it); check its uri\n  - name: kv-g1-m0\n');
    const estate = await reread(text, 'yaml');
    expect(estate.protectors.map((p) => p.id)).toEqual(['sql-g1-m0']);
    expect([...estate.vaults.keys()]).toEqual(['kv-g1-m0']);
  });
});
