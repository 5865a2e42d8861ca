// Every listing discovery reads, through its own SDK client over HTTPS: the paths and api-versions the SDKs send are
// served, the shapes deserialize into the fields discovery needs, and paged listings are followed across `nextLink`
// pages (page size 1 here), each page counted as one ARM call.
import { describe, expect, it } from 'vitest';
import type { ArmEmulator } from '../../../emulators/arm/index.js';
import { A1, A2, A3, COSMOS_UAI, MI, PRINCIPALS, RG, SOLO, SUB_A, SUB_B, UAI, all, clients, cosmosId, kid, restError, emulatorPerTest, smallEstate, vaultId } from './support.js';

const session = emulatorPerTest();

const start = (pageSize = 1): Promise<ArmEmulator> => session.start({ pageSize });

describe('subscriptions (@azure/arm-resources-subscriptions, GET /subscriptions?api-version=2022-12-01)', () => {
  it('lists every subscription across pages, with names and state', async () => {
    const e = await start();
    const subs = await all(clients(e, session.cert()).subscriptions.subscriptions.list());
    expect(subs.map((s) => [s.subscriptionId, s.displayName, s.state])).toEqual([
      [SUB_A, 'data-prod', 'Enabled'],
      [SUB_B, 'data-dr', 'Enabled'],
    ]);
    expect(e.calls().byOperation['subscriptions.list']).toBe(2);
  });
});

describe('SQL servers (@azure/arm-sql 10)', () => {
  it('servers.list gives each subscription its servers, page by page', async () => {
    const e = await start();
    const c = clients(e, session.cert());
    expect((await all(c.sql(SUB_A).servers.list())).map((s) => s.id)).toEqual([A1, A2]);
    expect((await all(c.sql(SUB_B).servers.list())).map((s) => s.id)).toEqual([A3, SOLO]);
    // Two pages per subscription: one server each, the second page reached through nextLink.
    expect(e.calls().byOperation['servers.list']).toBe(4);
  });

  it('servers.get: system-assigned, user-assigned with primaryUserAssignedIdentityId, keyId; none for a new server', async () => {
    const e = await start();
    const c = clients(e, session.cert());
    expect(await c.sql(SUB_A).servers.get(RG, 'sql-a1')).toMatchObject({ location: 'eastus', identity: { type: 'SystemAssigned', principalId: PRINCIPALS.a1 }, keyId: kid('kv-eus', 'tde') });
    const a3 = await c.sql(SUB_B).servers.get(RG, 'sql-a3');
    expect(a3).toMatchObject({
      identity: { type: 'SystemAssigned,UserAssigned', principalId: PRINCIPALS.a3System, userAssignedIdentities: { [UAI]: { principalId: PRINCIPALS.a3User } } },
      primaryUserAssignedIdentityId: UAI,
      // Auto-rotation: the server follows the versionless key; its protector names the version in use.
      keyId: 'https://kv-neu.vault.azure.net/keys/tde',
    });
    expect(a3.identity?.userAssignedIdentities?.[UAI]?.clientId).toMatch(/^[0-9a-f-]{36}$/);
    const solo = await c.sql(SUB_B).servers.get(RG, 'sql-solo');
    expect(solo.identity).toBeUndefined();
    expect(solo.keyId).toBeUndefined();
  });

  it('encryptionProtectors.listByServer / get and serverKeys.listByServer: key type, name, uri, auto-rotation', async () => {
    const e = await start();
    const sql = clients(e, session.cert()).sql(SUB_B);
    expect(await all(sql.encryptionProtectors.listByServer(RG, 'sql-a3'))).toEqual([
      expect.objectContaining({ serverKeyType: 'AzureKeyVault', serverKeyName: 'kv-neu_tde_0a9b8c7d6e5f40312233445566778899', uri: kid('kv-neu', 'tde'), autoRotationEnabled: true }),
    ]);
    expect(await sql.encryptionProtectors.get(RG, 'sql-solo', 'current')).toMatchObject({ serverKeyType: 'ServiceManaged', serverKeyName: 'ServiceManaged' });
    expect((await all(sql.serverKeys.listByServer(RG, 'sql-a3'))).map((k) => k.name)).toEqual(['ServiceManaged', 'kv-neu_tde_0a9b8c7d6e5f40312233445566778899']);
  });

  it('replicationLinks.listByServer: one link per geo database and partner, roles from both sides, across subscriptions', async () => {
    const e = await start();
    const c = clients(e, session.cert());
    const fromPrimary = await all(c.sql(SUB_A).replicationLinks.listByServer(RG, 'sql-a1'));
    expect(fromPrimary.map((l) => [l.partnerDatabase, l.partnerServer, l.role, l.partnerRole, l.partnerLocation]).sort()).toEqual([
      ['ledger', 'sql-a2', 'Primary', 'Secondary', 'westus'],
      ['ledger', 'sql-a3', 'Primary', 'Secondary', 'northeurope'],
      ['orders', 'sql-a2', 'Primary', 'Secondary', 'westus'],
      ['orders', 'sql-a3', 'Primary', 'Secondary', 'northeurope'],
    ]);
    const fromSecondary = await all(c.sql(SUB_B).replicationLinks.listByServer(RG, 'sql-a3'));
    expect(fromSecondary.map((l) => [l.partnerDatabase, l.partnerServer, l.role, l.partnerRole]).sort()).toEqual([
      ['ledger', 'sql-a1', 'Secondary', 'Primary'],
      ['orders', 'sql-a1', 'Secondary', 'Primary'],
    ]);
    // The same link seen from both ends has the same name.
    expect(fromSecondary.map((l) => l.name).sort()).toEqual(fromPrimary.filter((l) => l.partnerServer === 'sql-a3').map((l) => l.name).sort());
    expect(await all(c.sql(SUB_B).replicationLinks.listByServer(RG, 'sql-solo'))).toEqual([]);
  });

  it('failoverGroups.listByServer / get: the group from each member, its role and its partners', async () => {
    const e = await start();
    const c = clients(e, session.cert());
    const [fg] = await all(c.sql(SUB_A).failoverGroups.listByServer(RG, 'sql-a1'));
    expect(fg).toMatchObject({ name: 'fg-orders', replicationRole: 'Primary', partnerServers: [{ id: A2, location: 'westus', replicationRole: 'Secondary' }], readWriteEndpoint: { failoverPolicy: 'Automatic' } });
    expect(fg?.databases?.sort()).toEqual([`${A1}/databases/ledger`, `${A1}/databases/orders`]);
    expect(await c.sql(SUB_A).failoverGroups.get(RG, 'sql-a2', 'fg-orders')).toMatchObject({ replicationRole: 'Secondary', partnerServers: [{ id: A1, replicationRole: 'Primary' }] });
    // sql-a3 is geo-linked by replication links only.
    expect(await all(c.sql(SUB_B).failoverGroups.listByServer(RG, 'sql-a3'))).toEqual([]);
    expect(await restError(c.sql(SUB_B).failoverGroups.get(RG, 'sql-a3', 'fg-orders'))).toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
  });

  it('databases.listByServer: sku tier, replicas on secondaries, and a database-level CMK as encryptionProtector', async () => {
    const e = await start();
    const c = clients(e, session.cert());
    const onPrimary = await all(c.sql(SUB_A).databases.listByServer(RG, 'sql-a1'));
    expect(onPrimary.map((d) => [d.name, d.sku?.tier, d.encryptionProtector ?? null])).toEqual([
      ['orders', 'GeneralPurpose', null],
      ['ledger', 'BusinessCritical', null],
      ['scratch', 'GeneralPurpose', kid('kv-eus', 'db-scratch')],
    ]);
    const onSecondary = await all(c.sql(SUB_A).databases.listByServer(RG, 'sql-a2'));
    expect(onSecondary.map((d) => [d.name, d.sku?.tier, d.secondaryType])).toEqual([
      ['orders', 'GeneralPurpose', 'Geo'],
      ['ledger', 'BusinessCritical', 'Geo'],
    ]);
  });

  it('managedInstances.list and managedInstanceEncryptionProtectors.listByInstance', async () => {
    const e = await start();
    const c = clients(e, session.cert());
    expect(await all(c.sql(SUB_A).managedInstances.list())).toEqual([expect.objectContaining({ id: MI, identity: expect.objectContaining({ principalId: PRINCIPALS.mi }), keyId: kid('kv-eus', 'mi-tde') })]);
    expect(await all(c.sql(SUB_B).managedInstances.list())).toEqual([]);
    expect(await all(c.sql(SUB_A).managedInstanceEncryptionProtectors.listByInstance(RG, 'mi-1'))).toEqual([
      expect.objectContaining({ type: 'Microsoft.Sql/managedInstances/encryptionProtector', serverKeyType: 'AzureKeyVault', uri: kid('kv-eus', 'mi-tde') }),
    ]);
    expect((await all(c.sql(SUB_A).managedInstanceKeys.listByInstance(RG, 'mi-1'))).map((k) => k.name)).toEqual(['ServiceManaged', 'kv-eus_mi-tde_0a9b8c7d6e5f40312233445566778899']);
  });
});

describe('Cosmos DB (@azure/arm-cosmosdb 16.4, api-version 2025-10-15)', () => {
  it('databaseAccounts.list: keyVaultKeyUri, defaultIdentity, identity, documentEndpoint; service-managed accounts too', async () => {
    const e = await start();
    const c = clients(e, session.cert());
    expect(await all(c.cosmos(SUB_A).databaseAccounts.list())).toEqual([
      expect.objectContaining({
        id: cosmosId(SUB_A, 'cosmos-orders'),
        keyVaultKeyUri: 'https://kv-eus.vault.azure.net/keys/cmk-cosmos-orders',
        defaultIdentity: `UserAssignedIdentity=${COSMOS_UAI}`,
        documentEndpoint: 'https://cosmos-orders.documents.azure.com:443/',
        identity: expect.objectContaining({ type: 'UserAssigned', userAssignedIdentities: { [COSMOS_UAI]: expect.objectContaining({ principalId: PRINCIPALS.cosmos }) } }),
      }),
    ]);
    const [plain] = await all(c.cosmos(SUB_B).databaseAccounts.list());
    expect(plain).toMatchObject({ name: 'cosmos-plain', defaultIdentity: 'FirstPartyIdentity' });
    expect(plain?.keyVaultKeyUri).toBeUndefined();
  });

  it('sqlResources.listSqlDatabases and listClientEncryptionKeys: keyWrapMetadata.value is the wrapping key', async () => {
    const e = await start();
    const cosmos = clients(e, session.cert()).cosmos(SUB_A);
    expect((await all(cosmos.sqlResources.listSqlDatabases(RG, 'cosmos-orders'))).map((d) => d.name)).toEqual(['app', 'empty']);
    const [cek] = await all(cosmos.sqlResources.listClientEncryptionKeys(RG, 'cosmos-orders', 'app'));
    expect(cek).toMatchObject({ name: 'cek-1', resource: { id: 'cek-1', encryptionAlgorithm: 'AEAD_AES_256_CBC_HMAC_SHA256', keyWrapMetadata: { type: 'AZURE_KEY_VAULT', value: kid('kv-wus', 'ae-orders'), algorithm: 'RSA-OAEP' } } });
    expect(await all(cosmos.sqlResources.listClientEncryptionKeys(RG, 'cosmos-orders', 'empty'))).toEqual([]);
  });

  it('client encryption keys the caller may not read answer 403 AuthorizationFailed', async () => {
    const config = smallEstate();
    const em = await session.start({ cosmosAccounts: (config.cosmosAccounts ?? []).map((a) => ({ ...a, clientEncryptionKeyReaders: ['someone-else'] })) });
    const err = await restError(all(clients(em, session.cert()).cosmos(SUB_A).sqlResources.listClientEncryptionKeys(RG, 'cosmos-orders', 'app')));
    expect(err).toMatchObject({ statusCode: 403, code: 'AuthorizationFailed' });
  });
});

describe('Key Vault (@azure/arm-keyvault 5, api-version 2026-02-01)', () => {
  it('vaults.listBySubscription across pages: vaultUri, soft delete, purge protection, RBAC, network ACLs', async () => {
    const e = await start();
    const c = clients(e, session.cert());
    const vaults = await all(c.keyVault(SUB_A).vaults.listBySubscription());
    expect(vaults.map((v) => v.name)).toEqual(['kv-eus', 'kv-wus']);
    expect(vaults[0]?.properties).toMatchObject({ vaultUri: 'https://kv-eus.vault.azure.net/', enableSoftDelete: true, softDeleteRetentionInDays: 90, enablePurgeProtection: true, enableRbacAuthorization: true });
    expect(vaults[1]?.properties).toMatchObject({ enableRbacAuthorization: false, softDeleteRetentionInDays: 7, networkAcls: { defaultAction: 'Deny', bypass: 'AzureServices' } });
    // ARM omits enablePurgeProtection until it is switched on.
    expect(vaults[1]?.properties.enablePurgeProtection).toBeUndefined();
    expect(e.calls().byOperation['vaults.listBySubscription']).toBe(2);
    expect((await c.keyVault(SUB_B).vaults.get(RG, 'kv-neu')).properties).toMatchObject({ sku: { name: 'premium' }, vaultUri: 'https://kv-neu.vault.azure.net/' });
    expect(await restError(c.keyVault(SUB_B).vaults.get(RG, 'kv-nowhere'))).toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
  });

  it('managedHsms.listBySubscription / get: hsmUri on managedhsm.azure.net', async () => {
    const e = await start();
    const c = clients(e, session.cert());
    expect(await all(c.keyVault(SUB_A).managedHsms.listBySubscription())).toEqual([]);
    const [hsm] = await all(c.keyVault(SUB_B).managedHsms.listBySubscription());
    expect(hsm).toMatchObject({ id: vaultId(SUB_B, 'hsm-1', 'managedHSMs'), properties: { hsmUri: 'https://hsm-1.managedhsm.azure.net/', enablePurgeProtection: true } });
    expect((await c.keyVault(SUB_B).managedHsms.get(RG, 'hsm-1')).name).toBe('hsm-1');
  });
});

describe('the call counter', () => {
  it('counts each request by SDK operation, and resets', async () => {
    const e = await start(50);
    const c = clients(e, session.cert());
    await all(c.sql(SUB_A).servers.list());
    await c.sql(SUB_A).servers.get(RG, 'sql-a2');
    await all(c.cosmos(SUB_A).databaseAccounts.list());
    expect(e.calls()).toEqual({ total: 3, byOperation: { 'databaseAccounts.list': 1, 'servers.get': 1, 'servers.list': 1 }, throttled: 0, throttledByOperation: {} });
    e.resetCalls();
    expect(e.calls().total).toBe(0);
  });
});
