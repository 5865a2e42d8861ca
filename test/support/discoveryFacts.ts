// Discovery facts as Azure would report an estate: each sql-tde protector a failover group (`fg-<id>`) of its member
// servers, each server's protector a key version in its member's vault and its system-assigned identity the member's
// principal id; each cosmos-cmk protector an account with a versionless key. `primary` moves a group's primary (a
// failover), `principal` changes a server's identity, `extra` adds servers the estate does not list.
import type { DiscoveryFacts, GeoLink, SqlServerFacts, VaultFacts } from '../../domain/discovery/facts.js';
import type { Estate } from '../../domain/estate/model.js';

export interface FactsOptions {
  /** Protector id → the member resource id that is primary in Azure now. */
  readonly primary?: Readonly<Record<string, string>>;
  /** Server resource id → its identity's principal id in Azure now. */
  readonly principal?: Readonly<Record<string, string>>;
  readonly extra?: readonly SqlServerFacts[];
  /** Only these subscriptions' resources (as a targeted read returns them). */
  readonly subscriptions?: readonly string[];
  readonly gaps?: DiscoveryFacts['gaps'];
}

export const subscriptionOf = (resourceId: string): string => resourceId.split('/')[2] ?? '';
const nameOf = (id: string): string => id.slice(id.lastIndexOf('/') + 1);
const VERSION = 'a'.repeat(32);

export function sqlServerFacts(o: { id: string; vault: string; key: string; principalId: string | null; links?: GeoLink[] }): SqlServerFacts {
  return {
    id: o.id,
    kind: 'server',
    name: nameOf(o.id),
    subscriptionId: subscriptionOf(o.id),
    location: 'eastus',
    identity: { type: 'SystemAssigned', systemPrincipalId: o.principalId, userAssigned: new Map() },
    primaryUserAssignedIdentityId: null,
    protector: { keyUri: `https://${o.vault}.vault.azure.net/keys/${o.key}/${VERSION}`, autoRotation: false, serverKeyName: `${o.vault}_${o.key}_${VERSION}` },
    geoLinks: o.links ?? [],
    databases: { byTier: { GeneralPurpose: 2 }, withOwnCmk: [] },
  };
}

export function factsOf(estate: Estate, opts: FactsOptions = {}): DiscoveryFacts {
  const sqlServers: SqlServerFacts[] = [];
  const cosmosAccounts: DiscoveryFacts['cosmosAccounts'][number][] = [];
  for (const p of estate.protectors) {
    if (p.kind === 'sql-tde') {
      const primary = opts.primary?.[p.id] ?? p.members.find((m) => m.role === 'primary')?.resourceId ?? '';
      for (const m of p.members) {
        const isPrimary = m.resourceId === primary;
        const links: GeoLink[] = p.members
          .filter((x) => x !== m && (isPrimary || x.resourceId === primary))
          .map((x) => ({ partner: x.resourceId, role: isPrimary ? 'primary' : 'secondary', partnerRole: isPrimary ? 'secondary' : 'primary', via: `failover-group:fg-${p.id}` }));
        sqlServers.push(sqlServerFacts({ id: m.resourceId, vault: m.vault, key: p.keyName, principalId: opts.principal?.[m.resourceId] ?? m.principalId, links }));
      }
    } else if (p.kind === 'cosmos-cmk') {
      for (const m of p.members) {
        cosmosAccounts.push({
          id: m.resourceId,
          name: nameOf(m.resourceId),
          subscriptionId: subscriptionOf(m.resourceId),
          location: 'eastus',
          identity: { type: 'SystemAssigned', systemPrincipalId: m.principalId, userAssigned: new Map() },
          keyVaultKeyUri: `https://${m.vault}.vault.azure.net/keys/${p.keyName}`,
          defaultIdentity: 'SystemAssignedIdentity',
          documentEndpoint: `https://${nameOf(m.resourceId)}.documents.azure.com:443/`,
          clientEncryptionKeys: [],
        });
      }
    }
  }
  sqlServers.push(...(opts.extra ?? []));
  const vaults: VaultFacts[] = [...estate.vaults.values()].map((v) => {
    const id = v.resourceId ?? `/subscriptions/${subscriptionOf(estate.protectors[0]?.members[0]?.resourceId ?? '')}/resourcegroups/rg/providers/microsoft.keyvault/vaults/${v.name}`;
    return { name: v.name, id, subscriptionId: subscriptionOf(id), location: v.region, uri: v.uri, managedHsm: false, softDelete: true, softDeleteRetentionDays: 90, purgeProtection: true, rbac: true, networkAcls: null };
  });
  const inScope = (sub: string): boolean => opts.subscriptions === undefined || opts.subscriptions.includes(sub);
  const all = [...sqlServers.map((s) => s.subscriptionId), ...cosmosAccounts.map((a) => a.subscriptionId), ...vaults.map((v) => v.subscriptionId)];
  const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  const keptVaults = vaults.filter((v) => inScope(v.subscriptionId));
  return {
    subscriptions: [...new Set(opts.subscriptions ?? all)].sort(byString),
    sqlServers: sqlServers.filter((s) => inScope(s.subscriptionId)).sort((a, b) => byString(a.id, b.id)),
    cosmosAccounts: cosmosAccounts.filter((a) => inScope(a.subscriptionId)).sort((a, b) => byString(a.id, b.id)),
    vaults: keptVaults.sort((a, b) => byString(a.name, b.name)),
    keys: estate.protectors
      .flatMap((p) => [...new Set(p.members.map((m) => m.vault))].map((vault) => ({ vault, name: p.keyName, expires: true, autoRotate: false })))
      .filter((k) => keptVaults.some((v) => v.name === k.vault))
      .sort((a, b) => byString(`${a.vault}/${a.name}`, `${b.vault}/${b.name}`)),
    gaps: [...(opts.gaps ?? [])],
  };
}
