// The EncryptionKeyResolver handed to @azure/cosmos: instead of the SDK's own AzureKeyVaultEncryptionKeyResolver
// (which builds a fresh KeyClient per call, wraps remotely and knows no budget), it runs the Key Vault work of the
// rewrap in progress — the CekKeyOps the campaign supplied — found through AsyncLocalStorage, so one CosmosClient
// serves many concurrent rewraps, each with its own expectations.
import { AsyncLocalStorage } from 'node:async_hooks';
import { EncryptionKeyResolverName, type EncryptionKeyResolver } from '@azure/cosmos';
import { sameKeyVersion } from '../../domain/rewrap/cekPlacement.js';
import type { CekKeyOps } from '../../app/rewrap/cekPorts.js';

export interface RewrapScope {
  readonly ops: CekKeyOps;
  /** The kid the CEK must still be wrapped under when the SDK reads it; anything else is a concurrent change. */
  readonly expectedKekKid: string;
  /** The only kid a wrap may target. */
  readonly toKekKid: string;
}

/** The CEK was no longer under the expected kid when the SDK read it: someone else moved it. */
export class KekMovedError extends Error {
  override readonly name = 'KekMovedError';
}

/** Thrown for a resolver call outside any rewrap, or against a kid the rewrap did not name (a bug, not data). */
export class ResolverMisuseError extends Error {
  override readonly name = 'ResolverMisuseError';
}

const RSA_OAEP = 'RSA-OAEP';

export class ScopedKeyResolver implements EncryptionKeyResolver {
  readonly encryptionKeyResolverName: string = EncryptionKeyResolverName.AzureKeyVault;
  private readonly scope = new AsyncLocalStorage<RewrapScope>();

  /** Runs `fn` (one rewrapClientEncryptionKey call) with `scope` as the resolver's context. */
  within<T>(scope: RewrapScope, fn: () => Promise<T>): Promise<T> {
    return this.scope.run(scope, fn);
  }

  async unwrapKey(encryptionKeyId: string, algorithm: string, wrappedKey: Uint8Array): Promise<Uint8Array> {
    const s = this.current(algorithm);
    if (!sameKeyVersion(encryptionKeyId, s.expectedKekKid)) throw new KekMovedError('the client encryption key is no longer wrapped by the expected key version');
    return s.ops.unwrap(s.expectedKekKid, wrappedKey);
  }

  async wrapKey(encryptionKeyId: string, algorithm: string, unwrappedKey: Uint8Array): Promise<Uint8Array> {
    const s = this.current(algorithm);
    if (!sameKeyVersion(encryptionKeyId, s.toKekKid)) throw new ResolverMisuseError('wrap requested for a key version the rewrap does not target');
    return s.ops.wrap(s.toKekKid, unwrappedKey);
  }

  private current(algorithm: string): RewrapScope {
    const s = this.scope.getStore();
    if (!s) throw new ResolverMisuseError('key resolver called outside a rewrap (reads and queries never need the key)');
    if (algorithm !== RSA_OAEP) throw new ResolverMisuseError(`key wrap algorithm ${algorithm} is not supported (Cosmos uses RSA-OAEP)`);
    return s;
  }
}
