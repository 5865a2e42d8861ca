// The ArmInventory + KeyFactsReader contract: what discovery relies on from ARM and Key Vault, run against the
// in-memory inventory and against the SDK adapters on the ARM and Key Vault emulators. Each case is a world (what
// Azure holds, as facts) read through discover(); the facts read back must be the world's, a refusal a gap.
import { afterEach, describe, expect, it } from 'vitest';
import { discover } from '../../app/discovery/discover.js';
import type { InventoryWorld } from '../../app/discovery/memoryInventory.js';
import type { ArmInventory, KeyFactsReader } from '../../app/discovery/ports.js';
import type { DiscoveryFacts, SqlServerFacts, VaultFacts } from '../../domain/discovery/facts.js';
import { buildWorld, factsOf, subscriptionId, topologyOf, vaultFacts, type WorldSpec } from '../support/discoveryWorld.js';

export interface InventoryHarness {
  readonly arm: ArmInventory;
  readonly keys: KeyFactsReader;
  /** The data-plane URI the vault listing gives (the emulators': the Key Vault emulator's URL for it). */
  vaultUri(vault: VaultFacts): string;
  close(): Promise<void>;
}

/** What the caller may not read: subscriptions (no Reader), accounts' client encryption keys, vaults' keys. */
export interface Refusals {
  readonly subscriptions?: readonly string[];
  readonly clientEncryptionKeysOf?: readonly string[];
  readonly keysIn?: readonly string[];
}

export type MakeInventory = (world: InventoryWorld, refusals: Refusals) => Promise<InventoryHarness>;

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const linkKey = (l: SqlServerFacts['geoLinks'][number]): string => `${l.via} ${l.partner} ${l.role} ${l.partnerRole}`;

/** Facts compared as sets where order carries no meaning (links), with vault URIs as the harness serves them. */
function normal(facts: DiscoveryFacts, vaultUri: (v: VaultFacts) => string): unknown {
  return {
    ...facts,
    sqlServers: facts.sqlServers.map((s) => ({ ...s, geoLinks: [...s.geoLinks].sort((a, b) => byString(linkKey(a), linkKey(b))) })),
    vaults: facts.vaults.map((v) => ({ ...v, uri: vaultUri(v) })),
  };
}

const mixed: WorldSpec = {
  subscriptions: 3,
  groups: [
    { size: 2, primaryIndex: 1, failoverGroup: true, userAssigned: [false, true], subs: [0, 1] },
    { size: 3, primaryIndex: 0, failoverGroup: false, userAssigned: [true, false, false], subs: [2, 0, 1] },
    { size: 5, primaryIndex: 2, failoverGroup: true, userAssigned: [false, false, true, false, false], subs: [0, 1, 2, 0, 1] },
    { size: 1, primaryIndex: 0, failoverGroup: false, userAssigned: [false], subs: [2] },
  ],
  instancePairs: 2,
  cosmos: [
    { cmk: true, aeDatabases: 2, userAssigned: true },
    { cmk: false, aeDatabases: 1, userAssigned: false },
    { cmk: true, aeDatabases: 0, userAssigned: false },
  ],
};

export function armInventoryContract(name: string, make: MakeInventory): void {
  describe(`ArmInventory + KeyFactsReader contract: ${name}`, () => {
    let h: InventoryHarness | undefined;
    const open = async (world: InventoryWorld, refusals: Refusals = {}): Promise<InventoryHarness> => (h = await make(world, refusals));
    afterEach(async () => {
      await h?.close();
      h = undefined;
    });

    it('reads back every subscription, server, geo link, identity, protector, database tier, Cosmos DB account, client encryption key, vault and key fact', async () => {
      const { world, expected } = buildWorld(mixed);
      const hsm = vaultFacts(1, 'hsm-orders', { managedHsm: true, uri: 'https://hsm-orders.managedhsm.azure.net/', softDeleteRetentionDays: 30, networkAcls: { defaultAction: 'Deny', bypass: 'AzureServices' } });
      const withHsm: InventoryWorld = { ...world, subscriptions: world.subscriptions.map((s, i) => (i === 1 ? { ...s, vaults: [...s.vaults, hsm] } : s)) };
      const { arm, keys, vaultUri } = await open(withHsm);
      const { facts, estate } = await discover({ arm, keys, concurrency: { subscriptions: 2, resources: 4 } });
      expect(normal(facts, vaultUri)).toEqual(normal(factsOf(withHsm), vaultUri));
      expect(topologyOf(estate.protectors)).toEqual(expected);
      expect(facts.vaults.find((v) => v.name === 'hsm-orders')).toMatchObject({ managedHsm: true, rbac: true, uri: vaultUri(hsm) });
    });

    it('a subscription without Reader is not listed; named, each of its listings is a 403 gap, and the rest is read', async () => {
      const { world } = buildWorld(mixed);
      const refused = subscriptionId(2);
      const { arm, keys } = await open(world, { subscriptions: [refused] });
      const listed = await discover({ arm, keys });
      expect(listed.facts.subscriptions).toEqual([subscriptionId(0), subscriptionId(1)]);
      expect(listed.facts.sqlServers.every((s) => s.subscriptionId !== refused)).toBe(true);
      const named = await discover({ arm, keys }, { subscriptions: [subscriptionId(0), refused] });
      const gaps = named.facts.gaps.filter((g) => g.scope.startsWith(`/subscriptions/${refused}/`));
      expect(gaps.map((g) => g.scope.slice(`/subscriptions/${refused}`.length))).toEqual([
        '/providers/microsoft.documentdb/databaseaccounts',
        '/providers/microsoft.keyvault/managedhsms',
        '/providers/microsoft.keyvault/vaults',
        '/providers/microsoft.sql/managedinstances',
        '/providers/microsoft.sql/servers',
      ]);
      expect(gaps.every((g) => g.reason.startsWith('403'))).toBe(true);
      // Partners in the refused subscription: named as not discovered, their groups still read from this side.
      expect(named.estate.findings.some((f) => f.code === 'geo_partner_not_discovered')).toBe(true);
    });

    it('client encryption keys the caller may not list: the account is read, its keys unknown (null), the refusal a 403 gap', async () => {
      const { world } = buildWorld({ subscriptions: 1, groups: [], instancePairs: 0, cosmos: [{ cmk: true, aeDatabases: 1, userAssigned: false }] });
      const account = world.subscriptions[0]?.cosmosAccounts[0]?.id as string;
      const { arm, keys } = await open(world, { clientEncryptionKeysOf: [account] });
      const { facts } = await discover({ arm, keys });
      expect(facts.cosmosAccounts.map((a) => [a.id, a.keyVaultKeyUri !== null, a.clientEncryptionKeys])).toEqual([[account, true, null]]);
      expect(facts.gaps).toEqual([{ scope: `${account}/sqldatabases/clientencryptionkeys`, reason: expect.stringMatching(/^403/) }]);
    });

    it('keys in a vault the caller may not read: expiry and auto-rotation unknown (null), both reads 403 gaps; no cryptographic permission is needed for the others', async () => {
      const { world } = buildWorld({ subscriptions: 1, groups: [{ size: 2, primaryIndex: 0, failoverGroup: false, userAssigned: [false, false], subs: [0, 0] }], instancePairs: 0, cosmos: [] });
      const keysOfWorld = world.keys.map((k) => (k.vault === 'kv-g0-m1' ? { ...k, autoRotate: true, expires: false } : k));
      const { arm, keys, vaultUri } = await open({ ...world, keys: keysOfWorld }, { keysIn: ['kv-g0-m0'] });
      const { facts } = await discover({ arm, keys });
      expect(facts.keys).toEqual([
        { vault: 'kv-g0-m0', name: 'tde', expires: null, autoRotate: null },
        { vault: 'kv-g0-m1', name: 'tde', expires: false, autoRotate: true },
      ]);
      const base = vaultUri(facts.vaults.find((v) => v.name === 'kv-g0-m0') as VaultFacts).replace(/\/+$/, '');
      expect(facts.gaps.map((g) => g.scope)).toEqual([`${base}/keys/tde`, `${base}/keys/tde/rotationpolicy`]);
      expect(facts.gaps.every((g) => g.reason.startsWith('403'))).toBe(true);
    });
  });
}
