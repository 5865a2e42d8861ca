// The encryption protector through the real SqlManagementClient: its shape, switching it, the geo rule (a primary
// only switches to material its secondaries hold; secondaries switch freely), revalidate, and injected failures.
import type { SqlManagementClient } from '@azure/arm-sql';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DevCertificate } from '../../../emulators/certs.js';
import { startArmSqlEmulator, type ArmHistoryEntry, type ArmSqlEmulator } from '../../../emulators/armsql/index.js';
import { EUS, NEW_EUS, NEW_WUS, OLD, PRIMARY, RG, WUS, devCert, kid, restError, serverId, sqlClient, startGeoPair } from './support.js';

let cert: DevCertificate;
let em: ArmSqlEmulator | undefined;

beforeAll(async () => {
  cert = await devCert();
});

afterEach(async () => {
  await em?.close();
  em = undefined;
});

const nameOf = (vault: string, version: string): string => `${vault}_sql-tde-protector_${version}`;
const akv = (serverKeyName: string): { serverKeyType: string; serverKeyName: string; autoRotationEnabled: boolean } => ({ serverKeyType: 'AzureKeyVault', serverKeyName, autoRotationEnabled: false });

async function addKey(sql: SqlManagementClient, server: string, vault: string, version: string): Promise<void> {
  await sql.serverKeys.beginCreateOrUpdateAndWait(RG, server, nameOf(vault, version), { serverKeyType: 'AzureKeyVault', uri: kid(vault, version) });
}

describe('reading the protector', () => {
  it('shows the Azure Key Vault protector with its key name, uri and thumbprint', async () => {
    em = await startGeoPair(cert);
    const p = await sqlClient(em, cert).encryptionProtectors.get(RG, 'sql-orders-eus', 'current');
    expect(p).toMatchObject({
      id: `${PRIMARY}/encryptionProtector/current`,
      name: 'current',
      type: 'Microsoft.Sql/servers/encryptionProtector',
      kind: 'azurekeyvault',
      serverKeyName: nameOf(EUS, OLD),
      serverKeyType: 'AzureKeyVault',
      uri: kid(EUS, OLD),
      thumbprint: 'tp-old',
      autoRotationEnabled: false,
    });
  });

  it('a new server is service-managed; listByServer gives the one protector', async () => {
    em = await startArmSqlEmulator({ tls: { cert: cert.certPem, key: cert.keyPem }, servers: [{ resourceId: serverId('sql-new') }] });
    const sql = sqlClient(em, cert);
    expect(await sql.encryptionProtectors.get(RG, 'sql-new', 'current')).toMatchObject({ kind: 'servicemanaged', serverKeyName: 'ServiceManaged', serverKeyType: 'ServiceManaged' });
    const all = [];
    for await (const p of sql.encryptionProtectors.listByServer(RG, 'sql-new')) all.push(p.name);
    expect(all).toEqual(['current']);
  });
});

describe('encryptionProtector/write and the geo rule', () => {
  it('secondary first, then primary: both accepted, in that order', async () => {
    const seen: ArmHistoryEntry[] = [];
    em = await startGeoPair(cert, { onWrite: (e) => seen.push(e) });
    const sql = sqlClient(em, cert);
    await addKey(sql, 'sql-orders-wus', WUS, NEW_WUS);
    await sql.encryptionProtectors.beginCreateOrUpdateAndWait(RG, 'sql-orders-wus', 'current', akv(nameOf(WUS, NEW_WUS)));
    await addKey(sql, 'sql-orders-eus', EUS, NEW_EUS);
    const p = await sql.encryptionProtectors.beginCreateOrUpdateAndWait(RG, 'sql-orders-eus', 'current', akv(nameOf(EUS, NEW_EUS)));

    expect(p).toMatchObject({ serverKeyName: nameOf(EUS, NEW_EUS), uri: kid(EUS, NEW_EUS), thumbprint: 'tp-new' });
    expect(seen.map((h) => `${h.serverName} ${h.operation} ${h.outcome.status}`)).toEqual([
      'sql-orders-wus keys/write 201',
      'sql-orders-wus encryptionProtector/write 200',
      'sql-orders-eus keys/write 201',
      'sql-orders-eus encryptionProtector/write 200',
    ]);
    expect(seen[1]?.request).toEqual(akv(nameOf(WUS, NEW_WUS)));
    expect(em.inspect('sql-orders-eus').protector).toBe(nameOf(EUS, NEW_EUS));
  });

  it('primary first: 400 KeyMaterialNotFoundOnRemoteServer naming the secondary; the protector stays', async () => {
    em = await startGeoPair(cert);
    const sql = sqlClient(em, cert);
    await addKey(sql, 'sql-orders-eus', EUS, NEW_EUS);
    const err = await restError(sql.encryptionProtectors.beginCreateOrUpdateAndWait(RG, 'sql-orders-eus', 'current', akv(nameOf(EUS, NEW_EUS))));
    expect(err).toMatchObject({ statusCode: 400, code: 'KeyMaterialNotFoundOnRemoteServer' });
    expect(err.message).toBe(
      `All servers linked by Geo replication should have the same key material as the encryption protector of the primary server. Please add the key '${kid(EUS, NEW_EUS)}' with the same key material to the secondary server 'sql-orders-wus'.`,
    );
    expect(em.inspect(PRIMARY).protector).toBe(nameOf(EUS, OLD));
  });

  it('the secondary holding the key (not as protector) is enough for the primary', async () => {
    em = await startGeoPair(cert);
    const sql = sqlClient(em, cert);
    await addKey(sql, 'sql-orders-wus', WUS, NEW_WUS);
    await addKey(sql, 'sql-orders-eus', EUS, NEW_EUS);
    await sql.encryptionProtectors.beginCreateOrUpdateAndWait(RG, 'sql-orders-eus', 'current', akv(nameOf(EUS, NEW_EUS)));
    expect(em.inspect(PRIMARY).protector).toBe(nameOf(EUS, NEW_EUS));
  });

  it('without thumbprints the material is compared by exact URI', async () => {
    em = await startGeoPair(cert, { keyExists: () => true });
    const sql = sqlClient(em, cert);
    await addKey(sql, 'sql-orders-wus', WUS, NEW_WUS);
    await addKey(sql, 'sql-orders-eus', EUS, NEW_EUS);
    const err = await restError(sql.encryptionProtectors.beginCreateOrUpdateAndWait(RG, 'sql-orders-eus', 'current', akv(nameOf(EUS, NEW_EUS))));
    expect(err).toMatchObject({ statusCode: 400, code: 'KeyMaterialNotFoundOnRemoteServer' });

    await addKey(sql, 'sql-orders-wus', EUS, NEW_EUS);
    await sql.encryptionProtectors.beginCreateOrUpdateAndWait(RG, 'sql-orders-eus', 'current', akv(nameOf(EUS, NEW_EUS)));
    expect(em.inspect(PRIMARY).protector).toBe(nameOf(EUS, NEW_EUS));
  });

  it('refuses a server key the server does not have: 409 ServerKeyDoesNotExists', async () => {
    em = await startGeoPair(cert);
    const err = await restError(sqlClient(em, cert).encryptionProtectors.beginCreateOrUpdateAndWait(RG, 'sql-orders-wus', 'current', akv(nameOf(WUS, NEW_WUS))));
    expect(err).toMatchObject({ statusCode: 409, code: 'ServerKeyDoesNotExists' });
  });

  it('re-checks the key with the vault: a key disabled since it was added is refused', async () => {
    let disabled = false;
    em = await startGeoPair(cert, { keyExists: () => (disabled ? { usable: false, reason: 'disabled' } : true) });
    const sql = sqlClient(em, cert);
    await addKey(sql, 'sql-orders-wus', WUS, NEW_WUS);
    disabled = true;
    const err = await restError(sql.encryptionProtectors.beginCreateOrUpdateAndWait(RG, 'sql-orders-wus', 'current', akv(nameOf(WUS, NEW_WUS))));
    expect(err).toMatchObject({ statusCode: 401, code: 'AzureKeyVaultKeyDisabled' });
  });

  it('switching back to service-managed needs no key and no partner', async () => {
    em = await startGeoPair(cert);
    const p = await sqlClient(em, cert).encryptionProtectors.beginCreateOrUpdateAndWait(RG, 'sql-orders-eus', 'current', { serverKeyType: 'ServiceManaged' });
    expect(p).toMatchObject({ kind: 'servicemanaged', serverKeyName: 'ServiceManaged' });
  });

  it('an identical write is accepted and recorded as unchanged', async () => {
    em = await startGeoPair(cert);
    await sqlClient(em, cert).encryptionProtectors.beginCreateOrUpdateAndWait(RG, 'sql-orders-wus', 'current', akv(nameOf(WUS, OLD)));
    expect(em.history().at(-1)).toMatchObject({ outcome: { status: 200, code: null }, changed: false });
  });
});

describe('revalidate', () => {
  it('re-checks access to the protector: 200 while usable, the vault error once access is lost', async () => {
    let access = true;
    em = await startGeoPair(cert, { keyExists: () => (access ? true : { usable: false, reason: 'forbidden' }) });
    const sql = sqlClient(em, cert);
    await sql.encryptionProtectors.beginRevalidateAndWait(RG, 'sql-orders-eus', 'current');
    access = false;
    expect(await restError(sql.encryptionProtectors.beginRevalidateAndWait(RG, 'sql-orders-eus', 'current'))).toMatchObject({ statusCode: 401, code: 'AzureKeyVaultMissingPermissions' });
    expect(em.history().map((h) => [h.operation, h.outcome.status])).toEqual([
      ['encryptionProtector/revalidate/action', 200],
      ['encryptionProtector/revalidate/action', 401],
    ]);
  });
});

describe('failNext', () => {
  it('refuses only the next matching write, by server name or resource id', async () => {
    em = await startGeoPair(cert);
    const sql = sqlClient(em, cert);
    em.failNext(PRIMARY, 'encryptionProtector/write', { status: 403, code: 'AuthorizationFailed', message: 'no' });
    await addKey(sql, 'sql-orders-eus', EUS, NEW_EUS); // another operation: not refused
    await addKey(sql, 'sql-orders-wus', WUS, NEW_WUS);
    expect(await restError(sql.encryptionProtectors.beginCreateOrUpdateAndWait(RG, 'sql-orders-eus', 'current', akv(nameOf(EUS, NEW_EUS))))).toMatchObject({ statusCode: 403, code: 'AuthorizationFailed' });
    await sql.encryptionProtectors.beginCreateOrUpdateAndWait(RG, 'sql-orders-eus', 'current', akv(nameOf(EUS, NEW_EUS)));
    expect(em.history().map((h) => h.outcome.status)).toEqual([201, 201, 403, 200]);
  });

  it("a 429 with Retry-After is retried by the SDK's own throttling policy", async () => {
    em = await startGeoPair(cert);
    em.failNext('sql-orders-wus', '*', { status: 429, code: 'TooManyRequests', message: 'slow down', retryAfterSeconds: 0 });
    const sql = sqlClient(em, cert, { maxRetries: 3 });
    await addKey(sql, 'sql-orders-wus', WUS, NEW_WUS);
    expect(em.history().map((h) => [h.outcome.status, h.outcome.code])).toEqual([
      [429, 'TooManyRequests'],
      [201, null],
    ]);
  });
});
