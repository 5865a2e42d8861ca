// Cosmos DB accounts of a generated topology: CMK accounts taking each kind of `defaultIdentity` in turn —
// FirstPartyIdentity and the cross-tenant FederatedIdentity (whose principal ARM cannot tell: null), the
// system-assigned identity, a user-assigned one — some with Always Encrypted client encryption keys wrapped by one
// Key Vault key, and accounts without a CMK (listed, not protectors).
import type { EmulatedCosmosAccount } from '../cosmos.js';
import { APPS, pad, type TopologyContext } from './context.js';
import type { ExpectedProtector } from './types.js';

export interface CosmosSizes {
  readonly cosmosAccounts: number;
  readonly alwaysEncryptedShare: number;
  readonly serviceManagedCosmosAccounts: number;
}

export interface CosmosTopology {
  readonly accounts: EmulatedCosmosAccount[];
  readonly protectors: ExpectedProtector[];
}

const DEFAULT_IDENTITIES = ['FirstPartyIdentity', 'SystemAssignedIdentity', 'UserAssignedIdentity', 'FederatedIdentity'] as const;

function cmkAccount(ctx: TopologyContext, out: CosmosTopology, i: number, s: CosmosSizes): void {
  const app = APPS[i % APPS.length] as string;
  const name = `cosmos-${app}-${pad(i, 3)}`;
  const region = ctx.rng.pick(ctx.regions);
  const sub = ctx.rng.pick(ctx.subscriptions);
  const rg = ctx.resourceGroup(app, region);
  const resourceId = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.DocumentDB/databaseAccounts/${name}`;
  const uai = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai-${name}`;
  const kind = DEFAULT_IDENTITIES[i % DEFAULT_IDENTITIES.length] as (typeof DEFAULT_IDENTITIES)[number];
  // Every account gets a system-assigned identity now and then, whatever reads its key: only defaultIdentity decides.
  const system = kind === 'SystemAssignedIdentity' || ctx.rng.chance(0.3) ? ctx.rng.guid() : undefined;
  const userPrincipal = kind === 'UserAssignedIdentity' || kind === 'FederatedIdentity' ? ctx.rng.guid() : undefined;
  const defaultIdentity =
    kind === 'UserAssignedIdentity' ? `UserAssignedIdentity=${uai}` : kind === 'FederatedIdentity' ? `FederatedIdentity=UserAssignedIdentity=${uai}&FederatedClientId=${ctx.rng.guid()}` : kind;
  const principalId = kind === 'SystemAssignedIdentity' ? (system ?? null) : kind === 'UserAssignedIdentity' ? (userPrincipal ?? null) : null;
  const vault = ctx.vaultIn(region);
  const keyName = `cmk-${name}`;
  const versioned = ctx.keyVersion(vault, keyName, `cosmos-${name}`, ctx.rng.chance(0.7));
  const endpoint = `https://${name}.documents.azure.com:443/`;
  const lowerId = resourceId.toLowerCase();
  out.protectors.push({ id: name, kind: 'cosmos-cmk', keyName, autoRotation: null, alwaysEncrypted: null, members: [{ role: 'primary', resourceId: lowerId, vault: vault.name, principalId }] });

  const databases: Array<{ name: string; clientEncryptionKeys?: Array<{ id: string; keyWrapUri: string }> }> = [{ name: `${app}-data` }];
  if (ctx.rng.chance(s.alwaysEncryptedShare)) {
    const aeVault = ctx.vaultIn(region);
    const wrap = ctx.keyVersion(aeVault, `ae-${name}`, `cosmos-ae-${name}`, ctx.rng.chance(0.7));
    const aeDatabases = Array.from({ length: ctx.rng.int(1, 2) }, (_, j) => `${app}-pii-${j + 1}`);
    for (const db of aeDatabases) databases.push({ name: db, clientEncryptionKeys: Array.from({ length: ctx.rng.int(1, 2) }, (_, k) => ({ id: `cek-${k + 1}`, keyWrapUri: wrap })) });
    out.protectors.push({
      id: `${name}-ae`,
      kind: 'cosmos-always-encrypted',
      keyName: `ae-${name}`,
      autoRotation: null,
      alwaysEncrypted: { endpoint, databases: [...aeDatabases].sort() },
      // The identity that unwraps client encryption keys is the application's, which ARM does not know.
      members: [{ role: 'primary', resourceId: lowerId, vault: aeVault.name, principalId: null }],
    });
  }
  out.accounts.push({
    resourceId,
    location: region.name,
    ...(system ? { principalId: system } : {}),
    ...(userPrincipal ? { userAssignedIdentities: { [uai]: userPrincipal } } : {}),
    // Cosmos DB takes the key versionless: it follows the key's current version.
    keyVaultKeyUri: versioned.slice(0, versioned.lastIndexOf('/')),
    defaultIdentity,
    databases,
  });
}

export function cosmosTopology(ctx: TopologyContext, s: CosmosSizes): CosmosTopology {
  const out: CosmosTopology = { accounts: [], protectors: [] };
  for (let i = 0; i < s.cosmosAccounts; i++) cmkAccount(ctx, out, i, s);
  for (let i = 0; i < s.serviceManagedCosmosAccounts; i++) {
    const region = ctx.rng.pick(ctx.regions);
    const sub = ctx.rng.pick(ctx.subscriptions);
    out.accounts.push({ resourceId: `/subscriptions/${sub}/resourceGroups/rg-legacy-${region.short}/providers/Microsoft.DocumentDB/databaseAccounts/cosmos-plain-${pad(i, 3)}`, location: region.name });
  }
  return out;
}
