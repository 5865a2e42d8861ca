// The ports estate discovery reads Azure through (gather → decide: domain/discovery/findings.ts decides). Each method
// is one question about one scope and answers with domain facts (domain/discovery/facts.ts, ids and names
// lower-case); adapters page through ARM's lists inside a method, so the use case sees whole answers. What Azure
// refuses (403, 404, throttling past the SDK's retries) is an expected outcome — a `Read` that is not ok, with a
// log-safe reason — never a throw: discovery records it as a gap and goes on. Anything else thrown is a defect or
// an unusable credential, and stops the run.
import type { CosmosAccountFacts, DatabaseCounts, GeoLink, GeoRole, SqlServerFacts, VaultFacts } from '../../domain/discovery/facts.js';

export type Read<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** A SQL server or managed instance as its subscription's listing gives it, before its own reads. */
export type SqlServerListing = Omit<SqlServerFacts, 'protector' | 'geoLinks' | 'databases'> & {
  /** As ARM spells it (ARM matches it case-insensitively; some tools do not). */
  readonly resourceGroup: string;
  /** A managed instance's `sku.tier` (its databases' tier); null for a server, whose databases each have one. */
  readonly skuTier: string | null;
};

export type SqlProtector = SqlServerFacts['protector'];

/** A geo-replication link of one database, as the server lists it: ARM names the partner server by name only. */
export interface ReplicationLinkFact {
  readonly database: string;
  /** The partner's server name (globally unique, as SQL server DNS names are); its resource id is not given. */
  readonly partnerServer: string;
  readonly role: GeoRole;
  readonly partnerRole: GeoRole;
}

/** A managed-instance failover group as listed under one resource group and region. */
export interface InstanceFailoverGroupFact {
  readonly name: string;
  /** The role of the instances in the region it was listed under. */
  readonly role: GeoRole;
  /** Resource ids of the paired instances (lower-case). */
  readonly pairs: ReadonlyArray<{ readonly primary: string; readonly partner: string }>;
}

/** A Cosmos DB account as its subscription's listing gives it; its Always Encrypted keys are a read of their own. */
export type CosmosAccountListing = Omit<CosmosAccountFacts, 'clientEncryptionKeys'> & {
  readonly resourceGroup: string;
  /** The account serves the NoSQL API, the only one with client encryption keys. */
  readonly sqlApi: boolean;
};

export type ClientEncryptionKeyFacts = NonNullable<CosmosAccountFacts['clientEncryptionKeys']>;

/** Azure Resource Manager, read-only: the subscriptions, SQL, Cosmos DB and Key Vault resources discovery needs. */
export interface ArmInventory {
  /** Every subscription the caller can read. */
  subscriptions(): Promise<Read<string[]>>;
  sqlServers(subscriptionId: string): Promise<Read<SqlServerListing[]>>;
  managedInstances(subscriptionId: string): Promise<Read<SqlServerListing[]>>;
  /** The TDE protector (`encryptionProtector/current`): null when it is service-managed. */
  encryptionProtector(server: SqlServerListing): Promise<Read<SqlProtector>>;
  /** The server's failover groups as links to each partner server (servers only; instances: instanceFailoverGroups). */
  failoverGroupLinks(server: SqlServerListing): Promise<Read<GeoLink[]>>;
  /** The geo-replication links of the server's databases (servers only). */
  replicationLinks(server: SqlServerListing): Promise<Read<ReplicationLinkFact[]>>;
  /** The server's (or instance's) databases by service tier, and those with a database-level CMK. */
  databases(server: SqlServerListing): Promise<Read<DatabaseCounts>>;
  /** Managed-instance failover groups of one resource group in one region. */
  instanceFailoverGroups(subscriptionId: string, resourceGroup: string, location: string): Promise<Read<InstanceFailoverGroupFact[]>>;
  cosmosAccounts(subscriptionId: string): Promise<Read<CosmosAccountListing[]>>;
  /** Always Encrypted client encryption keys of every database of the account (ids and wrapping key only). */
  clientEncryptionKeys(account: CosmosAccountListing): Promise<Read<ClientEncryptionKeyFacts>>;
  /** Key vaults of the subscription (`Microsoft.KeyVault/vaults`). */
  vaults(subscriptionId: string): Promise<Read<VaultFacts[]>>;
  /** Managed HSMs of the subscription (`Microsoft.KeyVault/managedHSMs`). */
  managedHsms(subscriptionId: string): Promise<Read<VaultFacts[]>>;
}

/**
 * Key Vault's data plane: what it says of a protector key — its current version's attributes and its rotation
 * policy, never key material. Two reads, since a caller may be granted one and not the other.
 */
export interface KeyFactsReader {
  /** The key's current version: does it have an expiry (`exp`)? Not ok when the key is missing or unreadable. */
  keyAttributes(vault: VaultFacts, keyName: string): Promise<Read<{ readonly expires: boolean }>>;
  /** The key's rotation policy: an `expiryTime`, a `Rotate` lifetime action. A key with no policy: both false. */
  rotationPolicy(vault: VaultFacts, keyName: string): Promise<Read<{ readonly expires: boolean; readonly autoRotate: boolean }>>;
}
