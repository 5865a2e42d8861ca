// In-memory state of the emulated SQL servers: server keys, the encryption protector, geo-replication links and
// roles. Every server starts with the `ServiceManaged` key and protector, as a new Azure SQL server does.
import { parseServerKeyUri, sameName } from './keyUri.js';
import type { EmulatedSqlServer, GeoRole } from './types.js';

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

export interface ServerRecord {
  readonly resourceId: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
  readonly location: string;
  readonly principalId: string | null;
  readonly role: GeoRole;
  /** Lower-cased resource ids of the geo partners. */
  readonly partners: Set<string>;
  /** Lower-cased key name → record. */
  readonly keys: Map<string, ServerKeyRecord>;
  protector: ProtectorRecord;
}

const SERVER_ID = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Sql\/servers\/([^/]+)$/i;

export function parseServerId(id: string): { subscriptionId: string; resourceGroup: string; name: string } | null {
  const m = SERVER_ID.exec(id);
  return m?.[1] && m[2] && m[3] ? { subscriptionId: m[1], resourceGroup: m[2], name: m[3] } : null;
}

export class ServerRegistry {
  private readonly byId = new Map<string, ServerRecord>();

  constructor(configs: readonly EmulatedSqlServer[], now: () => string) {
    for (const c of configs) {
      const parsed = parseServerId(c.resourceId);
      if (!parsed) throw new Error(`not a SQL server resource id: ${c.resourceId}`);
      const key = c.resourceId.toLowerCase();
      if (this.byId.has(key)) throw new Error(`server ${c.resourceId} is configured twice`);
      this.byId.set(key, {
        resourceId: c.resourceId,
        ...parsed,
        location: c.location ?? 'eastus',
        principalId: c.principalId ?? null,
        role: 'Primary',
        partners: new Set((c.partners ?? []).map((p) => p.toLowerCase())),
        keys: new Map([[SERVICE_MANAGED.toLowerCase(), { name: SERVICE_MANAGED, type: 'ServiceManaged', uri: null, thumbprint: null, creationDate: now() }]]),
        protector: { serverKeyName: SERVICE_MANAGED, autoRotationEnabled: false },
      });
    }
    for (const s of [...this.byId.values()]) {
      for (const p of s.partners) {
        const partner = this.byId.get(p);
        if (!partner) throw new Error(`partner ${p} of ${s.resourceId} is not an emulated server`);
        partner.partners.add(s.resourceId.toLowerCase());
      }
    }
    const explicit = new Map(configs.filter((c) => c.role).map((c) => [c.resourceId.toLowerCase(), c.role as GeoRole]));
    const listing = new Set(configs.filter((c) => (c.partners?.length ?? 0) > 0).map((c) => c.resourceId.toLowerCase()));
    for (const [id, s] of this.byId) {
      const partnerRoles = [...s.partners].map((p) => explicit.get(p));
      // Explicit role, else the opposite of an explicit partner, else "the one that lists its partners is the primary".
      const role =
        explicit.get(id) ??
        (partnerRoles.includes('Secondary') ? 'Primary' : partnerRoles.includes('Primary') ? 'Secondary' : s.partners.size === 0 || listing.has(id) ? 'Primary' : 'Secondary');
      this.byId.set(id, { ...s, role });
    }
    for (const s of this.byId.values()) {
      const primaries = [s, ...this.partnersOf(s)].filter((x) => x.role === 'Primary');
      if (s.partners.size > 0 && primaries.length !== 1) {
        throw new Error(`geo link of ${s.name} needs exactly one primary among it and its partners: set role`);
      }
    }
  }

  /** Initial keys and protector; thumbprints are looked up by the caller (they may need the vault). */
  seed(configs: readonly EmulatedSqlServer[], now: () => string, thumbprints: ReadonlyMap<string, string>): void {
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
        if (sameName(kid, c.protector ?? '')) s.protector = { serverKeyName: parsed.serverKeyName, autoRotationEnabled: false };
      }
    }
  }

  get(resourceId: string): ServerRecord | undefined {
    return this.byId.get(resourceId.toLowerCase());
  }

  /** By resource id or bare server name (tests' convenience). */
  find(idOrName: string): ServerRecord | undefined {
    return this.get(idOrName) ?? [...this.byId.values()].find((s) => sameName(s.name, idOrName));
  }

  partnersOf(s: ServerRecord): ServerRecord[] {
    return [...s.partners].map((p) => this.byId.get(p)).filter((p): p is ServerRecord => p !== undefined);
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
