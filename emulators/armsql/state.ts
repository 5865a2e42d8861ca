// In-memory state of the emulated SQL servers and managed instances: identity, server keys, the encryption protector,
// databases, and geo-replication (partners and roles). Every server starts with the `ServiceManaged` key and
// protector, as a new Azure SQL server does. Geo-replication is a star: one primary linked to each secondary (Azure
// allows no chaining); the primary's geo-replicated databases exist on every partner, which is what the replication
// links list.
import { managedIdentityOf, type ManagedIdentity } from '../arm/identity.js';
import { parseServerKeyUri, sameName } from './keyUri.js';
import type { EmulatedManagedInstance, EmulatedSqlDatabase, EmulatedSqlServer, GeoRole, SqlIdentityConfig } from './types.js';

export const SERVICE_MANAGED = 'ServiceManaged';

export interface ServerKeyRecord {
  /** As first written (ARM keeps the caller's casing). */
  readonly name: string;
  readonly type: 'AzureKeyVault' | 'ServiceManaged';
  readonly uri: string | null;
  readonly thumbprint: string | null;
  readonly creationDate: string;
}

export interface ProtectorRecord {
  readonly serverKeyName: string;
  readonly autoRotationEnabled: boolean;
}

export interface SqlIdentity extends ManagedIdentity {
  readonly primaryUserAssignedIdentityId: string | null;
}

export interface DatabaseRecord {
  readonly name: string;
  readonly tier: string;
  readonly skuName: string;
  readonly capacity: number;
  /** Replicated to the server's geo partners (each partner holds a replica of the same name). */
  geo: boolean;
  /** Database-level CMK: the Key Vault key URI of the database's own protector. */
  readonly encryptionProtector: string | null;
}

export type SqlResourceKind = 'servers' | 'managedInstances';

export interface ServerRecord {
  readonly kind: SqlResourceKind;
  readonly resourceId: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
  readonly location: string;
  identity: SqlIdentity;
  role: GeoRole;
  /** Lower-cased resource ids of the geo partners. */
  readonly partners: Set<string>;
  /** Lower-cased key name → record. */
  readonly keys: Map<string, ServerKeyRecord>;
  protector: ProtectorRecord;
  /** Lower-cased name → database. */
  readonly databases: Map<string, DatabaseRecord>;
}

const RESOURCE_ID = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Sql\/(servers|managedInstances)\/([^/]+)$/i;

export function parseServerId(id: string): { subscriptionId: string; resourceGroup: string; kind: SqlResourceKind; name: string } | null {
  const m = RESOURCE_ID.exec(id);
  if (!m?.[1] || !m[2] || !m[3] || !m[4]) return null;
  return { subscriptionId: m[1], resourceGroup: m[2], kind: m[3].toLowerCase() === 'servers' ? 'servers' : 'managedInstances', name: m[4] };
}

export function identityOf(c: SqlIdentityConfig): SqlIdentity {
  const identity = managedIdentityOf(c);
  const primary = c.primaryUserAssignedIdentityId ?? null;
  if (primary && !identity.userAssigned.has(primary.toLowerCase())) throw new Error(`primaryUserAssignedIdentityId ${primary} is not among the user-assigned identities`);
  return { ...identity, primaryUserAssignedIdentityId: primary };
}

/** The object id SQL reads its key with: the primary user-assigned identity when set, else the system-assigned one. */
export function keyPrincipalOf(s: ServerRecord): string | null {
  const primary = s.identity.primaryUserAssignedIdentityId;
  return primary ? (s.identity.userAssigned.get(primary.toLowerCase())?.principalId ?? null) : s.identity.systemPrincipalId;
}

const SKU: Readonly<Record<string, string>> = { GeneralPurpose: 'GP_Gen5', BusinessCritical: 'BC_Gen5', Hyperscale: 'HS_Gen5' };

function databaseOf(d: EmulatedSqlDatabase, geoDefault: boolean): DatabaseRecord {
  const tier = d.tier ?? 'GeneralPurpose';
  return { name: d.name, tier, skuName: SKU[tier] ?? tier, capacity: 2, geo: d.geo ?? geoDefault, encryptionProtector: d.encryptionProtector ?? null };
}

type AnyConfig = (EmulatedSqlServer | EmulatedManagedInstance) & { readonly partners?: readonly string[]; readonly role?: GeoRole; readonly databases?: readonly EmulatedSqlDatabase[] };

export class ServerRegistry {
  private readonly byId = new Map<string, ServerRecord>();

  constructor(servers: readonly EmulatedSqlServer[], instances: readonly EmulatedManagedInstance[], now: () => string) {
    const configs: readonly AnyConfig[] = [...servers, ...instances];
    for (const c of configs) {
      const parsed = parseServerId(c.resourceId);
      if (!parsed) throw new Error(`not a SQL server or managed instance resource id: ${c.resourceId}`);
      const key = c.resourceId.toLowerCase();
      if (this.byId.has(key)) throw new Error(`${c.resourceId} is configured twice`);
      this.byId.set(key, {
        resourceId: c.resourceId,
        ...parsed,
        location: c.location ?? 'eastus',
        identity: identityOf(c),
        role: 'Primary',
        partners: new Set((c.partners ?? []).map((p) => p.toLowerCase())),
        keys: new Map([[SERVICE_MANAGED.toLowerCase(), { name: SERVICE_MANAGED, type: 'ServiceManaged', uri: null, thumbprint: null, creationDate: now() }]]),
        protector: { serverKeyName: SERVICE_MANAGED, autoRotationEnabled: false },
        databases: new Map(),
      });
    }
    for (const s of [...this.byId.values()]) {
      for (const p of s.partners) {
        const partner = this.byId.get(p);
        if (!partner || partner.kind !== 'servers') throw new Error(`partner ${p} of ${s.resourceId} is not an emulated server`);
        partner.partners.add(s.resourceId.toLowerCase());
      }
    }
    const explicit = new Map(configs.filter((c) => c.role).map((c) => [c.resourceId.toLowerCase(), c.role as GeoRole]));
    const listing = new Set(configs.filter((c) => (c.partners?.length ?? 0) > 0).map((c) => c.resourceId.toLowerCase()));
    for (const [id, s] of this.byId) {
      const partnerRoles = [...s.partners].map((p) => explicit.get(p));
      // Explicit role, else the opposite of an explicit partner, else "the one that lists its partners is the primary".
      s.role =
        explicit.get(id) ??
        (partnerRoles.includes('Secondary') ? 'Primary' : partnerRoles.includes('Primary') ? 'Secondary' : s.partners.size === 0 || listing.has(id) ? 'Primary' : 'Secondary');
    }
    for (const s of this.byId.values()) {
      const primaries = [s, ...this.partnersOf(s)].filter((x) => x.role === 'Primary');
      if (s.partners.size > 0 && primaries.length !== 1) {
        throw new Error(`geo link of ${s.name} needs exactly one primary among it and its partners: set role`);
      }
    }
    for (const c of configs) {
      const s = this.byId.get(c.resourceId.toLowerCase()) as ServerRecord;
      const replicates = s.role === 'Primary' && s.partners.size > 0;
      for (const d of c.databases ?? []) s.databases.set(d.name.toLowerCase(), databaseOf(d, replicates));
    }
    for (const s of this.byId.values()) {
      if (s.role !== 'Primary' || s.partners.size === 0) continue;
      // A geo link is a database's: a primary configured without databases replicates one named after it.
      if (![...s.databases.values()].some((d) => d.geo)) s.databases.set(`${s.name}-db`.toLowerCase(), databaseOf({ name: `${s.name}-db` }, true));
      for (const p of this.partnersOf(s)) this.replicate(s, p);
    }
  }

  /** Initial keys and protector; thumbprints are looked up by the caller (they may need the vault). */
  seed(configs: ReadonlyArray<EmulatedSqlServer | EmulatedManagedInstance>, now: () => string, thumbprints: ReadonlyMap<string, string>): void {
    for (const c of configs) {
      const s = this.get(c.resourceId);
      if (!s) continue;
      for (const kid of [...(c.keys ?? []), ...(c.protector ? [c.protector] : [])]) {
        const parsed = parseServerKeyUri(kid);
        if (!parsed) throw new Error(`not a versioned key id: ${kid}`);
        s.keys.set(parsed.serverKeyName.toLowerCase(), {
          name: parsed.serverKeyName,
          type: 'AzureKeyVault',
          uri: kid,
          thumbprint: thumbprints.get(kid) ?? null,
          creationDate: now(),
        });
        if (sameName(kid, c.protector ?? '')) s.protector = { serverKeyName: parsed.serverKeyName, autoRotationEnabled: c.autoRotation ?? false };
      }
    }
  }

  get(resourceId: string): ServerRecord | undefined {
    return this.byId.get(resourceId.toLowerCase());
  }

  /** By resource id or bare name (tests' convenience). */
  find(idOrName: string): ServerRecord | undefined {
    return this.get(idOrName) ?? [...this.byId.values()].find((s) => sameName(s.name, idOrName));
  }

  /** Every server (or managed instance) of a subscription, in configuration order. */
  inSubscription(kind: SqlResourceKind, subscriptionId: string): ServerRecord[] {
    return [...this.byId.values()].filter((s) => s.kind === kind && sameName(s.subscriptionId, subscriptionId));
  }

  subscriptions(): string[] {
    return [...new Set([...this.byId.values()].map((s) => s.subscriptionId))];
  }

  partnersOf(s: ServerRecord): ServerRecord[] {
    return [...s.partners].map((p) => this.byId.get(p)).filter((p): p is ServerRecord => p !== undefined);
  }

  /** The server and every server geo-linked to it, directly or through others. */
  geoGroupOf(s: ServerRecord): ServerRecord[] {
    const seen = new Map([[s.resourceId.toLowerCase(), s]]);
    const queue = [s];
    for (let x = queue.shift(); x; x = queue.shift()) {
      for (const p of this.partnersOf(x)) {
        if (seen.has(p.resourceId.toLowerCase())) continue;
        seen.set(p.resourceId.toLowerCase(), p);
        queue.push(p);
      }
    }
    return [...seen.values()];
  }

  link(primary: ServerRecord, secondary: ServerRecord): void {
    primary.partners.add(secondary.resourceId.toLowerCase());
    secondary.partners.add(primary.resourceId.toLowerCase());
    this.replicate(primary, secondary);
  }

  unlink(a: ServerRecord, b: ServerRecord): void {
    a.partners.delete(b.resourceId.toLowerCase());
    b.partners.delete(a.resourceId.toLowerCase());
  }

  /** The primary's geo-replicated databases appear on the secondary (a replica keeps its name). */
  private replicate(primary: ServerRecord, secondary: ServerRecord): void {
    for (const [k, d] of primary.databases) if (d.geo) secondary.databases.set(k, { ...d });
  }
}

/**
 * Whether two server keys hold the same key material. Thumbprints identify material across vaults (identical
 * material imported into two vaults gets different version ids); without both thumbprints the only safe comparison
 * is the exact URI.
 */
export function sameMaterial(a: ServerKeyRecord, b: ServerKeyRecord): boolean {
  if (a.type !== 'AzureKeyVault' || b.type !== 'AzureKeyVault') return false;
  if (a.thumbprint !== null && b.thumbprint !== null) return a.thumbprint === b.thumbprint;
  return a.uri !== null && b.uri !== null && sameName(a.uri, b.uri);
}

export function holdsMaterial(holder: ServerRecord, key: ServerKeyRecord): boolean {
  return [...holder.keys.values()].some((k) => sameMaterial(k, key));
}
