// Vaults of a generated topology, spread over the regions in use (at least one per region) and the subscriptions,
// with the settings discovery reports and the preflight checks judge: purge protection (mostly on), RBAC or access
// policies, soft-delete retention, the firewall; and Managed HSMs, listed but holding no protector.
import type { VaultFacts } from '../../../domain/discovery/facts.js';
import type { EmulatedVault } from '../../keyvault/types.js';
import type { EmulatedManagedHsm } from '../keyVault.js';
import { pad, vaultUri, type GeneratedVault, type Region } from './context.js';
import type { SeededRandom } from './random.js';

export function generateVaults(rng: SeededRandom, regions: readonly Region[], subscriptions: readonly string[], count: number): GeneratedVault[] {
  return Array.from({ length: count }, (_, i) => {
    const region = regions[i % regions.length] as Region;
    const name = `kv-${region.short}-${pad(Math.floor(i / regions.length) + 1, 2)}`;
    const sub = rng.pick(subscriptions);
    return {
      name,
      region,
      config: {
        resourceId: `/subscriptions/${sub}/resourceGroups/rg-keys-${region.short}/providers/Microsoft.KeyVault/vaults/${name}`,
        location: region.name,
        vaultUri: vaultUri(name),
        softDelete: true,
        softDeleteRetentionDays: rng.pick([90, 90, 30, 7]),
        purgeProtection: rng.chance(0.85),
        rbac: rng.chance(0.7),
        networkAcls: { defaultAction: rng.chance(0.3) ? 'Deny' : 'Allow', bypass: 'AzureServices' },
      },
    };
  });
}

export function generateHsms(rng: SeededRandom, regions: readonly Region[], subscriptions: readonly string[], count: number): EmulatedManagedHsm[] {
  return Array.from({ length: count }, (_, i) => {
    const region = regions[i % regions.length] as Region;
    const name = `hsm-${region.short}-${pad(Math.floor(i / regions.length) + 1, 2)}`;
    return { resourceId: `/subscriptions/${rng.pick(subscriptions)}/resourceGroups/rg-keys-${region.short}/providers/Microsoft.KeyVault/managedHSMs/${name}`, location: region.name, purgeProtection: true };
  });
}

/** The Key Vault emulator's view of the same vault. */
export function keyVaultConfig(v: GeneratedVault): EmulatedVault {
  const c = v.config;
  return { name: v.name, region: v.region.name, resourceId: c.resourceId, softDelete: c.softDelete, purgeProtection: c.purgeProtection, rbac: c.rbac, networkAcls: c.networkAcls };
}

/** What discovery reads of the vault (facts are lower-cased). */
export function vaultFacts(v: GeneratedVault): VaultFacts {
  const c = v.config;
  return {
    name: v.name,
    id: c.resourceId.toLowerCase(),
    subscriptionId: (/^\/subscriptions\/([^/]+)\//i.exec(c.resourceId)?.[1] ?? '').toLowerCase(),
    location: v.region.name,
    uri: c.vaultUri ?? vaultUri(v.name),
    managedHsm: false,
    softDelete: c.softDelete,
    softDeleteRetentionDays: c.softDeleteRetentionDays,
    purgeProtection: c.purgeProtection,
    rbac: c.rbac,
    networkAcls: c.networkAcls,
  };
}
