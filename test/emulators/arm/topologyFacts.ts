// The discovery facts a generated topology's ARM configuration states, read straight from the configuration (no SDK,
// no adapter): what a correct gather must produce from the emulator. Fed to the domain's decide step, they must give
// exactly the generator's expected protectors — which checks that the generator's truth follows the domain's rules
// (protector ids, roles, key principals) without the generator using that code.
import type { CosmosAccountFacts, DiscoveryFacts, GeoLink, IdentityFacts, SqlServerFacts, VaultFacts } from '../../../domain/discovery/facts.js';
import type { EmulatedFailoverGroup, EmulatedManagedInstance, EmulatedSqlServer } from '../../../emulators/armsql/index.js';
import type { EmulatedArmVault, EmulatedCosmosAccount } from '../../../emulators/arm/index.js';
import type { GeneratedTopology } from '../../../emulators/arm/topology/index.js';

const lower = (s: string): string => s.toLowerCase();
const nameOf = (id: string): string => id.slice(id.lastIndexOf('/') + 1);
const subOf = (id: string): string => lower(id.split('/')[2] ?? '');

function identity(c: { principalId?: string; userAssignedIdentities?: Readonly<Record<string, string>> }): IdentityFacts {
  const user = Object.entries(c.userAssignedIdentities ?? {});
  const type = c.principalId && user.length > 0 ? 'SystemAssigned,UserAssigned' : c.principalId ? 'SystemAssigned' : user.length > 0 ? 'UserAssigned' : null;
  return { type, systemPrincipalId: c.principalId ?? null, userAssigned: new Map(user.map(([id, p]) => [lower(id), p])) };
}

function geoLinks(s: EmulatedSqlServer, byId: ReadonlyMap<string, EmulatedSqlServer>, groups: readonly EmulatedFailoverGroup[]): GeoLink[] {
  const partners = s.role === 'Primary' ? (s.partners ?? []) : [...byId.values()].filter((p) => p.partners?.some((x) => lower(x) === lower(s.resourceId))).map((p) => p.resourceId);
  return partners.map((partner) => {
    const fg = groups.find((g) => [s.resourceId, partner].every((id) => g.servers.some((x) => lower(x) === lower(id))));
    const primaryIsMe = s.role === 'Primary';
    const db = (primaryIsMe ? s : byId.get(lower(partner)))?.databases?.find((d) => d.geo !== false)?.name ?? 'db';
    return { partner: lower(partner), role: primaryIsMe ? 'primary' : 'secondary', partnerRole: primaryIsMe ? 'secondary' : 'primary', via: fg ? `failover-group:${lower(fg.name)}` : `replication-link:${lower(db)}` };
  });
}

function sqlFacts(s: EmulatedSqlServer | EmulatedManagedInstance, kind: SqlServerFacts['kind'], links: GeoLink[]): SqlServerFacts {
  const tiers: Record<string, number> = {};
  const dbs = 'databases' in s ? (s.databases ?? []) : [];
  for (const d of dbs) tiers[d.tier ?? 'GeneralPurpose'] = (tiers[d.tier ?? 'GeneralPurpose'] ?? 0) + 1;
  const key = s.protector ? /\/\/([^.]+)\.[^/]+\/keys\/([^/]+)\/([^/]+)$/.exec(s.protector) : null;
  return {
    id: lower(s.resourceId),
    kind,
    name: lower(nameOf(s.resourceId)),
    subscriptionId: subOf(s.resourceId),
    location: s.location ?? null,
    identity: identity(s),
    primaryUserAssignedIdentityId: s.primaryUserAssignedIdentityId ? lower(s.primaryUserAssignedIdentityId) : null,
    protector: s.protector && key ? { keyUri: s.protector, autoRotation: s.autoRotation ?? false, serverKeyName: `${key[1]}_${key[2]}_${key[3]}` } : null,
    geoLinks: links,
    databases: { byTier: tiers, withOwnCmk: dbs.filter((d) => d.encryptionProtector).map((d) => lower(d.name)) },
  };
}

function cosmosFacts(a: EmulatedCosmosAccount): CosmosAccountFacts {
  const name = nameOf(a.resourceId);
  return {
    id: lower(a.resourceId),
    name: lower(name),
    subscriptionId: subOf(a.resourceId),
    location: a.location ?? null,
    identity: identity(a),
    keyVaultKeyUri: a.keyVaultKeyUri ?? null,
    defaultIdentity: a.defaultIdentity ?? 'FirstPartyIdentity',
    documentEndpoint: a.documentEndpoint ?? `https://${name}.documents.azure.com:443/`,
    clientEncryptionKeys: (a.databases ?? []).flatMap((d) => (d.clientEncryptionKeys ?? []).map((k) => ({ database: lower(d.name), id: lower(k.id), keyUri: k.keyWrapUri }))),
  };
}

function vaultFacts(v: EmulatedArmVault): VaultFacts {
  const name = lower(nameOf(v.resourceId));
  return {
    name,
    id: lower(v.resourceId),
    subscriptionId: subOf(v.resourceId),
    location: v.location ?? null,
    uri: v.vaultUri ?? `https://${name}.vault.azure.net/`,
    managedHsm: false,
    softDelete: v.softDelete ?? true,
    softDeleteRetentionDays: v.softDeleteRetentionDays ?? 90,
    purgeProtection: v.purgeProtection ?? false,
    rbac: v.rbac ?? true,
    networkAcls: v.networkAcls ?? { defaultAction: 'Allow', bypass: 'AzureServices' },
  };
}

export function factsOf(t: GeneratedTopology): DiscoveryFacts {
  const servers = t.arm.servers ?? [];
  const byId = new Map(servers.map((s) => [lower(s.resourceId), s]));
  const groups = t.arm.failoverGroups ?? [];
  return {
    subscriptions: (t.arm.subscriptions ?? []).map((s) => lower(s.subscriptionId)),
    sqlServers: [...servers.map((s) => sqlFacts(s, 'server', geoLinks(s, byId, groups))), ...(t.arm.managedInstances ?? []).map((m) => sqlFacts(m, 'managed-instance', []))],
    cosmosAccounts: (t.arm.cosmosAccounts ?? []).map(cosmosFacts),
    vaults: (t.arm.vaults ?? []).map(vaultFacts),
    keys: [],
    gaps: [],
  };
}
