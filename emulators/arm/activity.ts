// Activity-log records of the emulator's ARM writes and actions, in the shape Event Hubs receives them
// (azure-formats.md §2.1): upper-cased `operationName` and `resourceId`, the wrapper fields, a Start record with the
// request body (a JSON string) and a Success record with the response body, sharing one correlationId. Handed to
// `onActivity` as each operation completes, and kept for `activity()`.
import { randomUUID } from 'node:crypto';

export type ActivityRecord = Readonly<Record<string, unknown>>;

export interface ActivityOperation {
  /** Normal casing, e.g. `Microsoft.Sql/servers/failoverGroups/failover/action`. */
  readonly operation: string;
  /** Normal-cased resource id; the records carry it upper-cased (and `properties.entity` as given). */
  readonly resourceId: string;
  readonly subscriptionId: string;
  /** Object id of the caller (the token's `oid`, or the emulator's admin identity). */
  readonly caller: string;
  readonly request?: unknown;
  readonly response?: unknown;
  /** Of the Success record. */
  readonly statusCode: 'OK' | 'Created' | 'Accepted' | 'NoContent';
}

/** Seven fractional digits, as Azure writes them. */
const timeOf = (ms: number): string => new Date(ms).toISOString().replace('Z', '0000Z');

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
    const correlationId = randomUUID();
    const end = this.clock();
    const out = [this.record(op, 'Start', startedAt, correlationId, 0), this.record(op, 'Success', end, correlationId, end - startedAt)];
    this.records.push(...out);
    try {
      this.onActivity?.(out);
    } catch {
      // An observer's failure must not fail the operation it observes.
    }
    return out;
  }

  private record(op: ActivityOperation, phase: 'Start' | 'Success', at: number, correlationId: string, durationMs: number): ActivityRecord {
    const properties: Record<string, unknown> = {
      statusCode: phase === 'Start' ? 'Accepted' : op.statusCode,
      serviceRequestId: randomUUID(),
      eventCategory: 'Administrative',
      entity: op.resourceId,
      message: op.operation,
      hierarchy: `${this.tenantId}/${op.subscriptionId}`,
    };
    if (phase === 'Start' && op.request !== undefined) properties['requestbody'] = JSON.stringify(op.request);
    if (phase === 'Success' && op.response !== undefined) properties['responseBody'] = JSON.stringify(op.response);
    return {
      RoleLocation: 'East US',
      Stamp: 'FDWeb',
      ReleaseVersion: '7.2026.9.3',
      VmSku: 'Standard_DS5_V2',
      time: timeOf(at),
      resourceId: op.resourceId.toUpperCase(),
      operationName: op.operation.toUpperCase(),
      category: 'Administrative',
      resultType: phase,
      resultSignature: phase === 'Start' ? 'Started.' : `Succeeded.${op.statusCode}`,
      durationMs: String(durationMs),
      callerIpAddress: '127.0.0.1',
      correlationId,
      identity: {
        authorization: { scope: op.resourceId, action: op.operation, evidence: { role: 'Contributor', roleAssignmentScope: `/subscriptions/${op.subscriptionId}`, principalId: op.caller.replaceAll('-', ''), principalType: 'ServicePrincipal' } },
        claims: { 'http://schemas.microsoft.com/identity/claims/objectidentifier': op.caller, 'http://schemas.microsoft.com/identity/claims/tenantid': this.tenantId, appid: op.caller, idtyp: 'app' },
      },
      level: 'Information',
      location: 'global',
      properties,
      tenantId: this.tenantId,
    };
  }
}
