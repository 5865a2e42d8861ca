// CekCatalog over @azure/cosmos: lists a database's client encryption keys (cekFeed.ts) and moves one to a new key
// version with the SDK's own `rewrapClientEncryptionKey` (read → unwrap → wrap → replace If-Match), the Key Vault
// work done by the campaign's CekKeyOps through ScopedKeyResolver.
// The SDK's unwrapped-key cache is turned OFF (TTL 0) and must stay off: @azure/cosmos 4.9 caches unwrapped keys
// by the WRAPPING key's path, so with a cache the second CEK under one key version would be "unwrapped" to the
// first CEK's plaintext and rewrapped as such — a silent, permanent loss of every item encrypted with it.
import type { TokenCredential } from '@azure/core-auth';
import { CosmosClient, EncryptionKeyResolverName, KeyEncryptionAlgorithm, type Database } from '@azure/cosmos';
import type { CekCatalog, CekCatalogs, CekPage, CekRewrapResult } from '../../app/rewrap/cekPorts.js';
import { createCekFeed, type CosmosAuth } from './cekFeed.js';
import { CosmosError } from './errors.js';
import { cosmosStatusOf, toCosmosError } from './errors.js';
import { KekMovedError, ScopedKeyResolver } from './keyResolver.js';

export interface CosmosCekCatalogOptions {
  readonly credential: TokenCredential;
  /** Reads an app setting (the account key named by the estate's `keySetting`). */
  readonly setting: (name: string) => string | undefined;
  /** CEKs per feed page (default 100). */
  readonly pageSize?: number;
}

export function createCosmosCekCatalog(endpoint: string, auth: CosmosAuth, pageSize?: number): CekCatalog & { close(): void } {
  const resolver = new ScopedKeyResolver();
  const client = new CosmosClient({
    endpoint,
    ...(auth.kind === 'key' ? { key: auth.key } : { aadCredentials: auth.credential }),
    clientEncryptionOptions: { keyEncryptionKeyResolver: resolver, encryptionKeyTimeToLiveInSeconds: 0 },
  });
  const feed = createCekFeed({ endpoint, auth, ...(pageSize !== undefined ? { pageSize } : {}) });
  const databases = new Map<string, Database>();
  const db = (id: string): Database => {
    let d = databases.get(id);
    if (!d) databases.set(id, (d = client.database(id)));
    return d;
  };

  return {
    close: () => client.dispose(),
    list: (database, pageToken): Promise<CekPage> => feed(database, pageToken),

    async rewrap(database, id, expectedKekKid, to, ops): Promise<CekRewrapResult> {
      try {
        await resolver.within({ ops, expectedKekKid, toKekKid: to.kekKid }, () =>
          db(database).rewrapClientEncryptionKey(id, { type: EncryptionKeyResolverName.AzureKeyVault, name: to.kekName, value: to.kekKid, algorithm: KeyEncryptionAlgorithm.RSA_OAEP }),
        );
        return 'ok';
      } catch (err) {
        if (err instanceof KekMovedError) return 'conflict';
        const status = cosmosStatusOf(err);
        // Anything from our own ops (a Key Vault failure, a failed verification) is the campaign's to classify.
        if (status === null || !isCosmosResponse(err)) throw err;
        if (status === 412) return 'conflict';
        if (status === 404) return 'gone';
        throw toCosmosError(`rewrap of client encryption key ${id} in database ${database}`, err);
      }
    },
  };
}

/** An @azure/cosmos ErrorResponse (it carries the response headers), as opposed to an error from our own ops. */
function isCosmosResponse(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'headers' in err && typeof (err as { code?: unknown }).code === 'number';
}

export function cosmosCekCatalogs(o: CosmosCekCatalogOptions): CekCatalogs {
  const catalogs = new Map<string, ReturnType<typeof createCosmosCekCatalog>>();
  return {
    open(target) {
      const cacheKey = `${target.endpoint}|${target.keySetting ?? ''}`;
      let c = catalogs.get(cacheKey);
      if (!c) {
        let auth: CosmosAuth = { kind: 'aad', credential: o.credential };
        if (target.keySetting !== null) {
          const key = o.setting(target.keySetting);
          // Named but empty: say which setting, never anything about its value.
          if (!key) throw new CosmosError(`open ${target.endpoint}`, null, `AppSettingMissing:${target.keySetting}`);
          auth = { kind: 'key', key };
        }
        catalogs.set(cacheKey, (c = createCosmosCekCatalog(target.endpoint, auth, o.pageSize)));
      }
      return c;
    },
    close() {
      for (const c of catalogs.values()) c.close();
      catalogs.clear();
    },
  };
}
