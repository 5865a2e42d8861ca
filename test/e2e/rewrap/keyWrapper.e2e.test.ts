// The production KeyWrapper (adapters/keyvault/crypto) against the Key Vault emulator through the real SDK: public
// key fetched once per kid, both OAEP variants wrapped locally, unwrap remote (even under an expired version), and
// failures typed for the campaign — with no value in any message (I8).
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LocalEmulatorCredential } from '../../../adapters/azure/localCredential.js';
import { createKeyWrapper } from '../../../adapters/keyvault/crypto/index.js';
import { KeyOperationError, type KeyWrapper } from '../../../app/rewrap/ports.js';
import type { DevCertificate } from '../../../emulators/certs.js';
import type { KeyVaultEmulator, KeyVaultLimits } from '../../../emulators/keyvault/index.js';
import { ADMIN, devCert, keyClient, sdkPolicies, startEmulator } from '../../emulators/keyvault/support.js';
import { REWRAPPER } from './harness.js';

let cert: DevCertificate;
let kv: KeyVaultEmulator | undefined;

beforeAll(async () => {
  cert = await devCert();
});

afterEach(async () => {
  await kv?.close();
  kv = undefined;
});

async function setup(limits?: KeyVaultLimits): Promise<{ em: KeyVaultEmulator; kid: string; wrapper: KeyWrapper }> {
  kv = await startEmulator(cert, { vaults: [{ name: 'kv-w' }], ...(limits ? { limits } : {}) });
  kv.grant('kv-w', ADMIN.oid, 'all');
  kv.grant('kv-w', REWRAPPER.oid, ['get', 'wrapKey', 'unwrapKey']);
  const key = await keyClient(kv, 'kv-w', ADMIN, cert).createRsaKey('kek', { keySize: 2048 });
  return { em: kv, kid: key.id ?? '', wrapper: createKeyWrapper({ credential: new LocalEmulatorCredential(REWRAPPER), additionalPolicies: sdkPolicies(cert) }) };
}

const ok = (em: KeyVaultEmulator, op: string): number => em.auditLog().filter((r) => r.operationName === op && r.properties.httpStatusCode < 400).length;

async function failure(p: Promise<unknown>): Promise<KeyOperationError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof KeyOperationError) return e;
    throw e;
  }
  throw new Error('expected a KeyOperationError');
}

describe('KeyWrapper over @azure/keyvault-keys', () => {
  it('fetches the public key once per kid, however many callers ask at once', async () => {
    const { em, kid, wrapper } = await setup();
    const keys = await Promise.all(Array.from({ length: 10 }, () => wrapper.wrappingKey(kid)));
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatchObject({ kid: kid.toLowerCase(), vault: 'kv-w', kty: 'RSA', sizeBits: 2048 });
    expect(ok(em, 'KeyGet')).toBe(1);
  });

  it.each(['RSA-OAEP', 'RSA-OAEP-256'] as const)('%s: wrapped locally (no KeyWrap call), unwrapped by the vault', async (alg) => {
    const { em, kid, wrapper } = await setup();
    const key = await wrapper.wrappingKey(kid);
    const dek = randomBytes(32);
    const wrapped = wrapper.wrapLocally(key, alg, dek);
    expect(wrapped).toHaveLength(256);
    const plain = await wrapper.unwrap(kid, alg, wrapped);
    expect(plain.equals(dek)).toBe(true);
    expect([ok(em, 'KeyWrap'), ok(em, 'KeyUnwrap')]).toEqual([0, 1]);
  });

  it('a fresh client\'s first unwraps, sent all at once, all keep their body (keyvault-common challenge race)', async () => {
    const { kid, wrapper } = await setup();
    const key = await wrapper.wrappingKey(kid);
    // Hold back the 401 of the body-less challenge request, so that another first request completes the challenge
    // before it returns: without the ChallengeGate that request is re-sent empty and fails with 400.
    let held = false;
    const holdFirstChallenge: PipelinePolicy = {
      name: 'holdFirstChallenge',
      sendRequest: async (req, next) => {
        const res = await next(req);
        if (!held && res.status === 401 && !req.body) {
          held = true;
          await new Promise((r) => setTimeout(r, 150));
        }
        return res;
      },
    };
    const fresh = createKeyWrapper({ credential: new LocalEmulatorCredential(REWRAPPER), additionalPolicies: [...sdkPolicies(cert), { policy: holdFirstChallenge, position: 'perRetry' }] });
    const deks = Array.from({ length: 8 }, () => randomBytes(32));
    const plain = await Promise.all(deks.map((d) => fresh.unwrap(kid, 'RSA-OAEP-256', wrapper.wrapLocally(key, 'RSA-OAEP-256', d))));
    plain.forEach((p, i) => expect(p.equals(deks[i] ?? Buffer.alloc(0))).toBe(true));
    expect(held).toBe(true);
  });

  it('unwraps under an expired version: the vault allows it, and the SDK is not asked to pre-check', async () => {
    const { em, kid, wrapper } = await setup();
    const key = await wrapper.wrappingKey(kid);
    const dek = randomBytes(32);
    const wrapped = wrapper.wrapLocally(key, 'RSA-OAEP-256', dek);
    const version = kid.split('/').pop() ?? '';
    await keyClient(em, 'kv-w', ADMIN, cert).updateKeyProperties('kek', version, { expiresOn: new Date(Date.now() - 60_000) });
    expect((await wrapper.unwrap(kid, 'RSA-OAEP-256', wrapped)).equals(dek)).toBe(true);
  });

  it('types failures: 429 with Retry-After, 403 denied, 404 not found, 400 rejected — never echoing the value', async () => {
    const { em, kid, wrapper } = await setup({ windowMs: 60_000, rsa2048: 3 });
    const key = await wrapper.wrappingKey(kid); // 1 unit (the create used the separate creation budget)
    const garbage = randomBytes(256);
    const rejected = await failure(wrapper.unwrap(kid, 'RSA-OAEP-256', garbage));
    expect(rejected).toMatchObject({ kind: 'rejected', status: 400 });
    expect(rejected.message).not.toContain(garbage.toString('base64url').slice(0, 20));
    await wrapper.unwrap(kid, 'RSA-OAEP-256', wrapper.wrapLocally(key, 'RSA-OAEP-256', randomBytes(32)));
    const throttled = await failure(wrapper.unwrap(kid, 'RSA-OAEP-256', garbage));
    expect(throttled).toMatchObject({ kind: 'throttled', status: 429 });
    expect(throttled.retryAfterMs).toBeGreaterThanOrEqual(1000);

    await em.close();
    kv = undefined;
    const fresh = await setup();
    fresh.em.revoke('kv-w', REWRAPPER.oid, ['unwrapKey']);
    expect(await failure(fresh.wrapper.unwrap(fresh.kid, 'RSA-OAEP-256', garbage))).toMatchObject({ kind: 'denied', status: 403 });
    const missing = `${fresh.kid.slice(0, fresh.kid.lastIndexOf('/'))}/${'0'.repeat(32)}`;
    expect(await failure(fresh.wrapper.wrappingKey(missing))).toMatchObject({ kind: 'not_found', status: 404 });
  });

  it('refuses to wrap with a key handle it did not make', async () => {
    const { wrapper } = await setup();
    expect(() => wrapper.wrapLocally({ kid: 'x', vault: 'kv-w', kty: 'RSA', sizeBits: 2048 }, 'RSA-OAEP', randomBytes(32))).toThrow(TypeError);
  });
});
