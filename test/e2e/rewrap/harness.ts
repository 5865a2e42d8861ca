// The rewrap end-to-end rig: the Key Vault emulator (real @azure/keyvault-keys over HTTPS), Azurite Table Storage
// behind TableDekStore, a key with DEKs wrapped under its first version, and the production adapters
// (KeyWrapper, KeyAdmin) acting as least-privilege principals.
import { createHash, randomBytes } from 'node:crypto';
import { LocalEmulatorCredential, type LocalPrincipal } from '../../../adapters/azure/localCredential.js';
import { TableDekStore } from '../../../adapters/dekstore/tableDekStore.js';
import { createKeyAdmin, createKeyWrapper } from '../../../adapters/keyvault/crypto/index.js';
import type { KeyAdmin } from '../../../app/retirement/ports.js';
import type { DekStore, KeyWrapper, WrapAlgorithm } from '../../../app/rewrap/ports.js';
import type { TableConnection } from '../../../adapters/tables/connection.js';
import type { DevCertificate } from '../../../emulators/certs.js';
import type { KeyVaultEmulator, KeyVaultLimits } from '../../../emulators/keyvault/index.js';
import { ADMIN, keyClient, sdkPolicies, startEmulator } from '../../emulators/keyvault/support.js';
import { uniqueTableName } from '../../support/azurite.js';

export const VAULT = 'kv-rewrap';
export const KEY = 'dek-kek';

/** The rewrap worker's identity: Key Vault Crypto Service Encryption User — get, wrap, unwrap; nothing else (S3). */
export const REWRAPPER: LocalPrincipal = { oid: '7e7e7e7e-1111-4222-8333-444444444444', tenantId: ADMIN.tenantId ?? '' };

export interface SeededDek {
  readonly id: string;
  /** SHA-256 of the plaintext, base64url: what the rig remembers to check unwraps against (the plaintext is dropped). */
  readonly fingerprint: string;
  readonly wrapped: string;
}

export interface Rig {
  readonly kv: KeyVaultEmulator;
  readonly store: DekStore;
  readonly wrapper: KeyWrapper;
  /** Another wrapper for assertions, with the SDK's own retries on (it honours Retry-After), so checks pass in a tight vault. */
  readonly verifier: KeyWrapper;
  readonly admin: KeyAdmin;
  readonly v1: string;
  readonly deks: SeededDek[];
  /** Rotates the key (KeyClient.rotateKey): the new version's kid. */
  rotate(): Promise<string>;
  /** Successful audit records of an operation (KeyUnwrap, KeyWrap, KeyGet...). */
  ops(operation: string): number;
  /** 429 answers so far. */
  throttled(): number;
}

export async function startRig(cert: DevCertificate, tables: TableConnection, o: { deks: number; limits?: KeyVaultLimits; alg?: WrapAlgorithm }): Promise<Rig> {
  const kv = await startEmulator(cert, { vaults: [{ name: VAULT }], ...(o.limits ? { limits: o.limits } : {}) });
  try {
    kv.grant(VAULT, ADMIN.oid, 'all');
    kv.grant(VAULT, REWRAPPER.oid, ['get', 'wrapKey', 'unwrapKey']);
    const admin = keyClient(kv, VAULT, ADMIN, cert);
    const created = await admin.createRsaKey(KEY, { keySize: 2048 });
    const v1 = created.id ?? '';
    const store = new TableDekStore(tables, { tableName: uniqueTableName('deks') });
    const wrapper = createKeyWrapper({ credential: new LocalEmulatorCredential(REWRAPPER), additionalPolicies: sdkPolicies(cert) });
    const deks = await seed(store, wrapper, v1, o.deks, o.alg ?? 'RSA-OAEP-256');
    return {
      kv,
      store,
      wrapper,
      verifier: createKeyWrapper({ credential: new LocalEmulatorCredential(REWRAPPER), additionalPolicies: sdkPolicies(cert), maxRetries: 20 }),
      admin: createKeyAdmin({ credential: new LocalEmulatorCredential(ADMIN), vaultUrl: (v) => kv.vaultUrl(v), additionalPolicies: sdkPolicies(cert) }),
      v1,
      deks,
      rotate: async () => (await admin.rotateKey(KEY)).id ?? '',
      ops: (operation) => kv.auditLog().filter((r) => r.operationName === operation && r.properties.httpStatusCode < 400).length,
      throttled: () => kv.auditLog().filter((r) => r.properties.httpStatusCode === 429).length,
    };
  } catch (err) {
    await kv.close();
    throw err;
  }
}

/** DEKs wrapped locally under `kid` with its public key (no vault call but the one GET), inserted 16 at a time. */
async function seed(store: DekStore, wrapper: KeyWrapper, kid: string, count: number, alg: WrapAlgorithm): Promise<SeededDek[]> {
  const key = await wrapper.wrappingKey(kid);
  const deks: SeededDek[] = [];
  for (let i = 0; i < count; i++) {
    const plaintext = randomBytes(32);
    deks.push({ id: `dek-${String(i).padStart(5, '0')}`, fingerprint: createHash('sha256').update(plaintext).digest('base64url'), wrapped: wrapper.wrapLocally(key, alg, plaintext).toString('base64url') });
    plaintext.fill(0);
  }
  for (let i = 0; i < deks.length; i += 16) {
    await Promise.all(deks.slice(i, i + 16).map((d) => store.insert({ id: d.id, kid, alg, wrapped: d.wrapped, fingerprint: d.fingerprint })));
  }
  return deks;
}

/** Unwraps every stored DEK through the emulator under `kid` and returns the ids that do not open to their fingerprint. */
export async function unopenable(rig: Rig, kid: string): Promise<string[]> {
  const bad: string[] = [];
  for (let i = 0; i < rig.deks.length; i += 16) {
    await Promise.all(
      rig.deks.slice(i, i + 16).map(async (d) => {
        const row = await rig.store.get(d.id);
        if (!row || row.kid !== kid || (row.alg !== 'RSA-OAEP' && row.alg !== 'RSA-OAEP-256')) return void bad.push(d.id);
        const plain = await rig.verifier.unwrap(kid, row.alg, Buffer.from(row.wrapped, 'base64url'));
        if (createHash('sha256').update(plain).digest('base64url') !== d.fingerprint) bad.push(d.id);
        plain.fill(0);
      }),
    );
  }
  return bad;
}
