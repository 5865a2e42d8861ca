// Key Vault AuditEvent record (the raw Event Hubs / storage shape, azure-formats.md §1) → an `AZKVAuditLogs` row
// (the resource-specific table, §1.6), so the Log Analytics emulator can serve what the Key Vault emulator
// audited, and tests can prove the reconcile path reads back the same events as the Event Hubs path.
import type { LogColumn, LogRow } from './columns.js';
import { bool, dt, dyn, int, kustoDatetime, str } from './columns.js';

type Obj = Readonly<Record<string, unknown>>;
const obj = (v: unknown): Obj | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined);

/** The columns of AZKVAuditLogs this emulator fills, in order, with their Kusto types. */
export const AZKV_AUDIT_COLUMNS: readonly LogColumn[] = [
  ['TenantId', 'string'], ['TimeGenerated', 'datetime'], ['OperationName', 'string'], ['OperationVersion', 'string'],
  ['ResultType', 'string'], ['ResultSignature', 'string'], ['ResultDescription', 'string'], ['DurationMs', 'int'],
  ['CallerIpAddress', 'string'], ['CorrelationId', 'string'], ['Identity', 'dynamic'], ['Properties', 'dynamic'],
  ['Id', 'string'], ['RequestUri', 'string'], ['ClientInfo', 'string'], ['HttpStatusCode', 'int'],
  ['IsAccessPolicyMatch', 'bool'], ['IsRbacAuthorized', 'bool'], ['AppliedAssignmentId', 'string'],
  ['IsAddressAuthorized', 'bool'], ['AddressAuthorizationType', 'string'], ['SubnetId', 'string'], ['Tlsversion', 'string'],
  ['TrustedService', 'string'], ['Algorithm', 'string'], ['KeyProperties', 'dynamic'], ['SecretProperties', 'dynamic'],
  ['CertificateProperties', 'dynamic'], ['CertificatePolicyProperties', 'dynamic'], ['CertificateIssuerProperties', 'dynamic'],
  ['CertificateRequestProperties', 'dynamic'], ['StorageAccountProperties', 'dynamic'], ['StorageSasDefinitionProperties', 'dynamic'],
  ['VaultProperties', 'dynamic'], ['NetworkAcls', 'dynamic'], ['Nsp', 'dynamic'], ['Sku', 'dynamic'],
  ['EnabledForDeployment', 'bool'], ['EnabledForDiskEncryption', 'bool'], ['EnabledForTemplateDeployment', 'bool'],
  ['EnablePurgeProtection', 'bool'], ['EnableRbacAuthorization', 'bool'], ['EnableSoftDelete', 'bool'],
  ['SoftDeleteRetentionInDays', 'int'], ['HsmPoolResourceId', 'string'], ['SourceSystem', 'string'], ['Type', 'string'],
  ['_ResourceId', 'string'], ['_SubscriptionId', 'string'],
].map(([name, type]) => ({ name, type }) as LogColumn);

const SUBSCRIPTION = /\/subscriptions\/([^/]+)/i;

/**
 * Maps one AuditEvent record. Typed columns are read from `properties`; `Properties` keeps the raw object
 * and `VaultProperties` the nested vault settings of Vault* operations. Lenient like the normalisers: a
 * missing or wrong-typed field becomes an empty/null cell, never an exception.
 */
export function auditRecordToAzkvRow(record: unknown): LogRow {
  const r = obj(record) ?? {};
  const p = obj(r['properties']) ?? {};
  const vault = obj(p['properties']);
  const resourceId = typeof r['resourceId'] === 'string' ? r['resourceId'] : '';
  const lowerId = resourceId.toLowerCase();
  return {
    TenantId: str(''),
    TimeGenerated: dt(kustoDatetime(r['time'])),
    OperationName: str(r['operationName']),
    OperationVersion: str(r['operationVersion']),
    ResultType: str(r['resultType']),
    ResultSignature: str(r['resultSignature']),
    ResultDescription: str(r['resultDescription']),
    DurationMs: int(r['durationMs']),
    CallerIpAddress: str(r['callerIpAddress']),
    CorrelationId: str(r['correlationId']),
    Identity: dyn(r['identity']),
    Properties: dyn(r['properties']),
    Id: str(p['id']),
    RequestUri: str(p['requestUri']),
    ClientInfo: str(p['clientInfo']),
    HttpStatusCode: int(p['httpStatusCode']),
    IsAccessPolicyMatch: bool(p['isAccessPolicyMatch']),
    IsRbacAuthorized: bool(p['isRbacAuthorized']),
    AppliedAssignmentId: str(p['appliedAssignmentId']),
    IsAddressAuthorized: bool(p['isAddressAuthorized']),
    AddressAuthorizationType: str(p['addrAuthType'] ?? p['addressAuthorizationType']),
    SubnetId: str(p['subnetId']),
    Tlsversion: str(p['tlsVersion']),
    TrustedService: str(p['trustedService']),
    Algorithm: str(p['algorithm']),
    KeyProperties: dyn(p['keyProperties']),
    SecretProperties: dyn(p['secretProperties']),
    CertificateProperties: dyn(p['certificateProperties']),
    CertificatePolicyProperties: dyn(p['certificatePolicyProperties']),
    CertificateIssuerProperties: dyn(p['certificateIssuerProperties']),
    CertificateRequestProperties: dyn(p['certificateRequestProperties']),
    StorageAccountProperties: dyn(p['storageAccountProperties']),
    StorageSasDefinitionProperties: dyn(p['storageSasDefinitionProperties']),
    VaultProperties: dyn(vault),
    NetworkAcls: dyn(vault?.['networkAcls']),
    Nsp: dyn(p['nsp']),
    Sku: dyn(vault?.['sku']),
    EnabledForDeployment: bool(vault?.['enabledForDeployment']),
    EnabledForDiskEncryption: bool(vault?.['enabledForDiskEncryption']),
    EnabledForTemplateDeployment: bool(vault?.['enabledForTemplateDeployment']),
    EnablePurgeProtection: bool(vault?.['enablePurgeProtection']),
    EnableRbacAuthorization: bool(vault?.['enableRbacAuthorization']),
    EnableSoftDelete: bool(vault?.['enableSoftDelete']),
    SoftDeleteRetentionInDays: int(vault?.['softDeleteRetentionInDays']),
    HsmPoolResourceId: str(lowerId.includes('/managedhsms/') ? lowerId : ''),
    SourceSystem: str('Azure'),
    Type: str('AZKVAuditLogs'),
    _ResourceId: str(lowerId),
    _SubscriptionId: str(SUBSCRIPTION.exec(lowerId)?.[1] ?? ''),
  };
}
