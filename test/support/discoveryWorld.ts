// Random Azure estates as discovery facts (app/discovery/memoryInventory.ts's world) with the protectors they must
// become: geo-groups of 1–5 SQL servers (failover group or replication links, across subscriptions, system- or
// user-assigned identities), managed-instance pairs, Cosmos DB accounts with a CMK and/or Always Encrypted keys.
import fc from 'fast-check';
import type { CosmosAccountFacts, DiscoveryFacts, GeoLink, IdentityFacts, KeyFacts, SqlServerFacts, VaultFacts } from '../../domain/discovery/facts.js';
import type { InventoryWorld } from '../../app/discovery/memoryInventory.js';

export const subscriptionId = (i: number): string => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
export const principal = (n: number): string => `${n.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;
const VERSION = 'a'.repeat(32);

export interface GroupSpec {
  readonly size: number;
  readonly primaryIndex: number;
  readonly failoverGroup: boolean;
  readonly userAssigned: readonly boolean[];
  /** Subscription index of each member. */
  readonly subs: readonly number[];
}

export interface CosmosSpec {
  readonly cmk: boolean;
  readonly aeDatabases: number;
  readonly userAssigned: boolean;
}

export interface WorldSpec {
  readonly subscriptions: number;
  readonly groups: readonly GroupSpec[];
  readonly instancePairs: number;
  readonly cosmos: readonly CosmosSpec[];
}

export interface ExpectedProtector {
  readonly id: string;
  readonly kind: string;
  readonly keyName: string;
  readonly members: ReadonlyArray<{ readonly role: string; readonly resourceId: string; readonly vault: string; readonly principalId: string | null }>;
}

export const groupArb = (subscriptions: number): fc.Arbitrary<GroupSpec> =>
  fc.integer({ min: 1, max: 5 }).chain((size) =>
    fc.record({
      size: fc.constant(size),
      primaryIndex: fc.nat(size - 1),
      failoverGroup: fc.boolean(),
      userAssigned: fc.array(fc.boolean(), { minLength: size, maxLength: size }),
      subs: fc.array(fc.nat(subscriptions - 1), { minLength: size, maxLength: size }),
    }),
  );

export const worldSpecArb = (o: { maxGroups?: number; maxCosmos?: number } = {}): fc.Arbitrary<WorldSpec> =>
  fc.integer({ min: 1, max: 5 }).chain((subscriptions) =>
    fc.record({
      subscriptions: fc.constant(subscriptions),
      groups: fc.array(groupArb(subscriptions), { minLength: 1, maxLength: o.maxGroups ?? 12 }),
      instancePairs: fc.integer({ min: 0, max: 2 }),
      cosmos: fc.array(fc.record({ cmk: fc.boolean(), aeDatabases: fc.integer({ min: 0, max: 2 }), userAssigned: fc.boolean() }), { maxLength: o.maxCosmos ?? 4 }),
    }),
  );

const armId = (sub: number, type: string, name: string): string => `/subscriptions/${subscriptionId(sub)}/resourcegroups/rg-${sub}/providers/${type}/${name}`;
const uaiId = (sub: number, name: string): string => armId(sub, 'microsoft.managedidentity/userassignedidentities', `id-${name}`);

function identityOf(sub: number, name: string, userAssigned: boolean, oid: string): { identity: IdentityFacts; chosen: string | null } {
  if (!userAssigned) return { identity: { type: 'SystemAssigned', systemPrincipalId: oid, userAssigned: new Map() }, chosen: null };
  const uai = uaiId(sub, name);
  return { identity: { type: 'UserAssigned', systemPrincipalId: null, userAssigned: new Map([[uai, oid]]) }, chosen: uai };
}

export function vaultFacts(sub: number, name: string, o: Partial<VaultFacts> = {}): VaultFacts {
  return {
    name,
    id: armId(sub, 'microsoft.keyvault/vaults', name),
    subscriptionId: subscriptionId(sub),
    location: 'eastus',
    uri: `https://${name}.vault.azure.net/`,
    managedHsm: false,
    softDelete: true,
    softDeleteRetentionDays: 90,
    purgeProtection: true,
    rbac: true,
    networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' },
    ...o,
  };
}

const keyUri = (vault: string, key: string, version: string | null = VERSION): string => `https://${vault}.vault.azure.net/keys/${key}${version ? `/${version}` : ''}`;

/** The world (what Azure holds, as facts) and the protectors discovery must make of it. */
export function buildWorld(spec: WorldSpec): { world: InventoryWorld; expected: ExpectedProtector[] } {
  const servers = new Map<number, SqlServerFacts[]>();
  const cosmos = new Map<number, CosmosAccountFacts[]>();
  const vaults = new Map<number, VaultFacts[]>();
  const keys: KeyFacts[] = [];
  const expected: ExpectedProtector[] = [];
  const push = <T>(m: Map<number, T[]>, sub: number, v: T): void => void m.set(sub, [...(m.get(sub) ?? []), v]);
  let oid = 1;

  spec.groups.forEach((g, gi) => {
    const members = Array.from({ length: g.size }, (_, i) => ({ i, sub: g.subs[i] ?? 0, name: `sql-g${gi}-m${i}` }));
    const ids = members.map((m) => armId(m.sub, 'microsoft.sql/servers', m.name));
    const primary = ids[g.primaryIndex] as string;
    // As Azure shows a geo-group: the primary's database replicated to each secondary (a replication link per partner,
    // named by the database), and in a failover group the group's links as well.
    const primaryName = members[g.primaryIndex]?.name as string;
    const database = `${primaryName}-db`;
    const out: Array<ExpectedProtector['members'][number]> = [];
    members.forEach((m, i) => {
      const id = ids[i] as string;
      const vault = `kv-g${gi}-m${i}`;
      const p = principal(oid++);
      const { identity, chosen } = identityOf(m.sub, m.name, g.userAssigned[i] ?? false, p);
      const partners = id === primary ? ids.filter((x) => x !== primary) : [primary];
      const role = id === primary ? 'primary' : 'secondary';
      const partnerRole = id === primary ? 'secondary' : 'primary';
      // A failover group lists every other member with its role (secondaries see each other as secondaries).
      const groupLinks = ids.filter((x) => x !== id).map((partner): GeoLink => ({ partner, role, partnerRole: partner === primary ? 'primary' : 'secondary', via: `failover-group:fg-${gi}` }));
      const links: GeoLink[] = [
        ...(g.failoverGroup ? groupLinks : []),
        ...partners.map((partner): GeoLink => ({ partner, role, partnerRole, via: `replication-link:${database}` })),
      ];
      push(servers, m.sub, {
        id,
        kind: 'server',
        name: m.name,
        subscriptionId: subscriptionId(m.sub),
        location: `region-${i}`,
        identity,
        primaryUserAssignedIdentityId: chosen,
        protector: { keyUri: keyUri(vault, 'tde'), autoRotation: false, serverKeyName: `${vault}_tde_${VERSION}` },
        geoLinks: g.size > 1 ? links : [],
        databases: { byTier: { GeneralPurpose: 1 }, withOwnCmk: [] },
      });
      push(vaults, m.sub, vaultFacts(m.sub, vault));
      keys.push({ vault, name: 'tde', expires: true, autoRotate: false });
      out.push({ role: id === primary ? 'primary' : 'secondary', resourceId: id, vault, principalId: p });
    });
    out.sort((a, b) => (a.role === b.role ? (a.resourceId < b.resourceId ? -1 : 1) : a.role === 'primary' ? -1 : 1));
    // Protector ids: the failover group's name, else the name of the group's smallest server resource id.
    const smallest = [...ids].sort()[0] as string;
    expected.push({ id: g.failoverGroup && g.size > 1 ? `fg-${gi}` : smallest.slice(smallest.lastIndexOf('/') + 1), kind: 'sql-tde', keyName: 'tde', members: out });
  });

  for (let pi = 0; pi < spec.instancePairs; pi++) {
    const sub = pi % spec.subscriptions;
    const ids = [0, 1].map((i) => armId(sub, 'microsoft.sql/managedinstances', `mi-p${pi}-${i}`));
    const out: Array<ExpectedProtector['members'][number]> = [];
    ids.forEach((id, i) => {
      const vault = `kv-mi-p${pi}-${i}`;
      const p = principal(oid++);
      const role = i === 0 ? 'primary' : 'secondary';
      push(servers, sub, {
        id,
        kind: 'managed-instance',
        name: `mi-p${pi}-${i}`,
        subscriptionId: subscriptionId(sub),
        location: i === 0 ? 'westeurope' : 'northeurope',
        identity: { type: 'SystemAssigned', systemPrincipalId: p, userAssigned: new Map() },
        primaryUserAssignedIdentityId: null,
        protector: { keyUri: keyUri(vault, 'mi-tde'), autoRotation: true, serverKeyName: `${vault}_mi-tde_${VERSION}` },
        geoLinks: [{ partner: ids[1 - i] as string, role, partnerRole: i === 0 ? 'secondary' : 'primary', via: `failover-group:mifg-${pi}` }],
        databases: { byTier: { GeneralPurpose: 3 }, withOwnCmk: [] },
      });
      push(vaults, sub, vaultFacts(sub, vault));
      keys.push({ vault, name: 'mi-tde', expires: true, autoRotate: true });
      out.push({ role, resourceId: id, vault, principalId: p });
    });
    expected.push({ id: `mifg-${pi}`, kind: 'sql-tde', keyName: 'mi-tde', members: out });
  }

  spec.cosmos.forEach((c, ci) => {
    const sub = ci % spec.subscriptions;
    const name = `cosmos-${ci}`;
    const id = armId(sub, 'microsoft.documentdb/databaseaccounts', name);
    const p = principal(oid++);
    const { identity, chosen } = identityOf(sub, name, c.userAssigned, p);
    const ceks = Array.from({ length: c.aeDatabases }, (_, d) => ({ database: `db-${d}`, id: `cek-${d}`, keyUri: keyUri(`kv-ae${ci}`, 'ae-cmk') }));
    push(cosmos, sub, {
      id,
      name,
      subscriptionId: subscriptionId(sub),
      location: 'eastus',
      identity,
      keyVaultKeyUri: c.cmk ? keyUri(`kv-c${ci}`, 'cosmos-cmk', null) : null,
      defaultIdentity: chosen ? `UserAssignedIdentity=${chosen}` : 'SystemAssignedIdentity',
      documentEndpoint: `https://${name}.documents.azure.com:443/`,
      clientEncryptionKeys: ceks,
    });
    if (c.cmk) {
      push(vaults, sub, vaultFacts(sub, `kv-c${ci}`));
      keys.push({ vault: `kv-c${ci}`, name: 'cosmos-cmk', expires: false, autoRotate: false });
      expected.push({ id: name, kind: 'cosmos-cmk', keyName: 'cosmos-cmk', members: [{ role: 'primary', resourceId: id, vault: `kv-c${ci}`, principalId: p }] });
    }
    if (c.aeDatabases > 0) {
      push(vaults, sub, vaultFacts(sub, `kv-ae${ci}`));
      keys.push({ vault: `kv-ae${ci}`, name: 'ae-cmk', expires: true, autoRotate: false });
      expected.push({ id: `${name}-ae`, kind: 'cosmos-always-encrypted', keyName: 'ae-cmk', members: [{ role: 'primary', resourceId: id, vault: `kv-ae${ci}`, principalId: null }] });
    }
  });

  const world: InventoryWorld = {
    subscriptions: Array.from({ length: spec.subscriptions }, (_, s) => ({
      id: subscriptionId(s),
      sqlServers: servers.get(s) ?? [],
      cosmosAccounts: cosmos.get(s) ?? [],
      vaults: vaults.get(s) ?? [],
    })),
    keys,
  };
  return { world, expected: expected.sort((a, b) => (a.id < b.id ? -1 : 1)) };
}

/** The fields of discovered protectors a test compares with the expected ones. */
export function topologyOf(protectors: ReadonlyArray<{ id: string; kind: string; keyName: string; members: ReadonlyArray<{ role: string; resourceId: string; vault: string; principalId?: string | null }> }>): ExpectedProtector[] {
  return protectors.map((p) => ({
    id: p.id,
    kind: p.kind,
    keyName: p.keyName,
    members: p.members.map((m) => ({ role: m.role, resourceId: m.resourceId, vault: m.vault, principalId: m.principalId ?? null })),
  }));
}

/** The facts a complete read of the world gives (what discover() returns when nothing is refused). */
export function factsOf(world: InventoryWorld): DiscoveryFacts {
  const byId = <T extends { id: string }>(xs: readonly T[]): T[] => [...xs].sort((a, b) => (a.id < b.id ? -1 : 1));
  return {
    subscriptions: world.subscriptions.map((s) => s.id),
    sqlServers: byId(world.subscriptions.flatMap((s) => s.sqlServers)),
    cosmosAccounts: byId(world.subscriptions.flatMap((s) => s.cosmosAccounts)),
    vaults: world.subscriptions.flatMap((s) => s.vaults).sort((a, b) => (a.name < b.name ? -1 : 1)),
    keys: [...world.keys].sort((a, b) => (`${a.vault}/${a.name}` < `${b.vault}/${b.name}` ? -1 : 1)),
    gaps: [],
  };
}
