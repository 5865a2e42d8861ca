// The ARM emulator for the local stack: the demo's Azure as the management plane shows it, so that keysteward can
// discover its estate (DESIGN.md §6, issue 8). It serves
// - every sql-tde member as a server with its system-assigned identity (the principal the Key Vault emulator's access
//   rules name), geo partners linked, each geo-group a failover group named after its protector (so a failover can be
//   simulated through the SDK or curl), each server's protector and server keys set to the versions seeded in the
//   vaults (as a real estate starts), and SQL's key check answered by the Key Vault emulator — with the server's own
//   identity, and the material's thumbprint so the geo rule compares material, not URIs;
// - every cosmos-cmk member as a Cosmos DB account with `keyVaultKeyUri` (versionless, as Cosmos DB takes it) and its
//   system-assigned identity as `defaultIdentity`; every cosmos-always-encrypted member as an account whose databases
//   list the client encryption keys the Cosmos emulator holds, its document endpoint the emulator's;
// - every vault with its region, resource id, soft-delete, purge protection and network rules, its URI the Key Vault
//   emulator's; and the subscriptions they live in.
// ARM's throttling budget is not exhausted here (UNTHROTTLED, as the rotation paths have always run). Its
// activity-log records go to `onActivity`.
import { KeyClient } from '@azure/keyvault-keys';
import { LocalEmulatorCredential } from '../../adapters/azure/localCredential.js';
import { localPolicies } from '../../adapters/azure/localNetwork.js';
import { rsaThumbprint } from '../../adapters/keyvault/thumbprint.js';
import { parseKeyUri } from '../../domain/keyRef.js';
import type { Estate } from '../../domain/estate/model.js';
import { startArmSqlEmulator } from '../../emulators/armsql/index.js';
import type { ActivityRecord, ArmEmulator, EmulatedArmVault, EmulatedCosmosAccount } from '../../emulators/arm/index.js';
import type { KeyVaultEmulator } from '../../emulators/keyvault/index.js';
import type { DevCertificate } from '../../emulators/certs.js';
import type { LocalCosmos } from './cosmos.js';
import type { SeededVersions } from './seed.js';

/** The demo's subscriptions' display name in the emulated tenant. */
export const LOCAL_SUBSCRIPTION_NAME = 'keysteward-demo';

const subscriptionOf = (resourceId: string): string => resourceId.split('/')[2] ?? '';

function vaultsOf(kv: KeyVaultEmulator, estate: Estate): EmulatedArmVault[] {
  return [...estate.vaults.values()].flatMap((v): EmulatedArmVault[] => {
    if (!v.resourceId) return [];
    const p = v.properties;
    return [
      {
        resourceId: v.resourceId,
        ...(v.region ? { location: v.region } : {}),
        vaultUri: kv.vaultUrl(v.name),
        ...(p?.softDelete !== null && p?.softDelete !== undefined ? { softDelete: p.softDelete } : {}),
        ...(p?.softDeleteRetentionDays ? { softDeleteRetentionDays: p.softDeleteRetentionDays } : {}),
        ...(p?.purgeProtection ? { purgeProtection: true } : {}),
        ...(p?.networkAcls ? { networkAcls: { defaultAction: p.networkAcls.defaultAction === 'deny' ? 'Deny' : 'Allow', bypass: p.networkAcls.bypassAzureServices ? 'AzureServices' : 'None' } } : {}),
      },
    ];
  });
}

function cosmosAccountsOf(kv: KeyVaultEmulator, estate: Estate, cosmos: Pick<LocalCosmos, 'emulator' | 'clientEncryptionKeys'>): EmulatedCosmosAccount[] {
  const accounts = new Map<string, EmulatedCosmosAccount>();
  const regionOf = (vault: string): string | undefined => estate.vaults.get(vault)?.region ?? undefined;
  for (const p of estate.protectors) {
    const m = p.members[0];
    if (!m || (p.kind !== 'cosmos-cmk' && p.kind !== 'cosmos-always-encrypted')) continue;
    const region = regionOf(m.vault);
    const known = accounts.get(m.resourceId) ?? { resourceId: m.resourceId, ...(region ? { location: region } : {}) };
    if (p.kind === 'cosmos-cmk') {
      accounts.set(m.resourceId, {
        ...known,
        keyVaultKeyUri: `${kv.vaultUrl(m.vault).replace(/\/$/, '')}/keys/${p.keyName}`,
        ...(m.principalId ? { principalId: m.principalId, defaultIdentity: 'SystemAssignedIdentity' } : {}),
      });
    } else {
      // The identity that unwraps client encryption keys is the application's: ARM does not know it.
      const keys = cosmos.clientEncryptionKeys.get(m.resourceId) ?? [];
      const databases = [...new Set(keys.map((k) => k.database))].map((name) => ({ name, clientEncryptionKeys: keys.filter((k) => k.database === name).map((k) => ({ id: k.id, keyWrapUri: k.keyWrapUri })) }));
      accounts.set(m.resourceId, { ...known, documentEndpoint: cosmos.emulator.endpoint, databases: [...(known.databases ?? []), ...databases] });
    }
  }
  return [...accounts.values()];
}

export async function startLocalArmSql(
  kv: KeyVaultEmulator,
  estate: Estate,
  seeded: SeededVersions,
  cert: DevCertificate,
  cosmos: Pick<LocalCosmos, 'emulator' | 'clientEncryptionKeys'>,
  onActivity?: (records: readonly ActivityRecord[]) => void,
): Promise<ArmEmulator> {
  const kid = (vault: string, key: string, version: string): string => `${kv.vaultUrl(vault).replace(/\/$/, '')}/keys/${key}/${version}`;
  const servers = estate.protectors
    .filter((p) => p.kind === 'sql-tde')
    .flatMap((p) => {
      const versions = seeded.get(p.id) ?? new Map<string, string>();
      const primary = p.members.find((m) => m.role === 'primary');
      return p.members.map((m) => {
        const own = versions.get(m.vault);
        const region = estate.vaults.get(m.vault)?.region;
        return {
          resourceId: m.resourceId,
          ...(region ? { location: region } : {}),
          ...(m.principalId ? { principalId: m.principalId } : {}),
          role: m.role === 'primary' ? ('Primary' as const) : ('Secondary' as const),
          ...(m.role === 'primary' ? { partners: p.members.filter((x) => x !== m).map((x) => x.resourceId) } : primary ? { partners: [primary.resourceId] } : {}),
          // Each server holds the key of its own region's vault; geo partners hold identical material in theirs.
          ...(own ? { keys: [kid(m.vault, p.keyName, own)], protector: kid(m.vault, p.keyName, own) } : {}),
        };
      });
    });
  const failoverGroups = estate.protectors.filter((p) => p.kind === 'sql-tde' && p.members.length > 1).map((p) => ({ name: p.id, servers: p.members.map((m) => m.resourceId) }));
  const vaults = vaultsOf(kv, estate);
  const cosmosAccounts = cosmosAccountsOf(kv, estate, cosmos);
  const subscriptionIds = [...new Set([...servers.map((s) => s.resourceId), ...cosmosAccounts.map((a) => a.resourceId), ...vaults.map((v) => v.resourceId)].map(subscriptionOf))].filter(Boolean).sort();
  return startArmSqlEmulator({
    tls: { cert: cert.certPem, key: cert.keyPem },
    subscriptions: subscriptionIds.map((subscriptionId) => ({ subscriptionId, displayName: LOCAL_SUBSCRIPTION_NAME })),
    servers,
    failoverGroups,
    cosmosAccounts,
    vaults,
    ...(onActivity ? { onActivity } : {}),
    keyExists: async (uri, caller) => {
      const ref = parseKeyUri(uri);
      if (!ref?.version || !caller.principalId) return { usable: false, reason: 'not_found' };
      const client = new KeyClient(kv.vaultUrl(ref.vault), new LocalEmulatorCredential({ oid: caller.principalId, mirid: caller.server }), { additionalPolicies: localPolicies(), retryOptions: { maxRetries: 0 } });
      try {
        const key = await client.getKey(ref.key, { version: ref.version });
        if (key.properties.enabled === false) return { usable: false, reason: 'disabled' };
        return key.key?.n && key.key.e ? { usable: true, thumbprint: rsaThumbprint({ n: key.key.n, e: key.key.e }) } : true;
      } catch (err) {
        const status = (err as { statusCode?: number }).statusCode;
        return { usable: false, reason: status === 403 ? 'forbidden' : status === 404 ? 'not_found' : 'unreachable' };
      }
    },
  });
}
