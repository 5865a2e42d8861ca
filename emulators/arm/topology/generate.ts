// The seeded topology generator: given a seed and sizes, an estate as ARM would show it — SQL geo-groups, managed
// instances, Cosmos DB accounts, vaults, spread over several subscriptions — as the ARM emulator's configuration, the
// Key Vault emulator's vaults and keys, and the protectors discovery must find in it. The expected result is written
// while the estate is built (the generator knows which server it made primary), so it checks discovery rather than
// repeating it. Same seed and sizes, same topology.
import { TopologyContext, REGIONS, pad, type GeneratedVault } from './context.js';
import { cosmosTopology } from './cosmosTopology.js';
import { SeededRandom } from './random.js';
import { sqlTopology } from './sqlTopology.js';
import type { GeneratedTopology, TopologyOptions } from './types.js';
import { generateHsms, generateVaults, keyVaultConfig, vaultFacts } from './vaultTopology.js';

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function generateTopology(o: TopologyOptions): GeneratedTopology {
  const rng = new SeededRandom(o.seed);
  const vaultCount = o.vaults ?? 40;
  if (vaultCount < 1) throw new Error('a topology needs at least one vault');
  const regions = REGIONS.slice(0, Math.min(REGIONS.length, vaultCount));
  const groupSize = o.groupSize ?? { min: 2, max: 5 };
  if (groupSize.max > regions.length) throw new Error(`geo-groups of ${groupSize.max} need ${groupSize.max} regions: give at least ${groupSize.max} vaults`);
  const subscriptions = Array.from({ length: Math.max(1, o.subscriptions ?? 5) }, () => rng.guid());
  const vaults = generateVaults(rng, regions, subscriptions, vaultCount);
  const byRegion = new Map<string, GeneratedVault[]>();
  for (const v of vaults) byRegion.set(v.region.name, [...(byRegion.get(v.region.name) ?? []), v]);
  const ctx = new TopologyContext(rng, regions, subscriptions, byRegion);

  const sql = sqlTopology(ctx, {
    sqlServers: o.sqlServers ?? 300,
    groupSize,
    failoverGroupShare: o.failoverGroupShare ?? 0.5,
    standaloneServers: o.standaloneServers ?? 10,
    serviceManagedServers: o.serviceManagedServers ?? 10,
    managedInstances: o.managedInstances ?? 4,
    databasesPerGroup: o.databasesPerGroup ?? { min: 1, max: 3 },
  });
  const cosmos = cosmosTopology(ctx, {
    cosmosAccounts: o.cosmosAccounts ?? 50,
    alwaysEncryptedShare: o.alwaysEncryptedShare ?? 0.3,
    serviceManagedCosmosAccounts: o.serviceManagedCosmosAccounts ?? 5,
  });
  const managedHsms = generateHsms(rng, regions, subscriptions, o.managedHsms ?? 2);

  const protectors = [...sql.protectors, ...cosmos.protectors].sort((a, b) => byString(a.id, b.id));
  const named = new Set(protectors.flatMap((p) => p.members.map((m) => m.vault)));
  return {
    seed: o.seed,
    arm: {
      subscriptions: subscriptions.map((subscriptionId, i) => ({ subscriptionId, displayName: `sub-${pad(i + 1, 2)}` })),
      servers: sql.servers,
      failoverGroups: sql.failoverGroups,
      managedInstances: sql.managedInstances,
      cosmosAccounts: cosmos.accounts,
      vaults: vaults.map((v) => v.config),
      managedHsms,
    },
    keyVaults: vaults.map(keyVaultConfig),
    keys: ctx.keys,
    expected: {
      subscriptions: [...subscriptions].sort(byString),
      protectors,
      vaults: vaults.filter((v) => named.has(v.name)).map(vaultFacts).sort((a, b) => byString(a.name, b.name)),
      databaseLevelCmk: [...sql.databaseLevelCmk].sort(byString),
    },
  };
}
