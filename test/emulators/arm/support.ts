// Shared set-up for the ARM emulator tests: a small hand-made estate across two subscriptions (a three-server
// geo-group, two of them in a failover group, a standalone service-managed server, a managed instance, two Cosmos DB
// accounts, three vaults and a Managed HSM), and the real management clients of each SDK on the dev certificate.
import { CosmosDBManagementClient } from '@azure/arm-cosmosdb';
import { KeyVaultManagementClient } from '@azure/arm-keyvault';
import { SubscriptionClient } from '@azure/arm-resources-subscriptions';
import { SqlManagementClient } from '@azure/arm-sql';
import { LocalEmulatorCredential, type LocalPrincipal } from '../../../adapters/azure/localCredential.js';
import type { DevCertificate } from '../../../emulators/certs.js';
import { startArmEmulator, type ArmEmulator, type ArmEmulatorOptions } from '../../../emulators/arm/index.js';
import { afterEach, beforeAll } from 'vitest';
import { AUTOMATION, devCert, sdkPolicies } from '../armsql/support.js';

export { AUTOMATION, devCert, restError } from '../armsql/support.js';

export const SUB_A = '11111111-1111-4111-8111-111111111111';
export const SUB_B = '22222222-2222-4222-8222-222222222222';
export const RG = 'rg-data';

export const sqlId = (sub: string, name: string, type = 'servers'): string => `/subscriptions/${sub}/resourceGroups/${RG}/providers/Microsoft.Sql/${type}/${name}`;
export const uaiId = (sub: string, name: string): string => `/subscriptions/${sub}/resourceGroups/${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
export const cosmosId = (sub: string, name: string): string => `/subscriptions/${sub}/resourceGroups/${RG}/providers/Microsoft.DocumentDB/databaseAccounts/${name}`;
export const vaultId = (sub: string, name: string, type = 'vaults'): string => `/subscriptions/${sub}/resourceGroups/${RG}/providers/Microsoft.KeyVault/${type}/${name}`;
export const kid = (vault: string, key: string, version = '0a9b8c7d6e5f40312233445566778899'): string => `https://${vault}.vault.azure.net/keys/${key}/${version}`;

export const A1 = sqlId(SUB_A, 'sql-a1');
export const A2 = sqlId(SUB_A, 'sql-a2');
export const A3 = sqlId(SUB_B, 'sql-a3');
export const SOLO = sqlId(SUB_B, 'sql-solo');
export const MI = sqlId(SUB_A, 'mi-1', 'managedInstances');
export const UAI = uaiId(SUB_B, 'uai-sql');
export const COSMOS_UAI = uaiId(SUB_A, 'uai-cosmos');

export const PRINCIPALS = {
  a1: '5e2a7c1d-8f3b-4a6e-b9d0-1c2e3f4a5b01',
  a2: '5e2a7c1d-8f3b-4a6e-b9d0-1c2e3f4a5b02',
  a3System: '5e2a7c1d-8f3b-4a6e-b9d0-1c2e3f4a5b03',
  a3User: '5e2a7c1d-8f3b-4a6e-b9d0-1c2e3f4a5b04',
  mi: '5e2a7c1d-8f3b-4a6e-b9d0-1c2e3f4a5b05',
  cosmos: '5e2a7c1d-8f3b-4a6e-b9d0-1c2e3f4a5b06',
} as const;

export function smallEstate(): ArmEmulatorOptions {
  return {
    tls: { cert: '', key: '' },
    subscriptions: [
      { subscriptionId: SUB_A, displayName: 'data-prod' },
      { subscriptionId: SUB_B, displayName: 'data-dr' },
    ],
    servers: [
      {
        resourceId: A1,
        location: 'eastus',
        principalId: PRINCIPALS.a1,
        partners: [A2, A3],
        protector: kid('kv-eus', 'tde'),
        databases: [
          { name: 'orders', tier: 'GeneralPurpose' },
          { name: 'ledger', tier: 'BusinessCritical' },
          { name: 'scratch', geo: false, encryptionProtector: kid('kv-eus', 'db-scratch') },
        ],
      },
      { resourceId: A2, location: 'westus', principalId: PRINCIPALS.a2, protector: kid('kv-wus', 'tde') },
      {
        resourceId: A3,
        location: 'northeurope',
        principalId: PRINCIPALS.a3System,
        userAssignedIdentities: { [UAI]: PRINCIPALS.a3User },
        primaryUserAssignedIdentityId: UAI,
        protector: kid('kv-neu', 'tde'),
        autoRotation: true,
      },
      { resourceId: SOLO, location: 'eastus' },
    ],
    failoverGroups: [{ name: 'fg-orders', servers: [A1, A2] }],
    managedInstances: [{ resourceId: MI, location: 'eastus', principalId: PRINCIPALS.mi, protector: kid('kv-eus', 'mi-tde') }],
    cosmosAccounts: [
      {
        resourceId: cosmosId(SUB_A, 'cosmos-orders'),
        location: 'eastus',
        userAssignedIdentities: { [COSMOS_UAI]: PRINCIPALS.cosmos },
        keyVaultKeyUri: 'https://kv-eus.vault.azure.net/keys/cmk-cosmos-orders',
        defaultIdentity: `UserAssignedIdentity=${COSMOS_UAI}`,
        databases: [{ name: 'app', clientEncryptionKeys: [{ id: 'cek-1', keyWrapUri: kid('kv-wus', 'ae-orders') }] }, { name: 'empty' }],
      },
      { resourceId: cosmosId(SUB_B, 'cosmos-plain'), location: 'westus' },
    ],
    vaults: [
      { resourceId: vaultId(SUB_A, 'kv-eus'), location: 'eastus', purgeProtection: true },
      { resourceId: vaultId(SUB_A, 'kv-wus'), location: 'westus', rbac: false, networkAcls: { defaultAction: 'Deny', bypass: 'AzureServices' }, softDeleteRetentionDays: 7 },
      { resourceId: vaultId(SUB_B, 'kv-neu'), location: 'northeurope', sku: 'premium' },
    ],
    managedHsms: [{ resourceId: vaultId(SUB_B, 'hsm-1', 'managedHSMs'), location: 'northeurope', purgeProtection: true }],
  };
}

export async function startSmallEstate(cert: DevCertificate, o: Partial<Omit<ArmEmulatorOptions, 'tls'>> = {}): Promise<ArmEmulator> {
  return startArmEmulator({ ...smallEstate(), ...o, tls: { cert: cert.certPem, key: cert.keyPem } });
}

export interface Clients {
  readonly sql: (sub: string) => SqlManagementClient;
  readonly cosmos: (sub: string) => CosmosDBManagementClient;
  readonly keyVault: (sub: string) => KeyVaultManagementClient;
  readonly subscriptions: SubscriptionClient;
}

/** The four management clients on the emulator, as a discovery would build them (retries on by default). */
export function clients(em: ArmEmulator, cert: DevCertificate, o: { principal?: LocalPrincipal; maxRetries?: number } = {}): Clients {
  const credential = new LocalEmulatorCredential(o.principal ?? AUTOMATION);
  const options = { endpoint: em.endpoint, additionalPolicies: sdkPolicies(cert), retryOptions: { maxRetries: o.maxRetries ?? 3 } };
  return {
    sql: (sub) => new SqlManagementClient(credential, sub, options),
    cosmos: (sub) => new CosmosDBManagementClient(credential, sub, options),
    keyVault: (sub) => new KeyVaultManagementClient(credential, sub, options),
    subscriptions: new SubscriptionClient(credential, options),
  };
}

export async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

export interface EmulatorSession {
  /** The dev certificate (read once per file). */
  readonly cert: () => DevCertificate;
  /** Starts the small estate with `o` on top; it is closed after the test. */
  readonly start: (o?: Partial<Omit<ArmEmulatorOptions, 'tls'>>) => Promise<ArmEmulator>;
}

/** For a test file: registers the hooks that read the certificate once and close each test's emulator. */
export function emulatorPerTest(): EmulatorSession {
  let cert: DevCertificate | undefined;
  let em: ArmEmulator | undefined;
  beforeAll(async () => {
    cert = await devCert();
  });
  afterEach(async () => {
    await em?.close();
    em = undefined;
  });
  const certificate = (): DevCertificate => {
    if (!cert) throw new Error('the certificate is read in beforeAll');
    return cert;
  };
  return {
    cert: certificate,
    start: async (o = {}) => {
      em = await startSmallEstate(certificate(), o);
      return em;
    },
  };
}
