// Injected faults: 429 and 5xx storms and latency, through the API and the admin endpoint, seen by the real SDK
// (retries off, so every faulted answer is visible) and recorded in the audit log like any other answer.
import { KeyClient } from '@azure/keyvault-keys';
import { describe, expect, it } from 'vitest';
import { LocalEmulatorCredential } from '../../../adapters/azure/localCredential.js';
import type { KeyVaultEmulator } from '../../../emulators/keyvault/index.js';
import { InjectedFaults } from '../../../emulators/keyvault/faults.js';
import { ADMIN, adminUrl, rawRequest, restError, sdkPolicies, useEmulatorPerTest } from './support.js';

const emulators = useEmulatorPerTest();

async function started(): Promise<KeyVaultEmulator> {
  const em = await emulators.start({ vaults: [{ name: 'kv-a' }, { name: 'kv-b' }] });
  em.grant('kv-a', ADMIN.oid, 'all');
  em.grant('kv-b', ADMIN.oid, 'all');
  return em;
}

const client = (em: KeyVaultEmulator, vault: string): KeyClient =>
  new KeyClient(em.vaultUrl(vault), new LocalEmulatorCredential(ADMIN), { additionalPolicies: sdkPolicies(emulators.cert()), retryOptions: { maxRetries: 0 } });

describe('injected faults', () => {
  it('a 429 storm of n requests answers Throttled with Retry-After, audited, then the vault works again', async () => {
    const em = await started();
    await client(em, 'kv-a').createRsaKey('k');
    em.inject({ status: 429, count: 2, retryAfterSeconds: 3 });
    const first = await restError(client(em, 'kv-a').getKey('k'));
    expect(first).toMatchObject({ statusCode: 429, code: 'Throttled' });
    expect((await restError(client(em, 'kv-a').getKey('k'))).statusCode).toBe(429);
    expect((await client(em, 'kv-a').getKey('k')).name).toBe('k');
    const statuses = em.auditLog().filter((r) => r.operationName === 'KeyGet').map((r) => r.properties.httpStatusCode);
    expect(statuses.filter((s) => s !== 401)).toEqual([429, 429, 200]);
  });

  it('a 5xx storm limited to one vault leaves the others alone, and ends when cleared', async () => {
    const em = await started();
    await client(em, 'kv-a').createRsaKey('k');
    await client(em, 'kv-b').createRsaKey('k');
    em.inject({ status: 503, vaults: ['KV-A'] });
    expect((await restError(client(em, 'kv-a').getKey('k'))).statusCode).toBe(503);
    expect((await restError(client(em, 'kv-a').getKey('k'))).statusCode).toBe(503);
    expect((await client(em, 'kv-b').getKey('k')).name).toBe('k');
    em.clearFaults();
    expect((await client(em, 'kv-a').getKey('k')).name).toBe('k');
  });

  it('the admin endpoint injects a timed 500 storm and latency, lists them, refuses invalid ones and clears them', async () => {
    const em = await started();
    await client(em, 'kv-a').createRsaKey('k');
    const cert = emulators.cert();
    const post = async (body: unknown) => rawRequest(cert, adminUrl(em, '/_admin/faults'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post({ status: 418 })).status).toBe(400);
    expect((await post({ latencyMs: 10, vaults: ['kv-nope'] })).status).toBe(404);
    expect((await post({ status: 500, durationMs: 60_000 })).status).toBe(200);
    expect((await post({ latencyMs: 150 })).status).toBe(200);
    const listed = JSON.parse((await rawRequest(cert, adminUrl(em, '/_admin/faults'))).text) as { faults: unknown[] };
    expect(listed.faults).toHaveLength(2);
    expect((await restError(client(em, 'kv-a').getKey('k'))).statusCode).toBe(500);
    expect((await rawRequest(cert, adminUrl(em, '/_admin/faults'), { method: 'DELETE' })).status).toBe(200);
    expect((await client(em, 'kv-a').getKey('k')).name).toBe('k');
  });

  it('faults decide per request: latencies add up, the first error wins, counts and end times expire them', () => {
    let now = 1_000;
    const faults = new InjectedFaults(() => now);
    faults.inject({ latencyMs: 100, vaults: ['kv-a'] });
    faults.inject({ status: 503, count: 1 });
    faults.inject({ status: 429, latencyMs: 50, durationMs: 500 });
    const first = faults.take('kv-a');
    expect(first.latencyMs).toBe(150);
    expect(first.error?.status).toBe(503);
    const second = faults.take('kv-b');
    expect(second).toMatchObject({ latencyMs: 50 });
    expect(second.error?.status).toBe(429);
    now += 500;
    expect(faults.take('kv-b')).toEqual({ latencyMs: 0, error: null });
    expect(faults.take('kv-a')).toEqual({ latencyMs: 100, error: null });
    expect(() => faults.inject({ count: 0, status: 429 })).toThrow(/count/);
  });

  it('keyVersions shows every version with its tags and private members (for leak scans), [] for an unknown key', async () => {
    const em = await started();
    const k = await client(em, 'kv-a').createRsaKey('k', { tags: { run: 'r1' } });
    const versions = em.keyVersions('kv-a', 'k');
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatchObject({ version: k.properties.version, enabled: true, tags: { run: 'r1' } });
    expect(Object.keys(versions[0]?.privateParts ?? {}).sort()).toEqual(['d', 'dp', 'dq', 'p', 'q', 'qi']);
    expect(em.keyVersions('kv-a', 'nope')).toEqual([]);
  });
});
