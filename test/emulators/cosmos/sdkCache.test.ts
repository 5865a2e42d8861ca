// Pins a behaviour of @azure/cosmos 4.9.3 that keysteward must design around, shown against the emulator: with
// the default encryptionKeyTimeToLiveInSeconds (7200), EncryptionKeyStoreProvider.unwrapKey caches the unwrapped
// key under the KEK path only (`unwrappedEncryptionKeyCache[encryptionKeyId]`), not under the wrapped bytes. Two
// CEKs wrapped by the same KEK then unwrap to the same (first) DEK, and rewrapClientEncryptionKey silently writes the
// first CEK's DEK into the second — whose data becomes undecryptable. With a TTL of 0 every unwrap reaches the
// resolver and each CEK keeps its own DEK.
import { EncryptionAlgorithm} from '@azure/cosmos';
import { describe, expect, it } from 'vitest';
import { DB, KEK_V1, KEK_V2, LocalKekResolver, cosmosClient, useCosmosTestLife, startEmulator, wrapMetadata } from './support.js';

const life = useCosmosTestLife();

describe('SDK unwrap cache (encryptionKeyTimeToLiveInSeconds)', () => {
  it.each([
    { ttl: 'sdk-default' as const, bSurvives: false, unwrapsUnderV1: 1 },
    { ttl: 0, bSurvives: true, unwrapsUnderV1: 2 },
  ])('ttl $ttl: rewrapping two CEKs of one KEK keeps the second DEK: $bSurvives', async ({ ttl, bSurvives, unwrapsUnderV1 }) => {
    const em = await startEmulator(life.cert, { databases: [{ id: DB }] });
    life.open.push(em);
    const resolver = new LocalKekResolver();
    const c = cosmosClient(em, life.cert, { key: em.masterKey }, { resolver, ttlSeconds: ttl });
    life.open.push(c);
    const database = c.database(DB);
    for (const id of ['cek-a', 'cek-b']) await database.createClientEncryptionKey(id, EncryptionAlgorithm.AEAD_AES_256_CBC_HMAC_SHA256, wrapMetadata(KEK_V1));
    const dekOf = (id: string, kid: string): Buffer => resolver.unwrapDirect(kid, em.cek(DB, id)?.wrappedDataEncryptionKey ?? Buffer.alloc(0));
    const dekA = dekOf('cek-a', KEK_V1);
    const dekB = dekOf('cek-b', KEK_V1);
    expect(dekA.equals(dekB)).toBe(false);

    await database.rewrapClientEncryptionKey('cek-a', wrapMetadata(KEK_V2));
    await database.rewrapClientEncryptionKey('cek-b', wrapMetadata(KEK_V2));

    expect(dekOf('cek-a', KEK_V2).equals(dekA)).toBe(true);
    expect(dekOf('cek-b', KEK_V2).equals(dekB)).toBe(bSurvives);
    if (!bSurvives) expect(dekOf('cek-b', KEK_V2).equals(dekA)).toBe(true);
    expect(resolver.unwraps.filter((kid) => kid === KEK_V1)).toHaveLength(unwrapsUnderV1);
  });
});
