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
export interface VaultConfigEvent extends Base {
  readonly kind: 'vault-config';
  readonly vault: string;
  readonly phase: Phase;
  readonly softDelete: boolean | null;
  readonly purgeProtection: boolean | null;
  readonly rbacAuthorization: boolean | null;
  readonly networkAcls: NetworkAcls | null;
}

export interface VaultLifecycleEvent extends Base {
  readonly kind: 'vault-deleted' | 'vault-recovered' | 'vault-purged';
  readonly vault: string;
  readonly phase: Phase;
}

/** An access-policy change. `principalId`/`keyPermissions` are known only from activity-log request bodies. */
export interface AccessPolicyEvent extends Base {
  readonly kind: 'access-policy-changed';
  readonly vault: string;
  readonly phase: Phase;
  readonly correlationId: string;
  readonly change: 'add' | 'replace' | 'remove' | 'unknown';
  /** Per principal (lower-case object id) the key permissions the change leaves or removes; empty when unknown. */
  readonly entries: ReadonlyArray<{ readonly principalId: string; readonly keyPermissions: readonly string[] }>;
}

export interface RoleAssignmentEvent extends Base {
  readonly kind: 'role-assignment';
  readonly op: 'write' | 'delete';
  readonly phase: Phase;
  readonly correlationId: string;
  /** The role assignment's own resource id (lower-case). */
  readonly assignmentId: string;
  readonly principalId: string | null;
  /** Role definition GUID (lower-case, last path segment of roleDefinitionId). */
  readonly roleDefinitionId: string | null;
  /** Scope the assignment applies to (lower-case ARM id): the vault, its resource group, subscription... */
  readonly scope: string | null;
}

export interface SqlProtectorEvent extends Base {
  readonly kind: 'sql-protector-set';
  /** SQL server resource id, lower-case, without the /encryptionProtector/current suffix. */
  readonly server: string;
  readonly phase: Phase;
  readonly correlationId: string;
  /** Null when the protector is service-managed or the body did not say. */
  readonly key: KeyVersionRef | null;
  readonly serverKeyType: 'AzureKeyVault' | 'ServiceManaged' | null;
}

export interface SqlServerKeyEvent extends Base {
  readonly kind: 'sql-server-key';
  readonly server: string;
  readonly op: 'write' | 'delete';
  readonly phase: Phase;
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
export interface IdentityRemovedEvent extends Base {
  readonly kind: 'identity-removed';
  /** The resource whose identity went away (SQL server / Cosmos account / user-assigned identity), lower-case. */
  readonly resourceId: string;
  readonly phase: Phase;
}

export interface CosmosAccountEvent extends Base {
  readonly kind: 'cosmos-account-write';
  readonly account: string;
  readonly phase: Phase;
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
