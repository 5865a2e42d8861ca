// Public types of the ARM SQL emulator (DESIGN.md §6): the server keys / encryption protector subset that
// @azure/arm-sql 10 sends, with Azure's validation and geo-replication rules (azure-formats.md §2.1, §7.1.4).
import type { IdentityConfig } from '../arm/identity.js';

/** What the emulator learns about a key version when SQL would read it from Key Vault with the server's identity. */
export type KeyCheck =
  | boolean
  | { readonly usable: true; /** Identity of the key material: keys in two vaults with equal thumbprints are the same material. */ readonly thumbprint?: string }
  | { readonly usable: false; readonly reason: KeyUnusableReason };

export type KeyUnusableReason = 'not_found' | 'forbidden' | 'no_identity' | 'disabled' | 'expired' | 'unsupported' | 'unreachable';

/** Who asks: SQL reads the key with the server's managed identity. */
export interface KeyCheckCaller {
  readonly server: string;
  readonly principalId: string | null;
}

/**
 * Asked on keys/write and encryptionProtector/write. `true`/`{usable:true}` = the version exists and SQL can use it;
 * `false` = it does not exist. A throw counts as an unreachable vault (503 AzureKeyVaultConnectionFailed).
 */
export type KeyLookup = (kid: string, caller: KeyCheckCaller) => KeyCheck | Promise<KeyCheck>;

export type GeoRole = 'Primary' | 'Secondary';

/** Identity of a server or managed instance (GET → `identity`, `properties.primaryUserAssignedIdentityId`). */
export interface SqlIdentityConfig extends IdentityConfig {
  /** The user-assigned identity SQL reads its key with; must be one of `userAssignedIdentities`. */
  readonly primaryUserAssignedIdentityId?: string;
}

export interface EmulatedSqlDatabase {
  readonly name: string;
  /** `sku.tier`; default `GeneralPurpose`. */
  readonly tier?: string;
  /** Replicated to the server's geo partners. Default: true on a primary with partners, false elsewhere. */
  readonly geo?: boolean;
  /** Database-level CMK (`properties.encryptionProtector`): a Key Vault key URI. */
  readonly encryptionProtector?: string;
}

export interface EmulatedSqlServer extends SqlIdentityConfig {
  /** `/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Sql/servers/<name>` (matched case-insensitively, as ARM does). */
  readonly resourceId: string;
  /** Default `eastus`. */
  readonly location?: string;
  /** Geo-replication partners (resource ids). Links are symmetric: listing B on A also links A to B. */
  readonly partners?: readonly string[];
  /**
   * Default: Primary for a server that lists partners, Secondary for one that is only listed. Only a primary's
   * protector must be held by its partners (the geo rule), which is what makes "secondary first" work.
   */
  readonly role?: GeoRole;
  /** Azure Key Vault server keys the server already has (kids), accepted without asking `keyExists`'s vault rules. */
  readonly keys?: readonly string[];
  /** Kid of the initial protector (added to `keys` when missing). Default: service-managed. */
  readonly protector?: string;
  /** The initial protector's `autoRotationEnabled`. Default false. */
  readonly autoRotation?: boolean;
  /**
   * Databases. A primary's geo-replicated ones appear on every partner (that is what replication links list); a
   * primary with partners and no geo database gets one named `<server>-db`.
   */
  readonly databases?: readonly EmulatedSqlDatabase[];
}

export interface EmulatedManagedInstance extends SqlIdentityConfig {
  /** `/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Sql/managedInstances/<name>`. */
  readonly resourceId: string;
  readonly location?: string;
  readonly keys?: readonly string[];
  readonly protector?: string;
  readonly autoRotation?: boolean;
  /** Database names (`managedDatabases.listByInstance`); default none. */
  readonly managedDatabases?: readonly string[];
}

/** A failover group: on every member server, with the members' roles as the servers' geo roles. */
export interface EmulatedFailoverGroup {
  /** Globally unique (it is a DNS name: `<name>.database.windows.net`). */
  readonly name: string;
  /** Resource ids of the member servers (2 or more); they must be geo-linked (partners) — the group does not link them. */
  readonly servers: readonly string[];
  /** Databases in the group (names on the primary). Default: every geo-replicated database of the primary. */
  readonly databases?: readonly string[];
  /** Default `Automatic`. */
  readonly failoverPolicy?: 'Automatic' | 'Manual';
}

export interface ArmSqlEmulatorOptions {
  readonly tls: { readonly cert: string; readonly key: string };
  /** 0 (default) picks a free port. Listens on 127.0.0.1 only. */
  readonly port?: number;
  readonly servers: readonly EmulatedSqlServer[];
  readonly managedInstances?: readonly EmulatedManagedInstance[];
  readonly failoverGroups?: readonly EmulatedFailoverGroup[];
  /** Default: every key is usable and has no known thumbprint (geo checks then compare exact URIs). */
  readonly keyExists?: KeyLookup;
  /** Epoch ms for history times, creation dates and async operation start times. Default Date.now. */
  readonly clock?: () => number;
  /** Called synchronously with each history entry. Must not throw (errors are ignored). */
  readonly onWrite?: (entry: ArmHistoryEntry) => void;
  /**
   * 'sync' (default): PUTs answer 200/201 with the resource. 'async': as Azure SQL usually does, 202 with an
   * `Azure-AsyncOperation` URL; state-dependent refusals (missing key, geo rule, vault access) then surface through
   * the operation status, not the PUT's status.
   */
  readonly writeMode?: 'sync' | 'async';
  /** Async mode: polls answering InProgress before the final status. Default 0. */
  readonly asyncPolls?: number;
  /** Items per page of list responses (then `nextLink`). Default 50. */
  readonly pageSize?: number;
}

export type ArmWriteOperation =
  | 'keys/write'
  | 'keys/delete'
  | 'encryptionProtector/write'
  | 'encryptionProtector/revalidate/action'
  | 'failoverGroups/failover/action'
  | 'failoverGroups/forceFailoverAllowDataLoss/action'
  /** Admin: a geo-secondary database created (`createMode: Secondary`), one entry per database. */
  | 'databases/write'
  /** Admin: a geo link removed. */
  | 'databases/replicationLinks/delete'
  /** Admin: the server's identity changed. */
  | 'write';

export interface ArmHistoryEntry {
  /** 1, 2, 3… in arrival order. */
  readonly seq: number;
  /** ISO 8601 from the clock. */
  readonly time: string;
  /** The server's resource id as configured. */
  readonly server: string;
  readonly serverName: string;
  readonly operation: ArmWriteOperation;
  /** Server key name, `current` for the encryption protector, the failover group or database name, or the server's. */
  readonly target: string;
  /** The request body's relevant properties (never anything secret: ARM bodies here hold none). */
  readonly request: {
    readonly serverKeyType?: string;
    readonly uri?: string;
    readonly serverKeyName?: string;
    readonly autoRotationEnabled?: boolean;
    /** Geo admin: the partner server added or removed. */
    readonly partner?: string;
  };
  /** Final outcome: the HTTP status the caller got, or for an async write the status its operation ended with. */
  readonly outcome: { readonly status: number; readonly code: string | null };
  /** False when the write succeeded but found the state already as asked (or refused). */
  readonly changed: boolean;
  readonly async: boolean;
}

export interface InjectedArmError {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  /** Sent as Retry-After (seconds), e.g. with 429. */
  readonly retryAfterSeconds?: number;
}

export interface ArmSqlEmulator {
  /** `https://localhost:<port>`: the SqlManagementClient `endpoint`. */
  readonly endpoint: string;
  readonly port: number;
  history(): readonly ArmHistoryEntry[];
  /** Refuses the next matching write (server: resource id or name; operation: an ArmWriteOperation or '*'). */
  failNext(server: string, operation: ArmWriteOperation | '*', error: InjectedArmError): void;
  /** Current state of a server, for assertions: server key names → uri, the protector's server key name, its geo role and partners' names. */
  inspect(server: string): { readonly keys: Readonly<Record<string, string | null>>; readonly protector: string; readonly role: GeoRole; readonly partners: readonly string[] };
  close(): Promise<void>;
}
