// An AzureActivity row (azure-formats.md §2.3) → the activity-log record Event Hubs delivers (§2.1), for
// `normaliseActivityRecord`. Only fields the Event Hubs copy also has are produced: an extra `eventDataId` would
// change the event id and defeat the dedupe between reconcile and the live stream.
import type { ColumnRow } from './cells.js';
import { isoOf, objectOf, put, textOf } from './cells.js';

// ActivityStatusValue → the first word of the Event Hubs resultSignature (`Started.`, `Succeeded.OK`).
const SIGNATURE_WORD: Readonly<Record<string, string>> = { start: 'Started', success: 'Succeeded', failure: 'Failed', accept: 'Accepted' };

export function rowToActivityRecord(row: ColumnRow): Record<string, unknown> {
  const status = textOf(row['ActivityStatusValue']) ?? textOf(row['ActivityStatus']);
  const substatus = textOf(row['ActivitySubstatusValue']) ?? textOf(row['ActivitySubstatus']) ?? '';
  const properties = objectOf(row['Properties_d']) ?? objectOf(row['Properties']);
  const authorization = objectOf(row['Authorization_d']) ?? objectOf(row['Authorization']);
  const claims = objectOf(row['Claims_d']) ?? objectOf(row['Claims']);

  const record: Record<string, unknown> = {};
  put(record, 'time', isoOf(row['TimeGenerated']));
  put(record, 'resourceId', (textOf(row['ResourceId']) ?? textOf(row['_ResourceId']))?.toUpperCase());
  put(record, 'operationName', (textOf(row['OperationNameValue']) ?? textOf(row['OperationName']))?.toUpperCase());
  put(record, 'category', textOf(row['CategoryValue']) ?? textOf(row['Category']));
  put(record, 'resultType', status);
  if (status !== undefined) record['resultSignature'] = `${SIGNATURE_WORD[status.toLowerCase()] ?? status}.${substatus}`;
  put(record, 'resultDescription', textOf(properties?.['description']));
  put(record, 'callerIpAddress', textOf(row['CallerIpAddress']));
  record['correlationId'] = typeof row['CorrelationId'] === 'string' ? row['CorrelationId'] : '';
  if (authorization || claims) {
    const identity: Record<string, unknown> = {};
    put(identity, 'authorization', authorization);
    put(identity, 'claims', claims);
    record['identity'] = identity;
  }
  put(record, 'level', textOf(row['Level']));
  put(record, 'properties', properties);
  return record;
}
