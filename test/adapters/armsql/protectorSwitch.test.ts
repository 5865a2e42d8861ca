// The ProtectorSwitch adapter through the real SqlManagementClient against the ARM SQL emulator, in both of ARM's
// answer styles: synchronous 200/201, and 202 + Azure-AsyncOperation (where refusals come through the operation).
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LocalEmulatorCredential } from '../../../adapters/azure/localCredential.js';
import {
  ArmSqlError,
  ArmSqlForbiddenError,
  ArmSqlGeoReplicationError,
  ArmSqlKeyAccessError,
  ArmSqlNotFoundError,
  createProtectorSwitch,
  type ProtectorSwitch,
} from '../../../adapters/armsql/index.js';
import type { DevCertificate } from '../../../emulators/certs.js';
import type { ArmSqlEmulator, ArmSqlEmulatorOptions } from '../../../emulators/armsql/index.js';
import { AUTOMATION, EUS, NEW_EUS, NEW_WUS, OLD, PRIMARY, SECONDARY, WUS, devCert, kid, sdkPolicies, serverId, startGeoPair } from '../../emulators/armsql/support.js';

let cert: DevCertificate;
let em: ArmSqlEmulator | undefined;

beforeAll(async () => {
  cert = await devCert();
});

afterEach(async () => {
  await em?.close();
  em = undefined;
});

async function setup(o: Partial<Omit<ArmSqlEmulatorOptions, 'tls'>> = {}): Promise<{ em: ArmSqlEmulator; sw: ProtectorSwitch }> {
  em = await startGeoPair(cert, o);
  const sw = createProtectorSwitch({
    credential: new LocalEmulatorCredential(AUTOMATION),
    endpoint: em.endpoint,
    additionalPolicies: sdkPolicies(cert),
    maxRetries: 0,
    pollIntervalMs: 10,
  });
  return { em, sw };
}

async function caught(p: Promise<unknown>): Promise<ArmSqlError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ArmSqlError) return e;
    throw e;
  }
  throw new Error('expected an ArmSqlError');
}

const successfulWrites = (e: ArmSqlEmulator): Array<{ server: string; operation: string; target: string }> =>
  e.history()
    .filter((h) => h.outcome.code === null)
    .map((h) => ({ server: h.serverName, operation: h.operation, target: h.target }));

describe.each(['sync', 'async'] as const)('ARM answering %s', (writeMode) => {
  it('switches the secondary, then the primary; the history shows that order', async () => {
    const { em, sw } = await setup({ writeMode });
    await sw.addServerKey(SECONDARY, kid(WUS, NEW_WUS));
    await sw.setProtector(SECONDARY, kid(WUS, NEW_WUS));
    await sw.addServerKey(PRIMARY, kid(EUS, NEW_EUS));
    await sw.setProtector(PRIMARY, kid(EUS, NEW_EUS));

    expect(successfulWrites(em)).toEqual([
      { server: 'sql-orders-wus', operation: 'keys/write', target: `${WUS}_sql-tde-protector_${NEW_WUS}` },
      { server: 'sql-orders-wus', operation: 'encryptionProtector/write', target: 'current' },
      { server: 'sql-orders-eus', operation: 'keys/write', target: `${EUS}_sql-tde-protector_${NEW_EUS}` },
      { server: 'sql-orders-eus', operation: 'encryptionProtector/write', target: 'current' },
    ]);
    expect(em.history().every((h) => h.async === (writeMode === 'async'))).toBe(true);
    expect(await sw.getProtector(PRIMARY)).toEqual({ serverKeyName: `${EUS}_sql-tde-protector_${NEW_EUS}`, kid: kid(EUS, NEW_EUS), serverKeyType: 'AzureKeyVault' });
    expect(await sw.getProtector(SECONDARY)).toMatchObject({ kid: kid(WUS, NEW_WUS) });
  });

  it('refuses the primary first while the secondary lacks the material: typed 400 KeyMaterialNotFoundOnRemoteServer', async () => {
    const { em, sw } = await setup({ writeMode });
    await sw.addServerKey(PRIMARY, kid(EUS, NEW_EUS));
    const err = await caught(sw.setProtector(PRIMARY, kid(EUS, NEW_EUS)));

    expect(err).toBeInstanceOf(ArmSqlGeoReplicationError);
    expect(err).toMatchObject({ status: 400, code: 'KeyMaterialNotFoundOnRemoteServer', retryable: false, server: 'sql-orders-eus', via: writeMode === 'sync' ? 'response' : 'async-operation' });
    expect(err.message).toContain("secondary server 'sql-orders-wus'");
    expect(err.message.split('\n')).toHaveLength(1);
    expect(em.history().at(-1)).toMatchObject({ operation: 'encryptionProtector/write', outcome: { status: 400, code: 'KeyMaterialNotFoundOnRemoteServer' }, changed: false });
    expect((await sw.getProtector(PRIMARY)).kid).toBe(kid(EUS, OLD));
  });

  it('is idempotent: a second addServerKey / setProtector writes nothing', async () => {
    const { em, sw } = await setup({ writeMode });
    await sw.addServerKey(SECONDARY, kid(WUS, NEW_WUS));
    await sw.setProtector(SECONDARY, kid(WUS, NEW_WUS));
    const writes = em.history().length;

    await sw.addServerKey(SECONDARY, kid(WUS, NEW_WUS));
    await sw.setProtector(SECONDARY, kid(WUS, NEW_WUS));
    expect(em.history()).toHaveLength(writes);
    expect(await sw.hasServerKey(SECONDARY, kid(WUS, NEW_WUS))).toBe(true);
  });

  it('refuses a key version its vault does not hold (keyExists false): typed 409 AzureKeyVaultKeyNameNotFound', async () => {
    const { em, sw } = await setup({ writeMode });
    const missing = kid(WUS, 'ffffffffffffffffffffffffffffffff');
    const err = await caught(sw.addServerKey(SECONDARY, missing));
    expect(err).toBeInstanceOf(ArmSqlKeyAccessError);
    expect(err).toMatchObject({ status: 409, code: 'AzureKeyVaultKeyNameNotFound', retryable: false });
    expect(await sw.hasServerKey(SECONDARY, missing)).toBe(false);
    expect(em.inspect(SECONDARY).keys).not.toHaveProperty(`${WUS}_sql-tde-protector_ffffffffffffffffffffffffffffffff`);
  });
});

describe('injected ARM failures', () => {
  it('403 AuthorizationFailed surfaces as a non-retryable ArmSqlForbiddenError; the next write goes through', async () => {
    const { em, sw } = await setup();
    const message = "The client '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d' with object id '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d' does not have authorization to perform action 'Microsoft.Sql/servers/keys/write'.";
    em.failNext('sql-orders-wus', 'keys/write', { status: 403, code: 'AuthorizationFailed', message });

    const err = await caught(sw.addServerKey(SECONDARY, kid(WUS, NEW_WUS)));
    expect(err).toBeInstanceOf(ArmSqlForbiddenError);
    expect(err).toMatchObject({ status: 403, code: 'AuthorizationFailed', retryable: false, operation: 'serverKeys.createOrUpdate' });
    expect(em.history().at(-1)).toMatchObject({ outcome: { status: 403, code: 'AuthorizationFailed' }, changed: false });

    await sw.addServerKey(SECONDARY, kid(WUS, NEW_WUS));
    expect(em.history().at(-1)).toMatchObject({ outcome: { status: 201, code: null }, changed: true });
  });

  it('503 AzureKeyVaultConnectionFailed is retryable', async () => {
    const { em, sw } = await setup();
    await sw.addServerKey(SECONDARY, kid(WUS, NEW_WUS));
    em.failNext(SECONDARY, 'encryptionProtector/write', { status: 503, code: 'AzureKeyVaultConnectionFailed', message: 'The operation could not be completed on the server because attempts to connect to Azure Key Vault have failed' });
    const err = await caught(sw.setProtector(SECONDARY, kid(WUS, NEW_WUS)));
    expect(err).toBeInstanceOf(ArmSqlKeyAccessError);
    expect(err).toMatchObject({ status: 503, retryable: true });
  });

  it('setting a protector whose server key was never added: typed 409 ServerKeyDoesNotExists', async () => {
    const { sw } = await setup();
    const err = await caught(sw.setProtector(SECONDARY, kid(WUS, NEW_WUS)));
    expect(err).toBeInstanceOf(ArmSqlNotFoundError);
    expect(err).toMatchObject({ status: 409, code: 'ServerKeyDoesNotExists', retryable: false });
  });

  it('an unknown server is a typed 404, not "no such key"', async () => {
    const { sw } = await setup();
    const err = await caught(sw.hasServerKey(serverId('sql-nowhere'), kid(WUS, NEW_WUS)));
    expect(err).toBeInstanceOf(ArmSqlNotFoundError);
    expect(err).toMatchObject({ status: 404, code: 'ResourceNotFound' });
  });
});

describe('inputs', () => {
  it('refuses a versionless kid and a non-SQL resource id before calling ARM', async () => {
    const { em, sw } = await setup();
    await expect(sw.addServerKey(SECONDARY, `https://${WUS}.vault.azure.net/keys/sql-tde-protector`)).rejects.toMatchObject({ code: 'InvalidKeyId', retryable: false });
    await expect(sw.getProtector('/subscriptions/x/resourceGroups/y/providers/Microsoft.KeyVault/vaults/z')).rejects.toMatchObject({ code: 'InvalidServerId' });
    expect(em.history()).toHaveLength(0);
  });

  it('refuses a server of another subscription when bound to one', async () => {
    em = await startGeoPair(cert);
    const sw = createProtectorSwitch({ credential: new LocalEmulatorCredential(AUTOMATION), subscriptionId: '00000000-0000-0000-0000-000000000001', endpoint: em.endpoint, additionalPolicies: sdkPolicies(cert) });
    await expect(sw.getProtector(PRIMARY)).rejects.toMatchObject({ code: 'SubscriptionMismatch' });
  });
});
