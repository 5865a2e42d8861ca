// Per-vault throttling (limits.md K1–K12): a weighted sliding window, 429 + Retry-After beyond it, rejected requests
// not counted, and the real SDK honouring Retry-After.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LocalEmulatorCredential, type LocalPrincipal } from '../../../adapters/azure/localCredential.js';
import type { DevCertificate } from '../../../emulators/certs.js';
import type { KeyVaultEmulator, KeyVaultLimits } from '../../../emulators/keyvault/index.js';
import { operationWeight, resolveLimits, SlidingWindow } from '../../../emulators/keyvault/throttle.js';
import { ADMIN, devCert, keyClient, rawRequest, startEmulator, type RawResponse } from './support.js';

describe('SlidingWindow', () => {
  it('admits up to the limit, then says when enough weight leaves the window', () => {
    const w = new SlidingWindow(4, 10_000);
    expect(w.take(0, 1)).toEqual({ ok: true });
    expect(w.take(2_000, 2)).toEqual({ ok: true });
    expect(w.take(3_000, 1)).toEqual({ ok: true });
    // Full: the request at 0 leaves at 10_000, freeing 1 unit — enough for a weight-1 request.
    expect(w.take(4_000, 1)).toEqual({ ok: false, retryAfterMs: 6_000 });
    // A weight-2 request needs the one at 2_000 gone too.
    expect(w.take(4_000, 2)).toEqual({ ok: false, retryAfterMs: 8_000 });
    expect(w.take(10_000, 1)).toEqual({ ok: true });
  });

  it('does not count rejected requests (K10)', () => {
    const w = new SlidingWindow(2, 1_000);
    w.take(0, 2);
    for (let t = 1; t < 1_000; t += 100) expect(w.take(t, 1).ok).toBe(false);
    expect(w.take(1_000, 2)).toEqual({ ok: true });
  });

  it('lets a request heavier than the whole budget through on an empty window', () => {
    const w = new SlidingWindow(2, 1_000);
    expect(w.take(0, 8)).toEqual({ ok: true });
    expect(w.take(1, 1).ok).toBe(false);
  });

  it('weighs operations like Key Vault (K1–K4): HSM ×2, RSA-3072 ×4, RSA-4096 ×8', () => {
    const l = resolveLimits(undefined);
    expect([operationWeight(l, 'RSA', 2048), operationWeight(l, 'RSA-HSM', 2048), operationWeight(l, 'RSA', 3072), operationWeight(l, 'RSA-HSM', 3072)]).toEqual([1, 2, 4, 8]);
    expect([operationWeight(l, 'RSA', 4096), operationWeight(l, 'RSA-HSM', 4096), operationWeight(l, undefined, undefined)]).toEqual([8, 16, 1]);
    expect(resolveLimits({ rsa2048: 8 }).rsa3072).toBe(2);
  });
});

let cert: DevCertificate;
let kv: KeyVaultEmulator | undefined;
let now = 1_800_000_000_000;

beforeAll(async () => {
  cert = await devCert();
});

afterEach(async () => {
  await kv?.close();
  kv = undefined;
});

async function start(limits: KeyVaultLimits, manualClock = true): Promise<KeyVaultEmulator> {
  now = 1_800_000_000_000;
  kv = await startEmulator(cert, { vaults: [{ name: 'kv-a' }], limits, ...(manualClock ? { clock: () => now } : {}) });
  kv.grant('kv-a', ADMIN.oid, 'all');
  return kv;
}

async function bearer(p: LocalPrincipal): Promise<string> {
  return `Bearer ${(await new LocalEmulatorCredential(p).getToken('https://vault.localhost/.default')).token}`;
}

/** A request with a token (no SDK, so no automatic retry). */
async function call(em: KeyVaultEmulator, method: string, path: string, body?: unknown): Promise<RawResponse> {
  const headers: Record<string, string> = { authorization: await bearer(ADMIN), 'content-type': 'application/json' };
  return rawRequest(cert, `${em.vaultUrl('kv-a')}${path}?api-version=2025-07-01`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
}

describe('throttling through HTTP', () => {
  it('answers 429 Throttled with Retry-After, audits it, and does not count it', async () => {
    const em = await start({ rsa2048: 3, windowMs: 10_000, create: 10 });
    expect((await call(em, 'POST', 'keys/k/create', { kty: 'RSA' })).status).toBe(200);
    now += 1_000;
    expect((await call(em, 'GET', 'keys/k')).status).toBe(200);
    expect((await call(em, 'GET', 'keys/k')).status).toBe(200);
    expect((await call(em, 'GET', 'keys/k')).status).toBe(200);
    now += 1_000;
    const throttled = await call(em, 'GET', 'keys/k');
    expect(throttled.status).toBe(429);
    expect(throttled.headers['retry-after']).toBe('9');
    expect(JSON.parse(throttled.text)).toMatchObject({ error: { code: 'Throttled' } });
    expect(em.auditLog().at(-1)).toMatchObject({ operationName: 'KeyGet', resultType: 'Success', resultSignature: 'Too Many Requests', properties: { httpStatusCode: 429 } });
    for (let i = 0; i < 5; i++) expect((await call(em, 'GET', 'keys/k')).status).toBe(429);
    now += 9_000;
    // The window is empty again, and the eight 429s left nothing behind.
    for (let i = 0; i < 3; i++) expect((await call(em, 'GET', 'keys/k')).status).toBe(200);
  });

  it('weighs by the key: an RSA-HSM key costs 2, an RSA-3072 key 4', async () => {
    const em = await start({ rsa2048: 4, windowMs: 10_000, create: 10 });
    await call(em, 'POST', 'keys/hsm/create', { kty: 'RSA-HSM' });
    await call(em, 'POST', 'keys/big/create', { kty: 'RSA', key_size: 3072 });
    now += 10_000;
    expect((await call(em, 'GET', 'keys/hsm')).status).toBe(200);
    expect((await call(em, 'GET', 'keys/hsm')).status).toBe(200);
    expect((await call(em, 'GET', 'keys/hsm')).status).toBe(429);
    now += 10_000;
    expect((await call(em, 'GET', 'keys/big')).status).toBe(200);
    expect((await call(em, 'GET', 'keys/hsm')).status).toBe(429);
  });

  it('counts create, import and rotate against the creation budget (HSM creations cost 2)', async () => {
    const em = await start({ create: 3, windowMs: 10_000 });
    expect((await call(em, 'POST', 'keys/a/create', { kty: 'RSA' })).status).toBe(200);
    expect((await call(em, 'POST', 'keys/b/create', { kty: 'RSA-HSM' })).status).toBe(200);
    const refused = await call(em, 'POST', 'keys/a/rotate');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // Reads use the operation budget, untouched by creations.
    expect((await call(em, 'GET', 'keys/a')).status).toBe(200);
  });
});

describe('throttling through the SDK', () => {
  it('the SDK waits Retry-After and retries the 429 until it passes', async () => {
    const em = await start({ rsa2048: 2, windowMs: 1_000 }, false);
    const client = keyClient(em, 'kv-a', ADMIN, cert);
    await client.createRsaKey('k');
    await client.getKey('k');
    await client.getKey('k');
    const started = Date.now();
    const key = await client.getKey('k');
    expect(key.name).toBe('k');
    const gets = em.auditLog().filter((r) => r.operationName === 'KeyGet');
    const throttled = gets.filter((r) => r.properties.httpStatusCode === 429);
    expect(throttled.length).toBeGreaterThanOrEqual(1);
    const retried = gets.at(-1);
    expect(retried?.properties.httpStatusCode).toBe(200);
    expect(retried?.correlationId).toBe(throttled.at(-1)?.correlationId);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });
});
