// The validated estate as the domain uses it: names lower-cased, durations in ms, lookups prepared once.
import type { Millis } from '../time.js';
import { parseDuration, parseInstant } from '../time.js';
import { estateSchema, type EstateDoc } from './schema.js';

export type ProtectorKind = 'sql-tde' | 'cosmos-cmk' | 'cosmos-always-encrypted';
export type MemberRole = 'primary' | 'secondary';

export interface Member {
  readonly role: MemberRole;
  /** Lower-case ARM resource id: the identity of a member everywhere in reports. */
  readonly resourceId: string;
  readonly vault: string;
  readonly principalId: string | null;
}

export interface Protector {
  readonly id: string;
  readonly kind: ProtectorKind;
  readonly keyName: string;
  readonly members: readonly Member[];
  readonly autohealWindow: Millis;
  readonly inaccessibleAfter: Millis;
  readonly backupRetention: Millis;
  readonly rotation: { readonly every: Millis; readonly strategy: 'import' | 'rotate'; readonly keyType: 'RSA' | 'RSA-HSM' | null; readonly keySize: 2048 | 3072 | null } | null;
  /** cosmos-always-encrypted only: where its client encryption keys live (null when the estate does not say). */
  readonly alwaysEncrypted: AlwaysEncryptedTarget | null;
}

export interface AlwaysEncryptedTarget {
  readonly endpoint: string;
  readonly databases: readonly string[];
  /** App setting holding the account key; null: use the host's Entra ID identity. */
  readonly keySetting: string | null;
}

export interface VaultProperties {
  readonly softDelete: boolean | null;
  readonly purgeProtection: boolean | null;
  readonly softDeleteRetentionDays: number | null;
  readonly networkAcls: { readonly defaultAction: 'allow' | 'deny'; readonly bypassAzureServices: boolean } | null;
}

export interface Vault {
  readonly name: string;
  readonly region: string | null;
  readonly resourceId: string | null;
  readonly uri: string;
  readonly properties: VaultProperties | null;
}

export interface InventoryVersion {
  readonly version: string;
  readonly thumbprint: string;
  readonly enabled: boolean;
  readonly exp: Millis | null;
  readonly nbf: Millis | null;
  readonly created: Millis | null;
  readonly kty: string | null;
  readonly size: number | null;
  readonly tags: Readonly<Record<string, string>>;
}

export interface Estate {
  readonly vaults: ReadonlyMap<string, Vault>;
  readonly protectors: readonly Protector[];
  readonly notifications: Readonly<Record<string, unknown>>;
  /** vault → key → versions (names lower-case). Empty when the estate file has no inventory. */
  readonly inventory: ReadonlyMap<string, ReadonlyMap<string, readonly InventoryVersion[]>>;
}

export type EstateResult = { readonly ok: true; readonly estate: Estate } | { readonly ok: false; readonly errors: readonly string[] };

function instantMs(v: number | string | null | undefined): Millis | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'number' ? v * 1000 : parseInstant(v);
}

/** Validates a parsed estate document. Errors name the field path, e.g. `protectors[0].members[1].vault: ...`. */
export function buildEstate(doc: unknown): EstateResult {
  const parsed = estateSchema.safeParse(doc);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
    return { ok: false, errors };
  }
  return { ok: true, estate: toModel(parsed.data) };
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(estate)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

function toModel(doc: EstateDoc): Estate {
  const vaults = new Map<string, Vault>();
  for (const v of doc.vaults) {
    const name = v.name.toLowerCase();
    const p = v.properties;
    vaults.set(name, {
      name,
      region: v.region ?? null,
      resourceId: v.resourceId?.toLowerCase() ?? null,
      uri: v.uri ?? `https://${name}.vault.azure.net/`,
      properties: p
        ? {
            softDelete: p.enableSoftDelete ?? null,
            purgeProtection: p.enablePurgeProtection ?? null,
            softDeleteRetentionDays: p.softDeleteRetentionInDays ?? null,
            networkAcls: p.networkAcls
              ? { defaultAction: p.networkAcls.defaultAction === 'Deny' ? 'deny' : 'allow', bypassAzureServices: p.networkAcls.bypass === 'AzureServices' }
              : null,
          }
        : null,
    });
  }
  const protectors: Protector[] = doc.protectors.map((p) => ({
    id: p.id,
    kind: p.kind,
    keyName: p.keyName.toLowerCase(),
    members: p.members.map((m) => ({
      role: m.role,
      resourceId: m.resourceId.toLowerCase(),
      vault: m.vault.toLowerCase(),
      principalId: m.principalId?.toLowerCase() ?? null,
    })),
    autohealWindow: parseDuration(p.autohealWindow) ?? 0,
    inaccessibleAfter: parseDuration(p.inaccessibleAfter) ?? 0,
    backupRetention: parseDuration(p.backupRetention) ?? 0,
    rotation: p.rotation
      ? { every: parseDuration(p.rotation.every) ?? 0, strategy: p.rotation.strategy, keyType: p.rotation.keyType ?? null, keySize: p.rotation.keySize ?? null }
      : null,
    alwaysEncrypted: p.alwaysEncrypted ? { endpoint: p.alwaysEncrypted.endpoint, databases: [...p.alwaysEncrypted.databases], keySetting: p.alwaysEncrypted.keySetting ?? null } : null,
  }));
  const inventory = new Map<string, Map<string, InventoryVersion[]>>();
  for (const [vault, keys] of Object.entries(doc.inventory ?? {})) {
    const byKey = new Map<string, InventoryVersion[]>();
    for (const [key, versions] of Object.entries(keys)) {
      byKey.set(
        key.toLowerCase(),
        versions.map((v) => ({
          version: v.version.toLowerCase(),
          thumbprint: v.thumbprint,
          enabled: v.enabled,
          exp: instantMs(v.exp),
          nbf: instantMs(v.nbf),
          created: instantMs(v.created),
          kty: v.kty ?? null,
          size: v.size ?? null,
          tags: v.tags ?? {},
        })),
      );
    }
    inventory.set(vault.toLowerCase(), byKey);
  }
  return { vaults, protectors, notifications: doc.notifications ?? {}, inventory };
}

/** The estate with a protector key's inventory replaced by versions read live from its vaults. */
export function withLiveInventory(estate: Estate, keyName: string, live: ReadonlyMap<string, readonly InventoryVersion[]>): Estate {
  const inventory = new Map<string, ReadonlyMap<string, readonly InventoryVersion[]>>(estate.inventory);
  for (const [vault, versions] of live) {
    const keys = new Map(inventory.get(vault) ?? []);
    keys.set(keyName, versions);
    inventory.set(vault, keys);
  }
  return { ...estate, inventory };
}
