// Server keys through the real SqlManagementClient: the resource shape, paging, Azure's validation of keys/write,
// what the vault says about the key (keyExists), and the rules on deleting a key.
import type { SqlManagementClient } from '@azure/arm-sql';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DevCertificate } from '../../../emulators/certs.js';
import type { ArmSqlEmulator, KeyLookup } from '../../../emulators/armsql/index.js';
import { EUS, NEW_WUS, OLD, PRIMARY, RG, SECONDARY, WUS, bearer, devCert, kid, rawRequest, restError, sqlClient, startGeoPair } from './support.js';

let cert: DevCertificate;
let em: ArmSqlEmulator | undefined;

beforeAll(async () => {
  cert = await devCert();
});

afterEach(async () => {
  await em?.close();
  em = undefined;
});

const NOW = Date.parse('2026-03-02T14:07:40Z');
const nameOf = (vault: string, version: string): string => `${vault}_sql-tde-protector_${version}`;

async function start(o: Parameters<typeof startGeoPair>[1] = {}): Promise<{ em: ArmSqlEmulator; sql: SqlManagementClient }> {
  em = await startGeoPair(cert, { clock: () => NOW, ...o });
  return { em, sql: sqlClient(em, cert) };
}

describe('reading server keys', () => {
  it('gets a key as ARM shows it: kind azurekeyvault, uri, thumbprint, creationDate, autoRotationEnabled', async () => {
    const { sql } = await start();
    const key = await sql.serverKeys.get(RG, 'sql-orders-wus', nameOf(WUS, OLD));
    expect(key).toMatchObject({
      kind: 'azurekeyvault',
      name: nameOf(WUS, OLD),
      type: 'Microsoft.Sql/servers/keys',
      id: `${SECONDARY}/keys/${nameOf(WUS, OLD)}`,
      serverKeyType: 'AzureKeyVault',
      uri: kid(WUS, OLD),
      thumbprint: 'tp-old',
      autoRotationEnabled: false,
      location: 'westus',
    });
    expect(key.creationDate?.toISOString()).toBe('2026-03-02T14:07:40.000Z');
  });

  it('lists every key across nextLink pages, the ServiceManaged one included', async () => {
    const { sql } = await start({ pageSize: 1 });
    const names: string[] = [];
    for await (const k of sql.serverKeys.listByServer(RG, 'sql-orders-eus')) names.push(k.name ?? '');
    expect(names).toEqual(['ServiceManaged', nameOf(EUS, OLD), nameOf(WUS, OLD)]);
  });

  it('a missing key is 404 ServerKeyNotFound', async () => {
    const { sql } = await start();
    expect(await restError(sql.serverKeys.get(RG, 'sql-orders-wus', nameOf(WUS, NEW_WUS)))).toMatchObject({ statusCode: 404, code: 'ServerKeyNotFound' });
  });
});

describe('keys/write', () => {
  it('creates (201), then a repeat is 200 and changes nothing; both are in the history', async () => {
    const statuses: number[] = [];
    const { em, sql } = await start();
    const put = (): Promise<unknown> =>
      sql.serverKeys.beginCreateOrUpdateAndWait(RG, 'sql-orders-wus', nameOf(WUS, NEW_WUS), { serverKeyType: 'AzureKeyVault', uri: kid(WUS, NEW_WUS) }, { onResponse: (r) => statuses.push(r.status) });
    await put();
    await put();
    expect(statuses).toEqual([201, 200]);
    expect(em.history().map((h) => [h.operation, h.outcome.status, h.changed])).toEqual([
      ['keys/write', 201, true],
      ['keys/write', 200, false],
    ]);
    expect(em.history()[0]).toMatchObject({
      seq: 1,
      time: '2026-03-02T14:07:40.000Z',
      server: SECONDARY,
      serverName: 'sql-orders-wus',
      target: nameOf(WUS, NEW_WUS),
      request: { serverKeyType: 'AzureKeyVault', uri: kid(WUS, NEW_WUS) },
      async: false,
    });
  });

  it.each([
    ['a name that is not <vault>_<key>_<version>', 'kv-other_sql-tde-protector_x', { serverKeyType: 'AzureKeyVault', uri: kid(WUS, NEW_WUS) }, 400, 'InvalidKeyName'],
    ['a versionless uri', nameOf(WUS, NEW_WUS), { serverKeyType: 'AzureKeyVault', uri: `https://${WUS}.vault.azure.net/keys/sql-tde-protector` }, 400, 'AzureKeyVaultMalformedVaultUri'],
    ['a ServiceManaged key', 'ServiceManaged', { serverKeyType: 'ServiceManaged' }, 400, 'InvalidUpsertKeyType'],
    ['an unknown key type', nameOf(WUS, NEW_WUS), { serverKeyType: 'Pkcs11', uri: kid(WUS, NEW_WUS) }, 400, 'InvalidKeyType'],
  ])('refuses %s', async (_what, name, body, status, code) => {
    const { em, sql } = await start();
    expect(await restError(sql.serverKeys.beginCreateOrUpdateAndWait(RG, 'sql-orders-wus', name, body))).toMatchObject({ statusCode: status, code });
    expect(em.history().at(-1)).toMatchObject({ operation: 'keys/write', outcome: { status, code }, changed: false });
  });

  it('refuses a body without properties: 400 InvalidKeyUpsertRequest', async () => {
    const { em } = await start();
    const url = `${em.endpoint}${SECONDARY}/keys/${nameOf(WUS, NEW_WUS)}?api-version=2020-11-01-preview`;
    const res = await rawRequest(cert, url, { method: 'PUT', headers: { Authorization: await bearer(), 'Content-Type': 'application/json' }, body: '{"serverKeyType":"AzureKeyVault"}' });
    expect(res).toMatchObject({ status: 400, json: { error: { code: 'InvalidKeyUpsertRequest' } } });
  });

  it.each<[string, KeyLookup, number, string]>([
    ['does not exist', () => false, 409, 'AzureKeyVaultKeyNameNotFound'],
    ['is not readable by the server identity', () => ({ usable: false, reason: 'forbidden' }), 401, 'AzureKeyVaultMissingPermissions'],
    ['is disabled', () => ({ usable: false, reason: 'disabled' }), 401, 'AzureKeyVaultKeyDisabled'],
    ['is expired', () => ({ usable: false, reason: 'expired' }), 400, 'AzureKeyVaultInvalidExpirationDate'],
    ['is not RSA 2048/3072', () => ({ usable: false, reason: 'unsupported' }), 400, 'AzureKeyVaultRsaKeyNotSupported'],
    ['is in a vault that cannot be reached (the hook throws)', () => Promise.reject(new Error('ENOTFOUND')), 503, 'AzureKeyVaultConnectionFailed'],
  ])('refuses a key that %s', async (_what, keyExists, status, code) => {
    const { sql } = await start({ keyExists });
    const err = await restError(sql.serverKeys.beginCreateOrUpdateAndWait(RG, 'sql-orders-wus', nameOf(WUS, NEW_WUS), { serverKeyType: 'AzureKeyVault', uri: kid(WUS, NEW_WUS) }));
    expect(err).toMatchObject({ statusCode: status, code });
  });

  it('asks the hook as the server identity', async () => {
    const asked: unknown[] = [];
    const { sql } = await start({ keyExists: (k, caller) => (asked.push({ k, ...caller }), true) });
    asked.length = 0; // start-up asked about the seeded keys
    await sql.serverKeys.beginCreateOrUpdateAndWait(RG, 'sql-orders-wus', nameOf(WUS, NEW_WUS), { serverKeyType: 'AzureKeyVault', uri: kid(WUS, NEW_WUS) });
    expect(asked).toEqual([{ k: kid(WUS, NEW_WUS), server: SECONDARY, principalId: '6f3b8d2e-9a4c-4b7f-8e1d-2d3f4a5b6c7d' }]);
  });
});

describe('keys/delete', () => {
  it('deletes a key nobody protects with; deleting it again is 204', async () => {
    const statuses: number[] = [];
    const { em, sql } = await start();
    await sql.serverKeys.beginCreateOrUpdateAndWait(RG, 'sql-orders-wus', nameOf(WUS, NEW_WUS), { serverKeyType: 'AzureKeyVault', uri: kid(WUS, NEW_WUS) });
    await sql.serverKeys.beginDeleteAndWait(RG, 'sql-orders-wus', nameOf(WUS, NEW_WUS), { onResponse: (r) => statuses.push(r.status) });
    await sql.serverKeys.beginDeleteAndWait(RG, 'sql-orders-wus', nameOf(WUS, NEW_WUS), { onResponse: (r) => statuses.push(r.status) });
    expect(statuses).toEqual([200, 204]);
    expect(em.inspect(SECONDARY).keys).not.toHaveProperty(nameOf(WUS, NEW_WUS));
  });

  it("refuses the server's own protector: 409 AzureKeyVaultKeyInUse", async () => {
    const { sql } = await start();
    expect(await restError(sql.serverKeys.beginDeleteAndWait(RG, 'sql-orders-eus', nameOf(EUS, OLD)))).toMatchObject({ statusCode: 409, code: 'AzureKeyVaultKeyInUse' });
  });

  it("refuses, on the secondary, the material of the primary's protector: 400 AzureKeyVaultKeyUsedOnGeoPrimary", async () => {
    const { sql } = await start();
    // The secondary protects with its own vault's copy; the primary's copy (same material) must stay for a failover.
    const err = await restError(sql.serverKeys.beginDeleteAndWait(RG, 'sql-orders-wus', nameOf(EUS, OLD)));
    expect(err).toMatchObject({ statusCode: 400, code: 'AzureKeyVaultKeyUsedOnGeoPrimary' });
    expect(err.message).toContain(nameOf(EUS, OLD));
  });

  it('the primary may drop a key (the geo rule protects only the primary protector material)', async () => {
    const { em, sql } = await start();
    await sql.serverKeys.beginDeleteAndWait(RG, 'sql-orders-eus', nameOf(WUS, OLD));
    expect(Object.keys(em.inspect(PRIMARY).keys)).toEqual(['ServiceManaged', nameOf(EUS, OLD)]);
  });
});
