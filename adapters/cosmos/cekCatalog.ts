// CekCatalog over @azure/cosmos: lists a database's client encryption keys (cekFeed.ts) and moves one to a new key
// version with the SDK's own `rewrapClientEncryptionKey` (read → unwrap → wrap → replace If-Match), the Key Vault
// work done by the campaign's CekKeyOps through ScopedKeyResolver.
// The SDK's unwrapped-key cache is turned OFF (TTL 0) and must stay off: @azure/cosmos 4.9 caches unwrapped keys
// by the WRAPPING key's path, so with a cache the second CEK under one key version would be "unwrapped" to the
// first CEK's plaintext and rewrapped as such — a silent, permanent loss of every item encrypted with it.
import type { TokenCredential } from '@azure/core-auth';
import { CosmosClient, EncryptionKeyResolverName, KeyEncryptionAlgorithm, type Database } from '@azure/cosmos';
import { CekAccessError, type CekCatalog, type CekCatalogs, type CekPage, type CekRewrapResult } from '../../app/rewrap/cekPorts.js';
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
    list: (database, pageToken): Promise<CekPage> => feed(database, pageToken).catch((err: unknown) => Promise.reject(accessOr(err))),

    async listDatabases() {
      try {
        const { resources } = await client.databases.readAll().fetchAll();
        return resources.map((d) => d.id).sort();
      } catch (err) {
        throw accessOr(toCosmosError('list databases', err));
      }
    },

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
        throw accessOr(toCosmosError(`rewrap of client encryption key ${id} in database ${database}`, err));
      }
    },
  };
}

/** 401/403 become CekAccessError (the campaign stops; retrying cannot help); anything else stays as it is. */
function accessOr(err: unknown): unknown {
  if (err instanceof CosmosError && (err.status === 401 || err.status === 403)) return new CekAccessError(err.message);
  return err;
}

/** An @azure/cosmos ErrorResponse (it carries the response headers), as opposed to an error from our own ops. */
function isCosmosResponse(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'headers' in err && typeof (err as { code?: unknown }).code === 'number';
}

export function cosmosCekCatalogs(o: CosmosCekCatalogOptions): CekCatalogs {
  const catalogs = new Map<string, { key: string | null; catalog: ReturnType<typeof createCosmosCekCatalog> }>();
  return {
    open(target) {
      // The setting is read on every open: a regenerated account key is picked up without a restart.
      const key = target.keySetting === null ? null : o.setting(target.keySetting);
      // Named but empty: say which setting, never anything about its value.
      if (key !== null && !key) throw new CekAccessError(`the app setting ${target.keySetting ?? ''} that should hold the account key of ${target.endpoint} is not set`);
      const cacheKey = `${target.endpoint}|${target.keySetting ?? ''}`;
      const cached = catalogs.get(cacheKey);
      if (cached && cached.key === key) return cached.catalog;
      cached?.catalog.close();
      const auth: CosmosAuth = key === null ? { kind: 'aad', credential: o.credential } : { kind: 'key', key };
      const catalog = createCosmosCekCatalog(target.endpoint, auth, o.pageSize);
      catalogs.set(cacheKey, { key, catalog });
      return catalog;
    },
    close() {
      for (const c of catalogs.values()) c.catalog.close();
      catalogs.clear();
    },
  };
}
