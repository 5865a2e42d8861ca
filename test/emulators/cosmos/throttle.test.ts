// Injected failures (`failNext`): 429 with x-ms-retry-after-ms, which the SDK waits out and retries (its
// ResourceThrottleRetryPolicy reports the retries in x-ms-throttle-retry-count / -wait-time-ms), and 503, which the SDK
// retries once for reads and never for writes. A failed request changes nothing.
import { EncryptionAlgorithm, type Database, type EncryptionKeyResolver } from '@azure/cosmos';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CosmosEmulator } from '../../../emulators/cosmos/index.js';
import { AUTOMATION, DB, HTTPMethod, KEK_V1, KEK_V2, LocalKekResolver, ResourceType, cosmosClient, cosmosError, useCosmosTestLife, masterKeyHeaders, rawRequest, startEmulator, wrapMetadata, type ClientOptions } from './support.js';

const AEAD = EncryptionAlgorithm.AEAD_AES_256_CBC_HMAC_SHA256;
const SEEDED = 'cek-seeded';

const life = useCosmosTestLife();

/** `db` is warmed up: account discovered and its rid known (each `client.database(id)` is a new object without it). */
async function setUp(o: ClientOptions = {}): Promise<{ em: CosmosEmulator; resolver: LocalKekResolver; db: Database }> {
  const resolver = new LocalKekResolver();
  const wrapped = await resolver.wrapKey(KEK_V1, 'RSA-OAEP', randomBytes(32));
  const em = await startEmulator(life.cert, { databases: [{ id: DB, clientEncryptionKeys: [{ id: SEEDED, keyWrapMetadata: wrapMetadata(KEK_V1), wrappedDataEncryptionKey: wrapped }] }] });
  em.grant(AUTOMATION.oid, 'contributor');
  const c = cosmosClient(em, life.cert, { principal: AUTOMATION }, { resolver, ...o });
  life.open.push(em, c);
  // Warm up: account discovery and the database rid, so the next calls are one request each.
  const db = c.database(DB);
  await db.readClientEncryptionKey(SEEDED);
  return { em, resolver, db };
}

describe('429 TooManyRequests', () => {
  it('is retried by the SDK after x-ms-retry-after-ms, and the read then succeeds', async () => {
    const { em, db } = await setUp();
    em.failNext(3, 429, 40);
    const started = Date.now();
    const res = await db.readClientEncryptionKey(SEEDED);
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-ms-throttle-retry-count']).toBe(3);
    // The SDK's cumulative wait is exactly the sum of the emulator's x-ms-retry-after-ms.
    expect(res.headers['x-ms-throttle-retry-wait-time-ms']).toBe(120);
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
  });

  it('a throttled replace lands once after its retries', async () => {
    const { em, resolver } = await setUp();
    // Throttle the PUT itself: the failures are queued while the SDK wraps, between its read and its replace.
    const throttling: EncryptionKeyResolver = {
      encryptionKeyResolverName: resolver.encryptionKeyResolverName,
      unwrapKey: (kid, alg, wrapped) => resolver.unwrapKey(kid, alg, wrapped),
      wrapKey: async (kid, alg, key) => {
        em.failNext(2, 429, 10);
        return resolver.wrapKey(kid, alg, key);
      },
    };
    const throttled = cosmosClient(em, life.cert, { principal: AUTOMATION }, { resolver: throttling });
    life.open.push(throttled);
    const before = em.cek(DB, SEEDED);
    const res = await throttled.database(DB).rewrapClientEncryptionKey(SEEDED, wrapMetadata(KEK_V2));
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-ms-throttle-retry-count']).toBe(2);
    expect(em.writes().map((w) => [w.op, w.kekValue])).toEqual([['replace', KEK_V2]]);
    const after = em.cek(DB, SEEDED);
    expect(resolver.unwrapDirect(KEK_V2, after?.wrappedDataEncryptionKey ?? Buffer.alloc(0))).toEqual(resolver.unwrapDirect(KEK_V1, before?.wrappedDataEncryptionKey ?? Buffer.alloc(0)));
  });

  it('surfaces as 429 (substatus 3200, with its retry-after) once the client runs out of retries', async () => {
    const { em, db } = await setUp({ maxThrottleRetries: 1 });
    em.failNext(2, 429, 15);
    const err = await cosmosError(db.readClientEncryptionKey(SEEDED));
    expect(err.code).toBe(429);
    expect(err.substatus).toBe(3200);
    expect(err.body?.code).toBe('TooManyRequests');
    expect(err.headers['x-ms-retry-after-ms']).toBe('15');
    // Both injected failures were used; the next call goes through.
    expect((await db.readClientEncryptionKey(SEEDED)).statusCode).toBe(200);
  });

  it('a throttled raw create creates nothing, and a bad signature does not consume an injected failure', async () => {
    const { em } = await setUp();
    em.failNext(1, 429, 25);
    const link = `dbs/${DB}`;
    const body = JSON.stringify({ id: 'cek-raw', encryptionAlgorithm: AEAD, keyWrapMetadata: wrapMetadata(KEK_V1), wrappedDataEncryptionKey: 'AAEC' });
    const post = async (key: string) =>
      rawRequest(life.cert, `${em.endpoint}${link}/clientencryptionkeys`, {
        method: 'POST',
        headers: { ...(await masterKeyHeaders(key, HTTPMethod.post, ResourceType.clientencryptionkey, link)), 'Content-Type': 'application/json' },
        body,
      });

    const unauthenticated = await post(randomBytes(64).toString('base64'));
    expect(unauthenticated.status).toBe(401);
    const throttled = await post(em.masterKey);
    expect(throttled.status).toBe(429);
    expect(throttled.headers['x-ms-retry-after-ms']).toBe('25');
    expect(throttled.headers['x-ms-substatus']).toBe('3200');
    expect(throttled.json['code']).toBe('TooManyRequests');
    expect(em.cek(DB, 'cek-raw')).toBeUndefined();
    expect((await post(em.masterKey)).status).toBe(201);
  });
});

describe('503 ServiceUnavailable', () => {
  it.each([
    { name: 'a read behind one 503 is retried and succeeds', failures: 1, op: 'read' as const, expected: 200 },
    { name: 'a read behind two 503s fails', failures: 2, op: 'read' as const, expected: 503 },
    { name: 'a create behind one 503 is not retried', failures: 1, op: 'create' as const, expected: 503 },
  ])('$name', async ({ failures, op, expected }) => {
    const { em, db } = await setUp();
    em.failNext(failures, 503);
    const call = op === 'read' ? db.readClientEncryptionKey(SEEDED) : db.createClientEncryptionKey('cek-new', AEAD, wrapMetadata(KEK_V1));
    if (expected === 200) {
      expect((await call).statusCode).toBe(200);
      return;
    }
    const err = await cosmosError(call);
    expect(err.code).toBe(503);
    expect(err.body?.code).toBe('ServiceUnavailable');
    expect(em.cek(DB, 'cek-new')).toBeUndefined();
    expect(em.writes()).toEqual([]);
  });
});

describe('failNext arguments', () => {
  it.each([
    { n: -1, status: 429 },
    { n: 1.5, status: 429 },
    { n: 1, status: 500 },
  ])('refuses n=$n status=$status', async ({ n, status }) => {
    const { em } = await setUp();
    expect(() => em.failNext(n, status as 429)).toThrow(/failNext/);
  });
});
