// What the topology generator takes and gives: sizes and a seed in; the ARM emulator's configuration, the Key Vault
// emulator's vaults and keys, and the EXPECTED discovery result — built from the generator's own construction, not
// from the discovery code it is meant to check — out.
import type { DiscoveredMember, DiscoveredProtector } from '../../../domain/discovery/topology.js';
import type { VaultFacts } from '../../../domain/discovery/facts.js';
import type { EmulatedVault } from '../../keyvault/types.js';
import type { ArmEmulatorOptions } from '../types.js';

export interface Range {
  readonly min: number;
  readonly max: number;
}

export interface TopologySizes {
  /** Default 5. */
  readonly subscriptions?: number;
  /** CMK SQL servers in geo-groups. Default 300. */
  readonly sqlServers?: number;
  /** Servers per geo-group (1 primary + up to 4 secondaries in Azure). Default 2–5. */
  readonly groupSize?: Range;
  /** Share of geo-groups joined by a failover group (the rest by replication links only). Default 0.5. */
  readonly failoverGroupShare?: number;
  /** CMK servers with no geo partner. Default 10. */
  readonly standaloneServers?: number;
  /** Servers with service-managed TDE: listed by ARM, no protector. Default 10. */
  readonly serviceManagedServers?: number;
  /** CMK managed instances. Default 4. */
  readonly managedInstances?: number;
  /** Cosmos DB accounts with a CMK (`keyVaultKeyUri`), each kind of `defaultIdentity` in turn. Default 50. */
  readonly cosmosAccounts?: number;
  /** Share of CMK accounts that also have Always Encrypted client encryption keys. Default 0.3. */
  readonly alwaysEncryptedShare?: number;
  /** Cosmos DB accounts without a CMK. Default 5. */
  readonly serviceManagedCosmosAccounts?: number;
  /** Default 40; at least one per region used. */
  readonly vaults?: number;
  /** Managed HSMs (listed; no protector uses them). Default 2. */
  readonly managedHsms?: number;
  /** Geo-replicated databases per group. Default 1–3. */
  readonly databasesPerGroup?: Range;
}

export interface TopologyOptions extends TopologySizes {
  readonly seed: number;
}

/** A key version the topology names, to be held by the Key Vault emulator. */
export interface TopologyKey {
  readonly vault: string;
  readonly name: string;
  /** 32 lower-case hex characters: what the ARM configuration's key URIs name. */
  readonly version: string;
  /** Keys with the same material id hold identical key material (a geo-group's protector in each member's vault). */
  readonly material: string;
  /** The version has an expiry (`exp`); false: a `key_without_expiry` finding. */
  readonly expires: boolean;
}

/** The principal each member reads its key with: what discovery must find. */
export type ExpectedMember = Pick<DiscoveredMember, 'role' | 'resourceId' | 'vault' | 'principalId'>;

export type ExpectedProtector = Pick<DiscoveredProtector, 'id' | 'kind' | 'keyName' | 'autoRotation' | 'alwaysEncrypted'> & {
  /** Primary first, then secondaries by resource id (as DiscoveredProtector orders them). */
  readonly members: readonly ExpectedMember[];
};

export interface ExpectedEstate {
  readonly subscriptions: readonly string[];
  /** By id. Ids and resource ids lower-cased, as discovery facts are. */
  readonly protectors: readonly ExpectedProtector[];
  /** The vaults the protectors name, by name (what DiscoveredEstate.vaults holds). */
  readonly vaults: readonly VaultFacts[];
  /** Lower-cased ids of CMK servers that also have a database with its own CMK (`database_level_cmk`). */
  readonly databaseLevelCmk: readonly string[];
}

export interface GeneratedTopology {
  readonly seed: number;
  /** The ARM emulator's configuration (add `tls`, and `keyExists` to check keys against a Key Vault emulator). */
  readonly arm: Omit<ArmEmulatorOptions, 'tls'>;
  /** The Key Vault emulator's vaults (each ARM vault, same name, region and settings). */
  readonly keyVaults: readonly EmulatedVault[];
  readonly keys: readonly TopologyKey[];
  readonly expected: ExpectedEstate;
}
