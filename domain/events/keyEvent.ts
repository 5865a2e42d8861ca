// The normalised event union. Every source (Key Vault AuditEvent, activity log, Event Grid) is translated
// into these shapes once, at the edge; everything after normalisation reads only these types.
// Invariants: names (vault, key, principal ids, resource ids) are lower-cased; `time` is epoch ms;
// `id` is stable for the same underlying occurrence, so duplicates fold to nothing.
import type { KeyVersionRef, KeyRef } from '../keyRef.js';
import type { Millis } from '../time.js';

export type EventSource = 'keyvault-audit' | 'activity-log' | 'event-grid';

/** Why Key Vault refused a call, read from the status code and the response text. */
export type DenialReason =
  | 'rbac' // 403, RBAC: no role assignment grants the action
  | 'access_policy' // 403, access policy lacks the permission
  | 'firewall' // 403, network ACL / firewall
  | 'not_found' // 404, key (or version) absent: deleted or never there
  | 'disabled' // 403/400, operation on a disabled key
  | 'expired' // 403/400, operation on an expired or not-yet-valid key
  | 'unauthenticated' // 401 with an identity: token refused (e.g. identity deleted)
  | 'other';

/** ARM writes a Start and a Success/Failure record per operation; Key Vault and Event Grid are always `success`. */
export type Phase = 'start' | 'success' | 'failure';

/**
 * Fields of an event read from an activity-log record of an ARM operation (DESIGN.md §4.7). `armOperation` names
 * the operation itself — correlationId, resource id and operation name, lower-cased — because one correlationId
 * spans every operation of a Terraform apply or a template deployment. Its Start record is intent, its Success
 * record the change, its Failure record cancels it (domain/health/operations.ts judges them). Absent on events
 * from Key Vault audit records and Event Grid, which report what already happened.
 */
interface ArmRecordFields {
  readonly phase: Phase;
  readonly armOperation?: string;
}

export interface Identity {
  /** Object id of the caller (short `oid` or the long objectidentifier claim), lower-case. */
  readonly oid: string | null;
  /** `xms_mirid`: the managed identity's resource id (e.g. the SQL server), lower-case. */
  readonly mirid: string | null;
}

interface Base {
  readonly id: string;
  readonly source: EventSource;
  readonly time: Millis;
  /** Source operation name as recorded (e.g. `KeyUnwrap`, `Microsoft.Authorization/roleAssignments/delete`). */
  readonly operation: string;
}

/** A data-plane call on a key by some identity: success, a denial, or a transient failure (429/5xx). */
export interface KeyAccessEvent extends Base {
  readonly kind: 'key-access';
  readonly key: KeyVersionRef;
  readonly identity: Identity;
  readonly status: number;
  readonly outcome: 'success' | 'denied' | 'transient';
  readonly denial: DenialReason | null;
}

/** A new key version exists (create, import, rotate, restore, or Event Grid KeyNewVersionCreated). */
export interface KeyVersionCreatedEvent extends Base {
  readonly kind: 'key-version-created';
  readonly key: KeyVersionRef;
  readonly exp: Millis | null;
  readonly nbf: Millis | null;
}

/** KeyUpdate: attributes of a version (or of the current version when `version` is null) changed. */
export interface KeyAttributesChangedEvent extends Base {
  readonly kind: 'key-attributes-changed';
  readonly key: KeyVersionRef;
  readonly enabled: boolean | null;
  readonly exp: Millis | null;
}

export interface KeyLifecycleEvent extends Base {
  readonly kind: 'key-deleted' | 'key-purged' | 'key-recovered';
  readonly key: KeyRef;
}

/** Event Grid KeyNearExpiry / KeyExpired. */
export interface KeyExpiryEvent extends Base {
  readonly kind: 'key-near-expiry' | 'key-expired';
  readonly key: KeyVersionRef;
  readonly exp: Millis | null;
}

export interface NetworkAcls {
  readonly defaultAction: 'allow' | 'deny';
  /** `AzureServices` lets trusted Microsoft services (SQL, Cosmos) through the firewall. */
  readonly bypassAzureServices: boolean;
}

/** Vault properties as seen by VaultGet/Put/Patch audit records or a vaults/write activity record. Absent = not stated. */
export interface VaultConfigEvent extends Base, ArmRecordFields {
  readonly kind: 'vault-config';
  readonly vault: string;
  readonly softDelete: boolean | null;
  readonly purgeProtection: boolean | null;
  readonly rbacAuthorization: boolean | null;
  readonly networkAcls: NetworkAcls | null;
}

export interface VaultLifecycleEvent extends Base, ArmRecordFields {
  readonly kind: 'vault-deleted' | 'vault-recovered' | 'vault-purged';
  readonly vault: string;
}

/** An access-policy change. `principalId`/`keyPermissions` are known only from activity-log request bodies. */
export interface AccessPolicyEvent extends Base, ArmRecordFields {
  readonly kind: 'access-policy-changed';
  readonly vault: string;
  readonly correlationId: string;
  readonly change: 'add' | 'replace' | 'remove' | 'unknown';
  /** Per principal (lower-case object id) the key permissions the change leaves or removes; empty when unknown. */
  readonly entries: ReadonlyArray<{ readonly principalId: string; readonly keyPermissions: readonly string[] }>;
}

export interface RoleAssignmentEvent extends Base, ArmRecordFields {
  readonly kind: 'role-assignment';
  readonly op: 'write' | 'delete';
  readonly correlationId: string;
  /** The role assignment's own resource id (lower-case). */
  readonly assignmentId: string;
  readonly principalId: string | null;
  /** Role definition GUID (lower-case, last path segment of roleDefinitionId). */
  readonly roleDefinitionId: string | null;
  /** Scope the assignment applies to (lower-case ARM id): the vault, its resource group, subscription... */
  readonly scope: string | null;
}

export interface SqlProtectorEvent extends Base, ArmRecordFields {
  readonly kind: 'sql-protector-set';
  /** SQL server resource id, lower-case, without the /encryptionProtector/current suffix. */
  readonly server: string;
  readonly correlationId: string;
  /** Null when the protector is service-managed or the body did not say. */
  readonly key: KeyVersionRef | null;
  readonly serverKeyType: 'AzureKeyVault' | 'ServiceManaged' | null;
}

export interface SqlServerKeyEvent extends Base, ArmRecordFields {
  readonly kind: 'sql-server-key';
  readonly server: string;
  readonly op: 'write' | 'delete';
  readonly correlationId: string;
  readonly key: KeyVersionRef | null;
}

/** SQL's own (late, 15–30 min) MakeDatabaseInaccessible / MakeDatabaseAccessible activity events. */
export interface SqlDatabaseStateEvent extends Base {
  readonly kind: 'sql-database-state';
  readonly server: string;
  readonly database: string | null;
  readonly state: 'inaccessible' | 'accessible';
  readonly phase: Phase;
}

/** The managed identity a member uses was removed (server identity set to None, or a user-assigned identity deleted). */
export interface IdentityRemovedEvent extends Base, ArmRecordFields {
  readonly kind: 'identity-removed';
  /** The resource whose identity went away (SQL server / Cosmos account / user-assigned identity), lower-case. */
  readonly resourceId: string;
}

/**
 * `Microsoft.Sql/servers/write` (or managed instance) on a member server. Only the identity matters here: setting
 * it to `None` cuts the server off from its TDE protector (DESIGN.md §1). Every record of the operation is kept,
 * bodies or not, so that its Success or Failure record can judge what the Start record asked for.
 */
export interface SqlServerWriteEvent extends Base, ArmRecordFields {
  readonly kind: 'sql-server-write';
  readonly server: string;
  /** `identity.type` of the request or response body, lower-cased (`none`, `systemassigned`, …); null when absent. */
  readonly identityType: string | null;
}

/**
 * An ARM operation that may change a SQL geo-group's topology (issue 8): a failover (planned or forced) of a failover
 * group or of a replication link, a failover group written or deleted, a replication link removed, a database written
 * (a geo-secondary is created by a database write with `createMode: Secondary` on the partner server). Not folded
 * into protector state: discovery reads the resulting topology from ARM; the event only says when and where to look.
 */
export interface SqlGeoChangeEvent extends Base, ArmRecordFields {
  readonly kind: 'sql-geo-change';
  /** The SQL server (or managed instance) the operation was made on, lower-case; null for an instance failover group. */
  readonly server: string | null;
  /** The operation's own target (failover group, replication link, database), lower-case. */
  readonly resourceId: string;
  readonly correlationId: string;
  readonly change: 'failover' | 'forced-failover' | 'failover-group-written' | 'failover-group-deleted' | 'link-removed' | 'database-written';
  /** database-written only: the request's `createMode`, lower-case; null when the record carries no request body. */
  readonly createMode: string | null;
}

export interface CosmosAccountEvent extends Base, ArmRecordFields {
  readonly kind: 'cosmos-account-write';
  readonly account: string;
  readonly key: KeyVersionRef | null;
  readonly defaultIdentity: string | null;
}

export type KeyEvent =
  | KeyAccessEvent
  | KeyVersionCreatedEvent
  | KeyAttributesChangedEvent
  | KeyLifecycleEvent
  | KeyExpiryEvent
  | VaultConfigEvent
  | VaultLifecycleEvent
  | AccessPolicyEvent
  | RoleAssignmentEvent
  | SqlProtectorEvent
  | SqlServerKeyEvent
  | SqlDatabaseStateEvent
  | IdentityRemovedEvent
  | SqlServerWriteEvent
  | SqlGeoChangeEvent
  | CosmosAccountEvent;

export type KeyEventKind = KeyEvent['kind'];

/**
 * What normalising one raw record gives. `ignored` is a valid record of no interest (a secret read, a list);
 * `rejected` is a record that fails its schema: the caller counts and stores it, it never throws.
 */
export type NormaliseResult =
  | { readonly status: 'ok'; readonly events: readonly KeyEvent[] }
  | { readonly status: 'ignored'; readonly reason: string }
  | { readonly status: 'rejected'; readonly reason: string };
