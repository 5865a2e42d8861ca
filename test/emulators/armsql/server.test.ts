// The ARM front of the emulator: bearer token required (no challenge round), api-version required, servers and
// replication links as the SDK reads them, and the async write style (202 + Azure-AsyncOperation) that core-lro polls.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DevCertificate } from '../../../emulators/certs.js';
import type { ArmSqlEmulator } from '../../../emulators/armsql/index.js';
import { EUS, NEW_EUS, NEW_WUS, PRIMARY, RG, SECONDARY, WUS, bearer, devCert, kid, rawRequest, restError, serverId, sqlClient, startGeoPair } from './support.js';

let cert: DevCertificate;
let em: ArmSqlEmulator | undefined;

beforeAll(async () => {
  cert = await devCert();
});

afterEach(async () => {
  await em?.close();
  em = undefined;
});

const protectorUrl = (e: ArmSqlEmulator, server = PRIMARY): string => `${e.endpoint}${server}/encryptionProtector/current?api-version=2020-11-01-preview`;

describe('authentication', () => {
  it('no Authorization header → 401 AuthenticationFailed with a Bearer WWW-Authenticate', async () => {
    em = await startGeoPair(cert);
    const res = await rawRequest(cert, protectorUrl(em));
    expect(res.status).toBe(401);
    expect(res.json).toEqual({ error: { code: 'AuthenticationFailed', message: "Authentication failed. The 'Authorization' header is missing." } });
    expect(res.headers['www-authenticate']).toMatch(/^Bearer authorization_uri="https:\/\/login\.windows\.net\/", error="invalid_token"/);
  });

  it('a bearer that is not a token → 401 InvalidAuthenticationToken; a write without token changes nothing', async () => {
    em = await startGeoPair(cert);
    expect(await rawRequest(cert, protectorUrl(em), { headers: { Authorization: 'Bearer nope' } })).toMatchObject({ status: 401, json: { error: { code: 'InvalidAuthenticationToken' } } });
    const put = await rawRequest(cert, protectorUrl(em), { method: 'PUT', body: '{"properties":{"serverKeyType":"ServiceManaged"}}', headers: { 'Content-Type': 'application/json' } });
    expect(put.status).toBe(401);
    expect(em.history()).toHaveLength(0);
  });

  it('the SDK sends its token on the first request (bearerTokenAuthenticationPolicy, no challenge round)', async () => {
    em = await startGeoPair(cert);
    const statuses: number[] = [];
    await sqlClient(em, cert).encryptionProtectors.get(RG, 'sql-orders-eus', 'current', { onResponse: (r) => statuses.push(r.status) });
    expect(statuses).toEqual([200]);
  });

  it('api-version is required (any value is accepted)', async () => {
    em = await startGeoPair(cert);
    const headers = { Authorization: await bearer() };
    expect(await rawRequest(cert, protectorUrl(em).replace(/\?.*$/, ''), { headers })).toMatchObject({ status: 400, json: { error: { code: 'MissingApiVersionParameter' } } });
    expect(await rawRequest(cert, protectorUrl(em).replace('2020-11-01-preview', '2023-08-01'), { headers })).toMatchObject({ status: 200 });
  });
});

describe('servers and replication links', () => {
  it('servers.get gives the location and the system-assigned identity', async () => {
    em = await startGeoPair(cert);
    const s = await sqlClient(em, cert).servers.get(RG, 'sql-orders-wus');
    expect(s).toMatchObject({ id: SECONDARY, name: 'sql-orders-wus', location: 'westus', identity: { type: 'SystemAssigned', principalId: '6f3b8d2e-9a4c-4b7f-8e1d-2d3f4a5b6c7d' } });
    expect(s.keyId).toBe(kid(WUS, '6f1c2d3e4a5b46c7889900aabbccddee'));
  });

  it('replicationLinks.listByServer shows the partner and both roles, from either side', async () => {
    em = await startGeoPair(cert);
    const sql = sqlClient(em, cert);
    const links = async (name: string): Promise<unknown[]> => {
      const out: unknown[] = [];
      for await (const l of sql.replicationLinks.listByServer(RG, name)) out.push(l);
      return out;
    };
    expect(await links('sql-orders-eus')).toEqual([
      expect.objectContaining({ partnerServer: 'sql-orders-wus', partnerLocation: 'westus', role: 'Primary', partnerRole: 'Secondary', linkType: 'GEO' }),
    ]);
    const [fromSecondary] = await links('sql-orders-wus');
    expect(fromSecondary).toMatchObject({ partnerServer: 'sql-orders-eus', role: 'Secondary', partnerRole: 'Primary' });
  });

  it('an unknown server → 404 ResourceNotFound; an unknown path → 404', async () => {
    em = await startGeoPair(cert);
    const err = await restError(sqlClient(em, cert).encryptionProtectors.get(RG, 'sql-nowhere', 'current'));
    expect(err).toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
    expect(err.message).toBe(`The Resource 'Microsoft.Sql/servers/sql-nowhere' under resource group '${RG}' was not found.`);
    const res = await rawRequest(cert, `${em.endpoint}${serverId('sql-orders-eus')}/firewallRules?api-version=1`, { headers: { Authorization: await bearer() } });
    expect(res.status).toBe(404);
  });
});

describe('async writes (202 + Azure-AsyncOperation)', () => {
  it('answers 202 with an operation URL whose status goes InProgress → Succeeded', async () => {
    em = await startGeoPair(cert, { writeMode: 'async', asyncPolls: 1 });
    const url = `${em.endpoint}${SECONDARY}/keys/${WUS}_sql-tde-protector_${NEW_WUS}?api-version=2020-11-01-preview`;
    const headers = { Authorization: await bearer(), 'Content-Type': 'application/json' };
    const put = await rawRequest(cert, url, { method: 'PUT', headers, body: JSON.stringify({ properties: { serverKeyType: 'AzureKeyVault', uri: kid(WUS, NEW_WUS) } }) });
    expect(put.status).toBe(202);
    const op = put.headers['azure-asyncoperation'];
    expect(op).toMatch(new RegExp(`^${em.endpoint}/subscriptions/[^/]+/providers/Microsoft.Sql/locations/westus/serverKeyAzureAsyncOperation/[0-9a-f-]{36}\\?api-version=`));
    expect((await rawRequest(cert, String(op), { headers })).json).toMatchObject({ status: 'InProgress' });
    expect((await rawRequest(cert, String(op), { headers })).json).toMatchObject({ status: 'Succeeded' });
  });

  it("a refusal decided on state is 202 first, then the operation's Failed status with the error", async () => {
    em = await startGeoPair(cert, { writeMode: 'async' });
    const headers = { Authorization: await bearer(), 'Content-Type': 'application/json' };
    const body = JSON.stringify({ properties: { serverKeyType: 'AzureKeyVault', serverKeyName: `${EUS}_sql-tde-protector_${NEW_EUS}` } });
    const put = await rawRequest(cert, protectorUrl(em), { method: 'PUT', headers, body });
    expect(put.status).toBe(202);
    expect((await rawRequest(cert, String(put.headers['azure-asyncoperation']), { headers })).json).toMatchObject({
      status: 'Failed',
      error: { code: 'ServerKeyDoesNotExists', message: 'The server key does not exist.' },
    });
  });

  it("a malformed request is refused on the PUT itself, as in sync mode", async () => {
    em = await startGeoPair(cert, { writeMode: 'async' });
    const err = await restError(sqlClient(em, cert).serverKeys.beginCreateOrUpdateAndWait(RG, 'sql-orders-wus', 'wrong-name', { serverKeyType: 'AzureKeyVault', uri: kid(WUS, NEW_WUS) }));
    expect(err).toMatchObject({ statusCode: 400, code: 'InvalidKeyName' });
  });

  it("the SDK's poller waits through InProgress polls and returns the resource", async () => {
    em = await startGeoPair(cert, { writeMode: 'async', asyncPolls: 2 });
    const key = await sqlClient(em, cert).serverKeys.beginCreateOrUpdateAndWait(
      RG,
      'sql-orders-wus',
      `${WUS}_sql-tde-protector_${NEW_WUS}`,
      { serverKeyType: 'AzureKeyVault', uri: kid(WUS, NEW_WUS) },
      { updateIntervalInMs: 10 },
    );
    expect(key).toMatchObject({ uri: kid(WUS, NEW_WUS), thumbprint: 'tp-new' });
  });

  it('core-lro reports a failed operation as a plain Error carrying the code', async () => {
    em = await startGeoPair(cert, { writeMode: 'async' });
    const sql = sqlClient(em, cert);
    await sql.serverKeys.beginCreateOrUpdateAndWait(RG, 'sql-orders-eus', `${EUS}_sql-tde-protector_${NEW_EUS}`, { serverKeyType: 'AzureKeyVault', uri: kid(EUS, NEW_EUS) });
    const p = sql.encryptionProtectors.beginCreateOrUpdateAndWait(RG, 'sql-orders-eus', 'current', { serverKeyType: 'AzureKeyVault', serverKeyName: `${EUS}_sql-tde-protector_${NEW_EUS}` });
    await expect(p).rejects.toThrow(/^The long-running operation has failed\. KeyMaterialNotFoundOnRemoteServer\. All servers linked by Geo replication/);
    expect(em.history().at(-1)).toMatchObject({ async: true, outcome: { status: 400, code: 'KeyMaterialNotFoundOnRemoteServer' } });
  });
});
