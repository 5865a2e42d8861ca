// Activity-log records of ARM operations as Event Hubs receives them (azure-formats.md §2.1): upper-cased
// operationName and resourceId, the wrapper fields, the caller's identity, and `properties` with the request body as a
// JSON string on the Start record and the response body on the Success record. A Failure record carries the ARM
// error in `statusMessage`. One operation = a Start record, an optional Accept record, and a Success or Failure record
// (or none yet: still running). The record itself is the ARM emulator's (emulators/arm/activity.ts), as an operator's.
import { activityRecord, type ActivityCaller } from '../../emulators/arm/activity.js';
import { SUB } from './estates.js';

export type Json = Record<string, unknown>;

export const SUBSCRIPTION = '3c5e9a71-2b84-4f06-9d13-6a7b8c9d0e1f';
const TENANT = '7d3f1c2a-5b4e-4c6d-9a8b-0e1f2a3b4c5d';
const ADMIN_OID = '8d7c6b5a-4f3e-4d2c-9b1a-0f9e8d7c6b5a';
export const CRYPTO_SERVICE_ENCRYPTION_USER = 'e147488a-f6f5-4113-8e2d-b22465e65bf6';

export interface ArmOperation {
  /** Normal casing, e.g. `Microsoft.KeyVault/vaults/delete`; the records carry it upper-cased. */
  readonly operation: string;
  /** Normal-cased resource id (lower-case is fine); upper-cased in the records. */
  readonly resourceId: string;
  readonly correlationId: string;
  readonly startAt: number;
  /** When the Success / Failure record is written; ignored for a pending operation. */
  readonly endAt: number;
  readonly outcome: 'success' | 'failure' | 'pending';
  /** Asynchronous operations (SQL) write an Accept record between Start and the end. */
  readonly accepted?: boolean;
  readonly request?: Json;
  readonly response?: Json;
  /** The ARM error of a Failure, e.g. `{ status: 'Conflict', code: 'ScopeLocked' }`. */
  readonly failure?: { readonly status: string; readonly code: string };
}

const ADMIN: ActivityCaller = { oid: ADMIN_OID, appid: 'c44b4083-3bb0-49c1-b47d-974e53cbdf3c', kind: 'user', role: 'Owner', ipAddress: '86.12.44.201' };

function record(op: ArmOperation, phase: 'Start' | 'Accept' | 'Success' | 'Failure', at: number, seq: number): Json {
  const ref = { operation: op.operation, resourceId: op.resourceId, subscriptionId: SUBSCRIPTION, tenantId: TENANT, correlationId: op.correlationId, caller: ADMIN };
  return {
    ...activityRecord(ref, {
      phase,
      at,
      durationMs: phase === 'Start' ? 0 : 312,
      statusCode: phase === 'Failure' ? (op.failure?.status ?? 'BadRequest') : phase === 'Accept' ? 'Accepted' : 'OK',
      serviceRequestId: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
      ...(op.request ? { request: op.request } : {}),
      ...(op.response ? { response: op.response } : {}),
      error: { code: op.failure?.code ?? 'BadRequest', message: 'The operation failed.' },
    }),
  };
}

/** The records of one operation, in the order ARM writes them. */
export function armRecords(op: ArmOperation, seq = 0): Json[] {
  const out = [record(op, 'Start', op.startAt, seq)];
  if (op.accepted) out.push(record(op, 'Accept', op.startAt + 200, seq));
  if (op.outcome === 'success') out.push(record(op, 'Success', op.endAt, seq));
  if (op.outcome === 'failure') out.push(record(op, 'Failure', op.endAt, seq));
  return out;
}

export const vaultId = (vault: string): string => `${SUB}/providers/Microsoft.KeyVault/vaults/${vault}`;
/** A server's resource id: a name is placed in the test subscription's resource group; a resource id is kept. */
export const serverId = (server: string): string => (server.startsWith('/subscriptions/') ? server : `${SUB}/providers/Microsoft.Sql/servers/${server}`);

type Timing = Pick<ArmOperation, 'correlationId' | 'startAt' | 'endAt' | 'outcome' | 'failure'>;

/** `az role assignment delete` / Terraform destroy of an assignment: the response body names principal, role and scope. */
export function roleAssignmentDelete(t: Timing & { assignment: string; principalId: string; scope: string; role?: string }): ArmOperation {
  const resourceId = `${t.scope}/providers/Microsoft.Authorization/roleAssignments/${t.assignment}`;
  return {
    ...t,
    operation: 'Microsoft.Authorization/roleAssignments/delete',
    resourceId,
    response: {
      properties: { roleDefinitionId: `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/${t.role ?? CRYPTO_SERVICE_ENCRYPTION_USER}`, principalId: t.principalId, principalType: 'ServicePrincipal', scope: t.scope },
      id: resourceId,
      type: 'Microsoft.Authorization/roleAssignments',
      name: t.assignment,
    },
  };
}

/** A role assignment created: the Authorization RP's PascalCase request body on the Start record. */
export function roleAssignmentWrite(t: Timing & { assignment: string; principalId: string; scope: string; role?: string }): ArmOperation {
  return {
    ...t,
    operation: 'Microsoft.Authorization/roleAssignments/write',
    resourceId: `${t.scope}/providers/Microsoft.Authorization/roleAssignments/${t.assignment}`,
    request: {
      Id: t.assignment,
      Properties: { PrincipalId: t.principalId, PrincipalType: 'ServicePrincipal', RoleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${t.role ?? CRYPTO_SERVICE_ENCRYPTION_USER}`, Scope: t.scope, Condition: null, ConditionVersion: null },
    },
  };
}

/** A vault PATCH setting its firewall; the response states the vault as it now is. */
export function vaultFirewallWrite(t: Timing & { vault: string; deny: boolean }): ArmOperation {
  const networkAcls = { defaultAction: t.deny ? 'Deny' : 'Allow', bypass: 'None', ipRules: [], virtualNetworkRules: [] };
  return {
    ...t,
    operation: 'Microsoft.KeyVault/vaults/write',
    resourceId: vaultId(t.vault),
    request: { properties: { networkAcls } },
    response: { id: vaultId(t.vault), name: t.vault, properties: { enableSoftDelete: true, enablePurgeProtection: true, enableRbacAuthorization: true, networkAcls } },
  };
}

/** A vault delete; a delete lock makes it fail with 409 ScopeLocked. */
export function vaultDelete(t: Timing & { vault: string }): ArmOperation {
  return { ...t, operation: 'Microsoft.KeyVault/vaults/delete', resourceId: vaultId(t.vault), ...(t.outcome === 'failure' ? { failure: t.failure ?? { status: 'Conflict', code: 'ScopeLocked' } } : {}) };
}

/** A SQL server write setting its identity to None (azure-formats.md §2.1 `Microsoft.Sql/servers/write`). */
export function serverIdentityNone(t: Timing & { server: string }): ArmOperation {
  return {
    ...t,
    operation: 'Microsoft.Sql/servers/write',
    resourceId: serverId(t.server),
    accepted: true,
    request: { location: 'eastus', identity: { type: 'None' }, properties: { administratorLogin: 'sqladmin' } },
  };
}

/** Setting a server's TDE protector to a Key Vault key version (asynchronous: Start, Accept, Success). */
export function protectorWrite(t: Timing & { server: string; vault: string; key: string; version: string }): ArmOperation {
  return {
    ...t,
    operation: 'Microsoft.Sql/servers/encryptionProtector/write',
    resourceId: `${serverId(t.server)}/encryptionProtector/current`,
    accepted: true,
    request: { properties: { serverKeyType: 'AzureKeyVault', serverKeyName: `${t.vault}_${t.key}_${t.version}`, autoRotationEnabled: false } },
  };
}

/** A failover group failed over to `server` (the new primary; the action is posted to it): planned or forced. */
export function failoverGroupFailover(t: Timing & { server: string; group: string; forced?: boolean }): ArmOperation {
  return {
    ...t,
    operation: `Microsoft.Sql/servers/failoverGroups/${t.forced ? 'forceFailoverAllowDataLoss' : 'failover'}/action`,
    resourceId: `${serverId(t.server)}/failoverGroups/${t.group}`,
    accepted: true,
  };
}

/** A database written on `server`: with createMode Secondary it is a new geo-secondary (a replication link). */
export function databaseWrite(t: Timing & { server: string; database: string; createMode?: string; sourceDatabaseId?: string }): ArmOperation {
  return {
    ...t,
    operation: 'Microsoft.Sql/servers/databases/write',
    resourceId: `${serverId(t.server)}/databases/${t.database}`,
    accepted: true,
    ...(t.createMode ? { request: { location: 'westus', properties: { createMode: t.createMode, ...(t.sourceDatabaseId ? { sourceDatabaseId: t.sourceDatabaseId } : {}) } } } : {}),
  };
}

/** A geo-replication link removed (the secondary stops replicating). */
export function replicationLinkDelete(t: Timing & { server: string; database: string; link: string }): ArmOperation {
  return { ...t, operation: 'Microsoft.Sql/servers/databases/replicationLinks/delete', resourceId: `${serverId(t.server)}/databases/${t.database}/replicationLinks/${t.link}` };
}
