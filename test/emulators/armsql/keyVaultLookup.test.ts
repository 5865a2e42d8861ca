// keyVaultLookup wires the ARM SQL emulator to the Key Vault emulator: SQL's key check runs as the server's identity,
// so vault permissions and key state decide what ARM accepts, and identical material imported into both vaults lets
// the primary switch after its secondary — end to end through both real SDKs and the ProtectorSwitch adapter.
import { KeyClient, type JsonWebKey } from '@azure/keyvault-keys';
import { generateKeyPair, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ArmSqlError, ArmSqlKeyAccessError, createProtectorSwitch, serverKeyNameOf } from '../../../adapters/armsql/index.js';
import { LocalEmulatorCredential, type LocalPrincipal } from '../../../adapters/azure/localCredential.js';
import type { DevCertificate } from '../../../emulators/certs.js';
import { keyVaultLookup, startArmSqlEmulator, type ArmSqlEmulator } from '../../../emulators/armsql/index.js';
import { startKeyVaultEmulator, type KeyVaultEmulator } from '../../../emulators/keyvault/index.js';
import { AUTOMATION, EUS, PRIMARY, RG, SECONDARY, WUS, devCert, sdkPolicies, serverId, sqlClient } from './support.js';

const SQL_EUS: LocalPrincipal = { oid: '5e2a7c1d-8f3b-4a6e-b9d0-1c2e3f4a5b6c' };
const SQL_WUS: LocalPrincipal = { oid: '6f3b8d2e-9a4c-4b7f-8e1d-2d3f4a5b6c7d' };
const KEY = 'sql-tde-protector';

let cert: DevCertificate;
let kv: KeyVaultEmulator | undefined;
let arm: ArmSqlEmulator | undefined;

beforeAll(async () => {
  cert = await devCert();
});

afterEach(async () => {
  await arm?.close();
  await kv?.close();
  arm = undefined;
  kv = undefined;
});

// RSA-4096 generation takes seconds: started at load, in the thread pool, while the other tests run.
const rsa4096 = new Promise<KeyObject>((resolve, reject) => generateKeyPair('rsa', { modulusLength: 4096 }, (err, _pub, priv) => (err ? reject(err) : resolve(priv))));

function rsaJwk(from: number | KeyObject): JsonWebKey {
  const key = typeof from === 'number' ? generateKeyPairSync('rsa', { modulusLength: from }).privateKey : from;
  const jwk = key.export({ format: 'jwk' });
  const b = (v: string | undefined): Uint8Array => Buffer.from(v ?? '', 'base64url');
  return { kty: 'RSA', n: b(jwk.n), e: b(jwk.e), d: b(jwk.d), p: b(jwk.p), q: b(jwk.q), dp: b(jwk.dp), dq: b(jwk.dq), qi: b(jwk.qi), keyOps: ['wrapKey', 'unwrapKey'] };
}

interface Setup {
  readonly admin: (vault: string) => KeyClient;
  /** Imports one material into both vaults: the kids per vault. */
  readonly importBoth: () => Promise<{ eus: string; wus: string }>;
}

async function setup(servers: { primaryIdentity?: boolean } = {}): Promise<Setup> {
  kv = await startKeyVaultEmulator({ tls: { cert: cert.certPem, key: cert.keyPem }, vaults: [{ name: EUS }, { name: WUS, region: 'westus' }] });
  const k = kv;
  for (const v of [EUS, WUS]) k.grant(v, AUTOMATION.oid, 'all');
  k.grant(EUS, SQL_EUS.oid, ['get', 'wrapKey', 'unwrapKey']);
  k.grant(WUS, SQL_WUS.oid, ['get', 'wrapKey', 'unwrapKey']);
  const admin = (vault: string): KeyClient => new KeyClient(k.vaultUrl(vault), new LocalEmulatorCredential(AUTOMATION), { additionalPolicies: sdkPolicies(cert) });
  arm = await startArmSqlEmulator({
    tls: { cert: cert.certPem, key: cert.keyPem },
    servers: [
      { resourceId: PRIMARY, ...(servers.primaryIdentity === false ? {} : { principalId: SQL_EUS.oid }), partners: [SECONDARY] },
      { resourceId: SECONDARY, principalId: SQL_WUS.oid, location: 'westus' },
    ],
    keyExists: keyVaultLookup({ additionalPolicies: sdkPolicies(cert) }),
  });
  return {
    admin,
    importBoth: async () => {
      const jwk = rsaJwk(2048);
      const eus = await admin(EUS).importKey(KEY, jwk);
      const wus = await admin(WUS).importKey(KEY, jwk);
      return { eus: eus.id ?? '', wus: wus.id ?? '' };
    },
  };
}

function protectorSwitch(e: ArmSqlEmulator): ReturnType<typeof createProtectorSwitch> {
  return createProtectorSwitch({ credential: new LocalEmulatorCredential(AUTOMATION), endpoint: e.endpoint, additionalPolicies: sdkPolicies(cert), maxRetries: 0 });
}

async function caught(p: Promise<unknown>): Promise<ArmSqlError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ArmSqlError) return e;
    throw e;
  }
  throw new Error('expected an ArmSqlError');
}

describe('keyVaultLookup', () => {
  it('identical material in both vaults: secondary then primary switch; the server keys carry equal thumbprints', async () => {
    const s = await setup();
    const kids = await s.importBoth();
    const sw = protectorSwitch(arm as ArmSqlEmulator);
    await sw.addServerKey(SECONDARY, kids.wus);
    await sw.setProtector(SECONDARY, kids.wus);
    await sw.addServerKey(PRIMARY, kids.eus);
    await sw.setProtector(PRIMARY, kids.eus);
    expect((await sw.getProtector(PRIMARY)).kid).toBe(kids.eus);
    const sql = sqlClient(arm as ArmSqlEmulator, cert);
    const name = (k: string): string => serverKeyNameOf(k);
    const [onPrimary, onSecondary] = await Promise.all([sql.serverKeys.get(RG, 'sql-orders-eus', name(kids.eus)), sql.serverKeys.get(RG, 'sql-orders-wus', name(kids.wus))]);
    expect(onPrimary.thumbprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(onPrimary.thumbprint).toBe(onSecondary.thumbprint);
    expect(kids.eus).toMatch(new RegExp(`^https://${EUS}\\.vault\\.localhost:\\d+/keys/${KEY}/[0-9a-f]{32}$`));
  });

  it('different material in the secondary vault: the primary is refused', async () => {
    const s = await setup();
    const eus = (await s.admin(EUS).importKey(KEY, rsaJwk(2048))).id ?? '';
    const wus = (await s.admin(WUS).importKey(KEY, rsaJwk(2048))).id ?? '';
    const sw = protectorSwitch(arm as ArmSqlEmulator);
    await sw.addServerKey(SECONDARY, wus);
    await sw.setProtector(SECONDARY, wus);
    await sw.addServerKey(PRIMARY, eus);
    expect(await caught(sw.setProtector(PRIMARY, eus))).toMatchObject({ status: 400, code: 'KeyMaterialNotFoundOnRemoteServer' });
  });

  it("the server identity lost 'get' on its vault: 401 AzureKeyVaultMissingPermissions", async () => {
    const s = await setup();
    const kids = await s.importBoth();
    kv?.revoke(WUS, SQL_WUS.oid);
    const err = await caught(protectorSwitch(arm as ArmSqlEmulator).addServerKey(SECONDARY, kids.wus));
    expect(err).toBeInstanceOf(ArmSqlKeyAccessError);
    expect(err).toMatchObject({ status: 401, code: 'AzureKeyVaultMissingPermissions', retryable: false });
  });

  it('a disabled version: 401 AzureKeyVaultKeyDisabled', async () => {
    const s = await setup();
    const kids = await s.importBoth();
    const version = kids.wus.split('/').at(-1) ?? '';
    await s.admin(WUS).updateKeyProperties(KEY, version, { enabled: false });
    expect(await caught(protectorSwitch(arm as ArmSqlEmulator).addServerKey(SECONDARY, kids.wus))).toMatchObject({ status: 401, code: 'AzureKeyVaultKeyDisabled' });
  });

  it('a version that does not exist: 409 AzureKeyVaultKeyNameNotFound', async () => {
    await setup();
    const missing = `${kv?.vaultUrl(WUS)}keys/${KEY}/00000000000000000000000000000000`;
    expect(await caught(protectorSwitch(arm as ArmSqlEmulator).addServerKey(SECONDARY, missing))).toMatchObject({ status: 409, code: 'AzureKeyVaultKeyNameNotFound' });
  });

  it('RSA 4096 is not a TDE protector (2048 or 3072 only): 400 AzureKeyVaultRsaKeyNotSupported', async () => {
    const s = await setup();
    const big = (await s.admin(WUS).importKey('sql-tde-4096', rsaJwk(await rsa4096))).id ?? '';
    expect(await caught(protectorSwitch(arm as ArmSqlEmulator).addServerKey(SECONDARY, big))).toMatchObject({ status: 400, code: 'AzureKeyVaultRsaKeyNotSupported' });
  });

  it('a server without identity: 401 AzureKeyVaultNoServerIdentity', async () => {
    const s = await setup({ primaryIdentity: false });
    const kids = await s.importBoth();
    expect(await caught(protectorSwitch(arm as ArmSqlEmulator).addServerKey(PRIMARY, kids.eus))).toMatchObject({ status: 401, code: 'AzureKeyVaultNoServerIdentity' });
  });

  it('an unreachable vault: 503 AzureKeyVaultConnectionFailed, retryable', async () => {
    await setup();
    const nowhere = `https://kv-gone.vault.localhost:1/keys/${KEY}/00000000000000000000000000000000`;
    const err = await caught(protectorSwitch(arm as ArmSqlEmulator).addServerKey(serverId('sql-orders-wus'), nowhere));
    expect(err).toMatchObject({ status: 503, code: 'AzureKeyVaultConnectionFailed', retryable: true });
  });
});
