// Who may do what: per-principal data-plane roles for AAD callers (403 substatus 5301 naming the principal and
// the action), master-key signatures over verb / resource type / resource link / date (401 on any mismatch), the
// Azure mode that refuses metadata writes to AAD tokens (403 substatus 5300), and no secret in any error body.
import { EncryptionAlgorithm, type CosmosClient } from '@azure/cosmos';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LocalEmulatorCredential } from '../../../adapters/azure/localCredential.js';
import type { CosmosEmulator, CosmosEmulatorOptions } from '../../../emulators/cosmos/index.js';
import {
  AUTOMATION,
  DB,
  HTTPMethod,
  KEK_V1,
  KEK_V2,
  LocalKekResolver,
  READER,
  ResourceType,
  STRANGER,
  aadHeaders,
  cosmosClient,
  cosmosError,
  useCosmosTestLife,
  masterKeyHeaders,
  masterKeyHeadersAt,
  rawRequest,
  startEmulator,
  wrapMetadata,
  type ClientAuth,
} from './support.js';

const AEAD = EncryptionAlgorithm.AEAD_AES_256_CBC_HMAC_SHA256;
const SEEDED = 'cek-seeded';

const life = useCosmosTestLife();

async function emulator(o: Omit<CosmosEmulatorOptions, 'cert'> = {}): Promise<{ em: CosmosEmulator; resolver: LocalKekResolver }> {
  const resolver = new LocalKekResolver();
  const wrapped = await resolver.wrapKey(KEK_V1, 'RSA-OAEP', randomBytes(32));
  const em = await startEmulator(life.cert, { databases: [{ id: DB, clientEncryptionKeys: [{ id: SEEDED, keyWrapMetadata: wrapMetadata(KEK_V1), wrappedDataEncryptionKey: wrapped }] }], ...o });
  life.open.push(em);
  return { em, resolver };
}

function client(em: CosmosEmulator, auth: ClientAuth, resolver: LocalKekResolver): CosmosClient {
  const c = cosmosClient(em, life.cert, auth, { resolver });
  life.open.push(c);
  return c;
}

/** The operations keysteward performs, each as its caller would. */
const OPERATIONS = {
  readAccount: (c: CosmosClient) => c.getDatabaseAccount(),
  readDatabase: (c: CosmosClient) => c.database(DB).read(),
  readCek: (c: CosmosClient) => c.database(DB).readClientEncryptionKey(SEEDED),
  createCek: (c: CosmosClient) => c.database(DB).createClientEncryptionKey('cek-new', AEAD, wrapMetadata(KEK_V1)),
  rewrapCek: (c: CosmosClient) => c.database(DB).rewrapClientEncryptionKey(SEEDED, wrapMetadata(KEK_V2)),
} as const;
type Operation = keyof typeof OPERATIONS;
const ALL = Object.keys(OPERATIONS) as Operation[];
const READS: Operation[] = ['readAccount', 'readDatabase', 'readCek'];

const ACCESS: ReadonlyArray<{ who: string; setup: (em: CosmosEmulator) => void; allowed: Operation[] }> = [
  { who: 'a contributor', setup: (em) => em.grant(AUTOMATION.oid, 'contributor'), allowed: ALL },
  { who: 'a reader', setup: (em) => em.grant(AUTOMATION.oid, 'reader'), allowed: READS },
  { who: 'a contributor also granted reader', setup: (em) => (em.grant(AUTOMATION.oid, 'contributor'), em.grant(AUTOMATION.oid, 'reader')), allowed: ALL },
  { who: 'a principal with no role', setup: (em) => em.grant(READER.oid, 'contributor'), allowed: [] },
  { who: 'a revoked contributor', setup: (em) => (em.grant(AUTOMATION.oid, 'contributor'), em.revoke(AUTOMATION.oid)), allowed: [] },
];

describe.each(ACCESS)('AAD roles: $who', ({ setup, allowed }) => {
  it.each(ALL)('%s', async (op) => {
    const { em, resolver } = await emulator();
    setup(em);
    const before = em.cek(DB, SEEDED);
    const c = client(em, { principal: AUTOMATION }, resolver);
    if (allowed.includes(op)) {
      const res = await OPERATIONS[op](c);
      expect(res.statusCode).toBeLessThan(300);
      return;
    }
    const err = await cosmosError(OPERATIONS[op](c));
    expect(err.code).toBe(403);
    expect(err.substatus).toBe(5301);
    expect(err.body?.code).toBe('Forbidden');
    expect(err.body?.message).toContain(`principal [${AUTOMATION.oid}] does not have required RBAC permissions`);
    // A principal without any role is stopped at its first request, the account read (readMetadata on /).
    const action = allowed.length === 0 || READS.includes(op) ? 'Microsoft.DocumentDB/databaseAccounts/readMetadata' : 'clientEncryptionKeys/write';
    expect(err.body?.message).toContain(action);
    expect(em.cek(DB, SEEDED)).toEqual(before);
    expect(em.cek(DB, 'cek-new')).toBeUndefined();
    expect(em.writes()).toEqual([]);
  });
});

describe('master key', () => {
  it('a client with the wrong account key gets 401 for every operation and the body holds neither key nor signature', async () => {
    const { em, resolver } = await emulator();
    const forged = randomBytes(64).toString('base64');
    const c = client(em, { key: forged }, resolver);
    for (const op of ALL) {
      const err = await cosmosError(OPERATIONS[op](c));
      expect(err.code, op).toBe(401);
      expect(err.body?.code).toBe('Unauthorized');
      expect(err.body?.message).toContain('The MAC signature found in the HTTP request is not the same as the computed signature');
      const body = JSON.stringify(err.body);
      expect(body).not.toContain(forged);
      expect(body).not.toContain(em.masterKey);
    }
    expect(em.writes()).toEqual([]);
  });

  it('the right key may do everything (no role needed)', async () => {
    const { em, resolver } = await emulator();
    const c = client(em, { key: em.masterKey }, resolver);
    for (const op of ALL) expect((await OPERATIONS[op](c)).statusCode, op).toBeLessThan(300);
    expect(em.writes().map((w) => [w.op, w.id, w.oid])).toEqual([
      ['create', 'cek-new', null],
      ['replace', SEEDED, null],
    ]);
  });

  const link = `dbs/${DB}/clientencryptionkeys/${SEEDED}`;
  const REFUSED: ReadonlyArray<{ name: string; headers: (key: string) => Promise<Record<string, string>>; text: string }> = [
    { name: 'no authorization header', headers: async () => ({}), text: 'Required Header authorization is missing' },
    { name: 'a malformed header', headers: async () => ({ authorization: 'Bearer abc', 'x-ms-date': new Date().toUTCString() }), text: 'malformed' },
    {
      name: 'a signature for another resource',
      headers: (key: string) => masterKeyHeaders(key, HTTPMethod.get, ResourceType.clientencryptionkey, `dbs/${DB}/clientencryptionkeys/cek-other`),
      text: 'MAC signature',
    },
    { name: 'a signature for another verb', headers: (key: string) => masterKeyHeaders(key, HTTPMethod.delete, ResourceType.clientencryptionkey, link), text: 'MAC signature' },
    {
      name: 'a signature for another date',
      headers: async (key: string) => ({ ...(await masterKeyHeaders(key, HTTPMethod.get, ResourceType.clientencryptionkey, link)), 'x-ms-date': new Date(Date.now() - 60_000).toUTCString() }),
      text: 'MAC signature',
    },
    {
      name: 'a signature without its date',
      headers: async (key: string) => {
        const h = await masterKeyHeaders(key, HTTPMethod.get, ResourceType.clientencryptionkey, link);
        delete h['x-ms-date'];
        return h;
      },
      text: 'x-ms-date',
    },
  ];
  it.each(REFUSED)('a raw read with $name is refused with 401', async ({ headers, text }) => {
    const { em } = await emulator();
    const h = await headers(em.masterKey);
    const res = await rawRequest(life.cert, `${em.endpoint}${link}`, { headers: h });
    expect(res.status).toBe(401);
    expect(res.json['code']).toBe('Unauthorized');
    expect(String(res.json['message'])).toContain(text);
    expect(res.text).not.toContain(em.masterKey);
    const auth = h['authorization'];
    if (auth) {
      expect(res.text).not.toContain(decodeURIComponent(auth).split('sig=')[1] ?? auth);
    }
  });

  it.each([
    { name: 'dated 20 minutes ago', offsetMs: -20 * 60_000, status: 403, text: 'not valid at the current time' },
    { name: 'dated 20 minutes ahead', offsetMs: 20 * 60_000, status: 403, text: 'not valid at the current time' },
    { name: 'dated 10 minutes ago', offsetMs: -10 * 60_000, status: 200, text: '' },
  ])('a correctly signed read $name answers $status', async ({ offsetMs, status, text }) => {
    const { em } = await emulator();
    const res = await rawRequest(life.cert, `${em.endpoint}${link}`, { headers: masterKeyHeadersAt(em.masterKey, 'GET', 'clientencryptionkeys', link, new Date(Date.now() + offsetMs)) });
    expect(res.status).toBe(status);
    expect(String(res.json['message'] ?? '')).toContain(text);
  });

  it('a signature over an unparsable date is refused with 401', async () => {
    const { em } = await emulator();
    const headers = { ...(await masterKeyHeaders(em.masterKey, HTTPMethod.get, ResourceType.clientencryptionkey, link)), 'x-ms-date': 'yesterday-ish' };
    const res = await rawRequest(life.cert, `${em.endpoint}${link}`, { headers });
    expect(res.status).toBe(401);
    expect(String(res.json['message'])).toContain('RFC 1123');
  });

  it('the same signed request, correct, is answered (control for the table above)', async () => {
    const { em } = await emulator();
    const res = await rawRequest(life.cert, `${em.endpoint}${link}`, { headers: await masterKeyHeaders(em.masterKey, HTTPMethod.get, ResourceType.clientencryptionkey, link) });
    expect(res.status).toBe(200);
    expect(res.json['id']).toBe(SEEDED);
  });
});

describe('AAD tokens', () => {
  it.each([
    {
      name: 'a token for another audience',
      header: async () => `type=aad&ver=1.0&sig=${(await new LocalEmulatorCredential(AUTOMATION).getToken('https://vault.azure.net/.default')).token}`,
    },
    { name: 'a token that is not a JWT', header: async () => 'type=aad&ver=1.0&sig=not-a-jwt' },
    { name: 'an unsupported token type', header: async () => encodeURIComponent('type=resource&ver=1.0&sig=abc') },
  ])('$name is refused with 401 and not echoed', async ({ header }) => {
    const { em } = await emulator();
    em.grant(AUTOMATION.oid, 'contributor');
    const authorization = await header();
    const res = await rawRequest(life.cert, `${em.endpoint}dbs/${DB}`, { headers: { authorization } });
    expect(res.status).toBe(401);
    expect(res.json['code']).toBe('Unauthorized');
    expect(res.text).not.toContain(authorization.split('sig=')[1] ?? authorization);
  });

  it('the account-wide audience https://cosmos.azure.com is accepted too', async () => {
    const { em } = await emulator();
    em.grant(AUTOMATION.oid, 'reader');
    const { token } = await new LocalEmulatorCredential(AUTOMATION).getToken('https://cosmos.azure.com/.default');
    const res = await rawRequest(life.cert, `${em.endpoint}dbs/${DB}`, { headers: { authorization: `type=aad&ver=1.0&sig=${token}` } });
    expect(res.status).toBe(200);
    expect(res.json['id']).toBe(DB);
  });

  it('a 403 names the principal and the action but carries no token', async () => {
    const { em } = await emulator();
    const headers = await aadHeaders(em, STRANGER);
    const res = await rawRequest(life.cert, `${em.endpoint}dbs/${DB}/clientencryptionkeys`, { headers });
    expect(res.status).toBe(403);
    expect(res.headers['x-ms-substatus']).toBe('5301');
    expect(res.json['message']).toContain(`Request blocked by Auth keysteward-local : Request is blocked because principal [${STRANGER.oid}]`);
    expect(res.json['message']).toContain(`[Microsoft.DocumentDB/databaseAccounts/readMetadata] on resource [/dbs/${DB}]`);
    expect(res.text).not.toContain(headers['authorization']?.split('sig=')[1] ?? 'unreachable');
  });
});

describe("aadMetadataWrites: 'refused' (what Azure does)", () => {
  it('refuses database and CEK writes to an AAD contributor with 403 substatus 5300, still serves its reads, and lets the key write', async () => {
    const { em, resolver } = await emulator({ aadMetadataWrites: 'refused' });
    em.grant(AUTOMATION.oid, 'contributor');
    const aad = client(em, { principal: AUTOMATION }, resolver);
    for (const op of READS) expect((await OPERATIONS[op](aad)).statusCode, op).toBe(200);

    const create = await cosmosError(OPERATIONS.createCek(aad));
    expect([create.code, create.substatus]).toEqual([403, 5300]);
    expect(create.body?.message).toContain(`The given request [POST /dbs/${DB}/clientencryptionkeys] cannot be authorized by AAD token in data plane`);
    const rewrap = await cosmosError(OPERATIONS.rewrapCek(aad));
    expect([rewrap.code, rewrap.substatus]).toEqual([403, 5300]);
    expect(rewrap.body?.message).toContain(`[PUT /dbs/${DB}/clientencryptionkeys/${SEEDED}]`);
    const newDb = await cosmosError(aad.databases.createIfNotExists({ id: 'orders-eu' }));
    expect([newDb.code, newDb.substatus]).toEqual([403, 5300]);
    expect(newDb.body?.message).toContain('[POST /dbs]');
    expect(em.writes()).toEqual([]);

    const key = client(em, { key: em.masterKey }, resolver);
    expect((await OPERATIONS.rewrapCek(key)).statusCode).toBe(200);
    expect((await key.databases.createIfNotExists({ id: 'orders-eu' })).statusCode).toBe(201);
    expect(em.cek(DB, SEEDED)?.keyWrapMetadata.value).toBe(KEK_V2);
  });
});
