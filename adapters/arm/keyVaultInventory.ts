// Discovery's vault reads over @azure/arm-keyvault 5 (api-version 2026-02-01): key vaults and Managed HSMs per
// subscription, with what preflight needs — region, data-plane URI, soft-delete, purge protection, RBAC or access
// policies, network ACLs. A Managed HSM is always RBAC (its local role assignments) and has its own limits.
//   vaults.listBySubscription       properties.{vaultUri, enableSoftDelete, softDeleteRetentionInDays, enablePurgeProtection, enableRbacAuthorization, networkAcls}
//   managedHsms.listBySubscription  properties.{hsmUri, enableSoftDelete, softDeleteRetentionInDays, enablePurgeProtection, networkAcls}
import { KeyVaultManagementClient } from '@azure/arm-keyvault';
import type { VaultFacts } from '../../domain/discovery/facts.js';
import type { ArmInventory } from '../../app/discovery/ports.js';
import { all, perSubscription, sdkOptions, type ArmClientOptions } from './clients.js';
import { armRead } from './errors.js';
import { lower } from './ids.js';

type VaultReads = Pick<ArmInventory, 'vaults' | 'managedHsms'>;

interface VaultLike {
  readonly id?: string;
  readonly name?: string;
  readonly location?: string;
  readonly properties?: {
    readonly enableSoftDelete?: boolean;
    readonly softDeleteRetentionInDays?: number;
    readonly enablePurgeProtection?: boolean;
    readonly networkAcls?: { readonly defaultAction?: string; readonly bypass?: string };
  };
}

function networkAcls(acls: { readonly defaultAction?: string; readonly bypass?: string } | undefined): VaultFacts['networkAcls'] {
  if (!acls?.defaultAction) return null;
  return { defaultAction: acls.defaultAction.toLowerCase() === 'deny' ? 'Deny' : 'Allow', bypass: acls.bypass?.toLowerCase() === 'azureservices' ? 'AzureServices' : 'None' };
}

function vaultFacts(v: VaultLike, subscriptionId: string, uri: string | undefined, managedHsm: boolean, rbac: boolean | null): VaultFacts | null {
  if (!v.id || !v.name) return null;
  const name = v.name.toLowerCase();
  return {
    name,
    id: v.id.toLowerCase(),
    subscriptionId: subscriptionId.toLowerCase(),
    location: lower(v.location),
    uri: uri ?? (managedHsm ? `https://${name}.managedhsm.azure.net/` : `https://${name}.vault.azure.net/`),
    managedHsm,
    softDelete: v.properties?.enableSoftDelete ?? null,
    softDeleteRetentionDays: v.properties?.softDeleteRetentionInDays ?? null,
    purgeProtection: v.properties?.enablePurgeProtection ?? null,
    rbac,
    networkAcls: networkAcls(v.properties?.networkAcls),
  };
}

export function createKeyVaultInventory(o: ArmClientOptions): VaultReads {
  const client = perSubscription((sub) => new KeyVaultManagementClient(o.credential, sub, sdkOptions(o)));
  return {
    vaults: (sub) =>
      armRead({ scope: `/subscriptions/${sub}`, operation: 'vaults.listBySubscription' }, async () =>
        (await all(client(sub).vaults.listBySubscription())).map((v) => vaultFacts(v, sub, v.properties?.vaultUri, false, v.properties?.enableRbacAuthorization ?? null)).filter((v) => v !== null),
      ),
    managedHsms: (sub) =>
      armRead({ scope: `/subscriptions/${sub}`, operation: 'managedHsms.listBySubscription' }, async () =>
        (await all(client(sub).managedHsms.listBySubscription())).map((h) => vaultFacts(h, sub, h.properties?.hsmUri, true, true)).filter((h) => h !== null),
      ),
  };
}
