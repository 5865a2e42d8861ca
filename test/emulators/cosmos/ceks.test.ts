// Client encryption keys through the real CosmosClient (AAD and account key): create, read, rewrap to a new KEK
// version, the If-Match race a concurrent rewrap loses with 412, conflicts and not-found bodies.
import { EncryptionAlgorithm, type CosmosClient, type EncryptionKeyResolver } from '@azure/cosmos';
import { describe, expect, it } from 'vitest';
import type { CosmosEmulator } from '../../../emulators/cosmos/index.js';
import {
  AUTOMATION,
  DB,
  HTTPMethod,
  KEK_V1,
  KEK_V2,
  LocalKekResolver,
  ResourceType,
  cosmosClient,
  cosmosError,
  useCosmosTestLife,
  kek,
  masterKeyHeaders,
  rawRequest,
  startEmulator,
  wrapMetadata,
  type ClientAuth,
} from './support.js';

const AEAD = EncryptionAlgorithm.AEAD_AES_256_CBC_HMAC_SHA256;

const life = useCosmosTestLife();

/** A clock the test moves, so `_ts` visibly changes between writes. */
function steppingClock(start = Date.parse('2026-03-01T10:00:00Z')): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

async function emulator(o: Parameters<typeof startEmulator>[1] = {}): Promise<CosmosEmulator> {
  const em = await startEmulator(life.cert, { databases: [{ id: DB }], ...o });
  life.open.push(em);
  em.grant(AUTOMATION.oid, 'contributor');
  return em;
}

function client(em: CosmosEmulator, auth: ClientAuth, resolver: EncryptionKeyResolver): CosmosClient {
  const c = cosmosClient(em, life.cert, auth, { resolver });
  life.open.push(c);
  return c;
}

const AUTHS: ReadonlyArray<{ name: string; auth: (em: CosmosEmulator) => ClientAuth; oid: string | null }> = [
  { name: 'an AAD contributor', auth: () => ({ principal: AUTOMATION }), oid: AUTOMATION.oid },
  { name: 'the account key', auth: (em) => ({ key: em.masterKey }), oid: null },
];

describe.each(AUTHS)('CEK lifecycle as $name', ({ auth, oid }) => {
  it('creates, reads and rewraps a CEK: the stored wrap moves to the new KEK version and still holds the same DEK', async () => {
    const clock = steppingClock();
    const em = await emulator({ clock: clock.now });
    const resolver = new LocalKekResolver();
    const { database } = await client(em, auth(em), resolver).databases.createIfNotExists({ id: DB });

    const created = await database.createClientEncryptionKey('cek-customers', AEAD, wrapMetadata(KEK_V1));
    expect(created.statusCode).toBe(201);
    const first = em.cek(DB, 'cek-customers');
    expect(first).toBeDefined();
    if (!first) return;
    const dek = resolver.unwrapDirect(KEK_V1, first.wrappedDataEncryptionKey);
    expect(dek).toHaveLength(32);
    expect(created.resource).toMatchObject({ id: 'cek-customers', _rid: first._rid, _etag: first._etag, _ts: Math.floor(clock.now() / 1000) });

    const read = await database.readClientEncryptionKey('cek-customers');
    expect(read.statusCode).toBe(200);
    expect(Buffer.from(read.clientEncryptionKeyProperties.wrappedDataEncryptionKey).equals(first.wrappedDataEncryptionKey)).toBe(true);
    expect(read.clientEncryptionKeyProperties.encryptionKeyWrapMetadata).toEqual(wrapMetadata(KEK_V1));
    expect(read.headers['etag']).toBe(first._etag);

    clock.advance(90_000);
    const rewrapped = await database.rewrapClientEncryptionKey('cek-customers', wrapMetadata(KEK_V2));
    expect(rewrapped.statusCode).toBe(200);
    const second = em.cek(DB, 'cek-customers');
    if (!second) throw new Error('CEK gone');
    expect(second.keyWrapMetadata).toEqual(wrapMetadata(KEK_V2));
    expect(second.wrappedDataEncryptionKey.equals(first.wrappedDataEncryptionKey)).toBe(false);
    expect(resolver.unwrapDirect(KEK_V2, second.wrappedDataEncryptionKey).equals(dek)).toBe(true);
    expect(second._etag).not.toBe(first._etag);
    expect(second._ts).toBe(first._ts + 90);
    expect(second._rid).toBe(first._rid);
    expect(rewrapped.resource?._etag).toBe(second._etag);

    const writes = em.writes();
    expect(writes).toEqual([
      { at: '2026-03-01T10:00:00.000Z', db: DB, id: 'cek-customers', op: 'create', kekValue: KEK_V1, kekName: 'cosmos-kek', oid },
      { at: '2026-03-01T10:01:30.000Z', db: DB, id: 'cek-customers', op: 'replace', kekValue: KEK_V2, kekName: 'cosmos-kek', oid },
    ]);
    // The history never carries a wrapped value.
    const history = JSON.stringify(writes);
    for (const wrapped of [first.wrappedDataEncryptionKey, second.wrappedDataEncryptionKey]) expect(history).not.toContain(wrapped.toString('base64'));
  });

  it('refuses a second CEK with the same id (409) and answers a missing one with a Cosmos 404 body', async () => {
    const em = await emulator();
    const database = client(em, auth(em), new LocalKekResolver()).database(DB);
    await database.createClientEncryptionKey('cek-a', AEAD, wrapMetadata(KEK_V1));

    const dup = await cosmosError(database.createClientEncryptionKey('cek-a', AEAD, wrapMetadata(KEK_V2)));
    expect(dup.code).toBe(409);
    expect(dup.body?.code).toBe('Conflict');
    expect(em.cek(DB, 'cek-a')?.keyWrapMetadata.value).toBe(KEK_V1);

    const missing = await cosmosError(database.readClientEncryptionKey('cek-missing'));
    expect(missing.code).toBe(404);
    expect(missing.body?.code).toBe('NotFound');
    expect(missing.body?.message).toContain('Resource Not Found');
    expect(em.writes()).toHaveLength(1);
  });
});

/** A resolver whose next wraps wait for `release`: holds a rewrap between its read and its replace. */
class HeldResolver implements EncryptionKeyResolver {
  readonly encryptionKeyResolverName: string;
  private releaseGate: () => void = () => undefined;
  private readonly gate = new Promise<void>((resolve) => (this.releaseGate = resolve));
  private enteredNow: () => void = () => undefined;
  readonly entered = new Promise<void>((resolve) => (this.enteredNow = resolve));

  constructor(private readonly inner: LocalKekResolver) {
    this.encryptionKeyResolverName = inner.encryptionKeyResolverName;
  }

  release(): void {
    this.releaseGate();
  }

  async wrapKey(kid: string, algorithm: string, key: Uint8Array): Promise<Uint8Array> {
    this.enteredNow();
    await this.gate;
    return this.inner.wrapKey(kid, algorithm, key);
  }

  unwrapKey(kid: string, algorithm: string, wrapped: Uint8Array): Promise<Uint8Array> {
    return this.inner.unwrapKey(kid, algorithm, wrapped);
  }
}

describe('replace with If-Match', () => {
  it('a rewrap that read the CEK before a concurrent rewrap landed fails with 412 and changes nothing', async () => {
    const em = await emulator();
    const keys = new LocalKekResolver();
    const held = new HeldResolver(keys);
    const slow = client(em, { principal: AUTOMATION }, held).database(DB);
    const fast = client(em, { key: em.masterKey }, keys).database(DB);
    await fast.createClientEncryptionKey('cek-race', AEAD, wrapMetadata(KEK_V1));
    const dek = keys.unwrapDirect(KEK_V1, em.cek(DB, 'cek-race')?.wrappedDataEncryptionKey ?? Buffer.alloc(0));

    const losing = slow.rewrapClientEncryptionKey('cek-race', wrapMetadata(KEK_V2));
    await held.entered; // read done (etag taken), now wrapping under KEK_V2
    const KEK_V3 = kek('1b2c3d4e5f60718293a4b5c6d7e8f901');
    await fast.rewrapClientEncryptionKey('cek-race', wrapMetadata(KEK_V3));
    const winner = em.cek(DB, 'cek-race');
    held.release();

    const lost = await cosmosError(losing);
    expect(lost.code).toBe(412);
    expect(lost.body?.code).toBe('PreconditionFailed');
    expect(em.cek(DB, 'cek-race')).toEqual(winner);
    expect(winner?.keyWrapMetadata.value).toBe(KEK_V3);
    expect(keys.unwrapDirect(KEK_V3, winner?.wrappedDataEncryptionKey ?? Buffer.alloc(0)).equals(dek)).toBe(true);
    expect(em.writes().map((w) => [w.op, w.kekValue])).toEqual([
      ['create', KEK_V1],
      ['replace', KEK_V3],
    ]);
  });

  it.each([
    { name: 'a stale etag', etag: (old: string) => old, status: 412 },
    { name: 'the current etag', etag: (_old: string, current: string) => current, status: 200 },
    { name: '*', etag: () => '*', status: 200 },
  ])('a raw PUT with $name answers $status', async ({ etag, status }) => {
    const em = await emulator();
    const keys = new LocalKekResolver();
    const database = client(em, { key: em.masterKey }, keys).database(DB);
    await database.createClientEncryptionKey('cek-raw', AEAD, wrapMetadata(KEK_V1));
    const old = em.cek(DB, 'cek-raw')?._etag ?? '';
    await database.rewrapClientEncryptionKey('cek-raw', wrapMetadata(KEK_V2));
    const current = em.cek(DB, 'cek-raw');
    if (!current) throw new Error('CEK gone');

    const link = `dbs/${DB}/clientencryptionkeys/cek-raw`;
    const body = {
      id: 'cek-raw',
      encryptionAlgorithm: AEAD,
      keyWrapMetadata: wrapMetadata(kek('2c3d4e5f60718293a4b5c6d7e8f90a1b')),
      wrappedDataEncryptionKey: Buffer.from('not a real wrap, only bytes').toString('base64'),
    };
    const res = await rawRequest(life.cert, `${em.endpoint}${link}`, {
      method: 'PUT',
      headers: { ...(await masterKeyHeaders(em.masterKey, HTTPMethod.put, ResourceType.clientencryptionkey, link)), 'If-Match': etag(old, current._etag), 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(status);
    if (status === 412) {
      expect(res.json['code']).toBe('PreconditionFailed');
      expect(em.cek(DB, 'cek-raw')).toEqual(current);
    } else {
      expect(res.json).toMatchObject({ id: 'cek-raw', keyWrapMetadata: body.keyWrapMetadata, wrappedDataEncryptionKey: body.wrappedDataEncryptionKey, _rid: current._rid });
      expect(res.headers['etag']).toBe(em.cek(DB, 'cek-raw')?._etag);
      expect(res.json['_etag']).not.toBe(current._etag);
    }
  });
});
