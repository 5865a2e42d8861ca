// The local stand-in for the demo's Cosmos DB accounts: the Cosmos emulator holding, for every cosmos-always-encrypted
// protector, its databases with a few client encryption keys wrapped (RSA-OAEP, as Cosmos's Key Vault resolver does)
// under the protector key's current version. Like Azure, it refuses client-encryption-key writes made with an Entra
// ID token, so keysteward uses the account key named by the estate's `keySetting` — handed to the host here, never
// written anywhere. The estate file the host reads is the demo's with each account endpoint pointing at the emulator.
import { constants, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyClient } from '@azure/keyvault-keys';
import { parse as parseYaml } from 'yaml';
import { LocalEmulatorCredential } from '../../adapters/azure/localCredential.js';
import { localPolicies } from '../../adapters/azure/localNetwork.js';
import type { Estate } from '../../domain/estate/model.js';
import type { DevCertificate } from '../../emulators/certs.js';
import { startCosmosEmulator, type CosmosEmulator, type SeedCek } from '../../emulators/cosmos/index.js';
import type { KeyVaultEmulator } from '../../emulators/keyvault/index.js';
import { LOCAL_SERVICE_PRINCIPAL } from '../composition.js';
import { LOCAL_ADMIN, type SeededVersions } from './seed.js';

/** Client encryption keys seeded per database. */
const CEKS_PER_DATABASE = 4;

export interface LocalCosmos {
  readonly emulator: CosmosEmulator;
  /** The estate file the host must read: the given one, its Cosmos endpoints pointing at the emulator. */
  readonly estatePath: string;
  /** App settings the estate names (account keys), for the host's `settings`. */
  readonly settings: ReadonlyMap<string, string>;
  /** The client encryption keys seeded, by account (resource id): what ARM lists for the account's databases. */
  readonly clientEncryptionKeys: ReadonlyMap<string, ReadonlyArray<{ readonly database: string; readonly id: string; readonly keyWrapUri: string }>>;
  close(): Promise<void>;
}

/** Public half of `vault/key/version` as a KeyObject, read by the demo operator. */
async function publicKeyOf(kv: KeyVaultEmulator, vault: string, key: string, version: string) {
  const client = new KeyClient(kv.vaultUrl(vault), new LocalEmulatorCredential(LOCAL_ADMIN), { additionalPolicies: localPolicies() });
  const k = await client.getKey(key, { version });
  const n = k.key?.n;
  const e = k.key?.e;
  if (!n || !e) throw new Error(`no public key for ${vault}/${key}/${version}`);
  return createPublicKey({ key: { kty: 'RSA', n: Buffer.from(n).toString('base64url'), e: Buffer.from(e).toString('base64url') }, format: 'jwk' });
}

export async function startLocalCosmos(kv: KeyVaultEmulator, estate: Estate, seeded: SeededVersions, cert: DevCertificate, estatePath: string): Promise<LocalCosmos> {
  const databases: Array<{ id: string; clientEncryptionKeys: SeedCek[] }> = [];
  const byAccount = new Map<string, Array<{ database: string; id: string; keyWrapUri: string }>>();
  for (const p of estate.protectors) {
    if (p.kind !== 'cosmos-always-encrypted' || !p.alwaysEncrypted) continue;
    const vault = p.members[0]?.vault ?? '';
    const version = seeded.get(p.id)?.get(vault);
    if (!version) continue;
    const publicKey = await publicKeyOf(kv, vault, p.keyName, version);
    const kid = `${kv.vaultUrl(vault).replace(/\/$/, '')}/keys/${p.keyName}/${version}`;
    for (const db of p.alwaysEncrypted.databases) {
      const clientEncryptionKeys = Array.from({ length: CEKS_PER_DATABASE }, (_, i): SeedCek => {
        const dek = randomBytes(32);
        try {
          return {
            id: `${p.id}-cek-${i + 1}`,
            keyWrapMetadata: { type: 'AZURE_KEY_VAULT', name: p.keyName, value: kid, algorithm: 'RSA-OAEP' },
            wrappedDataEncryptionKey: publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, dek),
          };
        } finally {
          dek.fill(0);
        }
      });
      databases.push({ id: db, clientEncryptionKeys });
      const account = p.members[0]?.resourceId ?? '';
      byAccount.set(account, [...(byAccount.get(account) ?? []), ...clientEncryptionKeys.map((k) => ({ database: db, id: k.id, keyWrapUri: kid }))]);
    }
  }
  const emulator = await startCosmosEmulator({ cert: { cert: cert.certPem, key: cert.keyPem }, databases, aadMetadataWrites: 'refused' });
  emulator.grant(LOCAL_SERVICE_PRINCIPAL.oid, 'reader');

  const text = await readFile(estatePath, 'utf8');
  const doc = (() => {
    try {
      return JSON.parse(text) as { protectors?: Array<{ alwaysEncrypted?: { endpoint?: string; keySetting?: string } }> };
    } catch {
      return parseYaml(text) as { protectors?: Array<{ alwaysEncrypted?: { endpoint?: string; keySetting?: string } }> };
    }
  })();
  const settings = new Map<string, string>();
  for (const p of doc.protectors ?? []) {
    if (!p.alwaysEncrypted) continue;
    p.alwaysEncrypted.endpoint = emulator.endpoint;
    if (p.alwaysEncrypted.keySetting) settings.set(p.alwaysEncrypted.keySetting, emulator.masterKey);
  }
  const dir = await mkdtemp(join(tmpdir(), 'keysteward-local-'));
  const derived = join(dir, 'estate.json');
  await writeFile(derived, JSON.stringify(doc, null, 2));
  return {
    emulator,
    estatePath: derived,
    settings,
    clientEncryptionKeys: byAccount,
    close: async () => {
      await emulator.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
