// An AZKVAuditLogs row (azure-formats.md §1.6) → the raw AuditEvent record of §1 that `normaliseAuditRecord`
// reads. Reconcile depends on this being faithful: the event ids computed from a re-read record must equal those
// of the Event Hubs copy (ms time, lower-cased parts), so the fold dedupes the two (I5). Typed columns win over
// the `Properties` blob, which in a real workspace need not carry every field.
import type { ColumnRow } from './cells.js';
import { boolOf, isoOf, numberOf, objectOf, put, textOf } from './cells.js';

const VAULT_FLAGS: ReadonlyArray<readonly [string, string]> = [
  ['EnabledForDeployment', 'enabledForDeployment'],
  ['EnabledForDiskEncryption', 'enabledForDiskEncryption'],
  ['EnabledForTemplateDeployment', 'enabledForTemplateDeployment'],
  ['EnableSoftDelete', 'enableSoftDelete'],
  ['EnableRbacAuthorization', 'enableRbacAuthorization'],
  ['EnablePurgeProtection', 'enablePurgeProtection'],
];

/** Vault settings of Vault* operations: `VaultProperties` when present, else rebuilt from the flattened columns. */
function vaultProperties(row: ColumnRow): Record<string, unknown> | undefined {
  const whole = objectOf(row['VaultProperties']);
  if (whole) return whole;
  const rebuilt: Record<string, unknown> = {};
  put(rebuilt, 'sku', objectOf(row['Sku']));
  put(rebuilt, 'networkAcls', objectOf(row['NetworkAcls']));
  for (const [column, field] of VAULT_FLAGS) put(rebuilt, field, boolOf(row[column]));
  put(rebuilt, 'softDeleteRetentionInDays', numberOf(row['SoftDeleteRetentionInDays']));
  return Object.keys(rebuilt).length > 0 ? rebuilt : undefined;
}

export function rowToAuditRecord(row: ColumnRow): Record<string, unknown> {
  const properties = objectOf(row['Properties']) ?? {};
  put(properties, 'id', textOf(row['Id']));
  put(properties, 'clientInfo', textOf(row['ClientInfo']));
  put(properties, 'httpStatusCode', numberOf(row['HttpStatusCode']));
  put(properties, 'requestUri', textOf(row['RequestUri']));
  put(properties, 'isAccessPolicyMatch', boolOf(row['IsAccessPolicyMatch']));
  put(properties, 'isRbacAuthorized', boolOf(row['IsRbacAuthorized']));
  put(properties, 'appliedAssignmentId', textOf(row['AppliedAssignmentId']));
  put(properties, 'tlsVersion', textOf(row['Tlsversion']));
  put(properties, 'trustedService', textOf(row['TrustedService']));
  put(properties, 'keyProperties', objectOf(row['KeyProperties']));
  if (properties['properties'] === undefined) put(properties, 'properties', vaultProperties(row));

  // Field order of real records (azure-formats.md §1.1), for people reading reconcile output.
  const record: Record<string, unknown> = {};
  put(record, 'time', isoOf(row['TimeGenerated']));
  record['category'] = 'AuditEvent';
  put(record, 'operationName', textOf(row['OperationName']));
  put(record, 'resultType', textOf(row['ResultType']));
  put(record, 'resultDescription', textOf(row['ResultDescription']));
  record['correlationId'] = typeof row['CorrelationId'] === 'string' ? row['CorrelationId'] : '';
  put(record, 'callerIpAddress', textOf(row['CallerIpAddress']));
  put(record, 'identity', objectOf(row['Identity']));
  record['properties'] = properties;
  // Event Hubs records carry the vault id upper-cased; the table keeps it lower-cased in _ResourceId.
  put(record, 'resourceId', (textOf(row['_ResourceId']) ?? textOf(row['ResourceId']))?.toUpperCase());
  put(record, 'operationVersion', textOf(row['OperationVersion']));
  put(record, 'resultSignature', textOf(row['ResultSignature']));
  const duration = numberOf(row['DurationMs']);
  put(record, 'durationMs', duration === undefined ? undefined : String(duration));
  return record;
}
