// `discover --merge`: discovery owns the topology (members, roles, principal ids, vaults, keyName), the file owns
// everything else (ids, rotation, windows, keySetting, notifications, inventory), protectors discovery did not find
// stay — and merging a discovery into its own output changes nothing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideDiscovery } from '../../../domain/discovery/findings.js';
import { diffEstates } from '../../../domain/discovery/docDiff.js';
import { discoveredEstateDoc, type EstateDraft, type ProtectorDoc } from '../../../domain/discovery/estateDoc.js';
import { mergeEstate } from '../../../domain/discovery/merge.js';
import { estateSchema, type EstateInput } from '../../../domain/estate/schema.js';
import { buildWorld, factsOf, worldSpecArb, type WorldSpec } from '../../support/discoveryWorld.js';

const draftOf = (spec: WorldSpec): EstateDraft => {
  const facts = factsOf(buildWorld(spec).world);
  return discoveredEstateDoc(decideDiscovery(facts), facts);
};

const pair: WorldSpec = { subscriptions: 2, groups: [{ size: 2, primaryIndex: 0, failoverGroup: true, userAssigned: [false, true], subs: [0, 1] }], instancePairs: 0, cosmos: [{ cmk: true, aeDatabases: 2, userAssigned: false }] };
const valid = (doc: EstateInput): void => expect(estateSchema.safeParse(doc).error?.issues ?? []).toEqual([]);
const protector = (doc: EstateInput, id: string): ProtectorDoc => doc.protectors.find((p) => p.id === id) as ProtectorDoc;

describe('merge, case by case', () => {
  const draft = draftOf(pair);
  const fg = protector(draft.doc, 'fg-0');
  const [primary, secondary] = fg.members as [ProtectorDoc['members'][number], ProtectorDoc['members'][number]];

  it('a matched protector keeps the file’s id and hand-edited fields; its topology becomes the discovered one (a failover flips the roles)', () => {
    const file: EstateInput = {
      vaults: draft.doc.vaults,
      protectors: [
        {
          id: 'orders-sql',
          kind: 'sql-tde',
          keyName: 'old-key',
          // As written before a failover: the roles the other way round, an old principal id.
          members: [
            { ...secondary, role: 'primary', principalId: 'ffffffff-0000-4000-8000-000000000000' },
            { ...primary, role: 'secondary' },
          ],
          rotation: { every: 'P90D', strategy: 'import', keySize: 3072 },
          autohealWindow: 'PT8H',
          inaccessibleAfter: 'PT5M',
          backupRetention: 'P60D',
        },
      ],
      notifications: { email: { to: ['secops@contoso.example'] } },
    };
    const { draft: out, report } = mergeEstate(file, draft, 'estate.yaml');
    valid(out.doc);
    const merged = protector(out.doc, 'orders-sql');
    expect(merged).toEqual({ ...fg, id: 'orders-sql', rotation: { every: 'P90D', strategy: 'import', keySize: 3072 }, autohealWindow: 'PT8H', inaccessibleAfter: 'PT5M', backupRetention: 'P60D' });
    expect(out.doc.protectors.map((p) => p.id)).toEqual(['cosmos-0', 'cosmos-0-ae', 'orders-sql']);
    expect(out.doc.notifications).toEqual(file.notifications);
    expect(report).toMatchObject({ matched: [{ id: 'orders-sql', discovered: 'fg-0' }], added: ['cosmos-0', 'cosmos-0-ae'], kept: [], renamed: [] });
    expect(out.notes.protectors.get('orders-sql')?.at(-1)).toBe('id, autohealWindow, backupRetention, inaccessibleAfter, rotation kept from estate.yaml');
    expect(out.notes.header.at(-1)).toMatch(/^Merged with estate.yaml: 1 protector updated from discovery/);
    expect(diffEstates(file, out.doc)).toEqual(
      expect.arrayContaining([
        `~ protector orders-sql keyName: "old-key" → "tde"`,
        `~ protector orders-sql members[${primary.resourceId}].role: "secondary" → "primary"`,
        `~ protector orders-sql members[${secondary.resourceId}].principalId: "ffffffff-0000-4000-8000-000000000000" → "${secondary.principalId}"`,
        '+ protector cosmos-0 (cosmos-cmk, 1 member)',
      ]),
    );
  });

  it('a protector discovery did not find is kept as it was, with its vault, and reported', () => {
    const gone: ProtectorDoc = { id: 'legacy', kind: 'sql-tde', keyName: 'k', members: [{ role: 'primary', resourceId: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.Sql/servers/old', vault: 'KV-Legacy' }], rotation: { every: 'P1D', strategy: 'rotate' } };
    const file: EstateInput = { vaults: [{ name: 'KV-Legacy', region: 'westus' }], protectors: [gone], inventory: {} };
    const { draft: out, report } = mergeEstate(file, draft, 'f.json');
    valid(out.doc);
    expect(protector(out.doc, 'legacy')).toEqual(gone);
    expect(out.doc.vaults.find((v) => v.name === 'KV-Legacy')).toEqual({ name: 'KV-Legacy', region: 'westus' });
    expect(out.doc.inventory).toEqual({});
    expect(report.kept).toEqual(['legacy']);
    expect(out.notes.protectors.get('legacy')).toEqual(['kept from f.json: discovery did not find it in the subscriptions it read']);
  });

  it('a discovered id the file uses for another protector is renamed, not merged into it', () => {
    const file: EstateInput = { vaults: [{ name: 'kv-other' }], protectors: [{ id: 'fg-0', kind: 'cosmos-cmk', keyName: 'x', members: [{ role: 'primary', resourceId: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.DocumentDB/databaseAccounts/other', vault: 'kv-other' }] }] };
    const { draft: out, report } = mergeEstate(file, draft, 'f');
    valid(out.doc);
    expect(report.renamed).toEqual([{ from: 'fg-0', to: 'fg-0-2' }]);
    expect(protector(out.doc, 'fg-0-2').members).toEqual(fg.members);
    expect(protector(out.doc, 'fg-0').kind).toBe('cosmos-cmk');
  });

  it('a principal id discovery could not know (Always Encrypted: the application’s) keeps the file’s; keySetting survives, endpoint and databases are discovered', () => {
    const ae = protector(draft.doc, 'cosmos-0-ae');
    const member = ae.members[0] as ProtectorDoc['members'][number];
    expect(member.principalId).toBeUndefined();
    const file: EstateInput = {
      vaults: draft.doc.vaults,
      protectors: [{ ...ae, id: 'cards-ae', members: [{ ...member, principalId: 'a0a0a0a0-0000-4000-8000-000000000000' }], alwaysEncrypted: { endpoint: 'https://old.documents.azure.com:443/', databases: ['db-0'], keySetting: 'COSMOS_KEY' } }],
    };
    const { draft: out, report } = mergeEstate(file, draft, 'f');
    expect(protector(out.doc, 'cards-ae')).toEqual({ ...ae, id: 'cards-ae', members: [{ ...member, principalId: 'a0a0a0a0-0000-4000-8000-000000000000' }], alwaysEncrypted: { ...ae.alwaysEncrypted, keySetting: 'COSMOS_KEY' } });
    expect(report.principalsKept).toEqual([{ protector: 'cards-ae', member: member.resourceId }]);
    // The Cosmos CMK protector of the same account is a different kind: not matched with the Always Encrypted one.
    expect(report.added).toContain('cosmos-0');
  });

  it('a vault discovery read replaces the file’s entry, URI included; one it could not read keeps the file’s', () => {
    const read = draft.doc.vaults[0] as EstateInput['vaults'][number];
    const file: EstateInput = {
      vaults: [
        { name: read.name, uri: 'https://stale.example/', region: 'nowhere', properties: { enablePurgeProtection: false } },
        { name: 'kv-hand', uri: 'https://kv-hand.vault.azure.net/' },
      ],
      protectors: [],
    };
    const unread: EstateDraft = { ...draft, doc: { ...draft.doc, vaults: [...draft.doc.vaults, { name: 'kv-hand' }] } };
    const { draft: out } = mergeEstate(file, unread, 'f');
    expect(out.doc.vaults.find((v) => v.name === read.name)).toEqual(read);
    expect(out.doc.vaults.find((v) => v.name === 'kv-hand')).toEqual({ name: 'kv-hand', uri: 'https://kv-hand.vault.azure.net/' });
  });
});

/** Random hand edits of a discovered file: new ids, rotation settings, windows, keySetting, notifications. */
const editsArb = fc.record({
  rename: fc.boolean(),
  rotation: fc.option(fc.record({ every: fc.constantFrom('P30D', 'P90D', 'P180D'), strategy: fc.constantFrom('import' as const, 'rotate' as const) }), { nil: undefined }),
  autohealWindow: fc.option(fc.constantFrom('PT30M', 'PT8H'), { nil: undefined }),
  inaccessibleAfter: fc.option(fc.constantFrom('PT10M', 'PT1M'), { nil: undefined }),
  backupRetention: fc.option(fc.constantFrom('P35D', 'P7D'), { nil: undefined }),
  keySetting: fc.option(fc.constantFrom('COSMOS_KEY', 'AE_ACCOUNT_KEY'), { nil: undefined }),
  /** The file's topology is out of date: roles the other way round, other principal ids, another key name. */
  stale: fc.boolean(),
});

type Edits = typeof editsArb extends fc.Arbitrary<infer T> ? T : never;

const STALE_PRINCIPAL = 'eeeeeeee-0000-4000-8000-000000000000';

function staleMembers(members: ProtectorDoc['members']): ProtectorDoc['members'] {
  return members.map((m, j) => ({ ...m, principalId: STALE_PRINCIPAL, role: members.length < 2 ? m.role : j === 1 ? 'primary' : 'secondary' }));
}

function edit(doc: EstateInput, edits: ReadonlyArray<Edits>): EstateInput {
  return {
    ...doc,
    notifications: { email: { to: ['ops@contoso.example'] } },
    protectors: doc.protectors.map((p, i) => {
      const e = edits[i % edits.length] as Edits;
      return {
        ...p,
        id: e.rename ? `hand-${i}` : p.id,
        ...(e.rotation ? { rotation: e.rotation } : {}),
        ...(e.autohealWindow ? { autohealWindow: e.autohealWindow } : {}),
        ...(e.inaccessibleAfter ? { inaccessibleAfter: e.inaccessibleAfter } : {}),
        ...(e.backupRetention ? { backupRetention: e.backupRetention } : {}),
        ...(e.keySetting && p.alwaysEncrypted ? { alwaysEncrypted: { ...p.alwaysEncrypted, keySetting: e.keySetting } } : {}),
        ...(e.stale ? { keyName: 'stale-key', members: staleMembers(p.members) } : {}),
      };
    }),
  };
}

describe('merge, for any estate', () => {
  it('merging a discovery into its own output changes nothing', () => {
    fc.assert(
      fc.property(worldSpecArb(), (spec) => {
        const draft = draftOf(spec);
        valid(draft.doc);
        const { draft: out, report } = mergeEstate(draft.doc, draft, 'own.yaml');
        expect(out.doc).toEqual(draft.doc);
        expect(diffEstates(draft.doc, out.doc)).toEqual([]);
        expect(report).toMatchObject({ added: [], kept: [], renamed: [], principalsKept: [] });
        expect(report.matched.every((m) => m.id === m.discovered)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('hand-edited fields and hand-chosen ids always survive, and the result is a valid estate with the discovered topology', () => {
    fc.assert(
      fc.property(worldSpecArb(), fc.array(editsArb, { minLength: 1, maxLength: 6 }), (spec, edits) => {
        const draft = draftOf(spec);
        const file = edit(draft.doc, edits);
        const { draft: out } = mergeEstate(file, draft, 'hand.yaml');
        valid(out.doc);
        expect(out.doc.notifications).toEqual(file.notifications);
        expect(out.doc.protectors).toHaveLength(file.protectors.length);
        for (const [i, hand] of file.protectors.entries()) {
          const found = draft.doc.protectors[i] as ProtectorDoc;
          const merged = protector(out.doc, hand.id);
          // Everything the file says survives; the topology is discovery's, but for principal ids it could not know.
          const members = found.members.map((m) => (m.principalId === undefined && hand.members.some((h) => h.principalId) ? { ...m, principalId: STALE_PRINCIPAL } : m));
          expect(merged).toEqual({ ...hand, members, keyName: found.keyName });
        }
      }),
      { numRuns: 150 },
    );
  });
});
