// CekCatalog contract against the memory fake and the @azure/cosmos adapter on the Cosmos emulator (account key, as
// Azure requires for client-encryption-key writes), plus what only the real adapter can show: Entra ID can list
// but, where the account refuses Entra ID metadata writes (as Azure does), a rewrap is refused with a typed error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cosmosCekCatalogs, createCosmosCekCatalog } from '../../adapters/cosmos/cekCatalog.js';
import { CekAccessError } from '../../app/rewrap/cekPorts.js';
import { LocalEmulatorCredential } from '../../adapters/azure/localCredential.js';
import { MemoryCekCatalog } from '../../app/rewrap/memoryCekCatalog.js';
import type { DevCertificate } from '../../emulators/certs.js';
import type { CosmosEmulator } from '../../emulators/cosmos/index.js';
import { AUTOMATION, devCert, HTTPMethod, masterKeyHeaders, rawRequest, ResourceType, startEmulator } from '../emulators/cosmos/support.js';
import { cekCatalogContract, KEK1, KEK2, wrapUnder, type CekHarness } from './cekCatalogContract.js';

let cert: DevCertificate;
const emulators: CosmosEmulator[] = [];
const closers: Array<() => void> = [];
beforeAll(async () => {
  cert = await devCert();
});
afterAll(async () => {
  for (const c of closers) c();
  for (const e of emulators) await e.close();
});

cekCatalogContract('memory', async () => {
  const catalog = new MemoryCekCatalog(3);
  return {
    catalog,
    seed: async (db, id, kid, wrapped) => catalog.seed(db, id, kid, wrapped, 'cards-cmk'),
    wrappedOf: async (db, id) => catalog.wrappedOf(db, id),
    touch: async (db, id) => catalog.touch(db, id),
    createDatabase: async (db) => void catalog.emptyDatabases.add(db),
  };
});

async function cekWrite(em: CosmosEmulator, method: 'POST' | 'PUT', db: string, body: Record<string, unknown>, ifMatch?: string): Promise<void> {
  const link = method === 'POST' ? `dbs/${db}` : `dbs/${db}/clientencryptionkeys/${String(body['id'])}`;
  const headers = await masterKeyHeaders(em.masterKey, method === 'POST' ? HTTPMethod.post : HTTPMethod.put, ResourceType.clientencryptionkey, link);
  const url = `${em.endpoint}${method === 'POST' ? `dbs/${db}/clientencryptionkeys` : link}`;
  const res = await rawRequest(cert, url, { method, headers: { ...headers, 'content-type': 'application/json', ...(ifMatch ? { 'if-match': ifMatch } : {}) }, body: JSON.stringify(body) });
  if (res.status >= 300) throw new Error(`emulator ${method} ${res.status}: ${res.text}`);
}

cekCatalogContract('@azure/cosmos on the Cosmos emulator', async () => {
  const em = await startEmulator(cert, { databases: [{ id: 'orders' }, { id: 'billing' }], pageSize: 3 });
  emulators.push(em);
  const catalog = createCosmosCekCatalog(em.endpoint, { kind: 'key', key: em.masterKey }, 3);
  closers.push(() => catalog.close());
  const harness: CekHarness = {
    catalog,
    seed: (db, id, kid, wrapped) =>
      cekWrite(em, 'POST', db, { id, encryptionAlgorithm: 'AEAD_AES_256_CBC_HMAC_SHA256', keyWrapMetadata: { type: 'AZURE_KEY_VAULT', name: 'cards-cmk', value: kid, algorithm: 'RSA-OAEP' }, wrappedDataEncryptionKey: Buffer.from(wrapped).toString('base64') }),
    wrappedOf: async (db, id) => em.cek(db, id)?.wrappedDataEncryptionKey,
    createDatabase: async (db) => {
      const headers = await masterKeyHeaders(em.masterKey, HTTPMethod.post, ResourceType.database, '');
      const res = await rawRequest(cert, `${em.endpoint}dbs`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ id: db }) });
      if (res.status >= 300) throw new Error(`emulator create database ${res.status}: ${res.text}`);
    },
    touch: async (db, id) => {
      const c = em.cek(db, id);
      if (!c) return;
      await cekWrite(em, 'PUT', db, { id, encryptionAlgorithm: c.encryptionAlgorithm, keyWrapMetadata: c.keyWrapMetadata, wrappedDataEncryptionKey: c.wrappedDataEncryptionKey.toString('base64') }, c._etag);
    },
  };
  return harness;
});

describe('@azure/cosmos CekCatalog with Entra ID only', () => {
  it('lists, but where the account refuses Entra ID metadata writes (as Azure does) a rewrap is a typed refusal and nothing changes', async () => {
    const wrapped = wrapUnder(KEK1, Buffer.alloc(32, 7));
    const em = await startEmulator(cert, {
      aadMetadataWrites: 'refused',
      databases: [{ id: 'orders', clientEncryptionKeys: [{ id: 'a', keyWrapMetadata: { type: 'AZURE_KEY_VAULT', name: 'cards-cmk', value: KEK1, algorithm: 'RSA-OAEP' }, wrappedDataEncryptionKey: wrapped }] }],
    });
    emulators.push(em);
    em.grant(AUTOMATION.oid, 'contributor');
    const catalog = createCosmosCekCatalog(em.endpoint, { kind: 'aad', credential: new LocalEmulatorCredential(AUTOMATION) });
    closers.push(() => catalog.close());
    expect((await catalog.list('orders')).items.map((r) => r.id)).toEqual(['a']);
    const ops = { unwrap: async () => new Uint8Array(32), wrap: async () => new Uint8Array(256) };
    const err = await catalog.rewrap('orders', 'a', KEK1, { kekKid: KEK2, kekName: 'cards-cmk' }, ops).then(() => null, (e: unknown) => e);
    // A refusal the campaign stops on (retrying cannot help): it names the status, not the token.
    expect(err).toBeInstanceOf(CekAccessError);
    expect((err as Error).message).toMatch(/failed: 403/);
    expect((err as Error).message).not.toMatch(/eyJ|sig=/);
    expect(em.cek('orders', 'a')?.keyWrapMetadata.value).toBe(KEK1);
  });
});

describe('cosmosCekCatalogs', () => {
  const target = { endpoint: 'https://acct.documents.azure.com:443/', databases: ['orders'], keySetting: 'COSMOS_ORDERS_KEY' };
  it('refuses, naming the setting and nothing of its value, when the account key setting is empty', () => {
    const catalogs = cosmosCekCatalogs({ credential: new LocalEmulatorCredential(AUTOMATION), setting: () => '' });
    expect(() => catalogs.open(target)).toThrow(CekAccessError);
    expect(() => catalogs.open(target)).toThrow(/COSMOS_ORDERS_KEY/);
  });

  it('reads the setting on every open: a regenerated key gets a new client, the same key the same one', () => {
    let key = Buffer.alloc(64, 1).toString('base64');
    const catalogs = cosmosCekCatalogs({ credential: new LocalEmulatorCredential(AUTOMATION), setting: () => key });
    try {
      const first = catalogs.open(target);
      expect(catalogs.open(target)).toBe(first);
      key = Buffer.alloc(64, 2).toString('base64');
      expect(catalogs.open(target)).not.toBe(first);
    } finally {
      catalogs.close();
    }
  });
});
