// KeyWrapper over @azure/keyvault-keys (DESIGN.md §7, limits.md K14, K15, N7):
// - unwrap is remote, through one CryptographyClient per kid (kept: its challenge authentication is per client;
//   its first call runs alone, see challengeGate.ts);
// - wrap is local with node:crypto and the version's public key, fetched ONCE per kid and parsed once into a
//   KeyObject. Both RSA-OAEP (SHA-1) and RSA-OAEP-256 are wrapped locally here: this is keysteward's own envelope
//   store, so the SDK's local provider (OAEP SHA-1 only, PEM re-parsed per call) is not needed.
// Retries: the SDK's per-request retry is off by default (maxRetries 0). A 429 surfaces at once as a 'throttled'
// KeyOperationError carrying Retry-After, and the caller's per-vault budget pauses every worker of that vault —
// which per-request retries, each sleeping on its own and then all retrying together, cannot do.
import { keyClientCache, keyVaultClientOptions } from '../keyClients.js';
import type { TokenCredential } from '@azure/core-auth';
import type { KeyClient} from '@azure/keyvault-keys';
import { CryptographyClient, type CryptographyClientOptions, type KeyClientOptions, type KeyVaultKey } from '@azure/keyvault-keys';
import { constants, createPublicKey, publicEncrypt, type KeyObject } from 'node:crypto';
import { KeyOperationError, type KeyWrapper, type WrapAlgorithm, type WrappingKey } from '../../../app/rewrap/ports.js';
import { parseVersionedKid, type VersionedKid } from '../../../domain/rewrap/kid.js';
import { ErrorBodies } from '../errorBodies.js';
import { ChallengeGate } from './challengeGate.js';
import { isAbort, toKeyOperationError } from './errors.js';

export interface KeyWrapperOptions {
  readonly credential: TokenCredential;
  /** Local mode: `localPolicies()` (adapters/azure/localNetwork.ts). */
  readonly additionalPolicies?: KeyClientOptions['additionalPolicies'];
  /** SDK retries per request. Default 0: the caller owns retries (see the header). */
  readonly maxRetries?: number;
}

function parse(kid: string): VersionedKid {
  const k = parseVersionedKid(kid);
  if (!k) throw new RangeError('not a versioned Key Vault key identifier');
  return k;
}

const oaepHash = (alg: WrapAlgorithm): string => (alg === 'RSA-OAEP-256' ? 'sha256' : 'sha1');

export function createKeyWrapper(o: KeyWrapperOptions): KeyWrapper {
  const bodies = new ErrorBodies();
  // Fresh options per client: the SDK's CryptographyClient mutates the options object it is given.
  const retries = { ...(o.additionalPolicies ? { additionalPolicies: o.additionalPolicies } : {}), maxRetries: o.maxRetries ?? 0 };
  const options = (): CryptographyClientOptions => keyVaultClientOptions(retries, bodies);
  // One KeyClient per vault URL a kid names.
  const keyClientByOrigin = keyClientCache({ credential: o.credential, vaultUrl: (origin) => origin, ...retries }, bodies);
  const keyClientFor = (k: VersionedKid): KeyClient => keyClientByOrigin(k.origin);
  const cryptoClients = new Map<string, { client: CryptographyClient; gate: ChallengeGate }>();
  const keys = new Map<string, Promise<WrappingKey>>();
  /** The parsed public key behind each handle this wrapper gave out. */
  const publicKeys = new WeakMap<WrappingKey, KeyObject>();


  const cryptoClientFor = (k: VersionedKid): { client: CryptographyClient; gate: ChallengeGate } => {
    let c = cryptoClients.get(k.kid);
    if (!c) {
      // Given a KeyVaultKey without key material, the client is remote-only: no GET before its first call, and no
      // local nbf/exp pre-check — the vault decides, and it still unwraps under an expired version (Key Vault key
      // attributes), which is exactly what a rewrap away from an old version needs.
      const remoteOnly: KeyVaultKey = { name: k.key, id: k.kid, properties: { id: k.kid, name: k.key, vaultUrl: k.origin, version: k.version } };
      cryptoClients.set(k.kid, (c = { client: new CryptographyClient(remoteOnly, o.credential, options()), gate: new ChallengeGate() }));
    }
    return c;
  };

  const fetchKey = async (k: VersionedKid): Promise<WrappingKey> => {
    let bundle: KeyVaultKey;
    try {
      bundle = await keyClientFor(k).getKey(k.key, { version: k.version });
    } catch (err) {
      throw toKeyOperationError(err, { vault: k.vault, operation: 'getKey' }, bodies);
    }
    const jwk = bundle.key;
    const kty = bundle.keyType ?? jwk?.kty ?? '';
    if (!jwk?.n || !jwk.e || (kty !== 'RSA' && kty !== 'RSA-HSM')) throw new KeyOperationError('rejected', `key version ${k.kid} is not an RSA key (kty ${kty || 'unknown'})`);
    const publicKey = createPublicKey({ key: { kty: 'RSA', n: Buffer.from(jwk.n).toString('base64url'), e: Buffer.from(jwk.e).toString('base64url') }, format: 'jwk' });
    const handle: WrappingKey = { kid: k.kid, vault: k.vault, kty, sizeBits: publicKey.asymmetricKeyDetails?.modulusLength ?? jwk.n.length * 8 };
    publicKeys.set(handle, publicKey);
    return handle;
  };

  return {
    wrappingKey(kid) {
      const k = parse(kid);
      let p = keys.get(k.kid);
      if (!p) {
        // Shared by concurrent first callers (one GET); forgotten on failure so a later call can try again.
        p = fetchKey(k);
        keys.set(k.kid, p);
        p.catch(() => keys.delete(k.kid));
      }
      return p;
    },

    async unwrap(kid, alg, wrapped, signal) {
      const k = parse(kid);
      try {
        const { client, gate } = cryptoClientFor(k);
        const r = await gate.run(() => client.unwrapKey(alg, wrapped, signal ? { abortSignal: signal } : {}));
        // A view, not a copy: zeroing it zeroes the only Buffer this adapter made of the plaintext.
        return Buffer.from(r.result.buffer, r.result.byteOffset, r.result.byteLength);
      } catch (err) {
        if (isAbort(err, signal)) throw err;
        throw toKeyOperationError(err, { vault: k.vault, operation: 'unwrapKey' }, bodies);
      }
    },

    wrapLocally(key, alg, dek) {
      const publicKey = publicKeys.get(key);
      if (!publicKey) throw new TypeError('wrapLocally needs a WrappingKey from this wrapper');
      return publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: oaepHash(alg) }, dek);
    },
  };
}
