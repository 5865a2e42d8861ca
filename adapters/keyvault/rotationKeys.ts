// RotationKeys over @azure/keyvault-keys: list versions (with tags and thumbprints), import identical material
// tagged with the rotation id, rotate, tag, and RSA-OAEP-256 wrap/unwrap for sealing staged material.
// Key Vault errors become typed KeyVaultErrors; 403/400 are non-retryable for the rotation run.
import { keyClientCache } from './keyClients.js';
import type { TokenCredential } from '@azure/core-auth';
import type { CryptographyClient, JsonWebKey, KeyClient, KeyClientOptions } from '@azure/keyvault-keys';
import type { CreatedVersion, RotationKeys, RsaJwk } from '../../app/rotation/ports.js';
import { NonRetryableStepError } from '../../app/rotation/executor.js';
import { createKeyVaultInventoryReader } from './inventoryReader.js';
import { toKeyVaultError } from './errors.js';
import { rsaThumbprint } from './thumbprint.js';
import { ChallengeGate } from './crypto/challengeGate.js';

export interface RotationKeysOptions {
  readonly credential: TokenCredential;
  readonly vaultUrl: (vault: string) => string;
  readonly additionalPolicies?: KeyClientOptions['additionalPolicies'];
}

const bytes = (v: string): Uint8Array => Buffer.from(v, 'base64url');

/** 401/403/400/404/409 cannot be fixed by retrying: the run stops for an operator. 429/5xx/network retry. */
function translate(err: unknown, vault: string, operation: string): Error {
  const e = toKeyVaultError(err, { vault, operation });
  if (e.status !== null && e.status >= 400 && e.status < 500 && e.status !== 429 && e.status !== 408) {
    return new NonRetryableStepError(`keyvault_${e.status}${e.code ? `_${e.code}` : ''}`, e.message);
  }
  return e;
}

export function createRotationKeys(options: RotationKeysOptions): RotationKeys {
  // One client per vault; its first call runs alone (ChallengeGate): concurrent first requests of a fresh client
  // can be re-sent without their body by the SDK's challenge policy (seen with @azure/keyvault-common 2.1).
  const clientFor = keyClientCache(options);
  const gates = new Map<string, ChallengeGate>();
  const withClient = <T>(vault: string, call: (c: KeyClient) => Promise<T>): Promise<T> => {
    let gate = gates.get(vault);
    if (!gate) gates.set(vault, (gate = new ChallengeGate()));
    const client = clientFor(vault);
    return gate.run(() => call(client));
  };
  const inventory = createKeyVaultInventoryReader(options);
  // Through the vault's KeyClient (its pipeline, already past the challenge): a fresh CryptographyClient would pay the
  // 401 round trip again on every wrap and unwrap. It still reads the key version once (local wrap, remote unwrap).
  const crypto = <T>(vault: string, key: string, version: string, call: (c: CryptographyClient) => Promise<T>): Promise<T> =>
    withClient(vault, (c) => call(c.getCryptographyClient(key, { keyVersion: version })));

  const created = (k: { id?: string | undefined; properties: { version?: string | undefined; expiresOn?: Date | undefined; createdOn?: Date | undefined }; key?: JsonWebKey | undefined }): CreatedVersion => {
    if (!k.id || !k.properties.version || !k.key?.n || !k.key.e) throw new Error('Key Vault returned a key without id, version or public key');
    return { kid: k.id, version: k.properties.version, thumbprint: rsaThumbprint({ n: k.key.n, e: k.key.e }), exp: k.properties.expiresOn?.getTime() ?? null, created: k.properties.createdOn?.getTime() ?? null };
  };

  return {
    listVersions: (vault, key) => inventory.listVersions(vault, key),
    async importVersion(vault: string, key: string, jwk: RsaJwk, tags, hsm, expiresOn) {
      const material: JsonWebKey = {
        kty: hsm ? 'RSA-HSM' : 'RSA', keyOps: ['wrapKey', 'unwrapKey'],
        n: bytes(jwk.n), e: bytes(jwk.e), d: bytes(jwk.d), p: bytes(jwk.p), q: bytes(jwk.q), dp: bytes(jwk.dp), dq: bytes(jwk.dq), qi: bytes(jwk.qi),
      };
      try {
        return created(await withClient(vault, (c) => c.importKey(key, material, { tags: { ...tags }, hardwareProtected: hsm, ...(expiresOn !== null ? { expiresOn: new Date(expiresOn) } : {}) })));
      } catch (err) {
        throw translate(err, vault, 'importKey');
      } finally {
        for (const part of ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const) material[part]?.fill(0);
      }
    },
    async rotate(vault, key) {
      try {
        return created(await withClient(vault, (c) => c.rotateKey(key)));
      } catch (err) {
        throw translate(err, vault, 'rotateKey');
      }
    },
    async tagVersion(vault, key, version, tags, expiresOn) {
      try {
        await withClient(vault, (c) => c.updateKeyProperties(key, version, { tags: { ...tags }, ...(expiresOn != null ? { expiresOn: new Date(expiresOn) } : {}) }));
      } catch (err) {
        throw translate(err, vault, 'updateKeyProperties');
      }
    },
    async wrap(vault, key, version, data) {
      try {
        const r = await crypto(vault, key, version, (c) => c.wrapKey('RSA-OAEP-256', data));
        return Buffer.from(r.result).toString('base64url');
      } catch (err) {
        throw translate(err, vault, 'wrapKey');
      }
    },
    async unwrap(vault, key, version, wrapped) {
      try {
        const r = await crypto(vault, key, version, (c) => c.unwrapKey('RSA-OAEP-256', Buffer.from(wrapped, 'base64url')));
        return Buffer.from(r.result);
      } catch (err) {
        throw translate(err, vault, 'unwrapKey');
      }
    },
  };
}
