// Challenge authentication as @azure/keyvault-common runs it (azure-formats.md §4.6), against the emulator.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DevCertificate } from '../../../emulators/certs.js';
import type { KeyVaultEmulator } from '../../../emulators/keyvault/index.js';
import { ADMIN, devCert, keyClient, rawRequest, startEmulator, TENANT } from './support.js';

let cert: DevCertificate;
let kv: KeyVaultEmulator | undefined;

beforeAll(async () => {
  cert = await devCert();
});

afterEach(async () => {
  await kv?.close();
  kv = undefined;
});

describe('challenge authentication', () => {
  it('answers a request without a token with 401 and a Bearer challenge naming the tenant and resource', async () => {
    kv = await startEmulator(cert, { vaults: [{ name: 'kv-a' }] });
    const res = await rawRequest(cert, `${kv.vaultUrl('kv-a')}keys/k1/?api%2Dversion=2025-07-01`, { headers: { 'x-ms-client-request-id': 'c-1' } });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(`Bearer authorization="https://login.microsoftonline.com/${TENANT}", resource="https://vault.localhost"`);
    expect(JSON.parse(res.text)).toEqual({ error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' } });
    expect(res.headers['x-ms-client-request-id']).toBe('c-1');

    const [rec] = kv.auditLog();
    expect(rec).toMatchObject({ operationName: 'KeyGet', resultType: 'Success', resultSignature: 'Unauthorized', correlationId: 'c-1', operationVersion: '2025-07-01' });
    expect(rec?.properties.httpStatusCode).toBe(401);
    expect(rec).not.toHaveProperty('identity');
    expect(rec?.properties).not.toHaveProperty('isRbacAuthorized');
  });

  it('lets the real KeyClient through the challenge with resource verification on (no disableChallengeResourceVerification)', async () => {
    kv = await startEmulator(cert, { vaults: [{ name: 'kv-a' }] });
    kv.grant('kv-a', ADMIN.oid, 'all');
    const client = keyClient(kv, 'kv-a', ADMIN, cert);
    const created = await client.createKey('k1', 'RSA');
    const again = await client.getKey('k1');
    expect(again.id).toBe(created.id);

    const log = kv.auditLog();
    // One challenge per client instance: the first call is sent without token and without body, then resent.
    expect(log.map((r) => [r.operationName, r.properties.httpStatusCode])).toEqual([
      ['KeyCreate', 401],
      ['KeyCreate', 200],
      ['KeyGet', 200],
    ]);
    expect(log[1]?.correlationId).toBe(log[0]?.correlationId);
    expect(log[1]?.identity?.claim).toMatchObject({ oid: ADMIN.oid, appid: ADMIN.appid });
  });

  it('refuses a token for another audience with a fresh challenge', async () => {
    kv = await startEmulator(cert, { vaults: [{ name: 'kv-a' }] });
    const claims = Buffer.from(JSON.stringify({ aud: 'https://management.azure.com', oid: ADMIN.oid })).toString('base64url');
    const res = await rawRequest(cert, `${kv.vaultUrl('kv-a')}keys/k1/?api-version=7.4`, { headers: { authorization: `Bearer e30.${claims}.` } });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toContain('resource="https://vault.localhost"');
    expect(kv.auditLog()[0]).not.toHaveProperty('identity');
  });
});
