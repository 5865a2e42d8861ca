// Live key inventory over @azure/keyvault-keys: every version of a key in a vault, as the domain's InventoryVersion
// (DESIGN.md §4.1 `inventory`). The one place that translates the SDK's key shapes into domain shapes.
import type { KeyVaultKey } from '@azure/keyvault-keys';
import type { InventoryVersion } from '../../domain/estate/model.js';
import { ErrorBodies } from './errorBodies.js';
import { keyClientCache, type KeyClientCacheOptions } from './keyClients.js';
import { KeyVaultNotFoundError, toKeyVaultError } from './errors.js';
import { ecThumbprint, rsaModulusBits, rsaThumbprint } from './thumbprint.js';
import { mapLimit } from '../../app/concurrency.js';

export interface KeyVaultInventoryReaderOptions extends KeyClientCacheOptions {
  /** Versions read in parallel per key. Default 4: a key has few versions, and reads share the vault's budget (limits.md K1). */
  readonly concurrency?: number;
}

export interface KeyVaultInventoryReader {
  /**
   * Every version of `keyName` in `vault`, oldest first. A key the vault does not hold gives [] (its material is
   * missing there, which geo checks report). Throws a KeyVaultError subclass otherwise (errors.ts).
   */
  listVersions(vault: string, keyName: string): Promise<InventoryVersion[]>;
}

const ms = (d: Date | undefined): number | null => (d ? d.getTime() : null);

/** Null for key types with no public material to fingerprint (oct): they cannot protect a database. */
export function toInventoryVersion(k: KeyVaultKey): InventoryVersion | null {
  const jwk = k.key;
  const version = k.properties.version;
  if (!jwk || !version) return null;
  const kty = k.keyType ?? jwk.kty ?? null;
  let thumbprint: string;
  let size: number | null = null;
  if (jwk.n && jwk.e) {
    thumbprint = rsaThumbprint({ n: jwk.n, e: jwk.e });
    size = rsaModulusBits(jwk.n);
  } else if (jwk.crv && jwk.x && jwk.y) {
    thumbprint = ecThumbprint({ crv: jwk.crv, x: jwk.x, y: jwk.y });
  } else {
    return null;
  }
  return {
    version: version.toLowerCase(),
    thumbprint,
    enabled: k.properties.enabled ?? false,
    exp: ms(k.properties.expiresOn),
    nbf: ms(k.properties.notBefore),
    created: ms(k.properties.createdOn),
    kty,
    size,
    tags: { ...(k.properties.tags ?? {}) },
  };
}

export function createKeyVaultInventoryReader(o: KeyVaultInventoryReaderOptions): KeyVaultInventoryReader {
  const bodies = new ErrorBodies();
  const clientFor = keyClientCache(o, bodies);
  const concurrency = o.concurrency ?? 4;

  return {
    async listVersions(vault, keyName) {
      const client = clientFor(vault);
      const versions: string[] = [];
      try {
        for await (const p of client.listPropertiesOfKeyVersions(keyName)) if (p.version) versions.push(p.version);
      } catch (err) {
        const e = toKeyVaultError(err, { vault, operation: 'listPropertiesOfKeyVersions' }, bodies);
        if (e instanceof KeyVaultNotFoundError) return [];
        throw e;
      }
      const keys = await mapLimit(versions, concurrency, async (version) => {
        try {
          return await client.getKey(keyName, { version });
        } catch (err) {
          const e = toKeyVaultError(err, { vault, operation: 'getKey' }, bodies);
          // Deleted between the list and the read: it is no longer part of the inventory.
          if (e instanceof KeyVaultNotFoundError) return null;
          throw e;
        }
      });
      return keys
        .map((k) => (k ? toInventoryVersion(k) : null))
        .filter((v): v is InventoryVersion => v !== null)
        .sort((a, b) => (a.created ?? 0) - (b.created ?? 0) || (a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
    },
  };
}
