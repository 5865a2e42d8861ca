// Activity-log records of ARM operations in the shape Event Hubs receives them (azure-formats.md §2.1): upper-cased
// `operationName` and `resourceId`, the wrapper fields, the caller's identity, a Start record with the request body
// (a JSON string), an optional Accept, and a Success (with the response body) or Failure record (with the ARM error
// in `statusMessage`), sharing one correlationId. `activityRecord` builds one record (test fixtures use it too);
// `ActivityLog` writes the emulator's own operations, hands them to `onActivity` and keeps them for `activity()`.
import { randomUUID } from 'node:crypto';

export type ActivityRecord = Readonly<Record<string, unknown>>;

export interface ActivityCaller {
  readonly oid: string;
  readonly appid: string;
  readonly kind: 'app' | 'user';
  /** The role whose assignment allowed the operation (`identity.authorization.evidence.role`). */
  readonly role: string;
  readonly ipAddress: string;
}

export interface ActivityOperationRef {
  /** Normal casing, e.g. `Microsoft.Sql/servers/failoverGroups/failover/action`. */
  readonly operation: string;
  /** Normal-cased resource id; the records carry it upper-cased (and `properties.entity` as given). */
  readonly resourceId: string;
  readonly subscriptionId: string;
  readonly tenantId: string;
  readonly correlationId: string;
  readonly caller: ActivityCaller;
}

export interface ActivityPhase {
  readonly phase: 'Start' | 'Accept' | 'Success' | 'Failure';
  readonly at: number;
  readonly durationMs: number;
  /** `properties.statusCode` (`OK`, `Created`, `Accepted`, `Conflict`…); also the `resultSignature` suffix. Absent: not written. */
  readonly statusCode?: string;
  readonly serviceRequestId?: string;
  /** On a Start record: `properties.requestbody`. */
  readonly request?: unknown;
  /** On a Success record: `properties.responseBody`. */
  readonly response?: unknown;
  /** On a Failure record: `properties.statusMessage`. */
  readonly error?: { readonly code: string; readonly message: string };
}

/** Seven fractional digits, as Azure writes them. */
const timeOf = (ms: number): string => new Date(ms).toISOString().replace('Z', '0000Z');

function signature(p: ActivityPhase): string {
  if (p.phase === 'Start') return 'Started.';
  if (p.phase === 'Accept') return 'Accepted.Accepted';
  return `${p.phase === 'Success' ? 'Succeeded' : 'Failed'}.${p.statusCode ?? (p.phase === 'Success' ? 'OK' : 'BadRequest')}`;
}

export function activityRecord(op: ActivityOperationRef, p: ActivityPhase): ActivityRecord {
  const properties: Record<string, unknown> = {
    ...(p.statusCode !== undefined ? { statusCode: p.statusCode } : {}),
    ...(p.serviceRequestId !== undefined ? { serviceRequestId: p.serviceRequestId } : {}),
    eventCategory: 'Administrative',
    entity: op.resourceId,
    message: op.operation,
    hierarchy: `${op.tenantId}/${op.subscriptionId}`,
  };
  if (p.phase === 'Start' && p.request !== undefined) properties['requestbody'] = JSON.stringify(p.request);
  if (p.phase === 'Success' && p.response !== undefined) properties['responseBody'] = JSON.stringify(p.response);
  if (p.phase === 'Failure') properties['statusMessage'] = JSON.stringify({ error: p.error ?? { code: 'BadRequest', message: 'The operation failed.' } });
  const c = op.caller;
  return {
    RoleLocation: 'East US',
    Stamp: 'FDWeb',
    ReleaseVersion: '7.2026.9.3',
    VmSku: 'Standard_DS5_V2',
    time: timeOf(p.at),
    resourceId: op.resourceId.toUpperCase(),
    operationName: op.operation.toUpperCase(),
    category: 'Administrative',
    resultType: p.phase,
    resultSignature: signature(p),
    durationMs: String(p.durationMs),
    callerIpAddress: c.ipAddress,
    correlationId: op.correlationId,
    identity: {
      authorization: { scope: op.resourceId, action: op.operation, evidence: { role: c.role, roleAssignmentScope: `/subscriptions/${op.subscriptionId}`, principalId: c.oid.replaceAll('-', ''), principalType: c.kind === 'user' ? 'User' : 'ServicePrincipal' } },
      claims: { 'http://schemas.microsoft.com/identity/claims/objectidentifier': c.oid, appid: c.appid, idtyp: c.kind },
    },
    level: p.phase === 'Failure' ? 'Error' : 'Information',
    location: 'global',
    properties,
    tenantId: op.tenantId,
  };
}

export interface ActivityOperation {
  readonly operation: string;
  readonly resourceId: string;
  readonly subscriptionId: string;
  /** Object id of the caller (the token's `oid`, or the emulator's admin identity). */
  readonly caller: string;
  readonly request?: unknown;
  readonly response?: unknown;
  /** Of the Success record. */
  readonly statusCode: 'OK' | 'Created' | 'Accepted' | 'NoContent';
}

export class ActivityLog {
  private readonly records: ActivityRecord[] = [];

  constructor(
    private readonly tenantId: string,
    private readonly clock: () => number,
    private readonly onActivity: ((records: readonly ActivityRecord[]) => void) | undefined,
  ) {}

  all(): readonly ActivityRecord[] {
    return this.records;
  }

  /** Writes the Start and Success records of one completed operation. */
  emit(op: ActivityOperation, startedAt: number): readonly ActivityRecord[] {
    const end = this.clock();
    const ref: ActivityOperationRef = {
      operation: op.operation,
      resourceId: op.resourceId,
      subscriptionId: op.subscriptionId,
      tenantId: this.tenantId,
      correlationId: randomUUID(),
      caller: { oid: op.caller, appid: op.caller, kind: 'app', role: 'Contributor', ipAddress: '127.0.0.1' },
    };
    const out = [
      activityRecord(ref, { phase: 'Start', at: startedAt, durationMs: 0, ...(op.request !== undefined ? { request: op.request } : {}) }),
      activityRecord(ref, { phase: 'Success', at: end, durationMs: end - startedAt, statusCode: op.statusCode, serviceRequestId: randomUUID(), ...(op.response !== undefined ? { response: op.response } : {}) }),
    ];
    this.records.push(...out);
    try {
      this.onActivity?.(out);
    } catch {
      // An observer's failure must not fail the operation it observes.
    }
    return out;
  }
}
