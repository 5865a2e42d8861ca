import { describe, expect, it } from 'vitest';
import type { DenialReason } from '../../../domain/events/keyEvent.js';
import { normaliseAuditRecord } from '../../../domain/normalise/keyVaultAudit.js';
import {
  ADMIN_OID,
  AUDIT,
  AUTOMATION_OID,
  auditRecord,
  envelopeRecords,
  first,
  KEY_NEW,
  KID_NEW,
  only,
  SQL_OID,
  V_NEW,
  V_OLD,
} from './records.js';

const ms = (iso: string): number => Date.parse(iso);
const SQL_MIRID = '/subscriptions/3c5e9a71-2b84-4f06-9d13-6a7b8c9d0e1f/resourcegroups/rg-data-prod/providers/microsoft.sql/servers/sql-orders-eus';
const LONG_OID = 'http://schemas.microsoft.com/identity/claims/objectidentifier';

describe('normaliseAuditRecord: shared fixtures', () => {
  it('KeyUnwrap 200 from the SQL server identity → key-access success with oid and mirid', () => {
    const [unwrap] = envelopeRecords(AUDIT.okAndRotate);
    expect(normaliseAuditRecord(unwrap)).toEqual({
      status: 'ok',
      events: [
        {
          kind: 'key-access',
          id: `kv|${ms('2026-03-02T14:05:11.482Z')}|keyunwrap|b1f0c3d2-6a7e-4f88-9b21-3e4d5c6a7b80|kv-cmk-prod-eus/sql-tde-protector/${V_OLD}|200|${SQL_OID}`,
          source: 'keyvault-audit',
          time: ms('2026-03-02T14:05:11.482Z'),
          operation: 'KeyUnwrap',
          key: { vault: 'kv-cmk-prod-eus', key: 'sql-tde-protector', version: V_OLD },
          identity: { oid: SQL_OID, mirid: SQL_MIRID },
          status: 200,
          outcome: 'success',
          denial: null,
        },
      ],
    });
  });

  it('KeyRotate → key-version-created with exp in ms and no nbf', () => {
    const [, rotate] = envelopeRecords(AUDIT.okAndRotate);
    expect(only(normaliseAuditRecord(rotate))).toEqual({
      kind: 'key-version-created',
      id: `kv|${ms('2026-03-02T14:06:02.117Z')}|keyrotate|0e9d8c7b-6a5f-4e3d-8c2b-1a0f9e8d7c6b|kv-cmk-prod-eus/sql-tde-protector/${V_NEW}|200|${AUTOMATION_OID}`,
      source: 'keyvault-audit',
      time: ms('2026-03-02T14:06:02.117Z'),
      operation: 'KeyRotate',
      key: KEY_NEW,
      exp: 1804118400_000,
      nbf: null,
    });
  });

  it('KeyUnwrap 403 with the RBAC text → denied, rbac', () => {
    expect(only(normaliseAuditRecord(first(AUDIT.forbidden)))).toEqual({
      kind: 'key-access',
      id: `kv|${ms('2026-03-03T02:17:45.903Z')}|keyunwrap|5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d|kv-cmk-prod-eus/sql-tde-protector/${V_NEW}|403|${SQL_OID}`,
      source: 'keyvault-audit',
      time: ms('2026-03-03T02:17:45.903Z'),
      operation: 'KeyUnwrap',
      key: KEY_NEW,
      identity: { oid: SQL_OID, mirid: null },
      status: 403,
      outcome: 'denied',
      denial: 'rbac',
    });
  });

  it('KeyGet 404 on a versionless key URI in the secondary vault → denied, not_found, empty correlationId', () => {
    expect(only(normaliseAuditRecord(first(AUDIT.notFound)))).toEqual({
      kind: 'key-access',
      id: `kv|${ms('2026-03-04T11:02:09.550Z')}|keyget||kv-cmk-prod-wus/sql-tde-protector/|404|${SQL_OID}`,
      source: 'keyvault-audit',
      time: ms('2026-03-04T11:02:09.550Z'),
      operation: 'KeyGet',
      key: { vault: 'kv-cmk-prod-wus', key: 'sql-tde-protector', version: null },
      identity: { oid: SQL_OID, mirid: null },
      status: 404,
      outcome: 'denied',
      denial: 'not_found',
    });
  });

  it('KeyUpdate enabled:false → key-attributes-changed', () => {
    expect(only(normaliseAuditRecord(first(AUDIT.update)))).toEqual({
      kind: 'key-attributes-changed',
      id: `kv|${ms('2026-03-03T09:40:12.004Z')}|keyupdate|c3d2e1f0-a9b8-4c7d-8e6f-5a4b3c2d1e0f|kv-cmk-prod-eus/sql-tde-protector/${V_NEW}|200|${ADMIN_OID}`,
      source: 'keyvault-audit',
      time: ms('2026-03-03T09:40:12.004Z'),
      operation: 'KeyUpdate',
      key: KEY_NEW,
      enabled: false,
      exp: 1804118400_000,
    });
  });

  it('VaultPatch (long claims, ARM requestUri) → vault-config from the nested properties', () => {
    expect(only(normaliseAuditRecord(first(AUDIT.vaultPatch)))).toEqual({
      kind: 'vault-config',
      id: `kv|${ms('2026-03-05T16:20:33.701Z')}|vaultpatch|7e6d5c4b-3a2f-4e1d-8c0b-9a8f7e6d5c4b|https://kv-cmk-prod-eus.vault.azure.net/|200|${ADMIN_OID}`,
      source: 'keyvault-audit',
      time: ms('2026-03-05T16:20:33.701Z'),
      operation: 'VaultPatch',
      vault: 'kv-cmk-prod-eus',
      phase: 'success',
      softDelete: true,
      purgeProtection: true,
      rbacAuthorization: true,
      networkAcls: { defaultAction: 'deny', bypassAzureServices: true },
    });
  });
});

const RBAC_TEXT = first(AUDIT.forbidden)['resultDescription'] as string;
const POLICY_TEXT =
  "The user, group or application 'appid=9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d;oid=5e2a7c1d-8f3b-4a6e-b9d0-1c2e3f4a5b6c;numgroups=0;iss=https://sts.windows.net/7d3f1c2a-5b4e-4c6d-9a8b-0e1f2a3b4c5d/' does not have keys unwrapKey permission on key vault 'kv-cmk-prod-eus;location=eastus'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287";
const FIREWALL_TEXT = 'Client address is not authorized and caller is not a trusted service.\r\nClient address: 20.42.8.17\r\nCaller: appid=…';

describe('denial classification', () => {
  // [name, status, resultDescription, isRbacAuthorized, isAccessPolicyMatch, outcome, denial]
  const table: Array<[string, number, string | undefined, boolean | undefined, boolean | undefined, 'denied' | 'transient', DenialReason | null]> = [
    ['RBAC text', 403, RBAC_TEXT, false, undefined, 'denied', 'rbac'],
    ['RBAC text, upper-cased, no flag', 403, RBAC_TEXT.toUpperCase(), undefined, undefined, 'denied', 'rbac'],
    ['RBAC flag only', 403, undefined, false, undefined, 'denied', 'rbac'],
    ['access-policy text', 403, POLICY_TEXT, undefined, false, 'denied', 'access_policy'],
    ['access-policy text, lower-cased, no flag', 403, POLICY_TEXT.toLowerCase(), undefined, undefined, 'denied', 'access_policy'],
    ['access-policy flag only', 403, undefined, undefined, false, 'denied', 'access_policy'],
    ['firewall text (flag says the caller is authorised)', 403, FIREWALL_TEXT, true, undefined, 'denied', 'firewall'],
    ['firewall text wins over an RBAC flag', 403, FIREWALL_TEXT, false, undefined, 'denied', 'firewall'],
    ['404 not found', 404, 'A key with (name/id) sql-tde-protector was not found in this key vault.', undefined, true, 'denied', 'not_found'],
    ['404 without text', 404, undefined, undefined, undefined, 'denied', 'not_found'],
    ['disabled key', 403, 'Operation unwrapKey is not allowed on a disabled key.', true, undefined, 'denied', 'disabled'],
    ['disabled key, 400, shouting', 400, 'OPERATION GET IS NOT ALLOWED ON A DISABLED KEY.', undefined, undefined, 'denied', 'disabled'],
    ['expired key', 403, 'Operation unwrapKey is not allowed on an expired key.', true, undefined, 'denied', 'expired'],
    ['not yet valid key', 400, 'Key not yet valid: operation is not allowed before its activation date.', undefined, undefined, 'denied', 'expired'],
    ['401 unauthenticated', 401, 'AKV10032: Invalid issuer.', undefined, undefined, 'denied', 'unauthenticated'],
    ['flags count only on a 403: 409 with isRbacAuthorized:false → other', 409, 'Conflict', false, false, 'denied', 'other'],
    ['409 conflict → other', 409, 'There was a conflict restoring the key.', true, undefined, 'denied', 'other'],
    ['403 with no clue → other', 403, undefined, true, true, 'denied', 'other'],
    ['429 throttled → transient', 429, 'Request was not processed because too many requests were received.', undefined, undefined, 'transient', null],
    ['500 → transient', 500, 'Internal error', false, undefined, 'transient', null],
    ['503 → transient', 503, undefined, undefined, undefined, 'transient', null],
  ];

  it.each(table)('%s', (_name, status, text, rbac, policy, outcome, denial) => {
    const rec = auditRecord(
      { resultDescription: text },
      { httpStatusCode: status, isRbacAuthorized: rbac, isAccessPolicyMatch: policy },
    );
    expect(only(normaliseAuditRecord(rec))).toMatchObject({ kind: 'key-access', key: KEY_NEW, status, outcome, denial });
  });

  it('accepts the status code as a numeric string', () => {
    expect(only(normaliseAuditRecord(auditRecord({}, { httpStatusCode: '403' })))).toMatchObject({ status: 403, denial: 'rbac' });
  });

  it('a failed key write (409 on KeyCreate) is a denied key-access, not a new version', () => {
    const rec = auditRecord({ operationName: 'KeyCreate', resultDescription: 'conflict' }, { httpStatusCode: 409 });
    expect(only(normaliseAuditRecord(rec))).toMatchObject({ kind: 'key-access', operation: 'KeyCreate', outcome: 'denied', denial: 'other' });
  });
});

describe('identity', () => {
  it('reads the long objectidentifier claim, lower-cased, and xms_mirid lower-cased', () => {
    const rec = auditRecord({
      identity: { claim: { [LONG_OID]: SQL_OID.toUpperCase(), xms_mirid: SQL_MIRID.toUpperCase() } },
    });
    expect(only(normaliseAuditRecord(rec))).toMatchObject({ identity: { oid: SQL_OID, mirid: SQL_MIRID } });
  });

  it('prefers the short oid claim when both are present', () => {
    const rec = auditRecord({ identity: { claim: { oid: SQL_OID, [LONG_OID]: ADMIN_OID } } });
    expect(only(normaliseAuditRecord(rec))).toMatchObject({ identity: { oid: SQL_OID, mirid: null } });
  });

  it('a 401 without identity has null oid and mirid', () => {
    const rec = auditRecord({ identity: undefined, resultDescription: 'AKV10000: Request is missing a Bearer or PoP token.' }, { httpStatusCode: 401 });
    expect(only(normaliseAuditRecord(rec))).toMatchObject({ identity: { oid: null, mirid: null }, denial: 'unauthenticated' });
  });

  it('a malformed identity reads as absent instead of rejecting the record', () => {
    expect(only(normaliseAuditRecord(auditRecord({ identity: 'nope' })))).toMatchObject({ identity: { oid: null, mirid: null } });
    expect(only(normaliseAuditRecord(auditRecord({ identity: { claim: { oid: 42 } } })))).toMatchObject({ identity: { oid: null } });
  });
});

describe('operation mapping', () => {
  const ok200 = (operationName: string, props: Record<string, unknown> = {}) =>
    auditRecord({ operationName, resultDescription: undefined }, { httpStatusCode: 200, isRbacAuthorized: true, ...props });

  it.each(['KeyGet', 'KeyWrap', 'KeyUnwrap', 'KeyEncrypt', 'KeyDecrypt', 'KeySign', 'KeyVerify'])('%s 200 → key-access success', (op) => {
    expect(only(normaliseAuditRecord(ok200(op)))).toMatchObject({ kind: 'key-access', operation: op, outcome: 'success', denial: null, status: 200 });
  });

  it.each(['KeyCreate', 'KeyImport', 'KeyRotate', 'KeyRotateIfDue', 'KeyRestore'])('%s → key-version-created with exp/nbf from epoch seconds', (op) => {
    const rec = ok200(op, { keyProperties: { type: 'RSA-HSM', attributes: { enabled: true, exp: 1804118400, nbf: 1772460362 } } });
    expect(only(normaliseAuditRecord(rec))).toMatchObject({ kind: 'key-version-created', key: KEY_NEW, exp: 1804118400_000, nbf: 1772460362_000 });
  });

  it('KeyUpdate without attributes → enabled and exp null', () => {
    expect(only(normaliseAuditRecord(ok200('KeyUpdate')))).toMatchObject({ kind: 'key-attributes-changed', enabled: null, exp: null });
  });

  it('takes the key from requestUri when properties.id is absent', () => {
    const rec = ok200('KeyGet', { id: undefined, requestUri: `https://KV-CMK-PROD-EUS.vault.azure.net/keys/SQL-TDE-PROTECTOR/${V_NEW.toUpperCase()}?api-version=7.4` });
    expect(only(normaliseAuditRecord(rec))).toMatchObject({ key: KEY_NEW });
  });

  it.each([
    ['KeyDelete', 'https://kv-cmk-prod-eus.vault.azure.net/keys/sql-tde-protector', 'key-deleted'],
    ['KeyPurge', 'https://kv-cmk-prod-eus.vault.azure.net/deletedkeys/sql-tde-protector', 'key-purged'],
    ['KeyRecover', 'https://kv-cmk-prod-eus.vault.azure.net/deletedkeys/sql-tde-protector/recover', 'key-recovered'],
  ])('%s → %s with a versionless key ref', (op, id, kind) => {
    const event = only(normaliseAuditRecord(ok200(op, { id, requestUri: `${id}?api-version=7.4` })));
    expect(event).toMatchObject({ kind, operation: op });
    expect('key' in event && event.key).toEqual({ vault: 'kv-cmk-prod-eus', key: 'sql-tde-protector' });
  });

  it.each(['VaultGet', 'VaultPut'])('%s → vault-config; absent purge protection and null networkAcls stay null', (op) => {
    const rec = ok200(op, {
      id: 'https://kv-cmk-prod-eus.vault.azure.net/',
      properties: { enableSoftDelete: true, enablePurgeProtection: null, enableRbacAuthorization: false, networkAcls: null },
    });
    expect(only(normaliseAuditRecord(rec))).toMatchObject({
      kind: 'vault-config',
      vault: 'kv-cmk-prod-eus',
      phase: 'success',
      softDelete: true,
      purgeProtection: null,
      rbacAuthorization: false,
      networkAcls: null,
    });
  });

  it('networkAcls Allow without AzureServices bypass', () => {
    const rec = ok200('VaultPut', { id: 'https://kv-cmk-prod-eus.vault.azure.net/', properties: { networkAcls: { bypass: 'None', defaultAction: 'Allow' } } });
    expect(only(normaliseAuditRecord(rec))).toMatchObject({
      networkAcls: { defaultAction: 'allow', bypassAzureServices: false },
      softDelete: null,
      purgeProtection: null,
      rbacAuthorization: null,
    });
  });

  it.each([
    ['VaultDelete', 'vault-deleted'],
    ['VaultRecover', 'vault-recovered'],
    ['VaultPurge', 'vault-purged'],
  ])('%s → %s, vault from the upper-cased resourceId', (op, kind) => {
    const rec = ok200(op, { id: undefined, requestUri: 'https://management.azure.com/subscriptions/x/providers/Microsoft.KeyVault?api-version=2023-07-01' });
    expect(only(normaliseAuditRecord(rec))).toMatchObject({ kind, vault: 'kv-cmk-prod-eus', phase: 'success' });
  });
});

describe('vault name fallbacks', () => {
  const vaultOp = (props: Record<string, unknown>) => auditRecord({ operationName: 'VaultDelete', resourceId: undefined, resultDescription: undefined }, { httpStatusCode: 200, ...props });

  it('uses the ARM requestUri when there is no resourceId or id', () => {
    const rec = vaultOp({ id: undefined, requestUri: 'https://management.azure.com/subscriptions/x/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/KV-Other?api-version=2023-07-01' });
    expect(only(normaliseAuditRecord(rec))).toMatchObject({ kind: 'vault-deleted', vault: 'kv-other' });
  });

  it('uses the data-plane vault URI in properties.id', () => {
    expect(only(normaliseAuditRecord(vaultOp({ id: 'https://kv-other.vault.azure.net/' })))).toMatchObject({ vault: 'kv-other' });
  });

  it('never takes "management" from an ARM host as a vault name', () => {
    const rec = vaultOp({ id: undefined, requestUri: 'https://management.azure.com/subscriptions/x/providers/Microsoft.KeyVault/vaults?api-version=2023-07-01' });
    expect(normaliseAuditRecord(rec)).toEqual({ status: 'rejected', reason: 'vault operation without a vault name' });
  });
});

describe('ignored records', () => {
  it.each([
    ['SecretGet', 200, 'https://kv-cmk-prod-eus.vault.azure.net/secrets/db-password/abc'],
    ['KeyList', 200, 'https://kv-cmk-prod-eus.vault.azure.net/keys'],
    ['Authentication', 200, 'https://kv-cmk-prod-eus.vault.azure.net/'],
    ['KeyNearExpiryEventGridNotification', 200, KID_NEW],
    ['CertificateGet', 200, 'https://kv-cmk-prod-eus.vault.azure.net/certificates/web'],
    ['KeyRelease', 200, KID_NEW],
    ['SecretGet', 403, 'https://kv-cmk-prod-eus.vault.azure.net/secrets/db-password/abc'],
    ['VaultPatch', 403, 'https://kv-cmk-prod-eus.vault.azure.net/'],
    ['KeyList', 403, 'https://kv-cmk-prod-eus.vault.azure.net/keys'],
    ['KeyExpiredEventGridNotification', 500, KID_NEW],
  ])('%s %i', (operationName, status, id) => {
    const rec = auditRecord({ operationName }, { httpStatusCode: status, id, requestUri: `${id}?api-version=7.4` });
    expect(normaliseAuditRecord(rec).status).toBe('ignored');
  });

  it('an ignored operation without httpStatusCode is still just ignored', () => {
    expect(normaliseAuditRecord(auditRecord({ operationName: 'SecretList' }, { httpStatusCode: undefined })).status).toBe('ignored');
  });
});

describe('rejected records', () => {
  it.each([
    ['null', null, 'not an object'],
    ['a string', 'KeyUnwrap', 'not an object'],
    ['a number', 42, 'not an object'],
    ['an array', [first(AUDIT.forbidden)], 'not an object'],
    ['missing time', auditRecord({ time: undefined }), 'missing time'],
    ['numeric time', auditRecord({ time: 1772504265903 }), 'missing time'],
    ['missing operationName', auditRecord({ operationName: undefined }), 'missing operationName'],
    ['missing properties', { ...first(AUDIT.forbidden), properties: undefined }, 'missing properties'],
    ['properties not an object', { ...first(AUDIT.forbidden), properties: 'x' }, 'missing properties'],
    ['bad time', auditRecord({ time: '2026-03-03 02:17:45' }), 'unparseable time'],
    ['time without offset', auditRecord({ time: '2026-03-03T02:17:45.9034410' }), 'unparseable time'],
    ['a key operation without status', auditRecord({}, { httpStatusCode: undefined }), 'missing properties.httpStatusCode'],
    ['a successful KeyGet naming no key', auditRecord({ operationName: 'KeyGet' }, { httpStatusCode: 200, id: 'https://kv-cmk-prod-eus.vault.azure.net/', requestUri: 'https://kv-cmk-prod-eus.vault.azure.net/?api-version=7.4' }), 'key operation without a key URI'],
  ])('%s', (_name, raw, reason) => {
    expect(normaliseAuditRecord(raw)).toEqual({ status: 'rejected', reason });
  });

  it('a 1 MB junk string in a field it does not read is fine; the same record without time is rejected', () => {
    const junk = 'x'.repeat(1 << 20);
    expect(only(normaliseAuditRecord(auditRecord({ callerIpAddress: junk }, { clientInfo: junk })))).toMatchObject({ denial: 'rbac' });
    expect(normaliseAuditRecord(auditRecord({ time: undefined }, { clientInfo: junk })).status).toBe('rejected');
  });

  it('a 1 MB resultDescription still classifies', () => {
    const rec = auditRecord({ resultDescription: `${'y'.repeat(1 << 20)} Client address is not authorized` });
    expect(only(normaliseAuditRecord(rec))).toMatchObject({ denial: 'firewall' });
  });
});

describe('event id', () => {
  it('is the same for a duplicate delivery and for the Log Analytics re-read (6 fractional digits, upper-case ids)', () => {
    const original = only(normaliseAuditRecord(first(AUDIT.forbidden)));
    const duplicate = only(normaliseAuditRecord(first(AUDIT.forbidden)));
    const reRead = first(AUDIT.forbidden);
    reRead['time'] = '2026-03-03T02:17:45.903441Z';
    reRead['correlationId'] = (reRead['correlationId'] as string).toUpperCase();
    (reRead['properties'] as Record<string, unknown>)['id'] = KID_NEW.toUpperCase();
    expect(duplicate.id).toBe(original.id);
    expect(only(normaliseAuditRecord(reRead)).id).toBe(original.id);
  });

  it('differs between the 403 and a 200 of the same call', () => {
    const denied = only(normaliseAuditRecord(first(AUDIT.forbidden)));
    const allowed = only(normaliseAuditRecord(auditRecord({ resultDescription: undefined }, { httpStatusCode: 200 })));
    expect(allowed.id).not.toBe(denied.id);
  });
});
