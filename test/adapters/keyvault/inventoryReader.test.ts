// The production inventory reader over the real @azure/keyvault-keys client, against the Key Vault emulator.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LocalEmulatorCredential, type LocalPrincipal } from '../../../adapters/azure/localCredential.js';
import { KeyVaultForbiddenError, KeyVaultThrottledError } from '../../../adapters/keyvault/errors.js';
import { createKeyVaultInventoryReader } from '../../../adapters/keyvault/inventoryReader.js';
import { rsaThumbprint } from '../../../adapters/keyvault/thumbprint.js';
import type { DevCertificate } from '../../../emulators/certs.js';
import type { KeyVaultEmulator, KeyVaultLimits } from '../../../emulators/keyvault/index.js';
import { ADMIN, devCert, keyClient, rsaJwk, SQL, startEmulator, sdkPolicies } from '../../emulators/keyvault/support.js';

let cert: DevCertificate;
let kv: KeyVaultEmulator | undefined;

beforeAll(async () => {
  cert = await devCert();
});

afterEach(async () => {
  await kv?.close();
  kv = undefined;
});

const READER: LocalPrincipal = { oid: '3c3c3c3c-1111-4222-8333-444444444444', tenantId: ADMIN.tenantId ?? '' };

async function start(limits?: KeyVaultLimits): Promise<KeyVaultEmulator> {
  kv = await startEmulator(cert, { vaults: [{ name: 'kv-cmk-prod-eus' }, { name: 'kv-cmk-prod-wus', region: 'westus' }], ...(limits ? { limits } : {}) });
  for (const v of ['kv-cmk-prod-eus', 'kv-cmk-prod-wus']) {
    kv.grant(v, ADMIN.oid, 'all');
    kv.grant(v, READER.oid, ['get', 'list']);
  }
  return kv;
}

function reader(em: KeyVaultEmulator, principal: LocalPrincipal = READER) {
  return createKeyVaultInventoryReader({ credential: new LocalEmulatorCredential(principal), vaultUrl: (vault) => em.vaultUrl(vault), additionalPolicies: sdkPolicies(cert) });
}

describe('createKeyVaultInventoryReader', () => {
  it('identical material imported into two vaults: equal thumbprints, different version ids', async () => {
    const em = await start();
    const jwk = rsaJwk(3072);
    const eus = keyClient(em, 'kv-cmk-prod-eus', ADMIN, cert);
    const wus = keyClient(em, 'kv-cmk-prod-wus', ADMIN, cert);
    const exp = new Date(Date.UTC(2028, 5, 1));
    const created = await eus.createRsaKey('sql-tde-protector', { keySize: 3072 });
    const inEus = await eus.importKey('sql-tde-protector', jwk, { hardwareProtected: true, expiresOn: exp, tags: { rotation: 'r-7' } });
    const inWus = await wus.importKey('sql-tde-protector', jwk, { tags: { rotation: 'r-7' } });
    await eus.updateKeyProperties('sql-tde-protector', created.properties.version ?? '', { enabled: false });

    const r = reader(em);
    const east = await r.listVersions('kv-cmk-prod-eus', 'sql-tde-protector');
    const west = await r.listVersions('kv-cmk-prod-wus', 'sql-tde-protector');
    const expected = rsaThumbprint({ n: jwk.n ?? new Uint8Array(), e: jwk.e ?? new Uint8Array() });

    expect(east).toHaveLength(2);
    expect(west).toHaveLength(1);
    // Key Vault's `created` has one-second resolution: two versions made in the same second tie, so pick by id.
    const imported = east.find((v) => v.version === inEus.properties.version);
    const old = east.find((v) => v.version === created.properties.version);
    expect(imported).toEqual({
      version: inEus.properties.version,
      thumbprint: expected,
      enabled: true,
      exp: exp.getTime(),
      nbf: null,
      created: inEus.properties.createdOn?.getTime(),
      kty: 'RSA-HSM',
      size: 3072,
      tags: { rotation: 'r-7' },
    });
    expect(west[0]).toMatchObject({ version: inWus.properties.version, thumbprint: expected, kty: 'RSA', size: 3072, enabled: true });
    expect(west[0]?.version).not.toBe(imported?.version);
    // The HSM copy and the software copy of the same material match: the thumbprint input's kty is always "RSA".
    expect(west[0]?.thumbprint).toBe(imported?.thumbprint);
    expect(old).toMatchObject({ version: created.properties.version, enabled: false, size: 3072 });
    expect(old?.thumbprint).not.toBe(expected);
    expect(old?.version).toMatch(/^[0-9a-f]{32}$/);
  });

  it('a key the vault does not hold has no versions', async () => {
    const em = await start();
    expect(await reader(em).listVersions('kv-cmk-prod-wus', 'never-created')).toEqual([]);
  });

  it('a denied read is a KeyVaultForbiddenError naming the reason, with no token in its message', async () => {
    const em = await start();
    await keyClient(em, 'kv-cmk-prod-eus', ADMIN, cert).createRsaKey('k');
    const err = await reader(em, SQL)
      .listVersions('kv-cmk-prod-eus', 'k')
      .then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(KeyVaultForbiddenError);
    const forbidden = err as KeyVaultForbiddenError;
    expect(forbidden).toMatchObject({ status: 403, code: 'Forbidden', innerCode: 'ForbiddenByRbac', denial: 'rbac', vault: 'kv-cmk-prod-eus', operation: 'listPropertiesOfKeyVersions' });
    expect(forbidden.message).toBe(
      'Key Vault listPropertiesOfKeyVersions on vault kv-cmk-prod-eus failed: 403 Forbidden/ForbiddenByRbac (rbac) — Caller is not authorized to perform action on resource.',
    );
    const token = (await new LocalEmulatorCredential(SQL).getToken('https://vault.localhost/.default')).token;
    expect(JSON.stringify({ ...forbidden, message: forbidden.message, stack: forbidden.stack })).not.toContain(token.split('.')[1] ?? 'x');
  });

  it('a throttled vault that stays throttled ends in a KeyVaultThrottledError after the SDK retries', async () => {
    const em = await start({ rsa2048: 1, windowMs: 60_000 });
    await keyClient(em, 'kv-cmk-prod-eus', ADMIN, cert).createRsaKey('k');
    const r = createKeyVaultInventoryReader({
      credential: new LocalEmulatorCredential(READER),
      vaultUrl: (vault) => em.vaultUrl(vault),
      additionalPolicies: [
        ...sdkPolicies(cert),
        // Make the retry policy give up at once: rewrite Retry-After away after the first 429 would wait a minute.
        { policy: { name: 'noRetryWait', sendRequest: async (req, next) => { const res = await next(req); if (res.status === 429) res.headers.set('retry-after', '0'); return res; } }, position: 'perRetry' },
      ],
    });
    // The first call uses the only unit of the window (its 401 challenge does not count).
    await r.listVersions('kv-cmk-prod-eus', 'k').catch(() => undefined);
    const err = await r.listVersions('kv-cmk-prod-eus', 'k').then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(KeyVaultThrottledError);
    expect(err).toMatchObject({ status: 429, code: 'Throttled', retryAfterMs: 0 });
  });
});
