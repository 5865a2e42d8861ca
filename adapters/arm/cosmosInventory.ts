// Discovery's Cosmos DB reads over @azure/arm-cosmosdb 16.4 (api-version 2025-10-15): accounts per subscription (CMK
// key URI, default identity, managed identities) and, per NoSQL account, its databases' Always Encrypted client
// encryption keys — 1 + (databases) calls per account. The listing carries each key's wrapped DEK: only its id and
// wrapping key URI are kept; the wrapped value is dropped here, never passed on (DESIGN.md §8 I8).
//   databaseAccounts.list                 keyVaultKeyUri, defaultIdentity, identity, documentEndpoint, kind, capabilities
//   sqlResources.listSqlDatabases
//   sqlResources.listClientEncryptionKeys resource.keyWrapMetadata.value
import { CosmosDBManagementClient, type DatabaseAccountGetResults } from '@azure/arm-cosmosdb';
import type { ArmInventory, ClientEncryptionKeyFacts, CosmosAccountListing } from '../../app/discovery/ports.js';
import { all, perSubscription, sdkOptions, type ArmClientOptions } from './clients.js';
import { armRead } from './errors.js';
import { identityFacts, lower, resourceGroupOf } from './ids.js';

type CosmosReads = Pick<ArmInventory, 'cosmosAccounts' | 'clientEncryptionKeys'>;

/** Capabilities that make an account serve another API than NoSQL (Always Encrypted is NoSQL only). */
const OTHER_APIS = new Set(['enablecassandra', 'enabletable', 'enablegremlin', 'enablemongo']);

function accountListing(a: DatabaseAccountGetResults, subscriptionId: string): CosmosAccountListing | null {
  if (!a.id || !a.name) return null;
  const otherApi = a.kind === 'MongoDB' || (a.capabilities ?? []).some((c) => OTHER_APIS.has((c.name ?? '').toLowerCase()));
  return {
    id: a.id.toLowerCase(),
    name: a.name.toLowerCase(),
    subscriptionId: subscriptionId.toLowerCase(),
    location: lower(a.location),
    identity: identityFacts(a.identity),
    keyVaultKeyUri: lower(a.keyVaultKeyUri),
    defaultIdentity: a.defaultIdentity ?? null,
    documentEndpoint: a.documentEndpoint ?? null,
    resourceGroup: resourceGroupOf(a.id),
    sqlApi: !otherApi,
  };
}

export function createCosmosInventory(o: ArmClientOptions): CosmosReads {
  const client = perSubscription((sub) => new CosmosDBManagementClient(o.credential, sub, sdkOptions(o)));

  return {
    cosmosAccounts: (sub) =>
      armRead({ scope: `/subscriptions/${sub}`, operation: 'databaseAccounts.list' }, async () => (await all(client(sub).databaseAccounts.list())).map((a) => accountListing(a, sub)).filter((a) => a !== null)),

    clientEncryptionKeys: (a) =>
      armRead({ scope: a.id, operation: 'sqlResources.listClientEncryptionKeys' }, async () => {
        const sql = client(a.subscriptionId).sqlResources;
        const out: Array<ClientEncryptionKeyFacts[number]> = [];
        for (const db of await all(sql.listSqlDatabases(a.resourceGroup, a.name))) {
          const database = db.resource?.id ?? db.name;
          if (!database) continue;
          for (const k of await all(sql.listClientEncryptionKeys(a.resourceGroup, a.name, database))) {
            const keyUri = k.resource?.keyWrapMetadata?.value;
            const id = k.resource?.id ?? k.name;
            if (keyUri && id) out.push({ database, id, keyUri: keyUri.toLowerCase() });
          }
        }
        return out.sort((x, y) => (x.database === y.database ? (x.id < y.id ? -1 : 1) : x.database < y.database ? -1 : 1));
      }),
  };
}
