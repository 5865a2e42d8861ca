// Key vaults and Managed HSMs as @azure/arm-keyvault 5 reads them (api-version 2026-02-01): the subscription-wide
// listings (paged; `$top` caps a page) and the resources, with what discovery needs of them — the data-plane URI,
// soft delete and its retention, purge protection, RBAC vs access policies, the firewall.
import { json, type ArmRequest } from './http.js';
import { resourceNotFound } from './errors.js';
import { page, type Paging } from './paging.js';
import { resourcePath, subscriptionListing, type ArmProvider, type RoutedCall } from './provider.js';

export interface EmulatedArmVault {
  /** `/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name>`. */
  readonly resourceId: string;
  /** Default `eastus`. */
  readonly location?: string;
  /** `properties.vaultUri`; default `https://<name>.vault.azure.net/` (the local stack gives the Key Vault emulator's). */
  readonly vaultUri?: string;
  /** Default true. */
  readonly softDelete?: boolean;
  /** Default 90. */
  readonly softDeleteRetentionDays?: number;
  /** Default false; ARM omits `enablePurgeProtection` until it is switched on (it cannot be switched off). */
  readonly purgeProtection?: boolean;
  /** Default true (RBAC); false: access policies. */
  readonly rbac?: boolean;
  /** Default `{ defaultAction: 'Allow', bypass: 'AzureServices' }`. */
  readonly networkAcls?: { readonly defaultAction: 'Allow' | 'Deny'; readonly bypass: 'AzureServices' | 'None' };
  /** Default `standard`. */
  readonly sku?: 'standard' | 'premium';
}

export interface EmulatedManagedHsm {
  /** `/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.KeyVault/managedHSMs/<name>`. */
  readonly resourceId: string;
  readonly location?: string;
  /** `properties.hsmUri`; default `https://<name>.managedhsm.azure.net/`. */
  readonly hsmUri?: string;
  readonly softDeleteRetentionDays?: number;
  /** Default false. */
  readonly purgeProtection?: boolean;
  readonly networkAcls?: { readonly defaultAction: 'Allow' | 'Deny'; readonly bypass: 'AzureServices' | 'None' };
}

const NAMESPACE = 'Microsoft.KeyVault';
const nameOf = (id: string): string => id.slice(id.lastIndexOf('/') + 1);

const acls = (a: EmulatedArmVault['networkAcls']): unknown => ({ bypass: a?.bypass ?? 'AzureServices', defaultAction: a?.defaultAction ?? 'Allow', ipRules: [], virtualNetworkRules: [] });

function vaultJson(v: EmulatedArmVault, tenantId: string): unknown {
  const name = nameOf(v.resourceId);
  return {
    id: v.resourceId,
    name,
    type: `${NAMESPACE}/vaults`,
    location: v.location ?? 'eastus',
    tags: {},
    properties: {
      sku: { family: 'A', name: v.sku ?? 'standard' },
      tenantId,
      accessPolicies: [],
      enabledForDeployment: false,
      enabledForDiskEncryption: false,
      enabledForTemplateDeployment: false,
      enableSoftDelete: v.softDelete ?? true,
      softDeleteRetentionInDays: v.softDeleteRetentionDays ?? 90,
      enableRbacAuthorization: v.rbac ?? true,
      ...(v.purgeProtection ? { enablePurgeProtection: true } : {}),
      networkAcls: acls(v.networkAcls),
      vaultUri: v.vaultUri ?? `https://${name}.vault.azure.net/`,
      provisioningState: 'Succeeded',
      publicNetworkAccess: 'Enabled',
    },
  };
}

function hsmJson(h: EmulatedManagedHsm, tenantId: string): unknown {
  const name = nameOf(h.resourceId);
  return {
    id: h.resourceId,
    name,
    type: `${NAMESPACE}/managedHSMs`,
    location: h.location ?? 'eastus',
    sku: { family: 'B', name: 'Standard_B1' },
    tags: {},
    properties: {
      tenantId,
      initialAdminObjectIds: [],
      hsmUri: h.hsmUri ?? `https://${name}.managedhsm.azure.net/`,
      enableSoftDelete: true,
      softDeleteRetentionInDays: h.softDeleteRetentionDays ?? 90,
      ...(h.purgeProtection ? { enablePurgeProtection: true } : {}),
      createMode: 'default',
      provisioningState: 'Succeeded',
      statusMessage: 'The Managed HSM is provisioned and ready to use.',
      networkAcls: acls(h.networkAcls),
      publicNetworkAccess: 'Enabled',
    },
  };
}

interface Kind {
  readonly type: 'vaults' | 'managedHSMs';
  /** The SDK's operation group. */
  readonly sdk: 'vaults' | 'managedHsms';
  readonly items: ReadonlyArray<{ readonly resourceId: string; readonly json: () => unknown }>;
}

export function keyVaultProvider(vaults: readonly EmulatedArmVault[], hsms: readonly EmulatedManagedHsm[], tenantId: string, paging: Paging): ArmProvider {
  const kinds: readonly Kind[] = [
    { type: 'vaults', sdk: 'vaults', items: vaults.map((v) => ({ resourceId: v.resourceId, json: () => vaultJson(v, tenantId) })) },
    { type: 'managedHSMs', sdk: 'managedHsms', items: hsms.map((h) => ({ resourceId: h.resourceId, json: () => hsmJson(h, tenantId) })) },
  ];
  const inSubscription = (id: string, sub: string): boolean => id.toLowerCase().startsWith(`/subscriptions/${sub.toLowerCase()}/`);
  return {
    route(req: ArmRequest): RoutedCall | null {
      if (req.method.toUpperCase() !== 'GET') return null;
      for (const k of kinds) {
        const action = `${NAMESPACE}/${k.type}/read`;
        const sub = subscriptionListing(req.url.pathname, NAMESPACE, k.type);
        if (sub) {
          return { operation: `${k.sdk}.listBySubscription`, action, subscriptionId: sub, run: () => page(paging, req, k.items.filter((i) => inSubscription(i.resourceId, sub)).map((i) => i.json())) };
        }
        const r = resourcePath(req.url.pathname, NAMESPACE, k.type);
        if (!r) continue;
        if (r.rest.length > 0) return null;
        return {
          operation: `${k.sdk}.get`,
          action,
          subscriptionId: r.subscriptionId,
          run: () => {
            const found = k.items.find((i) => i.resourceId.toLowerCase() === r.resourceId.toLowerCase());
            if (!found) throw resourceNotFound(`${NAMESPACE}/${k.type}`, r.name, r.resourceGroup);
            return json(200, found.json());
          },
        };
      }
      return null;
    },
  };
}
