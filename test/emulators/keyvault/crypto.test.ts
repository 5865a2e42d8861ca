// wrap/unwrap with real RSA-OAEP and RSA-OAEP-256 through the real CryptographyClient: the SDK wraps RSA-OAEP
// locally with the fetched public key and sends RSA-OAEP-256 to the vault (limits.md K15); unwrap always goes to
// the vault, which must undo both.
import { constants, privateDecrypt, randomBytes } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DevCertificate } from '../../../emulators/certs.js';
import type { KeyVaultEmulator } from '../../../emulators/keyvault/index.js';
import { ADMIN, cryptoClient, devCert, keyClient, restError, rsaJwk, SQL, startEmulator } from './support.js';

let cert: DevCertificate;
let kv: KeyVaultEmulator | undefined;

beforeAll(async () => {
  cert = await devCert();
});

afterEach(async () => {
  await kv?.close();
  kv = undefined;
});

async function start(): Promise<KeyVaultEmulator> {
  kv = await startEmulator(cert, { vaults: [{ name: 'kv-a' }] });
  kv.grant('kv-a', ADMIN.oid, 'all');
  kv.grant('kv-a', SQL.oid, ['get', 'wrapKey', 'unwrapKey']);
  return kv;
}

const ops = (em: KeyVaultEmulator, name: string): string[] => em.auditLog().filter((r) => r.properties.httpStatusCode < 400).map((r) => r.operationName).filter((o) => o === name);

describe('wrap and unwrap', () => {
  it('RSA-OAEP: wrapped locally by the SDK (no KeyWrap call), unwrapped by the vault', async () => {
    const em = await start();
    const key = await keyClient(em, 'kv-a', ADMIN, cert).createRsaKey('dek-kek', { keyOps: ['wrapKey', 'unwrapKey'] });
    const crypto = cryptoClient(key.id ?? '', SQL, cert);
    const dek = randomBytes(32);
    const wrapped = await crypto.wrapKey('RSA-OAEP', dek);
    expect(wrapped.keyID).toBe(key.id);
    expect(ops(em, 'KeyWrap')).toEqual([]);
    const unwrapped = await crypto.unwrapKey('RSA-OAEP', wrapped.result);
    expect(Buffer.from(unwrapped.result).equals(dek)).toBe(true);
    expect(ops(em, 'KeyUnwrap')).toEqual(['KeyUnwrap']);
  });

  it('RSA-OAEP-256: wrapped and unwrapped by the vault', async () => {
    const em = await start();
    const key = await keyClient(em, 'kv-a', ADMIN, cert).createRsaKey('kek256', { keySize: 3072 });
    const crypto = cryptoClient(key, SQL, cert);
    const dek = randomBytes(32);
    const wrapped = await crypto.wrapKey('RSA-OAEP-256', dek);
    expect(ops(em, 'KeyWrap')).toEqual(['KeyWrap']);
    expect(wrapped.result.length).toBe(384);
    const unwrapped = await crypto.unwrapKey('RSA-OAEP-256', wrapped.result);
    expect(Buffer.from(unwrapped.result).equals(dek)).toBe(true);
  });

  it('the vault wraps with the key material it was given (imported key, unwrapped outside the vault)', async () => {
    const em = await start();
    const jwk = rsaJwk();
    const key = await keyClient(em, 'kv-a', ADMIN, cert).importKey('imported', jwk);
    const dek = randomBytes(32);
    const wrapped = await cryptoClient(key, SQL, cert).wrapKey('RSA-OAEP-256', dek);
    const b = (v: Uint8Array | undefined): string => Buffer.from(v ?? []).toString('base64url');
    const privateKey = { key: { kty: 'RSA', n: b(jwk.n), e: b(jwk.e), d: b(jwk.d), p: b(jwk.p), q: b(jwk.q), dp: b(jwk.dp), dq: b(jwk.dq), qi: b(jwk.qi) }, format: 'jwk' as const };
    const plain = privateDecrypt({ key: (await import('node:crypto')).createPrivateKey(privateKey), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, wrapped.result);
    expect(plain.equals(dek)).toBe(true);
  });

  it('refuses an unwrap of garbage, RSA1_5, and (server side) an operation missing from key_ops', async () => {
    const em = await start();
    const client = keyClient(em, 'kv-a', ADMIN, cert);
    const both = cryptoClient(await client.createRsaKey('both', { keyOps: ['wrapKey', 'unwrapKey'] }), ADMIN, cert);
    expect(await restError(both.unwrapKey('RSA-OAEP', randomBytes(256)))).toMatchObject({ statusCode: 400, code: 'BadParameter' });
    expect(await restError(both.unwrapKey('RSA1_5', randomBytes(256)))).toMatchObject({ statusCode: 400, code: 'BadParameter' });

    // The SDK checks key_ops itself once it has read the key; a caller without `get` is refused the read (403) and
    // the SDK falls back to calling the vault, which applies the same check.
    const wrapOnly = await client.createRsaKey('wrap-only', { keyOps: ['wrapKey'] });
    const blind = { oid: '0b0b0b0b-0000-4000-8000-000000000001', tenantId: ADMIN.tenantId ?? '' };
    em.grant('kv-a', blind.oid, ['unwrapKey']);
    const refused = await restError(cryptoClient(wrapOnly.id ?? '', blind, cert).unwrapKey('RSA-OAEP', randomBytes(256)));
    expect(refused).toMatchObject({ statusCode: 403, code: 'Forbidden', message: 'Operation unwrapKey is not permitted on this key.', innerCode: 'KeyOperationForbidden' });
    expect(em.auditLog().slice(-2).map((r) => [r.operationName, r.properties.httpStatusCode])).toEqual([
      ['KeyGet', 403],
      ['KeyUnwrap', 403],
    ]);
  });
});
