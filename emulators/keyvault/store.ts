// One emulated vault: its settings, keys (with every version) and soft-deleted keys, and the JSON shapes Key
// Vault returns for them (key bundle, key item, deleted key bundle; azure-formats.md §4.3). Times are epoch seconds.
import type { RsaMaterial } from './keyMaterial.js';
import type { NetworkAcls } from './types.js';

export interface VaultConfig {
  readonly name: string;
  readonly region: string;
  /** ARM id as configured (audit records upper-case it, denial texts lower-case it). */
  readonly resourceId: string;
  readonly softDelete: boolean;
  readonly purgeProtection: boolean;
  readonly rbac: boolean;
  networkAcls: NetworkAcls | null;
}

export interface KeyVersion {
  readonly version: string;
  readonly kty: 'RSA' | 'RSA-HSM';
  keyOps: string[];
  enabled: boolean;
  nbf: number | undefined;
  exp: number | undefined;
  readonly created: number;
  updated: number;
  tags: Record<string, string>;
  readonly material: RsaMaterial;
}

export interface RotationPolicy {
  lifetimeActions: unknown[];
  expiryTime: string | undefined;
  created: number;
  updated: number;
}

export interface StoredKey {
  /** Name as first written: Key Vault names are case-insensitive but keep their casing in kids. */
  readonly name: string;
  /** In creation order; the last one is the current version. */
  readonly versions: KeyVersion[];
  rotationPolicy: RotationPolicy | undefined;
}

export interface DeletedKey {
  readonly key: StoredKey;
  readonly deletedDate: number;
  readonly scheduledPurgeDate: number;
}

const RETENTION_DAYS = 90;

export class VaultState {
  readonly keys = new Map<string, StoredKey>();
  readonly deleted = new Map<string, DeletedKey>();

  constructor(
    readonly config: VaultConfig,
    /** `https://<vault>.vault.localhost:<port>` (no trailing slash): known once the server listens. */
    private readonly baseUrl: () => string,
  ) {}

  get url(): string {
    return this.baseUrl();
  }

  key(name: string): StoredKey | undefined {
    return this.keys.get(name.toLowerCase());
  }

  /** `version` '' = the current version. */
  version(name: string, version: string): KeyVersion | undefined {
    const key = this.key(name);
    if (!key) return undefined;
    if (version === '') return key.versions.at(-1);
    const v = version.toLowerCase();
    return key.versions.find((x) => x.version === v);
  }

  kid(name: string, version?: string): string {
    return `${this.url}/keys/${name}${version !== undefined ? `/${version}` : ''}`;
  }

  recoveryId(name: string): string {
    return `${this.url}/deletedkeys/${name}`;
  }

  get recoveryLevel(): string {
    if (!this.config.softDelete) return 'Purgeable';
    return this.config.purgeProtection ? 'Recoverable' : 'Recoverable+Purgeable';
  }

  attributes(v: KeyVersion): Record<string, unknown> {
    return {
      enabled: v.enabled,
      ...(v.nbf !== undefined ? { nbf: v.nbf } : {}),
      ...(v.exp !== undefined ? { exp: v.exp } : {}),
      created: v.created,
      updated: v.updated,
      recoveryLevel: this.recoveryLevel,
      ...(this.config.softDelete ? { recoverableDays: RETENTION_DAYS } : {}),
      exportable: false,
      ...(v.kty === 'RSA-HSM' ? { hsmPlatform: HSM_PLATFORM } : {}),
    };
  }

  bundle(key: StoredKey, v: KeyVersion): Record<string, unknown> {
    return {
      key: { kid: this.kid(key.name, v.version), kty: v.kty, key_ops: [...v.keyOps], n: v.material.n, e: v.material.e },
      attributes: this.attributes(v),
      ...(Object.keys(v.tags).length > 0 ? { tags: { ...v.tags } } : {}),
    };
  }

  /** A list entry: `withVersion` false for the list of keys (kid without version), true for the list of versions. */
  item(key: StoredKey, v: KeyVersion, withVersion: boolean): Record<string, unknown> {
    return {
      kid: this.kid(key.name, withVersion ? v.version : undefined),
      attributes: this.attributes(v),
      ...(Object.keys(v.tags).length > 0 ? { tags: { ...v.tags } } : {}),
    };
  }

  deletedBundle(d: DeletedKey): Record<string, unknown> {
    const latest = d.key.versions.at(-1);
    return {
      ...(latest ? this.bundle(d.key, latest) : {}),
      recoveryId: this.recoveryId(d.key.name),
      deletedDate: d.deletedDate,
      scheduledPurgeDate: d.scheduledPurgeDate,
    };
  }

  deletedItem(d: DeletedKey): Record<string, unknown> {
    const latest = d.key.versions.at(-1);
    return {
      ...(latest ? this.item(d.key, latest, false) : { kid: this.kid(d.key.name) }),
      recoveryId: this.recoveryId(d.key.name),
      deletedDate: d.deletedDate,
      scheduledPurgeDate: d.scheduledPurgeDate,
    };
  }

  softDelete(key: StoredKey, nowSeconds: number): DeletedKey {
    const d = { key, deletedDate: nowSeconds, scheduledPurgeDate: nowSeconds + RETENTION_DAYS * 86_400 };
    this.keys.delete(key.name.toLowerCase());
    this.deleted.set(key.name.toLowerCase(), d);
    return d;
  }
}

/** `hsmPlatform` of RSA-HSM keys (azure-formats.md §1.5: "2" is [inferred]); software keys show "0" in audit records [observed]. */
export const HSM_PLATFORM = '2';
export const SOFTWARE_PLATFORM = '0';
