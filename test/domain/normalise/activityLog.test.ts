import { describe, expect, it } from 'vitest';
import { normaliseActivityRecord } from '../../../domain/normalise/activityLog.js';
import { ACTIVITY, activityRecord, EUS_SERVER, EUS_VAULT_ID, events, first, KEY_NEW, KID_NEW, only, SQL_OID, SUB, SUB_UPPER, V_NEW } from './records.js';

const ms = (iso: string): number => Date.parse(iso);
const CORR = '31c2d3e4-f5a6-47b8-89c0-d1e2f3a4b5c6';
const PROTECTOR_ID = `${SUB_UPPER}/PROVIDERS/MICROSOFT.SQL/SERVERS/SQL-ORDERS-EUS/ENCRYPTIONPROTECTOR/CURRENT`;
const VAULT_ID_UPPER = `${SUB_UPPER}/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV-CMK-PROD-EUS`;
const ASSIGNMENT = `${EUS_VAULT_ID}/providers/microsoft.authorization/roleassignments/4c1d2e3f-5a6b-47c8-a9b0-c1d2e3f4a5b6`;
const CRYPTO_USER_ROLE = 'e147488a-f6f5-4113-8e2d-b22465e65bf6';

/** An activity record for `operationName` on `resourceId` with the given bodies (objects are stringified). */
function arm(operationName: string, resourceId: string, opts: { resultType?: string; request?: unknown; response?: unknown; props?: Record<string, unknown> } = {}) {
  return activityRecord(
    { operationName, resourceId, resultType: opts.resultType ?? 'Success', resultSignature: undefined },
    {
      requestbody: opts.request === undefined ? undefined : typeof opts.request === 'string' ? opts.request : JSON.stringify(opts.request),
      responseBody: opts.response === undefined ? undefined : typeof opts.response === 'string' ? opts.response : JSON.stringify(opts.response),
      entity: undefined,
      message: undefined,
      ...opts.props,
    },
  );
}

describe('normaliseActivityRecord: shared fixtures', () => {
  it('encryptionProtector/write Start → sql-protector-set with the key from serverKeyName', () => {
    const time = ms('2026-03-02T14:07:40.000Z');
    expect(normaliseActivityRecord(first(ACTIVITY.protector))).toEqual({
      status: 'ok',
      events: [
        {
          kind: 'sql-protector-set',
          id: `al|${CORR}|microsoft.sql/servers/encryptionprotector/write|start|${time}|${EUS_SERVER}/encryptionprotector/current`,
          source: 'activity-log',
          time,
          operation: 'Microsoft.Sql/servers/encryptionProtector/write',
          server: EUS_SERVER,
          phase: 'start',
          armOperation: `${CORR}|${EUS_SERVER}/encryptionprotector/current|microsoft.sql/servers/encryptionprotector/write`,
          correlationId: CORR,
          key: KEY_NEW,
          serverKeyType: 'AzureKeyVault',
        },
      ],
    });
  });

  it('roleAssignments/delete Success → role-assignment from the response body, not the caller evidence', () => {
    const time = ms('2026-03-03T02:05:19.227Z');
    expect(only(normaliseActivityRecord(first(ACTIVITY.roleDelete)))).toEqual({
      kind: 'role-assignment',
      id: `al|aa11bb22-cc33-4d44-8e55-ff6677889900|microsoft.authorization/roleassignments/delete|success|${time}|${ASSIGNMENT}`,
      source: 'activity-log',
      time,
      operation: 'Microsoft.Authorization/roleAssignments/delete',
      op: 'delete',
      phase: 'success',
      armOperation: `aa11bb22-cc33-4d44-8e55-ff6677889900|${ASSIGNMENT}|microsoft.authorization/roleassignments/delete`,
      correlationId: 'aa11bb22-cc33-4d44-8e55-ff6677889900',
      assignmentId: ASSIGNMENT,
      principalId: SQL_OID,
      roleDefinitionId: CRYPTO_USER_ROLE,
      scope: EUS_VAULT_ID,
    });
  });
});

describe('phases', () => {
  it.each([
    ['Start', undefined, 'start'],
    ['Started', undefined, 'start'],
    ['Success', undefined, 'success'],
    ['Succeeded', undefined, 'success'],
    ['Accept', undefined, 'start'],
    ['Accepted', undefined, 'start'],
    ['Failure', undefined, 'failure'],
    ['Failed', undefined, 'failure'],
    ['SUCCESS', undefined, 'success'],
    [undefined, 'Failed.Forbidden', 'failure'],
    [undefined, 'Started.', 'start'],
    [undefined, 'Succeeded.NoContent', 'success'],
  ])('resultType %s / resultSignature %s → %s', (resultType, resultSignature, phase) => {
    const rec = activityRecord({ resultType, resultSignature });
    expect(only(normaliseActivityRecord(rec))).toMatchObject({ kind: 'sql-protector-set', phase });
  });

  it('an unknown resultType on a tracked operation is rejected', () => {
    expect(normaliseActivityRecord(activityRecord({ resultType: 'Active', resultSignature: undefined }))).toEqual({ status: 'rejected', reason: 'unknown resultType' });
  });

  it('Start and Success of one operation have different ids; a duplicate has the same id', () => {
    const start = only(normaliseActivityRecord(activityRecord({ resultType: 'Start' })));
    const success = only(normaliseActivityRecord(activityRecord({ resultType: 'Success' })));
    const again = only(normaliseActivityRecord(activityRecord({ resultType: 'Success' })));
    expect(start.id).not.toBe(success.id);
    expect(again.id).toBe(success.id);
  });

  it('appends eventDataId to the id when present', () => {
    const event = only(normaliseActivityRecord(activityRecord({ eventDataId: 'ABC-123' })));
    expect(event.id.endsWith('|abc-123')).toBe(true);
  });
});

describe('case-insensitivity', () => {
  it('upper-cased (Event Hubs) and normal-cased names give the same event', () => {
    const upper = only(normaliseActivityRecord(first(ACTIVITY.roleDelete)));
    const lower = first(ACTIVITY.roleDelete);
    lower['operationName'] = 'Microsoft.Authorization/roleAssignments/delete';
    lower['resourceId'] = ASSIGNMENT;
    expect(only(normaliseActivityRecord(lower))).toEqual(upper);
  });

  it('keeps the recorded name when properties.message does not match it', () => {
    const rec = activityRecord({}, { message: 'something else' });
    expect(only(normaliseActivityRecord(rec)).operation).toBe('MICROSOFT.SQL/SERVERS/ENCRYPTIONPROTECTOR/WRITE');
  });
});

describe('role assignments', () => {
  it('write Start: PascalCase request body (Authorization RP)', () => {
    const rec = arm('MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE', ASSIGNMENT.toUpperCase(), {
      resultType: 'Start',
      request: {
        Id: '4c1d2e3f-5a6b-47c8-a9b0-c1d2e3f4a5b6',
        Properties: {
          PrincipalId: SQL_OID.toUpperCase(),
          PrincipalType: 'ServicePrincipal',
          RoleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${CRYPTO_USER_ROLE.toUpperCase()}`,
          Scope: '/subscriptions/3c5e9a71-2b84-4f06-9d13-6a7b8c9d0e1f/resourceGroups/rg-data-prod/providers/Microsoft.KeyVault/vaults/kv-cmk-prod-eus',
          Condition: null,
        },
      },
    });
    expect(only(normaliseActivityRecord(rec))).toMatchObject({
      kind: 'role-assignment',
      op: 'write',
      phase: 'start',
      assignmentId: ASSIGNMENT,
      principalId: SQL_OID,
      roleDefinitionId: CRYPTO_USER_ROLE,
      scope: EUS_VAULT_ID,
    });
  });

  it('delete Start without bodies: principal and role unknown, scope from the assignment id', () => {
    const rec = arm('MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/DELETE', ASSIGNMENT.toUpperCase(), { resultType: 'Start' });
    expect(only(normaliseActivityRecord(rec))).toMatchObject({ principalId: null, roleDefinitionId: null, scope: EUS_VAULT_ID });
  });

  it('falls back to properties.entity when resourceId is absent', () => {
    const rec = arm('Microsoft.Authorization/roleAssignments/delete', ASSIGNMENT, { props: { entity: ASSIGNMENT } });
    delete rec['resourceId'];
    expect(only(normaliseActivityRecord(rec))).toMatchObject({ assignmentId: ASSIGNMENT });
  });
});

describe('bad request bodies', () => {
  it.each(['{not json', '', '"a string"', '[1,2]', 'null'])('requestbody %j is treated as absent, not a rejection', (body) => {
    const rec = activityRecord({}, { requestbody: body });
    expect(only(normaliseActivityRecord(rec))).toMatchObject({ kind: 'sql-protector-set', key: null, serverKeyType: null });
  });

  it('a non-string requestbody is treated as absent', () => {
    const rec = activityRecord({}, { requestbody: { properties: { serverKeyName: 'x' } } });
    expect(only(normaliseActivityRecord(rec))).toMatchObject({ key: null });
  });
});

describe('Key Vault control plane', () => {
  const policyBody = {
    properties: {
      accessPolicies: [
        { tenantId: '7d3f1c2a-5b4e-4c6d-9a8b-0e1f2a3b4c5d', objectId: SQL_OID.toUpperCase(), permissions: { keys: ['Get', 'WrapKey', 'UnwrapKey'], secrets: ['get'] } },
        { tenantId: '7d3f1c2a-5b4e-4c6d-9a8b-0e1f2a3b4c5d', objectId: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d', permissions: { secrets: ['list'] } },
        { permissions: { keys: ['get'] } },
      ],
    },
  };

  it.each(['add', 'replace', 'remove'])('accessPolicies/%s → access-policy-changed with entries', (change) => {
    const rec = arm('MICROSOFT.KEYVAULT/VAULTS/ACCESSPOLICIES/WRITE', `${VAULT_ID_UPPER}/ACCESSPOLICIES/${change.toUpperCase()}`, { resultType: 'Start', request: policyBody });
    expect(only(normaliseActivityRecord(rec))).toMatchObject({
      kind: 'access-policy-changed',
      vault: 'kv-cmk-prod-eus',
      phase: 'start',
      correlationId: CORR,
      change,
      entries: [
        { principalId: SQL_OID, keyPermissions: ['get', 'wrapkey', 'unwrapkey'] },
        { principalId: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d', keyPermissions: [] },
      ],
    });
  });

  it('accessPolicies write on an unknown path and without a body → change unknown, no entries', () => {
    const rec = arm('MICROSOFT.KEYVAULT/VAULTS/ACCESSPOLICIES/WRITE', `${VAULT_ID_UPPER}/ACCESSPOLICIES`);
    expect(only(normaliseActivityRecord(rec))).toMatchObject({ change: 'unknown', entries: [] });
  });

  it('accessPolicies change kind from the request URI when the resource id lacks it', () => {
    const rec = arm('MICROSOFT.KEYVAULT/VAULTS/ACCESSPOLICIES/WRITE', VAULT_ID_UPPER, {
      props: { requestUri: `https://management.azure.com${EUS_VAULT_ID}/accessPolicies/remove?api-version=2023-07-01` },
    });
    expect(only(normaliseActivityRecord(rec))).toMatchObject({ change: 'remove' });
  });

  it('vaults/write with settings and access policies → vault-config and a replace, with distinct ids', () => {
    const rec = arm('MICROSOFT.KEYVAULT/VAULTS/WRITE', VAULT_ID_UPPER, {
      resultType: 'Start',
      request: {
        location: 'eastus',
        properties: {
          enableSoftDelete: true,
          enablePurgeProtection: true,
          enableRbacAuthorization: false,
          networkAcls: { bypass: 'None', defaultAction: 'Deny' },
          accessPolicies: policyBody.properties.accessPolicies,
        },
      },
    });
    const [config, policy] = events(normaliseActivityRecord(rec));
    expect(config).toMatchObject({
      kind: 'vault-config',
      vault: 'kv-cmk-prod-eus',
      phase: 'start',
      softDelete: true,
      purgeProtection: true,
      rbacAuthorization: false,
      networkAcls: { defaultAction: 'deny', bypassAzureServices: false },
    });
    expect(policy).toMatchObject({ kind: 'access-policy-changed', change: 'replace', vault: 'kv-cmk-prod-eus', phase: 'start' });
    expect(policy?.id).not.toBe(config?.id);
  });

  it('vaults/write: the response body states what the PATCH left unsaid; nothing stated → nulls', () => {
    const withResponse = arm('MICROSOFT.KEYVAULT/VAULTS/WRITE', VAULT_ID_UPPER, {
      request: { properties: { networkAcls: { defaultAction: 'Allow' } } },
      response: { properties: { enableSoftDelete: true, enablePurgeProtection: null, networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' } } },
    });
    expect(only(normaliseActivityRecord(withResponse))).toMatchObject({
      softDelete: true,
      purgeProtection: null,
      rbacAuthorization: null,
      networkAcls: { defaultAction: 'allow', bypassAzureServices: true },
    });
    const bare = arm('MICROSOFT.KEYVAULT/VAULTS/WRITE', VAULT_ID_UPPER);
    expect(only(normaliseActivityRecord(bare))).toMatchObject({ softDelete: null, purgeProtection: null, rbacAuthorization: null, networkAcls: null });
  });

  it('vaults/delete → vault-deleted', () => {
    expect(only(normaliseActivityRecord(arm('MICROSOFT.KEYVAULT/VAULTS/DELETE', VAULT_ID_UPPER)))).toMatchObject({ kind: 'vault-deleted', vault: 'kv-cmk-prod-eus', phase: 'success' });
  });

  it('deletedVaults purge → vault-purged, vault from the deleted-vault id', () => {
    const rec = arm('MICROSOFT.KEYVAULT/LOCATIONS/DELETEDVAULTS/PURGE/ACTION', '/SUBSCRIPTIONS/3C5E9A71-2B84-4F06-9D13-6A7B8C9D0E1F/PROVIDERS/MICROSOFT.KEYVAULT/LOCATIONS/EASTUS/DELETEDVAULTS/KV-CMK-PROD-EUS');
    expect(only(normaliseActivityRecord(rec))).toMatchObject({ kind: 'vault-purged', vault: 'kv-cmk-prod-eus' });
  });
});

describe('SQL', () => {
  const keysId = `${SUB_UPPER}/PROVIDERS/MICROSOFT.SQL/SERVERS/SQL-ORDERS-EUS/KEYS/KV-CMK-PROD-EUS_SQL-TDE-PROTECTOR_${V_NEW.toUpperCase()}`;

  it('encryption protector from properties.uri when there is no serverKeyName', () => {
    const rec = arm('MICROSOFT.SQL/SERVERS/ENCRYPTIONPROTECTOR/WRITE', PROTECTOR_ID, { response: { properties: { serverKeyType: 'AzureKeyVault', uri: KID_NEW } } });
    expect(only(normaliseActivityRecord(rec))).toMatchObject({ kind: 'sql-protector-set', server: EUS_SERVER, key: KEY_NEW, serverKeyType: 'AzureKeyVault' });
  });

  it('a service-managed protector has no key', () => {
    const rec = arm('MICROSOFT.SQL/SERVERS/ENCRYPTIONPROTECTOR/WRITE', PROTECTOR_ID, { request: { properties: { serverKeyType: 'ServiceManaged', serverKeyName: 'ServiceManaged' } } });
    expect(only(normaliseActivityRecord(rec))).toMatchObject({ key: null, serverKeyType: 'ServiceManaged' });
  });

  it('server keys/write with a uri body', () => {
    const rec = arm('MICROSOFT.SQL/SERVERS/KEYS/WRITE', keysId, { resultType: 'Start', request: { properties: { serverKeyType: 'AzureKeyVault', uri: KID_NEW } } });
    expect(only(normaliseActivityRecord(rec))).toEqual({
      kind: 'sql-server-key',
      id: expect.stringMatching(/^al\|/),
      source: 'activity-log',
      time: ms('2026-03-02T14:07:40.000Z'),
      operation: 'MICROSOFT.SQL/SERVERS/KEYS/WRITE',
      server: EUS_SERVER,
      op: 'write',
      phase: 'start',
      armOperation: `${CORR}|${keysId.toLowerCase()}|microsoft.sql/servers/keys/write`,
      correlationId: CORR,
      key: KEY_NEW,
    });
  });

  it('server keys/delete takes the key from the server key name in the resource id', () => {
    const rec = arm('MICROSOFT.SQL/SERVERS/KEYS/DELETE', keysId);
    expect(only(normaliseActivityRecord(rec))).toMatchObject({ kind: 'sql-server-key', op: 'delete', server: EUS_SERVER, key: KEY_NEW });
  });

  it.each([
    ['MakeDatabaseInaccessible', 'Start', 'inaccessible', 'start'],
    ['MakeDatabaseInaccessible', 'Success', 'inaccessible', 'success'],
    ['makemanageddatabaseinaccessible', 'Succeeded', 'inaccessible', 'success'],
    ['MakeDatabaseAccessible', 'Failed', 'accessible', 'failure'],
    ['MakeManagedDatabaseAccessible', 'Started', 'accessible', 'start'],
  ])('eventName %s / %s → sql-database-state %s', (eventName, resultType, state, phase) => {
    const rec = arm('MICROSOFT.SQL/SERVERS/DATABASES/WRITE', `${SUB_UPPER}/PROVIDERS/MICROSOFT.SQL/SERVERS/SQL-ORDERS-EUS/DATABASES/ORDERS`, { resultType, props: { eventName } });
    expect(only(normaliseActivityRecord(rec))).toMatchObject({ kind: 'sql-database-state', server: EUS_SERVER, database: 'orders', state, phase });
  });

  it('matches the event name inside operationName; database from the documented description', () => {
    const rec = arm('MakeDatabaseInaccessible', `${SUB_UPPER}/PROVIDERS/MICROSOFT.SQL/SERVERS/SQL-ORDERS-EUS`, { resultType: 'Started' });
    rec['resultDescription'] = 'Database orders on Server sql-orders-eus has lost access to Azure Key Vault Key and is now transitioning to inaccessible state.';
    expect(only(normaliseActivityRecord(rec))).toMatchObject({ kind: 'sql-database-state', server: EUS_SERVER, database: 'orders', state: 'inaccessible', phase: 'start' });
  });

  it('database state without a database anywhere → database null', () => {
    const rec = arm('MICROSOFT.SQL/SERVERS/WRITE', `${SUB_UPPER}/PROVIDERS/MICROSOFT.SQL/SERVERS/SQL-ORDERS-EUS`, { props: { eventName: 'MakeDatabaseAccessible' } });
    expect(only(normaliseActivityRecord(rec))).toMatchObject({ kind: 'sql-database-state', database: null, state: 'accessible' });
  });

  it('servers/write → sql-server-write with the identity type of either body, or none stated (every record is kept for judging)', () => {
    const server = `${SUB_UPPER}/PROVIDERS/MICROSOFT.SQL/SERVERS/SQL-ORDERS-EUS`;
    const removed = arm('MICROSOFT.SQL/SERVERS/WRITE', server, { resultType: 'Start', request: { location: 'eastus', identity: { type: 'None' } } });
    expect(only(normaliseActivityRecord(removed))).toMatchObject({ kind: 'sql-server-write', server: EUS_SERVER, identityType: 'none', phase: 'start' });
    const answered = arm('MICROSOFT.SQL/SERVERS/WRITE', server, { request: { identity: { type: 'None' } }, response: { identity: { type: 'SystemAssigned', principalId: SQL_OID } } });
    expect(only(normaliseActivityRecord(answered))).toMatchObject({ identityType: 'systemassigned', phase: 'success' });
    const bare = arm('MICROSOFT.SQL/SERVERS/WRITE', server, { resultType: 'Failure' });
    expect(only(normaliseActivityRecord(bare))).toMatchObject({ kind: 'sql-server-write', identityType: null, phase: 'failure' });
  });

  it('the records of one operation share its armOperation; another resource in the same correlation is another operation', () => {
    const server = `${SUB_UPPER}/PROVIDERS/MICROSOFT.SQL/SERVERS/SQL-ORDERS-EUS`;
    const start = only(normaliseActivityRecord(arm('MICROSOFT.SQL/SERVERS/WRITE', server, { resultType: 'Start' })));
    const success = only(normaliseActivityRecord(arm('Microsoft.Sql/servers/write', server.toLowerCase(), { resultType: 'Success' })));
    const other = only(normaliseActivityRecord(arm('MICROSOFT.SQL/SERVERS/WRITE', server.replace('EUS', 'WUS'), { resultType: 'Success' })));
    expect(start.id).not.toBe(success.id);
    expect((start as { armOperation?: string }).armOperation).toBe(`${CORR}|${EUS_SERVER}|microsoft.sql/servers/write`);
    expect((success as { armOperation?: string }).armOperation).toBe((start as { armOperation?: string }).armOperation);
    expect((other as { armOperation?: string }).armOperation).not.toBe((start as { armOperation?: string }).armOperation);
  });

  it('user-assigned identity delete → identity-removed with the identity id', () => {
    const id = `${SUB_UPPER}/PROVIDERS/MICROSOFT.MANAGEDIDENTITY/USERASSIGNEDIDENTITIES/ID-SQL-ORDERS`;
    expect(only(normaliseActivityRecord(arm('MICROSOFT.MANAGEDIDENTITY/USERASSIGNEDIDENTITIES/DELETE', id)))).toMatchObject({
      kind: 'identity-removed',
      resourceId: id.toLowerCase(),
    });
  });
});

describe('Cosmos DB', () => {
  it('databaseAccounts/write → cosmos-account-write with the key and default identity', () => {
    const account = `${SUB}/providers/microsoft.documentdb/databaseaccounts/cosmos-orders`;
    const uai = `${SUB}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-cosmos`;
    const rec = arm('MICROSOFT.DOCUMENTDB/DATABASEACCOUNTS/WRITE', account.toUpperCase(), {
      resultType: 'Start',
      request: { properties: { keyVaultKeyUri: 'https://kv-cmk-prod-eus.vault.azure.net/keys/cosmos-cmk', defaultIdentity: `UserAssignedIdentity=${uai}` } },
    });
    expect(only(normaliseActivityRecord(rec))).toMatchObject({
      kind: 'cosmos-account-write',
      account,
      phase: 'start',
      key: { vault: 'kv-cmk-prod-eus', key: 'cosmos-cmk', version: null },
      defaultIdentity: `UserAssignedIdentity=${uai.toLowerCase()}`,
    });
  });

  it('without a body → key and identity null', () => {
    const rec = arm('MICROSOFT.DOCUMENTDB/DATABASEACCOUNTS/WRITE', `${SUB_UPPER}/PROVIDERS/MICROSOFT.DOCUMENTDB/DATABASEACCOUNTS/COSMOS-ORDERS`);
    expect(only(normaliseActivityRecord(rec))).toMatchObject({ key: null, defaultIdentity: null });
  });
});

describe('ignored and rejected', () => {
  it.each(['MICROSOFT.COMPUTE/VIRTUALMACHINES/WRITE', 'MICROSOFT.SQL/SERVERS/ENCRYPTIONPROTECTOR/REVALIDATE/ACTION', 'MICROSOFT.KEYVAULT/VAULTS/READ'])('%s is ignored', (op) => {
    expect(normaliseActivityRecord(arm(op, PROTECTOR_ID)).status).toBe('ignored');
  });

  it.each([
    ['null', null, 'not an object'],
    ['a string', 'MICROSOFT.SQL/SERVERS/WRITE', 'not an object'],
    ['missing time', activityRecord({ time: undefined }), 'missing time'],
    ['missing operationName', activityRecord({ operationName: undefined }), 'missing operationName'],
    ['bad time', activityRecord({ time: 'yesterday' }), 'unparseable time'],
    ['protector write without a server in resourceId', activityRecord({ resourceId: '/subscriptions/x' }), 'encryption protector without a server'],
  ])('%s → rejected', (_name, raw, reason) => {
    expect(normaliseActivityRecord(raw)).toEqual({ status: 'rejected', reason });
  });

  it('a record without properties is still read', () => {
    const rec = activityRecord();
    delete rec['properties'];
    expect(only(normaliseActivityRecord(rec))).toMatchObject({ kind: 'sql-protector-set', key: null });
  });
});
