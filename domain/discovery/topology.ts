// From discovery facts to protectors (gather → decide: this is the decide). One protector per geo-group of CMK
// servers — servers joined by replication links or failover groups — with its primary and secondaries; one per Cosmos
// DB account with a CMK; one per Always Encrypted wrapping key of an account. What cannot be made a valid protector
// (chained geo-replication, more than four secondaries, a partner keysteward cannot read) is still listed, with a
// finding naming the source, never dropped.
// Invariants: the result depends only on the facts (not their order); protector ids are stable across failovers (a
// failover group's name, else the group's smallest server name), so a failover changes roles, never ids.
import type { MemberRole, ProtectorKind } from '../estate/model.js';
import { parseKeyUri } from '../keyRef.js';
import type { CosmosAccountFacts, DiscoveryFacts, GeoRole, IdentityFacts, SqlServerFacts, VaultFacts } from './facts.js';

export interface DiscoveredMember {
  readonly role: MemberRole;
  readonly resourceId: string;
  readonly vault: string;
  readonly principalId: string | null;
  /** Where the member's key and identity were read, e.g. `Microsoft.Sql/servers/sql-a encryptionProtector`. */
  readonly source: string;
}

export interface DiscoveredProtector {
  readonly id: string;
  readonly kind: ProtectorKind;
  readonly keyName: string;
  /** Primary first, then secondaries by resource id. */
  readonly members: readonly DiscoveredMember[];
  readonly source: string;
  /** The protector is a versioned key URI (not versionless) — matters with auto-rotation on. */
  readonly keyVersioned: boolean;
  readonly autoRotation: boolean | null;
  readonly alwaysEncrypted: { readonly endpoint: string; readonly databases: readonly string[] } | null;
  /**
   * The members' roles are read, not guessed: every server of the group and its links were read, and they agree on
   * one primary. When false the roles shown are discovery's best guess, and nothing acts on them.
   */
  readonly rolesCertain: boolean;
}

export type DiscoveryFindingCode =
  | 'geo_replication_chained'
  | 'geo_too_many_secondaries'
  | 'geo_roles_ambiguous'
  | 'geo_partner_not_discovered'
  | 'geo_partner_without_cmk'
  | 'geo_key_name_mismatch'
  | 'database_level_cmk'
  | 'identity_not_resolved'
  | 'vault_not_discovered'
  | 'vault_failover_storm_risk'
  | 'vault_purge_protection_disabled'
  | 'key_without_expiry'
  | 'versioned_key_with_autorotation';

export interface DiscoveryFinding {
  readonly code: DiscoveryFindingCode;
  /** The protector the finding is about (its discovered id), or null for a resource outside any protector. */
  readonly protector: string | null;
  /** The ARM resource (or vault) the fact was read from. */
  readonly resource: string;
  readonly vault: string | null;
  /** The ARM or Key Vault read the finding rests on, e.g. `Microsoft.Sql/servers/replicationLinks`. */
  readonly source: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface DiscoveredEstate {
  readonly protectors: readonly DiscoveredProtector[];
  readonly vaults: readonly VaultFacts[];
  /** Vaults a protector names that discovery could not read (another tenant, no Reader): name and URI only. */
  readonly unreadVaults: readonly string[];
  readonly findings: readonly DiscoveryFinding[];
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The resource's own short name (last segment of its id). */
const nameOf = (id: string): string => id.slice(id.lastIndexOf('/') + 1);

/**
 * The object id a member reads its key with: SQL's primary user-assigned identity when set, else its system-assigned
 * identity; Cosmos DB's `defaultIdentity`. Null when it cannot be known from ARM (Cosmos's first-party identity, a
 * cross-tenant federated identity, an identity whose principal ARM did not return).
 */
export function keyPrincipal(identity: IdentityFacts, chosen: string | null): { readonly principalId: string | null; readonly why: string | null } {
  if (chosen === null || chosen === 'systemassignedidentity') {
    return identity.systemPrincipalId ? { principalId: identity.systemPrincipalId, why: null } : { principalId: null, why: 'no system-assigned identity principal' };
  }
  if (chosen === 'firstpartyidentity') return { principalId: null, why: 'Cosmos DB first-party identity (not the tenant’s)' };
  if (chosen.startsWith('federatedidentity=')) return { principalId: null, why: 'cross-tenant federated identity: the principal lives in the key vault’s tenant' };
  const uai = chosen.startsWith('userassignedidentity=') ? chosen.slice('userassignedidentity='.length) : chosen;
  const principal = identity.userAssigned.get(uai) ?? null;
  return principal ? { principalId: principal, why: null } : { principalId: null, why: `user-assigned identity ${uai} not returned by ARM` };
}

class UnionFind {
  private readonly parent = new Map<string, string>();
  find(x: string): string {
    let root = x;
    while (this.parent.get(root) !== undefined && this.parent.get(root) !== root) root = this.parent.get(root) as string;
    this.parent.set(x, root);
    return root;
  }
  union(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    // The smaller id is the root: groups come out the same whatever order the links arrive in.
    if (ra === rb) return;
    if (ra < rb) this.parent.set(rb, ra);
    else this.parent.set(ra, rb);
  }
}

interface GroupOut {
  readonly protector: DiscoveredProtector;
  readonly findings: DiscoveryFinding[];
}

const SQL_SOURCE = 'Microsoft.Sql/servers';

/** A role a server is said to have, by itself (its own link's `role`) or by a partner (that link's `partnerRole`). */
interface RoleVote {
  readonly role: GeoRole;
  readonly failoverGroup: boolean;
}

/**
 * Each server's role in its group from both ends of every link: what the server's own links say and what its partners'
 * links say of it — so a server whose own link reads failed still has its role from its partner. Failover groups
 * decide when there are any (a group fails over as one); replication links otherwise.
 */
function rolesOf(servers: readonly SqlServerFacts[], inGroup: ReadonlySet<string>): Map<string, { role: GeoRole | null; mixed: boolean }> {
  const votes = new Map<string, RoleVote[]>(servers.map((s) => [s.id, []]));
  for (const s of servers) {
    for (const l of s.geoLinks) {
      if (!inGroup.has(l.partner)) continue;
      const failoverGroup = l.via.startsWith('failover-group:');
      votes.get(s.id)?.push({ role: l.role, failoverGroup });
      votes.get(l.partner)?.push({ role: l.partnerRole, failoverGroup });
    }
  }
  const out = new Map<string, { role: GeoRole | null; mixed: boolean }>();
  for (const [id, all] of votes) {
    const fg = all.filter((v) => v.failoverGroup);
    const considered = fg.length > 0 ? fg : all;
    const primary = considered.filter((v) => v.role === 'primary').length;
    const secondary = considered.length - primary;
    if (considered.length === 0) out.set(id, { role: null, mixed: false });
    else if (primary > 0 && secondary > 0) out.set(id, { role: primary >= secondary ? 'primary' : 'secondary', mixed: true });
    else out.set(id, { role: primary > 0 ? 'primary' : 'secondary', mixed: false });
  }
  return out;
}

function sqlGroup(servers: readonly SqlServerFacts[], all: ReadonlyMap<string, SqlServerFacts>, gaps: DiscoveryFacts['gaps']): GroupOut {
  const ids = new Set(servers.map((s) => s.id));
  const findings: DiscoveryFinding[] = [];
  const roles = rolesOf(servers, ids);
  const claimed = servers.filter((s) => roles.get(s.id)?.role === 'primary').map((s) => s.id).sort(byString);
  // Every failover group a member belongs to names the protector, even one whose partner could not be read this
  // time: the id must not change with what a read happened to reach.
  const failoverGroups = [...new Set(servers.flatMap((s) => s.geoLinks.filter((l) => l.via.startsWith('failover-group:')).map((l) => l.via.slice('failover-group:'.length))))].sort(byString);
  const id = failoverGroups[0] ?? nameOf([...ids].sort(byString)[0] as string);
  const primaryId = claimed.length === 1 ? (claimed[0] as string) : (claimed[0] ?? [...ids].sort(byString)[0]) as string;
  const primary = all.get(primaryId) as SqlServerFacts;
  const finding = (code: DiscoveryFindingCode, resource: string, source: string, detail: Record<string, unknown>, vault: string | null = null): void => {
    findings.push({ code, protector: id, resource, vault, source, detail });
  };

  if (servers.length > 1 && claimed.length !== 1) {
    finding('geo_roles_ambiguous', primaryId, `${SQL_SOURCE}/replicationLinks`, { primaries: claimed, chosen: primaryId });
  }
  for (const s of servers) {
    const r = roles.get(s.id);
    // Chained: secondary of one partner and primary of another (Azure SQL allows no chaining).
    const upstream = s.geoLinks.filter((l) => ids.has(l.partner) && l.role === 'secondary').map((l) => l.partner);
    const downstream = s.geoLinks.filter((l) => ids.has(l.partner) && l.role === 'primary').map((l) => l.partner);
    if (upstream.some((p) => downstream.some((d) => d !== p))) {
      finding('geo_replication_chained', s.id, `${SQL_SOURCE}/replicationLinks`, { secondaryOf: [...new Set(upstream)].sort(byString), primaryOf: [...new Set(downstream)].sort(byString) });
    } else if (r?.mixed) {
      finding('geo_roles_ambiguous', s.id, `${SQL_SOURCE}/replicationLinks`, { mixedRoles: true, chosen: r.role });
    }
    for (const l of s.geoLinks) {
      const partner = all.get(l.partner);
      if (!partner) finding('geo_partner_not_discovered', s.id, `${SQL_SOURCE}/${l.via.startsWith('failover-group:') ? 'failoverGroups' : 'replicationLinks'}`, { partner: l.partner });
      else if (!partner.protector) finding('geo_partner_without_cmk', s.id, `${SQL_SOURCE}/encryptionProtector`, { partner: l.partner });
    }
    if (s.databases.withOwnCmk.length > 0) finding('database_level_cmk', s.id, `${SQL_SOURCE}/databases`, { databases: [...s.databases.withOwnCmk].sort(byString) });
  }
  const secondaries = servers.length - 1;
  if (secondaries > 4) finding('geo_too_many_secondaries', primaryId, `${SQL_SOURCE}/replicationLinks`, { secondaries, allowed: 4 });

  // The roles are certain only when every part of the group was read and its links agree on one primary: a partner
  // not discovered, a link read that failed, mixed or chained roles leave a guess, and a guess must never move which
  // server keysteward treats as primary (the overlay keeps its last certain roles; --merge keeps the file's).
  const readFailed = gaps.some((g) => [...ids].some((sid) => g.scope.toLowerCase().startsWith(`${sid}/`)));
  const uncertain = new Set(['geo_roles_ambiguous', 'geo_replication_chained', 'geo_partner_not_discovered']);
  const rolesCertain = !readFailed && !findings.some((f) => uncertain.has(f.code)) && (servers.length === 1 || claimed.length === 1);

  const primaryKey = parseKeyUri(primary.protector?.keyUri ?? '');
  const keyName = primaryKey?.key ?? '';
  const members: DiscoveredMember[] = servers.map((s) => {
    const key = parseKeyUri(s.protector?.keyUri ?? '');
    if (key && key.key !== keyName) finding('geo_key_name_mismatch', s.id, `${SQL_SOURCE}/encryptionProtector`, { key: key.key, primaryKey: keyName }, key.vault);
    const principal = keyPrincipal(s.identity, s.primaryUserAssignedIdentityId);
    if (principal.why) finding('identity_not_resolved', s.id, SQL_SOURCE, { reason: principal.why });
    return {
      role: s.id === primaryId ? 'primary' : 'secondary',
      resourceId: s.id,
      vault: key?.vault ?? '',
      principalId: principal.principalId,
      source: `${s.kind === 'managed-instance' ? 'Microsoft.Sql/managedInstances' : SQL_SOURCE}/${s.name} encryptionProtector (subscription ${s.subscriptionId})`,
    };
  });
  members.sort((a, b) => (a.role === b.role ? byString(a.resourceId, b.resourceId) : a.role === 'primary' ? -1 : 1));
  return {
    protector: {
      id,
      kind: 'sql-tde',
      keyName,
      members,
      source: failoverGroups.length > 0 ? `failover group ${failoverGroups.join(', ')}` : servers.length > 1 ? 'replication links' : 'standalone server',
      keyVersioned: primaryKey?.version !== null && primaryKey !== null,
      autoRotation: primary.protector?.autoRotation ?? null,
      alwaysEncrypted: null,
      rolesCertain,
    },
    findings,
  };
}

function cosmosProtectors(a: CosmosAccountFacts): GroupOut[] {
  const out: GroupOut[] = [];
  const source = `Microsoft.DocumentDB/databaseAccounts/${a.name} (subscription ${a.subscriptionId})`;
  const key = a.keyVaultKeyUri ? parseKeyUri(a.keyVaultKeyUri) : null;
  if (key) {
    const findings: DiscoveryFinding[] = [];
    const principal = keyPrincipal(a.identity, a.defaultIdentity?.toLowerCase() ?? 'firstpartyidentity');
    if (principal.why) findings.push({ code: 'identity_not_resolved', protector: a.name, resource: a.id, vault: key.vault, source: 'Microsoft.DocumentDB/databaseAccounts', detail: { reason: principal.why } });
    out.push({
      protector: {
        id: a.name,
        kind: 'cosmos-cmk',
        keyName: key.key,
        members: [{ role: 'primary', resourceId: a.id, vault: key.vault, principalId: principal.principalId, source: `${source} keyVaultKeyUri` }],
        source,
        keyVersioned: key.version !== null,
        autoRotation: null,
        alwaysEncrypted: null,
        rolesCertain: true,
      },
      findings,
    });
  }
  // Always Encrypted: one protector per wrapping key (vault/key) of the account's client encryption keys.
  const byKey = new Map<string, { vault: string; key: string; databases: Set<string> }>();
  for (const cek of a.clientEncryptionKeys ?? []) {
    const ref = parseKeyUri(cek.keyUri);
    if (!ref) continue;
    const k = `${ref.vault}/${ref.key}`;
    const entry = byKey.get(k) ?? { vault: ref.vault, key: ref.key, databases: new Set<string>() };
    entry.databases.add(cek.database);
    byKey.set(k, entry);
  }
  const keys = [...byKey.keys()].sort(byString);
  for (const k of keys) {
    const entry = byKey.get(k) as { vault: string; key: string; databases: Set<string> };
    out.push({
      protector: {
        id: keys.length === 1 ? `${a.name}-ae` : `${a.name}-ae-${entry.key}`,
        kind: 'cosmos-always-encrypted',
        keyName: entry.key,
        // The identity that unwraps client encryption keys is the application's, which ARM does not know.
        members: [{ role: 'primary', resourceId: a.id, vault: entry.vault, principalId: null, source: `${source} clientEncryptionKeys` }],
        source,
        keyVersioned: true,
        autoRotation: null,
        alwaysEncrypted: { endpoint: a.documentEndpoint ?? `https://${a.name}.documents.azure.com:443/`, databases: [...entry.databases].sort(byString) },
        rolesCertain: true,
      },
      findings: [],
    });
  }
  return out;
}

/** Protector ids must be unique: a later kind's clash gets its kind as a suffix. */
function uniqueIds(groups: GroupOut[]): GroupOut[] {
  const seen = new Set<string>();
  return groups.map((g) => {
    let id = g.protector.id.slice(0, 63);
    if (seen.has(id)) id = `${id.slice(0, 63 - g.protector.kind.length - 1)}-${g.protector.kind}`;
    for (let n = 2; seen.has(id); n++) id = `${g.protector.id.slice(0, 58)}-${n}`;
    seen.add(id);
    if (id === g.protector.id) return g;
    const was = g.protector.id;
    return { protector: { ...g.protector, id }, findings: g.findings.map((f) => (f.protector === was ? { ...f, protector: id } : f)) };
  });
}

/** The protectors, vaults and findings the facts describe. */
export function buildDiscoveredEstate(facts: DiscoveryFacts): Omit<DiscoveredEstate, 'findings'> & { readonly findings: DiscoveryFinding[] } {
  const all = new Map(facts.sqlServers.map((s) => [s.id, s]));
  const cmk = facts.sqlServers.filter((s) => s.protector !== null);
  const uf = new UnionFind();
  for (const s of cmk) {
    uf.find(s.id);
    for (const l of s.geoLinks) if (all.get(l.partner)?.protector) uf.union(s.id, l.partner);
  }
  const groups = new Map<string, SqlServerFacts[]>();
  for (const s of cmk) {
    const root = uf.find(s.id);
    const list = groups.get(root) ?? [];
    list.push(s);
    groups.set(root, list);
  }
  const built: GroupOut[] = [];
  for (const root of [...groups.keys()].sort(byString)) built.push(sqlGroup((groups.get(root) as SqlServerFacts[]).sort((a, b) => byString(a.id, b.id)), all, facts.gaps));
  for (const a of [...facts.cosmosAccounts].sort((x, y) => byString(x.id, y.id))) built.push(...cosmosProtectors(a));
  const unique = uniqueIds(built);
  const protectors = unique.map((g) => g.protector).sort((a, b) => byString(a.id, b.id));
  const named = new Set(protectors.flatMap((p) => p.members.map((m) => m.vault)).filter((v) => v !== ''));
  const vaults = facts.vaults.filter((v) => named.has(v.name)).sort((a, b) => byString(a.name, b.name));
  const read = new Set(vaults.map((v) => v.name));
  const unreadVaults = [...named].filter((v) => !read.has(v)).sort(byString);
  const findings = unique.flatMap((g) => g.findings);
  // Database-level CMK on a server whose own protector is service-managed: no protector, but listed, not dropped.
  for (const s of facts.sqlServers) {
    if (s.protector === null && s.databases.withOwnCmk.length > 0) {
      findings.push({ code: 'database_level_cmk', protector: null, resource: s.id, vault: null, source: `${SQL_SOURCE}/databases`, detail: { databases: [...s.databases.withOwnCmk].sort(byString) } });
    }
  }
  for (const v of unreadVaults) {
    const users = protectors.filter((p) => p.members.some((m) => m.vault === v)).map((p) => p.id);
    findings.push({ code: 'vault_not_discovered', protector: users[0] ?? null, resource: v, vault: v, source: 'Microsoft.KeyVault/vaults', detail: { protectors: users } });
  }
  return { protectors, vaults, unreadVaults, findings };
}
