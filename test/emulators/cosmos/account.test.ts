// Account discovery and databases: what CosmosClient reads from GET / (its endpoint manager must keep the client on
// the emulator), database reads and createIfNotExists, Cosmos-shaped error bodies, request validation, and paths
// outside the emulated subset.
import { EncryptionAlgorithm, type CosmosClient } from '@azure/cosmos';
import { describe, expect, it } from 'vitest';
import type { CosmosEmulator } from '../../../emulators/cosmos/index.js';
import { AUTOMATION, DB, HTTPMethod, KEK_V1, LocalKekResolver, ResourceType, cosmosClient, cosmosError, useCosmosTestLife, masterKeyHeaders, rawRequest, startEmulator, wrapMetadata, type ClientAuth } from './support.js';

const life = useCosmosTestLife();

async function emulator(): Promise<CosmosEmulator> {
  const em = await startEmulator(life.cert, { databases: [{ id: DB }] });
  em.grant(AUTOMATION.oid, 'contributor');
  life.open.push(em);
  return em;
}

function client(em: CosmosEmulator, auth: ClientAuth): CosmosClient {
  const c = cosmosClient(em, life.cert, auth, { resolver: new LocalKekResolver() });
  life.open.push(c);
  return c;
}

const signed = async (em: CosmosEmulator, verb: HTTPMethod, type: ResourceType, link: string, path = link): Promise<{ url: string; headers: Record<string, string> }> => ({
  url: `${em.endpoint}${path}`,
  headers: { ...(await masterKeyHeaders(em.masterKey, verb, type, link)), 'Content-Type': 'application/json' },
});

describe('account', () => {
  it('advertises the emulator itself as the only read and write location, so the client stays on it', async () => {
    const em = await emulator();
    expect(em.endpoint).toMatch(/^https:\/\/localhost:\d+\/$/);
    const c = client(em, { principal: AUTOMATION });
    const { resource } = await c.getDatabaseAccount();
    expect(resource?.writableLocations).toEqual([{ name: 'East US', databaseAccountEndpoint: em.endpoint }]);
    expect(resource?.readableLocations).toEqual([{ name: 'East US', databaseAccountEndpoint: em.endpoint }]);
    expect(resource?.consistencyPolicy).toBe('Session');
    expect(resource?.enableMultipleWritableLocations).toBe(false);
    expect(await c.getWriteEndpoint()).toBe(em.endpoint);
    expect(await c.getReadEndpoint()).toBe(em.endpoint);
  });

  it('answers GET / signed with the empty resource type and link', async () => {
    const em = await emulator();
    const { url, headers } = await signed(em, HTTPMethod.get, '' as ResourceType, '');
    const res = await rawRequest(life.cert, url, { headers });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ id: 'keysteward-local', _dbs: '//dbs/', userConsistencyPolicy: { defaultConsistencyLevel: 'Session' }, enableMultipleWriteLocations: false });
    expect(res.headers['x-ms-max-media-storage-usage-mb']).toBeDefined();
  });
});

describe('databases', () => {
  it.each([
    { name: 'the account key', auth: (em: CosmosEmulator): ClientAuth => ({ key: em.masterKey }) },
    { name: 'an AAD contributor', auth: (): ClientAuth => ({ principal: AUTOMATION }) },
  ])('createIfNotExists creates a database once, then reads it ($name)', async ({ auth }) => {
    const em = await emulator();
    const c = client(em, auth(em));
    const first = await c.databases.createIfNotExists({ id: 'orders-eu' });
    expect(first.statusCode).toBe(201);
    const again = await c.databases.createIfNotExists({ id: 'orders-eu' });
    expect(again.statusCode).toBe(200);
    expect(again.resource?._rid).toBe(first.resource?._rid);
    // The new database takes CEKs.
    await again.database.createClientEncryptionKey('cek-eu', EncryptionAlgorithm.AEAD_AES_256_CBC_HMAC_SHA256, wrapMetadata(KEK_V1));
    expect(em.ceks('orders-eu').map((k) => k.id)).toEqual(['cek-eu']);
    expect(em.ceks(DB)).toEqual([]);
  });

  it('reads a database with its system properties and etag header', async () => {
    const em = await emulator();
    const res = await client(em, { principal: AUTOMATION }).database(DB).read();
    expect(res.statusCode).toBe(200);
    const r = res.resource;
    expect(r?.id).toBe(DB);
    expect(r?._rid).toMatch(/^[A-Za-z0-9+=-]{8}$/);
    expect(r?._self).toBe(`dbs/${r?._rid ?? ''}/`);
    expect(r?._etag).toMatch(/^"[0-9a-f-]{36}"$/);
    expect(typeof r?._ts).toBe('number');
    expect(res.headers['etag']).toBe(r?._etag);
  });

  it('answers a missing database with 404 in the Cosmos shape, naming the activity', async () => {
    const em = await emulator();
    const err = await cosmosError(client(em, { principal: AUTOMATION }).database('nope').read());
    expect(err.code).toBe(404);
    expect(Object.keys(err.body ?? {})).toEqual(['code', 'message']);
    expect(err.body?.code).toBe('NotFound');
    expect(err.body?.message).toContain('Resource Not Found');
    expect(err.body?.message).toContain(`ActivityId: ${String(err.headers['x-ms-activity-id'])}`);
  });

  it('lists databases with the read feed (Databases)', async () => {
    const em = await emulator();
    await client(em, { key: em.masterKey }).databases.createIfNotExists({ id: 'orders-eu' });
    const { url, headers } = await signed(em, HTTPMethod.get, ResourceType.database, '', 'dbs');
    const res = await rawRequest(life.cert, url, { headers });
    expect(res.status).toBe(200);
    expect((res.json['Databases'] as Array<{ id: string }>).map((d) => d.id)).toEqual([DB, 'orders-eu']);
    expect(res.json['_count']).toBe(2);
  });
});

describe('request validation', () => {
  const cekBody = { id: 'cek-x', encryptionAlgorithm: 'AEAD_AES_256_CBC_HMAC_SHA256', keyWrapMetadata: wrapMetadata(KEK_V1), wrappedDataEncryptionKey: 'AAEC' };
  it.each([
    { name: 'no wrappedDataEncryptionKey', body: { ...cekBody, wrappedDataEncryptionKey: undefined }, text: "'wrappedDataEncryptionKey; '" },
    { name: 'no id', body: { ...cekBody, id: undefined }, text: "'id; '" },
    { name: 'an id with #', body: { ...cekBody, id: 'cek#1' }, text: 'is invalid' },
    { name: 'a wrapped key that is not base64', body: { ...cekBody, wrappedDataEncryptionKey: 'not base64!' }, text: 'base64' },
    { name: 'keyWrapMetadata without value', body: { ...cekBody, keyWrapMetadata: { ...wrapMetadata(KEK_V1), value: '' } }, text: 'value' },
    { name: 'a body that is not JSON', body: '{"id":', text: 'not valid JSON' },
  ])('refuses a CEK create with $name (400)', async ({ body, text }) => {
    const em = await emulator();
    const { url, headers } = await signed(em, HTTPMethod.post, ResourceType.clientencryptionkey, `dbs/${DB}`, `dbs/${DB}/clientencryptionkeys`);
    const res = await rawRequest(life.cert, url, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
    expect(res.status).toBe(400);
    expect(res.json['code']).toBe('BadRequest');
    expect(String(res.json['message'])).toContain(text);
    expect(em.ceks(DB)).toEqual([]);
  });

  it('refuses a replace whose body names another CEK (400)', async () => {
    const em = await emulator();
    await client(em, { key: em.masterKey }).database(DB).createClientEncryptionKey('cek-a', EncryptionAlgorithm.AEAD_AES_256_CBC_HMAC_SHA256, wrapMetadata(KEK_V1));
    const before = em.cek(DB, 'cek-a');
    const link = `dbs/${DB}/clientencryptionkeys/cek-a`;
    const { url, headers } = await signed(em, HTTPMethod.put, ResourceType.clientencryptionkey, link);
    const res = await rawRequest(life.cert, url, { method: 'PUT', headers, body: JSON.stringify({ ...cekBody, id: 'cek-b' }) });
    expect(res.status).toBe(400);
    expect(em.cek(DB, 'cek-a')).toEqual(before);
  });

  it.each([
    { name: 'a container path', verb: HTTPMethod.get, type: 'colls', link: `dbs/${DB}/colls/items`, status: 404, code: 'NotFound' },
    { name: 'DELETE of a CEK', verb: HTTPMethod.delete, type: 'clientencryptionkeys', link: `dbs/${DB}/clientencryptionkeys/cek-a`, status: 405, code: 'MethodNotAllowed' },
    { name: 'PUT of a database', verb: HTTPMethod.put, type: 'dbs', link: `dbs/${DB}`, status: 405, code: 'MethodNotAllowed' },
  ])('answers $name outside the subset with $status', async ({ verb, type, link, status, code }) => {
    const em = await emulator();
    const { url, headers } = await signed(em, verb, type as ResourceType, link);
    const res = await rawRequest(life.cert, url, { method: verb, headers, ...(verb === HTTPMethod.put ? { body: '{}' } : {}) });
    expect(res.status).toBe(status);
    expect(res.json['code']).toBe(code);
  });
});
