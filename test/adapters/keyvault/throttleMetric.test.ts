// `keysteward.keyvault.throttled`: every 429 the Key Vault clients receive is counted for its vault, the SDK's own
// retries included — against the Key Vault emulator's per-vault throttling, the count equals the 429s it answered.
import { describe, expect, it } from 'vitest';
import { LocalEmulatorCredential } from '../../../adapters/azure/localCredential.js';
import { createKeyVaultInventoryReader } from '../../../adapters/keyvault/inventoryReader.js';
import { vaultOfUrl } from '../../../adapters/keyvault/throttleMetric.js';
import { ADMIN, keyClient, sdkPolicies, useEmulatorPerTest } from '../../emulators/keyvault/support.js';
import { useTelemetry } from '../../support/telemetry.js';

const telemetry = useTelemetry('worker');
const emulator = useEmulatorPerTest();

describe('Key Vault 429 counter', () => {
  it('counts each throttled response per vault, equal to the 429s the vault answered; other vaults stay at none', async () => {
    const cert = emulator.cert();
    const em = await emulator.start({ vaults: [{ name: 'kv-cmk-prod-eus' }, { name: 'kv-cmk-prod-wus' }], limits: { rsa2048: 1, windowMs: 60_000 } });
    for (const v of ['kv-cmk-prod-eus', 'kv-cmk-prod-wus']) em.grant(v, ADMIN.oid, 'all');
    await keyClient(em, 'kv-cmk-prod-eus', ADMIN, cert).createRsaKey('k');
    const reader = createKeyVaultInventoryReader({
      credential: new LocalEmulatorCredential(ADMIN),
      vaultUrl: (vault) => em.vaultUrl(vault),
      additionalPolicies: [
        ...sdkPolicies(cert),
        // The SDK would sit out the vault's Retry-After (a minute): make its retries immediate.
        { policy: { name: 'noRetryWait', sendRequest: async (req, next) => { const res = await next(req); if (res.status === 429) res.headers.set('retry-after', '0'); return res; } }, position: 'perRetry' },
      ],
    });
    const before = em.auditLog().length;
    await reader.listVersions('kv-cmk-prod-eus', 'k').catch(() => undefined);
    await reader.listVersions('kv-cmk-prod-eus', 'k').catch(() => undefined);
    const throttled = em.auditLog().slice(before).filter((r) => r.properties.httpStatusCode === 429);
    expect(throttled.length).toBeGreaterThan(1); // the SDK retried
    expect(throttled.every((r) => r.resourceId.toLowerCase().endsWith('/kv-cmk-prod-eus'))).toBe(true);
    expect(await telemetry().points('keysteward.keyvault.throttled')).toEqual([{ attributes: { 'keysteward.vault': 'kv-cmk-prod-eus' }, value: throttled.length }]);
    expect((await telemetry().metric('keysteward.keyvault.throttled'))?.descriptor.unit).toBe('{response}');
  });

  it('names the vault by the first label of its host', () => {
    expect(vaultOfUrl('https://kv-cmk-prod-eus.vault.azure.net/keys/k/1?api-version=7.5')).toBe('kv-cmk-prod-eus');
    expect(vaultOfUrl('https://kv-demo-wus.vault.localhost:8443/keys')).toBe('kv-demo-wus');
    expect(vaultOfUrl('not a url')).toBe('unknown');
  });
});
