// Activity-log record (Event Hubs shape, azure-formats.md §2.1) → an `AzureActivity` row (§2.3), for the Log
// Analytics emulator and the reconcile round-trip tests. `resultDescription` has no column of its own; it is
// kept in Properties_d.description [inferred — where the workspace puts it is not documented].
import type { LogColumn, LogRow } from './columns.js';
import { dt, dyn, kustoDatetime, str } from './columns.js';

type Obj = Readonly<Record<string, unknown>>;
const obj = (v: unknown): Obj | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined);
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export const AZURE_ACTIVITY_COLUMNS: readonly LogColumn[] = [
  ['TenantId', 'string'], ['SourceSystem', 'string'], ['CallerIpAddress', 'string'], ['CategoryValue', 'string'],
  ['CorrelationId', 'string'], ['Authorization', 'string'], ['Authorization_d', 'dynamic'], ['Claims', 'string'],
  ['Claims_d', 'dynamic'], ['Level', 'string'], ['OperationNameValue', 'string'], ['Properties', 'string'],
  ['Properties_d', 'dynamic'], ['Caller', 'string'], ['EventDataId', 'string'], ['EventSubmissionTimestamp', 'datetime'],
  ['HTTPRequest', 'string'], ['OperationId', 'string'], ['ResourceGroup', 'string'], ['ResourceProviderValue', 'string'],
  ['ActivityStatusValue', 'string'], ['ActivitySubstatusValue', 'string'], ['Hierarchy', 'string'], ['TimeGenerated', 'datetime'],
  ['SubscriptionId', 'string'], ['OperationName', 'string'], ['ActivityStatus', 'string'], ['ActivitySubstatus', 'string'],
  ['Category', 'string'], ['ResourceId', 'string'], ['ResourceProvider', 'string'], ['Resource', 'string'], ['Type', 'string'],
  ['_ResourceId', 'string'], ['_SubscriptionId', 'string'],
].map(([name, type]) => ({ name, type }) as LogColumn);

const ARM = /^\/subscriptions\/([^/]+)(?:\/resourcegroups\/([^/]+))?(?:\/providers\/([^/]+))?/i;
const UPN = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn';
const OID = 'http://schemas.microsoft.com/identity/claims/objectidentifier';

export function activityRecordToAzureActivityRow(record: unknown): LogRow {
  const r = obj(record) ?? {};
  const props = obj(r['properties']);
  const identity = obj(r['identity']);
  const claims = obj(identity?.['claims']);
  const authorization = obj(identity?.['authorization']);
  const resourceId = text(r['resourceId']) ?? '';
  const arm = ARM.exec(resourceId);
  const description = text(r['resultDescription']);
  const propertiesD = props && description !== undefined && props['description'] === undefined ? { ...props, description } : (props ?? (description !== undefined ? { description } : undefined));
  const signature = text(r['resultSignature']) ?? '';
  const substatus = signature.includes('.') ? signature.slice(signature.indexOf('.') + 1) : '';
  const time = kustoDatetime(r['time']);
  return {
    TenantId: str(''),
    SourceSystem: str('Azure'),
    CallerIpAddress: str(r['callerIpAddress']),
    CategoryValue: str(r['category']),
    CorrelationId: str(r['correlationId']),
    Authorization: str(authorization ? JSON.stringify(authorization) : ''),
    Authorization_d: dyn(authorization),
    Claims: str(claims ? JSON.stringify(claims) : ''),
    Claims_d: dyn(claims),
    Level: str(r['level']),
    OperationNameValue: str(r['operationName']),
    Properties: str(propertiesD ? JSON.stringify(propertiesD) : ''),
    Properties_d: dyn(propertiesD),
    Caller: str(text(claims?.[UPN]) ?? text(claims?.[OID]) ?? text(claims?.['oid']) ?? ''),
    EventDataId: str(text(r['eventDataId']) ?? text(props?.['eventDataId']) ?? ''),
    EventSubmissionTimestamp: dt(time),
    HTTPRequest: str(r['httpRequest'] ? JSON.stringify(r['httpRequest']) : ''),
    OperationId: str(text(props?.['operationId']) ?? ''),
    ResourceGroup: str(arm?.[2] ?? ''),
    ResourceProviderValue: str(arm?.[3] ?? ''),
    ActivityStatusValue: str(r['resultType']),
    ActivitySubstatusValue: str(substatus),
    Hierarchy: str(text(props?.['hierarchy']) ?? ''),
    TimeGenerated: dt(time),
    SubscriptionId: str(arm?.[1]?.toLowerCase() ?? ''),
    OperationName: str(text(props?.['message']) ?? r['operationName']),
    ActivityStatus: str(r['resultType']),
    ActivitySubstatus: str(substatus),
    Category: str(r['category']),
    ResourceId: str(resourceId),
    ResourceProvider: str(arm?.[3] ?? ''),
    Resource: str(resourceId.split('/').filter(Boolean).pop() ?? ''),
    Type: str('AzureActivity'),
    _ResourceId: str(resourceId.toLowerCase()),
    _SubscriptionId: str(arm?.[1]?.toLowerCase() ?? ''),
  };
}
