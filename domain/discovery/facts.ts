// What discovery reads from Azure Resource Manager (and Key Vault), as plain facts: gathered by app/discovery through
// narrow ports, decided on here (topology.ts, findings.ts, drift.ts). Every id and name is lower-cased (ARM ids and
// vault names are case-insensitive); every fact says where it came from, so the estate written from it can name its
// source.

export type GeoRole = 'primary' | 'secondary';

export interface IdentityFacts {
  /** `SystemAssigned`, `UserAssigned`, `SystemAssigned,UserAssigned`, `None`, or null when not stated. */
  readonly type: string | null;
  /** Object id of the system-assigned identity. */
  readonly systemPrincipalId: string | null;
  /** User-assigned identities: resource id → object id (null when ARM did not say). */
  readonly userAssigned: ReadonlyMap<string, string | null>;
}

/** A link between two geo-replicated servers, as seen from `server`: its role and its partner's. */
export interface GeoLink {
  readonly partner: string;
  readonly role: GeoRole;
  readonly partnerRole: GeoRole;
  /** `failover-group:<name>` or `replication-link:<database>`. */
  readonly via: string;
}

export interface DatabaseCounts {
  /** Databases by service tier (`GeneralPurpose`, `BusinessCritical`, `Hyperscale`, …; vCore or DTU names as ARM gives them). */
  readonly byTier: Readonly<Record<string, number>>;
  /** Databases with a database-level CMK of their own (`keys` / `encryptionProtector` on the database). */
  readonly withOwnCmk: readonly string[];
}

export interface SqlServerFacts {
  /** `/subscriptions/<sub>/resourcegroups/<rg>/providers/microsoft.sql/servers/<name>` (or managedinstances), lower-case. */
  readonly id: string;
  readonly kind: 'server' | 'managed-instance';
  readonly name: string;
  readonly subscriptionId: string;
  readonly location: string | null;
  readonly identity: IdentityFacts;
  /** `primaryUserAssignedIdentityId`: the user-assigned identity the server reads its key with, when set. */
  readonly primaryUserAssignedIdentityId: string | null;
  /** The TDE protector when it is a Key Vault key; null when service-managed (not a CMK server). */
  readonly protector: { readonly keyUri: string; readonly autoRotation: boolean | null; readonly serverKeyName: string } | null;
  readonly geoLinks: readonly GeoLink[];
  readonly databases: DatabaseCounts;
}

export interface CosmosAccountFacts {
  readonly id: string;
  readonly name: string;
  readonly subscriptionId: string;
  readonly location: string | null;
  readonly identity: IdentityFacts;
  /** `keyVaultKeyUri` (versionless, as Cosmos wants it); null: service-managed keys. */
  readonly keyVaultKeyUri: string | null;
  /** `defaultIdentity` as ARM writes it: FirstPartyIdentity, SystemAssignedIdentity, UserAssignedIdentity=<id>, FederatedIdentity=… */
  readonly defaultIdentity: string | null;
  readonly documentEndpoint: string | null;
  /**
   * Always Encrypted client encryption keys per database, by the Key Vault key that wraps them; null when the
   * caller could not read them (the account's data plane or the ARM sqlDatabases/clientEncryptionKeys listing).
   */
  readonly clientEncryptionKeys: ReadonlyArray<{ readonly database: string; readonly id: string; readonly keyUri: string }> | null;
}

export interface VaultFacts {
  readonly name: string;
  readonly id: string;
  readonly subscriptionId: string;
  readonly location: string | null;
  /** Data-plane URI as ARM gives it (`properties.vaultUri`, `hsmUri` for a Managed HSM). */
  readonly uri: string;
  readonly managedHsm: boolean;
  readonly softDelete: boolean | null;
  readonly softDeleteRetentionDays: number | null;
  readonly purgeProtection: boolean | null;
  readonly rbac: boolean | null;
  readonly networkAcls: { readonly defaultAction: 'Allow' | 'Deny'; readonly bypass: 'AzureServices' | 'None' } | null;
}

/** What Key Vault says of a protector key (data plane: the key's attributes and its rotation policy). */
export interface KeyFacts {
  readonly vault: string;
  readonly name: string;
  /** The current version's `exp` is set, or the rotation policy has an `expiryTime`. null: not readable. */
  readonly expires: boolean | null;
  /** The rotation policy has a `Rotate` lifetime action. */
  readonly autoRotate: boolean | null;
}

export interface DiscoveryFacts {
  readonly subscriptions: readonly string[];
  readonly sqlServers: readonly SqlServerFacts[];
  readonly cosmosAccounts: readonly CosmosAccountFacts[];
  readonly vaults: readonly VaultFacts[];
  readonly keys: readonly KeyFacts[];
  /** What could not be read (a subscription without Reader, a vault in another tenant): named, never fatal. */
  readonly gaps: ReadonlyArray<{ readonly scope: string; readonly reason: string }>;
}
