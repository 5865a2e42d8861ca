// Translation of what @azure/arm-sql throws into typed ArmSqlErrors: the class, `retryable`, the status of a code
// reported through an async operation, and one-line messages with nothing token-like in them.
import { RestError, createHttpHeaders, createPipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { describe, expect, it } from 'vitest';
import {
  ArmSqlError,
  ArmSqlForbiddenError,
  ArmSqlGeoReplicationError,
  ArmSqlKeyAccessError,
  ArmSqlNotFoundError,
  ArmSqlThrottledError,
  ArmSqlUnauthenticatedError,
  parseServerId,
  sameKid,
  serverKeyNameOf,
  toArmSqlError,
} from '../../../adapters/armsql/index.js';

const AT = { server: 'sql-orders-eus', operation: 'encryptionProtectors.createOrUpdate' };
const TOKEN = 'eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJvaWQiOiIxYTJiM2M0ZCIsImF1ZCI6Imh0dHBzOi8vbWFuYWdlbWVudCJ9.';

function restError(status: number | undefined, code: string | undefined, message: string, headers: Record<string, string> = {}): RestError {
  const request = createPipelineRequest({ url: 'https://management.azure.com/x', headers: createHttpHeaders({ Authorization: `Bearer ${TOKEN}` }) });
  const response: PipelineResponse | undefined = status === undefined ? undefined : { status, headers: createHttpHeaders(headers), request };
  return new RestError(message, { ...(status !== undefined ? { statusCode: status } : {}), ...(code ? { code } : {}), request, ...(response ? { response } : {}) });
}

describe('toArmSqlError', () => {
  it.each([
    [400, 'KeyMaterialNotFoundOnRemoteServer', ArmSqlGeoReplicationError, false],
    [400, 'AzureKeyVaultKeyUsedOnGeoPrimary', ArmSqlGeoReplicationError, false],
    [401, 'AzureKeyVaultMissingPermissions', ArmSqlKeyAccessError, false],
    [503, 'AzureKeyVaultConnectionFailed', ArmSqlKeyAccessError, true],
    [400, 'SecurityInvalidAzureKeyVaultRecoveryLevel', ArmSqlKeyAccessError, false],
    [401, 'InvalidAuthenticationToken', ArmSqlUnauthenticatedError, false],
    [403, 'AuthorizationFailed', ArmSqlForbiddenError, false],
    [404, 'ResourceNotFound', ArmSqlNotFoundError, false],
    [409, 'ServerKeyDoesNotExists', ArmSqlNotFoundError, false],
    [409, 'ConflictingServerOperation', ArmSqlError, true],
    [500, 'InternalServerError', ArmSqlError, true],
    [400, 'InvalidKeyName', ArmSqlError, false],
  ] as const)('%i %s → %o, retryable %s', (status, code, cls, retryable) => {
    const e = toArmSqlError(restError(status, code, 'text'), AT);
    expect(e).toBeInstanceOf(cls);
    expect(e).toMatchObject({ status, code, retryable, via: 'response', server: 'sql-orders-eus', operation: AT.operation });
  });

  it('429 keeps Retry-After', () => {
    const e = toArmSqlError(restError(429, 'TooManyRequests', 'slow down', { 'retry-after': '7' }), AT);
    expect(e).toBeInstanceOf(ArmSqlThrottledError);
    expect(e).toMatchObject({ retryable: true, retryAfterMs: 7000 });
  });

  it('no response (connection refused) is retryable', () => {
    expect(toArmSqlError(restError(undefined, 'ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:443'), AT)).toMatchObject({ status: null, code: 'ECONNREFUSED', retryable: true, via: 'network' });
  });

  it("reads the code of a failure core-lro reports from the async operation, with the code's documented status", () => {
    const lro = new Error("The long-running operation has failed. KeyMaterialNotFoundOnRemoteServer. All servers linked by Geo replication should have the same key material as the encryption protector of the primary server. Please add the key 'https://kv-cmk-prod-eus.vault.azure.net/keys/k/v' with the same key material to the secondary server 'sql-orders-wus'.");
    const e = toArmSqlError(lro, AT);
    expect(e).toBeInstanceOf(ArmSqlGeoReplicationError);
    expect(e).toMatchObject({ status: 400, code: 'KeyMaterialNotFoundOnRemoteServer', retryable: false, via: 'async-operation' });
    expect(e.detail).toMatch(/^All servers linked by Geo replication/);
    expect(toArmSqlError(new Error('The long-running operation has failed. SomethingNew. text'), AT)).toMatchObject({ status: null, code: 'SomethingNew' });
  });

  it('anything else is a non-retryable ArmSqlError named after the error', () => {
    expect(toArmSqlError(new TypeError('x is undefined'), AT)).toMatchObject({ status: null, code: 'TypeError', retryable: false });
  });

  it('messages are one line and never carry a token, nor the SDK error', () => {
    const e = toArmSqlError(restError(401, 'InvalidAuthenticationToken', `The access token ${TOKEN} is invalid.\nsecond line`), AT);
    expect(e.message).toBe('ARM SQL encryptionProtectors.createOrUpdate on sql-orders-eus failed: 401 InvalidAuthenticationToken — The access token [redacted] is invalid.');
    expect(JSON.stringify(e)).not.toContain(TOKEN);
    expect(Object.values(e)).not.toContainEqual(expect.any(RestError));
  });
});

describe('names', () => {
  it('server key name from a kid: vault = first host label, also for the emulators and Managed HSM', () => {
    expect(serverKeyNameOf('https://kv-cmk-prod-eus.vault.azure.net/keys/sql-tde-protector/0a9b8c7d6e5f40312233445566778899')).toBe('kv-cmk-prod-eus_sql-tde-protector_0a9b8c7d6e5f40312233445566778899');
    expect(serverKeyNameOf('https://kv-a.vault.localhost:8443/keys/k/abc')).toBe('kv-a_k_abc');
    expect(serverKeyNameOf('https://hsm1.managedhsm.azure.net/keys/k/abc')).toBe('hsm1_k_abc');
  });

  it.each(['https://kv.vault.azure.net/keys/k', 'https://kv.vault.azure.net/keys/k/', 'http://kv.vault.azure.net/keys/k/v', 'https://kv.vault.azure.net/secrets/k/v', 'not a url'])('refuses %s', (k) => {
    expect(() => serverKeyNameOf(k)).toThrow(expect.objectContaining({ code: 'InvalidKeyId', retryable: false }));
  });

  it('server ids parse case-insensitively; other resources are refused', () => {
    expect(parseServerId('/SUBSCRIPTIONS/s1/RESOURCEGROUPS/rg/PROVIDERS/MICROSOFT.SQL/SERVERS/sql-a/')).toEqual({ subscriptionId: 's1', resourceGroup: 'rg', name: 'sql-a' });
    expect(() => parseServerId('/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Sql/servers/sql-a/databases/db')).toThrow(expect.objectContaining({ code: 'InvalidServerId' }));
  });

  it('kids compare case-insensitively, trailing slash ignored', () => {
    expect(sameKid('https://KV.vault.azure.net/keys/K/ABC', 'https://kv.vault.azure.net/keys/k/abc/')).toBe(true);
    expect(sameKid('https://kv.vault.azure.net/keys/k/abc', 'https://kv.vault.azure.net/keys/k/abd')).toBe(false);
  });
});
